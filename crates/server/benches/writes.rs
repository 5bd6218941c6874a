//! What writes cost with a merchant-sized store, measured as a client sees them over HTTP on
//! loopback: one promotion and one product written (created, updated), p50 / p99 / max; how soon
//! a second instance serves a change; how long a server takes to start (load and compile) and
//! its resident memory once started.
//!
//! `cargo bench -p remise-server --bench writes` (release build). Sizes and counts from the
//! environment: `REMISE_BENCH_PRODUCTS` (100000), `REMISE_BENCH_PROMOTIONS` (10000),
//! `REMISE_BENCH_WRITES` (200). The store is a fresh SQLite file, or the empty PostgreSQL
//! database `REMISE_BENCH_DATABASE_URL` names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use common::store::{fill, product, promotion};
use common::{count, ms, snapshot, start, summary};

use std::time::{Duration, Instant};

use remise_store::{Actor, Scope};
use remise_test_support::TestSqlite;
use serde_json::Value;

fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

async fn timed(request: reqwest::RequestBuilder, expected: u16) -> Duration {
    let started = Instant::now();
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let took = started.elapsed();
    assert_eq!(status, expected, "{body}");
    took
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let products = count("REMISE_BENCH_PRODUCTS", 100_000);
    let promotions = count("REMISE_BENCH_PROMOTIONS", 10_000);
    let writes = count("REMISE_BENCH_WRITES", 200);
    let sqlite = TestSqlite::new();
    let url = std::env::var("REMISE_BENCH_DATABASE_URL").unwrap_or_else(|_| sqlite.url.clone());
    let store = remise_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let filling = Instant::now();
    fill(store.as_ref(), products, promotions).await;
    println!(
        "store: {products} products, {promotions} promotions, 100 segments (filled in {} ms)",
        ms(filling.elapsed())
    );
    let (key, secret) = remise_server::new_key("bench", Scope::Management).unwrap();
    store
        .create_api_key(&Actor("bench".to_owned()), &key)
        .await
        .unwrap();

    let (a, start_time) = start(store.clone()).await;
    println!(
        "start (load and compile, until serving): {} ms; resident memory {} MiB",
        ms(start_time),
        resident_mib().unwrap_or_default()
    );
    let client = reqwest::Client::new();
    let auth = format!("Bearer {secret}");
    let send = |method: reqwest::Method, path: String, body: &Value, version: Option<i64>| {
        let mut request = client
            .request(method, format!("{}{path}", a.base))
            .header("authorization", &auth)
            .json(body);
        if let Some(version) = version {
            request = request.header("if-match", format!("\"{version}\""));
        }
        request
    };

    let mut created = Vec::new();
    for i in 0..writes {
        let body = promotion(promotions + i, 10, products);
        created.push(
            timed(
                send(reqwest::Method::POST, "/v1/promotions".into(), &body, None),
                201,
            )
            .await,
        );
    }
    println!("promotion created : {}", summary(created));
    let mut updated = Vec::new();
    for i in 0..writes {
        let body = promotion(i, 40, products);
        let path = format!("/v1/promotions/promo-{i:06}");
        updated.push(timed(send(reqwest::Method::PUT, path, &body, Some(1)), 200).await);
    }
    println!("promotion updated : {}", summary(updated));
    println!(
        "  (the last one applied to the snapshot in {} ms)",
        snapshot(&client, &a.base).await["compile_ms"]
    );
    let mut created = Vec::new();
    for i in 0..writes {
        let body = product(products + i, 999);
        created.push(
            timed(
                send(reqwest::Method::POST, "/v1/products".into(), &body, None),
                201,
            )
            .await,
        );
    }
    println!("product created   : {}", summary(created));
    println!(
        "  (the last one applied to the snapshot in {} ms)",
        snapshot(&client, &a.base).await["compile_ms"]
    );
    let mut updated = Vec::new();
    for i in 0..writes {
        let body = product(i, 1234);
        let path = format!("/v1/products/P{i:07}");
        updated.push(timed(send(reqwest::Method::PUT, path, &body, Some(1)), 200).await);
    }
    println!("product updated   : {}", summary(updated));

    // A second instance, following the first through the store.
    let (b, _) = start(store.clone()).await;
    let mut seen = Vec::new();
    for i in 0..20 {
        let body = promotion(i, 41, products);
        let path = format!("/v1/promotions/promo-{i:06}");
        let response = send(reqwest::Method::PUT, path, &body, Some(2))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let written = Instant::now();
        let revision = snapshot(&client, &a.base).await["revision"].clone();
        while snapshot(&client, &b.base).await["revision"] != revision {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        seen.push(written.elapsed());
    }
    let updates = snapshot(&client, &b.base).await["updates"].clone();
    println!(
        "second instance serving a change: {} {updates}",
        summary(seen)
    );
}
