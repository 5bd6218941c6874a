//! Selections: both languages, a saved filter with its preview (the htmx fragment and the
//! no-JavaScript button), field errors, hand-picked products added and removed, pagination,
//! deletion, a viewer's forged POST refused.

use remise_store::{Kind, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{OfficeApp, spawn};

async fn stored(app: &OfficeApp, id: &str) -> Option<(Value, i64)> {
    app.store
        .get(Kind::Selection, id)
        .await
        .unwrap()
        .filter(|r| r.deleted_at.is_none())
        .map(|r| (r.body, r.version))
}

#[tokio::test]
async fn the_list_and_a_filter_selection_show_in_both_languages() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let page = app
        .get(Some(&viewer), "/office/selections")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Univers Spider-Man") && page.contains("Marques : Hasbro"));
    assert!(
        !page.contains("Nouvelle sélection"),
        "a viewer cannot create"
    );
    // The demo's filter selection: every Hasbro product, with its list price.
    let page = app
        .get(Some(&viewer), "/office/selections/hasbro")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Produits correspondants : 6"), "{page}");
    assert!(page.contains("FIG-SPIDERMAN") && page.contains("24,99\u{a0}€"));
    let marketer = app.visitor(Role::Marketer).await;
    app.post_form(
        Some(&marketer),
        "/office/account/language",
        &[("language", "en")],
    )
    .send()
    .await
    .unwrap();
    let page = app
        .get(Some(&marketer), "/office/selections/hasbro")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Matching products: 6") && page.contains("€24.99"));
    assert!(page.contains("Saved filter") && page.contains("Delete the selection"));
    let missing = app
        .get(Some(&marketer), "/office/selections/no-such")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_preview_follows_the_filter_without_saving_anything() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    // The htmx fragment, as the form sends it on every change.
    let fragment = |query: &str| {
        app.get(
            Some(&marketer),
            &format!("/office/selections/preview?{query}"),
        )
        .header("hx-request", "true")
        .send()
    };
    let all_hasbro = fragment("brands=Hasbro")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        all_hasbro.contains("Produits correspondants : 6"),
        "{all_hasbro}"
    );
    assert!(!all_hasbro.contains("<html"), "a fragment, not a page");
    let cheaper = fragment("brands=Hasbro&max_price=20%2C00")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |html: &str| {
        let at = html.find("Produits correspondants : ").unwrap() + 26;
        html[at..]
            .split('<')
            .next()
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    assert!(count(&cheaper) < 6, "{cheaper}");
    let marvel = fragment("segments=superheros&brands=Hasbro")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(marvel.contains("FIG-SPIDERMAN"));
    let bad = fragment("min_price=douze")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("Indiquez un montant"), "{bad}");
    let empty = fragment("").await.unwrap().text().await.unwrap();
    assert!(empty.contains("Indiquez au moins un critère"));
    // Without JavaScript: the form's "Preview" button answers the page with the preview.
    let before = crate::support::count(app.store.as_ref(), Kind::Selection).await;
    let previewed = app
        .post_form(
            Some(&marketer),
            "/office/selections",
            &[("name", "Essai"), ("brands", "Hasbro"), ("preview", "1")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(previewed.status(), StatusCode::OK);
    assert!(
        previewed
            .text()
            .await
            .unwrap()
            .contains("Produits correspondants : 6")
    );
    assert_eq!(
        crate::support::count(app.store.as_ref(), Kind::Selection).await,
        before
    );
}

#[tokio::test]
async fn a_filter_selection_is_created_then_reaches_its_products_and_errors_name_their_field() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let refused = app
        .post_form(
            Some(&marketer),
            "/office/selections",
            &[
                ("name", ""),
                ("min_price", "30"),
                ("max_price", "10"),
                ("attributes", "licence"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"id="e-name""#));
    assert!(page.contains(r#"id="e-attributes""#) && page.contains("Écrivez nom=valeur"));
    // The price range upside down comes from the engine's check, next to the maximum.
    let refused = app
        .post_form(
            Some(&marketer),
            "/office/selections",
            &[
                ("name", "À l'envers"),
                ("min_price", "30"),
                ("max_price", "10"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"id="e-max_price""#), "{page}");
    assert!(page.contains("est inférieur au prix minimum"), "{page}");
    assert!(stored(&app, "a-l-envers").await.is_none());

    let created = app
        .post_form(
            Some(&marketer),
            "/office/selections",
            &[
                ("name", "Figurines Spider-Man"),
                ("segments", "superheros"),
                ("attributes", "licence=Spider-Man"),
                ("min_price", "10,00"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let (body, _) = stored(&app, "figurines-spider-man").await.unwrap();
    assert_eq!(
        body["filter"],
        json!({ "segments": ["superheros"], "attributes": { "licence": "Spider-Man" }, "min_price": "10.00" })
    );
    // A promotion on the selection reaches the filter's products at once.
    let promotion = json!({ "id": "spider-5", "targets": { "selections": ["figurines-spider-man"] },
        "offer": { "type": "amount_off_each", "amount": "5.00" } });
    let response = app
        .client
        .post(app.url("/v1/promotions"))
        .bearer_auth(remise_server::demo::MANAGEMENT_KEY)
        .json(&promotion)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    let prices = app
        .client
        .post(app.url("/v1/prices"))
        .bearer_auth(remise_server::demo::STOREFRONT_KEY)
        .json(&json!({ "skus": ["FIG-SPIDERMAN"], "at": "2026-12-05T10:00:00+01:00" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let text = prices.to_string();
    assert!(text.contains("spider-5"), "{text}");
}

#[tokio::test]
async fn products_are_picked_by_search_and_removed() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let page = app
        .get(Some(&marketer), "/office/selections/spiderman?q=iron")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("FIG-IRONMAN"), "{page}");
    let (_, version) = stored(&app, "spiderman").await.unwrap();
    let added = app
        .post_form(
            Some(&marketer),
            "/office/selections/spiderman/picks",
            &[
                ("action", "add"),
                ("sku", "FIG-IRONMAN"),
                ("version", &version.to_string()),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let (body, version) = stored(&app, "spiderman").await.unwrap();
    assert!(
        body["skus"]
            .as_array()
            .unwrap()
            .contains(&json!("FIG-IRONMAN"))
    );
    let unknown = app
        .post_form(
            Some(&marketer),
            "/office/selections/spiderman/picks",
            &[
                ("action", "add"),
                ("sku", "NOPE"),
                ("version", &version.to_string()),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let removed = app
        .post_form(
            Some(&marketer),
            "/office/selections/spiderman/picks",
            &[
                ("action", "remove"),
                ("sku", "FIG-IRONMAN"),
                ("version", &version.to_string()),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let (body, _) = stored(&app, "spiderman").await.unwrap();
    assert!(
        !body["skus"]
            .as_array()
            .unwrap()
            .contains(&json!("FIG-IRONMAN"))
    );
}

#[tokio::test]
async fn the_list_is_paginated_and_a_selection_is_deleted() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    for i in 0..55 {
        let response = app
            .post_form(
                Some(&marketer),
                "/office/selections",
                &[("name", &format!("Lot {i:02}"))],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let first = app
        .get(Some(&marketer), "/office/selections")
        .send()
        .await
        .unwrap();
    let first = first.text().await.unwrap();
    assert_eq!(first.matches("<tr>").count(), 51, "a header and 50 rows");
    let next = first.split("/office/selections?after=").nth(1).unwrap();
    let after = next.split('"').next().unwrap();
    let second = app
        .get(
            Some(&marketer),
            &format!("/office/selections?after={after}"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 57 in all: the demo's two and 55 new ones.
    assert_eq!(second.matches("<tr>").count(), 1 + 7);
    assert!(!second.contains("?after="));
    let (_, version) = stored(&app, "lot-00").await.unwrap();
    let deleted = app
        .post_form(
            Some(&marketer),
            "/office/selections/lot-00/delete",
            &[("version", &version.to_string())],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert!(stored(&app, "lot-00").await.is_none());
}

#[tokio::test]
async fn a_viewer_cannot_change_selections_even_with_a_forged_form() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    for (path, fields) in [
        (
            "/office/selections",
            vec![("name", "Forged"), ("brands", "Hasbro")],
        ),
        (
            "/office/selections/hasbro",
            vec![("name", "Forged"), ("version", "1")],
        ),
        (
            "/office/selections/spiderman/picks",
            vec![
                ("action", "remove"),
                ("sku", "FIG-SPIDERMAN"),
                ("version", "1"),
            ],
        ),
        ("/office/selections/hasbro/delete", vec![("version", "1")]),
    ] {
        let response = app
            .post_form(Some(&viewer), path, &fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(stored(&app, "forged").await.is_none());
    assert!(stored(&app, "hasbro").await.is_some());
}
