//! Users in a browser: an administrator invites someone with a generated password (shown once),
//! who signs in with it in another browser session; the administrator changes their role, then
//! signs them out everywhere, and their next page is the sign-in page. In French and in English,
//! axe on every screen, screenshots.

use remise_store::Role;
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

#[tokio::test]
async fn an_administrator_invites_a_user_then_revokes_their_sessions() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Administrator).await;
        j.open("/office/users").await;
        b.wait_for_text(c, "viewer@demo.remise.test", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("users", "list").await;

        // Invited with a generated password, after a wrong address.
        b.click_link(c, j.say("Inviter un utilisateur", "Invite a user"))
            .await
            .unwrap();
        b.wait_for(c, "#f-email", DEFAULT_WAIT).await.unwrap();
        j.check_screen("users", "form").await;
        let e_mail = j.say("Adresse e-mail", "E-mail address");
        b.fill(c, e_mail, "serge.demo.remise.test").await.unwrap();
        b.fill(c, j.say("Nom", "Name"), "Serge SEO").await.unwrap();
        b.fill(c, j.say("Rôle", "Role"), j.say("valideur", "approver"))
            .await
            .unwrap();
        b.click_button(c, j.say("Créer l'utilisateur", "Create the user"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Cette adresse e-mail n'est pas valide.",
                "This e-mail address is not valid.",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("users", "form-error").await;
        b.fill(c, e_mail, "serge@demo.remise.test").await.unwrap();
        b.click_button(c, j.say("Créer l'utilisateur", "Create the user"))
            .await
            .unwrap();
        let shown = b
            .wait_for(c, "#generated-password", DEFAULT_WAIT)
            .await
            .unwrap();
        let password = shown.text().await.unwrap();
        assert_eq!(password.len(), 16, "{password}");
        j.check_screen("users", "created").await;

        // The new user signs in elsewhere with it.
        let other = b.new_session().await.unwrap();
        b.goto(&other, &j.url("/office/sign-in")).await.unwrap();
        b.fill(&other, e_mail, "serge@demo.remise.test")
            .await
            .unwrap();
        b.fill(&other, j.say("Mot de passe", "Password"), &password)
            .await
            .unwrap();
        b.click_button(&other, j.say("Se connecter", "Sign in"))
            .await
            .unwrap();
        b.wait_for_text(
            &other,
            j.say("Bonjour, Serge SEO", "Hello, Serge SEO"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();

        // The administrator sees them signed in, changes their role, signs them out everywhere.
        b.click_link(c, j.say("Voir sa fiche", "Open their page"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Sessions ouvertes en ce moment : 1.",
                "Sessions open right now: 1.",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("users", "page").await;
        b.fill(c, j.say("Rôle", "Role"), j.say("marketeur", "marketer"))
            .await
            .unwrap();
        b.click_button(c, j.say("Changer le rôle", "Change the role"))
            .await
            .unwrap();
        b.wait_for_text(c, j.say("Rôle enregistré.", "Role saved."), DEFAULT_WAIT)
            .await
            .unwrap();
        b.click_button(c, j.say("Déconnecter partout", "Sign out everywhere"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Sessions fermées : 1.", "Sessions ended: 1."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("users", "revoked").await;

        // Their next page is the sign-in page.
        b.goto(&other, &j.url("/office/tasks")).await.unwrap();
        b.wait_for_url(&other, "/office/sign-in", DEFAULT_WAIT)
            .await
            .unwrap();
        let serge = j
            .app
            .store
            .find_user_by_email("serge@demo.remise.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(serge.role, Role::Marketer);

        // The administrator cannot leave the store without an administrator.
        let me = j.app.user(Role::Administrator).await;
        j.open(&format!("/office/users/{}", me.id)).await;
        b.click_button(c, j.say("Désactiver", "Deactivate"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "C'est le dernier administrateur actif",
                "This is the last active administrator",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("users", "last-admin").await;
    }
}
