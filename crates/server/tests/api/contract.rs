//! The server keeps to its OpenAPI document (`/openapi.json`), where the two once disagreed: the
//! audit log filters on every entity it records, an unknown campaign status is refused, integers
//! may be written `1.0` (JSON Schema counts them as integers), and `null` is the same as absent
//! for the optional fields of new codes. `.ci/schemathesis` checks the rest against a live server.

use serde_json::{Value, json};

use crate::support::{MANAGEMENT, TestApp, cart, line, percent_off, spawn_app};

/// A promotion that the code `code` unlocks.
async fn coupon_promotion(app: &TestApp, id: &str, code: &str) {
    let mut body = percent_off(id, "GAME-UNO", 10, None);
    body["conditions"] = json!({ "coupon": { "codes": [code] } });
    app.post("/v1/promotions", MANAGEMENT, &body)
        .await
        .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_on_vouchers() {
    let app = spawn_app().await;
    app.post(
        "/v1/vouchers",
        MANAGEMENT,
        &json!({ "code": "AUDITED-GIFT", "amount": "20" }),
    )
    .await
    .expect(201);
    let log = app.get("/v1/audit?entity=voucher", MANAGEMENT).await;
    log.expect(200);
    let items = log.body["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{}", log.text);
    assert!(
        items.iter().all(|e| e["entity"] == "voucher"),
        "{}",
        log.text
    );
    app.get("/v1/audit?entity=vouchers", MANAGEMENT)
        .await
        .expect_problem(422, Some("entity"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_campaign_status_is_refused() {
    let app = spawn_app().await;
    let refused = app.get("/v1/campaigns?status=AAA", MANAGEMENT).await;
    refused.expect_problem(422, Some("status"));
    assert!(refused.text.contains("AAA"), "{}", refused.text);
    for status in ["draft", "active", "paused", "ended", "archived"] {
        app.get(&format!("/v1/campaigns?status={status}"), MANAGEMENT)
            .await
            .expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integers_may_be_written_with_a_fraction() {
    let app = spawn_app().await;
    let mut written = cart(&[("GAME-UNO", 2)]);
    let expected = app.evaluate(&written).await;
    expected.expect(200);
    for quantity in [
        json!(2.0),
        json!(2.00),
        serde_json::from_str::<Value>("0.2e1").unwrap(),
    ] {
        written["lines"][0]["quantity"] = quantity.clone();
        let quote = app.evaluate(&written).await;
        quote.expect(200);
        assert_eq!(
            line(&quote.body, "L1"),
            line(&expected.body, "L1"),
            "quantity {quantity}"
        );
    }
    // A fraction that is not whole stays refused, reported as written.
    written["lines"][0]["quantity"] = json!(1.5);
    let refused = app.evaluate(&written).await;
    refused.expect_problem(400, Some("lines[0].quantity"));
    assert!(refused.text.contains("1.5"), "{}", refused.text);

    // In a management body too, inside an internally tagged offer as well; a decimal amount
    // elsewhere keeps its scale.
    let mut promotion = percent_off("whole-units", "GAME-UNO", 10, None);
    promotion["priority"] = json!(70.0);
    promotion["offer"]["max_units"] = json!(3.0);
    let made = app.post("/v1/promotions", MANAGEMENT, &promotion).await;
    made.expect(201);
    assert_eq!(made.body["data"]["priority"], 70, "{}", made.text);
    assert_eq!(made.body["data"]["offer"]["max_units"], 3, "{}", made.text);
    promotion["offer"]["max_units"] = json!(3.5);
    app.put(
        "/v1/promotions/whole-units",
        MANAGEMENT,
        &promotion,
        Some(1),
    )
    .await
    .expect_problem(400, Some("offer"));

    coupon_promotion(&app, "whole-uses", "WHOLE-USES").await;
    let made = app
        .post(
            "/v1/coupons",
            MANAGEMENT,
            &json!({ "code": "WHOLE-USES", "promotion": "whole-uses", "max_uses": 5.0,
                     "uses_per_customer": 1e0 }),
        )
        .await;
    made.expect(201);
    assert_eq!(made.body["max_uses"], 5, "{}", made.text);
    assert_eq!(made.body["uses_per_customer"], 1, "{}", made.text);
    let voucher = app
        .post(
            "/v1/vouchers",
            MANAGEMENT,
            &json!({ "code": "WHOLE-GIFT", "amount": 20.0 }),
        )
        .await;
    voucher.expect(201);
    assert_eq!(voucher.body["amount"], "20.0", "{}", voucher.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_is_absent_in_new_codes() {
    let app = spawn_app().await;
    coupon_promotion(&app, "null-dates", "NULL-DATES").await;
    let made = app
        .post(
            "/v1/coupons",
            MANAGEMENT,
            &json!({ "code": "NULL-DATES", "promotion": "null-dates", "max_uses": null,
                     "uses_per_customer": null, "starts_at": null, "ends_at": null }),
        )
        .await;
    made.expect(201);
    assert_eq!(made.body["starts_at"], Value::Null, "{}", made.text);
    app.post(
        "/v1/batches",
        MANAGEMENT,
        &json!({ "id": "null-dates", "promotion": "null-dates", "quota": 2,
                 "starts_at": null, "ends_at": null }),
    )
    .await
    .expect(201);
    app.post(
        "/v1/vouchers",
        MANAGEMENT,
        &json!({ "code": "NULL-GIFT", "amount": "5", "starts_at": null, "ends_at": null }),
    )
    .await
    .expect(201);
}
