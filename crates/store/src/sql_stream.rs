//! Bulk upserts: documents of one kind created or replaced in one transaction, fed in chunks
//! ([`Store::begin_upsert`](crate::Store::begin_upsert)), so that a caller reading a large file
//! never holds all of it. Each chunk reads the stored bodies of its own ids only, so memory
//! follows the chunk, not the table.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use serde_json::Value;
use sqlx::{Postgres, Sqlite, Transaction};

use super::upsert::{DocumentRow, write_rows};
use super::{AuditWrite, CHUNK, Conn, audit_body, insert_audit_at, record_changes, revision};
use crate::{Action, Actor, Kind, Millis, Result, TextDraft, Upsert, UpsertSummary};

/// What the upsert knows of a stored document: its body text (as read, or as a draft of this
/// chunk wrote it) and whether it is soft-deleted.
struct Stored<'d> {
    body: Cow<'d, str>,
    deleted: bool,
}

/// Documents to write with one multi-row statement, with their audit lines.
#[derive(Default)]
struct Batch<'a> {
    ids: HashSet<&'a str>,
    docs: Vec<&'a TextDraft>,
    audit: Vec<AuditWrite>,
}

impl Batch<'_> {
    async fn flush(
        &mut self,
        conn: &mut Conn<'_>,
        actor: &Actor,
        kind: Kind,
        now: Millis,
        revision: &mut Option<i64>,
    ) -> Result<()> {
        if self.docs.is_empty() {
            return Ok(());
        }
        let rows: Vec<DocumentRow<'_>> = self
            .docs
            .iter()
            .map(|draft| DocumentRow {
                kind,
                id: &draft.id,
                body: draft.body(),
                parent: draft.parent.as_deref(),
                status: draft.status.as_deref(),
            })
            .collect();
        write_rows(conn, &rows, now).await?;
        // The first lines written bump the revision, once for the whole upsert; all carry it
        // (the change log).
        match *revision {
            None => *revision = Some(record_changes(conn, now, &actor.0, &self.audit).await?),
            Some(at) => insert_audit_at(conn, now, &actor.0, Some(at), &self.audit).await?,
        }
        self.ids.clear();
        self.docs.clear();
        self.audit.clear();
        Ok(())
    }
}

/// A bulk upsert under way: who makes it, on what, and what it did so far.
pub(crate) struct Upserting {
    actor: Actor,
    kind: Kind,
    /// One time for the whole upsert, as for any write.
    now: Millis,
    summary: UpsertSummary,
    /// The revision of this transaction, once something was written.
    revision: Option<i64>,
}

impl Upserting {
    pub(crate) fn new(actor: &Actor, kind: Kind, now: Millis) -> Upserting {
        Upserting {
            actor: actor.clone(),
            kind,
            now,
            summary: UpsertSummary::default(),
            revision: None,
        }
    }

    /// Drafts are taken in order, as if upserted one by one: a repeated id (in this chunk or an
    /// earlier one) is compared with what the earlier draft wrote. Writes go out in multi-row
    /// statements of [`CHUNK`] rows; a statement never holds the same id twice (PostgreSQL
    /// refuses to upsert one row twice in a statement).
    pub(crate) async fn write(&mut self, conn: &mut Conn<'_>, drafts: &[TextDraft]) -> Result<()> {
        let (actor, kind, now, revision) = (&self.actor, self.kind, self.now, &mut self.revision);
        let mut stored = stored(conn, kind, drafts).await?;
        let mut batch = Batch::default();
        for draft in drafts {
            if batch.docs.len() == CHUNK || batch.ids.contains(draft.id.as_str()) {
                batch.flush(conn, actor, kind, now, revision).await?;
            }
            let text = draft.body();
            let (action, before) = match stored.get(draft.id.as_str()) {
                None => (Action::Create, None),
                Some(old) if !old.deleted && same_body(&old.body, text) => {
                    self.summary.unchanged += 1;
                    continue;
                }
                // A soft-deleted document is brought back with the new body.
                Some(old) => (Action::Update, Some(audit_body(&old.body))),
            };
            match action {
                Action::Create => self.summary.created += 1,
                _ => self.summary.updated += 1,
            }
            stored.insert(
                &draft.id,
                Stored {
                    body: Cow::Borrowed(text),
                    deleted: false,
                },
            );
            batch.audit.push(AuditWrite {
                action,
                entity: kind.as_str().to_owned(),
                entity_id: draft.id.clone(),
                before,
                after: Some(text.to_owned()),
            });
            batch.ids.insert(&draft.id);
            batch.docs.push(draft);
        }
        batch.flush(conn, actor, kind, now, revision).await
    }

    /// What was done (the revision was bumped by the first write); the caller commits.
    pub(crate) fn finish(self) -> UpsertSummary {
        self.summary
    }
}

/// The stored rows of the drafts' ids, soft-deleted ones included.
async fn stored<'d>(
    conn: &mut Conn<'_>,
    kind: Kind,
    drafts: &'d [TextDraft],
) -> Result<HashMap<&'d str, Stored<'d>>> {
    let mut ids: Vec<&str> = drafts.iter().map(|d| d.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut stored = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<i64>)> = match conn {
            Conn::Sqlite(c) => {
                let sql = format!(
                    "SELECT id, body, deleted_at FROM documents WHERE kind = ? AND id IN ({})",
                    vec!["?"; chunk.len()].join(", "),
                );
                let mut query = sqlx::query_as(&sql).bind(kind.as_str());
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(&mut **c).await?
            }
            // One primary-key look-up per id, whatever the statistics say: planned as a whole
            // (`id IN (…)`), PostgreSQL took the kind's other index while a first import grew the
            // table within its transaction, and scanned every row of the kind for each chunk.
            Conn::Postgres(c) => {
                sqlx::query_as(
                    "SELECT d.id, d.body, d.deleted_at FROM unnest($2::text[]) AS wanted(id), \
                     LATERAL (SELECT id, body, deleted_at FROM documents \
                     WHERE kind = $1 AND id = wanted.id OFFSET 0) AS d",
                )
                .bind(kind.as_str())
                .bind(chunk)
                .fetch_all(&mut **c)
                .await?
            }
        };
        for (id, body, deleted_at) in rows {
            // The key borrows the draft's id, which the row's equals.
            if let Ok(i) = chunk.binary_search(&id.as_str()) {
                let deleted = deleted_at.is_some();
                let body = Cow::Owned(body);
                stored.insert(chunk[i], Stored { body, deleted });
            }
        }
    }
    Ok(stored)
}

/// Whether a stored body text and a draft's are the same JSON value (the text check first: it
/// settles the common unchanged case without parsing).
fn same_body(stored: &str, text: &str) -> bool {
    stored == text
        || matches!(
            (serde_json::from_str::<Value>(stored), serde_json::from_str::<Value>(text)),
            (Ok(old), Ok(new)) if old == new
        )
}

/// The backends' write transactions, as a [`Conn`].
pub(crate) trait Backend: sqlx::Database {
    fn conn<'a>(tx: &'a mut Transaction<'static, Self>) -> Conn<'a>;
}

impl Backend for Sqlite {
    fn conn<'a>(tx: &'a mut Transaction<'static, Sqlite>) -> Conn<'a> {
        Conn::Sqlite(tx)
    }
}

impl Backend for Postgres {
    fn conn<'a>(tx: &'a mut Transaction<'static, Postgres>) -> Conn<'a> {
        Conn::Postgres(tx)
    }
}

/// An [`Upsert`] in a backend's write transaction (opened by the backend with its own lock).
/// Dropped without a commit, the transaction rolls back.
pub(crate) struct InTransaction<DB: Backend> {
    tx: Transaction<'static, DB>,
    upserting: Upserting,
}

impl<DB: Backend> InTransaction<DB> {
    pub(crate) fn new(tx: Transaction<'static, DB>, upserting: Upserting) -> Self {
        InTransaction { tx, upserting }
    }
}

#[async_trait]
impl<DB: Backend> Upsert for InTransaction<DB> {
    async fn write(&mut self, drafts: &[TextDraft]) -> Result<()> {
        self.upserting
            .write(&mut DB::conn(&mut self.tx), drafts)
            .await
    }

    async fn revision(&mut self) -> Result<i64> {
        revision(&mut DB::conn(&mut self.tx)).await
    }

    async fn commit(self: Box<Self>) -> Result<UpsertSummary> {
        let InTransaction { tx, upserting } = *self;
        let summary = upserting.finish();
        tx.commit().await?;
        Ok(summary)
    }
}
