//! `PATCH` on every document: a JSON Merge Patch (RFC 7396) changes the fields it names and
//! keeps the others, checked and written like a replacement.

use serde_json::json;

use crate::support::{MANAGEMENT, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_changes_only_the_fields_it_names() {
    let app = spawn_app().await;
    let campaign = app.get("/v1/campaigns/omnicanal-noel", MANAGEMENT).await;
    campaign.expect(200);
    let before = campaign.body["data"].clone();
    assert!(before["channels"].is_array(), "{before}");
    let version = campaign.etag();

    // Needs If-Match, like a replacement; a stale version is refused.
    let change = json!({ "name": "Noël omnicanal 2026" });
    app.patch("/v1/campaigns/omnicanal-noel", MANAGEMENT, &change, None)
        .await
        .expect(428);
    let patched = app
        .patch(
            "/v1/campaigns/omnicanal-noel",
            MANAGEMENT,
            &change,
            Some(version),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.etag(), version + 1);
    let after = &patched.body["data"];
    assert_eq!(after["name"], "Noël omnicanal 2026");
    // Every field it did not name is kept.
    let mut expected = before.clone();
    expected["name"] = json!("Noël omnicanal 2026");
    assert_eq!(*after, expected);
    app.patch(
        "/v1/campaigns/omnicanal-noel",
        MANAGEMENT,
        &change,
        Some(version),
    )
    .await
    .expect(412);

    // `null` removes an optional field; nested objects merge field by field.
    let product = app.get("/v1/products/GAME-UNO", MANAGEMENT).await;
    let patched = app
        .patch(
            "/v1/products/GAME-UNO",
            MANAGEMENT,
            &json!({ "price": "8.99", "brand": null }),
            Some(product.etag()),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.body["data"]["price"], "8.99");
    assert!(patched.body["data"]["brand"].is_null(), "{}", patched.text);
    assert_eq!(patched.body["data"]["name"], product.body["data"]["name"]);
    // The result is checked like a replacement, and nothing is written when it is refused.
    let version = patched.etag();
    app.patch(
        "/v1/products/GAME-UNO",
        MANAGEMENT,
        &json!({ "price": "-1" }),
        Some(version),
    )
    .await
    .expect_problem(422, Some("price"));
    app.patch(
        "/v1/products/GAME-UNO",
        MANAGEMENT,
        &json!({ "sku": "OTHER" }),
        Some(version),
    )
    .await
    .expect_problem(422, Some("sku"));
    app.patch(
        "/v1/products/GAME-UNO",
        MANAGEMENT,
        &json!([1]),
        Some(version),
    )
    .await
    .expect(422);
    app.patch("/v1/products/NOPE", MANAGEMENT, &json!({}), Some(1))
        .await
        .expect(404);
    assert_eq!(
        app.get("/v1/products/GAME-UNO", MANAGEMENT).await.etag(),
        version
    );

    // The settings too.
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    let patched = app
        .patch(
            "/v1/settings",
            MANAGEMENT,
            &json!({ "code_attempts_per_minute": 7 }),
            Some(settings.etag()),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.body["data"]["code_attempts_per_minute"], 7);
    assert_eq!(
        patched.body["data"]["currency"],
        settings.body["data"]["currency"]
    );

    // Each change is one audit entry.
    let audit = app
        .get(
            "/v1/audit?entity=campaign&entity_id=omnicanal-noel",
            MANAGEMENT,
        )
        .await;
    audit.expect(200);
    let text = audit.text;
    assert!(text.contains("Noël omnicanal 2026"), "{text}");
}
