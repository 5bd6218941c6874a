//! Lists of B2B offers, on SQLite and PostgreSQL: seed 004's filters (title terms, state, scope,
//! product, the offers of a customer, the most advantageous fixed price), pages, and the life of
//! a deleted offer: listed as deleted, restored many at once (all or nothing), purged after 30
//! days (driven by an explicit clock).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use remise_store::Store;
use remise_test_support::{TestPostgres, TestSqlite, postgres_test};
use serde_json::{Value, json};

use crate::offers::{DEMO_OFFERS, create, fixed, offer};
use crate::support::{MANAGEMENT, TestApp, load_demo, spawn_app_on};

/// The codes a list answers, which must succeed.
async fn codes(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.get(&format!("/v1/offers?{query}"), MANAGEMENT).await;
    page.expect(200);
    page.ids()
}

/// The offers the filter tests add to the demo's: with no dates, so that they are live whenever
/// the tests run.
async fn add_offers(app: &TestApp) {
    let monopoly = "GAME-MONOPOLY-MARVEL";
    let mut old = offer("OLD", json!("all"), fixed(monopoly, "1.00"));
    old["starts_on"] = json!("2020-01-01");
    old["ends_on"] = json!("2020-12-31");
    let mut bulk = offer("BULK", json!("all"), fixed(monopoly, "2.00"));
    bulk["commitments"][0]["discounts"][0]["min_quantity"] = json!(10);
    for body in [
        offer(
            "SUPERHEROS",
            json!("all"),
            json!([{ "code": "R1", "segment": "superheros", "percent": "5" }]),
        ),
        offer(
            "FIXEA",
            json!({ "group": "cantines" }),
            fixed(monopoly, "30.00"),
        ),
        offer(
            "FIXEB",
            json!({ "customer": "C-TEST" }),
            json!([{ "code": "R1", "segment": "jeux", "price": "29.00" }]),
        ),
        offer(
            "PCT",
            json!("all"),
            json!([{ "code": "R1", "sku": monopoly, "percent": "50" }]),
        ),
        old,
        bulk,
    ] {
        create(app, &body).await.expect(201);
    }
}

pub async fn check_filters(app: &TestApp) {
    add_offers(app).await;
    let mut all: Vec<String> = DEMO_OFFERS.iter().map(|c| (*c).to_owned()).collect();
    all.extend(["SUPERHEROS", "FIXEA", "FIXEB", "PCT", "OLD", "BULK"].map(str::to_owned));
    all.sort();
    assert_eq!(codes(app, "").await, all);
    // Blank values filter nothing (a form's empty fields).
    assert_eq!(codes(app, "q=&scope=&customer=&product=&state=").await, all);

    for (query, expected) in [
        // Title terms: every one, whatever the case and accents.
        ("q=lyc%C3%A9es", vec!["MPLYCEES"]),
        ("q=MARCHE+region", vec!["MPLYCEES"]),
        ("q=restaurant", vec!["CLIDUPONT", "RESTAURANTS"]),
        ("q=restaurant+dupont", vec!["CLIDUPONT"]),
        ("q=zzz", vec![]),
        // Scope type, and which group, customer or point.
        (
            "scope=all",
            vec!["BULK", "OLD", "PCT", "SUPERHEROS", "TOUSPILES"],
        ),
        (
            "scope=group",
            vec!["CANTINES2026", "FIXEA", "MPLYCEES", "RESTAURANTS"],
        ),
        (
            "scope=group&scope_code=cantines",
            vec!["CANTINES2026", "FIXEA"],
        ),
        ("scope=customer", vec!["CLIDUPONT", "FIXEB"]),
        ("scope=customer&scope_code=C-DUPONT", vec!["CLIDUPONT"]),
        ("scope=collection_point", vec!["POINTLYON"]),
        ("scope=collection_point&scope_code=PARIS", vec![]),
        // A product: by its sku, or a segment it is in or under.
        (
            "product=GAME-UNO",
            vec!["CANTINES2026", "FIXEB", "MPLYCEES"],
        ),
        ("product=FIG-SPIDERMAN", vec!["CLIDUPONT", "SUPERHEROS"]),
        (
            "product=PLUSH-GROOT",
            vec!["CLIDUPONT", "RESTAURANTS", "SUPERHEROS"],
        ),
        ("product=PILES-AA", vec!["TOUSPILES"]),
        ("product=NO-SUCH-SKU", vec![]),
        // The offers that apply to a customer: all, its reference, its groups, its point.
        (
            "customer=C-DUPONT&customer_groups=restaurants",
            vec![
                "BULK",
                "CLIDUPONT",
                "OLD",
                "PCT",
                "RESTAURANTS",
                "SUPERHEROS",
                "TOUSPILES",
            ],
        ),
        (
            "customer=C-X&collection_point=LYON-PART-DIEU",
            vec!["BULK", "OLD", "PCT", "POINTLYON", "SUPERHEROS", "TOUSPILES"],
        ),
        (
            "customer=C-X",
            vec!["BULK", "OLD", "PCT", "SUPERHEROS", "TOUSPILES"],
        ),
        // Every filter at once.
        (
            "customer=C-TEST&customer_groups=lycees,cantines&product=GAME-MONOPOLY-MARVEL",
            vec![
                "BULK",
                "CANTINES2026",
                "FIXEA",
                "FIXEB",
                "MPLYCEES",
                "OLD",
                "PCT",
            ],
        ),
        (
            "customer=C-TEST&customer_groups=cantines&product=GAME-MONOPOLY-MARVEL&q=offer&scope=all",
            vec!["BULK", "OLD", "PCT"],
        ),
        // The most advantageous: the lowest fixed price live today from one unit; PCT's 50 %
        // would be cheaper and is not counted (seed 004), OLD has ended, BULK needs 10 units.
        (
            "customer=C-TEST&customer_groups=lycees,cantines&product=GAME-MONOPOLY-MARVEL&most_advantageous=true",
            vec!["FIXEB"],
        ),
        (
            "customer=C-OTHER&customer_groups=cantines&product=GAME-MONOPOLY-MARVEL&most_advantageous=true",
            vec!["FIXEA"],
        ),
        (
            "customer=C-DUPONT&product=FIG-SPIDERMAN&most_advantageous=true",
            vec![],
        ),
        (
            "customer=C-DUPONT&product=PILES-AA&most_advantageous=true",
            vec![],
        ),
    ] {
        assert_eq!(codes(app, query).await, expected, "{query}");
    }
    let best = app
        .get(
            "/v1/offers?customer=C-TEST&product=GAME-MONOPOLY-MARVEL&most_advantageous=true&limit=1",
            MANAGEMENT,
        )
        .await;
    best.expect(200);
    assert_eq!(best.ids(), ["FIXEB"]);
    assert!(best.body["next_after"].is_null());
    assert_eq!(
        best.body["items"][0]["data"]["commitments"][0]["discounts"][0]["price"],
        "29.00"
    );

    // Pages follow the filters.
    let mut pages = Vec::new();
    let mut query = "scope=all&limit=2".to_owned();
    loop {
        let page = app.get(&format!("/v1/offers?{query}"), MANAGEMENT).await;
        page.expect(200);
        pages.push(page.ids());
        match page.body["next_after"].as_str() {
            Some(next) => query = format!("scope=all&limit=2&after={next}"),
            None => break,
        }
        assert!(pages.len() < 5, "paging does not end");
    }
    assert_eq!(
        pages,
        [
            vec!["BULK", "OLD"],
            vec!["PCT", "SUPERHEROS"],
            vec!["TOUSPILES"]
        ]
    );

    // Refused values name their parameter; a parameter not known is a 400.
    for (query, field) in [
        ("state=old", "state"),
        ("state=current&deleted=true", "state"),
        ("scope=everyone", "scope"),
        ("scope_code=cantines", "scope_code"),
        ("scope=all&scope_code=cantines", "scope_code"),
        ("customer_groups=cantines", "customer_groups"),
        ("collection_point=LYON", "collection_point"),
        ("most_advantageous=true", "most_advantageous"),
        (
            "most_advantageous=true&customer=C-TEST",
            "most_advantageous",
        ),
        (
            "most_advantageous=true&product=GAME-UNO",
            "most_advantageous",
        ),
        (
            "most_advantageous=true&customer=C&product=GAME-UNO&state=deleted",
            "most_advantageous",
        ),
        (
            "most_advantageous=true&customer=C&product=GAME-UNO&after=A",
            "after",
        ),
        ("limit=0", "limit"),
    ] {
        app.get(&format!("/v1/offers?{query}"), MANAGEMENT)
            .await
            .expect_problem(422, Some(field));
    }
    app.get("/v1/offers?campaign=x", MANAGEMENT)
        .await
        .expect(400);
}

/// Restores `codes` in one call.
async fn restore(app: &TestApp, codes: &Value) -> crate::support::Reply {
    app.post("/v1/offers/restore", MANAGEMENT, codes).await
}

pub async fn check_delete_restore_purge(app: &TestApp, store: &dyn Store) {
    for code in ["CLIDUPONT", "RESTAURANTS"] {
        app.delete(&format!("/v1/offers/{code}"), MANAGEMENT, Some(1))
            .await
            .expect(200);
    }
    let current = codes(app, "").await;
    assert!(!current.contains(&"CLIDUPONT".to_owned()), "{current:?}");
    let deleted = vec!["CLIDUPONT", "RESTAURANTS"];
    for (query, expected) in [
        ("state=deleted", deleted.clone()),
        ("deleted=true", deleted.clone()),
        ("state=deleted&deleted=true", deleted.clone()),
        ("state=deleted&q=dupont", vec!["CLIDUPONT"]),
        ("state=deleted&scope=group", vec!["RESTAURANTS"]),
        ("state=deleted&product=PLUSH-GROOT", deleted.clone()),
        ("state=deleted&customer=C-DUPONT", vec!["CLIDUPONT"]),
        ("state=deleted&limit=1&after=CLIDUPONT", vec!["RESTAURANTS"]),
        ("state=current&scope=customer", vec![]),
    ] {
        assert_eq!(codes(app, query).await, expected, "{query}");
    }
    let page = app
        .get("/v1/offers?state=deleted&limit=1", MANAGEMENT)
        .await;
    assert_eq!(page.body["next_after"], "CLIDUPONT");
    assert!(page.body["items"][0]["deleted_at"].is_string());

    // All or nothing: one code that is not a deleted offer refuses them all.
    for (body, field) in [
        (json!({ "codes": [] }), "codes"),
        (json!({ "codes": ["CLIDUPONT", "TOUSPILES"] }), "codes[1]"),
        (json!({ "codes": ["CLIDUPONT", "NO-SUCH"] }), "codes[1]"),
        (json!({ "codes": ["CLIDUPONT", "CLIDUPONT"] }), "codes[1]"),
    ] {
        restore(app, &body).await.expect_problem(422, Some(field));
    }
    let named = restore(
        app,
        &json!({ "codes": ["TOUSPILES", "NO-SUCH", "CLIDUPONT"] }),
    )
    .await;
    assert_eq!(
        named.error_fields(),
        ["codes[0]", "codes[1]"],
        "{}",
        named.text
    );
    for body in [
        json!({}),
        json!({ "codes": "CLIDUPONT" }),
        json!({ "codes": [], "x": 1 }),
    ] {
        restore(app, &body).await.expect(400);
    }
    assert_eq!(codes(app, "state=deleted").await, deleted, "none restored");

    let restored = restore(app, &json!({ "codes": ["RESTAURANTS", "CLIDUPONT"] })).await;
    restored.expect(200);
    assert_eq!(restored.ids(), ["RESTAURANTS", "CLIDUPONT"]);
    for item in restored.body["items"].as_array().expect("items") {
        assert_eq!(item["version"], 3);
        assert!(item["deleted_at"].is_null());
    }
    assert!(codes(app, "state=deleted").await.is_empty());
    assert_eq!(
        codes(app, "scope=customer&scope_code=C-DUPONT").await,
        ["CLIDUPONT"]
    );
    let log = app.get("/v1/audit?entity=offer&limit=10", MANAGEMENT).await;
    let mut restores: Vec<&str> = log.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "restore")
        .map(|e| e["entity_id"].as_str().unwrap_or_default())
        .collect();
    restores.sort();
    assert_eq!(restores, ["CLIDUPONT", "RESTAURANTS"]);

    // A restored offer must still fit: its group deleted since, none of them comes back.
    for code in ["CLIDUPONT", "RESTAURANTS"] {
        app.delete(&format!("/v1/offers/{code}"), MANAGEMENT, Some(3))
            .await
            .expect(200);
    }
    let group = app.get("/v1/customer-groups/restaurants", MANAGEMENT).await;
    app.delete(
        "/v1/customer-groups/restaurants",
        MANAGEMENT,
        Some(group.etag()),
    )
    .await
    .expect(204);
    let unfit = restore(app, &json!({ "codes": ["CLIDUPONT", "RESTAURANTS"] })).await;
    unfit.expect(409);
    assert!(
        unfit.text.contains("RESTAURANTS") && unfit.text.contains("scope.group"),
        "{}",
        unfit.text
    );
    assert_eq!(codes(app, "state=deleted").await, deleted, "none restored");

    // Deleted offers stay 30 days, then the purge removes them.
    let now = Timestamp::now();
    let days = |n: i64| SignedDuration::from_hours(24 * n);
    assert_eq!(
        remise_server::purge_old_deletions(store, now + days(29))
            .await
            .unwrap(),
        0
    );
    assert_eq!(codes(app, "state=deleted").await, deleted);
    let later = now + days(30) + SignedDuration::from_mins(1);
    assert_eq!(
        remise_server::purge_old_deletions(store, later)
            .await
            .unwrap(),
        2
    );
    assert!(codes(app, "state=deleted").await.is_empty());
    app.get("/v1/offers/CLIDUPONT", MANAGEMENT)
        .await
        .expect(404);
    restore(app, &json!({ "codes": ["CLIDUPONT"] }))
        .await
        .expect_problem(422, Some("codes[0]"));
    let purged = app
        .get("/v1/audit?entity=offer&entity_id=CLIDUPONT", MANAGEMENT)
        .await;
    assert_eq!(purged.body["items"][0]["action"], "purge");
    assert_eq!(purged.body["items"][0]["actor"], "system");
    // The code is free again.
    create(
        app,
        &offer("CLIDUPONT", json!("all"), fixed("GAME-UNO", "8.00")),
    )
    .await
    .expect(201);
}

/// A server over a fresh SQLite file holding the demo, and the store beside it.
async fn sqlite_app() -> (TestApp, Arc<dyn Store>, TestSqlite) {
    let sqlite = TestSqlite::new();
    load_demo(&sqlite.url).await;
    let app = spawn_app_on(&sqlite.url).await;
    let store = remise_store::open(&sqlite.url).await.expect("the store");
    (app, store, sqlite)
}

async fn postgres_app() -> (TestApp, Arc<dyn Store>, TestPostgres) {
    let database = TestPostgres::create().await;
    load_demo(&database.url).await;
    let app = spawn_app_on(&database.url).await;
    let store = remise_store::open(&database.url).await.expect("the store");
    (app, store, database)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_are_filtered_as_seed_004_says() {
    let (app, _store, _sqlite) = sqlite_app().await;
    check_filters(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_offers_are_listed_restored_together_and_purged() {
    let (app, store, _sqlite) = sqlite_app().await;
    check_delete_restore_purge(&app, store.as_ref()).await;
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_are_filtered() {
        let (app, _store, _database) = postgres_app().await;
        check_filters(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_deleted_offers_are_restored_together_and_purged() {
        let (app, store, _database) = postgres_app().await;
        check_delete_restore_purge(&app, store.as_ref()).await;
    }
}
