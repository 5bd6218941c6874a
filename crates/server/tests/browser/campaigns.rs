//! Campaigns and their approval in a browser: with approval required, a marketer looks at the
//! campaigns, their calendar and a landing page preview, creates a campaign (an amount that
//! does not read first, then fixed), submits it for approval; an approver finds the request,
//! sees what changes and approves it; the campaign is then live.

use remise_store::Role;
use remise_test_support::browser::DEFAULT_WAIT;
use reqwest::StatusCode;
use serde_json::json;

use crate::journey::{Journey, LANGUAGES};
use crate::support::OfficeApp;

/// Sets the store's `approval_required` through the management API, as an administrator would.
async fn require_approval(app: &OfficeApp) {
    let key = remise_server::demo::MANAGEMENT_KEY;
    let settings = app
        .client
        .get(app.url("/v1/settings"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let etag = settings.headers()["etag"].to_str().unwrap().to_owned();
    let response = app
        .client
        .patch(app.url("/v1/settings"))
        .bearer_auth(key)
        .header("if-match", etag)
        .json(&json!({"approval_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_marketer_creates_a_campaign_and_an_approver_approves_it() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        require_approval(&j.app).await;
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Marketer).await;

        j.open("/office/campaigns").await;
        b.wait_for_text(c, "Black Friday 2026", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("campaigns", "list").await;
        j.open("/office/campaigns/calendar?from=2026-11").await;
        b.wait_for_text(c, j.say("déc. 2026", "Dec 2026"), DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("campaigns", "calendar").await;
        j.open("/office/campaigns/lancement-marvel/landing?at=2026-12-02T10:00&channel=web")
            .await;
        b.wait_for_text(c, j.say("19,99", "19.99"), DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("campaigns", "landing").await;

        j.open("/office/campaigns").await;
        b.click_link(c, j.say("Nouvelle campagne", "New campaign"))
            .await
            .unwrap();
        b.wait_for_url(c, "/office/campaigns/new", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("campaigns", "form").await;
        let name = j.say("Soldes d'été", "Summer sale");
        b.fill(c, j.say("Nom", "Name"), name).await.unwrap();
        b.fill(c, j.say("Début", "Starts at"), "2027-06-24T08:00")
            .await
            .unwrap();
        b.fill(c, j.say("Fin", "Ends at"), "2027-07-21T20:00")
            .await
            .unwrap();
        b.fill(c, j.say("Canaux", "Channels"), "web, kiosk")
            .await
            .unwrap();
        b.fill(c, "Budget", j.say("beaucoup", "plenty"))
            .await
            .unwrap();
        b.click_button(c, j.say("Enregistrer", "Save"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Saisissez un montant", "Enter an amount"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("campaigns", "form-error").await;
        // What was typed is still there: only the amount is fixed.
        b.fill(c, "Budget", j.say("2 500,50", "2,500.50"))
            .await
            .unwrap();
        b.click_button(c, j.say("Enregistrer", "Save"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("La campagne a été enregistrée.", "The campaign was saved."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, j.say("500,50\u{a0}€", "€2,500.50"), DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("campaigns", "created").await;
        b.click_button(c, j.say("Soumettre à validation", "Submit for approval"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Les modifications ont été soumises à validation.",
                "The changes were submitted for approval.",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("campaigns", "submitted").await;
        j.sign_out().await;

        j.sign_in(Role::Approver).await;
        j.open("/office/approvals").await;
        b.wait_for_text(c, name, DEFAULT_WAIT).await.unwrap();
        j.check_screen("approval", "list").await;
        b.click_link(
            c,
            &format!(
                "{} {name}",
                j.say("Voir les modifications", "See the changes")
            ),
        )
        .await
        .unwrap();
        b.wait_for_text(c, j.say("Ce qui change", "What changes"), DEFAULT_WAIT)
            .await
            .unwrap();
        // The draft goes live: its status, field by field.
        let text = b.page_text(c).await.unwrap();
        let status = j.say("Brouillon\tActive", "Draft\tActive");
        assert!(text.contains(status), "{text}");
        j.check_screen("approval", "detail").await;
        b.fill(
            c,
            j.say("Commentaire (facultatif)", "Comment (optional)"),
            j.say("Parfait, on y va", "Looks good"),
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Valider et publier", "Approve and publish"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Validée : les modifications sont désormais appliquées.",
                "Approved: the changes are now served.",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("approval", "approved").await;
        b.click_link(c, j.say("Voir la campagne", "See the campaign"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Validée par Valérie Valideuse",
                "Approved by Valérie Valideuse",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        let text = b.page_text(c).await.unwrap();
        assert!(text.contains(&format!("{name} Active")), "{text}");
        j.check_screen("campaigns", "live").await;
    }
}
