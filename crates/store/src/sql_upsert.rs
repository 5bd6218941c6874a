//! Bulk writes: many documents, of one kind or of several, in one transaction. Each is first
//! compared with the stored one: a body equal to a live document's is neither written nor
//! audited. Shared by both backends, like the rest of `sql.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::{
    AuditWrite, CHUNK, Conn, audit_body, insert_audit_at, record_changes, revision, values,
};
use crate::{
    Action, Actor, Draft, Error, Kind, Millis, Outcome, Result, UpsertReport, UpsertSummary,
    Upserted,
};

/// Up to this many drafts of one kind, the stored documents are read by id (at most ten `IN`
/// lists); past it, every document of the kind is read in one scan, which costs less than
/// thousands of lookups when a whole catalog is imported.
const BY_ID_MAX: usize = 10 * CHUNK;

/// What the comparison knows of a document: the stored row, or the draft of this write that
/// replaced it (a repeated id is compared with what the earlier draft wrote).
enum Stored {
    Row {
        body: String,
        deleted: bool,
        created_at: Millis,
    },
    Draft(usize),
}

/// What a write does to one document: its outcome, the stored body it replaces (for the audit
/// log), the body text it writes, and its creation time (`None`: created by this write).
struct Planned {
    outcome: Outcome,
    before: Option<String>,
    after: String,
    created_at: Option<Millis>,
}

/// A stored row as the comparison reads it: id, body, deleted_at, created_at.
type Row = (String, String, Option<i64>, i64);

/// Reads the stored bodies of the documents `documents` name, by kind and id.
async fn stored_rows(
    conn: &mut Conn<'_>,
    documents: &[(Kind, Draft)],
) -> Result<HashMap<(Kind, String), Stored>> {
    let mut by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
    for (kind, draft) in documents {
        by_kind.entry(*kind).or_default().push(draft.id.as_str());
    }
    let mut stored = HashMap::with_capacity(documents.len());
    for (kind, ids) in by_kind {
        let mut rows: Vec<Row> = Vec::new();
        if ids.len() > BY_ID_MAX {
            let sql = "SELECT id, body, deleted_at, created_at FROM documents WHERE kind = $1";
            rows = on!(conn, |c| sqlx::query_as(sql)
                .bind(kind.as_str())
                .fetch_all(c)
                .await)?;
        } else {
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "SELECT id, body, deleted_at, created_at FROM documents WHERE kind = {} AND id IN {}",
                    if matches!(conn, Conn::Postgres(_)) {
                        "$1"
                    } else {
                        "?"
                    },
                    in_list(conn, chunk.len()),
                );
                let found: Vec<Row> = on!(conn, |c| {
                    let mut query = sqlx::query_as(&sql).bind(kind.as_str());
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.fetch_all(c).await
                })?;
                rows.extend(found);
            }
        }
        for (id, body, deleted_at, created_at) in rows {
            let deleted = deleted_at.is_some();
            stored.insert(
                (kind, id),
                Stored::Row {
                    body,
                    deleted,
                    created_at,
                },
            );
        }
    }
    Ok(stored)
}

/// `($2, $3, …)` on PostgreSQL (after the kind's `$1`), `(?, ?, …)` on SQLite, for `count` ids.
fn in_list(conn: &Conn<'_>, count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| match conn {
            Conn::Postgres(_) => format!("${}", i + 2),
            Conn::Sqlite(_) => "?".to_owned(),
        })
        .collect();
    format!("({})", items.join(", "))
}

/// Decides, in order, what writing each document does: drafts are taken as if written one by
/// one, so a repeated id is compared with what the earlier draft wrote.
fn plan(mut stored: HashMap<(Kind, String), Stored>, documents: &[(Kind, Draft)]) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::with_capacity(documents.len());
    for (index, (kind, draft)) in documents.iter().enumerate() {
        let after = draft.body.to_string();
        let key = (*kind, draft.id.clone());
        let unchanged = |created_at| Planned {
            outcome: Outcome::Unchanged,
            before: None,
            after: String::new(),
            created_at,
        };
        let (outcome, before, created_at) = match stored.remove(&key) {
            None => (Outcome::Created, None, None),
            Some(Stored::Row {
                body,
                deleted,
                created_at,
            }) => {
                if !deleted && same_body(&body, &after, &draft.body) {
                    stored.insert(
                        key,
                        Stored::Row {
                            body,
                            deleted,
                            created_at,
                        },
                    );
                    planned.push(unchanged(Some(created_at)));
                    continue;
                }
                // A soft-deleted document is brought back with the new body.
                (Outcome::Updated, Some(audit_body(&body)), Some(created_at))
            }
            Some(Stored::Draft(earlier)) => {
                let (_, earlier_draft) = &documents[earlier];
                let created_at = planned[earlier].created_at;
                if earlier_draft.body == draft.body {
                    stored.insert(key, Stored::Draft(earlier));
                    planned.push(unchanged(created_at));
                    continue;
                }
                (
                    Outcome::Updated,
                    Some(earlier_draft.body.to_string()),
                    created_at,
                )
            }
        };
        stored.insert(key, Stored::Draft(index));
        planned.push(Planned {
            outcome,
            before,
            after,
            created_at,
        });
    }
    planned
}

/// Whether a stored body text equals a draft's body, compared as JSON values (the text check
/// first: it settles the common unchanged case without parsing).
fn same_body(stored: &str, text: &str, body: &Value) -> bool {
    stored == text || serde_json::from_str::<Value>(stored).is_ok_and(|old| old == *body)
}

/// Documents to write with one multi-row statement, with their audit lines.
#[derive(Default)]
struct Batch<'a> {
    keys: HashSet<(Kind, &'a str)>,
    rows: Vec<(Kind, &'a Draft, String)>,
    audit: Vec<AuditWrite>,
    /// The revision of this transaction, once the first documents were written: every audit
    /// line of the change log carries it.
    revision: Option<i64>,
}

/// One document row to write.
pub(super) struct DocumentRow<'a> {
    pub kind: Kind,
    pub id: &'a str,
    pub body: &'a str,
    pub parent: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// Writes `rows` with one multi-row statement (the caller keeps them under [`CHUNK`], no document
/// twice): a new row is created at version 1; an existing one (live or soft-deleted) takes the
/// new body, a new version and is live again, keeping its created_at.
pub(super) async fn write_rows(
    conn: &mut Conn<'_>,
    rows: &[DocumentRow<'_>],
    now: Millis,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO documents \
         (kind, id, body, parent, status, version, created_at, updated_at, deleted_at) \
         VALUES {} ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, \
         parent = excluded.parent, status = excluded.status, \
         version = documents.version + 1, updated_at = excluded.updated_at, deleted_at = NULL",
        values(
            conn,
            rows.len(),
            &["?", "?", "?", "?", "?", "1", "?", "?", "NULL"]
        ),
    );
    on!(conn, |c| {
        let mut query = sqlx::query(&sql);
        for row in rows {
            query = query
                .bind(row.kind.as_str())
                .bind(row.id)
                .bind(row.body)
                .bind(row.parent)
                .bind(row.status)
                .bind(now)
                .bind(now);
        }
        query.execute(c).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

impl Batch<'_> {
    async fn flush(&mut self, conn: &mut Conn<'_>, actor: &Actor, now: Millis) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows: Vec<DocumentRow<'_>> = self
            .rows
            .iter()
            .map(|(kind, draft, text)| DocumentRow {
                kind: *kind,
                id: &draft.id,
                body: text,
                parent: draft.parent.as_deref(),
                status: draft.status.as_deref(),
            })
            .collect();
        write_rows(conn, &rows, now).await?;
        match self.revision {
            None => self.revision = Some(record_changes(conn, now, &actor.0, &self.audit).await?),
            Some(revision) => {
                insert_audit_at(conn, now, &actor.0, Some(revision), &self.audit).await?
            }
        }
        self.keys.clear();
        self.rows.clear();
        self.audit.clear();
        Ok(())
    }
}

/// What [`upsert_documents`] would do to each document, without writing.
pub(crate) async fn compare_documents(
    conn: &mut Conn<'_>,
    documents: &[(Kind, Draft)],
) -> Result<Vec<Outcome>> {
    let stored = stored_rows(conn, documents).await?;
    Ok(plan(stored, documents)
        .into_iter()
        .map(|p| p.outcome)
        .collect())
}

/// Creates or replaces `documents` in order, one audit line per document written, and bumps the
/// revision once if anything was written. With `at_revision`, refuses ([`Error::RevisionMoved`])
/// unless the store is still at that revision: the caller checked the documents against it.
///
/// Writes go out in multi-row statements of [`CHUNK`] rows; a statement never holds the same
/// document twice (PostgreSQL refuses to upsert one row twice in a statement).
pub(crate) async fn upsert_documents(
    conn: &mut Conn<'_>,
    actor: &Actor,
    documents: &[(Kind, Draft)],
    at_revision: Option<i64>,
    now: Millis,
) -> Result<UpsertReport> {
    if let Some(expected) = at_revision {
        let current = revision(conn).await?;
        if current != expected {
            return Err(Error::RevisionMoved { expected, current });
        }
    }
    let stored = stored_rows(conn, documents).await?;
    let planned = plan(stored, documents);
    let written: Vec<Upserted> = planned
        .iter()
        .map(|p| Upserted {
            outcome: p.outcome,
            created_at: p.created_at.unwrap_or(now),
        })
        .collect();
    let mut batch = Batch::default();
    for ((kind, draft), planned) in documents.iter().zip(planned) {
        let action = match planned.outcome {
            Outcome::Unchanged => continue,
            Outcome::Created => Action::Create,
            Outcome::Updated => Action::Update,
        };
        if batch.rows.len() == CHUNK || batch.keys.contains(&(*kind, draft.id.as_str())) {
            batch.flush(conn, actor, now).await?;
        }
        batch.audit.push(AuditWrite {
            action,
            entity: kind.as_str().to_owned(),
            entity_id: draft.id.clone(),
            before: planned.before,
            after: Some(planned.after.clone()),
        });
        batch.keys.insert((*kind, &draft.id));
        batch.rows.push((*kind, draft, planned.after));
    }
    // The first flush that wrote something bumped the revision, once for the whole transaction.
    batch.flush(conn, actor, now).await?;
    Ok(UpsertReport {
        documents: written,
        revision: revision(conn).await?,
    })
}

/// [`upsert_documents`] of drafts of one kind, counted.
pub(crate) async fn upsert_many(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    drafts: Vec<Draft>,
    now: Millis,
) -> Result<UpsertSummary> {
    let documents: Vec<(Kind, Draft)> = drafts.into_iter().map(|d| (kind, d)).collect();
    let report = upsert_documents(conn, actor, &documents, None, now).await?;
    Ok(report.documents.into_iter().map(|d| d.outcome).collect())
}
