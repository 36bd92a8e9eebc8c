//! Sign-in, tokens, sessions and throttling, attacked from outside.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn me_status(app: &TestApp, token: &str) -> (StatusCode, String) {
    let r = app.get("/api/v1/me", token).await;
    (r.status, r.code().to_owned())
}

fn claims_for(sub: &str, sid: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "sid": sid, "iss": "xiaoan", "aud": "xiaoan-api", "iat": now, "nbf": now, "exp": now + 600})
}

fn sign(claims: &Value, secret: &[u8], alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret).expect("key"),
    )
    .expect("sign")
}

/// The real claims of a real token, to tamper with.
fn decode_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json")
}

#[tokio::test]
async fn login_returns_tokens_and_user() {
    let app = spawn_app().await;
    let r = app.login_full("teacher1", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].as_i64().unwrap() > 0);
    assert!(r.body["refresh_token"].as_str().unwrap().len() >= 32);
    assert_eq!(r.body["user"]["role"], "class_teacher");
    assert_eq!(r.body["user"]["class_ids"].as_array().unwrap().len(), 1);
    assert!(r.body["user"].get("password_hash").is_none());
    // Usernames are case-insensitive.
    assert_eq!(
        app.login_full(" Teacher1 ", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = spawn_app().await;
    let wrong = app.login_full("teacher1", "not-the-password").await;
    let unknown = app.login_full("nobody", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(
        wrong.headers["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
}

#[tokio::test]
async fn token_attacks_are_rejected() {
    let app = spawn_app().await;
    let good = app.token("office").await;
    assert_eq!(me_status(&app, &good).await.0, StatusCode::OK);
    let real = decode_claims(&good);
    let (sub, sid) = (real["sub"].as_str().unwrap(), real["sid"].as_str().unwrap());
    let secret = JWT_SECRET.as_bytes();

    // alg: none, with the real claims and no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(real.to_string());
    let none = format!("{header}.{payload}.");
    // Signed with another key.
    let wrong_key = sign(
        &claims_for(sub, sid),
        b"another-secret-another-secret-0123456789",
        Algorithm::HS256,
    );
    // Another HMAC algorithm with the right key: the algorithm is pinned.
    let other_alg = sign(&claims_for(sub, sid), secret, Algorithm::HS512);
    // Tampered claims: the real signature over different claims (sub of another user).
    let teacher = app.token("teacher1").await;
    let teacher_sub = decode_claims(&teacher)["sub"].as_str().unwrap().to_owned();
    let mut tampered_claims = real.clone();
    tampered_claims["sub"] = json!(teacher_sub);
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered_claims.to_string()),
        parts[2]
    );
    let now = chrono::Utc::now().timestamp();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims_for(sub, sid);
        f(&mut c);
        sign(&c, secret, Algorithm::HS256)
    };
    let expired = with(&|c| {
        c["iat"] = json!(now - 7200);
        c["nbf"] = json!(now - 7200);
        c["exp"] = json!(now - 3600);
    });
    let not_yet = with(&|c| c["nbf"] = json!(now + 3600));
    let wrong_aud = with(&|c| c["aud"] = json!("someone-else"));
    let wrong_iss = with(&|c| c["iss"] = json!("evil"));
    let no_exp = with(&|c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    let no_nbf = with(&|c| {
        c.as_object_mut().unwrap().remove("nbf");
    });
    let string_exp = with(&|c| c["exp"] = json!((now - 3600).to_string()));
    // A token for the right user but a session that does not exist.
    let no_session = with(&|c| c["sid"] = json!(uuid::Uuid::now_v7().to_string()));
    let refresh = app.login_full("office", PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    for (name, token) in [
        ("alg none", none),
        ("wrong key", wrong_key),
        ("HS512", other_alg),
        ("tampered sub", tampered),
        ("expired", expired),
        ("not yet valid", not_yet),
        ("wrong aud", wrong_aud),
        ("wrong iss", wrong_iss),
        ("no exp", no_exp),
        ("no nbf", no_nbf),
        ("string exp in the past", string_exp),
        ("unknown session", no_session),
        ("refresh token as access token", refresh),
        ("garbage", "abc.def.ghi".into()),
    ] {
        let (status, code) = me_status(&app, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} was accepted");
        assert!(!code.is_empty(), "{name}: no problem code");
    }
    // Still fine with the genuine token.
    assert_eq!(me_status(&app, &good).await.0, StatusCode::OK);
}

#[tokio::test]
async fn access_token_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let access = app.fresh_token("guard1").await;
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": access})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "refresh_token_invalid");
}

async fn refresh(app: &TestApp, token: &str) -> Resp {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let login = app.login_full("teacher1", PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();
    let r1 = refresh(&app, &first).await;
    assert_eq!(r1.status, StatusCode::OK, "{}", r1.text);
    let second = r1.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let access2 = r1.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me_status(&app, &access2).await.0, StatusCode::OK);

    // Someone replays the first (spent) token: refused, and the whole family dies.
    let replay = refresh(&app, &first).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "refresh_token_reused");
    assert_eq!(
        refresh(&app, &second).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me_status(&app, &access2).await.0, StatusCode::UNAUTHORIZED);
    // Other sessions of the same user are untouched.
    let other = app.fresh_token("teacher1").await;
    assert_eq!(me_status(&app, &other).await.0, StatusCode::OK);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_cannot_both_win() {
    let app = spawn_app().await;
    let login = app.login_full("guard1", PASSWORD).await;
    let token = login.body["refresh_token"].as_str().unwrap().to_owned();
    let (a, b) = tokio::join!(refresh(&app, &token), refresh(&app, &token));
    // Exactly one wins (both failing would be as wrong as both winning); the other is a reuse.
    let (winner, loser) = match (a.status, b.status) {
        (StatusCode::OK, s) if s != StatusCode::OK => (&a, &b),
        (s, StatusCode::OK) if s != StatusCode::OK => (&b, &a),
        _ => panic!(
            "want exactly one winner: {} {} | {} {}",
            a.status, a.text, b.status, b.text
        ),
    };
    assert_eq!(winner.body["user"]["username"], "guard1");
    assert_ne!(winner.body["refresh_token"], token.as_str());
    assert_eq!(
        (loser.status, loser.code()),
        (StatusCode::UNAUTHORIZED, "refresh_token_reused"),
        "{}",
        loser.text
    );
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let login = app.login_full("guard1", PASSWORD).await;
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = login.body["refresh_token"].as_str().unwrap().to_owned();
    let r = app
        .request(Method::POST, "/api/v1/auth/logout", Some(&access), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        me_status(&app, &access).await,
        (StatusCode::UNAUTHORIZED, "session_ended".into())
    );
    assert_eq!(
        refresh(&app, &refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabling_changing_role_or_resetting_password_ends_sessions() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let teacher2_id = app.me("teacher2").await["id"].as_str().unwrap().to_owned();
    let guard_id = app.me("guard1").await["id"].as_str().unwrap().to_owned();
    let officer_id = app.me("officer1").await["id"].as_str().unwrap().to_owned();

    for (id, username, change) in [
        (&teacher2_id, "teacher2", json!({"is_active": false})),
        // (Not to principal: only a principal may give that role, issue 15 #7.)
        (&guard_id, "guard1", json!({"role": "class_teacher"})),
        (
            &officer_id,
            "officer1",
            json!({"password": "a-new-password-1"}),
        ),
    ] {
        let token = app.fresh_token(username).await;
        let refresh_token = app.login_full(username, PASSWORD).await.body["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(me_status(&app, &token).await.0, StatusCode::OK);
        let r = app
            .patch(&format!("/api/v1/users/{id}"), &office, change.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{change}: {}", r.text);
        // The change is what the answer and a read-back say.
        let back = app.get(&format!("/api/v1/users/{id}"), &office).await;
        for (k, v) in change.as_object().unwrap() {
            if k != "password" {
                assert_eq!(&r.body[k], v, "{change}: {}", r.text);
                assert_eq!(&back.body[k], v, "{change}: {}", back.text);
            }
        }
        assert_eq!(
            me_status(&app, &token).await,
            (StatusCode::UNAUTHORIZED, "session_ended".into()),
            "{change}"
        );
        let r = refresh(&app, &refresh_token).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "refresh_token_invalid"),
            "{change}"
        );
    }
    // The new role is what a new sign-in carries, and what the server enforces.
    let login = app.login_full("guard1", PASSWORD).await;
    assert_eq!(
        login.body["user"]["role"], "class_teacher",
        "{}",
        login.text
    );
    let t = login.body["access_token"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/visitors", &t).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    // The disabled account cannot sign in; the reset password works; the old one does not.
    assert_eq!(
        app.login_full("teacher2", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_full("officer1", "a-new-password-1").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login_full("officer1", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A changed display name alone does not end sessions.
    let principal = app.fresh_token("principal").await;
    let pid = app.me("principal").await["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/users/{pid}"),
        &office,
        json!({"display_name": "陈校长"}),
    )
    .await;
    assert_eq!(me_status(&app, &principal).await.0, StatusCode::OK);
}

#[tokio::test]
async fn changing_my_password() {
    let app = spawn_app().await;
    let token = app.fresh_token("teacher1").await;
    let wrong = app
        .put(
            "/api/v1/me/password",
            &token,
            json!({"current_password": "nope-nope", "new_password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.code(), "wrong_password");
    let short = app
        .put(
            "/api/v1/me/password",
            &token,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.code(), "validation_failed");
    assert_eq!(short.body["errors"][0]["field"], "new_password");
    let ok = app
        .put(
            "/api/v1/me/password",
            &token,
            json!({"current_password": PASSWORD, "new_password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(me_status(&app, &token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_full("teacher1", "brand-new-pass").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failures_on_one_account_are_throttled() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app.login_full("guard1", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused for now, with Retry-After.
    let r = app.login_full("guard1", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_attempts");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60 + 1);
    // Other accounts are not affected.
    assert_eq!(
        app.login_full("teacher1", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled() {
    let app = spawn_app().await;
    // 20 failures spread over many usernames from the same address.
    for i in 0..20 {
        let r = app
            .login_full(&format!("nobody{i}"), "wrong-password")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.login_full("principal", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn anonymous_requests_get_401_problem() {
    let app = spawn_app().await;
    let r = app.request(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthenticated");
    let r = app
        .request(Method::GET, "/api/v1/me", Some("key:xak_not-a-key"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_api_key");
}

/// Issue 15 #7: the office cannot make itself (or anyone) principal, nor take over a
/// principal's account; a principal can; nobody removes the last office or principal.
#[tokio::test]
async fn office_cannot_bypass_the_principal() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let office_id = app.me("office").await["id"].as_str().unwrap().to_owned();
    let principal_id = app.me("principal").await["id"].as_str().unwrap().to_owned();
    let new_principal = json!({"username": "vice", "display_name": "副校长", "role": "principal", "password": "vice-password-1"});

    // The office creates no principal and promotes nobody, itself included.
    let r = app
        .post("/api/v1/users", &office, new_principal.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "principal_role_reserved");
    let guard_id = app.me("guard1").await["id"].as_str().unwrap().to_owned();
    for id in [&office_id, &guard_id] {
        let r = app
            .patch(
                &format!("/api/v1/users/{id}"),
                &office,
                json!({"role": "principal"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(r.code(), "principal_role_reserved");
    }
    // Nor changes a principal's password, role or active flag.
    for change in [
        json!({"password": "office-knows-it"}),
        json!({"role": "guard"}),
        json!({"is_active": false}),
    ] {
        let r = app
            .patch(&format!("/api/v1/users/{principal_id}"), &office, change)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(r.code(), "principal_account_protected");
    }
    // The principal signs in as before: nothing changed.
    let back = app
        .get(&format!("/api/v1/users/{principal_id}"), &office)
        .await;
    assert_eq!(back.body["role"], "principal", "{}", back.text);
    assert_eq!(back.body["is_active"], true);
    let back = app.get(&format!("/api/v1/users/{guard_id}"), &office).await;
    assert_eq!(back.body["role"], "guard", "{}", back.text);
    assert_eq!(
        app.login_full("principal", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login_full("office", PASSWORD).await.body["user"]["role"],
        "security_office"
    );

    // The last active principal cannot step down, even by its own hand.
    for change in [json!({"is_active": false}), json!({"role": "guard"})] {
        let r = app
            .patch(&format!("/api/v1/users/{principal_id}"), &principal, change)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.code(), "last_principal");
    }
    // Nor the last office, by the principal.
    let r = app
        .patch(
            &format!("/api/v1/users/{office_id}"),
            &principal,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "last_security_office");

    // A principal creates a principal; then one of the two may be disabled, by a principal.
    let r = app.post("/api/v1/users", &principal, new_principal).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let vice_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .patch(
            &format!("/api/v1/users/{vice_id}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.code(), "principal_account_protected");
    let r = app
        .patch(
            &format!("/api/v1/users/{vice_id}"),
            &principal,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The office still edits a principal's display name and phone (no credentials).
    let r = app
        .patch(
            &format!("/api/v1/users/{principal_id}"),
            &office,
            json!({"phone": "0512-12345678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A login as if relayed by a trusted proxy for `client`.
async fn login_from(app: &TestApp, client: &str, username: &str, password: &str) -> Resp {
    let req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", client)
        .json(&json!({"username": username, "password": password}));
    TestApp::finish(req).await
}

/// Issue 15 #10: the attempt is reserved before the password is hashed, so a burst of
/// parallel guesses evaluates at most the limit: 5 answer 401, every other one 429.
#[tokio::test]
async fn parallel_guesses_evaluate_at_most_the_limit() {
    let app = spawn_app().await;
    let app = &app;
    let guesses =
        (0..100).map(|i| async move { app.login_full("principal", &format!("guess-{i}")).await });
    let answers = futures_util::future::join_all(guesses).await;
    let evaluated = answers
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        evaluated <= 5,
        "{evaluated} passwords evaluated for a limit of 5"
    );
    assert_eq!(evaluated + refused, 100);
    // And the pair is locked now, even for the right password.
    let r = app.login_full("principal", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

    // The address limit (20) holds the same way over many accounts.
    let app = spawn_app().await;
    let app = &app;
    let guesses = (0..200).map(|i| async move {
        app.login_full(&format!("nobody{i}"), "wrong-password")
            .await
    });
    let answers = futures_util::future::join_all(guesses).await;
    let evaluated = answers
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        evaluated <= 20,
        "{evaluated} passwords evaluated for a limit of 20"
    );
    assert_eq!(
        answers
            .iter()
            .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        200 - evaluated
    );
}

/// Issue 15 #14 and issue 14: failures count per (account, address): a stranger's five wrong
/// guesses lock the stranger out, not the principal; the 429 says until when.
#[tokio::test]
async fn a_stranger_cannot_lock_the_principal_out() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..5 {
        let r = login_from(&app, "203.0.113.5", "principal", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let before = chrono::Utc::now();
    let r = login_from(&app, "203.0.113.5", "principal", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_attempts");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 14 * 60 && retry <= 15 * 60 + 1, "{retry}");
    let until = chrono::DateTime::parse_from_rfc3339(r.body["locked_until"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(until > before + chrono::Duration::minutes(14), "{until}");
    assert!(
        until <= chrono::Utc::now() + chrono::Duration::seconds(retry + 2),
        "{until}"
    );
    // The principal, on the principal's own phone, signs in.
    let r = login_from(&app, "198.51.100.7", "principal", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The address limit stays: 20 failures from one address lock that address for everyone.
    for i in 0..15 {
        let r = login_from(&app, "203.0.113.5", &format!("nobody{i}"), "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, "203.0.113.5", "teacher1", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body["locked_until"].is_string());
}

fn set_cookie(r: &Resp) -> String {
    let all: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].to_owned()
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.strip_prefix("xiaoan_refresh="))
        .expect("xiaoan_refresh cookie")
        .to_owned()
}

async fn refresh_with_cookie(app: &TestApp, value: &str) -> Resp {
    TestApp::finish(
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .header("Cookie", format!("theme=dark; xiaoan_refresh={value}"))
            .json(&json!({})),
    )
    .await
}

/// Issue 15 #16: the refresh token lives in an HttpOnly, Secure, SameSite=Strict cookie scoped
/// to `/api/v1/auth`; a cookie refresh answers with a new cookie and no token in the body.
#[tokio::test]
async fn the_refresh_token_lives_in_an_http_only_cookie() {
    let app = spawn_app().await;
    let r = app.login_full("guard1", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    let c = set_cookie(&r);
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=2592000",
    ] {
        assert!(c.split("; ").any(|a| a == attr), "{attr} missing: {c}");
    }
    let first = cookie_value(&c);
    assert_eq!(r.body["refresh_token"], first.as_str());

    // The SPA's refresh: `{}` and the cookie. The new token is in the cookie only.
    let r = refresh_with_cookie(&app, &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["access_token"].is_string());
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    let second = cookie_value(&set_cookie(&r));
    assert_ne!(second, first);
    let (status, _) = me_status(&app, r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    // The spent cookie is reuse: the session ends and the cookie is cleared.
    let r = refresh_with_cookie(&app, &first).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "refresh_token_reused");
    let cleared = set_cookie(&r);
    assert!(
        cleared.starts_with("xiaoan_refresh=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(
        refresh_with_cookie(&app, &second).await.status,
        StatusCode::UNAUTHORIZED
    );
    // No cookie and no body token: nothing to exchange.
    let r = app
        .request(Method::POST, "/api/v1/auth/refresh", None, Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "refresh_token_missing");

    // API clients keep the body: token in, token out, no cookie.
    let login = app.login_full("guard1", PASSWORD).await;
    let r = refresh(&app, login.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    assert!(r.headers.get("set-cookie").is_none());

    // Signing out clears the cookie.
    let token = r.body["access_token"].as_str().unwrap().to_owned();
    let r = app.post("/api/v1/auth/logout", &token, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let cleared = set_cookie(&r);
    assert!(
        cleared.starts_with("xiaoan_refresh=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert!(cleared.contains("Path=/api/v1/auth"), "{cleared}");
}

/// Issue 15 #16: the binary itself sends a Content-Security-Policy and the usual headers, for
/// the SPA, the API and Swagger UI (which gets its own, still strict, policy).
#[tokio::test]
async fn security_headers_are_sent_without_a_proxy() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/api/v1/me",
        "/api/health",
        "/swagger-ui/",
        "/api-docs/openapi.json",
    ] {
        let r = app.request(Method::GET, path, None, None).await;
        let h = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_owned()
        };
        let csp = h("content-security-policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.split("; ").any(|d| d.trim() == directive),
                "{path}: {directive} missing in {csp}"
            );
        }
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        let script_src = csp
            .split("; ")
            .find(|d| d.starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("x-frame-options"), "DENY");
        assert_eq!(h("referrer-policy"), "no-referrer");
        assert!(h("permissions-policy").contains("camera=(self)"));
    }
}
