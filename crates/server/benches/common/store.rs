//! A merchant-sized store for the benchmarks: 100 segments, generated products and promotions
//! (on a sku, a segment, a brand or a tag, in turn).

use remise_store::{Actor, Kind, Store};
use serde_json::{Value, json};

use super::draft;

pub fn product(i: usize, price_cents: usize) -> Value {
    json!({
        "sku": format!("P{i:07}"),
        "name": format!("Product {i}"),
        "price": format!("{}.{:02}", price_cents / 100, price_cents % 100),
        "tax_rate": "0.2",
        "segments": [format!("s{}", i % 100)],
        "brand": format!("b{}", i % 500),
        "tags": [format!("t{}", i % 50)],
    })
}

/// A promotion on a sku, a segment, a brand or a tag, in turn.
pub fn promotion(i: usize, percent: usize, products: usize) -> Value {
    let targets = match i % 4 {
        0 => json!({"skus": [format!("P{:07}", (i * 7919) % products.max(1))]}),
        1 => json!({"segments": [format!("s{}", i % 100)]}),
        2 => json!({"brands": [format!("b{}", i % 500)]}),
        _ => json!({"tags": [format!("t{}", i % 50)]}),
    };
    json!({
        "id": format!("promo-{i:06}"),
        "name": format!("Promotion {i}"),
        "priority": (i % 5) * 10,
        "targets": targets,
        "offer": {"type": "percent_off", "percent": percent},
    })
}

pub async fn fill(store: &dyn Store, products: usize, promotions: usize) {
    let actor = Actor("bench".to_owned());
    super::segments(store, &actor, 100).await;
    for chunk in (0..products).collect::<Vec<_>>().chunks(100_000) {
        let drafts = chunk
            .iter()
            .map(|&i| draft(format!("P{i:07}"), product(i, 100 + i % 10_000)))
            .collect();
        store
            .upsert_many(&actor, Kind::Product, drafts)
            .await
            .unwrap();
    }
    let drafts = (0..promotions)
        .map(|i| draft(format!("promo-{i:06}"), promotion(i, 5 + i % 30, products)))
        .collect();
    store
        .upsert_many(&actor, Kind::Promotion, drafts)
        .await
        .unwrap();
}
