//! Numbers beyond the limits (issue 10, points 7, 8 and 16): an amount above 10^15, a negative tax
//! rate or a quantity below 1 is a 422 naming its field, never a 500, and nothing is stored.

use serde_json::{Value, json};

use crate::support::{
    AT, MANAGEMENT, Reply, STOREFRONT, cart, evaluate_raw, import_products, spawn_app,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_with_a_price_beyond_the_limit_is_422_naming_the_field() {
    let app = spawn_app().await;
    // 10^27 on 100 units overflowed a Decimal (a 500); Decimal::MAX itself; a cent too many.
    for price in [
        "1e27",
        "\"79228162514264337593543950335\"",
        "\"1000000000000000.01\"",
    ] {
        let body = format!(
            r#"{{ "channel": "web", "at": "{AT}", "lines": [
                {{ "sku": "GAME-UNO", "quantity": 1 }},
                {{ "sku": "GOLD", "quantity": 100, "price": {price} }} ] }}"#
        );
        let reply = evaluate_raw(&app, &body).await;
        reply.expect_problem(422, Some("lines[1].price"));
        assert!(
            reply.text.contains("must be at most 1000000000000000"),
            "{}",
            reply.text
        );
    }
    // At the limit, the largest cart prices.
    let body = format!(
        r#"{{ "channel": "web", "at": "{AT}", "lines": [
            {{ "sku": "GOLD", "quantity": 1000000000, "price": "1000000000000000", "tax_rate": "1" }} ] }}"#
    );
    let reply = evaluate_raw(&app, &body).await;
    reply.expect(200);
    assert_eq!(
        reply.body["lines"][0]["subtotal"],
        json!("1000000000000000000000000.00")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_api_refuses_amounts_beyond_the_limit_and_stores_nothing() {
    let app = spawn_app().await;
    let products = app.list_all("products").await;
    let audit = |reply: Reply| reply.body["items"][0]["seq"].clone();
    let audit_before = audit(app.get("/v1/audit?limit=1", MANAGEMENT).await);

    for (product, field) in [
        (
            json!({ "sku": "GOLD", "name": "Gold", "price": "1000000000000000000000000000" }),
            "price",
        ),
        (
            json!({ "sku": "GOLD", "name": "Gold", "price": "79228162514264337593543950335" }),
            "price",
        ),
        (
            json!({ "sku": "GOLD", "name": "Gold", "price": "10.00", "cost": "1000000000000000.01" }),
            "cost",
        ),
        (
            json!({ "sku": "GOLD", "name": "Gold", "price": "10.00", "tax_rate": "-1" }),
            "tax_rate",
        ),
    ] {
        app.post("/v1/products", MANAGEMENT, &product)
            .await
            .expect_problem(422, Some(field));
    }
    // A replacement, alike; the stored version stays.
    let current = app.get("/v1/products/GAME-UNO", MANAGEMENT).await;
    let mut data = current.body["data"].clone();
    data["price"] = json!("1000000000000000000000000000");
    app.put(
        "/v1/products/GAME-UNO",
        MANAGEMENT,
        &data,
        Some(current.etag()),
    )
    .await
    .expect_problem(422, Some("price"));
    // A catalog file, alike, every line named.
    let csv = "sku,name,price,tax_rate\n\
               GOLD,Gold,1000000000000000000000000000,0.20\n\
               LEAD,Lead,1.00,-1\n";
    let reply = import_products(&app, "text/csv", csv).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["line 2: price", "line 3: tax_rate"]);
    // A campaign's budget is a money amount too.
    app.post(
        "/v1/campaigns",
        MANAGEMENT,
        &json!({ "id": "rich", "budget": "10000000000000000" }),
    )
    .await
    .expect_problem(422, Some("budget"));

    // Nothing was written, and what was stored still serves.
    assert_eq!(app.list_all("products").await, products);
    app.get("/v1/products/GOLD", MANAGEMENT).await.expect(404);
    app.get("/v1/campaigns/rich", MANAGEMENT).await.expect(404);
    assert_eq!(
        app.get("/v1/products/GAME-UNO", MANAGEMENT).await.body,
        current.body
    );
    assert_eq!(
        audit(app.get("/v1/audit?limit=1", MANAGEMENT).await),
        audit_before
    );
    app.get("/v1/products/GAME-UNO/promotions", STOREFRONT)
        .await
        .expect(200);
    app.evaluate(&cart(&[("GAME-UNO", 2)])).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_tax_rate_is_422_for_net_and_gross_customers() {
    let app = spawn_app().await;
    for display in ["net", "gross"] {
        // A shipping option: for a net customer, price / (1 + -1) divided by zero (a 500).
        let mut body = cart(&[("GAME-UNO", 1)]);
        body["display"] = json!(display);
        body["shipping_options"] =
            json!([{ "method": "standard", "price": "4.90", "tax_rate": "-1" }]);
        body["shipping_method"] = json!("standard");
        app.evaluate(&body)
            .await
            .expect_problem(422, Some("shipping_options[0].tax_rate"));
        // A line's inline rate alike.
        let mut body = cart(&[("GAME-UNO", 1)]);
        body["display"] = json!(display);
        body["lines"][0]["tax_rate"] = json!("-1");
        app.evaluate(&body)
            .await
            .expect_problem(422, Some("lines[0].tax_rate"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_zero_and_too_large_quantities_get_the_same_422() {
    let app = spawn_app().await;
    let with_quantity = |quantity: Value| {
        let mut body = cart(&[("GAME-UNO", 1)]);
        body["lines"][0]["quantity"] = quantity;
        body
    };
    let zero = app.evaluate(&with_quantity(json!(0))).await;
    zero.expect_problem(422, Some("lines[0].quantity"));
    // A negative quantity was a 400 (not a u32) where zero was a 422.
    for negative in [json!(-1), json!(i64::MIN)] {
        let reply = app.evaluate(&with_quantity(negative)).await;
        reply.expect_problem(422, Some("lines[0].quantity"));
        assert_eq!(reply.body, zero.body);
    }
    for large in [json!(1_000_000_001), json!(u64::MAX)] {
        let reply = app.evaluate(&with_quantity(large)).await;
        reply.expect_problem(422, Some("lines[0].quantity"));
        assert_eq!(reply.body["type"], zero.body["type"]);
        assert!(reply.text.contains("at most 1000000000"), "{}", reply.text);
    }
}
