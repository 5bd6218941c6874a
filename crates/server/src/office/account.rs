//! The signed-in user's own account: language and password.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_store::now_millis;
use serde::Deserialize;

use super::guard::Need;
use super::i18n::Lang;
use super::page::{Page, render, server_error};
use super::password::{self, PasswordError};
use super::routes::{OfficeRoute, get, post};
use super::session::{OfficeUser, see_other};
use super::signin::start_session;
use crate::AppState;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/account", Need::SignedIn, get_handler(show)),
        post(
            "/office/account/language",
            Need::SignedIn,
            post_handler(set_language),
        ),
        post(
            "/office/account/password",
            Need::SignedIn,
            post_handler(change_password),
        ),
    ]
}

#[derive(Template)]
#[template(path = "office/account.html")]
struct AccountPage<'a> {
    page: &'a Page,
    language: String,
    /// `(field, message)`.
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
}

impl AccountPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

async fn show(
    page: Page,
    user: OfficeUser,
    axum::extract::Query(notice): axum::extract::Query<Notice>,
) -> Response {
    let notice = match notice.done.as_deref() {
        Some("password") => Some(page.t("account-password-changed")),
        Some("language") => Some(page.t("account-language-saved")),
        _ => None,
    };
    render(
        StatusCode::OK,
        &AccountPage {
            page: &page,
            language: user.user.language.clone().unwrap_or_default(),
            errors: Vec::new(),
            notice,
        },
    )
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

async fn set_language(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Form(input): Form<LanguageForm>,
) -> Response {
    let language = match input.language.as_str() {
        "" => None,
        code => match Lang::parse(code) {
            Some(lang) => Some(lang.code()),
            None => {
                return render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &AccountPage {
                        page: &page,
                        language: String::new(),
                        errors: vec![("language", page.t("account-language-unknown"))],
                        notice: None,
                    },
                );
            }
        },
    };
    match state
        .store
        .set_language(&user.actor(), &user.user.id, language, now_millis())
        .await
    {
        Ok(_) => see_other("/office/account?done=language"),
        Err(error) => server_error(&error),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Changes the password after checking the current one; every session of the user ends (a
/// stolen one included) and this browser gets a new one.
async fn change_password(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    headers: HeaderMap,
    Form(input): Form<PasswordForm>,
) -> Response {
    let mut errors = Vec::new();
    if !password::verify(&input.current, &user.user.password_hash) {
        errors.push(("current", page.t("account-current-wrong")));
    }
    if input.new != input.confirm {
        errors.push(("confirm", page.t("account-confirm-differs")));
    }
    let hash = match password::hash(&input.new) {
        Ok(hash) => Some(hash),
        Err(PasswordError::TooShort) => {
            errors.push((
                "new",
                page.t1("account-new-too-short", "min", password::MIN_LENGTH),
            ));
            None
        }
        Err(error) => return server_error(&error),
    };
    let Some(hash) = hash.filter(|_| errors.is_empty()) else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &AccountPage {
                page: &page,
                language: user.user.language.clone().unwrap_or_default(),
                errors,
                notice: None,
            },
        );
    };
    let store = state.store.as_ref();
    let now = now_millis();
    if let Err(error) = store
        .set_password_hash(&user.actor(), &user.user.id, &hash, now)
        .await
    {
        return server_error(&error);
    }
    if let Err(error) = store.revoke_user_sessions(&user.user.id, now).await {
        return server_error(&error);
    }
    match start_session(
        &state,
        &user.user,
        &headers,
        "/office/account?done=password",
    )
    .await
    {
        Ok(response) | Err(response) => response,
    }
}
