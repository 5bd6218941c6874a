//! The back office's promotion pages with a merchant-sized store, as a browser gets them over
//! HTTP on loopback: the form of an existing promotion, a new promotion's form, the campaign's
//! list and the preview of the targeted products, p50 / p99 / max.
//!
//! `cargo bench -p remise-server --bench office_promotions` (release build). Sizes and counts
//! from the environment: `REMISE_BENCH_PRODUCTS` (100000), `REMISE_BENCH_PROMOTIONS` (10000),
//! `REMISE_BENCH_REQUESTS` (300). The store is a fresh SQLite file; every promotion is in one
//! active campaign, so the list pages through 10,000.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

// Not every helper is used here.
#[allow(dead_code)]
mod common;

use common::{count, ms, start, summary};

use std::time::{Duration, Instant};

use remise_store::{Actor, Draft, Kind, Role, Session, Store, now_millis};
use remise_test_support::TestSqlite;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CAMPAIGN: &str = "bench";

fn product(i: usize) -> Value {
    let cents = 100 + i % 10_000;
    json!({
        "sku": format!("P{i:07}"),
        "name": format!("Product {i}"),
        "price": format!("{}.{:02}", cents / 100, cents % 100),
        "tax_rate": "0.2",
        "segments": [format!("s{}", i % 100)],
        "brand": format!("b{}", i % 500),
        "tags": [format!("t{}", i % 50)],
    })
}

/// A promotion on a sku, a segment, a brand or a tag, in turn, with conditions on some.
fn promotion(i: usize, products: usize) -> Value {
    let targets = match i % 4 {
        0 => json!({"skus": [format!("P{:07}", (i * 7919) % products.max(1))]}),
        1 => json!({"segments": [format!("s{}", i % 100)]}),
        2 => json!({"brands": [format!("b{}", i % 500)]}),
        _ => json!({"tags": [format!("t{}", i % 50)]}),
    };
    json!({
        "id": format!("promo-{i:06}"),
        "name": format!("Promotion {i}"),
        "campaign": CAMPAIGN,
        "priority": (i % 5) * 10,
        "targets": targets,
        "validity": {"weekdays": ["friday", "saturday"], "windows": [{"from": "18:00", "to": "20:00"}]},
        "conditions": {"min_cart_amount": "50.00"},
        "offer": {"type": "percent_off", "percent": 5 + i % 30},
    })
}

async fn fill(store: &dyn Store, products: usize, promotions: usize) {
    let actor = Actor("bench".to_owned());
    common::segments(store, &actor, 100).await;
    let drafts = (0..products)
        .map(|i| common::draft(format!("P{i:07}"), product(i)))
        .collect();
    store
        .upsert_many(&actor, Kind::Product, drafts)
        .await
        .unwrap();
    let campaign =
        json!({"id": CAMPAIGN, "name": "Bench", "kind": "permanent", "status": "active"});
    store
        .upsert_many(
            &actor,
            Kind::Campaign,
            vec![Draft {
                status: Some("active".to_owned()),
                ..common::draft(CAMPAIGN.to_owned(), campaign)
            }],
        )
        .await
        .unwrap();
    let drafts = (0..promotions)
        .map(|i| Draft {
            parent: Some(CAMPAIGN.to_owned()),
            ..common::draft(format!("promo-{i:06}"), promotion(i, products))
        })
        .collect();
    store
        .upsert_many(&actor, Kind::Promotion, drafts)
        .await
        .unwrap();
}

/// A marketer's session made in the store: the cookie and the CSRF token.
async fn session(store: &dyn Store) -> (String, String) {
    let user = remise_server::office::new_user::new_user(
        "bench@example.com",
        "Bench",
        Role::Marketer,
        "bench-password-2026",
        now_millis(),
    )
    .unwrap();
    let user = store
        .create_user(&Actor("bench".to_owned()), &user)
        .await
        .unwrap();
    let token = "b".repeat(64);
    let csrf = "c".repeat(64);
    let now = now_millis();
    store
        .create_session(&Session {
            id_hash: hex::encode(Sha256::digest(token.as_bytes())),
            user_id: user.id,
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + 3_600_000,
            revoked_at: None,
        })
        .await
        .unwrap();
    (format!("remise_session={token}"), csrf)
}

async fn timed(request: reqwest::RequestBuilder) -> Duration {
    let started = Instant::now();
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let took = started.elapsed();
    assert_eq!(status, 200, "{}", &body[..body.len().min(2000)]);
    took
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let products = count("REMISE_BENCH_PRODUCTS", 100_000);
    let promotions = count("REMISE_BENCH_PROMOTIONS", 10_000);
    let requests = count("REMISE_BENCH_REQUESTS", 300);
    let sqlite = TestSqlite::new();
    let store = remise_store::open(&sqlite.url).await.unwrap();
    store.migrate().await.unwrap();
    let filling = Instant::now();
    fill(store.as_ref(), products, promotions).await;
    println!(
        "store: {products} products, {promotions} promotions in one campaign, 100 segments (filled in {} ms)",
        ms(filling.elapsed())
    );
    let (cookie, csrf) = session(store.as_ref()).await;
    let (server, _) = start(store.clone()).await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{}{path}", server.base))
            .header("cookie", &cookie)
            .header("accept-language", "fr")
    };
    let preview_body = serde_urlencoded::to_string([
        ("targets.segments", "s3"),
        ("exclude.brands", "b3"),
        ("offer.type", "percent_off"),
        ("offer.percent_off.percent", "10"),
    ])
    .unwrap();
    let preview = || {
        client
            .post(format!(
                "{}/office/promotion-form/preview?campaign={CAMPAIGN}",
                server.base
            ))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(preview_body.clone())
    };
    // Warm up: the first requests pay for connections and lazily built tables.
    for _ in 0..5 {
        timed(get("/office/promotions/promo-000001".into())).await;
        timed(preview()).await;
    }
    let mut form = Vec::new();
    let mut new = Vec::new();
    let mut list = Vec::new();
    let mut previews = Vec::new();
    for i in 0..requests {
        let id = (i * 7919) % promotions.max(1);
        form.push(timed(get(format!("/office/promotions/promo-{id:06}"))).await);
        new.push(timed(get(format!("/office/campaigns/{CAMPAIGN}/promotions/new"))).await);
        let after = format!("promo-{:06}", (i * 31) % promotions.max(1));
        list.push(
            timed(get(format!(
                "/office/campaigns/{CAMPAIGN}/promotions?after={after}"
            )))
            .await,
        );
        previews.push(timed(preview()).await);
    }
    let label = |s: String| s.replace("writes", "requests");
    println!("promotion form (edit) : {}", label(summary(form)));
    println!("promotion form (new)  : {}", label(summary(new)));
    println!("campaign's list page  : {}", label(summary(list)));
    println!(
        "preview (a segment less a brand, the first 10 priced) : {}",
        label(summary(previews))
    );
}
