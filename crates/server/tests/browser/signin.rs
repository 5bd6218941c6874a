//! Signing in (a wrong password first), the account page, signing out; and a session revoked
//! elsewhere sends the browser back to the sign-in page.

use remise_store::{Role, now_millis};

use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};
use crate::support::demo_user;

#[tokio::test]
async fn a_user_signs_in_after_a_wrong_password_and_signs_out() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        // A page of the back office sends to the sign-in form, in the browser's language.
        b.goto(c, &j.url("/office/account")).await.unwrap();
        b.wait_for_url(c, "/office/sign-in", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("signin", "form").await;

        let (email, password) = demo_user(Role::Marketer);
        b.fill(c, j.say("Adresse e-mail", "E-mail address"), email)
            .await
            .unwrap();
        b.fill(c, j.say("Mot de passe", "Password"), "not the password")
            .await
            .unwrap();
        b.click_button(c, j.say("Se connecter", "Sign in"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("mot de passe incorrect", "password is incorrect"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("signin", "error").await;

        b.fill(c, j.say("Mot de passe", "Password"), password)
            .await
            .unwrap();
        b.click_button(c, j.say("Se connecter", "Sign in"))
            .await
            .unwrap();
        // Back where the visitor was going.
        b.wait_for_url(c, "/office/account", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(c, "marketer@demo.remise.test", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("account", "page").await;

        j.open("/office").await;
        b.wait_for_text(
            c,
            j.say("Bonjour, Marc Marketeur", "Hello, Marc Marketeur"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("home", "marketer").await;

        j.sign_out().await;
        b.goto(c, &j.url("/office")).await.unwrap();
        b.wait_for_url(c, "/office/sign-in", DEFAULT_WAIT)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_revoked_session_sends_back_to_the_sign_in_page() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        j.sign_in(Role::Viewer).await;
        let viewer = j.app.user(Role::Viewer).await;
        j.app
            .store
            .revoke_user_sessions(&viewer.id, now_millis())
            .await
            .unwrap();
        j.browser
            .goto(&j.client, &j.url("/office/account"))
            .await
            .unwrap();
        j.browser
            .wait_for_url(&j.client, "/office/sign-in", DEFAULT_WAIT)
            .await
            .unwrap();
    }
}
