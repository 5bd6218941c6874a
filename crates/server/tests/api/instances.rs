//! Two servers on one database: a change made through one reaches the other's evaluations within
//! a second (it polls the store's revision), and keys follow.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{MANAGEMENT, STOREFRONT, cart, line, load_demo, percent_off, spawn_app_on};
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
