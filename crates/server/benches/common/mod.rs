//! What the server's benchmarks share: sizes from the environment, drafts, a server started
//! in-process, latency summaries and an instance's `/health`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// Each bench uses a part of it.
#[allow(dead_code)]
pub mod store;

use std::sync::Arc;
use std::time::{Duration, Instant};

use remise_server::Server;
use remise_store::{Actor, Draft, Kind, Store};
use serde_json::{Value, json};

pub fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn draft(id: String, body: Value) -> Draft {
    Draft {
        id,
        body,
        parent: None,
        status: None,
    }
}

pub struct Running {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start(store: Arc<dyn Store>) -> (Running, Duration) {
    let started = Instant::now();
    let server = Server::bind(store, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    let base = format!("http://{}", server.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    (Running { base, _stop: stop }, took)
}

/// A duration in milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    let micros = duration.as_micros();
    format!("{}.{:02}", micros / 1000, micros % 1000 / 10)
}

/// p50, p99 and max of `samples` (nearest rank).
pub fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |permille: usize| ms(samples[(samples.len() - 1) * permille / 1000]);
    format!(
        "p50 {:>7} ms   p99 {:>7} ms   max {:>7} ms   ({} writes)",
        at(500),
        at(990),
        at(1000),
        samples.len()
    )
}

/// What `/health` says of an instance's snapshot.
pub async fn snapshot(client: &reqwest::Client, base: &str) -> Value {
    let health: Value = client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    health["snapshot"].clone()
}

/// `count` segments `s0`…: ten at the top, the others under `s{i mod 10}`.
pub async fn segments(store: &dyn Store, actor: &Actor, count: usize) {
    let segments = (0..count)
        .map(|i| {
            let parent = (i >= 10).then(|| format!("s{}", i % 10));
            draft(
                format!("s{i}"),
                json!({"id": format!("s{i}"), "name": format!("Segment {i}"), "parent": parent}),
            )
        })
        .collect();
    store
        .upsert_many(actor, Kind::Segment, segments)
        .await
        .unwrap();
}
