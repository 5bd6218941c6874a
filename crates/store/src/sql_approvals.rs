//! Change requests: the SQL both backends share, and the semantics of [`crate::Approvals`],
//! written once (see the parent module for how transactions are handed in).
//!
//! Locking: on SQLite every write runs in the one `BEGIN IMMEDIATE` writer. On PostgreSQL a write
//! locks the request's row (`FOR UPDATE`) before it reads the state it decides on, so changes of
//! one request, from any instance, run one after the other and each sees the state the previous
//! one left. An approval writes documents, so it also runs in the documents' write transaction
//! (the revision's row locked first, as every document write does); the other changes touch no
//! document and do not take that lock. Only an approval moves the revision.
//!
//! The request's own audit lines carry no revision: the change log (`changes_since`) reads lines
//! with a revision as documents.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::codes::{already_exists, audit_one, for_update, not_found};
use super::{AuditWrite, Conn, corrupt, delete_row, fetch_for_write, insert_audit_at};
use crate::approvals::{
    Act, Approval, ChangeRequest, ChangeRequestQuery, ProposedDocument, RequestState,
};
use crate::{Action, Draft, Error, Kind, Outcome, Result};

/// The `kind` of errors and the `entity` of audit entries.
const CHANGE_REQUEST: &str = "change_request";

macro_rules! request_columns {
    () => {
        "id, campaign_id, state, created_by, created_at, submitted_by, submitted_at, decided_by, \
         decided_at, comment, updated_at"
    };
}

macro_rules! proposed_columns {
    () => {
        "request_id, kind, id, body, parent, status, base_version"
    };
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    campaign_id: String,
    state: String,
    created_by: String,
    created_at: i64,
    submitted_by: Option<String>,
    submitted_at: Option<i64>,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    comment: Option<String>,
    updated_at: i64,
}

impl RequestRow {
    fn state(&self) -> Result<RequestState> {
        RequestState::parse(&self.state).ok_or_else(|| {
            corrupt(
                CHANGE_REQUEST,
                &self.id,
                format!("unknown state `{}`", self.state),
            )
        })
    }

    fn into_request(self, documents: Vec<ProposedDocument>) -> Result<ChangeRequest> {
        let state = self.state()?;
        Ok(ChangeRequest {
            id: self.id,
            campaign_id: self.campaign_id,
            state,
            documents,
            created_by: self.created_by,
            created_at: self.created_at,
            submitted_by: self.submitted_by,
            submitted_at: self.submitted_at,
            decided_by: self.decided_by,
            decided_at: self.decided_at,
            comment: self.comment,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ProposedRow {
    request_id: String,
    kind: String,
    id: String,
    body: Option<String>,
    parent: Option<String>,
    status: Option<String>,
    base_version: Option<i64>,
}

impl ProposedRow {
    fn into_document(self) -> Result<(String, ProposedDocument)> {
        let bad = |message: String| corrupt(CHANGE_REQUEST, &self.request_id, message);
        let kind = Kind::parse(&self.kind)
            .ok_or_else(|| bad(format!("unknown kind `{}` of `{}`", self.kind, self.id)))?;
        let body = self
            .body
            .as_deref()
            .map(serde_json::from_str::<Value>)
            .transpose()
            .map_err(|e| bad(format!("{} `{}`: {e}", self.kind, self.id)))?;
        Ok((
            self.request_id,
            ProposedDocument {
                kind,
                id: self.id,
                body,
                parent: self.parent,
                status: self.status,
                base_version: self.base_version,
            },
        ))
    }
}

/// A request as its audit lines show it: everything but its documents.
fn summary(request: &ChangeRequest) -> String {
    json!({
        "campaign_id": request.campaign_id,
        "state": request.state.as_str(),
        "created_by": request.created_by,
        "submitted_by": request.submitted_by,
        "decided_by": request.decided_by,
        "comment": request.comment,
    })
    .to_string()
}

/// A proposed document as the audit lines of its request show it.
fn proposed_summary(document: &ProposedDocument) -> String {
    json!({
        "kind": document.kind.as_str(),
        "id": document.id,
        "body": document.body,
        "base_version": document.base_version,
    })
    .to_string()
}

async fn fetch_request(conn: &mut Conn<'_>, id: &str, lock: bool) -> Result<Option<RequestRow>> {
    let sql = format!(
        "SELECT {} FROM change_requests WHERE id = $1{}",
        request_columns!(),
        if lock { for_update(conn) } else { "" }
    );
    Ok(on!(conn, |c| sqlx::query_as::<_, RequestRow>(&sql)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// The proposed documents of these requests, by request, each in kind and id order.
async fn documents_of(
    conn: &mut Conn<'_>,
    request_ids: &[&str],
) -> Result<HashMap<String, Vec<ProposedDocument>>> {
    let mut by_request: HashMap<String, Vec<ProposedDocument>> = HashMap::new();
    if request_ids.is_empty() {
        return Ok(by_request);
    }
    let places: Vec<String> = (1..=request_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {} FROM change_request_documents WHERE request_id IN ({}) \
         ORDER BY request_id, kind, id",
        proposed_columns!(),
        places.join(", ")
    );
    let rows = on!(conn, |c| {
        let mut query = sqlx::query_as::<_, ProposedRow>(&sql);
        for id in request_ids {
            query = query.bind(*id);
        }
        query.fetch_all(c).await
    })?;
    for row in rows {
        let (request_id, document) = row.into_document()?;
        by_request.entry(request_id).or_default().push(document);
    }
    Ok(by_request)
}

/// A request row with its documents.
async fn with_documents(conn: &mut Conn<'_>, row: RequestRow) -> Result<ChangeRequest> {
    let mut documents = documents_of(conn, &[row.id.as_str()]).await?;
    let documents = documents.remove(&row.id).unwrap_or_default();
    row.into_request(documents)
}

/// The request, locked for this transaction, if it is in one of the states `action` starts from;
/// [`Error::WrongState`] otherwise.
async fn lock_in_state(
    conn: &mut Conn<'_>,
    id: &str,
    action: &'static str,
    from: &[RequestState],
) -> Result<RequestRow> {
    let row = fetch_request(conn, id, true)
        .await?
        .ok_or_else(|| not_found(CHANGE_REQUEST, id))?;
    let state = row.state()?;
    if !from.contains(&state) {
        return Err(Error::WrongState {
            kind: CHANGE_REQUEST.to_owned(),
            id: id.to_owned(),
            action,
            state: state.as_str(),
        });
    }
    Ok(row)
}

pub(crate) async fn open(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    id: &str,
    campaign_id: &str,
) -> Result<ChangeRequest> {
    // Without a conflict target: a taken id and the campaign's active request (the partial
    // unique index) are both refused.
    let sql = concat!(
        "INSERT INTO change_requests (",
        request_columns!(),
        ") VALUES ($1, $2, 'open', $3, $4, NULL, NULL, NULL, NULL, NULL, $4) ON CONFLICT DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(id)
        .bind(campaign_id)
        .bind(act.user)
        .bind(act.at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        if fetch_request(conn, id, false).await?.is_none()
            && let Some(active) = current(conn, campaign_id).await?
        {
            return Err(already_exists(CHANGE_REQUEST, &active.id));
        }
        return Err(already_exists(CHANGE_REQUEST, id));
    }
    let request = ChangeRequest {
        id: id.to_owned(),
        campaign_id: campaign_id.to_owned(),
        state: RequestState::Open,
        documents: Vec::new(),
        created_by: act.user.to_owned(),
        created_at: act.at,
        submitted_by: None,
        submitted_at: None,
        decided_by: None,
        decided_at: None,
        comment: None,
        updated_at: act.at,
    };
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Create,
        (CHANGE_REQUEST, id),
        (None, Some(summary(&request))),
    )
    .await?;
    Ok(request)
}

pub(crate) async fn get(conn: &mut Conn<'_>, id: &str) -> Result<Option<ChangeRequest>> {
    match fetch_request(conn, id, false).await? {
        Some(row) => Ok(Some(with_documents(conn, row).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn current(
    conn: &mut Conn<'_>,
    campaign_id: &str,
) -> Result<Option<ChangeRequest>> {
    let sql = concat!(
        "SELECT ",
        request_columns!(),
        " FROM change_requests WHERE campaign_id = $1 AND state IN ('open', 'pending')"
    );
    let row = on!(conn, |c| sqlx::query_as::<_, RequestRow>(sql)
        .bind(campaign_id)
        .fetch_optional(c)
        .await)?;
    match row {
        Some(row) => Ok(Some(with_documents(conn, row).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn list(
    conn: &mut Conn<'_>,
    query: &ChangeRequestQuery,
) -> Result<Vec<ChangeRequest>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        request_columns!(),
        " FROM change_requests WHERE 1 = 1"
    ));
    let mut texts: Vec<&str> = Vec::new();
    if let Some(state) = query.state {
        texts.push(state.as_str());
        sql.push_str(&format!(" AND state = ${}", texts.len()));
    }
    if let Some(campaign_id) = &query.campaign_id {
        texts.push(campaign_id);
        sql.push_str(&format!(" AND campaign_id = ${}", texts.len()));
    }
    let mut next = texts.len() + 1;
    if query.before.is_some() {
        sql.push_str(&format!(
            " AND (created_at < ${next} OR (created_at = ${next} AND id < ${}))",
            next + 1
        ));
        next += 2;
    }
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${next}"));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, RequestRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        if let Some((created_at, id)) = &query.before {
            q = q.bind(*created_at).bind(id.as_str());
        }
        q.bind(i64::from(query.limit)).fetch_all(c).await
    })?;
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let mut documents = documents_of(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let mine = documents.remove(&row.id).unwrap_or_default();
            row.into_request(mine)
        })
        .collect()
}

/// Records `act` on the request's row: its new state and updated time, and what `to` records
/// (who submitted, or who decided and their comment); audits the change. The caller locked the
/// row and checked its state.
async fn set_state(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    row: RequestRow,
    to: RequestState,
    comment: Option<&str>,
) -> Result<ChangeRequest> {
    let before = with_documents(conn, row).await?;
    let mut after = ChangeRequest {
        state: to,
        updated_at: act.at,
        ..before.clone()
    };
    if to == RequestState::Pending {
        after.submitted_by = Some(act.user.to_owned());
        after.submitted_at = Some(act.at);
    } else {
        after.decided_by = Some(act.user.to_owned());
        after.decided_at = Some(act.at);
        after.comment = comment.map(str::to_owned);
    }
    let sql = "UPDATE change_requests SET state = $2, updated_at = $3, submitted_by = $4, \
        submitted_at = $5, decided_by = $6, decided_at = $7, comment = $8 WHERE id = $1";
    on!(conn, |c| sqlx::query(sql)
        .bind(after.id.as_str())
        .bind(to.as_str())
        .bind(act.at)
        .bind(after.submitted_by.as_deref())
        .bind(after.submitted_at)
        .bind(after.decided_by.as_deref())
        .bind(after.decided_at)
        .bind(after.comment.as_deref())
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Update,
        (CHANGE_REQUEST, &after.id),
        (Some(summary(&before)), Some(summary(&after))),
    )
    .await?;
    Ok(after)
}

pub(crate) async fn submit(conn: &mut Conn<'_>, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
    let row = lock_in_state(conn, id, "submit", &[RequestState::Open]).await?;
    set_state(conn, act, row, RequestState::Pending, None).await
}

pub(crate) async fn withdraw(conn: &mut Conn<'_>, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
    let from = [RequestState::Open, RequestState::Pending];
    let row = lock_in_state(conn, id, "withdraw", &from).await?;
    set_state(conn, act, row, RequestState::Withdrawn, None).await
}

pub(crate) async fn reject(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    id: &str,
    comment: &str,
) -> Result<ChangeRequest> {
    let row = lock_in_state(conn, id, "reject", &[RequestState::Pending]).await?;
    set_state(conn, act, row, RequestState::Rejected, Some(comment)).await
}

pub(crate) async fn put_document(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    request_id: &str,
    document: &ProposedDocument,
) -> Result<ChangeRequest> {
    let row = lock_in_state(conn, request_id, "change", &[RequestState::Open]).await?;
    let replaced = with_documents(conn, row)
        .await?
        .documents
        .into_iter()
        .find(|d| d.kind == document.kind && d.id == document.id);
    let sql = concat!(
        "INSERT INTO change_request_documents (",
        proposed_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id, kind, id) DO UPDATE SET \
         body = excluded.body, parent = excluded.parent, status = excluded.status, \
         base_version = excluded.base_version"
    );
    let body = document.body.as_ref().map(Value::to_string);
    on!(conn, |c| sqlx::query(sql)
        .bind(request_id)
        .bind(document.kind.as_str())
        .bind(document.id.as_str())
        .bind(body.as_deref())
        .bind(document.parent.as_deref())
        .bind(document.status.as_deref())
        .bind(document.base_version)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    touch(conn, request_id, act).await?;
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Update,
        (CHANGE_REQUEST, request_id),
        (
            replaced.as_ref().map(proposed_summary),
            Some(proposed_summary(document)),
        ),
    )
    .await?;
    reread(conn, request_id).await
}

pub(crate) async fn remove_document(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    request_id: &str,
    kind: Kind,
    id: &str,
) -> Result<ChangeRequest> {
    let row = lock_in_state(conn, request_id, "change", &[RequestState::Open]).await?;
    let removed = with_documents(conn, row)
        .await?
        .documents
        .into_iter()
        .find(|d| d.kind == kind && d.id == id)
        .ok_or_else(|| Error::not_found(kind, id))?;
    on!(conn, |c| sqlx::query(
        "DELETE FROM change_request_documents WHERE request_id = $1 AND kind = $2 AND id = $3"
    )
    .bind(request_id)
    .bind(kind.as_str())
    .bind(id)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    touch(conn, request_id, act).await?;
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Update,
        (CHANGE_REQUEST, request_id),
        (Some(proposed_summary(&removed)), None),
    )
    .await?;
    reread(conn, request_id).await
}

/// Moves the request's updated time to `act`'s.
async fn touch(conn: &mut Conn<'_>, request_id: &str, act: Act<'_>) -> Result<()> {
    on!(conn, |c| sqlx::query(
        "UPDATE change_requests SET updated_at = $2 WHERE id = $1"
    )
    .bind(request_id)
    .bind(act.at)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The request as this transaction wrote it.
async fn reread(conn: &mut Conn<'_>, id: &str) -> Result<ChangeRequest> {
    get(conn, id)
        .await?
        .ok_or_else(|| not_found(CHANGE_REQUEST, id))
}

pub(crate) async fn approve(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    id: &str,
    comment: Option<&str>,
    at_revision: Option<i64>,
) -> Result<Approval> {
    let row = lock_in_state(conn, id, "approve", &[RequestState::Pending]).await?;
    if let Some(expected) = at_revision {
        let current = super::revision(conn).await?;
        if current != expected {
            return Err(Error::RevisionMoved { expected, current });
        }
    }
    let documents = documents_of(conn, &[id])
        .await?
        .remove(id)
        .unwrap_or_default();

    // Every document as the request saw it, before anything is written. (The documents' rows
    // are locked as read: the write transaction already excludes other document writers.)
    let mut upserts: Vec<(Kind, Draft)> = Vec::new();
    let mut deletions: Vec<(Kind, &str, i64)> = Vec::new();
    for document in &documents {
        let stored = fetch_for_write(conn, document.kind, &document.id).await?;
        let current_version = stored.as_ref().map(|row| row.version);
        if current_version != document.base_version {
            return Err(Error::Stale {
                request: id.to_owned(),
                kind: document.kind.as_str().to_owned(),
                id: document.id.clone(),
                base_version: document.base_version,
                current_version,
            });
        }
        match (&document.body, stored) {
            (Some(body), _) => upserts.push((
                document.kind,
                Draft {
                    id: document.id.clone(),
                    body: body.clone(),
                    parent: document.parent.clone(),
                    status: document.status.clone(),
                },
            )),
            (None, Some(row)) if row.deleted_at.is_none() => {
                deletions.push((document.kind, &document.id, row.version));
            }
            // Deleting what is not there (any more, or yet): nothing to do.
            (None, _) => {}
        }
    }

    // The bodies, as every bulk write does them; then the deletions' lines join that write's
    // revision, or make one of their own when no body changed.
    let mut written_at = None;
    if !upserts.is_empty() {
        let report =
            super::upsert::upsert_documents(conn, act.actor, &upserts, None, act.at).await?;
        if report
            .documents
            .iter()
            .any(|d| d.outcome != Outcome::Unchanged)
        {
            written_at = Some(report.revision);
        }
    }
    let mut audit: Vec<AuditWrite> = Vec::with_capacity(deletions.len());
    for (kind, document_id, version) in deletions {
        let (_, line) = delete_row(conn, kind, document_id, version, act.at).await?;
        audit.push(line);
    }
    if !audit.is_empty() {
        match written_at {
            Some(revision) => {
                insert_audit_at(conn, act.at, &act.actor.0, Some(revision), &audit).await?
            }
            None => {
                super::record_changes(conn, act.at, &act.actor.0, &audit).await?;
            }
        }
    }

    let request = set_state(conn, act, row, RequestState::Approved, comment).await?;
    let revision = super::revision(conn).await?;
    Ok(Approval { request, revision })
}
