//! Users (administrators only): the team's list with when each was last seen, inviting someone
//! (an initial password typed, or generated and shown once), changing a role, deactivating and
//! reactivating, and signing a user out everywhere.
//!
//! The store must always keep an active administrator: a change that would leave none (the last
//! one demoting or deactivating themself) is refused with a clear error. Sessions are in the
//! store, so deactivating someone or revoking their sessions takes effect on their next request,
//! on every instance.

mod change;
mod create;
mod list;
mod show;

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use jiff::tz::TimeZone;
use remise_store::{Millis, Role, Session, User};

use super::guard::Need;
use super::page::{Page, error_page, server_error};
use super::routes::{OfficeRoute, get, post};
use crate::AppState;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/users", Need::Admin, get_handler(list::show)),
        get("/office/users/new", Need::Admin, get_handler(create::form)),
        post("/office/users", Need::Admin, post_handler(create::create)),
        get("/office/users/{id}", Need::Admin, get_handler(show::show)),
        post(
            "/office/users/{id}/role",
            Need::Admin,
            post_handler(change::set_role),
        ),
        post(
            "/office/users/{id}/active",
            Need::Admin,
            post_handler(change::set_active),
        ),
        post(
            "/office/users/{id}/sessions/revoke",
            Need::Admin,
            post_handler(change::revoke_sessions),
        ),
    ]
}

/// What a user's sessions say: when they were last seen, how many browsers are signed in now.
pub struct Presence {
    pub last_seen: Option<Millis>,
    pub live: usize,
}

impl Presence {
    pub fn of(sessions: &[Session], now: Millis) -> Presence {
        Presence {
            last_seen: sessions.iter().map(|s| s.last_seen_at).max(),
            live: sessions
                .iter()
                .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
                .count(),
        }
    }
}

/// A user's presence, from the store.
pub async fn presence(state: &AppState, user: &User, now: Millis) -> Result<Presence, Response> {
    match state.store.list_sessions(&user.id).await {
        Ok(sessions) => Ok(Presence::of(&sessions, now)),
        Err(error) => Err(server_error(&error)),
    }
}

/// A user as the list and their page show them.
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub role_name: String,
    pub active: bool,
    pub last_seen: String,
    pub live: usize,
    /// The signed-in administrator themself.
    pub me: bool,
}

impl UserView {
    pub fn new(page: &Page, user: &User, presence: &Presence, zone: &TimeZone) -> UserView {
        UserView {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            role_name: page.role_name(&user.role),
            active: user.active,
            last_seen: presence.last_seen.map_or_else(
                || page.t("users-never-seen"),
                |at| super::tasks::when(page, at, zone),
            ),
            live: presence.live,
            me: page.user.as_ref().is_some_and(|me| me.id == user.id),
        }
    }
}

/// `(value, name)` of every role, for a select.
pub fn role_options(page: &Page) -> Vec<(&'static str, String)> {
    Role::ALL
        .into_iter()
        .map(|r| (r.as_str(), page.role_name(&r)))
        .collect()
}

/// Whether making `target` have `role` and be `active` would leave the store without an active
/// administrator (`users` is everyone, as the store has them now).
pub fn leaves_no_administrator(users: &[User], target: &str, role: Role, active: bool) -> bool {
    let stays_admin = |u: &User| {
        if u.id == target {
            active && role == Role::Administrator
        } else {
            u.active && u.role == Role::Administrator
        }
    };
    !users.iter().any(stays_admin)
}

/// 404 for a user that does not exist.
pub fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "users-not-found-title",
        "users-not-found",
    )
}

/// The store's time zone, for dates.
pub fn zone(state: &AppState) -> TimeZone {
    state.publisher.current().model.time_zone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, role: Role, active: bool) -> User {
        User {
            id: id.to_owned(),
            email: format!("{id}@example.com"),
            name: id.to_owned(),
            role,
            password_hash: String::new(),
            language: None,
            active,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_last_active_administrator_stays() {
        let users = vec![
            user("alice", Role::Administrator, true),
            user("bob", Role::Administrator, false),
            user("carol", Role::Marketer, true),
        ];
        assert!(leaves_no_administrator(
            &users,
            "alice",
            Role::Marketer,
            true
        ));
        assert!(leaves_no_administrator(
            &users,
            "alice",
            Role::Administrator,
            false
        ));
        assert!(!leaves_no_administrator(
            &users,
            "alice",
            Role::Administrator,
            true
        ));
        // Another administrator, made or reactivated, lets the first one go.
        assert!(!leaves_no_administrator(
            &users,
            "bob",
            Role::Administrator,
            true
        ));
        assert!(!leaves_no_administrator(
            &users,
            "carol",
            Role::Administrator,
            true
        ));
        assert!(!leaves_no_administrator(
            &users,
            "carol",
            Role::Viewer,
            false
        ));
    }

    #[test]
    fn presence_counts_live_sessions_and_the_last_visit() {
        let session = |last_seen_at, expires_at, revoked_at| Session {
            id_hash: String::new(),
            user_id: "u".to_owned(),
            csrf: String::new(),
            created_at: 0,
            last_seen_at,
            expires_at,
            revoked_at,
        };
        let sessions = [
            session(10, 100, None),
            session(30, 100, Some(40)),
            session(20, 50, None),
        ];
        let presence = Presence::of(&sessions, 60);
        assert_eq!(presence.last_seen, Some(30));
        assert_eq!(presence.live, 1);
        assert_eq!(Presence::of(&[], 60).last_seen, None);
    }
}
