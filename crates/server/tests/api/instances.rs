//! Two servers on one database: a change made through one reaches the other's evaluations within
//! a second (it polls the store's revision and applies the documents the change log names,
//! without reloading the store), with the same quotes; keys follow.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{
    MANAGEMENT, STOREFRONT, TestApp, cart, line, load_demo, percent_off, spawn_app_on,
};
use remise_test_support::{TestPostgres, TestSqlite};

/// How soon another instance must serve a change (DESIGN: under a second).
const PROPAGATION: Duration = Duration::from_secs(1);

/// Polls `check` every 50 ms until it holds; returns how long that took from `since`, or fails
/// after a few seconds (longer than [`PROPAGATION`], to tell "slow" from "never").
async fn poll_until<F, Fut>(since: Instant, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = since + Duration::from_secs(5);
    loop {
        if check().await {
            return since.elapsed();
        }
        assert!(Instant::now() < deadline, "{what}: not seen after 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How an instance's snapshot followed the store: (applied from the change log, full loads).
async fn updates(app: &TestApp) -> (u64, u64) {
    let health = app.get("/health", MANAGEMENT).await;
    health.expect(200);
    let updates = &health.body["snapshot"]["updates"];
    let count = |field: &str| updates[field].as_u64().expect("a count");
    (count("applied"), count("loaded"))
}

/// The two-instance scenario on a database holding the demo store.
async fn two_instances(url: &str) {
    load_demo(url).await;
    let a = spawn_app_on(url).await;
    let b = spawn_app_on(url).await;
    let uno = cart(&[("GAME-UNO", 1)]);
    assert_eq!(b.promotion_status(&uno, "uno-half").await, None);

    // A promotion created through A is applied by B within a second.
    a.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off("uno-half", "GAME-UNO", 50, None),
    )
    .await
    .expect(201);
    let created = Instant::now();
    let took = poll_until(created, "B applying A's promotion", || async {
        b.promotion_status(&uno, "uno-half").await.as_deref() == Some("applied")
    })
    .await;
    assert!(took < PROPAGATION, "B applied A's promotion after {took:?}");
    let quote = b.evaluate(&uno).await;
    assert_eq!(line(&quote.body, "L1")["catalog_unit_price"], "4.99");
    let basket = cart(&[("GAME-UNO", 2), ("LEGO-AVENGERS", 1), ("FIG-BATMAN", 3)]);
    assert_eq!(
        a.evaluate(&basket).await.body,
        b.evaluate(&basket).await.body
    );
    // Both followed the write from the change log: neither loaded the store again.
    for app in [&a, &b] {
        let (applied, loaded) = updates(app).await;
        assert!(applied >= 1, "no update applied from the change log");
        assert_eq!(loaded, 1, "the store was loaded again");
    }

    // B writes on top of A's version; A then sees B's change, and A's stale write is refused.
    let mut quarter = percent_off("uno-half", "GAME-UNO", 25, None);
    quarter["name"] = json!("UNO -25 %");
    b.put("/v1/promotions/uno-half", MANAGEMENT, &quarter, Some(1))
        .await
        .expect(200);
    let stale = a
        .put("/v1/promotions/uno-half", MANAGEMENT, &quarter, Some(1))
        .await;
    stale.expect(412);
    assert_eq!(stale.body["current_version"], 2);
    let updated = Instant::now();
    let took = poll_until(updated, "A serving B's update", || async {
        let quote = a.evaluate(&uno).await;
        line(&quote.body, "L1")["catalog_unit_price"] == "7.49"
    })
    .await;
    assert!(took < PROPAGATION, "A served B's update after {took:?}");
    assert_eq!(
        a.evaluate(&basket).await.body,
        b.evaluate(&basket).await.body
    );

    // Deleted through A: gone from B too.
    a.delete("/v1/promotions/uno-half", MANAGEMENT, Some(2))
        .await
        .expect(200);
    let deleted = Instant::now();
    let took = poll_until(deleted, "B dropping the deleted promotion", || async {
        b.promotion_status(&uno, "uno-half").await.is_none()
    })
    .await;
    assert!(took < PROPAGATION, "B dropped it after {took:?}");

    // A key created through A works on B at once; revoked through A, B refuses it soon after.
    let created = a
        .post(
            "/v1/api-keys",
            MANAGEMENT,
            &json!({ "name": "shared", "scope": "storefront" }),
        )
        .await;
    created.expect(201);
    let secret = created.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let id = created.body["key"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    b.post("/v1/carts/evaluate", &secret, &uno)
        .await
        .expect(200);
    a.delete(&format!("/v1/api-keys/{id}"), MANAGEMENT, None)
        .await
        .expect(200);
    let revoked = Instant::now();
    let took = poll_until(revoked, "B refusing the revoked key", || async {
        b.post("/v1/carts/evaluate", &secret, &uno).await.status == 401
    })
    .await;
    assert!(took < PROPAGATION, "B accepted a revoked key for {took:?}");
    // The demo keys still work on both.
    for app in [&a, &b] {
        app.post("/v1/carts/evaluate", STOREFRONT, &uno)
            .await
            .expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_sqlite_file() {
    let sqlite = TestSqlite::new();
    two_instances(&sqlite.url).await;
}

remise_test_support::postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_on_one_postgres_database() {
        let database = TestPostgres::create().await;
        two_instances(&database.url).await;
    }
}

/// Writes of every kind applied from the change log give the quotes a fresh start (a full load
/// and compile of the same revision) gives.
async fn applied_changes_serve_what_a_full_load_serves(url: &str) {
    load_demo(url).await;
    let a = spawn_app_on(url).await;
    let writes: Vec<(&str, &str, serde_json::Value, Option<i64>, u16)> = vec![
        (
            "POST",
            "/v1/products",
            json!({"sku": "NEW-TOY", "name": "New toy", "price": "12.00", "tax_rate": "0.2"}),
            None,
            201,
        ),
        (
            "POST",
            "/v1/products",
            json!({"sku": "GONE-TOY", "name": "Gone", "price": "3.00"}),
            None,
            201,
        ),
        ("DELETE", "/v1/products/GONE-TOY", json!(null), Some(1), 204),
        (
            "PATCH",
            "/v1/products/GAME-UNO",
            json!({"price": "8.50"}),
            Some(1),
            200,
        ),
        (
            "PATCH",
            "/v1/selections/spiderman",
            json!({"skus": ["FIG-SPIDERMAN", "NEW-TOY"]}),
            Some(1),
            200,
        ),
        (
            "POST",
            "/v1/promotions",
            json!({"id": "spidey-10", "name": "Spidey", "priority": 80,
                   "campaign": "lancement-marvel",
                   "targets": {"selections": ["spiderman"]},
                   "offer": {"type": "percent_off", "percent": 10}}),
            None,
            201,
        ),
        (
            "POST",
            "/v1/promotions",
            percent_off("toy-20", "NEW-TOY", 20, None),
            None,
            201,
        ),
        ("DELETE", "/v1/promotions/toy-20", json!(null), Some(1), 200),
        (
            "POST",
            "/v1/promotions/toy-20/restore",
            json!(null),
            None,
            200,
        ),
        (
            "PATCH",
            "/v1/campaigns/lancement-marvel",
            json!({"status": "paused"}),
            Some(1),
            200,
        ),
        // B2B offers: for everyone (so that the anonymous baskets below see them), then changed
        // (a quantity break, a sector), then removed.
        (
            "POST",
            "/v1/offers",
            json!({"code": "TOUS1", "title": "Everyone", "scope": "all",
                   "commitments": [{"number": 1, "discounts": [
                       {"code": "D1", "sku": "GAME-UNO", "price": "7.00"}]}]}),
            None,
            201,
        ),
        (
            "PATCH",
            "/v1/offers/TOUS1",
            json!({"commitments": [{"number": 1, "discounts": [
                {"code": "D1", "sku": "GAME-UNO", "price": "6.50",
                 "breaks": [{"from": 2, "price": "6.00"}]},
                {"code": "D2", "sku": "NEW-TOY", "percent": "15"}]}]}),
            Some(1),
            200,
        ),
        ("DELETE", "/v1/offers/TOUS1", json!(null), Some(2), 200),
        (
            "POST",
            "/v1/segments",
            json!({"id": "outdoor", "name": "Outdoor"}),
            None,
            201,
        ),
    ];
    let baskets = [
        cart(&[("NEW-TOY", 2), ("GAME-UNO", 1)]),
        cart(&[("GAME-UNO", 2)]),
        cart(&[("FIG-SPIDERMAN", 1), ("MASK-SPIDERMAN", 2), ("NEW-TOY", 1)]),
        cart(&[("LEGO-AVENGERS", 1), ("FIG-BATMAN", 3), ("BD-SPIDERMAN", 1)]),
    ];
    for (method, path, body, version, status) in &writes {
        let reply = match *method {
            "POST" if body.is_null() => a.post(path, MANAGEMENT, &json!({})).await,
            "POST" => a.post(path, MANAGEMENT, body).await,
            "PATCH" => a.patch(path, MANAGEMENT, body, *version).await,
            _ => a.delete(path, MANAGEMENT, *version).await,
        };
        assert_eq!(reply.status, *status, "{method} {path}: {:?}", reply.body);
        if path.starts_with("/v1/offers") {
            // While the offer lives, it prices the game; once removed, the list price does.
            let quote = a.evaluate(&baskets[1]).await.body;
            let source = if *method == "DELETE" { "list" } else { "offer" };
            assert_eq!(
                quote["lines"][0]["price_source"], source,
                "after {method} {path}"
            );
        }
        // After every write, a fresh start on the same revision answers the same.
        let fresh = spawn_app_on(url).await;
        for basket in &baskets {
            assert_eq!(
                a.evaluate(basket).await.body,
                fresh.evaluate(basket).await.body,
                "after {method} {path}"
            );
        }
    }
    let (applied, loaded) = updates(&a).await;
    assert!(applied >= writes.len() as u64 - 1, "{applied} applied");
    assert_eq!(loaded, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_changes_serve_what_a_full_load_serves_on_sqlite() {
    let sqlite = TestSqlite::new();
    applied_changes_serve_what_a_full_load_serves(&sqlite.url).await;
}

remise_test_support::postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn applied_changes_serve_what_a_full_load_serves_on_postgres() {
        let database = TestPostgres::create().await;
        applied_changes_serve_what_a_full_load_serves(&database.url).await;
    }
}
