//! The back office's pages of issue 13 with a merchant-sized store, measured as a browser sees
//! them over HTTP on loopback (p50 / p99 / max): the cart simulator (its form, a 20-line cart
//! against every promotion, the same with a draft campaign added, the product search), the audit
//! log (unfiltered, by entity, by user) and the home page.
//!
//! `cargo bench -p remise-server --bench office_simulator` (release build). Sizes and counts from the
//! environment: `REMISE_BENCH_PRODUCTS` (100000), `REMISE_BENCH_PROMOTIONS` (10000),
//! `REMISE_BENCH_REQUESTS` (300 per page). The store is a fresh SQLite file, or the empty
//! PostgreSQL database `REMISE_BENCH_DATABASE_URL` names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use common::store::{fill, promotion};
use common::{count, draft, ms, snapshot, start, summary};

use std::time::{Duration, Instant};

use remise_store::{Actor, Kind, Role, Session, Store, User, now_millis};
use remise_test_support::TestSqlite;
use serde_json::json;

/// Promotions of the draft campaign the simulator adds.
const DRAFT_PROMOTIONS: usize = 20;
/// Lines of the simulated cart.
const LINES: usize = 20;

/// A user and a session made in the store; returns the session cookie.
async fn signed_in(store: &dyn Store) -> String {
    let now = now_millis();
    let actor = Actor("bench".to_owned());
    let user = store
        .create_user(
            &actor,
            &User {
                id: "u-bench".to_owned(),
                email: "bench@example.com".to_owned(),
                name: "Bench".to_owned(),
                role: Role::Viewer,
                // Never checked: the session is made here, not by signing in.
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$none$none".to_owned(),
                language: Some("fr".to_owned()),
                active: true,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .unwrap();
    let token = remise_server::new_secret().unwrap();
    store
        .create_session(&Session {
            id_hash: remise_server::hash_secret(&token),
            user_id: user.id,
            csrf: "bench".to_owned(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + 3_600_000,
            revoked_at: None,
        })
        .await
        .unwrap();
    format!("remise_session={token}")
}

/// A draft campaign and its promotions, on the generated catalog.
async fn draft_campaign(store: &dyn Store, products: usize, promotions: usize) {
    let actor = Actor("bench".to_owned());
    store
        .create(
            &actor,
            Kind::Campaign,
            draft(
                "draft".to_owned(),
                json!({"id": "draft", "name": "Draft", "status": "draft"}),
            ),
        )
        .await
        .unwrap();
    let drafts = (0..DRAFT_PROMOTIONS)
        .map(|i| {
            let mut body = promotion(promotions + i, 15, products);
            body["campaign"] = json!("draft");
            draft(body["id"].as_str().unwrap().to_owned(), body)
        })
        .collect();
    store
        .upsert_many(&actor, Kind::Promotion, drafts)
        .await
        .unwrap();
}

async fn measure(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    requests: usize,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        let response = client
            .get(url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        samples.push(started.elapsed());
        assert_eq!(status, 200, "{url}: {body}");
    }
    samples
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let products = count("REMISE_BENCH_PRODUCTS", 100_000);
    let promotions = count("REMISE_BENCH_PROMOTIONS", 10_000);
    let requests = count("REMISE_BENCH_REQUESTS", 300);
    let sqlite = TestSqlite::new();
    let url = std::env::var("REMISE_BENCH_DATABASE_URL").unwrap_or_else(|_| sqlite.url.clone());
    let store = remise_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let filling = Instant::now();
    fill(store.as_ref(), products, promotions).await;
    draft_campaign(store.as_ref(), products, promotions).await;
    let cookie = signed_in(store.as_ref()).await;
    println!(
        "store: {products} products, {promotions} promotions (+{DRAFT_PROMOTIONS} in a draft campaign), 100 segments (filled in {} ms)",
        ms(filling.elapsed())
    );
    let (server, _) = start(store.clone()).await;
    let client = reqwest::Client::new();
    let served = snapshot(&client, &server.base).await;
    println!(
        "served: {} products, {} promotions (the draft campaign's are not served)",
        served["products"], served["promotions"]
    );

    // A 20-line cart of products spread over the catalog, with shipping, at a fixed instant.
    let mut cart: Vec<(String, String)> = (0..LINES)
        .map(|i| {
            (
                "lines".to_owned(),
                format!("P{:07} {}", (i * 4_999) % products, 1 + i % 3),
            )
        })
        .collect();
    let lines = cart
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    cart = vec![
        ("lines".to_owned(), lines),
        ("at".to_owned(), "2026-12-05T14:30".to_owned()),
        ("channel".to_owned(), "web".to_owned()),
        ("shipping".to_owned(), "standard 4,90 20".to_owned()),
        ("method".to_owned(), "standard".to_owned()),
    ];
    let simulate = serde_urlencoded::to_string(&cart).unwrap();
    // The store's zone is UTC (the default settings).
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let pages = [
        ("simulator, empty form", "/office/simulator".to_owned()),
        (
            "simulator, 20-line cart",
            format!("/office/simulator?{simulate}"),
        ),
        (
            "simulator, 20-line cart + draft campaign",
            format!("/office/simulator?{simulate}&campaign=draft"),
        ),
        (
            "simulator, product search (found)",
            "/office/simulator/products?q=Product+4242".to_owned(),
        ),
        (
            "simulator, product search (no match, walk bounded at 15 ms)",
            "/office/simulator/products?q=nothing+like+this".to_owned(),
        ),
        ("audit log, newest 50", "/office/audit".to_owned()),
        (
            "audit log, by entity",
            "/office/audit?entity=segment".to_owned(),
        ),
        (
            "audit log, by actor (every entry)",
            "/office/audit?actor=bench".to_owned(),
        ),
        (
            "audit log, by a user without changes",
            "/office/audit?actor=user%3Abench%40example.com".to_owned(),
        ),
        (
            "audit log, today (every entry)",
            format!("/office/audit?from={today}&to={today}"),
        ),
        ("home", "/office".to_owned()),
    ];
    for (name, path) in pages {
        let url = format!("{}{path}", server.base);
        // Warm-up: the first request of a page pays for lazy statics.
        measure(&client, &url, &cookie, 5).await;
        let samples = measure(&client, &url, &cookie, requests).await;
        println!(
            "{name:<52}: {}",
            summary(samples).replace("writes", "requests")
        );
    }
}
