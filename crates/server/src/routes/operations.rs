//! Unauthenticated routes for operators and developers: health, metrics, the API description.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use crate::AppState;

/// The OpenAPI document, compiled in.
pub(super) const OPENAPI: &str = include_str!("../openapi.json");

/// The reference page, rendered once from the OpenAPI document.
static REFERENCE: LazyLock<String> = LazyLock::new(|| match serde_json::from_str(OPENAPI) {
    Ok(document) => crate::reference::render(&document),
    Err(error) => format!("<p>The OpenAPI document does not parse: {error}</p>"),
});

pub async fn root() -> Redirect {
    Redirect::permanent("/docs")
}

pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let published = state.publisher.current();
    let database = state.store.ping().await;
    let snapshot = json!({
        "revision": published.revision,
        "promotions": published.snapshot.promotion_count(),
        "products": published.snapshot.product_count(),
        "compiled_at": published.compiled_at.to_string(),
        "compile_ms": published.compile_time.as_millis(),
        "updates": {
            "applied": state.publisher.updates().applied,
            "loaded": state.publisher.updates().loaded,
        },
    });
    match database {
        Ok(()) => {
            Json(json!({ "status": "ok", "database": "ok", "snapshot": snapshot })).into_response()
        }
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "database": "unavailable",
                "detail": error.to_string(),
                "snapshot": snapshot,
            })),
        )
            .into_response(),
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let text = state.metrics.render(&state.publisher.current());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub async fn docs() -> Html<&'static str> {
    Html(REFERENCE.as_str())
}
