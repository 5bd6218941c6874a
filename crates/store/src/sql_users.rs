//! Back-office users and sessions: the SQL both backends share, and the semantics of
//! [`crate::Users`], written once (see the parent module for how transactions are handed in).
//!
//! Each write is one statement on one row (plus its audit line), so it needs no lock beyond the
//! row's own: SQLite's writer excludes every other, PostgreSQL's UPDATE locks the row. Nothing
//! here touches the documents' revision.

use serde_json::json;

use super::Conn;
use super::codes::{already_exists, audit_one, not_found};
use crate::users::{Role, Session, User, normalize_email};
use crate::{Action, Actor, Millis, Result};

/// The `kind` of errors and the `entity` of audit entries.
const USER: &str = "user";
const SESSION: &str = "session";

macro_rules! user_columns {
    () => {
        "id, email, name, role, password_hash, language, active, created_at, updated_at"
    };
}

macro_rules! session_columns {
    () => {
        "id_hash, user_id, csrf, created_at, last_seen_at, expires_at, revoked_at"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    language: Option<String>,
    active: bool,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            super::corrupt(USER, &self.id, format!("unknown role `{}`", self.role))
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            role,
            password_hash: self.password_hash,
            language: self.language,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    user_id: String,
    csrf: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Session {
        Session {
            id_hash: row.id_hash,
            user_id: row.user_id,
            csrf: row.csrf,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// A user as the audit log keeps it: never the password hash.
fn audit_user(user: &User) -> String {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.as_str(),
        "language": user.language,
        "active": user.active,
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Users

async fn fetch_user(conn: &mut Conn<'_>, column: &str, value: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {} FROM users WHERE {column} = $1", user_columns!());
    let row = on!(conn, |c| sqlx::query_as::<_, UserRow>(&sql)
        .bind(value)
        .fetch_optional(c)
        .await)?;
    row.map(UserRow::into_user).transpose()
}

pub(crate) async fn create_user(conn: &mut Conn<'_>, actor: &Actor, user: &User) -> Result<User> {
    let user = User {
        email: normalize_email(&user.email),
        ..user.clone()
    };
    // Without a conflict target: a taken id and a taken e-mail are both refused.
    let sql = concat!(
        "INSERT INTO users (",
        user_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(user.id.as_str())
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(user.role.as_str())
        .bind(user.password_hash.as_str())
        .bind(user.language.as_deref())
        .bind(user.active)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        let taken_email = fetch_user(conn, "email", &user.email).await?.is_some();
        return Err(already_exists(
            USER,
            if taken_email { &user.email } else { &user.id },
        ));
    }
    audit_one(
        conn,
        actor,
        user.created_at,
        Action::Create,
        (USER, &user.id),
        (None, Some(audit_user(&user))),
    )
    .await?;
    Ok(user)
}

pub(crate) async fn get_user(conn: &mut Conn<'_>, id: &str) -> Result<Option<User>> {
    fetch_user(conn, "id", id).await
}

pub(crate) async fn find_user_by_email(conn: &mut Conn<'_>, email: &str) -> Result<Option<User>> {
    fetch_user(conn, "email", &normalize_email(email)).await
}

pub(crate) async fn list_users(conn: &mut Conn<'_>) -> Result<Vec<User>> {
    let sql = concat!("SELECT ", user_columns!(), " FROM users ORDER BY email");
    let rows = on!(conn, |c| sqlx::query_as::<_, UserRow>(sql)
        .fetch_all(c)
        .await)?;
    rows.into_iter().map(UserRow::into_user).collect()
}

/// A change to one column of a user.
#[derive(Clone, Copy)]
enum Change<'a> {
    Role(Role),
    Active(bool),
    PasswordHash(&'a str),
    Language(Option<&'a str>),
}

/// Applies one change to a user and audits it with `summary` of the user before and after;
/// returns the user as changed.
async fn update_user(
    conn: &mut Conn<'_>,
    actor: &Actor,
    (id, now): (&str, Millis),
    change: Change<'_>,
    summary: fn(&User) -> String,
) -> Result<User> {
    let Some(before) = fetch_user(conn, "id", id).await? else {
        return Err(not_found(USER, id));
    };
    let column = match change {
        Change::Role(_) => "role",
        Change::Active(_) => "active",
        Change::PasswordHash(_) => "password_hash",
        Change::Language(_) => "language",
    };
    let sql = format!(
        "UPDATE users SET {column} = $3, updated_at = $2 WHERE id = $1 RETURNING {}",
        user_columns!()
    );
    let row = on!(conn, |c| {
        let q = sqlx::query_as::<_, UserRow>(&sql).bind(id).bind(now);
        let q = match change {
            Change::Role(role) => q.bind(role.as_str()),
            Change::Active(active) => q.bind(active),
            Change::PasswordHash(hash) => q.bind(hash),
            Change::Language(language) => q.bind(language),
        };
        q.fetch_optional(c).await
    })?;
    let after = row.ok_or_else(|| not_found(USER, id))?.into_user()?;
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (USER, id),
        (Some(summary(&before)), Some(summary(&after))),
    )
    .await?;
    Ok(after)
}

pub(crate) async fn set_role(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    role: Role,
    now: Millis,
) -> Result<User> {
    update_user(conn, actor, (id, now), Change::Role(role), audit_user).await
}

pub(crate) async fn set_active(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    active: bool,
    now: Millis,
) -> Result<User> {
    update_user(conn, actor, (id, now), Change::Active(active), audit_user).await
}

pub(crate) async fn set_language(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    language: Option<&str>,
    now: Millis,
) -> Result<User> {
    update_user(
        conn,
        actor,
        (id, now),
        Change::Language(language),
        audit_user,
    )
    .await
}

pub(crate) async fn set_password_hash(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    password_hash: &str,
    now: Millis,
) -> Result<()> {
    // The audit says that the password changed, not what to.
    fn summary(user: &User) -> String {
        json!({ "id": user.id, "password": "set" }).to_string()
    }
    update_user(
        conn,
        actor,
        (id, now),
        Change::PasswordHash(password_hash),
        summary,
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sessions

pub(crate) async fn create_session(conn: &mut Conn<'_>, session: &Session) -> Result<()> {
    if fetch_user(conn, "id", &session.user_id).await?.is_none() {
        return Err(not_found(USER, &session.user_id));
    }
    let sql = concat!(
        "INSERT INTO sessions (",
        session_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(session.id_hash.as_str())
        .bind(session.user_id.as_str())
        .bind(session.csrf.as_str())
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .bind(session.revoked_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(SESSION, &session.id_hash));
    }
    Ok(())
}

pub(crate) async fn find_session(
    conn: &mut Conn<'_>,
    id_hash: &str,
    now: Millis,
) -> Result<Option<(Session, User)>> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE id_hash = $1 AND expires_at > $2 AND revoked_at IS NULL"
    );
    let row = on!(conn, |c| sqlx::query_as::<_, SessionRow>(sql)
        .bind(id_hash)
        .bind(now)
        .fetch_optional(c)
        .await)?;
    let Some(session) = row.map(Session::from) else {
        return Ok(None);
    };
    Ok(fetch_user(conn, "id", &session.user_id)
        .await?
        .filter(|user| user.active)
        .map(|user| (session, user)))
}

/// Runs an update of one session (`$1` its hash, `$2` the time); [`crate::Error::NotFound`] when
/// there is no such session.
async fn update_session(conn: &mut Conn<'_>, sql: &str, id_hash: &str, now: Millis) -> Result<()> {
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(id_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        let exists: Option<String> = on!(conn, |c| sqlx::query_scalar(
            "SELECT id_hash FROM sessions WHERE id_hash = $1"
        )
        .bind(id_hash)
        .fetch_optional(c)
        .await)?;
        if exists.is_none() {
            return Err(not_found(SESSION, id_hash));
        }
    }
    Ok(())
}

pub(crate) async fn touch_session(conn: &mut Conn<'_>, id_hash: &str, now: Millis) -> Result<()> {
    update_session(
        conn,
        "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2",
        id_hash,
        now,
    )
    .await
}

pub(crate) async fn revoke_session(conn: &mut Conn<'_>, id_hash: &str, now: Millis) -> Result<()> {
    update_session(
        conn,
        "UPDATE sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL",
        id_hash,
        now,
    )
    .await
}

pub(crate) async fn revoke_user_sessions(
    conn: &mut Conn<'_>,
    user_id: &str,
    now: Millis,
) -> Result<u64> {
    let rows = on!(conn, |c| sqlx::query(
        "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
    )
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(rows)
}

pub(crate) async fn list_sessions(conn: &mut Conn<'_>, user_id: &str) -> Result<Vec<Session>> {
    let sql = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id_hash DESC"
    );
    let rows = on!(conn, |c| sqlx::query_as::<_, SessionRow>(sql)
        .bind(user_id)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(Session::from).collect())
}
