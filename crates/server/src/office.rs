//! The back office: server-rendered pages under `/office` for the merchant's team, in French and
//! English (`i18n`), signed in with a session kept in the store (`session`).
//!
//! Every page is declared once in [`route_table`] with what it needs of the user's role
//! ([`Need`]); the router wraps each one in the guard that checks the session, the role and, for
//! every request that changes something, the form's CSRF token, before the handler runs. The
//! authorisation tests walk the same table.

// Page handlers return the error page itself as their error: a `Response` is large, and it is
// built once per failed request, never in a loop.
#![allow(clippy::result_large_err)]

mod account;
pub mod approval;
mod assets;
mod audit;
pub mod campaigns;
mod catalog_structure;
pub mod form;
mod guard;
mod home;
pub mod i18n;
pub mod new_user;
mod page;
pub mod password;
mod problems_fr;
mod products;
mod promotions;
mod routes;
mod segments;
mod selections;
mod session;
mod signin;
mod simulator;
mod tags;
mod tasks;
mod users;
pub mod writes;

use std::sync::Arc;

use axum::Router;

pub use guard::Need;
pub use page::Page;
pub use products::CatalogState;
pub use routes::{OfficeRoute, route_table};
pub use session::OfficeUser;

use crate::AppState;

/// The back office's routes over `state`, each behind its guard.
pub fn router(state: Arc<AppState>) -> Router {
    routes::build(state)
}
