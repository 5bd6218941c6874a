//! Coupon codes and redemptions through the API: shared coupons and every refusal of a code
//! check, stored coupons in cart evaluation, the reserve → confirm / cancel flow and its
//! idempotency, the failed-look-up rate limit on carts (`limiter.rs` has the rest; batches are in
//! `batches.rs`), and reservations raced by
//! concurrent clients over two server instances of one database (SQLite; PostgreSQL too when
//! `REMISE_TEST_POSTGRES_URL` is set).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use remise_test_support::{TestPostgres, TestSqlite};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::{
    MANAGEMENT, Reply, STOREFRONT, TestApp, cart, code_only, line, load_demo, outcome, percent_off,
    promotion_status, spawn_app, spawn_app_on,
};

/// The alphabet of generated codes: no 0/O, 1/I/L.
pub(crate) const ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub(crate) async fn add_promotion(app: &TestApp, body: &Value) {
    app.post("/v1/promotions", MANAGEMENT, body)
        .await
        .expect(201);
}

pub(crate) async fn add_coupon(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/coupons", MANAGEMENT, body).await
}

/// A code in a path (codes may hold spaces).
fn encode(code: &str) -> String {
    code.replace(' ', "%20")
}

/// `GET /v1/codes/{code}` with `query` (`""`, `"?customer=C-1"`).
pub(crate) async fn check_code(app: &TestApp, key: &str, code: &str, query: &str) -> Reply {
    app.get(&format!("/v1/codes/{}{query}", encode(code)), key)
        .await
}

/// A code check that answered "not usable, because `reason`".
#[track_caller]
pub(crate) fn assert_not_usable(reply: &Reply, reason: &str) {
    reply.expect(200);
    assert_eq!(reply.body["usable"], false, "{}", reply.text);
    assert_eq!(reply.body["reason"], reason, "{}", reply.text);
}

/// A code check that answered "usable".
#[track_caller]
pub(crate) fn assert_usable(reply: &Reply) {
    reply.expect(200);
    assert_eq!(reply.body["usable"], true, "{}", reply.text);
    assert_eq!(reply.body["reason"], Value::Null, "{}", reply.text);
}

/// A reservation request.
pub(crate) fn reservation(code: &str, customer: Option<&str>, order: &str, key: &str) -> Value {
    let mut body = json!({ "code": code, "order_id": order, "idempotency_key": key });
    if let Some(customer) = customer {
        body["customer"] = json!(customer);
    }
    body
}

pub(crate) async fn reserve(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/redemptions", STOREFRONT, body).await
}

/// A redemption step refused with `reason` (409, `/problems/code-refused`).
#[track_caller]
pub(crate) fn assert_refused(reply: &Reply, reason: &str) {
    reply.expect(409);
    assert_eq!(
        reply.body["type"], "/problems/code-refused",
        "{}",
        reply.text
    );
    assert_eq!(reply.body["reason"], reason, "{}", reply.text);
}

/// Reserves and confirms one use; returns the redemption id.
pub(crate) async fn redeem(
    app: &TestApp,
    code: &str,
    customer: Option<&str>,
    order: &str,
) -> String {
    let reserved = reserve(app, &reservation(code, customer, order, order)).await;
    reserved.expect(201);
    let id = text(&reserved.body["id"]);
    app.post(
        &format!("/v1/redemptions/{id}/confirm"),
        STOREFRONT,
        &json!({}),
    )
    .await
    .expect(200);
    id
}

/// The uses of a code as the management API counts them.
async fn uses(app: &TestApp, code: &str) -> u64 {
    let coupon = app
        .get(&format!("/v1/coupons/{}", encode(code)), MANAGEMENT)
        .await;
    coupon.expect(200);
    coupon.body["uses"]
        .as_u64()
        .unwrap_or_else(|| panic!("no uses: {}", coupon.text))
}

#[track_caller]
pub(crate) fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

#[track_caller]
fn instant(value: &Value) -> Timestamp {
    text(value)
        .parse()
        .unwrap_or_else(|e| panic!("not an RFC 3339 instant: {value}: {e}"))
}

/// The normalised codes of a coupon list page.
fn normalized(page: &Reply) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", page.text))
        .iter()
        .map(|c| text(&c["normalized"]))
        .collect()
}

/// Every coupon of `query` (`batch=…`), following `next_after`.
pub(crate) async fn all_coupons(app: &TestApp, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(after) => format!("/v1/coupons?{query}&limit=500&after={after}"),
            None => format!("/v1/coupons?{query}&limit=500"),
        };
        let page = app.get(&path, MANAGEMENT).await;
        page.expect(200);
        items.extend(page.body["items"].as_array().cloned().unwrap_or_default());
        match page.body["next_after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// Replaces the store settings with `change` applied (with the version read, in `If-Match`).
async fn change_settings(app: &TestApp, change: impl FnOnce(&mut Value)) -> Reply {
    let current = app.get("/v1/settings", MANAGEMENT).await;
    current.expect(200);
    let mut data = current.body["data"].clone();
    change(&mut data);
    app.put("/v1/settings", MANAGEMENT, &data, Some(current.etag()))
        .await
}

// ---------------------------------------------------------------------------------------------
// Shared coupons

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_coupons_are_created_normalised_listed_and_switched() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("noel-uno", "GAME-UNO", 50)).await;
    add_promotion(&app, &code_only("noel-groot", "PLUSH-GROOT", 10)).await;

    let created = add_coupon(
        &app,
        &json!({
            "code": " noel-2026 ", "promotion": "noel-uno", "max_uses": 100,
            "uses_per_customer": 1, "starts_at": "2026-01-01T00:00",
            "ends_at": "2099-01-01T00:00:00Z",
        }),
    )
    .await;
    created.expect(201);
    let coupon = &created.body;
    assert_eq!(coupon["code"], "noel-2026", "shown as typed, trimmed");
    assert_eq!(coupon["normalized"], "NOEL2026");
    assert_eq!(coupon["promotion"], "noel-uno");
    assert_eq!(coupon["batch"], Value::Null);
    assert_eq!(coupon["max_uses"], 100);
    assert_eq!(coupon["uses_per_customer"], 1);
    // A civil date-time is in the store's zone (Paris: UTC+1 in January).
    assert_eq!(coupon["starts_at"], "2025-12-31T23:00:00Z");
    assert_eq!(coupon["ends_at"], "2099-01-01T00:00:00Z");
    assert_eq!(coupon["customers"], json!([]));
    assert_eq!(coupon["state"], "available");

    // The same code however it is written: case, spaces, dashes, dots, underscores.
    for same in ["NOEL 2026", "Noel_2026", "n.o.e.l-2026", "NOEL2026"] {
        let duplicate = add_coupon(&app, &json!({ "code": same, "promotion": "noel-groot" })).await;
        duplicate.expect(409);
        assert_eq!(
            duplicate.body["type"], "/problems/conflict",
            "{}",
            duplicate.text
        );
    }

    // Refused requests name their field.
    let refusals = [
        (json!({ "code": "X1", "promotion": "nope" }), "promotion"),
        (
            json!({ "code": "X1", "promotion": "noel-uno", "max_uses": 0 }),
            "max_uses",
        ),
        (
            json!({ "code": "X1", "promotion": "noel-uno", "uses_per_customer": 0 }),
            "uses_per_customer",
        ),
        (json!({ "code": " - ", "promotion": "noel-uno" }), "code"),
        (json!({ "code": "NOËL", "promotion": "noel-uno" }), "code"),
        (
            json!({ "code": "A".repeat(65), "promotion": "noel-uno" }),
            "code",
        ),
        (
            json!({ "code": "X1", "promotion": "noel-uno", "starts_at": "tomorrow" }),
            "starts_at",
        ),
        (
            json!({ "code": "X1", "promotion": "noel-uno",
                    "starts_at": "2026-12-01T00:00", "ends_at": "2026-11-01T00:00" }),
            "ends_at",
        ),
    ];
    for (body, field) in refusals {
        let refused = add_coupon(&app, &body).await;
        refused.expect_problem(422, Some(field));
        assert_eq!(
            refused.body["type"], "/problems/validation",
            "{}",
            refused.text
        );
    }
    // Every problem at once.
    let many = add_coupon(
        &app,
        &json!({ "code": "X1", "promotion": "nope", "max_uses": 0 }),
    )
    .await;
    many.expect(422);
    assert_eq!(many.error_fields(), ["promotion", "max_uses"]);
    add_coupon(
        &app,
        &json!({ "code": "X1", "promotion": "noel-uno", "colour": "red" }),
    )
    .await
    .expect(400);
    app.post(
        "/v1/coupons",
        STOREFRONT,
        &json!({ "code": "X1", "promotion": "noel-uno" }),
    )
    .await
    .expect(403);
    // Nothing refused was stored.
    app.get("/v1/coupons/X1", MANAGEMENT)
        .await
        .expect_problem(404, None);

    // Read under any spelling.
    for spelling in ["noel-2026", "NOEL 2026", "Noel2026"] {
        let read = app
            .get(&format!("/v1/coupons/{}", encode(spelling)), MANAGEMENT)
            .await;
        read.expect(200);
        assert_eq!(read.body["normalized"], "NOEL2026");
        assert_eq!(read.body["uses"], 0);
    }

    // Lists: filters by promotion, shared or batch, and pages in code order.
    for code in ["groot-b", "GROOT-A"] {
        add_coupon(&app, &json!({ "code": code, "promotion": "noel-groot" }))
            .await
            .expect(201);
    }
    app.post(
        "/v1/batches",
        MANAGEMENT,
        &json!({ "id": "lot-1", "promotion": "noel-uno", "quota": 3, "length": 10 }),
    )
    .await
    .expect(201);
    let all = app.get("/v1/coupons", MANAGEMENT).await;
    all.expect(200);
    // The demo's stored MARVEL10, the three shared codes above and the batch's three.
    assert_eq!(normalized(&all).len(), 7);
    let mut sorted = normalized(&all);
    sorted.sort();
    assert_eq!(normalized(&all), sorted, "in code order");
    let groot = app
        .get("/v1/coupons?promotion=noel-groot", MANAGEMENT)
        .await;
    assert_eq!(normalized(&groot), ["GROOTA", "GROOTB"]);
    let shared = app.get("/v1/coupons?shared=true", MANAGEMENT).await;
    assert_eq!(
        normalized(&shared),
        ["GROOTA", "GROOTB", "MARVEL10", "NOEL2026"]
    );
    let shared_uno = app
        .get("/v1/coupons?shared=true&promotion=noel-uno", MANAGEMENT)
        .await;
    assert_eq!(normalized(&shared_uno), ["NOEL2026"]);
    let batch = app.get("/v1/coupons?batch=lot-1", MANAGEMENT).await;
    assert_eq!(normalized(&batch).len(), 3);
    for item in batch.body["items"].as_array().into_iter().flatten() {
        assert_eq!(item["batch"], "lot-1");
        assert_eq!(item["max_uses"], 1);
        assert_eq!(item["promotion"], "noel-uno");
    }
    let first = app.get("/v1/coupons?shared=true&limit=2", MANAGEMENT).await;
    assert_eq!(normalized(&first), ["GROOTA", "GROOTB"]);
    assert_eq!(first.body["next_after"], "GROOTB");
    let rest = app
        .get("/v1/coupons?shared=true&limit=2&after=groot-b", MANAGEMENT)
        .await;
    assert_eq!(normalized(&rest), ["MARVEL10", "NOEL2026"]);
    assert_eq!(rest.body["next_after"], "NOEL2026");
    let last = app
        .get("/v1/coupons?shared=true&limit=2&after=NOEL2026", MANAGEMENT)
        .await;
    assert!(normalized(&last).is_empty());
    assert_eq!(last.body["next_after"], Value::Null);
    app.get("/v1/coupons?limit=501", MANAGEMENT)
        .await
        .expect_problem(422, Some("limit"));
    app.get("/v1/coupons?colour=red", MANAGEMENT)
        .await
        .expect(400);

    // Disabled: refused by the check and by a reservation; enabled again: usable.
    let disabled = app
        .post("/v1/coupons/noel%202026/disable", MANAGEMENT, &json!({}))
        .await;
    disabled.expect(200);
    assert_eq!(disabled.body["state"], "disabled");
    assert_not_usable(
        &check_code(&app, STOREFRONT, "noel-2026", "").await,
        "disabled",
    );
    assert_refused(
        &reserve(&app, &reservation("noel-2026", Some("C-1"), "SO-1", "K-1")).await,
        "disabled",
    );
    let enabled = app
        .post("/v1/coupons/NOEL2026/enable", MANAGEMENT, &json!({}))
        .await;
    enabled.expect(200);
    assert_eq!(enabled.body["state"], "available");
    // Limited per customer: checked for a customer.
    let usable = check_code(&app, STOREFRONT, "NOEL 2026", "?customer=C-1").await;
    assert_usable(&usable);
    assert_eq!(usable.body["promotion"], "noel-uno");
    assert_eq!(usable.body["code"], "noel-2026");
    reserve(&app, &reservation("noel-2026", Some("C-1"), "SO-1", "K-1"))
        .await
        .expect(201);
    app.post("/v1/coupons/NOPE/disable", MANAGEMENT, &json!({}))
        .await
        .expect_problem(404, None);
    app.post("/v1/coupons/NOEL2026/disable", STOREFRONT, &json!({}))
        .await
        .expect(403);
}

/// The coupons of [`every_refusal_of_a_code_check`] and [`every_refusal_of_a_reservation`]: one
/// per reason.
async fn refusal_fixture() -> TestApp {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("uno-code", "GAME-UNO", 50)).await;
    for coupon in [
        json!({ "code": "OPEN-1" }),
        json!({ "code": "OFF-1" }),
        json!({ "code": "LATER-1", "starts_at": "2099-01-01T00:00:00Z" }),
        json!({ "code": "OLD-1", "starts_at": "2020-01-01T00:00", "ends_at": "2021-01-01T00:00" }),
        json!({ "code": "ONCE-1", "max_uses": 1 }),
        json!({ "code": "PERSO-1", "uses_per_customer": 1 }),
        json!({ "code": "VIP-ONLY", "customers": ["C-1", "C-2"] }),
        json!({ "code": "PRO-ONLY", "groups": ["pro"] }),
    ] {
        let mut body = coupon;
        body["promotion"] = json!("uno-code");
        add_coupon(&app, &body).await.expect(201);
    }
    app.post("/v1/coupons/OFF-1/disable", MANAGEMENT, &json!({}))
        .await
        .expect(200);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_of_a_code_check() {
    let app = refusal_fixture().await;

    let unknown = check_code(&app, STOREFRONT, "nope-404", "").await;
    assert_not_usable(&unknown, "unknown");
    assert_eq!(unknown.body["code"], "nope-404");

    let open = check_code(&app, STOREFRONT, "open 1", "?customer=C-1").await;
    assert_usable(&open);
    assert_eq!(open.body["code"], "OPEN-1");
    assert_eq!(open.body["promotion"], "uno-code");
    assert_eq!(open.body["uses"], 0);
    assert_eq!(open.body["customer_uses"], 0);

    assert_not_usable(&check_code(&app, STOREFRONT, "off-1", "").await, "disabled");
    assert_not_usable(
        &check_code(&app, STOREFRONT, "later-1", "").await,
        "not_yet_valid",
    );
    assert_not_usable(&check_code(&app, STOREFRONT, "old-1", "").await, "expired");

    // Used up: one use, reserved (not yet confirmed) counts.
    assert_usable(&check_code(&app, STOREFRONT, "once-1", "").await);
    reserve(&app, &reservation("ONCE-1", None, "SO-1", "K-1"))
        .await
        .expect(201);
    let used_up = check_code(&app, STOREFRONT, "once-1", "").await;
    assert_not_usable(&used_up, "used_up");
    assert_eq!(used_up.body["uses"], 1);

    // A customer's limit: that customer only.
    redeem(&app, "PERSO-1", Some("C-1"), "SO-2").await;
    let limited = check_code(&app, STOREFRONT, "perso-1", "?customer=C-1").await;
    assert_not_usable(&limited, "customer_limit_reached");
    assert_eq!(limited.body["customer_uses"], 1);
    assert_eq!(limited.body["uses"], 1);
    let other = check_code(&app, STOREFRONT, "perso-1", "?customer=C-2").await;
    assert_usable(&other);
    assert_eq!(other.body["customer_uses"], 0);
    assert_eq!(other.body["uses"], 1);

    // Listed customers.
    for query in ["?customer=C-3", ""] {
        assert_not_usable(
            &check_code(&app, STOREFRONT, "vip-only", query).await,
            "not_for_customer",
        );
    }
    assert_usable(&check_code(&app, STOREFRONT, "vip-only", "?customer=C-2").await);

    // Listed groups.
    for query in ["?groups=vip", "", "?customer=C-1&groups=vip,%20retail"] {
        assert_not_usable(
            &check_code(&app, STOREFRONT, "pro-only", query).await,
            "not_for_customer",
        );
    }
    assert_usable(&check_code(&app, STOREFRONT, "pro-only", "?groups=vip,%20pro").await);

    app.get("/v1/codes/OPEN-1?colour=red", STOREFRONT)
        .await
        .expect(400);
    app.send(app.request(reqwest::Method::GET, "/v1/codes/OPEN-1"))
        .await
        .expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_of_a_reservation() {
    let app = refusal_fixture().await;
    let attempt = |code: &str, customer: Option<&str>, order: &str| {
        reservation(code, customer, order, &format!("key-{order}"))
    };
    assert_refused(
        &reserve(&app, &attempt("nope-404", None, "SO-1")).await,
        "unknown",
    );
    assert_refused(
        &reserve(&app, &attempt("off-1", None, "SO-2")).await,
        "disabled",
    );
    assert_refused(
        &reserve(&app, &attempt("later-1", None, "SO-3")).await,
        "not_yet_valid",
    );
    assert_refused(
        &reserve(&app, &attempt("old-1", None, "SO-4")).await,
        "expired",
    );

    reserve(&app, &attempt("once-1", None, "SO-5"))
        .await
        .expect(201);
    assert_refused(
        &reserve(&app, &attempt("once-1", None, "SO-6")).await,
        "used_up",
    );

    reserve(&app, &attempt("perso-1", Some("C-1"), "SO-7"))
        .await
        .expect(201);
    assert_refused(
        &reserve(&app, &attempt("perso-1", Some("C-1"), "SO-8")).await,
        "customer_limit_reached",
    );
    reserve(&app, &attempt("perso-1", Some("C-2"), "SO-9"))
        .await
        .expect(201);

    for customer in [Some("C-3"), None] {
        assert_refused(
            &reserve(&app, &attempt("vip-only", customer, "SO-10")).await,
            "not_for_customer",
        );
    }
    reserve(&app, &attempt("vip-only", Some("C-2"), "SO-11"))
        .await
        .expect(201);

    let mut not_pro = attempt("pro-only", Some("C-1"), "SO-12");
    not_pro["groups"] = json!(["vip"]);
    assert_refused(&reserve(&app, &not_pro).await, "not_for_customer");
    assert_refused(
        &reserve(&app, &attempt("pro-only", Some("C-1"), "SO-13")).await,
        "not_for_customer",
    );
    let mut pro = attempt("pro-only", Some("C-1"), "SO-14");
    pro["groups"] = json!(["vip", "pro"]);
    reserve(&app, &pro).await.expect(201);

    // The idempotency key of SO-14 for another order, customer or code.
    for other in [
        reservation("pro-only", Some("C-1"), "SO-15", "key-SO-14"),
        reservation("pro-only", Some("C-2"), "SO-14", "key-SO-14"),
        reservation("open-1", Some("C-1"), "SO-14", "key-SO-14"),
    ] {
        assert_refused(&reserve(&app, &other).await, "idempotency_key_reused");
    }

    // Malformed requests are not refusals.
    for (body, field) in [
        (reservation("open-1", None, " ", "K"), "order_id"),
        (reservation("open-1", None, "SO-16", ""), "idempotency_key"),
        (
            reservation("open-1", None, "SO-16", &"k".repeat(201)),
            "idempotency_key",
        ),
    ] {
        reserve(&app, &body).await.expect_problem(422, Some(field));
    }
    reserve(&app, &json!({ "code": "open-1", "order_id": "SO-16" }))
        .await
        .expect(400);
    reserve(
        &app,
        &json!({ "code": "open-1", "order_id": "SO-16", "idempotency_key": "K", "x": 1 }),
    )
    .await
    .expect(400);
    // None of the refused attempts counted a use.
    assert_eq!(uses(&app, "OPEN-1").await, 0);
    assert_eq!(uses(&app, "ONCE-1").await, 1);
    assert_eq!(uses(&app, "PERSO-1").await, 2);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_coupon_unlocks_its_promotion_in_a_cart_without_being_consumed() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(
        &app,
        &json!({ "code": "UNOHALF26", "promotion": "uno-code", "max_uses": 1 }),
    )
    .await
    .expect(201);

    let mut with_code = cart(&[("GAME-UNO", 1)]);
    with_code["codes"] = json!(["uno-half-26"]);
    let quote = app.evaluate(&with_code).await;
    quote.expect(200);
    assert_eq!(
        promotion_status(&quote.body, "uno-code").as_deref(),
        Some("applied"),
        "{}",
        quote.text
    );
    let uno = line(&quote.body, "L1");
    assert_eq!(uno["subtotal"], "9.99");
    assert_eq!(uno["discounts"][0]["promotion"], "uno-code");
    assert_eq!(uno["amount"], "4.99", "{uno}");
    assert_eq!(
        quote.body["codes"],
        json!([{ "code": "uno-half-26", "usable": true, "promotions": ["uno-code"] }])
    );

    // Without the code, or with a code the store does not know: not applied, and the quote
    // says which condition failed.
    for codes in [json!([]), json!(["UNO-HALF-27"])] {
        let mut other = cart(&[("GAME-UNO", 1)]);
        other["codes"] = codes;
        let quote = app.evaluate(&other).await;
        quote.expect(200);
        let uno_code = outcome(&quote.body, "uno-code");
        assert_eq!(uno_code["status"], "rejected", "{}", quote.text);
        assert_eq!(uno_code["reason"]["code"], "coupon_not_presented");
        assert_eq!(
            uno_code["reason"]["message"],
            "no code for this promotion presented"
        );
        assert_eq!(line(&quote.body, "L1")["amount"], "9.99");
    }

    // Evaluating is not using.
    for _ in 0..5 {
        assert_eq!(
            app.promotion_status(&with_code, "uno-code")
                .await
                .as_deref(),
            Some("applied")
        );
    }
    assert_eq!(uses(&app, "UNOHALF26").await, 0);

    // Used up (its one use confirmed): shown as such, and the promotion is not applied.
    redeem(&app, "uno-half-26", Some("C-1"), "SO-1").await;
    let quote = app.evaluate(&with_code).await;
    quote.expect(200);
    assert_eq!(
        quote.body["codes"],
        json!([{ "code": "uno-half-26", "usable": false, "reason": "used_up", "promotions": [] }])
    );
    let uno_code = outcome(&quote.body, "uno-code");
    assert_eq!(uno_code["status"], "rejected");
    assert_eq!(uno_code["reason"]["code"], "coupon_not_usable");
    assert_eq!(uno_code["reason"]["coupon"], "uno-half-26");
    assert_eq!(uno_code["reason"]["why"], "used_up");
    assert_eq!(line(&quote.body, "L1")["amount"], "9.99");

    // The customer and groups of the cart are those the coupon's restrictions see.
    add_coupon(
        &app,
        &json!({ "code": "UNO-VIP", "promotion": "uno-code", "customers": ["C-7"] }),
    )
    .await
    .expect(201);
    let mut vip = cart(&[("GAME-UNO", 1)]);
    vip["codes"] = json!(["uno-vip"]);
    for (customer, usable) in [
        (json!({ "id": "C-8" }), false),
        (json!({ "id": "C-7" }), true),
    ] {
        vip["customer"] = customer;
        let quote = app.evaluate(&vip).await;
        quote.expect(200);
        assert_eq!(quote.body["codes"][0]["usable"], usable, "{}", quote.text);
        let status = if usable { "applied" } else { "rejected" };
        assert_eq!(outcome(&quote.body, "uno-code")["status"], status);
        if !usable {
            assert_eq!(quote.body["codes"][0]["reason"], "not_for_customer");
        }
    }
}

/// Why [`code_only`] gives its promotions `conditions.coupon`: a promotion without it applies
/// to every cart, code or not, even when a stored coupon names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_without_a_coupon_condition_applies_without_its_code() {
    let app = spawn_app().await;
    add_promotion(&app, &percent_off("groot-10", "PLUSH-GROOT", 10, None)).await;
    add_coupon(
        &app,
        &json!({ "code": "GROOT-10", "promotion": "groot-10" }),
    )
    .await
    .expect(201);
    let plain = cart(&[("PLUSH-GROOT", 1)]);
    assert_eq!(
        app.promotion_status(&plain, "groot-10").await.as_deref(),
        Some("applied")
    );
}

// ---------------------------------------------------------------------------------------------
// Redemptions

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_is_confirmed_or_cancelled_idempotently() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(
        &app,
        &json!({ "code": "SOLO-1", "promotion": "uno-code", "max_uses": 1 }),
    )
    .await
    .expect(201);

    let request = reservation("solo-1", Some("C-1"), "SO-1", "K-1");
    let before = Timestamp::now();
    let reserved = reserve(&app, &request).await;
    let after = Timestamp::now();
    reserved.expect(201);
    let first = reserved.body.clone();
    let id = text(&first["id"]);
    assert!(id.starts_with("red_"), "{id}");
    assert_eq!(first["state"], "reserved");
    assert_eq!(first["code"], "SOLO1");
    assert_eq!(first["promotion"], "uno-code");
    assert_eq!(first["customer"], "C-1");
    assert_eq!(first["order_id"], "SO-1");
    assert_eq!(first["idempotency_key"], "K-1");
    assert_eq!(first["confirmed_at"], Value::Null);
    assert_eq!(first["cancelled_at"], Value::Null);
    let reserved_at = instant(&first["reserved_at"]);
    assert!(
        before.as_millisecond() <= reserved_at.as_millisecond() && reserved_at <= after,
        "{reserved_at} not between {before} and {after}"
    );
    // The default hold: 30 minutes.
    assert_eq!(
        instant(&first["expires_at"]).duration_since(reserved_at),
        SignedDuration::from_mins(30)
    );

    // The same request again: the same redemption, no second use.
    let again = reserve(&app, &request).await;
    again.expect(201);
    assert_eq!(again.body, first);
    assert_eq!(uses(&app, "SOLO-1").await, 1);
    // Its key for another order: refused.
    assert_refused(
        &reserve(&app, &reservation("solo-1", Some("C-1"), "SO-2", "K-1")).await,
        "idempotency_key_reused",
    );
    // Another order while it is reserved: no use left.
    assert_refused(
        &reserve(&app, &reservation("solo-1", Some("C-2"), "SO-2", "K-2")).await,
        "used_up",
    );
    let read = app.get(&format!("/v1/redemptions/{id}"), STOREFRONT).await;
    read.expect(200);
    assert_eq!(read.body, first);

    // Confirmed, twice: the same answer.
    let confirm = format!("/v1/redemptions/{id}/confirm");
    let confirmed = app.post(&confirm, STOREFRONT, &json!({})).await;
    confirmed.expect(200);
    assert_eq!(confirmed.body["state"], "confirmed");
    assert_eq!(confirmed.body["id"], json!(id));
    let confirmed_at = instant(&confirmed.body["confirmed_at"]);
    assert!(confirmed_at >= reserved_at);
    let twice = app.post(&confirm, STOREFRONT, &json!({})).await;
    twice.expect(200);
    assert_eq!(twice.body, confirmed.body);
    assert_eq!(uses(&app, "SOLO-1").await, 1);

    // Cancelled after confirmation: the use is released, and another order can have it.
    let cancel = format!("/v1/redemptions/{id}/cancel");
    let cancelled = app.post(&cancel, STOREFRONT, &json!({})).await;
    cancelled.expect(200);
    assert_eq!(cancelled.body["state"], "cancelled");
    assert_eq!(
        cancelled.body["confirmed_at"],
        confirmed.body["confirmed_at"]
    );
    assert!(instant(&cancelled.body["cancelled_at"]) >= confirmed_at);
    let twice = app.post(&cancel, STOREFRONT, &json!({})).await;
    twice.expect(200);
    assert_eq!(twice.body, cancelled.body);
    assert_eq!(uses(&app, "SOLO-1").await, 0);
    assert_usable(&check_code(&app, STOREFRONT, "SOLO-1", "").await);
    // A cancelled redemption cannot be confirmed.
    assert_refused(
        &app.post(&confirm, STOREFRONT, &json!({})).await,
        "not_reserved",
    );
    // The first request again is still answered with its redemption, as it is now.
    let replayed = reserve(&app, &request).await;
    assert_eq!(replayed.body["id"], json!(id), "{}", replayed.text);
    assert_eq!(replayed.body["state"], "cancelled");
    assert_eq!(uses(&app, "SOLO-1").await, 0);

    let second = reserve(&app, &reservation("SOLO 1", Some("C-2"), "SO-2", "K-2")).await;
    second.expect(201);
    let second_id = text(&second.body["id"]);
    assert_ne!(second_id, id);
    assert_eq!(uses(&app, "SOLO-1").await, 1);
    // Cancelled before confirmation: released too, and no longer confirmable.
    app.post(
        &format!("/v1/redemptions/{second_id}/cancel"),
        STOREFRONT,
        &json!({}),
    )
    .await
    .expect(200);
    assert_eq!(uses(&app, "SOLO-1").await, 0);
    assert_refused(
        &app.post(
            &format!("/v1/redemptions/{second_id}/confirm"),
            STOREFRONT,
            &json!({}),
        )
        .await,
        "not_reserved",
    );

    // Unknown ids.
    let unknown = "red_00000000000000000000000000000000";
    app.get(&format!("/v1/redemptions/{unknown}"), STOREFRONT)
        .await
        .expect_problem(404, None);
    for step in ["confirm", "cancel"] {
        app.post(
            &format!("/v1/redemptions/{unknown}/{step}"),
            STOREFRONT,
            &json!({}),
        )
        .await
        .expect_problem(404, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reservation_hold_follows_the_settings() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(&app, &json!({ "code": "HOLD", "promotion": "uno-code" }))
        .await
        .expect(201);
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    assert_eq!(settings.body["data"]["reservation_minutes"], 30);
    assert_eq!(settings.body["data"]["code_attempts_per_minute"], 20);

    for minutes in [5, 7 * 24 * 60] {
        change_settings(&app, |s| s["reservation_minutes"] = json!(minutes))
            .await
            .expect(200);
        let reserved = reserve(
            &app,
            &reservation(
                "HOLD",
                None,
                &format!("SO-{minutes}"),
                &format!("K-{minutes}"),
            ),
        )
        .await;
        reserved.expect(201);
        assert_eq!(
            instant(&reserved.body["expires_at"])
                .duration_since(instant(&reserved.body["reserved_at"])),
            SignedDuration::from_mins(minutes),
        );
    }
    for (field, value) in [
        ("reservation_minutes", 0),
        ("reservation_minutes", 7 * 24 * 60 + 1),
        ("code_attempts_per_minute", 0),
    ] {
        change_settings(&app, |s| s[field] = json!(value))
            .await
            .expect_problem(422, Some(field));
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency, over two instances of one database

/// Sends every request of `attempts` at once (at most `in_flight` at a time, in order), the
/// `i`-th to instance `i % 2`; returns each answer's status, reason and redemption id.
async fn race(
    apps: &[Arc<TestApp>; 2],
    attempts: Vec<Value>,
    in_flight: usize,
) -> Vec<(u16, Option<String>, Option<String>)> {
    let permits = Arc::new(Semaphore::new(in_flight));
    let mut tasks = JoinSet::new();
    for (i, body) in attempts.into_iter().enumerate() {
        let app = Arc::clone(&apps[i % 2]);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is open");
            let reply = reserve(&app, &body).await;
            (
                reply.status.as_u16(),
                reply.body["reason"].as_str().map(str::to_owned),
                reply.body["id"].as_str().map(str::to_owned),
            )
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("a racing client panicked"));
    }
    answers
}

/// How many answers had each (status, reason).
fn tally(answers: &[(u16, Option<String>, Option<String>)]) -> BTreeMap<(u16, String), usize> {
    let mut tally = BTreeMap::new();
    for (status, reason, _) in answers {
        *tally
            .entry((*status, reason.clone().unwrap_or_default()))
            .or_insert(0) += 1;
    }
    tally
}

/// The races, on the database at `url` (migrated and loaded here), served by two instances.
async fn races(url: &str, backend: &str) {
    load_demo(url).await;
    let apps = [
        Arc::new(spawn_app_on(url).await),
        Arc::new(spawn_app_on(url).await),
    ];
    let (a, b) = (&apps[0], &apps[1]);
    add_promotion(a, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(
        a,
        &json!({ "code": "SOLO-64", "promotion": "uno-code", "max_uses": 1 }),
    )
    .await
    .expect(201);

    // (a) One single-use code, 64 clients over both instances: exactly one wins.
    let started = Instant::now();
    let attempts = (0..64)
        .map(|i| reservation("solo-64", None, &format!("SO-{i}"), &format!("K-{i}")))
        .collect();
    let answers = race(&apps, attempts, 64).await;
    assert_eq!(
        tally(&answers),
        BTreeMap::from([((201, String::new()), 1), ((409, "used_up".to_owned()), 63)]),
        "{backend}: 64 clients on one single-use code"
    );
    assert_eq!(uses(b, "SOLO-64").await, 1);
    eprintln!(
        "{backend}: 64 clients on one code in {:?}",
        started.elapsed()
    );

    // (b) 1,000 single-use codes, each raced by 4 clients: exactly 1,000 reservations.
    let started = Instant::now();
    let batch = a
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "race", "promotion": "uno-code", "quota": 1000, "length": 10 }),
        )
        .await;
    batch.expect(201);
    let codes: Vec<String> = all_coupons(b, "batch=race")
        .await
        .iter()
        .map(|c| text(&c["code"]))
        .collect();
    assert_eq!(codes.len(), 1000);
    let attempts = codes
        .iter()
        .flat_map(|code| {
            (0..4).map(move |j| {
                reservation(
                    &code.to_lowercase(),
                    Some(&format!("C-{j}")),
                    &format!("{code}-{j}"),
                    &format!("{code}-{j}"),
                )
            })
        })
        .collect();
    let answers = race(&apps, attempts, 64).await;
    assert_eq!(
        tally(&answers),
        BTreeMap::from([
            ((201, String::new()), 1000),
            ((409, "used_up".to_owned()), 3000)
        ]),
        "{backend}: 4 clients on each of 1,000 codes"
    );
    let ids: HashSet<&String> = answers.iter().filter_map(|a| a.2.as_ref()).collect();
    assert_eq!(ids.len(), 1000);
    let counts = a.get("/v1/batches/race", MANAGEMENT).await;
    assert_eq!(counts.body["counts"]["reserved"], 1000, "{}", counts.text);
    eprintln!(
        "{backend}: 4,000 clients on 1,000 codes in {:?}",
        started.elapsed()
    );

    // (c) Two uses per customer, 16 attempts by one customer at once: exactly two.
    let started = Instant::now();
    add_coupon(
        a,
        &json!({ "code": "TWICE", "promotion": "uno-code", "uses_per_customer": 2 }),
    )
    .await
    .expect(201);
    let attempts = (0..16)
        .map(|i| {
            reservation(
                "twice",
                Some("C-16"),
                &format!("SO-T{i}"),
                &format!("T-{i}"),
            )
        })
        .collect();
    let answers = race(&apps, attempts, 16).await;
    assert_eq!(
        tally(&answers),
        BTreeMap::from([
            ((201, String::new()), 2),
            ((409, "customer_limit_reached".to_owned()), 14)
        ]),
        "{backend}: 16 attempts by one customer of a code allowed twice"
    );
    let check = check_code(b, STOREFRONT, "twice", "?customer=C-16").await;
    assert_not_usable(&check, "customer_limit_reached");
    assert_eq!(check.body["customer_uses"], 2);
    assert_usable(&check_code(a, STOREFRONT, "twice", "?customer=C-17").await);

    // Eight identical requests at once: one redemption, one use.
    add_coupon(a, &json!({ "code": "SAME-8", "promotion": "uno-code" }))
        .await
        .expect(201);
    let request = reservation("same-8", Some("C-8"), "SO-8", "K-SAME-8");
    let answers = race(&apps, vec![request; 8], 8).await;
    assert_eq!(
        tally(&answers),
        BTreeMap::from([((201, String::new()), 8)]),
        "{backend}: 8 identical requests"
    );
    let ids: HashSet<&String> = answers.iter().filter_map(|a| a.2.as_ref()).collect();
    assert_eq!(ids.len(), 1, "{backend}: 8 identical requests, ids {ids:?}");
    assert_eq!(uses(a, "SAME-8").await, 1);
    eprintln!(
        "{backend}: per-customer limit and idempotency races in {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_over_two_instances_on_one_sqlite_file() {
    let sqlite = TestSqlite::new();
    races(&sqlite.url, "SQLite").await;
}

remise_test_support::postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_reservations_over_two_instances_on_one_postgres_database() {
        let database = TestPostgres::create().await;
        races(&database.url, "PostgreSQL").await;
    }
}

/// Guessing codes through cart evaluation is limited like the code check: unknown codes (neither
/// stored coupons nor listed by a promotion) count as failed look-ups, and a cart holds at most
/// ten codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_does_not_let_codes_be_guessed() {
    crate::support::fresh_window().await;
    let app = spawn_app().await;
    change_settings(&app, |s| s["code_attempts_per_minute"] = json!(3))
        .await
        .expect(200);
    let with_codes = |codes: Vec<String>| {
        let mut body = cart(&[("GAME-UNO", 1)]);
        body["codes"] = json!(codes);
        body
    };
    let many: Vec<String> = (0..11).map(|i| format!("GUESS-{i}")).collect();
    app.post("/v1/carts/evaluate", STOREFRONT, &with_codes(many))
        .await
        .expect_problem(422, Some("codes"));

    // The demo's MARVEL10 is listed by a promotion: known, never a failure.
    for _ in 0..5 {
        app.post(
            "/v1/carts/evaluate",
            STOREFRONT,
            &with_codes(vec!["marvel10".to_owned()]),
        )
        .await
        .expect(200);
    }
    let guesses: Vec<String> = (0..3).map(|i| format!("GUESS-{i}")).collect();
    app.post("/v1/carts/evaluate", STOREFRONT, &with_codes(guesses))
        .await
        .expect(200);
    let limited = app
        .post(
            "/v1/carts/evaluate",
            STOREFRONT,
            &with_codes(vec!["GUESS-3".to_owned()]),
        )
        .await;
    limited.expect(429);
    assert!(limited.header("retry-after").is_some());
    // A code a promotion lists needs no look-up: it is never limited.
    app.post(
        "/v1/carts/evaluate",
        STOREFRONT,
        &with_codes(vec!["marvel10".to_owned()]),
    )
    .await
    .expect(200);
    // A cart without codes is never limited.
    app.post("/v1/carts/evaluate", STOREFRONT, &cart(&[("GAME-UNO", 1)]))
        .await
        .expect(200);
}

/// A code limited per customer needs a customer; a code whose promotion was deleted is disabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_customer_codes_need_a_customer_and_deleted_promotions_disable_their_codes() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(
        &app,
        &json!({ "code": "ONCE-EACH", "promotion": "uno-code", "uses_per_customer": 1 }),
    )
    .await
    .expect(201);
    assert_not_usable(
        &check_code(&app, STOREFRONT, "once-each", "").await,
        "not_for_customer",
    );
    assert_refused(
        &reserve(&app, &reservation("once-each", None, "SO-1", "K-1")).await,
        "not_for_customer",
    );
    assert_usable(&check_code(&app, STOREFRONT, "once-each", "?customer=C-1").await);

    let promotion = app.get("/v1/promotions/uno-code", MANAGEMENT).await;
    promotion.expect(200);
    app.delete(
        "/v1/promotions/uno-code",
        MANAGEMENT,
        Some(promotion.etag()),
    )
    .await
    .expect(200);
    assert_not_usable(
        &check_code(&app, STOREFRONT, "once-each", "?customer=C-1").await,
        "disabled",
    );
    assert_refused(
        &reserve(&app, &reservation("once-each", Some("C-1"), "SO-2", "K-2")).await,
        "disabled",
    );
}

/// A promotion's own usage limits count the redemptions of its codes: once used up, a cart
/// presenting one of its codes sees it rejected for its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_limits_count_the_redemptions_of_its_codes() {
    let app = spawn_app().await;
    let mut body = code_only("uno-once", "GAME-UNO", 50);
    body["conditions"] = json!({ "coupon": { "codes": ["UNO-ONCE"] } });
    body["limits"] = json!({ "total_uses": 1, "uses_per_customer": 1 });
    add_promotion(&app, &body).await;
    add_coupon(
        &app,
        &json!({ "code": "UNO-ONCE", "promotion": "uno-once" }),
    )
    .await
    .expect(201);
    let mut with_code = cart(&[("GAME-UNO", 1)]);
    with_code["customer"] = json!({ "id": "C-2" });
    with_code["codes"] = json!(["uno-once"]);

    let before = app.post("/v1/carts/evaluate", STOREFRONT, &with_code).await;
    before.expect(200);
    assert_eq!(
        outcome(&before.body, "uno-once")["status"],
        "applied",
        "{}",
        before.text
    );

    let id = redeem(&app, "uno-once", Some("C-1"), "SO-1").await;
    assert!(id.starts_with("red_"), "{id}");
    let after = app.post("/v1/carts/evaluate", STOREFRONT, &with_code).await;
    after.expect(200);
    let rejected = outcome(&after.body, "uno-once");
    assert_eq!(rejected["status"], "rejected", "{}", after.text);
    assert_eq!(
        rejected["reason"]["code"], "usage_limit_reached",
        "{}",
        after.text
    );
}

/// The quote says why a presented code does nothing: unknown to the store, or its promotion's
/// conditions (here a minimum cart amount) are not met.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quote_explains_unknown_codes_and_unmet_minimums() {
    let app = spawn_app().await;
    let mut body = code_only("uno-min", "GAME-UNO", 50);
    body["conditions"]["min_cart_amount"] = json!("50.00");
    add_promotion(&app, &body).await;
    add_coupon(&app, &json!({ "code": "UNO-MIN", "promotion": "uno-min" }))
        .await
        .expect(201);
    let mut small = cart(&[("GAME-UNO", 1)]);
    small["codes"] = json!(["uno-min", "nothing-like-it"]);
    let quote = app.post("/v1/carts/evaluate", STOREFRONT, &small).await;
    quote.expect(200);
    let codes = quote.body["codes"].as_array().expect("codes");
    let unknown = codes
        .iter()
        .find(|c| c["code"] == "nothing-like-it")
        .expect("the unknown code is reported");
    assert_eq!(unknown["usable"], false, "{}", quote.text);
    assert_eq!(unknown["reason"], "unknown", "{}", quote.text);
    let below = outcome(&quote.body, "uno-min");
    assert_eq!(below["status"], "rejected", "{}", quote.text);
    assert_eq!(
        below["reason"]["code"], "cart_amount_below_minimum",
        "{}",
        quote.text
    );
    assert_eq!(below["reason"]["minimum"], "50.00", "{}", quote.text);
}
