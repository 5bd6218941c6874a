//! A user's page: who they are, when they were last seen, and the administrator's controls
//! (role, deactivate or reactivate, sign out everywhere).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{User, now_millis};
use serde::Deserialize;

use super::{UserView, not_found, presence, role_options, zone};
use crate::AppState;
use crate::office::form::FormErrors;
use crate::office::page::{Page, render, server_error};

#[derive(Template)]
#[template(path = "office/users/show.html")]
struct UserPage<'a> {
    page: &'a Page,
    user: UserView,
    created_at: String,
    roles: Vec<(&'static str, String)>,
    errors: FormErrors,
    notice: Option<String>,
}

impl UserPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

/// The user's page; `errors` (with `status` 422) when a change was refused.
pub async fn user_page(
    state: &AppState,
    page: &Page,
    user: &User,
    (errors, notice): (FormErrors, Option<String>),
    status: StatusCode,
) -> Response {
    let presence = match presence(state, user, now_millis()).await {
        Ok(presence) => presence,
        Err(response) => return response,
    };
    let zone = zone(state);
    render(
        status,
        &UserPage {
            page,
            user: UserView::new(page, user, &presence, &zone),
            created_at: crate::office::tasks::when(page, user.created_at, &zone),
            roles: role_options(page),
            errors,
            notice,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
    /// How many sessions were revoked.
    #[serde(default)]
    n: String,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let user = match state.store.get_user(&id).await {
        Ok(Some(user)) => user,
        Ok(None) => return not_found(&page),
        Err(error) => return server_error(&error),
    };
    let notice = match notice.done.as_str() {
        "created" => Some(page.t("users-created")),
        "role" => Some(page.t("users-role-changed")),
        "deactivated" => Some(page.t("users-deactivated")),
        "reactivated" => Some(page.t("users-reactivated")),
        "revoked" => Some(page.t1(
            "users-sessions-revoked",
            "count",
            notice.n.parse::<u64>().unwrap_or(0),
        )),
        _ => None,
    };
    user_page(
        &state,
        &page,
        &user,
        (FormErrors::default(), notice),
        StatusCode::OK,
    )
    .await
}
