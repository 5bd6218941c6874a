//! The SQL of failed code look-ups: one row per subject (a customer, a client address) and
//! one-minute window, counted by every instance into the same database.

use super::Conn;
use crate::{Millis, Result};

pub(crate) async fn record(conn: &mut Conn<'_>, subjects: &[String], window: Millis) -> Result<()> {
    for subject in subjects {
        on!(conn, |c| sqlx::query(
            "INSERT INTO failed_lookups (subject, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (subject, window_start) \
             DO UPDATE SET failures = failed_lookups.failures + 1"
        )
        .bind(subject.as_str())
        .bind(window)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

pub(crate) async fn most(conn: &mut Conn<'_>, subjects: &[String], window: Millis) -> Result<u32> {
    let mut most = 0;
    for subject in subjects {
        let failures: Option<i64> = on!(conn, |c| sqlx::query_scalar(
            "SELECT failures FROM failed_lookups WHERE subject = $1 AND window_start = $2"
        )
        .bind(subject.as_str())
        .bind(window)
        .fetch_optional(c)
        .await)?;
        most = most.max(u32::try_from(failures.unwrap_or(0)).unwrap_or(u32::MAX));
    }
    Ok(most)
}

pub(crate) async fn forget(conn: &mut Conn<'_>, before: Millis) -> Result<u64> {
    let rows = on!(conn, |c| sqlx::query(
        "DELETE FROM failed_lookups WHERE window_start < $1"
    )
    .bind(before)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(rows)
}
