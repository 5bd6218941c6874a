//! The SQL of operations on several named documents: reading a page of them (a list filtered in
//! the server's memory) and restoring many soft-deleted ones in one transaction.

use super::{AuditWrite, Conn, DocRow, fetch_for_write, record_changes};
use crate::{Action, Actor, Error, Kind, Millis, Record, Result};

/// Ids per `IN (…)` list: few round trips, far below both backends' bind-parameter limits.
const IDS_PER_QUERY: usize = 500;

/// The documents of `kind` with these ids, soft-deleted or not, in id order; unknown ids are
/// left out.
pub(crate) async fn get_many(
    conn: &mut Conn<'_>,
    kind: Kind,
    ids: &[String],
) -> Result<Vec<Record>> {
    let mut records = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            concat!(
                "SELECT ",
                doc_columns!(),
                " FROM documents WHERE kind = $1 AND id IN ({})"
            ),
            list.join(", ")
        );
        let rows = on!(conn, |c| {
            let mut query = sqlx::query_as::<_, DocRow>(&sql).bind(kind.as_str());
            for id in chunk {
                query = query.bind(id.as_str());
            }
            query.fetch_all(c).await
        })?;
        for row in rows {
            records.push(row.into_record()?);
        }
    }
    records.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(records)
}

/// Brings back every soft-deleted document named, each at a new version, with one audit entry
/// each and one revision for them all. An id that is not a soft-deleted document of `kind` (a
/// repeated one included: the first restores it) is [`Error::NotFound`], and the caller's
/// transaction is dropped: none is restored.
pub(crate) async fn restore_many(
    conn: &mut Conn<'_>,
    actor: &Actor,
    kind: Kind,
    ids: &[String],
    now: Millis,
) -> Result<Vec<Record>> {
    let mut records = Vec::with_capacity(ids.len());
    let mut audit = Vec::with_capacity(ids.len());
    for id in ids {
        let row = match fetch_for_write(conn, kind, id).await? {
            Some(row) if row.deleted_at.is_some() => row,
            _ => return Err(Error::not_found(kind, id)),
        };
        let after = row.body.clone();
        let mut record = row.into_record()?;
        let sql = "UPDATE documents SET deleted_at = NULL, updated_at = $3, \
            version = version + 1 WHERE kind = $1 AND id = $2";
        on!(conn, |c| sqlx::query(sql)
            .bind(kind.as_str())
            .bind(id.as_str())
            .bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        record.version += 1;
        record.updated_at = now;
        record.deleted_at = None;
        records.push(record);
        audit.push(AuditWrite {
            action: Action::Restore,
            entity: kind.as_str().to_owned(),
            entity_id: id.clone(),
            before: None,
            after: Some(after),
        });
    }
    if !audit.is_empty() {
        record_changes(conn, now, &actor.0, &audit).await?;
    }
    Ok(records)
}
