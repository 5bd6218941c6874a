//! Signing in and out. The sign-in form has no session yet: its CSRF token is a random value
//! in a cookie of its own that the form repeats (double submit). Failed attempts are counted
//! per e-mail in the store (every instance sees them), five per five minutes.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_store::{Millis, normalize_email, now_millis};
use serde::Deserialize;

use super::guard::Need;
use super::page::{Page, forbidden, render, server_error};
use super::password;
use super::routes::{OfficeRoute, get, post};
use super::session::{self, COOKIE, OfficeUser, cookie_value, over_tls, see_other, set_cookie};
use crate::AppState;

/// The sign-in form's own CSRF cookie.
const SIGNIN_COOKIE: &str = "remise_signin";
const WINDOW: Millis = 5 * 60 * 1000;
pub const MAX_FAILURES: u32 = 5;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/sign-in", Need::Public, get_handler(form)),
        post("/office/sign-in", Need::Public, post_handler(sign_in)),
        post("/office/sign-out", Need::SignedIn, post_handler(sign_out)),
    ]
}

#[derive(Template)]
#[template(path = "office/signin.html")]
struct SignInPage<'a> {
    page: &'a Page,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn form(
    State(state): State<Arc<AppState>>,
    page: Page,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = session::safe_next(query.next.as_deref()).to_owned();
    match session::current(&state, &headers).await {
        Ok(Some(_)) => return see_other(&next),
        Ok(None) => {}
        Err(response) => return response,
    }
    let token = match cookie_value(&headers, SIGNIN_COOKIE) {
        Some(token) if token.len() == 64 => token,
        _ => match session::random_token() {
            Ok(token) => token,
            Err(error) => return server_error(&error),
        },
    };
    let mut response = render(
        StatusCode::OK,
        &SignInPage {
            page: &page,
            csrf: &token,
            next: &next,
            email: "",
            error: None,
        },
    );
    let (name, value) = set_cookie(SIGNIN_COOKIE, Some(&token), over_tls(&headers));
    response.headers_mut().append(name, value);
    response
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<Arc<AppState>>,
    page: Page,
    headers: HeaderMap,
    Form(input): Form<SignInForm>,
) -> Response {
    let expected = cookie_value(&headers, SIGNIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same_token(&input.csrf, &expected) {
        return forbidden(&page, "error-csrf");
    }
    let next = session::safe_next(Some(&input.next)).to_owned();
    let email = normalize_email(&input.email);
    let now = now_millis();
    let window = now - now.rem_euclid(WINDOW);
    let subjects = [format!("sign-in:{email}")];
    let store = state.store.as_ref();
    let again = |error: Option<String>, status: StatusCode| {
        render(
            status,
            &SignInPage {
                page: &page,
                csrf: &expected,
                next: &next,
                email: &email,
                error,
            },
        )
    };
    match store.failed_lookups(&subjects, window).await {
        Ok(failures) if failures >= MAX_FAILURES => {
            return again(
                Some(page.t("signin-too-many")),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Ok(_) => {}
        Err(error) => return server_error(&error),
    }
    let user = match store.find_user_by_email(&email).await {
        Ok(user) => user,
        Err(error) => return server_error(&error),
    };
    let user = match user {
        Some(user) if password::verify(&input.password, &user.password_hash) && user.active => user,
        found => {
            if found.is_none() {
                password::verify_nobody(&input.password);
            }
            if let Err(error) = store.record_failed_lookup(&subjects, window).await {
                return server_error(&error);
            }
            return again(
                Some(page.t("signin-invalid")),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match start_session(&state, &user, &headers, &next).await {
        Ok(response) | Err(response) => response,
    }
}

/// Stores a new session for `user` and answers with its cookie and a redirect to `next`.
pub async fn start_session(
    state: &AppState,
    user: &remise_store::User,
    headers: &HeaderMap,
    next: &str,
) -> Result<Response, Response> {
    let (token, new) = session::new_session(user, now_millis()).map_err(|e| server_error(&e))?;
    state
        .store
        .create_session(&new)
        .await
        .map_err(|e| server_error(&e))?;
    let mut response = see_other(next);
    let secure = over_tls(headers);
    let (name, value) = set_cookie(COOKIE, Some(&token), secure);
    response.headers_mut().append(name, value);
    let (name, value) = set_cookie(SIGNIN_COOKIE, None, secure);
    response.headers_mut().append(name, value);
    Ok(response)
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    user: OfficeUser,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = state
        .store
        .revoke_session(&user.session.id_hash, now_millis())
        .await
    {
        return server_error(&error);
    }
    let mut response = see_other("/office/sign-in");
    let (name, value) = set_cookie(COOKIE, None, over_tls(&headers));
    response.headers_mut().append(name, value);
    response
}
