//! B2B offers at a wholesaler's size, as a client sees them over loopback HTTP: how long one
//! offer's change takes to be answered (the answer comes once the snapshot serving it is
//! published), and how soon a second instance on the same store serves it.
//!
//! `cargo bench -p remise-server --bench offers` (release build). Sizes from the environment:
//! `REMISE_BENCH_PRODUCTS` (100000), `REMISE_BENCH_OFFERS` (20000), `REMISE_BENCH_DISCOUNTS`
//! (1000000), `REMISE_BENCH_WRITES` (50); customers are 5,000 references in 200 groups. The store
//! is a fresh SQLite file, or the empty database `REMISE_BENCH_DATABASE_URL` names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use common::{count, draft, ms, snapshot, start, summary};

use std::time::{Duration, Instant};

use remise_store::{Actor, Kind, Scope, Store};
use remise_test_support::TestSqlite;
use serde_json::{Value, json};

const GROUPS: usize = 200;
const CUSTOMERS: usize = 5_000;
const SEGMENTS: usize = 100;

/// splitmix64: the same store on every run, without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % below as u64) as usize
    }
}

fn sku(i: usize) -> String {
    format!("P{i:07}")
}

fn group(i: usize) -> String {
    format!("g{i:03}")
}

fn customer(i: usize) -> String {
    format!("C{i:05}")
}

/// Offer `i`: for one customer (90 %), one group (9 %) or everyone (1 %); one commitment (every
/// tenth has a second on a sub-range); `discounts` discounts, nine in ten on a sku, fixed prices
/// and percentages, a quantity break on every fifth. `price_cents` shifts its fixed prices.
fn offer(i: usize, discounts: usize, products: usize, price_cents: usize) -> Value {
    let mut random = Random(i as u64);
    let scope = match i % 100 {
        0 => json!("all"),
        1..=9 => json!({"group": group(i % GROUPS)}),
        _ => json!({"customer": customer(i % CUSTOMERS)}),
    };
    let commitments = if i.is_multiple_of(10) { 2 } else { 1 };
    let commitments: Vec<Value> = (0..commitments)
        .map(|c| {
            let discounts: Vec<Value> = (0..discounts / commitments)
                .map(|d| {
                    let mut discount = json!({"code": format!("R{d}")});
                    if d % 10 == 9 {
                        discount["segment"] = json!(format!("s{}", random.next(SEGMENTS)));
                        discount["percent"] = json!(5 + random.next(20));
                    } else {
                        discount["sku"] = json!(sku(random.next(products)));
                        let cents = 100 + price_cents + random.next(5_000);
                        discount["price"] = json!(format!("{}.{:02}", cents / 100, cents % 100));
                        if d.is_multiple_of(5) {
                            let lower = cents - 50;
                            discount["breaks"] = json!([{
                                "from": 10,
                                "price": format!("{}.{:02}", lower / 100, lower % 100)
                            }]);
                        }
                    }
                    discount
                })
                .collect();
            let mut commitment = json!({"number": c + 1, "discounts": discounts});
            if c > 0 {
                commitment["starts_on"] = json!("2026-01-01");
                commitment["ends_on"] = json!("2026-06-30");
            }
            commitment
        })
        .collect();
    json!({
        "code": format!("OF{i:06}"),
        "title": format!("Offer {i}"),
        "scope": scope,
        "commitments": commitments,
    })
}

async fn fill(store: &dyn Store, products: usize, offers: usize, discounts: usize) {
    let actor = Actor("bench".to_owned());
    common::segments(store, &actor, SEGMENTS).await;
    let groups = (0..GROUPS)
        .map(|i| draft(group(i), json!({"id": group(i), "display": "net"})))
        .collect();
    store
        .upsert_many(&actor, Kind::CustomerGroup, groups)
        .await
        .unwrap();
    for chunk in (0..products).collect::<Vec<_>>().chunks(100_000) {
        let drafts = chunk
            .iter()
            .map(|&i| {
                let cents = 100 + i % 10_000;
                let body = json!({
                    "sku": sku(i),
                    "name": format!("Product {i}"),
                    "price": format!("{}.{:02}", cents / 100, cents % 100),
                    "tax_rate": "0.055",
                    "segments": [format!("s{}", i % SEGMENTS)],
                });
                draft(sku(i), body)
            })
            .collect();
        store
            .upsert_many(&actor, Kind::Product, drafts)
            .await
            .unwrap();
    }
    let per_offer = discounts / offers.max(1);
    for chunk in (0..offers).collect::<Vec<_>>().chunks(2_000) {
        let drafts = chunk
            .iter()
            .map(|&i| draft(format!("OF{i:06}"), offer(i, per_offer, products, 0)))
            .collect();
        store
            .upsert_many(&actor, Kind::Offer, drafts)
            .await
            .unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let products = count("REMISE_BENCH_PRODUCTS", 100_000);
    let offers = count("REMISE_BENCH_OFFERS", 20_000);
    let discounts = count("REMISE_BENCH_DISCOUNTS", 1_000_000);
    let writes = count("REMISE_BENCH_WRITES", 50);
    let sqlite = TestSqlite::new();
    let url = std::env::var("REMISE_BENCH_DATABASE_URL").unwrap_or_else(|_| sqlite.url.clone());
    let store = remise_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let filling = Instant::now();
    fill(store.as_ref(), products, offers, discounts).await;
    println!(
        "store: {products} products, {offers} offers with {discounts} discounts, {GROUPS} groups (filled in {} ms)",
        ms(filling.elapsed())
    );
    let (key, secret) = remise_server::new_key("bench", Scope::Management).unwrap();
    store
        .create_api_key(&Actor("bench".to_owned()), &key)
        .await
        .unwrap();
    let (a, start_time) = start(store.clone()).await;
    println!(
        "start (load and compile, until serving): {} ms",
        ms(start_time)
    );
    let (b, _) = start(store.clone()).await;

    let client = reqwest::Client::new();
    let auth = format!("Bearer {secret}");
    let per_offer = discounts / offers.max(1);
    let mut answered = Vec::new();
    let mut served = Vec::new();
    // Customer offers (index ≥ 10 modulo 100), each written once more with other prices.
    for (n, i) in (0..offers)
        .filter(|i| i % 100 >= 10)
        .take(writes)
        .enumerate()
    {
        let body = offer(i, per_offer, products, 1 + n);
        let request = client
            .put(format!("{}/v1/offers/OF{i:06}", a.base))
            .header("authorization", &auth)
            .header("if-match", "\"1\"")
            .json(&body);
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        answered.push(started.elapsed());
        assert_eq!(status, 200, "{text}");
        let revision = snapshot(&client, &a.base).await["revision"].clone();
        while snapshot(&client, &b.base).await["revision"] != revision {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        served.push(started.elapsed());
    }
    println!("offer updated, answered          : {}", summary(answered));
    println!("offer updated, served by another : {}", summary(served));
    println!(
        "  (updates of the second instance: {})",
        snapshot(&client, &b.base).await["updates"]
    );
}
