//! The home page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get as get_handler;

use super::guard::Need;
use super::page::{Page, render};
use super::routes::{OfficeRoute, get};

pub fn routes() -> Vec<OfficeRoute> {
    vec![get("/office", Need::Read, get_handler(show))]
}

#[derive(Template)]
#[template(path = "office/home.html")]
struct HomePage<'a> {
    page: &'a Page,
}

async fn show(page: Page) -> Response {
    render(StatusCode::OK, &HomePage { page: &page })
}
