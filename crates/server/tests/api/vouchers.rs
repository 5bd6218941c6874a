//! Vouchers ("bons d'achat") through the API: creation and its validation, spending in cart
//! evaluation (never more than the cart allows), reservation of an amount, confirmation that
//! keeps a balance or uses the voucher up whole, cancellation that gives it back, and the
//! voucher's restrictions (customers, scope, dates).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{MANAGEMENT, Reply, STOREFRONT, TestApp, cart, dec, spawn_app};

/// A product of its own at 30.00 (no brand, segment or tag: no demo promotion targets it).
async fn add_product(app: &TestApp, sku: &str, price: &str) {
    app.post(
        "/v1/products",
        MANAGEMENT,
        &json!({ "sku": sku, "name": sku, "price": price }),
    )
    .await
    .expect(201);
}

async fn add_voucher(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/vouchers", MANAGEMENT, body).await
}

/// A cart of `sku` × `quantity` with the voucher code, for `customer`.
fn voucher_cart(sku: &str, quantity: u32, code: &str, customer: Option<&str>) -> Value {
    let mut body = cart(&[(sku, quantity)]);
    body["codes"] = json!([code]);
    if let Some(customer) = customer {
        body["customer"] = json!({ "id": customer });
    }
    body
}

async fn reserve(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/redemptions", STOREFRONT, body).await
}

fn reservation(code: &str, customer: &str, order: &str, amount: &str) -> Value {
    json!({
        "code": code,
        "customer": customer,
        "order_id": order,
        "idempotency_key": format!("key-{order}"),
        "amount": amount,
    })
}

async fn confirm(app: &TestApp, id: &str) -> Reply {
    app.post(
        &format!("/v1/redemptions/{id}/confirm"),
        STOREFRONT,
        &json!({}),
    )
    .await
}

async fn cancel(app: &TestApp, id: &str) -> Reply {
    app.post(
        &format!("/v1/redemptions/{id}/cancel"),
        STOREFRONT,
        &json!({}),
    )
    .await
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_list_and_validation() {
    let app = spawn_app().await;
    let made = add_voucher(
        &app,
        &json!({ "code": "gift-50", "amount": "50.00", "customers": ["C-1"],
                 "ends_at": "2027-01-01T00:00", "keeps_balance": true }),
    )
    .await;
    made.expect(201);
    assert_eq!(made.body["code"], "gift-50");
    assert_eq!(made.body["normalized"], "GIFT50");
    assert_eq!(dec(&made.body["amount"]), d("50.00"));
    assert_eq!(dec(&made.body["available"]), d("50.00"));
    assert_eq!(made.body["keeps_balance"], true);
    assert_eq!(made.body["state"], "available");

    let read = app.get("/v1/vouchers/GIFT-50", MANAGEMENT).await;
    read.expect(200);
    assert_eq!(read.body["normalized"], "GIFT50");
    let list = app.get("/v1/vouchers", MANAGEMENT).await;
    list.expect(200);
    assert_eq!(list.body["items"][0]["normalized"], "GIFT50");
    app.get("/v1/vouchers/NOPE", MANAGEMENT).await.expect(404);
    // Management only.
    app.get("/v1/vouchers", STOREFRONT).await.expect(403);

    // Codes are unique across coupons and vouchers.
    add_voucher(&app, &json!({ "code": "GIFT 50", "amount": "5" }))
        .await
        .expect(409);
    app.post(
        "/v1/coupons",
        MANAGEMENT,
        &json!({ "code": "GIFT50", "promotion": "marvel-20" }),
    )
    .await
    .expect(409);

    for (body, field) in [
        (json!({ "code": "V1", "amount": "0" }), "amount"),
        (json!({ "code": "V1", "amount": "-5" }), "amount"),
        (json!({ "code": "V1", "amount": "10.001" }), "amount"),
        (
            json!({ "code": "V1", "amount": "10", "selections": ["nope"] }),
            "selections[0]",
        ),
        (
            json!({ "code": "V1", "amount": "10", "ends_at": "someday" }),
            "ends_at",
        ),
        (
            json!({ "code": "V1", "amount": "10", "starts_at": "2027-01-01T00:00",
                    "ends_at": "2026-01-01T00:00" }),
            "ends_at",
        ),
        (json!({ "code": "!!", "amount": "10" }), "code"),
    ] {
        add_voucher(&app, &body)
            .await
            .expect_problem(422, Some(field));
    }

    let off = app
        .post("/v1/vouchers/gift-50/disable", MANAGEMENT, &json!({}))
        .await;
    off.expect(200);
    assert_eq!(off.body["state"], "disabled");
    let check = app.get("/v1/codes/GIFT-50?customer=C-1", STOREFRONT).await;
    check.expect(200);
    assert_eq!(check.body["kind"], "voucher");
    assert_eq!(check.body["usable"], false);
    assert_eq!(check.body["reason"], "disabled");
    let on = app
        .post("/v1/vouchers/gift-50/enable", MANAGEMENT, &json!({}))
        .await;
    on.expect(200);
    assert_eq!(on.body["state"], "available");
    let check = app.get("/v1/codes/GIFT-50?customer=C-1", STOREFRONT).await;
    assert_eq!(check.body["usable"], true, "{}", check.text);
    assert_eq!(dec(&check.body["available"]), d("50.00"));
}

/// The quote's outcome of the first voucher.
fn voucher_outcome(quote: &Reply) -> &Value {
    &quote.body["vouchers"][0]
}

/// Evaluates the cart and returns the quote (200).
async fn evaluate(app: &TestApp, body: &Value) -> Reply {
    let quote = app.evaluate(body).await;
    quote.expect(200);
    quote
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_keeping_its_balance() {
    let app = spawn_app().await;
    add_product(&app, "V-THIRTY", "30.00").await;
    add_voucher(
        &app,
        &json!({ "code": "KEEP-50", "amount": "50.00", "keeps_balance": true }),
    )
    .await
    .expect(201);

    // Bigger than the cart: it grants only what the cart costs, and the rest remains.
    let mut body = voucher_cart("V-THIRTY", 1, "keep-50", Some("C-1"));
    body["shipping_options"] =
        json!([{ "method": "standard", "price": "4.90", "tax_rate": "0.20" }]);
    body["shipping_method"] = json!("standard");
    let quote = evaluate(&app, &body).await;
    let outcome = voucher_outcome(&quote);
    assert_eq!(dec(&outcome["amount"]), d("50.00"), "{}", quote.text);
    assert_eq!(dec(&outcome["granted"]), d("30.00"), "{}", quote.text);
    assert_eq!(dec(&outcome["remaining"]), d("20.00"));
    // No longer among the codes: it is a voucher.
    assert!(
        quote.body["codes"]
            .as_array()
            .is_none_or(|codes| codes.is_empty()),
        "{}",
        quote.text
    );
    // The grand total is the shipping alone (never negative merchandise).
    let totals = &quote.body["totals"];
    assert_eq!(
        dec(&totals["grand"]["gross"]),
        dec(&totals["shipping"]["gross"]),
        "{}",
        quote.text
    );
    assert_eq!(dec(&totals["merchandise"]["gross"]), Decimal::ZERO);
    assert_eq!(
        dec(&totals["shipping"]["gross"]),
        d("4.90"),
        "{}",
        quote.text
    );

    // A coupon's field is refused for a voucher's reservation without an amount, and vice versa.
    let mut missing = reservation("KEEP-50", "C-1", "SO-0", "1");
    missing.as_object_mut().unwrap().remove("amount");
    reserve(&app, &missing)
        .await
        .expect_problem(422, Some("amount"));
    reserve(&app, &reservation("KEEP-50", "C-1", "SO-0", "0.001"))
        .await
        .expect_problem(422, Some("amount"));
    // More than there is.
    let refused = reserve(&app, &reservation("KEEP-50", "C-1", "SO-0", "50.01")).await;
    refused.expect(409);
    assert_eq!(
        refused.body["reason"], "amount_too_large",
        "{}",
        refused.text
    );

    let made = reserve(&app, &reservation("KEEP-50", "C-1", "SO-1", "30.00")).await;
    made.expect(201);
    assert_eq!(dec(&made.body["amount"]), d("30.00"));
    assert_eq!(made.body["promotion"], Value::Null);
    // The code as the store knows it, whatever was typed.
    assert_eq!(made.body["code"], "KEEP50", "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_owned();
    // The export says what the redemption takes of the voucher.
    let export = app.get("/v1/exports/redemptions", MANAGEMENT).await;
    export.expect(200);
    assert!(
        export
            .text
            .starts_with("id,code,promotion,amount,customer,"),
        "{}",
        export.text
    );
    assert!(
        export
            .text
            .contains(&format!("{id},KEEP50,,30.00,C-1,SO-1,reserved,")),
        "{}",
        export.text
    );
    // The same request again: the same redemption.
    let again = reserve(&app, &reservation("KEEP-50", "C-1", "SO-1", "30.00")).await;
    again.expect(201);
    assert_eq!(again.body["id"], made.body["id"]);

    // While reserved, evaluation offers what is not held.
    let quote = evaluate(&app, &body).await;
    assert_eq!(dec(&voucher_outcome(&quote)["amount"]), d("20.00"));

    confirm(&app, &id).await.expect(200);
    let voucher = app.get("/v1/vouchers/KEEP-50", MANAGEMENT).await;
    assert_eq!(
        dec(&voucher.body["balance"]),
        d("20.00"),
        "{}",
        voucher.text
    );
    let quote = evaluate(&app, &body).await;
    let outcome = voucher_outcome(&quote);
    assert_eq!(dec(&outcome["amount"]), d("20.00"), "{}", quote.text);
    assert_eq!(dec(&outcome["granted"]), d("20.00"));
    assert_eq!(dec(&outcome["remaining"]), Decimal::ZERO);

    // Cancelling the confirmed order gives the amount back.
    let cancelled = cancel(&app, &id).await;
    cancelled.expect(200);
    assert_eq!(cancelled.body["state"], "cancelled");
    let voucher = app.get("/v1/vouchers/KEEP-50", MANAGEMENT).await;
    assert_eq!(dec(&voucher.body["balance"]), d("50.00"));
    let check = app.get("/v1/codes/keep-50", STOREFRONT).await;
    assert_eq!(check.body["kind"], "voucher");
    assert_eq!(dec(&check.body["available"]), d("50.00"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_used_up_whole() {
    let app = spawn_app().await;
    add_product(&app, "V-THIRTY", "30.00").await;
    add_voucher(&app, &json!({ "code": "WHOLE-50", "amount": "50.00" }))
        .await
        .expect(201);
    let body = voucher_cart("V-THIRTY", 1, "whole-50", Some("C-1"));
    let quote = evaluate(&app, &body).await;
    assert_eq!(dec(&voucher_outcome(&quote)["granted"]), d("30.00"));

    let made = reserve(&app, &reservation("WHOLE-50", "C-1", "SO-1", "30.00")).await;
    made.expect(201);
    let id = made.body["id"].as_str().unwrap().to_owned();
    confirm(&app, &id).await.expect(200);

    // Used up: not a voucher of the cart any more, a code the quote says is unusable.
    let quote = evaluate(&app, &body).await;
    assert!(
        quote.body["vouchers"]
            .as_array()
            .is_none_or(|v| v.is_empty()),
        "{}",
        quote.text
    );
    assert_eq!(
        quote.body["codes"],
        json!([{ "code": "whole-50", "usable": false, "reason": "used_up", "promotions": [] }]),
        "{}",
        quote.text
    );
    let refused = reserve(&app, &reservation("WHOLE-50", "C-1", "SO-2", "1.00")).await;
    refused.expect(409);
    assert_eq!(refused.body["reason"], "used_up");

    // Cancelling restores it whole.
    cancel(&app, &id).await.expect(200);
    let quote = evaluate(&app, &body).await;
    assert_eq!(dec(&voucher_outcome(&quote)["amount"]), d("50.00"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restrictions_customers_scope_and_dates() {
    let app = spawn_app().await;
    add_product(&app, "V-THIRTY", "30.00").await;

    // For one customer only.
    add_voucher(
        &app,
        &json!({ "code": "ALICE-20", "amount": "20", "customers": ["C-ALICE"] }),
    )
    .await
    .expect(201);
    let quote = evaluate(
        &app,
        &voucher_cart("V-THIRTY", 1, "ALICE-20", Some("C-BOB")),
    )
    .await;
    assert_eq!(quote.body["codes"][0]["usable"], false, "{}", quote.text);
    assert_eq!(quote.body["codes"][0]["reason"], "not_for_customer");
    let refused = reserve(&app, &reservation("ALICE-20", "C-BOB", "SO-1", "10")).await;
    refused.expect(409);
    assert_eq!(refused.body["reason"], "not_for_customer");
    let quote = evaluate(
        &app,
        &voucher_cart("V-THIRTY", 1, "ALICE-20", Some("C-ALICE")),
    )
    .await;
    assert_eq!(
        dec(&voucher_outcome(&quote)["granted"]),
        d("20"),
        "{}",
        quote.text
    );

    // Scoped to a selection: it pays only for the selection's lines.
    app.post(
        "/v1/selections",
        MANAGEMENT,
        &json!({ "id": "voucher-scope", "name": "Scope", "skus": ["V-THIRTY"] }),
    )
    .await
    .expect(201);
    add_product(&app, "V-OTHER", "30.00").await;
    add_voucher(
        &app,
        &json!({ "code": "SCOPED-50", "amount": "50", "selections": ["voucher-scope"] }),
    )
    .await
    .expect(201);
    let quote = evaluate(&app, &voucher_cart("V-OTHER", 1, "SCOPED-50", None)).await;
    let outcome = voucher_outcome(&quote);
    assert_eq!(dec(&outcome["granted"]), Decimal::ZERO, "{}", quote.text);
    let mut both = cart(&[("V-THIRTY", 1), ("V-OTHER", 1)]);
    both["codes"] = json!(["SCOPED-50"]);
    let quote = evaluate(&app, &both).await;
    let outcome = voucher_outcome(&quote);
    assert_eq!(dec(&outcome["granted"]), d("30.00"), "{}", quote.text);
    assert_eq!(dec(&outcome["remaining"]), d("20.00"));

    // Expired.
    add_voucher(
        &app,
        &json!({ "code": "OLD-10", "amount": "10", "starts_at": "2020-01-01T00:00",
                 "ends_at": "2021-01-01T00:00" }),
    )
    .await
    .expect(201);
    let quote = evaluate(&app, &voucher_cart("V-THIRTY", 1, "OLD-10", None)).await;
    assert_eq!(
        quote.body["codes"][0]["reason"], "expired",
        "{}",
        quote.text
    );
    let check = app.get("/v1/codes/OLD-10", STOREFRONT).await;
    assert_eq!(check.body["reason"], "expired");
    let refused = reserve(&app, &reservation("OLD-10", "C-1", "SO-9", "5")).await;
    refused.expect(409);
    assert_eq!(refused.body["reason"], "expired");

    // A coupon's code with an amount is refused, naming it.
    app.post(
        "/v1/coupons",
        MANAGEMENT,
        &json!({ "code": "COUPON-1", "promotion": "marvel-20" }),
    )
    .await
    .expect(201);
    reserve(&app, &reservation("COUPON-1", "C-1", "SO-10", "5"))
        .await
        .expect_problem(422, Some("amount"));
}

/// A caller cannot grant itself a voucher: the cart's `vouchers` come only from stored codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_cannot_carry_its_own_vouchers() {
    let app = crate::support::spawn_app().await;
    let mut body = crate::support::cart(&[("GAME-UNO", 1)]);
    body["vouchers"] = serde_json::json!([{ "code": "FREE", "amount": "9.99" }]);
    app.post("/v1/carts/evaluate", crate::support::STOREFRONT, &body)
        .await
        .expect_problem(422, Some("vouchers"));
}
