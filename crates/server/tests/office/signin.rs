//! Signing in and out, sessions, CSRF and languages.

use remise_store::{Actor, Role, now_millis};
use reqwest::StatusCode;
use reqwest::header;

use crate::support::{demo_user, set_cookie_line, spawn};

#[tokio::test]
async fn a_user_signs_in_sees_their_home_and_signs_out() {
    let app = spawn().await;
    let (email, password) = demo_user(Role::Marketer);
    // Unknown visitors are sent to the sign-in page, which remembers where they were going.
    let home = app
        .get(None, "/office/account?from=home")
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        home.headers()[header::LOCATION],
        "/office/sign-in?next=%2Foffice%2Faccount%3Ffrom%3Dhome"
    );

    let response = app.sign_in(email, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie_line(response.headers(), "remise_session").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/office"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let visitor = app.signed_in(email, password).await;
    let home = app.get(Some(&visitor), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Marc Marketeur"), "{html}");

    let out = app
        .post_form(Some(&visitor), "/office/sign-out", &[])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let home = app.get(Some(&visitor), "/office").send().await.unwrap();
    assert_eq!(
        home.status(),
        StatusCode::SEE_OTHER,
        "the session is revoked"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_tls() {
    let app = spawn().await;
    let form = app
        .client
        .get(app.url("/office/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let cookie = set_cookie_line(form.headers(), "remise_signin").unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_is_refused_then_attempts_are_limited() {
    let app = spawn().await;
    let (email, password) = demo_user(Role::Viewer);
    for _ in 0..5 {
        let response = app.sign_in(email, "not the password").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(set_cookie_line(response.headers(), "remise_session").is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains("mot de passe incorrect"), "{html}");
    }
    // The sixth attempt is refused even with the right password, for this e-mail only.
    let response = app.sign_in(email, password).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let (other, other_password) = demo_user(Role::Approver);
    assert_eq!(
        app.sign_in(other, other_password).await.status(),
        StatusCode::SEE_OTHER
    );
    // An unknown e-mail gets the same answer as a wrong password.
    let response = app.sign_in("nobody@demo.remise.test", password).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in() {
    let app = spawn().await;
    let (email, password) = demo_user(Role::Viewer);
    let user = app.user(Role::Viewer).await;
    app.store
        .set_active(&Actor("test".into()), &user.id, false, now_millis())
        .await
        .unwrap();
    assert_eq!(
        app.sign_in(email, password).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused() {
    let app = spawn().await;
    let visitor = app.visitor(Role::Marketer).await;
    let mut forged = visitor.clone();
    forged.csrf = "0".repeat(64);
    let response = app
        .post_form(
            Some(&forged),
            "/office/account/language",
            &[("language", "en")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Rechargez la page"), "{html}");
    let user = app.user(Role::Marketer).await;
    assert_eq!(
        app.store
            .get_user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .language,
        None
    );
    // Without any token at all.
    let response = app
        .client
        .post(app.url("/office/account/language"))
        .header(header::COOKIE, &visitor.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("language=en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The sign-in form too: its token must match its cookie.
    let response = app
        .client
        .post(app.url("/office/sign-in"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("email=a%40b.c&password=x&csrf=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // With the token (here as the header htmx sends), the same change goes through.
    let response = app
        .client
        .post(app.url("/office/account/language"))
        .header(header::COOKIE, &visitor.cookie)
        .header("x-csrf-token", &visitor.csrf)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("language=en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .get_user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .language
            .as_deref(),
        Some("en")
    );
}

#[tokio::test]
async fn pages_speak_the_users_language_or_the_browsers() {
    let app = spawn().await;
    let english = app
        .client
        .get(app.url("/office/sign-in"))
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("E-mail address"));
    let french = app
        .client
        .get(app.url("/office/sign-in"))
        .send()
        .await
        .unwrap();
    let french = french.text().await.unwrap();
    assert!(french.contains("<html lang=\"fr\">") && french.contains("Mot de passe"));

    // A user's choice wins over the browser's.
    let visitor = app.visitor(Role::Approver).await;
    let saved = app
        .post_form(
            Some(&visitor),
            "/office/account/language",
            &[("language", "en")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let account = app
        .get(Some(&visitor), "/office/account")
        .header(header::ACCEPT_LANGUAGE, "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("My account"), "{account}");
    let unknown = app
        .post_form(
            Some(&visitor),
            "/office/account/language",
            &[("language", "de")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_password_change_checks_the_current_one_and_ends_other_sessions() {
    let app = spawn().await;
    let (email, password) = demo_user(Role::Marketer);
    let other_browser = app.signed_in(email, password).await;
    let visitor = app.signed_in(email, password).await;
    let refused = app
        .post_form(
            Some(&visitor),
            "/office/account/password",
            &[
                ("current", "wrong one!"),
                ("new", "short"),
                ("confirm", "other"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for message in [
        "actuel est incorrect",
        "au moins 10 caractères",
        "ne correspond pas",
    ] {
        assert!(html.contains(message), "{message}: {html}");
    }
    let changed = app
        .post_form(
            Some(&visitor),
            "/office/account/password",
            &[
                ("current", password),
                ("new", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    // This browser got a new session; the other one is signed out.
    assert!(set_cookie_line(changed.headers(), "remise_session").is_some());
    let other = app
        .get(Some(&other_browser), "/office")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sign_in(email, password).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.sign_in(email, "a new long password").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_session_revoked_elsewhere_stops_working_at_once() {
    let app = spawn().await;
    let visitor = app.visitor(Role::Viewer).await;
    assert_eq!(
        app.get(Some(&visitor), "/office")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let user = app.user(Role::Viewer).await;
    app.store
        .revoke_user_sessions(&user.id, now_millis())
        .await
        .unwrap();
    assert_eq!(
        app.get(Some(&visitor), "/office")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn unknown_pages_get_the_back_offices_404() {
    let app = spawn().await;
    let visitor = app.visitor(Role::Viewer).await;
    let response = app
        .get(Some(&visitor), "/office/no/such/page")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let css = app
        .get(None, "/office/assets/office.css")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
}
