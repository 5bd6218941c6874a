//! The back office's catalog pages with a merchant-sized store, measured as a browser gets them
//! over loopback HTTP (signed in, HTML rendered): the products list (first page, a page deep in
//! the catalog, a search that scans every product, the "not promoted" filter that prices
//! products until a page is full or its limit is reached) and a product's page (its prices for
//! every channel and group, every promotion that targets it explained; one reached by about 200
//! live promotions, one by about 200 of a draft campaign). p50 / p99 / max of each.
//!
//! `cargo bench -p remise-server --bench office` (release build). Sizes from the environment:
//! `REMISE_BENCH_PRODUCTS` (100000), `REMISE_BENCH_PROMOTIONS` (10000), `REMISE_BENCH_READS`
//! (300 per page), `REMISE_BENCH_PAGES` (only the pages whose name holds it). The store is a fresh SQLite file: 100 segments, 500 brands, 50 tags,
//! 3 customer groups; promotions on a sku, a segment, a brand or a tag in turn, a fifth of them
//! limited to the web or the kiosk, a tenth in a draft campaign.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[allow(dead_code)]
mod common;

use common::{count, draft, ms, start};

use std::time::{Duration, Instant};

use remise_store::{Actor, Kind, Role, Scope, Session, Store, User, now_millis};
use remise_test_support::TestSqlite;
use serde_json::{Value, json};

fn product(i: usize) -> Value {
    let cents = 100 + i % 10_000;
    json!({
        "sku": format!("P{i:07}"),
        "name": format!("Product {i} Éléphant"),
        "price": format!("{}.{:02}", cents / 100, cents % 100),
        "tax_rate": "0.2",
        "segments": [format!("s{}", i % 100)],
        "brand": format!("b{}", i % 500),
        "tags": [format!("t{}", i % 50)],
    })
}

fn promotion(i: usize, products: usize) -> Value {
    let targets = match i % 4 {
        0 => json!({"skus": [format!("P{:07}", (i * 7919) % products.max(1))]}),
        1 => json!({"segments": [format!("s{}", i % 100)]}),
        2 => json!({"brands": [format!("b{}", i % 500)]}),
        _ => json!({"tags": [format!("t{}", i % 50)]}),
    };
    let channels = match i % 10 {
        0 => json!(["web"]),
        5 => json!(["kiosk"]),
        _ => json!([]),
    };
    let mut body = json!({
        "id": format!("promo-{i:06}"),
        "name": format!("Promotion {i}"),
        "priority": (i % 5) * 10,
        "targets": targets,
        "audience": {"channels": channels},
        "offer": {"type": "percent_off", "percent": 5 + i % 30},
    });
    if i % 10 == 9 {
        body["campaign"] = json!("draft-campaign");
    }
    body
}

async fn fill(store: &dyn Store, products: usize, promotions: usize) {
    let actor = Actor("bench".to_owned());
    common::segments(store, &actor, 100).await;
    let groups = ["pro", "vip", "schools"]
        .iter()
        .map(|g| {
            let display = if *g == "vip" { "gross" } else { "net" };
            draft(
                (*g).to_owned(),
                json!({"id": g, "name": g, "display": display}),
            )
        })
        .collect();
    store
        .upsert_many(&actor, Kind::CustomerGroup, groups)
        .await
        .unwrap();
    let campaign = draft(
        "draft-campaign".to_owned(),
        json!({"id": "draft-campaign", "name": "Next season", "status": "draft"}),
    );
    store
        .upsert_many(&actor, Kind::Campaign, vec![campaign])
        .await
        .unwrap();
    for chunk in (0..products).collect::<Vec<_>>().chunks(100_000) {
        let drafts = chunk
            .iter()
            .map(|&i| draft(format!("P{i:07}"), product(i)))
            .collect();
        store
            .upsert_many(&actor, Kind::Product, drafts)
            .await
            .unwrap();
    }
    let drafts = (0..promotions)
        .map(|i| draft(format!("promo-{i:06}"), promotion(i, products)))
        .collect();
    store
        .upsert_many(&actor, Kind::Promotion, drafts)
        .await
        .unwrap();
}

/// A signed-in session for a marketer, made in the store: its cookie.
async fn session(store: &dyn Store) -> String {
    let now = now_millis();
    let user = store
        .create_user(
            &Actor("bench".to_owned()),
            &User {
                id: "u-bench".to_owned(),
                email: "bench@remise.test".to_owned(),
                name: "Bench".to_owned(),
                role: Role::Marketer,
                password_hash: String::new(),
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

/// p50, p99 and max of `samples` (nearest rank).
fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |permille: usize| ms(samples[(samples.len() - 1) * permille / 1000]);
    format!(
        "p50 {:>7} ms   p99 {:>7} ms   max {:>7} ms   ({} requests)",
        at(500),
        at(990),
        at(1000),
        samples.len()
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let products = count("REMISE_BENCH_PRODUCTS", 100_000);
    let promotions = count("REMISE_BENCH_PROMOTIONS", 10_000);
    let reads = count("REMISE_BENCH_READS", 300);
    let sqlite = TestSqlite::new();
    let store = remise_store::open(&sqlite.url).await.unwrap();
    store.migrate().await.unwrap();
    let filling = Instant::now();
    fill(store.as_ref(), products, promotions).await;
    println!(
        "store: {products} products, {promotions} promotions, 100 segments, 3 groups (filled in {} ms)",
        ms(filling.elapsed())
    );
    let cookie = session(store.as_ref()).await;
    let (server, _) = start(store.clone()).await;
    let client = reqwest::Client::new();
    let middle = format!("P{:07}", products / 2);
    // Product i is in segment s(i % 100) and has tag t(i % 50); the promotions on segment s1
    // and tag t1 are live everywhere (about 200 reach P…01), those on s9 and t9 are in the
    // draft campaign (P…09: listed as not live).
    let product_page =
        |last: usize| format!("/office/products/P{:07}", products / 3 / 100 * 100 + last);
    let pages = [
        ("products list, first page", "/office/products".to_owned()),
        (
            "products list, a page deep in the catalog",
            format!("/office/products?after={middle}"),
        ),
        (
            "products list, a search through every product",
            "/office/products?q=elephant+99999".to_owned(),
        ),
        (
            "products list, not promoted now",
            "/office/products?promoted=no".to_owned(),
        ),
        (
            "products list, promoted, segment s1 with sub-segments",
            "/office/products?promoted=yes&segment=s1".to_owned(),
        ),
        (
            "products list, not promoted in s1: none (stops at 25 ms)",
            "/office/products?promoted=no&segment=s1".to_owned(),
        ),
        ("product page, about 200 live promotions", product_page(1)),
        (
            "product page, about 200 promotions of a draft campaign",
            product_page(9),
        ),
    ];
    // `REMISE_BENCH_PAGES`: only the pages whose name holds it.
    let only = std::env::var("REMISE_BENCH_PAGES").unwrap_or_default();
    for (name, path) in pages.into_iter().filter(|(name, _)| name.contains(&only)) {
        let url = format!("{}{path}", server.base);
        let mut samples = Vec::with_capacity(reads);
        let mut bytes = 0;
        for i in 0..reads + 20 {
            let started = Instant::now();
            let response = client
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            let took = started.elapsed();
            assert_eq!(status, 200, "{path}: {body}");
            bytes = body.len();
            // The first requests warm the connection and the caches.
            if i >= 20 {
                samples.push(took);
            }
        }
        println!("{name:<55} {}   {bytes} bytes", percentiles(samples));
        println!("    GET {path}");
    }

    // A search right after a change: the folded index of the new revision is built first.
    let (key, secret) = remise_server::new_key("bench", Scope::Management).unwrap();
    store
        .create_api_key(&Actor("bench".to_owned()), &key)
        .await
        .unwrap();
    let search = format!("{}/office/products?q=elephant+99999", server.base);
    let mut samples = Vec::new();
    for i in 0..20 {
        let created = client
            .post(format!("{}/v1/products", server.base))
            .bearer_auth(&secret)
            .json(&product(products + i))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        let started = Instant::now();
        let response = client
            .get(&search)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.text().await.unwrap();
        samples.push(started.elapsed());
    }
    println!(
        "{:<55} {}",
        "products list, a search just after a product changed",
        percentiles(samples)
    );
}
