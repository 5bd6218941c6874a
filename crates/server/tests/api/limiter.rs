//! The code limiter: failed look-ups are counted per customer and per client address (the key only
//! as a backstop), one code at a time, in the database that every instance shares.

use serde_json::{Value, json};

use crate::codes::{add_coupon, add_promotion};
use crate::support::{
    MANAGEMENT, Reply, STOREFRONT, TestApp, cart, code_only, fresh_window, load_demo, spawn_app,
    spawn_app_on, storefront_key,
};
use remise_test_support::TestSqlite;

const CLIENT: &str = "Remise-Client-Address";

async fn setup(app: &TestApp) {
    fresh_window().await;
    add_promotion(app, &code_only("uno-code", "GAME-UNO", 50)).await;
    add_coupon(app, &json!({ "code": "KNOWN-1", "promotion": "uno-code" }))
        .await
        .expect(201);
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    let mut body = settings.body["data"].clone();
    body["code_attempts_per_minute"] = json!(3);
    app.put("/v1/settings", MANAGEMENT, &body, Some(settings.etag()))
        .await
        .expect(200);
}

/// `GET /v1/codes/{code}` with `key`, a query and, when given, the client address header.
async fn check(app: &TestApp, key: &str, code: &str, query: &str, client: Option<&str>) -> Reply {
    let mut request = app.with_key(
        reqwest::Method::GET,
        &format!("/v1/codes/{code}{query}"),
        key,
    );
    if let Some(client) = client {
        request = request.header(CLIENT, client);
    }
    app.send(request).await
}

#[track_caller]
fn usable(reply: &Reply) -> bool {
    reply.expect(200);
    reply.body["usable"] == json!(true)
}

#[track_caller]
fn limited(reply: &Reply) {
    reply.expect(429);
    let retry: u64 = reply
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_never_lock_the_shops_key() {
    let app = spawn_app().await;
    setup(&app).await;

    // Known codes, usable or not, are not failures.
    for _ in 0..5 {
        assert!(usable(
            &check(&app, STOREFRONT, "known-1", "", Some("10.0.0.1")).await
        ));
    }
    // A visitor guessing from one address is limited...
    for i in 0..3 {
        let reply = check(
            &app,
            STOREFRONT,
            &format!("GUESS-{i}"),
            "",
            Some("10.0.0.1"),
        )
        .await;
        assert!(!usable(&reply));
        assert_eq!(reply.body["reason"], "unknown");
    }
    limited(&check(&app, STOREFRONT, "known-1", "", Some("10.0.0.1")).await);
    // ...but not the shop's other visitors, on the same key, nor its customers.
    assert!(usable(
        &check(&app, STOREFRONT, "known-1", "", Some("10.0.0.2")).await
    ));
    assert!(usable(
        &check(&app, STOREFRONT, "known-1", "?customer=C-1", None).await
    ));
    let mut with_code = cart(&[("GAME-UNO", 1)]);
    with_code["customer"] = json!({ "id": "C-1" });
    with_code["codes"] = json!(["known-1"]);
    app.evaluate(&with_code).await.expect(200);

    // A customer's failures add up across keys and addresses: 2 through one key, 1 through
    // another.
    let web = storefront_key(&app, "web").await;
    let b2b = storefront_key(&app, "b2b").await;
    for i in 0..2 {
        let reply = check(
            &app,
            &web,
            &format!("C9-{i}"),
            "?customer=C-9",
            Some("10.0.1.1"),
        )
        .await;
        assert!(!usable(&reply));
    }
    assert!(!usable(
        &check(&app, &b2b, "C9-2", "?customer=C-9", Some("10.0.1.2")).await
    ));
    for key in [&web, &b2b] {
        limited(&check(&app, key, "known-1", "?customer=C-9", Some("10.0.1.9")).await);
        let reserve = app
            .post(
                "/v1/redemptions",
                key,
                &json!({ "code": "known-1", "customer": "C-9", "order_id": "SO-2",
                         "idempotency_key": "K-2" }),
            )
            .await;
        limited(&reserve);
    }

    // Without a customer nor an address, a key's anonymous look-ups share one allowance.
    for i in 0..3 {
        assert!(!usable(
            &check(&app, &web, &format!("A-{i}"), "", None).await
        ));
    }
    limited(&check(&app, &web, "known-1", "", None).await);
    assert!(usable(
        &check(&app, &web, "known-1", "", Some("10.0.2.1")).await
    ));

    // The header is checked.
    check(&app, STOREFRONT, "known-1", "", Some(&"x".repeat(101)))
        .await
        .expect_problem(422, Some("remise-client-address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carts_codes_are_counted_one_by_one() {
    let app = spawn_app().await;
    setup(&app).await;
    let mut body = cart(&[("GAME-UNO", 1)]);
    body["customer"] = json!({ "id": "C-20" });
    body["codes"] = json!(["X-1", "X-2"]);
    let first = app.evaluate(&body).await;
    first.expect(200);
    let codes: Vec<&Value> = first.body["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .collect();
    assert!(
        codes.iter().all(|c| c["usable"] == json!(false)),
        "{}",
        first.text
    );

    // Two failures of three: a cart of ten unknown codes gets one more try, then 429.
    body["codes"] = json!((3..13).map(|i| format!("X-{i}")).collect::<Vec<_>>());
    limited(&app.evaluate(&body).await);
    // The customer is limited; the known code cannot be checked either.
    body["codes"] = json!(["known-1"]);
    limited(&app.evaluate(&body).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_the_counts() {
    let sqlite = TestSqlite::new();
    load_demo(&sqlite.url).await;
    let a = spawn_app_on(&sqlite.url).await;
    setup(&a).await;
    // Started after the settings changed, so that both have the same limit at once.
    let b = spawn_app_on(&sqlite.url).await;
    for (app, code) in [(&a, "S-1"), (&b, "S-2"), (&a, "S-3")] {
        assert!(!usable(
            &check(app, STOREFRONT, code, "?customer=C-30", None).await
        ));
    }
    for app in [&a, &b] {
        limited(&check(app, STOREFRONT, "known-1", "?customer=C-30", None).await);
    }
    // A restarted instance still knows.
    drop(a);
    let c = spawn_app_on(&sqlite.url).await;
    limited(&check(&c, STOREFRONT, "known-1", "?customer=C-30", None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventing_customers_meets_the_keys_backstop() {
    let app = spawn_app().await;
    setup(&app).await;
    // Limit 3: a key's failures, all customers together, stop at 50 times that.
    let kiosk = storefront_key(&app, "kiosk").await;
    for i in 0..150 {
        let reply = check(
            &app,
            &kiosk,
            &format!("G-{i}"),
            &format!("?customer=C-{i}"),
            None,
        )
        .await;
        assert!(!usable(&reply), "{}", reply.text);
    }
    limited(&check(&app, &kiosk, "known-1", "?customer=C-NEW", None).await);
    // Another key is not concerned.
    assert!(usable(
        &check(&app, STOREFRONT, "known-1", "?customer=C-NEW", None).await
    ));
}
