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
    let wins = [&a, &b]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert!(wins <= 1, "both refreshes succeeded");
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
        (&guard_id, "guard1", json!({"role": "principal"})),
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
        assert_eq!(
            me_status(&app, &token).await.0,
            StatusCode::UNAUTHORIZED,
            "{change}"
        );
        assert_eq!(
            refresh(&app, &refresh_token).await.status,
            StatusCode::UNAUTHORIZED,
            "{change}"
        );
    }
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
