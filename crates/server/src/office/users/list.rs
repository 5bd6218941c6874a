//! `/office/users`: the team by e-mail, 50 a page, searched by e-mail or name; each with their
//! role, whether they are active, and when they were last seen (their sessions).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::now_millis;
use serde::Deserialize;

use super::{UserView, presence, zone};
use crate::AppState;
use crate::offer_filter::fold;
use crate::office::page::{Page, render, server_error};

/// Users per page.
const PAGE: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    q: String,
    /// From 1.
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "office/users/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    q: String,
    users: Vec<UserView>,
    number: usize,
    more: bool,
}

impl ListPage<'_> {
    fn page_link(&self, number: usize) -> String {
        let query = serde_urlencoded::to_string([("q", self.q.as_str())]).unwrap_or_default();
        format!("/office/users?{query}&page={number}")
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(filters): Query<Filters>,
) -> Response {
    // A team is tens of people: the store gives them all; only a page gets its sessions read.
    let users = match state.store.list_users().await {
        Ok(users) => users,
        Err(error) => return server_error(&error),
    };
    let terms: Vec<String> = fold(&filters.q)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let number = filters.page.parse::<usize>().unwrap_or(1).max(1);
    let mut matching = users.iter().filter(|u| {
        let (email, name) = (fold(&u.email), fold(&u.name));
        terms.iter().all(|t| email.contains(t) || name.contains(t))
    });
    let shown: Vec<_> = matching
        .by_ref()
        .skip((number - 1).saturating_mul(PAGE))
        .take(PAGE)
        .collect();
    let more = matching.next().is_some();
    let now = now_millis();
    let zone = zone(&state);
    let mut views = Vec::with_capacity(shown.len());
    for user in shown {
        let presence = match presence(&state, user, now).await {
            Ok(presence) => presence,
            Err(response) => return response,
        };
        views.push(UserView::new(&page, user, &presence, &zone));
    }
    render(
        StatusCode::OK,
        &ListPage {
            page: &page,
            q: filters.q,
            users: views,
            number,
            more,
        },
    )
}
