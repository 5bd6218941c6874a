//! What both backends share: the SQL, the row mapping and the semantics of every operation,
//! written once. SQL text is the same on both: SQLite accepts PostgreSQL's `$N` parameters (only
//! the multi-row inserts of bulk writes differ, see [`values`]).
//!
//! A backend opens the transaction (each has its own way to exclude concurrent writers), hands
//! its connection over as a [`Conn`], and commits when the function here returns `Ok`. An `Err`
//! drops the transaction, which rolls it back: a write is there entirely or not at all.

use serde::de::IgnoredAny;
use serde_json::Value;
use sqlx::{PgConnection, SqliteConnection};

use crate::{
    Action, Actor, ApiKey, AuditEntry, AuditQuery, ChangeLog, ChangedDocument, Draft, Error, Kind,
    ListQuery, Millis, Record, Result, Scope,
};

/// The `entity` of API keys in the audit log, and the `kind` of their errors.
const API_KEY_ENTITY: &str = "api_key";

/// The actor of automatic changes (the purge).
const SYSTEM_ACTOR: &str = "system";

/// Rows per multi-row `INSERT` in bulk writes: few round trips, and far below both backends'
/// bind-parameter limits (SQLite 32,766, PostgreSQL 65,535) at 7 parameters a row.
const CHUNK: usize = 500;

/// A connection inside a transaction, of either backend.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Runs one expression on the concrete connection behind a [`Conn`]: `$c` is bound to
/// `&mut SqliteConnection` in one arm and `&mut PgConnection` in the other, so the same query
/// code type-checks once per backend.
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut *$conn {
            Conn::Sqlite(conn) => {
                let $c = &mut **conn;
                $body
            }
            Conn::Postgres(conn) => {
                let $c = &mut **conn;
                $body
            }
        }
    };
}

// The SQL of coupon codes and redemptions, in its own file; declared here, after `on!`, so it
// can use the macro and this module's private helpers.
#[path = "sql_codes.rs"]
pub(crate) mod codes;

// The SQL of vouchers, likewise.
#[path = "sql_vouchers.rs"]
pub(crate) mod vouchers;

// The SQL of distributions and the outbox, likewise.
#[path = "sql_mail.rs"]
pub(crate) mod mail;

// The SQL of back-office users and sessions, likewise.
#[path = "sql_users.rs"]
pub(crate) mod users;

// The SQL of failed code look-ups, likewise.
#[path = "sql_lookups.rs"]
pub(crate) mod lookups;

// Bulk writes of documents, likewise.
#[path = "sql_upsert.rs"]
pub(crate) mod upsert;
// Bulk upserts fed chunk by chunk (streaming imports).
#[path = "sql_stream.rs"]
pub(crate) mod stream;

macro_rules! doc_columns {
    () => {
        "kind, id, body, parent, status, version, created_at, updated_at, deleted_at"
    };
}

macro_rules! audit_columns {
    () => {
        "seq, at, actor, action, entity, entity_id, before, after"
    };
}

macro_rules! key_columns {
    () => {
        "id, name, scope, prefix, hash, created_at, revoked_at"
    };
}

// Reads and restores of several named documents; declared after `doc_columns!`, which it uses.
#[path = "sql_many.rs"]
pub(crate) mod many;

// Change requests (approval), which write documents when approved; declared after
// `doc_columns!` like `many`.
#[path = "sql_approvals.rs"]
pub(crate) mod approvals;

// Back-office tasks.
#[path = "sql_tasks.rs"]
pub(crate) mod tasks;

#[derive(sqlx::FromRow)]
struct DocRow {
    kind: String,
    id: String,
    body: String,
    parent: Option<String>,
    status: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
}

impl DocRow {
    fn into_record(self) -> Result<Record> {
        let kind =
            Kind::parse(&self.kind).ok_or_else(|| corrupt(&self.kind, &self.id, "unknown kind"))?;
        let body =
            serde_json::from_str(&self.body).map_err(|e| corrupt(&self.kind, &self.id, e))?;
        Ok(Record {
            kind,
            id: self.id,
            version: self.version,
            body,
            parent: self.parent,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before: Option<String>,
    after: Option<String>,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry> {
        let bad = |message: String| corrupt(&self.entity, &self.entity_id, message);
        let action = Action::parse(&self.action)
            .ok_or_else(|| bad(format!("unknown audit action `{}`", self.action)))?;
        let parse = |text: &Option<String>| -> Result<Option<Value>> {
            text.as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| bad(format!("audit entry {}: {e}", self.seq)))
        };
        let before = parse(&self.before)?;
        let after = parse(&self.after)?;
        Ok(AuditEntry {
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            action,
            entity: self.entity,
            entity_id: self.entity_id,
            before,
            after,
        })
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    name: String,
    scope: String,
    prefix: String,
    hash: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> Result<ApiKey> {
        let scope = Scope::parse(&self.scope).ok_or_else(|| {
            corrupt(
                API_KEY_ENTITY,
                &self.id,
                format!("unknown scope `{}`", self.scope),
            )
        })?;
        Ok(ApiKey {
            id: self.id,
            name: self.name,
            scope,
            prefix: self.prefix,
            hash: self.hash,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

fn corrupt(kind: &str, id: &str, message: impl ToString) -> Error {
    Error::Corrupt {
        kind: kind.to_owned(),
        id: id.to_owned(),
        message: message.to_string(),
    }
}

/// A stored body as the audit log keeps it: the text itself, or, if it is not valid JSON (a
/// corrupt row being overwritten), that text as a JSON string, so the log stays readable and
/// still shows what was there.
fn audit_body(stored: &str) -> String {
    if serde_json::from_str::<IgnoredAny>(stored).is_ok() {
        stored.to_owned()
    } else {
        Value::String(stored.to_owned()).to_string()
    }
}

/// The `VALUES` list of a multi-row insert: `rows` times `row`, where each `?` becomes a
/// parameter and anything else is copied as is. Parameters are bound in the order they appear.
/// SQLite gets anonymous `?` parameters: it finds a named or numbered one (`$N`) by a linear
/// search, which made statements of thousands of parameters spend most of their time on it.
fn values(conn: &Conn<'_>, rows: usize, row: &[&str]) -> String {
    let mut sql = String::with_capacity(rows * row.len() * 6);
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, item) in row.iter().enumerate() {
            if j > 0 {
                sql.push_str(", ");
            }
            match (*item, conn) {
                ("?", Conn::Postgres(_)) => {
                    n += 1;
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push_str(item),
            }
        }
        sql.push(')');
    }
    sql
}

/// One audit line to append.
struct AuditWrite {
    action: Action,
    entity: String,
    entity_id: String,
    before: Option<String>,
    after: Option<String>,
}

/// Appends audit lines that are not document changes (API keys, codes): they have no revision.
async fn insert_audit(
    conn: &mut Conn<'_>,
    at: Millis,
    actor: &str,
    entries: &[AuditWrite],
) -> Result<()> {
    insert_audit_at(conn, at, actor, None, entries).await
}

/// Records document changes: bumps the store's revision and appends their audit lines stamped
/// with it, the change log other instances follow ([`changes_since`]). Called once per
/// transaction; the revision row stays locked until it commits, so revisions commit in order.
async fn record_changes(
    conn: &mut Conn<'_>,
    at: Millis,
    actor: &str,
    entries: &[AuditWrite],
) -> Result<i64> {
    let revision = bump_revision(conn).await?;
    insert_audit_at(conn, at, actor, Some(revision), entries).await?;
    Ok(revision)
}

/// Appends audit lines, many per statement.
async fn insert_audit_at(
    conn: &mut Conn<'_>,
    at: Millis,
    actor: &str,
    revision: Option<i64>,
    entries: &[AuditWrite],
) -> Result<()> {
    for chunk in entries.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after, revision) \
             VALUES {}",
            values(conn, chunk.len(), &["?"; 8]),
        );
        on!(conn, |c| {
            let mut query = sqlx::query(&sql);
            for entry in chunk {
                query = query
                    .bind(at)
                    .bind(actor)
                    .bind(entry.action.as_str())
                    .bind(entry.entity.as_str())
                    .bind(entry.entity_id.as_str())
                    .bind(entry.before.as_deref())
                    .bind(entry.after.as_deref())
                    .bind(revision);
            }
            query.execute(c).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}

/// Moves the store's revision on by one; returns the new value.
async fn bump_revision(conn: &mut Conn<'_>) -> Result<i64> {
    Ok(on!(conn, |c| sqlx::query_scalar(
        "UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value"
    )
    .fetch_one(c)
    .await)?)
}

/// The stored row, read to be changed in this transaction.
async fn fetch_for_write(conn: &mut Conn<'_>, kind: Kind, id: &str) -> Result<Option<DocRow>> {
    let sql = match conn {
        // The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        Conn::Sqlite(_) => concat!(
            "SELECT ",
            doc_columns!(),
            " FROM documents WHERE kind = $1 AND id = $2"
        ),
        // Locks the row, so the version read here is still the stored one at commit.
        Conn::Postgres(_) => concat!(
            "SELECT ",
            doc_columns!(),
            " FROM documents WHERE kind = $1 AND id = $2 FOR UPDATE"
        ),
    };
    let row = on!(conn, |c| sqlx::query_as::<_, DocRow>(sql)
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?;
    Ok(row)
}

/// The row if it is live and at `expected` version.
fn live_at(row: Option<DocRow>, kind: Kind, id: &str, expected: i64) -> Result<DocRow> {
    match row {
        Some(row) if row.deleted_at.is_none() => {
            if row.version == expected {
                Ok(row)
            } else {
                Err(Error::VersionMismatch {
                    kind: kind.as_str().to_owned(),
                    id: id.to_owned(),
                    expected,
                    current: row.version,
                })
            }
        }
        _ => Err(Error::not_found(kind, id)),
    }
}

pub(crate) async fn revision(conn: &mut Conn<'_>) -> Result<i64> {
    let value: i64 = on!(conn, |c| sqlx::query_scalar(
        "SELECT value FROM revision WHERE id = 1"
    )
    .fetch_one(c)
    .await)?;
    Ok(value)
}

pub(crate) async fn get(conn: &mut Conn<'_>, kind: Kind, id: &str) -> Result<Option<Record>> {
    let sql = concat!(
        "SELECT ",
        doc_columns!(),
        " FROM documents WHERE kind = $1 AND id = $2"
    );
    let row = on!(conn, |c| sqlx::query_as::<_, DocRow>(sql)
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?;
    row.map(DocRow::into_record).transpose()
}

pub(crate) async fn list(
    conn: &mut Conn<'_>,
    kind: Kind,
    query: &ListQuery,
) -> Result<Vec<Record>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        doc_columns!(),
        " FROM documents WHERE kind = $1"
    ));
    sql.push_str(if query.deleted {
        " AND deleted_at IS NOT NULL"
    } else {
        " AND deleted_at IS NULL"
    });
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [
        ("parent =", &query.parent),
        ("status =", &query.status),
        ("id >", &query.after),
    ] {
        if let Some(value) = value {
            texts.push(value);
            sql.push_str(&format!(" AND {column} ${}", texts.len() + 1));
        }
    }
    sql.push_str(&format!(" ORDER BY id LIMIT ${}", texts.len() + 2));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, DocRow>(&sql).bind(kind.as_str());
        for text in &texts {
            q = q.bind(*text);
        }
        q.bind(i64::from(query.limit)).fetch_all(c).await
    })?;
    rows.into_iter().map(DocRow::into_record).collect()
}

/// Reads the revision, then every live document. The caller runs it in one transaction that
/// sees a single snapshot, so the two agree.
pub(crate) async fn load_all(conn: &mut Conn<'_>) -> Result<(i64, Vec<Record>)> {
    let revision = revision(conn).await?;
    let sql = concat!(
        "SELECT ",
        doc_columns!(),
        " FROM documents WHERE deleted_at IS NULL ORDER BY kind, id"
    );
    let rows = on!(conn, |c| sqlx::query_as::<_, DocRow>(sql)
        .fetch_all(c)
        .await)?;
    Ok((revision, into_records(rows)?))
}

/// The rows' JSON bodies parsed on every core: a start reads a million of them.
fn into_records(rows: Vec<DocRow>) -> Result<Vec<Record>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = rows.len().div_ceil(threads).max(1);
    let mut parts = Vec::new();
    let mut rows = rows.into_iter();
    loop {
        let part: Vec<DocRow> = rows.by_ref().take(per_thread).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let parsed: Vec<Result<Vec<Record>>> = std::thread::scope(|scope| {
        let parsers: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(|| part.into_iter().map(DocRow::into_record).collect()))
            .collect();
        parsers
            .into_iter()
            .map(|parser| {
                parser
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut records = Vec::new();
    for part in parsed {
        records.extend(part?);
    }
    Ok(records)
}

/// The documents changed after revision `since`, read from the change log in the caller's one
/// read transaction. [`ChangeLog::Reload`] when more than `max` changed, or when a revision in
/// between left no line in the log (written before the log existed).
pub(crate) async fn changes_since(conn: &mut Conn<'_>, since: i64, max: u32) -> Result<ChangeLog> {
    let current = revision(conn).await?;
    if current <= since {
        return Ok(ChangeLog::Changes {
            revision: current,
            documents: Vec::new(),
        });
    }
    let logged: i64 = on!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(DISTINCT revision) FROM audit_log WHERE revision > $1 AND revision <= $2"
    )
    .bind(since)
    .bind(current)
    .fetch_one(c)
    .await)?;
    if logged != current - since {
        return Ok(ChangeLog::Reload);
    }
    let sql = "SELECT c.entity, c.entity_id, d.body, d.parent, d.status, d.version, d.created_at, \
         d.updated_at, d.deleted_at FROM (SELECT DISTINCT entity, entity_id FROM audit_log \
         WHERE revision > $1 AND revision <= $2 LIMIT $3) c \
         LEFT JOIN documents d ON d.kind = c.entity AND d.id = c.entity_id";
    let rows: Vec<ChangeRow> = on!(conn, |c| sqlx::query_as(sql)
        .bind(since)
        .bind(current)
        .bind(i64::from(max) + 1)
        .fetch_all(c)
        .await)?;
    if rows.len() > max as usize {
        return Ok(ChangeLog::Reload);
    }
    let mut documents = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = Kind::parse(&row.entity).ok_or_else(|| {
            corrupt(
                &row.entity,
                &row.entity_id,
                "unknown kind in the change log",
            )
        })?;
        let record = match (row.body, row.version, row.created_at, row.updated_at) {
            (Some(body), Some(version), Some(created_at), Some(updated_at))
                if row.deleted_at.is_none() =>
            {
                let doc = DocRow {
                    kind: row.entity,
                    id: row.entity_id.clone(),
                    body,
                    parent: row.parent,
                    status: row.status,
                    version,
                    created_at,
                    updated_at,
                    deleted_at: None,
                };
                Some(doc.into_record()?)
            }
            _ => None,
        };
        documents.push(ChangedDocument {
            kind,
            id: row.entity_id,
            record,
        });
    }
    Ok(ChangeLog::Changes {
        revision: current,
        documents,
    })
}

/// A changed document, joined to what is stored now (nothing when it was removed).
#[derive(sqlx::FromRow)]
struct ChangeRow {
    entity: String,
    entity_id: String,
    body: Option<String>,
    parent: Option<String>,
    status: Option<String>,
    version: Option<i64>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    deleted_at: Option<i64>,
}

pub(crate) async fn create(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    draft: Draft,
    now: Millis,
) -> Result<Record> {
    let text = draft.body.to_string();
    // A soft-deleted row holds the key too, so it also makes this a conflict.
    let sql = "INSERT INTO documents \
        (kind, id, body, parent, status, version, created_at, updated_at, deleted_at) \
        VALUES ($1, $2, $3, $4, $5, 1, $6, $6, NULL) ON CONFLICT (kind, id) DO NOTHING";
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(kind.as_str())
        .bind(draft.id.as_str())
        .bind(text.as_str())
        .bind(draft.parent.as_deref())
        .bind(draft.status.as_deref())
        .bind(now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(Error::already_exists(kind, &draft.id));
    }
    let audit = AuditWrite {
        action: Action::Create,
        entity: kind.as_str().to_owned(),
        entity_id: draft.id.clone(),
        before: None,
        after: Some(text),
    };
    record_changes(conn, now, &actor.0, &[audit]).await?;
    Ok(Record {
        kind,
        id: draft.id,
        version: 1,
        body: draft.body,
        parent: draft.parent,
        status: draft.status,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    })
}

pub(crate) async fn update(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    draft: Draft,
    expected_version: i64,
    now: Millis,
) -> Result<Record> {
    let row = fetch_for_write(conn, kind, &draft.id).await?;
    let row = live_at(row, kind, &draft.id, expected_version)?;
    let text = draft.body.to_string();
    let version = row.version + 1;
    let sql = "UPDATE documents SET body = $3, parent = $4, status = $5, version = $6, \
        updated_at = $7 WHERE kind = $1 AND id = $2";
    on!(conn, |c| sqlx::query(sql)
        .bind(kind.as_str())
        .bind(draft.id.as_str())
        .bind(text.as_str())
        .bind(draft.parent.as_deref())
        .bind(draft.status.as_deref())
        .bind(version)
        .bind(now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    let audit = AuditWrite {
        action: Action::Update,
        entity: kind.as_str().to_owned(),
        entity_id: draft.id.clone(),
        // The old body is not parsed: an update may overwrite a corrupt one.
        before: Some(audit_body(&row.body)),
        after: Some(text),
    };
    record_changes(conn, now, &actor.0, &[audit]).await?;
    Ok(Record {
        kind,
        id: draft.id,
        version,
        body: draft.body,
        parent: draft.parent,
        status: draft.status,
        created_at: row.created_at,
        updated_at: now,
        deleted_at: None,
    })
}

pub(crate) async fn delete(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    id: &str,
    expected_version: i64,
    now: Millis,
) -> Result<Record> {
    let (record, audit) = delete_row(conn, kind, id, expected_version, now).await?;
    record_changes(conn, now, &actor.0, &[audit]).await?;
    Ok(record)
}

/// Deletes a live document at `expected_version` (soft or not, as its kind is) and returns it as
/// deleted with its audit line, which the caller records with the transaction's other changes.
async fn delete_row(
    conn: &mut Conn<'_>,
    kind: Kind,
    id: &str,
    expected_version: i64,
    now: Millis,
) -> Result<(Record, AuditWrite)> {
    let row = fetch_for_write(conn, kind, id).await?;
    let row = live_at(row, kind, id, expected_version)?;
    let before = row.body.clone();
    let mut record = row.into_record()?;
    if kind.soft_deleted() {
        let sql = "UPDATE documents SET deleted_at = $3, updated_at = $3, version = version + 1 \
            WHERE kind = $1 AND id = $2";
        on!(conn, |c| sqlx::query(sql)
            .bind(kind.as_str())
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        record.version += 1;
        record.updated_at = now;
        record.deleted_at = Some(now);
    } else {
        on!(conn, |c| sqlx::query(
            "DELETE FROM documents WHERE kind = $1 AND id = $2"
        )
        .bind(kind.as_str())
        .bind(id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    }
    let audit = AuditWrite {
        action: Action::Delete,
        entity: kind.as_str().to_owned(),
        entity_id: id.to_owned(),
        before: Some(before),
        after: None,
    };
    Ok((record, audit))
}

pub(crate) async fn restore(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    id: &str,
    now: Millis,
) -> Result<Record> {
    let row = match fetch_for_write(conn, kind, id).await? {
        Some(row) if row.deleted_at.is_some() => row,
        _ => return Err(Error::not_found(kind, id)),
    };
    let after = row.body.clone();
    let mut record = row.into_record()?;
    let sql = "UPDATE documents SET deleted_at = NULL, updated_at = $3, version = version + 1 \
        WHERE kind = $1 AND id = $2";
    on!(conn, |c| sqlx::query(sql)
        .bind(kind.as_str())
        .bind(id)
        .bind(now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    record.version += 1;
    record.updated_at = now;
    record.deleted_at = None;
    let audit = AuditWrite {
        action: Action::Restore,
        entity: kind.as_str().to_owned(),
        entity_id: id.to_owned(),
        before: None,
        after: Some(after),
    };
    record_changes(conn, now, &actor.0, &[audit]).await?;
    Ok(record)
}

pub(crate) async fn purge_deleted(
    conn: &mut Conn<'_>,
    deleted_before: Millis,
    now: Millis,
) -> Result<u64> {
    let sql = "DELETE FROM documents WHERE deleted_at IS NOT NULL AND deleted_at < $1 \
        RETURNING kind, id, body";
    let rows: Vec<(String, String, String)> = on!(conn, |c| sqlx::query_as(sql)
        .bind(deleted_before)
        .fetch_all(c)
        .await)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let count = rows.len() as u64;
    let audit: Vec<AuditWrite> = rows
        .into_iter()
        .map(|(kind, id, body)| AuditWrite {
            action: Action::Purge,
            before: Some(audit_body(&body)),
            entity: kind,
            entity_id: id,
            after: None,
        })
        .collect();
    record_changes(conn, now, SYSTEM_ACTOR, &audit).await?;
    Ok(count)
}

pub(crate) async fn audit(conn: &mut Conn<'_>, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        audit_columns!(),
        " FROM audit_log WHERE 1 = 1"
    ));
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [("entity", &query.entity), ("entity_id", &query.entity_id)] {
        if let Some(value) = value {
            texts.push(value);
            sql.push_str(&format!(" AND {column} = ${}", texts.len()));
        }
    }
    let mut next = texts.len() + 1;
    if query.before_seq.is_some() {
        sql.push_str(&format!(" AND seq < ${next}"));
        next += 1;
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${next}"));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, AuditRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        if let Some(seq) = query.before_seq {
            q = q.bind(seq);
        }
        q.bind(i64::from(query.limit)).fetch_all(c).await
    })?;
    rows.into_iter().map(AuditRow::into_entry).collect()
}

/// What the audit log shows of a key: never its hash.
fn key_summary(key: &ApiKey) -> String {
    serde_json::json!({
        "id": key.id,
        "name": key.name,
        "scope": key.scope.as_str(),
        "prefix": key.prefix,
    })
    .to_string()
}

pub(crate) async fn create_api_key(
    conn: &mut Conn<'_>,
    actor: &Actor,
    key: &ApiKey,
    now: Millis,
) -> Result<()> {
    // Without a conflict target: a duplicate id and a duplicate hash are both refused.
    let sql = "INSERT INTO api_keys (id, name, scope, prefix, hash, created_at, revoked_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(key.id.as_str())
        .bind(key.name.as_str())
        .bind(key.scope.as_str())
        .bind(key.prefix.as_str())
        .bind(key.hash.as_str())
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(Error::AlreadyExists {
            kind: API_KEY_ENTITY.to_owned(),
            id: key.id.clone(),
        });
    }
    let audit = AuditWrite {
        action: Action::Create,
        entity: API_KEY_ENTITY.to_owned(),
        entity_id: key.id.clone(),
        before: None,
        after: Some(key_summary(key)),
    };
    insert_audit(conn, now, &actor.0, &[audit]).await
}

pub(crate) async fn find_api_key(conn: &mut Conn<'_>, hash: &str) -> Result<Option<ApiKey>> {
    let sql = concat!("SELECT ", key_columns!(), " FROM api_keys WHERE hash = $1");
    let row = on!(conn, |c| sqlx::query_as::<_, KeyRow>(sql)
        .bind(hash)
        .fetch_optional(c)
        .await)?;
    row.map(KeyRow::into_key).transpose()
}

pub(crate) async fn list_api_keys(conn: &mut Conn<'_>) -> Result<Vec<ApiKey>> {
    let sql = concat!(
        "SELECT ",
        key_columns!(),
        " FROM api_keys ORDER BY created_at, id"
    );
    let rows = on!(conn, |c| sqlx::query_as::<_, KeyRow>(sql)
        .fetch_all(c)
        .await)?;
    rows.into_iter().map(KeyRow::into_key).collect()
}

pub(crate) async fn revoke_api_key(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    now: Millis,
) -> Result<ApiKey> {
    let sql = concat!(
        "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ",
        key_columns!()
    );
    let row = on!(conn, |c| sqlx::query_as::<_, KeyRow>(sql)
        .bind(id)
        .bind(now)
        .fetch_optional(c)
        .await)?;
    let Some(row) = row else {
        return Err(Error::NotFound {
            kind: API_KEY_ENTITY.to_owned(),
            id: id.to_owned(),
        });
    };
    let key = row.into_key()?;
    let audit = AuditWrite {
        action: Action::Delete,
        entity: API_KEY_ENTITY.to_owned(),
        entity_id: key.id.clone(),
        before: Some(key_summary(&key)),
        after: None,
    };
    insert_audit(conn, now, &actor.0, &[audit]).await?;
    Ok(key)
}
