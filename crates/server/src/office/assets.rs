//! The vendored files pages load: htmx and the stylesheet, compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get as get_handler;

use super::guard::Need;
use super::routes::{OfficeRoute, get};

/// The htmx version in the file's URL, so that browsers may keep it for good.
pub const HTMX: &str = "/office/assets/htmx-2.0.11.min.js";
pub const CSS: &str = "/office/assets/office.css";

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get(HTMX, Need::Public, get_handler(htmx)),
        get(CSS, Need::Public, get_handler(css)),
    ]
}

async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        include_str!("../../assets/htmx.min.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../assets/office.css"),
    )
}
