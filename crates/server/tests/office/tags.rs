//! Tags and labels: both languages, counts, rename across products, put and remove a tag on
//! products found by search (all or nothing), field errors, a viewer's forged POST refused.

use remise_store::{Kind, Role};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{OfficeApp, spawn};

async fn tags(app: &OfficeApp, sku: &str) -> Vec<String> {
    let record = app.store.get(Kind::Product, sku).await.unwrap().unwrap();
    serde_json::from_value::<Vec<String>>(record.body["tags"].clone()).unwrap_or_default()
}

#[tokio::test]
async fn tags_in_use_are_listed_with_their_counts_in_both_languages() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let page = app.get(Some(&viewer), "/office/tags").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Tags et labels"));
    assert!(page.contains(">nouveauté</a>") && page.contains(">exclu web</a>"));
    assert!(
        page.contains("/office/products?tag=exclu+web")
            || page.contains("/office/products?tag=exclu%20web"),
        "{page}"
    );
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
        .get(Some(&marketer), "/office/tags/nouveaut%C3%A9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Products carrying this tag: 3."), "{page}");
    assert!(page.contains("Rename on every product"));
    let opened = app
        .get(Some(&marketer), "/office/tags?open=soldes")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()["location"], "/office/tags/soldes");
}

#[tokio::test]
async fn a_tag_is_renamed_on_every_product_and_put_on_products_found_by_search() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let renamed = app
        .post_form(
            Some(&marketer),
            "/office/tags/exclu%20web/rename",
            &[("name", "exclusivité web")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    assert!(
        tags(&app, "FIG-SPIDERMAN")
            .await
            .contains(&"exclusivité web".to_owned())
    );
    assert!(
        !tags(&app, "FIG-SPIDERMAN")
            .await
            .contains(&"exclu web".to_owned())
    );
    let page = app
        .get(Some(&marketer), "/office/tags")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(">exclu web</a>") && page.contains(">exclusivité web</a>"));

    let found = app
        .get(Some(&marketer), "/office/tags/soldes?q=figurine")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(found.contains("FIG-IRONMAN"), "{found}");
    let put = app
        .post_form(
            Some(&marketer),
            "/office/tags/soldes/products",
            &[
                ("action", "add"),
                ("sku", "FIG-IRONMAN"),
                ("sku", "FIG-CAPTAIN"),
                ("q", "figurine"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::SEE_OTHER);
    assert!(
        tags(&app, "FIG-IRONMAN")
            .await
            .contains(&"soldes".to_owned())
    );
    assert!(
        tags(&app, "FIG-CAPTAIN")
            .await
            .contains(&"soldes".to_owned())
    );
    // The served catalog knows it at once.
    let page = app
        .get(Some(&marketer), "/office/tags/soldes")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Produits portant ce tag : 2."), "{page}");
    let removed = app
        .post_form(
            Some(&marketer),
            "/office/tags/soldes/products",
            &[("action", "remove"), ("sku", "FIG-IRONMAN")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert!(
        !tags(&app, "FIG-IRONMAN")
            .await
            .contains(&"soldes".to_owned())
    );
}

#[tokio::test]
async fn errors_name_their_field_and_change_nothing() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let before: Value = app
        .store
        .get(Kind::Product, "FIG-SPIDERMAN")
        .await
        .unwrap()
        .unwrap()
        .body;
    for (path, fields, field) in [
        (
            "/office/tags/nouveaut%C3%A9/rename",
            vec![("name", " ")],
            "e-name",
        ),
        (
            "/office/tags/nouveaut%C3%A9/rename",
            vec![("name", "nouveauté")],
            "e-name",
        ),
        (
            "/office/tags/soldes/products",
            vec![("action", "add")],
            "tags-choose",
        ),
    ] {
        let response = app
            .post_form(Some(&marketer), path, &fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {fields:?}"
        );
        let page = response.text().await.unwrap();
        if field == "tags-choose" {
            assert!(page.contains("Cochez au moins un produit."), "{page}");
        } else {
            assert!(page.contains(&format!(r#"id="{field}""#)), "{page}");
        }
    }
    let after: Value = app
        .store
        .get(Kind::Product, "FIG-SPIDERMAN")
        .await
        .unwrap()
        .unwrap()
        .body;
    assert_eq!(before, after);
    let viewer = app.visitor(Role::Viewer).await;
    for path in [
        "/office/tags/nouveaut%C3%A9/rename",
        "/office/tags/soldes/products",
    ] {
        let response = app
            .post_form(
                Some(&viewer),
                path,
                &[("name", "x"), ("action", "add"), ("sku", "FIG-IRONMAN")],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        !tags(&app, "FIG-IRONMAN")
            .await
            .contains(&"soldes".to_owned())
    );
}
