//! The rules merchants bring from other platforms (issue 9), through the management API: stored,
//! checked with the field's path, and served.

use serde_json::{Value, json};

use crate::support::{MANAGEMENT, cart, dec, import_products, line, outcome, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_in_the_new_vocabulary_is_stored_and_served() {
    let app = spawn_app().await;
    // Half price on batteries when the cart holds an UNO, for the customer's first order.
    let promotion = json!({
        "id": "piles-with-uno", "name": "Piles à moitié prix avec un UNO", "priority": 90,
        "targets": { "skus": ["PILES-AA"], "unit_price": { "max": "10.00" } },
        "conditions": {
            "cart_contains": [{ "targets": { "skus": ["GAME-UNO"] } }],
            "history": { "first_order": true }
        },
        "offer": { "type": "percent_off", "percent": 50, "max_units_per_line": 1 }
    });
    app.post("/v1/promotions", MANAGEMENT, &promotion)
        .await
        .expect(201);
    let stored = app.get("/v1/promotions/piles-with-uno", MANAGEMENT).await;
    stored.expect(200);
    assert_eq!(stored.body["data"]["offer"]["max_units_per_line"], 1);
    assert_eq!(
        stored.body["data"]["conditions"]["history"]["first_order"],
        true
    );

    let mut first_order = cart(&[("PILES-AA", 2), ("GAME-UNO", 1)]);
    first_order["customer"] = json!({ "id": "c-1", "orders": 0 });
    let quote = app.evaluate(&first_order).await;
    quote.expect(200);
    // One unit of the line at half price: 5.99 × 50 % = 2.995 → 3.00.
    assert_eq!(outcome(&quote.body, "piles-with-uno")["status"], "applied");
    assert_eq!(
        dec(&outcome(&quote.body, "piles-with-uno")["discount"]),
        dec(&json!("3.00"))
    );
    assert!(
        line(&quote.body, "L1")["discounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["promotion"] == "piles-with-uno")
    );

    // Without the UNO: the reason names the condition and the values compared.
    let mut alone = cart(&[("PILES-AA", 2)]);
    alone["customer"] = json!({ "id": "c-1", "orders": 0 });
    let quote = app.evaluate(&alone).await;
    let reason = &outcome(&quote.body, "piles-with-uno")["reason"];
    assert_eq!(reason["code"], "cart_contents_not_met");
    assert_eq!(reason["quantity"], 0);

    // A returning customer.
    let mut returning = cart(&[("PILES-AA", 2), ("GAME-UNO", 1)]);
    returning["customer"] = json!({ "id": "c-1", "orders": 3 });
    let quote = app.evaluate(&returning).await;
    assert_eq!(
        outcome(&quote.body, "piles-with-uno")["reason"]["code"],
        "orders_out_of_range"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_in_the_new_vocabulary_are_refused_with_their_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "id": "p", "targets": { "unit_price": { "min": "50.00", "max": "20.00" } },
                    "offer": { "type": "percent_off", "percent": 10 } }),
            "targets.unit_price.max",
        ),
        (
            json!({ "id": "p", "offer": { "type": "amount_off_each", "amount": "1.00", "max_units_per_line": 0 } }),
            "offer.max_units_per_line",
        ),
        (
            json!({ "id": "p", "conditions": { "history": { "nth_order": 0 } },
                    "offer": { "type": "amount_off_line", "amount": "1.00" } }),
            "conditions.history.nth_order",
        ),
        (
            json!({ "id": "p", "offer": { "type": "buy_x_get_y", "buy": 1, "get": 3,
                    "partial_rewards": true, "reward_targets": { "skus": ["GAME-UNO"] } } }),
            "offer.partial_rewards",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/v1/promotions", MANAGEMENT, &body).await;
        reply.expect(422);
        assert!(
            reply.error_fields().iter().any(|f| f == field),
            "{field} not in {}",
            reply.text
        );
    }
    assert!(app.list_all("promotions").await.iter().all(|id| id != "p"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_settings_change_the_order_of_equal_priorities() {
    let app = spawn_app().await;
    let promotions = [
        json!({ "id": "a-five-off", "priority": 95, "created_at": "2026-01-01T00:00:00",
                "targets": { "skus": ["GAME-MONOPOLY-MARVEL"] },
                "offer": { "type": "amount_off_each", "amount": "5.00" } }),
        json!({ "id": "b-ten-pct", "priority": 95, "created_at": "2026-02-01T00:00:00",
                "targets": { "skus": ["GAME-MONOPOLY-MARVEL"] },
                "offer": { "type": "percent_off", "percent": 10 } }),
    ];
    for promotion in &promotions {
        app.post("/v1/promotions", MANAGEMENT, promotion)
            .await
            .expect(201);
    }
    let monopoly = cart(&[("GAME-MONOPOLY-MARVEL", 1)]);
    let first = |quote: &Value| line(quote, "L1")["discounts"][0]["promotion"].clone();
    // Remise: the percentage first (the lower total).
    let quote = app.evaluate(&monopoly).await;
    assert_eq!(first(&quote.body), "b-ten-pct");

    let current = app.get("/v1/settings", MANAGEMENT).await;
    let mut settings = current.body["data"].clone();
    settings["compatibility"] = json!("magento");
    app.put("/v1/settings", MANAGEMENT, &settings, Some(current.etag()))
        .await
        .expect(200);
    let stored = app.get("/v1/settings", MANAGEMENT).await;
    assert_eq!(stored.body["data"]["compatibility"], "magento");
    // Magento: creation order, the older amount first.
    let quote = app.evaluate(&monopoly).await;
    assert_eq!(first(&quote.body), "a-five-off");

    // A switch that does not exist is refused, naming it.
    let current = app.get("/v1/settings", MANAGEMENT).await;
    let mut settings = current.body["data"].clone();
    settings["semantics"] = json!({ "ties": "by_mood" });
    app.put("/v1/settings", MANAGEMENT, &settings, Some(current.etag()))
        .await
        .expect(400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_floors_come_from_the_catalog_import() {
    let app = spawn_app().await;
    let csv = "sku,name,price,tax_rate,cost,min_price,compare_at_price\n\
               FLOOR-1,Lampe,40.00,0.20,30.00,,50.00\n";
    let reply = import_products(&app, "text/csv", csv).await;
    reply.expect(200);
    let product = app.get("/v1/products/FLOOR-1", MANAGEMENT).await;
    assert_eq!(product.body["data"]["cost"], "30.00");
    assert_eq!(product.body["data"]["compare_at_price"], "50.00");

    // Under a margin floor, half price stops at the cost.
    let current = app.get("/v1/settings", MANAGEMENT).await;
    let mut settings = current.body["data"].clone();
    settings["floor_at_cost"] = json!(true);
    app.put("/v1/settings", MANAGEMENT, &settings, Some(current.etag()))
        .await
        .expect(200);
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &json!({ "id": "lamp-half", "priority": 99, "targets": { "skus": ["FLOOR-1"] },
                 "offer": { "type": "percent_off", "percent": 50 } }),
    )
    .await
    .expect(201);
    let quote = app.evaluate(&cart(&[("FLOOR-1", 1)])).await;
    let lamp = line(&quote.body, "L1");
    assert_eq!(lamp["reference_unit_price"], "50.00");
    assert_eq!(lamp["amount"], "30.00");
    assert_eq!(outcome(&quote.body, "lamp-half")["lost_to_floors"], "10.00");

    // A negative cost is refused with its line.
    let bad = import_products(&app, "text/csv", "sku,price,cost\nFLOOR-2,10.00,-1.00\n").await;
    bad.expect(422);
}
