//! Refresh under concurrency, several users at once, on whichever database the suite runs on:
//! per token exactly one refresh wins (a `200` naming the right user, with a new token), the
//! other is `401 refresh_token_reused`; a spent token presented again ends that session (as the
//! README promises for a spent token), and nobody else's tokens or sessions are touched.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xiaoan_api_tests::*;

const RACERS: &[&str] = &["principal", "office", "teacher1", "guard1"];
const BYSTANDERS: &[&str] = &["teacher2", "guard2", "officer1"];

async fn refresh(app: &TestApp, token: &str) -> Resp {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

struct Session {
    user: String,
    access: String,
    refresh: String,
}

async fn sign_in(app: &TestApp, user: &str) -> Session {
    let r = app.login_full(user, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
    Session {
        user: user.to_owned(),
        access: r.body["access_token"].as_str().expect("access").to_owned(),
        refresh: r.body["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned(),
    }
}

/// The `sub` claim of an access token (a JWT).
fn subject(access: &str) -> String {
    let payload = access.split('.').nth(1).expect("JWT payload");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("claims");
    claims["sub"].as_str().expect("sub").to_owned()
}

async fn me(app: &TestApp, access: &str) -> Resp {
    app.get("/api/v1/me", access).await
}

#[tokio::test]
async fn racing_refreshes_of_several_users_have_one_winner_each_and_touch_nobody_else() {
    let app = spawn_app().await;
    let mut ids = std::collections::HashMap::new();
    for u in RACERS.iter().chain(BYSTANDERS) {
        ids.insert(*u, app.user_id(u).await);
    }
    let racing: Vec<Session> = join_all(RACERS.iter().map(|u| sign_in(&app, u))).await;
    // A second session of each racer, and sessions of people not racing at all.
    let second: Vec<Session> = join_all(RACERS.iter().map(|u| sign_in(&app, u))).await;
    let bystanders: Vec<Session> = join_all(BYSTANDERS.iter().map(|u| sign_in(&app, u))).await;

    // Every racer's token twice, all at once.
    let attempts = racing
        .iter()
        .flat_map(|s| [s, s])
        .map(|s| refresh(&app, &s.refresh));
    let results: Vec<Resp> = join_all(attempts).await;

    for (i, s) in racing.iter().enumerate() {
        let pair = [&results[2 * i], &results[2 * i + 1]];
        let winners: Vec<&&Resp> = pair.iter().filter(|r| r.status == StatusCode::OK).collect();
        assert_eq!(
            winners.len(),
            1,
            "{}: exactly one refresh wins, got {} / {}: {} | {}",
            s.user,
            pair[0].status,
            pair[1].status,
            pair[0].text,
            pair[1].text
        );
        let winner = winners[0];
        let loser = pair
            .iter()
            .find(|r| r.status != StatusCode::OK)
            .expect("a loser");
        assert_eq!(
            (loser.status, loser.code()),
            (StatusCode::UNAUTHORIZED, "refresh_token_reused"),
            "{}: {}",
            s.user,
            loser.text
        );
        // The winner got this user's new pair.
        assert_eq!(winner.body["user"]["username"], s.user.as_str());
        let new_refresh = winner.body["refresh_token"].as_str().expect("new refresh");
        let new_access = winner.body["access_token"].as_str().expect("new access");
        assert_ne!(new_refresh, s.refresh, "{}: the token rotated", s.user);
        assert_eq!(subject(new_access), ids[s.user.as_str()], "{}", s.user);
        // The losing request presented a spent token: that session is over, the winner's new
        // tokens included, as for any replay.
        let r = refresh(&app, new_refresh).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "refresh_token_invalid"),
            "{}: {}",
            s.user,
            r.text
        );
        let r = me(&app, new_access).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "session_ended"),
            "{}",
            s.user
        );
    }

    // Nobody else was touched: the racers' other sessions and the bystanders still work, and
    // their refresh tokens are still unspent (each refreshes once, and the new pair works).
    for s in second.iter().chain(bystanders.iter()) {
        let r = me(&app, &s.access).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", s.user, r.text);
        assert_eq!(r.body["username"], s.user.as_str());
        let r = refresh(&app, &s.refresh).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", s.user, r.text);
        assert_eq!(r.body["user"]["username"], s.user.as_str());
        let access = r.body["access_token"].as_str().expect("access");
        assert_eq!(subject(access), ids[s.user.as_str()]);
        assert_eq!(me(&app, access).await.status, StatusCode::OK, "{}", s.user);
        let next = r.body["refresh_token"].as_str().expect("refresh");
        let r = refresh(&app, next).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}: rotated again: {}",
            s.user,
            r.text
        );
    }
}

#[tokio::test]
async fn one_users_refreshes_spend_only_that_users_token() {
    let app = spawn_app().await;
    let sessions: Vec<Session> =
        join_all(RACERS.iter().chain(BYSTANDERS).map(|u| sign_in(&app, u))).await;
    // Everyone refreshes at once, each their own token: all win.
    let results: Vec<Resp> = join_all(sessions.iter().map(|s| refresh(&app, &s.refresh))).await;
    let mut next = Vec::new();
    for (s, r) in sessions.iter().zip(&results) {
        assert_eq!(r.status, StatusCode::OK, "{}: {}", s.user, r.text);
        assert_eq!(r.body["user"]["username"], s.user.as_str());
        next.push(r.body["refresh_token"].as_str().expect("next").to_owned());
    }
    // And each new token works once more, every user's, in turn.
    for (s, t) in sessions.iter().zip(&next) {
        let r = refresh(&app, t).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", s.user, r.text);
    }
}
