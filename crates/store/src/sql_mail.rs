//! Distributions of codes to relays, the e-mail outbox and usage figures: the SQL both backends
//! share, and the semantics of [`crate::Mail`], written once (see the parent module for how
//! transactions are handed in).
//!
//! Locking: on SQLite every write runs in the one `BEGIN IMMEDIATE` writer, which excludes all
//! other writers, of this process and others. On PostgreSQL (READ COMMITTED) a distribution locks
//! its batch's row, so distributions of one batch (from any instance) run one after the other and
//! each sees the codes the previous ones took; it locks the codes it takes with
//! `FOR UPDATE SKIP LOCKED`, passing over codes other writes (a reservation) hold at that moment
//! instead of waiting for them. A claim of the outbox locks the message it takes with
//! `FOR UPDATE SKIP LOCKED` too, so concurrent claimers take different messages without waiting
//! for each other. Nothing here touches the documents' revision.

use serde_json::json;

use super::Conn;
use super::codes::{RedemptionRow, already_exists, audit_one, count_u64, not_found, to_u32};
use crate::codes::Redemption;
use crate::mail::{
    DayCount, DistributeRequest, Distribution, MailState, MessageText, OutboxMessage,
    OutgoingMessage, RedemptionQuery, RelayCounts,
};
use crate::{Action, Actor, Error, Millis, Result};

/// The `kind` of errors and the `entity` of audit entries.
const DISTRIBUTION: &str = "distribution";
const MAIL: &str = "mail";
const BATCH: &str = "batch";

const DAY_MILLIS: i64 = 86_400_000;

macro_rules! distribution_columns {
    () => {
        "id, batch, relay, count, created_at"
    };
}

macro_rules! outbox_columns {
    () => {
        "id, distribution, recipient, language, state, attempts, next_attempt_at, lease_until, \
         last_error, created_at, sent_at, subject, body"
    };
}

/// A redemption's columns, named after the `r` alias (coupons, joined as `c`, share some names).
macro_rules! redemption_columns_r {
    () => {
        "r.id, r.code, r.promotion, r.customer, r.order_id, r.idempotency_key, r.state, \
         r.reserved_at, r.expires_at, r.confirmed_at, r.cancelled_at, r.amount, r.api_key"
    };
}

/// A batch's codes that a distribution may take: available, never handed to a relay nor
/// distributed, never redeemed (not even reserved, whatever became of it). `$1` is the batch.
const DISTRIBUTABLE: &str = "c.batch = $1 AND c.state = 'available' AND c.relay IS NULL \
    AND c.distribution IS NULL \
    AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.code = c.code)";

#[derive(sqlx::FromRow)]
struct DistributionRow {
    id: String,
    batch: String,
    relay: String,
    count: i64,
    created_at: i64,
}

impl DistributionRow {
    fn into_distribution(self) -> Result<Distribution> {
        let count = to_u32(DISTRIBUTION, &self.id, "count", self.count)?;
        Ok(Distribution {
            id: self.id,
            batch: self.batch,
            relay: self.relay,
            count,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    distribution: Option<String>,
    recipient: String,
    language: String,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    lease_until: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
    subject: Option<String>,
    body: Option<String>,
}

impl OutboxRow {
    fn into_message(self) -> Result<OutboxMessage> {
        let state = MailState::parse(&self.state).ok_or_else(|| {
            super::corrupt(MAIL, &self.id, format!("unknown state `{}`", self.state))
        })?;
        let attempts = to_u32(MAIL, &self.id, "attempts", self.attempts)?;
        let text = match (self.subject, self.body) {
            (Some(subject), Some(body)) => Some(MessageText { subject, body }),
            (None, None) => None,
            _ => {
                return Err(super::corrupt(MAIL, &self.id, "a subject without a body"));
            }
        };
        Ok(OutboxMessage {
            id: self.id,
            distribution: self.distribution,
            text,
            recipient: self.recipient,
            language: self.language,
            state,
            attempts,
            next_attempt_at: self.next_attempt_at,
            lease_until: self.lease_until,
            last_error: self.last_error,
            created_at: self.created_at,
            sent_at: self.sent_at,
        })
    }
}

/// The `YYYY-MM-DD` of a day counted from the Unix epoch (UTC).
fn day_name(day: i64) -> Result<String> {
    let bad = |message: String| super::corrupt("redemption", "", message);
    let seconds = day
        .checked_mul(DAY_MILLIS / 1000)
        .ok_or_else(|| bad(format!("day out of range: {day}")))?;
    let timestamp = jiff::Timestamp::from_second(seconds)
        .map_err(|e| bad(format!("day out of range: {day}: {e}")))?;
    Ok(timestamp.strftime("%Y-%m-%d").to_string())
}

// ---------------------------------------------------------------------------------------------
// Distributions

pub(crate) async fn distribute(
    conn: &mut Conn<'_>,
    actor: &Actor,
    request: &DistributeRequest,
) -> Result<Distribution> {
    // On PostgreSQL the batch's row is locked: distributions of one batch queue there (see
    // `take_codes`).
    let sql = match conn {
        Conn::Sqlite(_) => "SELECT id FROM batches WHERE id = $1",
        Conn::Postgres(_) => "SELECT id FROM batches WHERE id = $1 FOR UPDATE",
    };
    let batch_exists: Option<String> = on!(conn, |c| sqlx::query_scalar(sql)
        .bind(request.batch.as_str())
        .fetch_optional(c)
        .await)?;
    if batch_exists.is_none() {
        return Err(not_found(BATCH, &request.batch));
    }
    let distribution = Distribution {
        id: request.id.clone(),
        batch: request.batch.clone(),
        relay: request.relay.clone(),
        count: request.count,
        created_at: request.now,
    };
    // First, so a taken id fails before any code is touched (on PostgreSQL a concurrent
    // distribution with the same id makes this wait for its end, then insert nothing).
    let sql = concat!(
        "INSERT INTO distributions (",
        distribution_columns!(),
        ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(distribution.id.as_str())
        .bind(distribution.batch.as_str())
        .bind(distribution.relay.as_str())
        .bind(i64::from(distribution.count))
        .bind(distribution.created_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(DISTRIBUTION, &distribution.id));
    }

    let wanted = u64::from(request.count);
    let taken = take_codes(conn, request).await?;
    if taken < wanted {
        // The caller drops the transaction: the codes taken so far go back.
        return Err(Error::NotEnoughCodes {
            batch: request.batch.clone(),
            requested: request.count,
            available: taken,
        });
    }

    let sql = concat!(
        "INSERT INTO outbox (",
        outbox_columns!(),
        ") VALUES ($1, $1, $2, $3, 'pending', 0, $4, NULL, NULL, $4, NULL, NULL, NULL)"
    );
    on!(conn, |c| sqlx::query(sql)
        .bind(distribution.id.as_str())
        .bind(request.recipient.as_str())
        .bind(request.language.as_str())
        .bind(request.now)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;

    let after = json!({
        "batch": distribution.batch,
        "relay": distribution.relay,
        "count": distribution.count,
    })
    .to_string();
    audit_one(
        conn,
        actor,
        request.now,
        Action::Create,
        (DISTRIBUTION, &distribution.id),
        (None, Some(after)),
    )
    .await?;
    Ok(distribution)
}

/// Marks up to `request.count` distributable codes of the batch, in code order, as distributed
/// by this distribution; returns how many. Fewer than asked means these were all the codes
/// available to this transaction.
async fn take_codes(conn: &mut Conn<'_>, request: &DistributeRequest) -> Result<u64> {
    let wanted = u64::from(request.count);
    match conn {
        // The writer excludes every other: what the subquery finds distributable stays so.
        Conn::Sqlite(c) => {
            let sql = format!(
                "UPDATE coupons SET state = 'distributed', relay = $2, distribution = $3 \
                 WHERE code IN (SELECT c.code FROM coupons c WHERE {DISTRIBUTABLE} \
                 ORDER BY c.code LIMIT $4)"
            );
            let taken = sqlx::query(&sql)
                .bind(request.batch.as_str())
                .bind(request.relay.as_str())
                .bind(request.id.as_str())
                .bind(i64::from(request.count))
                .execute(&mut **c)
                .await?
                .rows_affected();
            Ok(taken)
        }
        // Distributions of one batch queue on the batch's row (locked by the caller): without
        // that, two of them scanning the codes at once could each skip the rows the other holds
        // and both come up short (60 + 60 of 100 codes, 50 each) where one should succeed.
        // Candidates are locked here, skipping rows other writes hold at that moment (a code
        // being reserved, disabled or set by hand): a distribution does not wait for them, nor
        // hand out a code such a write may be using. A reservation that committed between the
        // candidates' snapshot and their lock is seen by the update, a new statement, which
        // skips that code; the loop then looks for replacements. Rows this transaction locked
        // but did not update come back from the next lookup only if still distributable, so
        // each round makes progress or ends the loop.
        Conn::Postgres(c) => {
            let lock = format!(
                "SELECT c.code FROM coupons c WHERE {DISTRIBUTABLE} \
                 ORDER BY c.code LIMIT $2 FOR UPDATE OF c SKIP LOCKED"
            );
            let update = format!(
                "UPDATE coupons c SET state = 'distributed', relay = $3, distribution = $4 \
                 WHERE c.code = ANY($2) AND {DISTRIBUTABLE}"
            );
            let mut taken = 0;
            while taken < wanted {
                let candidates: Vec<String> = sqlx::query_scalar(&lock)
                    .bind(request.batch.as_str())
                    .bind(i64::try_from(wanted - taken).unwrap_or(i64::MAX))
                    .fetch_all(&mut **c)
                    .await?;
                if candidates.is_empty() {
                    break;
                }
                taken += sqlx::query(&update)
                    .bind(request.batch.as_str())
                    .bind(&candidates)
                    .bind(request.relay.as_str())
                    .bind(request.id.as_str())
                    .execute(&mut **c)
                    .await?
                    .rows_affected();
            }
            Ok(taken)
        }
    }
}

async fn fetch_distribution(conn: &mut Conn<'_>, id: &str) -> Result<Option<DistributionRow>> {
    let sql = concat!(
        "SELECT ",
        distribution_columns!(),
        " FROM distributions WHERE id = $1"
    );
    let row = on!(conn, |c| sqlx::query_as::<_, DistributionRow>(sql)
        .bind(id)
        .fetch_optional(c)
        .await)?;
    Ok(row)
}

pub(crate) async fn get_distribution(
    conn: &mut Conn<'_>,
    id: &str,
) -> Result<Option<Distribution>> {
    fetch_distribution(conn, id)
        .await?
        .map(DistributionRow::into_distribution)
        .transpose()
}

pub(crate) async fn list_distributions(
    conn: &mut Conn<'_>,
    batch: Option<&str>,
    relay: Option<&str>,
) -> Result<Vec<Distribution>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        distribution_columns!(),
        " FROM distributions WHERE 1 = 1"
    ));
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [("batch", batch), ("relay", relay)] {
        if let Some(value) = value {
            texts.push(value);
            sql.push_str(&format!(" AND {column} = ${}", texts.len()));
        }
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC");
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, DistributionRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        q.fetch_all(c).await
    })?;
    rows.into_iter()
        .map(DistributionRow::into_distribution)
        .collect()
}

pub(crate) async fn distribution_codes(conn: &mut Conn<'_>, id: &str) -> Result<Vec<String>> {
    if fetch_distribution(conn, id).await?.is_none() {
        return Err(not_found(DISTRIBUTION, id));
    }
    let codes: Vec<String> = on!(conn, |c| sqlx::query_scalar(
        "SELECT display FROM coupons WHERE distribution = $1 ORDER BY code"
    )
    .bind(id)
    .fetch_all(c)
    .await)?;
    Ok(codes)
}

// ---------------------------------------------------------------------------------------------
// The outbox

async fn fetch_message(conn: &mut Conn<'_>, id: &str) -> Result<Option<OutboxMessage>> {
    let sql = concat!("SELECT ", outbox_columns!(), " FROM outbox WHERE id = $1");
    let row = on!(conn, |c| sqlx::query_as::<_, OutboxRow>(sql)
        .bind(id)
        .fetch_optional(c)
        .await)?;
    row.map(OutboxRow::into_message).transpose()
}

/// Queues a standalone message, pending and due at `now`; [`Error::AlreadyExists`] (kind `mail`)
/// for a taken id. Its caller's transaction may hold other writes (a task and its mail).
pub(crate) async fn queue_message(
    conn: &mut Conn<'_>,
    message: &OutgoingMessage,
    now: Millis,
) -> Result<OutboxMessage> {
    let sql = concat!(
        "INSERT INTO outbox (",
        outbox_columns!(),
        ") VALUES ($1, NULL, $2, $3, 'pending', 0, $4, NULL, NULL, $4, NULL, $5, $6) \
         ON CONFLICT DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(message.id.as_str())
        .bind(message.recipient.as_str())
        .bind(message.language.as_str())
        .bind(now)
        .bind(message.subject.as_str())
        .bind(message.body.as_str())
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(MAIL, &message.id));
    }
    fetch_message(conn, &message.id)
        .await?
        .ok_or_else(|| not_found(MAIL, &message.id))
}

/// Runs an update of one message (`$1` its id, then `binds` in order); [`Error::NotFound`] when
/// there is no such message. Returns how many rows changed (0 when the message exists but the
/// update's conditions left it alone).
async fn update_message(
    conn: &mut Conn<'_>,
    sql: &str,
    id: &str,
    binds: (Option<i64>, Option<&str>),
) -> Result<u64> {
    let (number, text) = binds;
    let rows = on!(conn, |c| {
        let mut q = sqlx::query(sql).bind(id);
        if let Some(number) = number {
            q = q.bind(number);
        }
        if let Some(text) = text {
            q = q.bind(text);
        }
        q.execute(c).await.map(|done| done.rows_affected())
    })?;
    if rows == 0 && fetch_message(conn, id).await?.is_none() {
        return Err(not_found(MAIL, id));
    }
    Ok(rows)
}

pub(crate) async fn claim_mail(
    conn: &mut Conn<'_>,
    now: Millis,
    lease_until: Millis,
) -> Result<Option<OutboxMessage>> {
    // One statement on both: on PostgreSQL the subquery locks the message it picks, skipping
    // those other claimers hold, and re-checks a row changed meanwhile (a claim that committed
    // since sets a lease that is still running, so the row no longer qualifies and is passed
    // over); on SQLite the writer excludes every other claimer.
    let lock = match conn {
        Conn::Sqlite(_) => "",
        Conn::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE outbox SET lease_until = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until <= $1) \
         ORDER BY created_at, id LIMIT 1{lock}) \
         RETURNING {}",
        outbox_columns!()
    );
    let row = on!(conn, |c| sqlx::query_as::<_, OutboxRow>(&sql)
        .bind(now)
        .bind(lease_until)
        .fetch_optional(c)
        .await)?;
    row.map(OutboxRow::into_message).transpose()
}

pub(crate) async fn mail_sent(conn: &mut Conn<'_>, id: &str, now: Millis) -> Result<()> {
    update_message(
        conn,
        "UPDATE outbox SET state = 'sent', sent_at = $2, lease_until = NULL WHERE id = $1",
        id,
        (Some(now), None),
    )
    .await?;
    Ok(())
}

pub(crate) async fn mail_failed(
    conn: &mut Conn<'_>,
    id: &str,
    error: &str,
    retry_at: Option<Millis>,
) -> Result<()> {
    // Only a pending message: a late report from a worker whose lease ran out must not undo
    // another worker's success.
    match retry_at {
        Some(retry_at) => {
            update_message(
                conn,
                "UPDATE outbox SET next_attempt_at = $2, last_error = $3, lease_until = NULL \
                 WHERE id = $1 AND state = 'pending'",
                id,
                (Some(retry_at), Some(error)),
            )
            .await?
        }
        None => {
            update_message(
                conn,
                "UPDATE outbox SET state = 'failed', last_error = $2, lease_until = NULL \
                 WHERE id = $1 AND state = 'pending'",
                id,
                (None, Some(error)),
            )
            .await?
        }
    };
    Ok(())
}

pub(crate) async fn retry_mail(
    conn: &mut Conn<'_>,
    id: &str,
    now: Millis,
) -> Result<OutboxMessage> {
    let sql = concat!(
        // A fresh round of attempts: a message given up after its last attempt would otherwise
        // get a single one more.
        "UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_until = NULL, \
         attempts = 0 WHERE id = $1 AND state IN ('failed', 'pending') RETURNING ",
        outbox_columns!()
    );
    let row = on!(conn, |c| sqlx::query_as::<_, OutboxRow>(sql)
        .bind(id)
        .bind(now)
        .fetch_optional(c)
        .await)?;
    match row {
        Some(row) => row.into_message(),
        // Sent already: left as it is.
        None => fetch_message(conn, id)
            .await?
            .ok_or_else(|| not_found(MAIL, id)),
    }
}

pub(crate) async fn list_outbox(
    conn: &mut Conn<'_>,
    state: Option<MailState>,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    let sql = format!(
        "SELECT {} FROM outbox WHERE {} ORDER BY created_at DESC, id DESC LIMIT $1",
        outbox_columns!(),
        if state.is_some() {
            "state = $2"
        } else {
            "1 = 1"
        }
    );
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, OutboxRow>(&sql).bind(i64::from(limit));
        if let Some(state) = state {
            q = q.bind(state.as_str());
        }
        q.fetch_all(c).await
    })?;
    rows.into_iter().map(OutboxRow::into_message).collect()
}

// ---------------------------------------------------------------------------------------------
// Usage

pub(crate) async fn relay_counts(
    conn: &mut Conn<'_>,
    relay: &str,
    now: Millis,
) -> Result<RelayCounts> {
    let distributed: i64 = on!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM coupons WHERE relay = $1"
    )
    .bind(relay)
    .fetch_one(c)
    .await)?;
    let (reserved, redeemed) = super::codes::codes_in_use(conn, "relay", relay, now).await?;
    let expired = super::codes::expired_codes(conn, "relay", relay, now).await?;
    Ok(RelayCounts {
        distributed: count_u64(distributed),
        reserved: count_u64(reserved),
        redeemed: count_u64(redeemed),
        expired: count_u64(expired),
    })
}

/// ` FROM redemptions r`, joined to coupons and filtered when a batch or a relay is given, with
/// the texts to bind in order (from `$1`).
fn redemptions_of<'a>(batch: Option<&'a str>, relay: Option<&'a str>) -> (String, Vec<&'a str>) {
    let mut sql = String::from(" FROM redemptions r");
    let mut texts = Vec::new();
    if batch.is_some() || relay.is_some() {
        sql.push_str(" JOIN coupons c ON c.code = r.code");
    }
    sql.push_str(" WHERE 1 = 1");
    for (column, value) in [("c.batch", batch), ("c.relay", relay)] {
        if let Some(value) = value {
            texts.push(value);
            sql.push_str(&format!(" AND {column} = ${}", texts.len()));
        }
    }
    (sql, texts)
}

pub(crate) async fn redemptions_per_day(
    conn: &mut Conn<'_>,
    batch: Option<&str>,
    relay: Option<&str>,
) -> Result<Vec<DayCount>> {
    let (from, texts) = redemptions_of(batch, relay);
    // Days numbered from the epoch in SQL (integer division is the same on both), named in Rust.
    let mut days: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
    for (column, confirmed) in [("r.reserved_at", false), ("r.confirmed_at", true)] {
        let sql = format!(
            "SELECT {column} / {DAY_MILLIS} AS day, COUNT(*){from} AND {column} IS NOT NULL \
             GROUP BY {column} / {DAY_MILLIS}"
        );
        let rows: Vec<(i64, i64)> = on!(conn, |c| {
            let mut q = sqlx::query_as(&sql);
            for text in &texts {
                q = q.bind(*text);
            }
            q.fetch_all(c).await
        })?;
        for (day, n) in rows {
            let entry = days.entry(day).or_default();
            if confirmed {
                entry.1 += count_u64(n);
            } else {
                entry.0 += count_u64(n);
            }
        }
    }
    days.into_iter()
        .map(|(day, (reserved, confirmed))| {
            Ok(DayCount {
                day: day_name(day)?,
                reserved,
                confirmed,
            })
        })
        .collect()
}

pub(crate) async fn list_redemptions(
    conn: &mut Conn<'_>,
    query: &RedemptionQuery,
) -> Result<Vec<Redemption>> {
    let (from, mut texts) = redemptions_of(query.batch.as_deref(), query.relay.as_deref());
    let mut sql = format!("SELECT {}{from}", redemption_columns_r!());
    if let Some(after) = query.after.as_deref() {
        texts.push(after);
        sql.push_str(&format!(" AND r.id > ${}", texts.len()));
    }
    sql.push_str(&format!(" ORDER BY r.id LIMIT ${}", texts.len() + 1));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, RedemptionRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        q.bind(i64::from(query.limit)).fetch_all(c).await
    })?;
    rows.into_iter()
        .map(RedemptionRow::into_redemption)
        .collect()
}
