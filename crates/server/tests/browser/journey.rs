//! What every journey needs: a browser in one of the back office's languages, a server, and
//! signing in through the form.

use remise_store::Role;
use remise_test_support::browser::fantoccini::Client;
use remise_test_support::browser::{Browser, BrowserOptions, DEFAULT_WAIT};

use crate::support::{OfficeApp, demo_user, spawn};

/// The back office's languages as a browser announces them, and their short code for
/// screenshot names.
pub const LANGUAGES: [(&str, &str); 2] = [("fr-FR", "fr"), ("en-US", "en")];

/// A journey's browser and server. `None` when Chromium is missing and not required.
pub struct Journey {
    pub browser: Browser,
    pub client: Client,
    pub app: OfficeApp,
    /// `fr` or `en`.
    pub lang: &'static str,
}

impl Journey {
    pub async fn start(language: &'static str, lang: &'static str) -> Option<Journey> {
        let browser = Browser::start_with(BrowserOptions {
            language: language.to_owned(),
            ..BrowserOptions::default()
        })
        .await?;
        let client = browser.client();
        let app = spawn().await;
        Some(Journey {
            browser,
            client,
            app,
            lang,
        })
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// `fr` or `en` text, whichever this journey's language is.
    pub fn say<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        if self.lang == "fr" { fr } else { en }
    }

    /// Opens `path` and waits for its `<h1>`.
    pub async fn open(&self, path: &str) {
        self.browser
            .goto(&self.client, &self.url(path))
            .await
            .unwrap();
        self.browser
            .wait_for(&self.client, "h1", DEFAULT_WAIT)
            .await
            .unwrap();
    }

    /// Runs axe on the page shown and saves its screenshot as `<screen>-<lang>-<step>`.
    pub async fn check_screen(&self, screen: &str, step: &str) {
        let name = format!("{screen}-{}-{step}", self.lang);
        self.browser.axe(&self.client, &name).await.unwrap();
        self.browser.screenshot(&self.client, &name).await.unwrap();
    }

    /// Signs the demo user of `role` in through the form, from a fresh session.
    pub async fn sign_in(&self, role: Role) {
        let (email, password) = demo_user(role);
        self.sign_in_as(email, password).await;
    }

    pub async fn sign_in_as(&self, email: &str, password: &str) {
        self.browser
            .goto(&self.client, &self.url("/office/sign-in"))
            .await
            .unwrap();
        let b = &self.browser;
        b.fill(
            &self.client,
            self.say("Adresse e-mail", "E-mail address"),
            email,
        )
        .await
        .unwrap();
        b.fill(&self.client, self.say("Mot de passe", "Password"), password)
            .await
            .unwrap();
        b.click_button(&self.client, self.say("Se connecter", "Sign in"))
            .await
            .unwrap();
        b.wait_for(
            &self.client,
            "form[action='/office/sign-out']",
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.browser
            .click_button(&self.client, self.say("Se déconnecter", "Sign out"))
            .await
            .unwrap();
        self.browser
            .wait_for_url(&self.client, "/office/sign-in", DEFAULT_WAIT)
            .await
            .unwrap();
    }
}
