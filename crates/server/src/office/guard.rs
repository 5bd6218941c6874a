//! What each route needs, and the guard that checks it before the handler: the session (else the
//! sign-in page), the role (else 403), and for every request that changes something, the CSRF
//! token of the session (else 403).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use remise_store::Role;

use super::page::{Page, forbidden};
use super::session;
use crate::AppState;

/// What a route needs of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nobody signed in: the sign-in page, the static files.
    Public,
    /// Any signed-in user, for their own account (password, language, sign-out).
    SignedIn,
    /// Reading anything: every role.
    Read,
    /// Working on tasks: everyone but viewers, who change nothing.
    Work,
    /// Changing the catalog, campaigns, promotions, codes and offers: marketers, administrators.
    Edit,
    /// Approving or rejecting campaigns: approvers, administrators.
    Approve,
    /// Users, API keys, settings: administrators.
    Admin,
}

impl Need {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Need::Public | Need::SignedIn | Need::Read => true,
            Need::Work => role != Role::Viewer,
            Need::Edit => matches!(role, Role::Administrator | Role::Marketer),
            Need::Approve => matches!(role, Role::Administrator | Role::Approver),
            Need::Admin => role == Role::Administrator,
        }
    }
}

/// Requests that may change something: they must carry the session's CSRF token.
fn changes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn guard(
    State((state, need)): State<(Arc<AppState>, Need)>,
    request: Request,
    next: Next,
) -> Response {
    if need == Need::Public {
        return next.run(request).await;
    }
    let lang_header = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let found = match session::current(&state, request.headers()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(user) = found else {
        if changes(request.method()) {
            let page = Page::anonymous(lang_header.as_deref());
            return forbidden(&page, "error-signed-out");
        }
        let target = request
            .uri()
            .path_and_query()
            .map_or("/office", |p| p.as_str());
        let location = format!("/office/sign-in?next={}", session::url_encode(target));
        return if request.headers().contains_key("hx-request") {
            ([("hx-redirect", location)], "").into_response()
        } else {
            Redirect::to(&location).into_response()
        };
    };
    let page = Page::for_user(&user, lang_header.as_deref());
    if !need.allows(user.user.role) {
        return forbidden(&page, "error-forbidden-role");
    }
    let request = if changes(request.method()) {
        match session::check_csrf(request, &user.session.csrf).await {
            Ok(request) => request,
            Err(()) => return forbidden(&page, "error-csrf"),
        }
    } else {
        request
    };
    let mut request = request;
    request.extensions_mut().insert(user);
    request.extensions_mut().insert(page);
    next.run(request).await
}
