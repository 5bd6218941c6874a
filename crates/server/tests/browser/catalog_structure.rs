//! The catalog's structure in a browser: a marketer creates a segment then moves it; creates a
//! filter selection and sees the live preview's count change as the filter does (htmx); the
//! tags page. In French and in English, axe on every screen, screenshots.

use remise_store::Role;
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

#[tokio::test]
async fn a_marketer_creates_a_segment_and_moves_it() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Marketer).await;
        j.open("/office/segments").await;
        j.check_screen("segments", "tree").await;
        b.fill(c, j.say("Nom", "Name"), "Avengers").await.unwrap();
        b.fill(
            c,
            j.say("Segment parent", "Parent segment"),
            "Jeux de société",
        )
        .await
        .unwrap();
        b.fill(c, j.say("Mots clés", "Keywords"), "Iron Man, Hulk")
            .await
            .unwrap();
        b.click_button(c, j.say("Créer le segment", "Create the segment"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Le segment a été créé.", "The segment was created."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, "Iron Man, Hulk", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("segments", "created").await;

        b.fill(
            c,
            j.say("Nouveau segment parent", "New parent segment"),
            "— Marvel",
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Déplacer le segment", "Move the segment"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Le segment a été déplacé.", "The segment was moved."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        // The breadcrumb now goes through Superhéros › Marvel.
        b.wait_for_text(c, "Superhéros", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("segments", "moved").await;
        let stored = j
            .app
            .store
            .get(remise_store::Kind::Segment, "avengers")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.body["parent"], "marvel");
    }
}

#[tokio::test]
async fn a_marketer_creates_a_filter_selection_and_sees_its_preview_change() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Marketer).await;
        j.open("/office/selections").await;
        j.check_screen("selections", "list").await;
        j.open("/office/selections/new").await;
        b.wait_for_text(
            c,
            j.say(
                "Indiquez au moins un critère",
                "Give at least one criterion",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.fill(c, j.say("Nom", "Name"), "Hasbro petits prix")
            .await
            .unwrap();
        b.fill(c, j.say("Marques", "Brands"), "Hasbro")
            .await
            .unwrap();
        // Six Hasbro products in the demo, then only those up to 24.99: four.
        let count = |n: usize| {
            if lang == "fr" {
                format!("Produits correspondants : {n}")
            } else {
                format!("Matching products: {n}")
            }
        };
        b.wait_for_text(c, &count(6), DEFAULT_WAIT).await.unwrap();
        j.check_screen("selections", "preview").await;
        b.fill(
            c,
            j.say("Prix catalogue maximum", "Highest list price"),
            "24.99",
        )
        .await
        .unwrap();
        b.wait_for_text(c, &count(4), DEFAULT_WAIT).await.unwrap();
        j.check_screen("selections", "preview-narrowed").await;
        b.click_button(c, j.say("Créer la sélection", "Create the selection"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("La sélection a été créée.", "The selection was created."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, &count(4), DEFAULT_WAIT).await.unwrap();
        j.check_screen("selections", "created").await;

        j.open("/office/tags").await;
        b.wait_for_text(c, "exclu web", DEFAULT_WAIT).await.unwrap();
        j.check_screen("tags", "list").await;
    }
}
