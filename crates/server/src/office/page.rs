//! What every page's template gets (`Page`: the language, the user, the CSRF token, messages),
//! rendering, and the error pages.

use std::fmt::Display;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use remise_store::Role;

use super::guard::Need;
use super::i18n::{self, Lang};
use super::session::OfficeUser;

/// The signed-in user as pages show them.
#[derive(Debug, Clone)]
pub struct PageUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// The context of every page: its language, its user (none on the sign-in page) and the
/// session's CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub user: Option<PageUser>,
    pub csrf: String,
}

impl Page {
    /// A page for nobody signed in, in the browser's language.
    pub fn anonymous(accept_language: Option<&str>) -> Page {
        Page {
            lang: Lang::from_accept_language(accept_language),
            user: None,
            csrf: String::new(),
        }
    }

    /// A page for `user`, in their language, or the browser's when they chose none.
    pub fn for_user(user: &OfficeUser, accept_language: Option<&str>) -> Page {
        let lang = user
            .user
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| Lang::from_accept_language(accept_language));
        Page {
            lang,
            user: Some(PageUser {
                id: user.user.id.clone(),
                name: user.user.name.clone(),
                email: user.user.email.clone(),
                role: user.user.role,
            }),
            csrf: user.session.csrf.clone(),
        }
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        i18n::message(self.lang, key, None)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl Display) -> String {
        let args = i18n::args(&[(name, value.to_string())]);
        i18n::message(self.lang, key, Some(&args))
    }

    /// The message `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        name: &str,
        value: impl Display,
        name2: &str,
        value2: impl Display,
    ) -> String {
        let args = i18n::args(&[(name, value.to_string()), (name2, value2.to_string())]);
        i18n::message(self.lang, key, Some(&args))
    }

    /// Whether the user's role allows `need` (to show a control; the server checks again).
    pub fn can(&self, need: Need) -> bool {
        self.user.as_ref().is_some_and(|u| need.allows(u.role))
    }

    pub fn can_edit(&self) -> bool {
        self.can(Need::Edit)
    }

    pub fn can_approve(&self) -> bool {
        self.can(Need::Approve)
    }

    pub fn can_work(&self) -> bool {
        self.can(Need::Work)
    }

    pub fn is_admin(&self) -> bool {
        self.can(Need::Admin)
    }

    /// A role's name in the page's language.
    pub fn role_name(&self, role: &Role) -> String {
        self.t(&format!("role-{}", role.as_str()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = std::convert::Infallible;

    /// The page the guard made for the signed-in user, or an anonymous one.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Page, Self::Rejection> {
        if let Some(page) = parts.extensions.get::<Page>() {
            return Ok(page.clone());
        }
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(Page::anonymous(accept))
    }
}

/// A rendered template, or the error page when rendering fails.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!("a back-office page failed to render: {error}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>The page could not be shown.</p>"),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "office/error.html")]
struct ErrorPage<'a> {
    page: &'a Page,
    title: String,
    message: String,
}

/// An error page: `title_key` and `message_key` are messages.
pub fn error_page(page: &Page, status: StatusCode, title_key: &str, message_key: &str) -> Response {
    render(
        status,
        &ErrorPage {
            page,
            title: page.t(title_key),
            message: page.t(message_key),
        },
    )
}

/// 403: the user may not do this (`message_key` says why).
pub fn forbidden(page: &Page, message_key: &str) -> Response {
    error_page(
        page,
        StatusCode::FORBIDDEN,
        "error-forbidden-title",
        message_key,
    )
}

/// 404 for any `/office/…` path no route serves.
pub async fn not_found(page: Page) -> Response {
    error_page(
        &page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "error-not-found",
    )
}

/// 500 when the store fails; the detail goes to the log, not the page.
pub fn server_error(error: &dyn Display) -> Response {
    tracing::error!("a back-office request failed: {error}");
    let page = Page::anonymous(None);
    error_page(
        &page,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-server-title",
        "error-server",
    )
}

/// 500 when a handler panicked.
pub fn panicked() -> Response {
    let page = Page::anonymous(None);
    error_page(
        &page,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error-server-title",
        "error-server",
    )
}
