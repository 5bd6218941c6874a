//! Sessions: a cookie holding 256 random bits, kept in the store under their SHA-256 with the
//! session's CSRF token, so that every instance knows a session and a revocation takes effect
//! everywhere at once.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use remise_store::{Millis, Session, User, now_millis};

use super::page::server_error;
use crate::AppState;
use crate::auth::hash_secret;

pub const COOKIE: &str = "remise_session";
/// How long a session lasts from its sign-in.
pub const LIFETIME: Millis = 12 * 60 * 60 * 1000;
/// `last_seen_at` is written at most this often, so that reading pages does not write each time.
const TOUCH_EVERY: Millis = 60 * 1000;
/// The largest form body read for its CSRF token (catalog files come as multipart).
const FORM_BYTES: usize = 16 * 1024 * 1024;

/// The signed-in user of a request, put there by the guard.
#[derive(Debug, Clone)]
pub struct OfficeUser {
    pub user: User,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for OfficeUser {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<OfficeUser, StatusCode> {
        // Only a route declared without a session lacks it: a programming error, not the user's.
        parts
            .extensions
            .get::<OfficeUser>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// 256 random bits as hex.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The token of the request's session cookie, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The session of the request and its user, when the cookie names one that still counts.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<OfficeUser>, Response> {
    let Some(token) = cookie_value(headers, COOKIE) else {
        return Ok(None);
    };
    let now = now_millis();
    let hash = hash_secret(&token);
    let found = state
        .store
        .find_session(&hash, now)
        .await
        .map_err(|e| server_error(&e))?;
    let Some((session, user)) = found else {
        return Ok(None);
    };
    if now - session.last_seen_at >= TOUCH_EVERY {
        state
            .store
            .touch_session(&hash, now)
            .await
            .map_err(|e| server_error(&e))?;
    }
    Ok(Some(OfficeUser { user, session }))
}

/// A new session for `user`: its token (for the cookie) and what the store keeps.
pub fn new_session(user: &User, now: Millis) -> Result<(String, Session), getrandom::Error> {
    let token = random_token()?;
    let session = Session {
        id_hash: hash_secret(&token),
        user_id: user.id.clone(),
        csrf: random_token()?,
        created_at: now,
        last_seen_at: now,
        expires_at: now + LIFETIME,
        revoked_at: None,
    };
    Ok((token, session))
}

/// Whether the browser reached us over TLS (directly or through a proxy that says so): cookies
/// are then `Secure`.
pub fn over_tls(headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded_https || forwarded
}

/// A `Set-Cookie` for `name`: `HttpOnly`, `SameSite=Lax`, scoped to `/office`, `Secure` over
/// TLS; `None` as the value clears it.
pub fn set_cookie(
    name: &str,
    value: Option<&str>,
    secure: bool,
) -> (header::HeaderName, HeaderValue) {
    let mut cookie = Cookie::build((name, value.unwrap_or("").to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/office")
        .secure(secure);
    if value.is_none() {
        cookie = cookie.max_age(cookie::time::Duration::ZERO);
    }
    let text = cookie.build().to_string();
    // A cookie built from our own token (hex) and name is always a valid header value.
    let value = HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    (header::SET_COOKIE, value)
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks the request's CSRF token against `expected`: the `X-CSRF-Token` header (htmx sends it
/// on every request), else the `csrf` field of a URL-encoded form, else the `csrf` query
/// parameter (forms that upload files put it in their action). The request comes back whole.
pub async fn check_csrf(request: Request, expected: &str) -> Result<Request, ()> {
    if let Some(token) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if same_token(token, expected) {
            Ok(request)
        } else {
            Err(())
        };
    }
    if let Some(token) = request
        .uri()
        .query()
        .and_then(|q| form_field(q.as_bytes(), "csrf"))
    {
        return if same_token(&token, expected) {
            Ok(request)
        } else {
            Err(())
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(());
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_BYTES)
        .await
        .map_err(|_| ())?;
    match form_field(&bytes, "csrf") {
        Some(token) if same_token(&token, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(()),
    }
}

/// The first value of `name` in a URL-encoded form or query.
pub fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// `text` for a query string.
pub fn url_encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A redirect after a form (303, so the browser follows with a GET).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Whether `next` is a page of the back office (never another site: `//host` or `/\host`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if (next == "/office"
                || next.starts_with("/office/")
                || next.starts_with("/office?"))
                && !next.contains("//")
                && !next.contains('\\') =>
        {
            next
        }
        _ => "/office",
    }
}

impl OfficeUser {
    /// Who the audit log names for this user's changes.
    pub fn actor(&self) -> remise_store::Actor {
        remise_store::Actor(format!("user:{}", self.user.email))
    }
}
