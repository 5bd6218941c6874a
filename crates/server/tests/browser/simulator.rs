//! The cart simulator, the audit log and the home page in the browser: a cart built with the
//! product search (htmx) and the form, its discount and a rejected promotion's reason; the audit
//! log filtered by entity.

use remise_store::Role;
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

#[tokio::test]
async fn a_simulated_cart_shows_its_discount_and_why_a_promotion_did_not_apply() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Viewer).await;
        j.open("/office").await;
        j.check_screen("home", "viewer").await;
        j.open("/office/simulator").await;
        j.check_screen("simulator", "form").await;

        // Find the figurine, ask for two, add it to the cart (htmx).
        b.fill(
            c,
            j.say(
                "Rechercher un produit (référence ou nom)",
                "Search for a product (SKU or name)",
            ),
            "spider",
        )
        .await
        .unwrap();
        b.wait_for(c, "#sim-results input[name=add_qty]", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(c, "Figurine Spider-Man Titan Hero 30 cm", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("simulator", "search").await;
        b.fill_within(
            c,
            "#sim-results",
            j.say("Quantité de FIG-SPIDERMAN", "Quantity of FIG-SPIDERMAN"),
            "2",
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Ajouter FIG-SPIDERMAN", "Add FIG-SPIDERMAN"))
            .await
            .unwrap();
        b.wait_for(
            c,
            "#sim-lines input[name=sku][value=FIG-SPIDERMAN]",
            DEFAULT_WAIT,
        )
        .await
        .unwrap();

        // The moment, the shipping offered, and simulate.
        b.fill(
            c,
            j.say(
                "Date et heure (Europe/Paris)",
                "Date and time (Europe/Paris)",
            ),
            "2026-12-05T14:30",
        )
        .await
        .unwrap();
        b.fill(c, j.say("Canal de vente", "Sales channel"), "web")
            .await
            .unwrap();
        b.fill(
            c,
            j.say("Options de livraison proposées", "Shipping options offered"),
            "standard 4,90 20",
        )
        .await
        .unwrap();
        b.fill(
            c,
            j.say("Mode de livraison choisi", "Shipping method chosen"),
            "standard",
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Simuler", "Simulate"))
            .await
            .unwrap();
        b.wait_for(c, "#sim-grand-total", DEFAULT_WAIT)
            .await
            .unwrap();
        // The Marvel launch takes 20 % off each figurine (2 × 24.99 = 49.98, less 10.00).
        b.wait_for_text(
            c,
            "Lancement Marvel : -20 % sur le segment Marvel",
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, j.say("−10,00", "−€10.00"), DEFAULT_WAIT)
            .await
            .unwrap();
        // Free shipping from 50 €: the cart at catalog prices is 39.98.
        b.wait_for_text(
            c,
            j.say("montant du panier 39,98", "cart amount €39.98 < €50.00"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, j.say("non appliquée", "not applied"), DEFAULT_WAIT)
            .await
            .unwrap();
        // The simulation is a URL: it can be shared.
        let url = b.current_url(c).await.unwrap();
        assert!(
            url.contains("sku=FIG-SPIDERMAN") && url.contains("qty=2"),
            "{url}"
        );
        j.check_screen("simulator", "result").await;
    }
}

#[tokio::test]
async fn the_audit_log_is_filtered_by_entity() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Approver).await;
        j.open("/office/audit").await;
        j.check_screen("audit", "list").await;
        b.fill(
            c,
            j.say("Type d'élément", "Kind of item"),
            j.say("Campagne", "Campaign"),
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Filtrer", "Filter")).await.unwrap();
        b.wait_for_url(c, "entity=campaign", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Campagne lancement-marvel", "Campaign lancement-marvel"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        let text = b.page_text(c).await.unwrap();
        assert!(
            !text.contains(j.say("Produit FIG-", "Product FIG-")),
            "{text}"
        );
        j.check_screen("audit", "filtered").await;
    }
}
