//! Back-office users and their server-side sessions.
//!
//! A user signs in with an e-mail and a password; the store keeps the e-mail lower-cased (so
//! look-ups and the uniqueness of e-mails ignore case) and the password's argon2id PHC string,
//! which the caller computes: the store never sees a password. Sessions live in the store so that
//! every server instance knows them and a revocation takes effect everywhere at once; a session is
//! kept under the SHA-256 of its token (the caller hashes it), never the token itself.
//!
//! Errors name their entity as `kind`: `user`, `session`. User changes are audited (entity
//! `user`, without the password hash); sessions are not. Nothing here bumps the documents'
//! revision ([`crate::Store::revision`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Actor, Millis, Result};

/// What a user may do in the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Marketer,
    Approver,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Marketer,
        Role::Approver,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Marketer => "marketer",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A back-office user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    /// Trimmed and lower-cased by the store ([`normalize_email`]).
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The argon2id PHC string of the password; never serialized.
    #[serde(skip)]
    pub password_hash: String,
    /// The back office's language for this user (`fr`, `en`); `None`: the browser's.
    pub language: Option<String>,
    /// An inactive user cannot sign in and their sessions no longer count.
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The SHA-256 (hex) of the session token; the token itself is only in the browser.
    pub id_hash: String,
    pub user_id: String,
    /// The anti-CSRF token of this session's forms.
    pub csrf: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// The e-mail as the store keeps and looks it up: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Users and sessions. Both backends pass `tests/users.rs`.
#[async_trait]
pub trait Users: Send + Sync {
    /// Stores a new user (e-mail lower-cased) and returns it as stored. One audit entry (entity
    /// `user`, action create, without the password hash). [`crate::Error::AlreadyExists`] (kind
    /// `user`) for a taken id or e-mail (naming the e-mail then), and nothing changes.
    async fn create_user(&self, actor: &Actor, user: &User) -> Result<User>;

    async fn get_user(&self, id: &str) -> Result<Option<User>>;

    /// The user with this e-mail, whatever its case; active or not.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;

    /// Every user, active or not, by e-mail.
    async fn list_users(&self) -> Result<Vec<User>>;

    /// Changes a user's role (audited). [`crate::Error::NotFound`] (kind `user`) when unknown.
    async fn set_role(&self, actor: &Actor, id: &str, role: Role, now: Millis) -> Result<User>;

    /// Activates or deactivates a user (audited); a deactivated user's sessions no longer count
    /// ([`Users::find_session`]). [`crate::Error::NotFound`] (kind `user`) when unknown.
    async fn set_active(&self, actor: &Actor, id: &str, active: bool, now: Millis) -> Result<User>;

    /// Sets a user's language (`None`: the browser's), audited.
    /// [`crate::Error::NotFound`] (kind `user`) when unknown.
    async fn set_language(
        &self,
        actor: &Actor,
        id: &str,
        language: Option<&str>,
        now: Millis,
    ) -> Result<User>;

    /// Replaces a user's password hash (audited as an update, without either hash).
    /// [`crate::Error::NotFound`] (kind `user`) when unknown.
    async fn set_password_hash(
        &self,
        actor: &Actor,
        id: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<()>;

    /// Stores a new session. [`crate::Error::NotFound`] (kind `user`) for an unknown user,
    /// [`crate::Error::AlreadyExists`] (kind `session`) for a taken hash.
    async fn create_session(&self, session: &Session) -> Result<()>;

    /// The session with this token hash and its user, if it still counts at `now`: not expired
    /// (`expires_at > now`), not revoked, its user active. `None` otherwise.
    async fn find_session(&self, id_hash: &str, now: Millis) -> Result<Option<(Session, User)>>;

    /// Records that the session was used at `now` (`last_seen_at`, never moved back).
    /// [`crate::Error::NotFound`] (kind `session`) when unknown.
    async fn touch_session(&self, id_hash: &str, now: Millis) -> Result<()>;

    /// Revokes one session (sign-out); revoking it again keeps the first time.
    /// [`crate::Error::NotFound`] (kind `session`) when unknown.
    async fn revoke_session(&self, id_hash: &str, now: Millis) -> Result<()>;

    /// Revokes every session of a user not revoked yet; returns how many.
    async fn revoke_user_sessions(&self, user_id: &str, now: Millis) -> Result<u64>;

    /// Every session of a user, expired and revoked ones included, newest first.
    async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>>;
}
