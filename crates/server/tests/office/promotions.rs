//! Promotions in the back office: a campaign's list, the form (a "3 for 2" made through it,
//! errors next to their fields, nothing stored on error), the preview of the targeted products,
//! duplicate, delete and restore, and what a viewer may not do.

use remise_server::demo;
use remise_store::{Actor, Draft, Kind, ListQuery, Role};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::support::{OfficeApp, Visitor, hidden_field, spawn};

const CAMPAIGN: &str = "lancement-marvel";

async fn page(app: &OfficeApp, visitor: &Visitor, path: &str, lang: &str) -> (StatusCode, String) {
    let response = app
        .get(Some(visitor), path)
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post(
    app: &OfficeApp,
    visitor: &Visitor,
    path: &str,
    fields: &[(&str, &str)],
    lang: &str,
) -> reqwest::Response {
    app.post_form(Some(visitor), path, fields)
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The text of the error shown for the input `id` (its `<p class="error" id="e-…">`).
fn error_of(html: &str, input_id: &str) -> Option<String> {
    let marker = format!("<p class=\"error\" id=\"e-{input_id}\">");
    let at = html.find(&marker)? + marker.len();
    Some(html[at..at + html[at..].find("</p>")?].to_owned())
}

async fn stored(app: &OfficeApp, id: &str) -> Option<remise_store::Record> {
    app.store.get(Kind::Promotion, id).await.unwrap()
}

async fn campaign_count(app: &OfficeApp, campaign: &str) -> usize {
    let query = ListQuery {
        parent: Some(campaign.to_owned()),
        limit: 1000,
        ..ListQuery::default()
    };
    app.store.list(Kind::Promotion, &query).await.unwrap().len()
}

#[tokio::test]
async fn the_list_and_the_form_speak_french_and_english() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let list = format!("/office/campaigns/{CAMPAIGN}/promotions");
    let (status, fr) = page(&app, &marketer, &list, "fr").await;
    assert_eq!(status, StatusCode::OK, "{fr}");
    assert!(
        fr.contains("Promotions de Lancement de la gamme Marvel"),
        "{fr}"
    );
    assert!(fr.contains("20 % de remise"), "marvel-20's offer: {fr}");
    assert!(fr.contains("Nouvelle promotion"), "{fr}");
    assert!(fr.contains("href=\"/office/promotions/marvel-20\""), "{fr}");
    assert!(
        !fr.contains("black-friday-hasbro"),
        "another campaign's: {fr}"
    );
    let (_, en) = page(&app, &marketer, &list, "en").await;
    assert!(
        en.contains("Promotions of Lancement de la gamme Marvel"),
        "{en}"
    );
    assert!(en.contains("20% off"), "{en}");
    assert!(en.contains("Each item at €69.99"), "lego-prix-choc: {en}");

    let new = format!("/office/campaigns/{CAMPAIGN}/promotions/new");
    let (status, fr) = page(&app, &marketer, &new, "fr").await;
    assert_eq!(status, StatusCode::OK, "{fr}");
    for text in [
        "Nouvelle promotion",
        "Produits ciblés",
        "Type d&#39;offre",
        "X achetés, Y offerts",
        "Plage horaire 1",
        "Historique du client",
        "Enregistrer",
    ] {
        assert!(fr.contains(text), "{text}: {fr}");
    }
    // Without JavaScript every offer type's inputs are on the page.
    assert!(
        fr.contains("name=\"offer.bundle.slots[0].targets.skus\""),
        "{fr}"
    );
    assert!(
        fr.contains("name=\"offer.tiered.tiers[2].threshold\""),
        "{fr}"
    );
    let (_, en) = page(&app, &marketer, &new, "en").await;
    for text in [
        "New promotion",
        "Targeted products",
        "Offer type",
        "Buy X, get Y",
        "Save",
    ] {
        assert!(en.contains(text), "{text}: {en}");
    }
    let (status, _) = page(&app, &marketer, "/office/campaigns/nope/promotions", "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &marketer, "/office/promotions/nope", "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn three_for_two(get: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "3 pour 2 figurines".to_owned()),
        ("priority", "5".to_owned()),
        ("combination", "stackable".to_owned()),
        ("targets.segments", "marvel".to_owned()),
        ("offer.type", "buy_x_get_y".to_owned()),
        ("offer.buy_x_get_y.buy", "2".to_owned()),
        ("offer.buy_x_get_y.get", get.to_owned()),
        ("offer.buy_x_get_y.reward.type", "free".to_owned()),
        ("offer.buy_x_get_y.rewarded", "cheapest".to_owned()),
        // Another type's inputs, present without JavaScript, are ignored.
        ("offer.percent_off.percent", "abc".to_owned()),
        ("action", "save".to_owned()),
    ]
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_three_for_two_is_made_through_the_form_after_a_field_error() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let before = campaign_count(&app, CAMPAIGN).await;
    let create = format!("/office/campaigns/{CAMPAIGN}/promotions");

    // "Get 0": the engine refuses it; its message shows next to the input, in French.
    let wrong = three_for_two("0");
    let response = post(&app, &marketer, &create, &pairs(&wrong), "fr").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(
        error_of(&html, "f-offer-buy_x_get_y-get").as_deref(),
        Some("doit valoir au moins 1"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    // What was typed is kept.
    assert!(html.contains("value=\"3 pour 2 figurines\""), "{html}");
    assert!(stored(&app, "3-pour-2-figurines").await.is_none());
    assert_eq!(
        campaign_count(&app, CAMPAIGN).await,
        before,
        "nothing stored"
    );

    // In English, the engine's own words.
    let response = post(&app, &marketer, &create, &pairs(&wrong), "en").await;
    let html = response.text().await.unwrap();
    assert_eq!(
        error_of(&html, "f-offer-buy_x_get_y-get").as_deref(),
        Some("must be at least 1")
    );

    let right = three_for_two("1");
    let response = post(&app, &marketer, &create, &pairs(&right), "fr").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/office/promotions/3-pour-2-figurines?done=created"
    );
    let record = stored(&app, "3-pour-2-figurines").await.unwrap();
    assert_eq!(record.parent.as_deref(), Some(CAMPAIGN));
    assert_eq!(record.body["offer"]["type"], "buy_x_get_y");
    assert_eq!(record.body["offer"]["buy"], 2);
    assert_eq!(record.body["offer"]["get"], 1);
    assert_eq!(record.body["targets"]["segments"], json!(["marvel"]));
    assert_eq!(record.body["priority"], 5);
    // The audit log names the user.
    let audit = app
        .store
        .audit(&remise_store::AuditQuery {
            entity: Some("promotion".into()),
            entity_id: Some("3-pour-2-figurines".into()),
            limit: 10,
            ..remise_store::AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "user:marketer@demo.remise.test"),
        "{audit:?}"
    );

    // The shop gets it: three figurines, the cheapest free.
    let cart = json!({
        "at": "2026-12-10T10:00:00+01:00",
        "lines": [{"sku": "FIG-CAPTAIN", "quantity": 3}]
    });
    let quote: Value = app
        .client
        .post(app.url("/v1/carts/evaluate"))
        .bearer_auth(demo::STOREFRONT_KEY)
        .json(&cart)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outcome = quote["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "3-pour-2-figurines")
        .unwrap_or_else(|| panic!("{quote}"));
    assert_eq!(outcome["status"], "applied", "{quote}");

    // The page it was sent to shows it, with a notice.
    let (status, html) = page(
        &app,
        &marketer,
        "/office/promotions/3-pour-2-figurines?done=created",
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Promotion créée."), "{html}");
    assert!(
        html.contains("<option value=\"buy_x_get_y\" selected>"),
        "{html}"
    );
}

#[tokio::test]
async fn locale_amounts_and_unreadable_inputs() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let create = format!("/office/campaigns/{CAMPAIGN}/promotions");
    let fields = [
        ("name", "Piles à moitié prix"),
        ("id", "piles"),
        ("targets.skus", "PILES-AA"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "12,5"),
        ("conditions.min_cart_amount", "1 234,50 €"),
    ];
    let response = post(&app, &marketer, &create, &fields, "fr").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let body = stored(&app, "piles").await.unwrap().body;
    assert_eq!(body["offer"]["percent"], json!("12.5"));
    assert_eq!(body["conditions"]["min_cart_amount"], json!("1234.50"));

    // An amount that does not read, a count that is not whole: errors next to them, nothing
    // stored; the id taken is said next to the id.
    let fields = [
        ("name", "Cassée"),
        ("id", "piles"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "douze"),
        ("conditions.min_quantity", "2,5"),
        ("validity.windows[1].from", "18:00"),
        ("validity.windows[1].to", "18:00"),
    ];
    let response = post(&app, &marketer, &create, &fields, "fr").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(
        error_of(&html, "f-offer-percent_off-percent").as_deref(),
        Some("Ce n&#39;est pas un nombre (par exemple 12,50)."),
        "{html}"
    );
    assert!(
        error_of(&html, "f-conditions-min_quantity").is_some(),
        "{html}"
    );
    assert!(error_of(&html, "f-id").is_some(), "{html}");
    // The engine's error on the second window row (the first was empty) is on that row.
    assert!(
        html.contains("la plage horaire est vide"),
        "the window's error: {html}"
    );
    let row = html.find("id=\"g-validity-windows-1\"").unwrap();
    let message = html.find("la plage horaire est vide").unwrap();
    assert!(message > row, "shown in the second row's group");
    assert_eq!(
        stored(&app, "piles").await.unwrap().body["name"],
        "Piles à moitié prix"
    );
}

#[tokio::test]
async fn the_preview_counts_the_targeted_products_and_prices_them() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let marketer = app.visitor(Role::Marketer).await;
    let preview = "/office/promotion-form/preview?campaign=permanent";
    // Marvel holds seven products; less LEGO, six.
    let fields = [
        ("targets.segments", "marvel"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "10"),
    ];
    let html = post(&app, &marketer, preview, &fields, "fr")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("7 produits du catalogue sont ciblés"),
        "{html}"
    );
    let fields = [
        ("targets.segments", "marvel"),
        ("exclude.brands", "LEGO"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "10"),
    ];
    let html = post(&app, &marketer, preview, &fields, "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("6 catalog products are targeted"), "{html}");
    assert!(!html.contains("LEGO-AVENGERS"), "{html}");

    // Prices before and after: batteries at 5.99, half price 2.99 (the discount is rounded:
    // 2.995 → 3.00 off), in a campaign without dates.
    let fields = [
        ("targets.skus", "PILES-AA"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "50"),
    ];
    let response = post(&app, &viewer, preview, &fields, "fr").await;
    assert_eq!(response.status(), StatusCode::OK, "every role may preview");
    let html = response.text().await.unwrap();
    assert!(html.contains("1 produit du catalogue est ciblé."), "{html}");
    assert!(html.contains("5,99\u{a0}€"), "{html}");
    assert!(html.contains("2,99\u{a0}€"), "{html}");
    assert!(html.contains("-3,00\u{a0}€"), "{html}");

    // A cart promotion does not change catalog prices, and says so.
    let fields = [
        ("targets.skus", "PILES-AA"),
        ("offer.type", "buy_x_get_y"),
        ("offer.buy_x_get_y.buy", "2"),
        ("offer.buy_x_get_y.get", "1"),
    ];
    let html = post(&app, &marketer, preview, &fields, "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("acts in the cart"), "{html}");

    // A promotion that does not compile: its problems instead of a count.
    let fields = [
        ("targets.segments", "nowhere"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "10"),
    ];
    let html = post(&app, &marketer, preview, &fields, "fr")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("segment « nowhere » inconnu"), "{html}");
    assert!(!html.contains("sont ciblés"), "{html}");
    // An offer half filled in: the products are counted all the same, its problem listed.
    let fields = [
        ("targets.segments", "marvel"),
        ("offer.type", "buy_x_get_y"),
        ("offer.buy_x_get_y.buy", "2"),
        ("offer.buy_x_get_y.get", "0"),
    ];
    let html = post(&app, &marketer, preview, &fields, "fr")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("7 produits du catalogue sont ciblés"),
        "{html}"
    );
    assert!(
        html.contains("offer.get : doit valoir au moins 1"),
        "{html}"
    );

    // The form's preview button (without JavaScript) shows it in the page, saving nothing.
    let create = format!("/office/campaigns/{CAMPAIGN}/promotions");
    let fields = [
        ("name", "Aperçu"),
        ("targets.brands", "Hasbro"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "10"),
        ("action", "preview"),
    ];
    let response = post(&app, &marketer, &create, &fields, "fr").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("6 produits du catalogue sont ciblés"),
        "{html}"
    );
    assert!(stored(&app, "apercu").await.is_none());
}

#[tokio::test]
async fn the_offer_type_brings_its_inputs() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let fields = [
        ("offer.type", "bundle"),
        ("offer.bundle.slots[0].targets.skus", "MUG"),
    ];
    let response = post(
        &app,
        &marketer,
        "/office/promotion-form/offer",
        &fields,
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Élément 1 du lot"), "{html}");
    assert!(
        html.contains("value=\"MUG\""),
        "the value typed is kept: {html}"
    );
    assert!(!html.contains("offer.percent_off"), "{html}");
}

#[tokio::test]
async fn edit_duplicate_delete_and_restore() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let (status, html) = page(&app, &marketer, "/office/promotions/marvel-20", "fr").await;
    assert_eq!(status, StatusCode::OK);
    let version = hidden_field(&html, "version").unwrap();
    assert!(html.contains("value=\"20\""), "{html}");

    // Saved with a new percentage: the rest of the promotion stays as it was.
    let before = stored(&app, "marvel-20").await.unwrap();
    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20",
        &[
            ("version", &version),
            ("name", before.body["name"].as_str().unwrap()),
            ("priority", &before.body["priority"].to_string()),
            ("targets.segments", "marvel"),
            ("offer.type", "percent_off"),
            ("offer.percent_off.percent", "25"),
        ],
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = stored(&app, "marvel-20").await.unwrap();
    assert_eq!(after.body["offer"]["percent"], json!("25"));
    assert_eq!(after.body["campaign"], CAMPAIGN);
    assert_eq!(after.version, before.version + 1);
    // The same form again is stale: refused, nothing overwritten.
    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20",
        &[
            ("version", &version),
            ("name", "Old"),
            ("offer.type", "percent_off"),
            ("offer.percent_off.percent", "30"),
        ],
        "en",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Someone saved this promotion")
    );
    assert_eq!(
        stored(&app, "marvel-20").await.unwrap().body["offer"]["percent"],
        json!("25")
    );

    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20/duplicate",
        &[],
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/office/promotions/marvel-20-copy?done=duplicated"
    );
    let copy = stored(&app, "marvel-20-copy").await.unwrap();
    assert_eq!(copy.parent.as_deref(), Some(CAMPAIGN));
    assert!(
        copy.body["name"].as_str().unwrap().starts_with("Copie de "),
        "{}",
        copy.body
    );
    assert_eq!(copy.body["offer"], after.body["offer"]);
    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20/duplicate",
        &[],
        "fr",
    )
    .await;
    assert_eq!(
        location(&response),
        "/office/promotions/marvel-20-copy-2?done=duplicated"
    );

    let version = copy.version.to_string();
    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20-copy/delete",
        &[("version", &version)],
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/office/campaigns/{CAMPAIGN}/promotions?done=deleted")
    );
    assert!(
        stored(&app, "marvel-20-copy")
            .await
            .unwrap()
            .deleted_at
            .is_some()
    );
    let (status, _) = page(&app, &marketer, "/office/promotions/marvel-20-copy", "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted");
    let (_, live) = page(
        &app,
        &marketer,
        &format!("/office/campaigns/{CAMPAIGN}/promotions"),
        "fr",
    )
    .await;
    assert!(!live.contains("(marvel-20-copy)"), "{live}");
    let (_, deleted) = page(
        &app,
        &marketer,
        &format!("/office/campaigns/{CAMPAIGN}/promotions?deleted=1"),
        "fr",
    )
    .await;
    assert!(deleted.contains("(marvel-20-copy)"), "{deleted}");
    assert!(
        deleted.contains("action=\"/office/promotions/marvel-20-copy/restore\""),
        "{deleted}"
    );

    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20-copy/restore",
        &[],
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        stored(&app, "marvel-20-copy")
            .await
            .unwrap()
            .deleted_at
            .is_none()
    );
    let response = post(
        &app,
        &marketer,
        "/office/promotions/marvel-20-copy/restore",
        &[],
        "fr",
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "not deleted any more"
    );
}

#[tokio::test]
async fn a_viewer_reads_and_a_forged_post_is_refused() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, html) = page(&app, &viewer, "/office/promotions/marvel-20", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Votre rôle vous permet de consulter"),
        "{html}"
    );
    assert!(!html.contains(">Enregistrer<"), "{html}");
    assert!(!html.contains(">Supprimer<"), "{html}");
    assert!(html.contains("readonly"), "{html}");
    assert!(
        html.contains("?promotion=marvel-20"),
        "the stored one's preview: {html}"
    );
    let (_, list) = page(
        &app,
        &viewer,
        &format!("/office/campaigns/{CAMPAIGN}/promotions"),
        "fr",
    )
    .await;
    assert!(!list.contains("Nouvelle promotion"), "{list}");
    let (status, _) = page(
        &app,
        &viewer,
        &format!("/office/campaigns/{CAMPAIGN}/promotions/new"),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let before = stored(&app, "marvel-20").await.unwrap();
    for path in [
        "/office/promotions/marvel-20",
        "/office/promotions/marvel-20/delete",
        "/office/promotions/marvel-20/duplicate",
    ] {
        let response = post(
            &app,
            &viewer,
            path,
            &[
                ("version", &before.version.to_string()),
                ("offer.type", "percent_off"),
                ("offer.percent_off.percent", "90"),
            ],
            "fr",
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = post(
        &app,
        &viewer,
        &format!("/office/campaigns/{CAMPAIGN}/promotions"),
        &three_for_two("1")
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, "marvel-20").await.unwrap(), before);
    assert!(stored(&app, "marvel-20-copy").await.is_none());
    assert!(stored(&app, "3-pour-2-figurines").await.is_none());

    // The stored promotion's preview, for a role whose inputs are not sent.
    let response = post(
        &app,
        &viewer,
        "/office/promotion-form/preview?promotion=marvel-20",
        &[],
        "fr",
    )
    .await;
    let html = response.text().await.unwrap();
    // Marvel's seven products but the poster it excludes.
    assert!(
        html.contains("6 produits du catalogue sont ciblés"),
        "{html}"
    );
}

#[tokio::test]
async fn the_list_is_paged_by_fifty() {
    let app = spawn().await;
    let drafts = (0..60)
        .map(|i| Draft {
            id: format!("bulk-{i:03}"),
            body: json!({"id": format!("bulk-{i:03}"), "name": format!("Bulk {i}"),
                "campaign": "black-friday-2026",
                "offer": {"type": "percent_off", "percent": i % 50}}),
            parent: Some("black-friday-2026".to_owned()),
            status: None,
        })
        .collect();
    app.store
        .upsert_many(&Actor("test".into()), Kind::Promotion, drafts)
        .await
        .unwrap();
    let marketer = app.visitor(Role::Marketer).await;
    let (status, first) = page(
        &app,
        &marketer,
        "/office/campaigns/black-friday-2026/promotions",
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // black-friday-hasbro and bulk-000…048: 50 rows, then the next page after bulk-048.
    assert_eq!(first.matches("<tr>").count(), 51, "header and 50 rows");
    assert!(first.contains("(black-friday-hasbro)"), "{first}");
    assert!(first.contains("(bulk-048)"));
    assert!(!first.contains("(bulk-049)"));
    assert!(
        first.contains("promotions?after=bulk-048\">Next page"),
        "{first}"
    );
    let (_, second) = page(
        &app,
        &marketer,
        "/office/campaigns/black-friday-2026/promotions?after=bulk-048",
        "en",
    )
    .await;
    assert_eq!(second.matches("<tr>").count(), 12, "header and 11 rows");
    assert!(second.contains("(bulk-059)"));
    assert!(!second.contains("Next page"));
}

/// With `approval_required`, a live campaign's promotions change through its change request:
/// the form keeps what was proposed (a new promotion, a change, a deletion) while the approved
/// version is served, and an approver's decision serves it.
#[tokio::test]
async fn under_approval_changes_wait_in_the_campaigns_request() {
    let app = spawn().await;
    let settings = app
        .client
        .get(app.url("/v1/settings"))
        .bearer_auth(demo::MANAGEMENT_KEY)
        .send()
        .await
        .unwrap();
    let etag = settings.headers()["etag"].to_str().unwrap().to_owned();
    let response = app
        .client
        .patch(app.url("/v1/settings"))
        .bearer_auth(demo::MANAGEMENT_KEY)
        .header("if-match", etag)
        .json(&json!({"approval_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let marketer = app.visitor(Role::Marketer).await;

    // A new promotion: proposed, not stored; its page finds it through its campaign.
    let create = format!("/office/campaigns/{CAMPAIGN}/promotions");
    let right = three_for_two("1");
    let response = post(&app, &marketer, &create, &pairs(&right), "fr").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let proposed_page = location(&response);
    assert_eq!(
        proposed_page,
        format!("/office/promotions/3-pour-2-figurines?campaign={CAMPAIGN}&done=proposed")
    );
    assert!(stored(&app, "3-pour-2-figurines").await.is_none());
    let (status, html) = page(&app, &marketer, &proposed_page, "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Enregistré dans la demande de validation"),
        "{html}"
    );
    assert!(html.contains("n&#39;existe que dans la demande"), "{html}");
    assert!(html.contains("value=\"3 pour 2 figurines\""), "{html}");
    let version = hidden_field(&html, "version").unwrap();
    assert_eq!(version, "0", "a promotion only the request creates");

    // Changed again from the proposal: still one proposal.
    let mut again = three_for_two("2");
    again.push(("version", version.clone()));
    let response = post(
        &app,
        &marketer,
        &format!("/office/promotions/3-pour-2-figurines?campaign={CAMPAIGN}"),
        &pairs(&again),
        "fr",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A served promotion changed: the form shows the proposal, the shop the approved one.
    let (_, html) = page(&app, &marketer, "/office/promotions/marvel-20", "fr").await;
    let version = hidden_field(&html, "version").unwrap();
    let response = post(
        &app,
        &marketer,
        &format!("/office/promotions/marvel-20?campaign={CAMPAIGN}"),
        &[
            ("version", &version),
            ("name", "Marvel -30 %"),
            ("targets.segments", "marvel"),
            ("offer.type", "percent_off"),
            ("offer.percent_off.percent", "30"),
        ],
        "en",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, "marvel-20").await.unwrap().body["offer"]["percent"],
        json!("20")
    );
    let (_, html) = page(&app, &marketer, "/office/promotions/marvel-20", "en").await;
    assert!(html.contains("A change of this promotion waits"), "{html}");
    assert!(html.contains("value=\"Marvel -30 %\""), "{html}");

    // The list shows what the request proposes.
    let (_, list) = page(&app, &marketer, &create, "en").await;
    assert!(list.contains("Waiting for approval"), "{list}");
    assert!(list.contains("(3-pour-2-figurines)"), "{list}");
    let at = list
        .find("Promotions proposed in the change request")
        .unwrap();
    assert!(
        list[at..].contains("Creation") && list[at..].contains("Change"),
        "{list}"
    );

    // Submitted and approved by an approver: stored and served.
    let submit = app
        .post_form(
            Some(&marketer),
            &format!("/office/campaigns/{CAMPAIGN}/submit"),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(submit.status(), StatusCode::SEE_OTHER);
    let request = app
        .store
        .current_change_request(CAMPAIGN)
        .await
        .unwrap()
        .unwrap();
    let approver = app.visitor(Role::Approver).await;
    let approve = app
        .post_form(
            Some(&approver),
            &format!("/office/approvals/{}/approve", request.id),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::SEE_OTHER);
    let created = stored(&app, "3-pour-2-figurines").await.unwrap();
    assert_eq!(created.body["offer"]["get"], 2);
    assert_eq!(
        stored(&app, "marvel-20").await.unwrap().body["offer"]["percent"],
        json!("30")
    );
}
