//! A marketer makes a "3 for 2" in a campaign through the promotion form: the offer type brings
//! its inputs (htmx), a field error shows next to its input, fixed, the promotion is saved and
//! its preview counts the targeted products.

use remise_store::{Kind, Role};
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

#[tokio::test]
async fn a_marketer_makes_a_three_for_two_after_fixing_a_field_error() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Marketer).await;

        j.open("/office/campaigns/lancement-marvel/promotions")
            .await;
        b.wait_for_text(c, "marvel-20", DEFAULT_WAIT).await.unwrap();
        j.check_screen("promotions", "list").await;

        b.click_link(c, j.say("Nouvelle promotion", "New promotion"))
            .await
            .unwrap();
        b.wait_for(c, "#promotion-form", DEFAULT_WAIT)
            .await
            .unwrap();
        // The preview loads once the page is shown (htmx).
        b.wait_for_text(
            c,
            j.say(
                "12 produits du catalogue sont ciblés",
                "12 catalog products are targeted",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("promotions", "new").await;

        let name = j.say("3 pour 2 figurines", "3 for 2 figures");
        b.fill(c, j.say("Nom", "Name"), name).await.unwrap();
        b.fill_within(c, "#g-targets", "Segments", "marvel")
            .await
            .unwrap();
        b.fill(
            c,
            j.say("Type d'offre", "Offer type"),
            j.say(
                "X achetés, Y offerts (3 pour 2…)",
                "Buy X, get Y (3 for 2…)",
            ),
        )
        .await
        .unwrap();
        // Choosing the type brings its inputs in place of the percentage's.
        b.wait_for(c, "#f-offer-buy_x_get_y-buy", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "7 produits du catalogue sont ciblés",
                "7 catalog products are targeted",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.fill(c, j.say("Articles achetés", "Items bought"), "2")
            .await
            .unwrap();
        b.fill(c, j.say("Articles récompensés", "Items rewarded"), "0")
            .await
            .unwrap();
        j.check_screen("promotions", "three-for-two").await;
        b.click_button(c, j.say("Enregistrer", "Save"))
            .await
            .unwrap();
        b.wait_for(c, "#e-f-offer-buy_x_get_y-get", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("doit valoir au moins 1", "must be at least 1"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        // The message at the top leads to the input to fix.
        b.click_link(
            c,
            j.say(
                "Aller au premier champ à corriger",
                "Go to the first field to fix",
            ),
        )
        .await
        .unwrap();
        b.wait_for_url(c, "#f-offer-buy_x_get_y-get", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("promotions", "field-error").await;
        let id = j.say("3-pour-2-figurines", "3-for-2-figures");
        assert!(
            j.app
                .store
                .get(Kind::Promotion, id)
                .await
                .unwrap()
                .is_none(),
            "nothing stored on error"
        );

        // What was typed is still there: only the wrong input changes.
        b.fill(c, j.say("Articles récompensés", "Items rewarded"), "1")
            .await
            .unwrap();
        b.click_button(c, j.say("Enregistrer", "Save"))
            .await
            .unwrap();
        b.wait_for_url(c, &format!("/office/promotions/{id}"), DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Promotion créée.", "Promotion created."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "7 produits du catalogue sont ciblés",
                "7 catalog products are targeted",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("promotions", "saved").await;
        c.execute(
            "document.getElementById('preview').scrollIntoView({block: 'start'})",
            vec![],
        )
        .await
        .unwrap();
        j.check_screen("promotions", "preview").await;
        let stored = j.app.store.get(Kind::Promotion, id).await.unwrap().unwrap();
        assert_eq!(stored.body["name"], name);
        assert_eq!(stored.body["campaign"], "lancement-marvel");
        assert_eq!(stored.body["offer"]["type"], "buy_x_get_y");
        assert_eq!(stored.body["offer"]["buy"], 2);
        assert_eq!(stored.body["offer"]["get"], 1);

        j.open("/office/campaigns/lancement-marvel/promotions")
            .await;
        b.wait_for_text(c, name, DEFAULT_WAIT).await.unwrap();
        j.check_screen("promotions", "list-after").await;
    }
}
