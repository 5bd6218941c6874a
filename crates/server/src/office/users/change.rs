//! An administrator's changes to a user: their role, deactivating or reactivating them, signing
//! them out everywhere. Each answers 303 to the user's page, or 422 with the error next to its
//! control (the last active administrator cannot be demoted or deactivated).
//!
//! The check that an administrator remains reads the users, then writes: two administrators
//! demoting each other at the same instant could both pass it. The CLI's `users create --role
//! admin` is the way back from that.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{Role, User, now_millis};
use serde::Deserialize;

use super::show::user_page;
use super::{leaves_no_administrator, not_found};
use crate::AppState;
use crate::office::form::FormErrors;
use crate::office::page::{Page, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};

/// The user `id` and everyone (for the last-administrator check), or the 404 page.
async fn load(state: &AppState, page: &Page, id: &str) -> Result<(User, Vec<User>), Response> {
    let users = state
        .store
        .list_users()
        .await
        .map_err(|error| server_error(&error))?;
    match users.iter().find(|u| u.id == id) {
        Some(user) => Ok((user.clone(), users)),
        None => Err(not_found(page)),
    }
}

/// The user's page with `message` next to `field` (422).
async fn refused(
    state: &AppState,
    page: &Page,
    user: &User,
    field: &str,
    message: String,
) -> Response {
    let mut errors = FormErrors::default();
    errors.add(field, message);
    user_page(
        state,
        page,
        user,
        (errors, None),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

fn back(id: &str, done: &str) -> Response {
    see_other(&format!("/office/users/{}?done={done}", url_encode(id)))
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    State(state): State<Arc<AppState>>,
    page: Page,
    admin: OfficeUser,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    let (user, users) = match load(&state, &page, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(role) = Role::parse(&form.role) else {
        return refused(&state, &page, &user, "role", page.t("users-role-invalid")).await;
    };
    if leaves_no_administrator(&users, &id, role, user.active) {
        return refused(
            &state,
            &page,
            &user,
            "role",
            page.t("users-last-admin-role"),
        )
        .await;
    }
    if role == user.role {
        return back(&id, "role");
    }
    match state
        .store
        .set_role(&admin.actor(), &id, role, now_millis())
        .await
    {
        Ok(_) => back(&id, "role"),
        Err(remise_store::Error::NotFound { .. }) => not_found(&page),
        Err(error) => server_error(&error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    /// `true` to reactivate, `false` to deactivate.
    #[serde(default)]
    active: String,
}

/// Deactivating also revokes the user's sessions, so that reactivating them later does not bring
/// old sessions back: they sign in again.
pub async fn set_active(
    State(state): State<Arc<AppState>>,
    page: Page,
    admin: OfficeUser,
    Path(id): Path<String>,
    Form(form): Form<ActiveForm>,
) -> Response {
    let (user, users) = match load(&state, &page, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            let message = page.t("users-active-invalid");
            return refused(&state, &page, &user, "active", message).await;
        }
    };
    if !active && leaves_no_administrator(&users, &id, user.role, false) {
        let message = page.t("users-last-admin-deactivate");
        return refused(&state, &page, &user, "active", message).await;
    }
    let now = now_millis();
    let store = state.store.as_ref();
    if user.active != active {
        match store.set_active(&admin.actor(), &id, active, now).await {
            Ok(_) => {}
            Err(remise_store::Error::NotFound { .. }) => return not_found(&page),
            Err(error) => return server_error(&error),
        }
    }
    if !active && let Err(error) = store.revoke_user_sessions(&id, now).await {
        return server_error(&error);
    }
    back(&id, if active { "reactivated" } else { "deactivated" })
}

/// "Sign out everywhere": every session of the user ends now (theirs included, when an
/// administrator signs themself out).
pub async fn revoke_sessions(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let user = match state.store.get_user(&id).await {
        Ok(Some(user)) => user,
        Ok(None) => return not_found(&page),
        Err(error) => return server_error(&error),
    };
    match state
        .store
        .revoke_user_sessions(&user.id, now_millis())
        .await
    {
        Ok(count) => see_other(&format!(
            "/office/users/{}?done=revoked&n={count}",
            url_encode(&user.id)
        )),
        Err(error) => server_error(&error),
    }
}
