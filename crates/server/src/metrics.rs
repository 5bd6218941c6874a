//! Prometheus metrics: requests and latencies per route, cart evaluations, the snapshot's revision
//! and compile time. Served as text at `/metrics`.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::published::Published;

// Labels come from closed sets (known methods, route templates, statuses), so that no request
// can add series: an invented method is `OTHER`, a path no route matches is `unmatched`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .iter()
    .zip(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    .find(|(known, _)| *known == method)
    .map_or("OTHER", |(_, label)| label)
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pub evaluations: Counter,
    /// Requests whose handler panicked (answered 500).
    pub panics: Counter,
    snapshot_revision: Gauge,
    snapshot_promotions: Gauge,
    compile_seconds: Gauge<f64, AtomicU64>,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.00005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("remise");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let evaluations = Counter::default();
        let panics = Counter::default();
        let snapshot_revision = Gauge::default();
        let snapshot_promotions = Gauge::default();
        let compile_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register("cart_evaluations", "Carts evaluated", evaluations.clone());
        registry.register(
            "http_panics",
            "Requests whose handler panicked (answered 500)",
            panics.clone(),
        );
        registry.register(
            "snapshot_revision",
            "Store revision of the snapshot being served",
            snapshot_revision.clone(),
        );
        registry.register(
            "snapshot_promotions",
            "Promotions in the snapshot being served",
            snapshot_promotions.clone(),
        );
        registry.register(
            "snapshot_compile_seconds",
            "How long the snapshot being served took to compile",
            compile_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            evaluations,
            panics,
            snapshot_revision,
            snapshot_promotions,
            compile_seconds,
        }
    }

    /// The text exposition, with the snapshot gauges read from `published`.
    pub fn render(&self, published: &Published) -> String {
        self.snapshot_revision.set(published.revision);
        self.snapshot_promotions
            .set(i64::try_from(published.snapshot.promotion_count()).unwrap_or(i64::MAX));
        self.compile_seconds
            .set(published.compile_time.as_secs_f64());
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Middleware: counts and times every request under its route template (`/v1/products/{id}`),
/// so that ids do not multiply the series.
pub async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}
