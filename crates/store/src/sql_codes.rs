//! Coupon codes, batches and redemptions: the SQL both backends share, and the semantics of
//! [`crate::Codes`], written once (see the parent module for how transactions are handed in).
//!
//! Locking: on SQLite every write runs in the one `BEGIN IMMEDIATE` writer, which excludes all
//! other writers, of this process and others. On PostgreSQL (READ COMMITTED) a write locks the
//! rows it decides on with `SELECT … FOR UPDATE`: a reservation locks its coupon's row, so
//! reservations of one code queue there (and only there: other codes, and document writes, go on
//! alongside), and each statement after the lock sees every redemption committed before it.
//! Nothing here touches the documents' revision.

use serde::Serialize;
use serde_json::json;

use super::vouchers::{BalanceChange, is_voucher, lock_code};
use super::{AuditWrite, Conn, corrupt, insert_audit};
use crate::codes::{
    Batch, BatchCounts, CodeState, Coupon, CouponQuery, Redemption, RedemptionState, Refusal,
    ReserveRequest, Usage, refusal,
};
use crate::{Action, Actor, Error, Millis, Result};

/// The `kind` of errors and the `entity` of audit entries.
const COUPON: &str = "coupon";
const BATCH: &str = "batch";
const REDEMPTION: &str = "redemption";

/// Rows per statement when adding a batch's codes on SQLite: 2 parameters a row, below its limit
/// of 32,766 parameters.
const SQLITE_CODES_CHUNK: usize = 8_000;

/// Rows per statement when adding a batch's codes on PostgreSQL: two array parameters whatever
/// the count, so the bound is only the statement's memory.
const POSTGRES_CODES_CHUNK: usize = 50_000;

/// What counts as a use at `$2`: a confirmed redemption, or a reservation not yet expired.
/// (`state IN` first, so the `(code, state)` index serves it.)
const LIVE: &str =
    "state IN ('confirmed', 'reserved') AND (state = 'confirmed' OR expires_at > $2)";

macro_rules! coupon_columns {
    () => {
        "code, display, promotion, batch, max_uses, uses_per_customer, starts_at, ends_at, \
         customers, groups, state, relay, created_at"
    };
}

macro_rules! batch_columns {
    () => {
        "id, promotion, prefix, length, pattern, uses_per_code, quota, starts_at, ends_at, \
         created_at"
    };
}

macro_rules! redemption_columns {
    () => {
        "id, code, promotion, customer, order_id, idempotency_key, state, reserved_at, \
         expires_at, confirmed_at, cancelled_at, amount, api_key"
    };
}

#[derive(sqlx::FromRow)]
struct CouponRow {
    code: String,
    display: String,
    promotion: String,
    batch: Option<String>,
    max_uses: Option<i64>,
    uses_per_customer: Option<i64>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    customers: String,
    groups: String,
    state: String,
    relay: Option<String>,
    created_at: i64,
}

impl CouponRow {
    fn into_coupon(self) -> Result<Coupon> {
        let code = &self.code;
        let limit = |field: &str, value: Option<i64>| {
            value.map(|v| to_u32(COUPON, code, field, v)).transpose()
        };
        let list = |field: &str, text: &str| -> Result<Vec<String>> {
            serde_json::from_str(text).map_err(|e| corrupt(COUPON, code, format!("{field}: {e}")))
        };
        let max_uses = limit("max_uses", self.max_uses)?;
        let uses_per_customer = limit("uses_per_customer", self.uses_per_customer)?;
        let customers = list("customers", &self.customers)?;
        let groups = list("groups", &self.groups)?;
        let state = CodeState::parse(&self.state)
            .ok_or_else(|| corrupt(COUPON, code, format!("unknown state `{}`", self.state)))?;
        Ok(Coupon {
            code: self.code,
            display: self.display,
            promotion: self.promotion,
            batch: self.batch,
            max_uses,
            uses_per_customer,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            customers,
            groups,
            state,
            relay: self.relay,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    promotion: String,
    prefix: String,
    length: i64,
    pattern: Option<String>,
    uses_per_code: i64,
    quota: i64,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    created_at: i64,
}

impl BatchRow {
    fn into_batch(self) -> Result<Batch> {
        let length = to_u32(BATCH, &self.id, "length", self.length)?;
        let uses_per_code = to_u32(BATCH, &self.id, "uses_per_code", self.uses_per_code)?;
        let quota = to_u32(BATCH, &self.id, "quota", self.quota)?;
        Ok(Batch {
            id: self.id,
            promotion: self.promotion,
            prefix: self.prefix,
            length,
            pattern: self.pattern,
            uses_per_code,
            quota,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RedemptionRow {
    id: String,
    code: String,
    promotion: String,
    customer: Option<String>,
    order_id: String,
    idempotency_key: String,
    state: String,
    reserved_at: i64,
    expires_at: i64,
    confirmed_at: Option<i64>,
    cancelled_at: Option<i64>,
    amount: Option<String>,
    api_key: String,
}

impl RedemptionRow {
    pub(super) fn into_redemption(self) -> Result<Redemption> {
        let state = RedemptionState::parse(&self.state).ok_or_else(|| {
            corrupt(
                REDEMPTION,
                &self.id,
                format!("unknown state `{}`", self.state),
            )
        })?;
        let amount = self
            .amount
            .as_deref()
            .map(|text| super::vouchers::decimal(REDEMPTION, &self.id, "amount", text))
            .transpose()?;
        Ok(Redemption {
            id: self.id,
            code: self.code,
            promotion: self.promotion,
            customer: self.customer,
            order_id: self.order_id,
            idempotency_key: self.idempotency_key,
            state,
            reserved_at: self.reserved_at,
            expires_at: self.expires_at,
            confirmed_at: self.confirmed_at,
            cancelled_at: self.cancelled_at,
            amount,
            api_key: self.api_key,
        })
    }
}

/// A stored count or limit, which the types hold as `u32`.
pub(super) fn to_u32(kind: &str, id: &str, field: &str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(kind, id, format!("{field} out of range: {value}")))
}

/// A count read from the database, for [`Usage`]: saturates rather than fails.
fn count_u32(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

pub(super) fn count_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(super) fn not_found(kind: &str, id: &str) -> Error {
    Error::NotFound {
        kind: kind.to_owned(),
        id: id.to_owned(),
    }
}

pub(super) fn already_exists(kind: &str, id: &str) -> Error {
    Error::AlreadyExists {
        kind: kind.to_owned(),
        id: id.to_owned(),
    }
}

/// A value as the audit log keeps it.
pub(super) fn audit_json(kind: &str, id: &str, value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(kind, id, e))
}

/// Holds a lock named `key` until the transaction ends (PostgreSQL; SQLite's single writer
/// already excludes every other). Keys are namespaced (`code:…`, `promotion:…`).
pub(super) async fn advisory_lock(conn: &mut Conn<'_>, key: &str) -> Result<()> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(key)
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// ` FOR UPDATE` on PostgreSQL (see the module docs); nothing on SQLite, whose writer already
/// excludes every other.
pub(super) fn for_update(conn: &Conn<'_>) -> &'static str {
    match conn {
        Conn::Sqlite(_) => "",
        Conn::Postgres(_) => " FOR UPDATE",
    }
}

/// One audit line for this module's writes.
pub(super) async fn audit_one(
    conn: &mut Conn<'_>,
    actor: &Actor,
    now: Millis,
    action: Action,
    entity: (&str, &str),
    change: (Option<String>, Option<String>),
) -> Result<()> {
    let (entity, entity_id) = entity;
    let (before, after) = change;
    let entry = AuditWrite {
        action,
        entity: entity.to_owned(),
        entity_id: entity_id.to_owned(),
        before,
        after,
    };
    insert_audit(conn, now, &actor.0, &[entry]).await
}

// ---------------------------------------------------------------------------------------------
// Coupons

async fn fetch_coupon(conn: &mut Conn<'_>, code: &str, lock: bool) -> Result<Option<CouponRow>> {
    let sql = format!(
        "SELECT {} FROM coupons WHERE code = $1{}",
        coupon_columns!(),
        if lock { for_update(conn) } else { "" }
    );
    let row = on!(conn, |c| sqlx::query_as::<_, CouponRow>(&sql)
        .bind(code)
        .fetch_optional(c)
        .await)?;
    Ok(row)
}

pub(crate) async fn create_coupon(
    conn: &mut Conn<'_>,
    actor: &Actor,
    coupon: &Coupon,
    now: Millis,
) -> Result<()> {
    let code = coupon.code.as_str();
    // Codes are unique across coupons and vouchers.
    lock_code(conn, code).await?;
    if is_voucher(conn, code).await? {
        return Err(already_exists(COUPON, code));
    }
    let customers = audit_json(COUPON, code, &coupon.customers)?;
    let groups = audit_json(COUPON, code, &coupon.groups)?;
    let sql = concat!(
        "INSERT INTO coupons (",
        coupon_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (code) DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(code)
        .bind(coupon.display.as_str())
        .bind(coupon.promotion.as_str())
        .bind(coupon.batch.as_deref())
        .bind(coupon.max_uses.map(i64::from))
        .bind(coupon.uses_per_customer.map(i64::from))
        .bind(coupon.starts_at)
        .bind(coupon.ends_at)
        .bind(customers.as_str())
        .bind(groups.as_str())
        .bind(coupon.state.as_str())
        .bind(coupon.relay.as_deref())
        .bind(coupon.created_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(COUPON, code));
    }
    let after = audit_json(COUPON, code, coupon)?;
    audit_one(
        conn,
        actor,
        now,
        Action::Create,
        (COUPON, code),
        (None, Some(after)),
    )
    .await
}

pub(crate) async fn get_coupon(conn: &mut Conn<'_>, code: &str) -> Result<Option<Coupon>> {
    fetch_coupon(conn, code, false)
        .await?
        .map(CouponRow::into_coupon)
        .transpose()
}

pub(crate) async fn list_coupons(conn: &mut Conn<'_>, query: &CouponQuery) -> Result<Vec<Coupon>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        coupon_columns!(),
        " FROM coupons WHERE 1 = 1"
    ));
    if query.shared_only {
        sql.push_str(" AND batch IS NULL");
    }
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [
        ("batch =", &query.batch),
        ("promotion =", &query.promotion),
        ("code >", &query.after),
    ] {
        if let Some(value) = value {
            texts.push(value);
            sql.push_str(&format!(" AND {column} ${}", texts.len()));
        }
    }
    sql.push_str(&format!(" ORDER BY code LIMIT ${}", texts.len() + 1));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, CouponRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        q.bind(i64::from(query.limit)).fetch_all(c).await
    })?;
    rows.into_iter().map(CouponRow::into_coupon).collect()
}

pub(crate) async fn set_coupon_state(
    conn: &mut Conn<'_>,
    actor: &Actor,
    code: &str,
    state: CodeState,
    relay: Option<&str>,
    now: Millis,
) -> Result<Coupon> {
    let Some(row) = fetch_coupon(conn, code, true).await? else {
        return Err(not_found(COUPON, code));
    };
    let before = json!({"state": row.state, "relay": row.relay}).to_string();
    // Parsed before the write: a corrupt row is reported, not half-updated.
    let mut coupon = row.into_coupon()?;
    on!(conn, |c| sqlx::query(
        "UPDATE coupons SET state = $2, relay = $3 WHERE code = $1"
    )
    .bind(code)
    .bind(state.as_str())
    .bind(relay)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    coupon.state = state;
    coupon.relay = relay.map(str::to_owned);
    let after = json!({"state": state.as_str(), "relay": relay}).to_string();
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (COUPON, code),
        (Some(before), Some(after)),
    )
    .await?;
    Ok(coupon)
}

// ---------------------------------------------------------------------------------------------
// Batches

async fn fetch_batch(conn: &mut Conn<'_>, id: &str, lock: bool) -> Result<Option<BatchRow>> {
    let sql = format!(
        "SELECT {} FROM batches WHERE id = $1{}",
        batch_columns!(),
        if lock { for_update(conn) } else { "" }
    );
    let row = on!(conn, |c| sqlx::query_as::<_, BatchRow>(&sql)
        .bind(id)
        .fetch_optional(c)
        .await)?;
    Ok(row)
}

/// The batch, or [`Error::NotFound`].
async fn existing_batch(conn: &mut Conn<'_>, id: &str, lock: bool) -> Result<Batch> {
    match fetch_batch(conn, id, lock).await? {
        Some(row) => row.into_batch(),
        None => Err(not_found(BATCH, id)),
    }
}

pub(crate) async fn create_batch(
    conn: &mut Conn<'_>,
    actor: &Actor,
    batch: &Batch,
    now: Millis,
) -> Result<()> {
    let sql = concat!(
        "INSERT INTO batches (",
        batch_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(batch.id.as_str())
        .bind(batch.promotion.as_str())
        .bind(batch.prefix.as_str())
        .bind(i64::from(batch.length))
        .bind(batch.pattern.as_deref())
        .bind(i64::from(batch.uses_per_code))
        .bind(i64::from(batch.quota))
        .bind(batch.starts_at)
        .bind(batch.ends_at)
        .bind(batch.created_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(BATCH, &batch.id));
    }
    let after = audit_json(BATCH, &batch.id, batch)?;
    audit_one(
        conn,
        actor,
        now,
        Action::Create,
        (BATCH, &batch.id),
        (None, Some(after)),
    )
    .await
}

pub(crate) async fn get_batch(conn: &mut Conn<'_>, id: &str) -> Result<Option<Batch>> {
    fetch_batch(conn, id, false)
        .await?
        .map(BatchRow::into_batch)
        .transpose()
}

pub(crate) async fn list_batches(conn: &mut Conn<'_>) -> Result<Vec<Batch>> {
    let sql = concat!(
        "SELECT ",
        batch_columns!(),
        " FROM batches ORDER BY created_at, id"
    );
    let rows = on!(conn, |c| sqlx::query_as::<_, BatchRow>(sql)
        .fetch_all(c)
        .await)?;
    rows.into_iter().map(BatchRow::into_batch).collect()
}

pub(crate) async fn set_batch_quota(
    conn: &mut Conn<'_>,
    actor: &Actor,
    id: &str,
    quota: u32,
    now: Millis,
) -> Result<Batch> {
    let mut batch = existing_batch(conn, id, true).await?;
    on!(conn, |c| sqlx::query(
        "UPDATE batches SET quota = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(i64::from(quota))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    let before = json!({"quota": batch.quota}).to_string();
    let after = json!({"quota": quota}).to_string();
    batch.quota = quota;
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (BATCH, id),
        (Some(before), Some(after)),
    )
    .await?;
    Ok(batch)
}

/// Inserts the codes in key order (sorted here: each statement then fills a narrow stretch of the
/// key's B-tree instead of touching pages all over it), in multi-row statements whose per-batch
/// values are bound once each.
pub(crate) async fn add_batch_codes(
    conn: &mut Conn<'_>,
    actor: &Actor,
    batch_id: &str,
    codes: &[(String, String)],
    now: Millis,
) -> Result<u64> {
    let batch = existing_batch(conn, batch_id, false).await?;
    let mut sorted: Vec<&(String, String)> = codes.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let max_uses = i64::from(batch.uses_per_code);
    let mut added = 0;
    match conn {
        Conn::Sqlite(c) => {
            for chunk in sorted.chunks(SQLITE_CODES_CHUNK) {
                // Anonymous `?` parameters are numbered in the order they appear: the six of
                // the select list, then the pairs. `WHERE true` tells SQLite's parser that the
                // `ON CONFLICT` belongs to the insert.
                let sql = format!(
                    "INSERT INTO coupons ({}) SELECT column1, column2, ?, ?, ?, NULL, ?, ?, \
                     '[]', '[]', 'available', NULL, ? FROM (VALUES {}) WHERE true \
                     ON CONFLICT (code) DO NOTHING",
                    coupon_columns!(),
                    vec!["(?, ?)"; chunk.len()].join(", "),
                );
                let mut query = sqlx::query(&sql)
                    .bind(batch.promotion.as_str())
                    .bind(batch.id.as_str())
                    .bind(max_uses)
                    .bind(batch.starts_at)
                    .bind(batch.ends_at)
                    .bind(now);
                for (code, display) in chunk {
                    query = query.bind(code.as_str()).bind(display.as_str());
                }
                added += query.execute(&mut **c).await?.rows_affected();
            }
        }
        Conn::Postgres(c) => {
            let sql = concat!(
                "INSERT INTO coupons (",
                coupon_columns!(),
                ") SELECT t.code, t.display, $3, $4, $5, NULL, $6, $7, '[]', '[]', 'available', \
                 NULL, $8 FROM UNNEST($1::text[], $2::text[]) AS t(code, display) \
                 ON CONFLICT (code) DO NOTHING"
            );
            for chunk in sorted.chunks(POSTGRES_CODES_CHUNK) {
                let code_list: Vec<&str> = chunk.iter().map(|(code, _)| code.as_str()).collect();
                let displays: Vec<&str> = chunk.iter().map(|(_, d)| d.as_str()).collect();
                added += sqlx::query(sql)
                    .bind(&code_list)
                    .bind(&displays)
                    .bind(batch.promotion.as_str())
                    .bind(batch.id.as_str())
                    .bind(max_uses)
                    .bind(batch.starts_at)
                    .bind(batch.ends_at)
                    .bind(now)
                    .execute(&mut **c)
                    .await?
                    .rows_affected();
            }
        }
    }
    // A code that is a voucher's is not the batch's too (codes are unique across both): such a
    // generated code is taken back, and the caller makes up the difference.
    let collided = on!(conn, |c| sqlx::query(
        "DELETE FROM coupons WHERE code IN (SELECT v.code FROM vouchers v) AND batch = $1"
    )
    .bind(batch_id)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    added = added.saturating_sub(collided);
    let after = json!({"added": added}).to_string();
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (BATCH, batch_id),
        (None, Some(after)),
    )
    .await?;
    Ok(added)
}

/// The batch's available codes with no redemption at all, in code order.
const UNUSED: &str = "SELECT code FROM coupons c WHERE batch = $1 AND state = 'available' \
    AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.code = c.code) ORDER BY code LIMIT $2";

pub(crate) async fn disable_unused(
    conn: &mut Conn<'_>,
    actor: &Actor,
    batch_id: &str,
    count: u64,
    now: Millis,
) -> Result<u64> {
    existing_batch(conn, batch_id, false).await?;
    let mut disabled = 0;
    match conn {
        // The writer excludes every other: what the subquery finds unused stays so.
        Conn::Sqlite(c) => {
            let sql = format!("UPDATE coupons SET state = 'disabled' WHERE code IN ({UNUSED})");
            disabled = sqlx::query(&sql)
                .bind(batch_id)
                .bind(i64::try_from(count).unwrap_or(i64::MAX))
                .execute(&mut **c)
                .await?
                .rows_affected();
        }
        // Candidates are locked first; a reservation that held one of them before has committed
        // by then, and the update, a new statement, sees its redemption and skips that code.
        // Reservations that come after see the code disabled. Repeat for the skipped ones.
        Conn::Postgres(c) => {
            let lock = format!("{UNUSED} FOR UPDATE OF c");
            while disabled < count {
                let candidates: Vec<String> = sqlx::query_scalar(&lock)
                    .bind(batch_id)
                    .bind(i64::try_from(count - disabled).unwrap_or(i64::MAX))
                    .fetch_all(&mut **c)
                    .await?;
                if candidates.is_empty() {
                    break;
                }
                disabled += sqlx::query(
                    "UPDATE coupons c SET state = 'disabled' WHERE code = ANY($1) \
                     AND state = 'available' \
                     AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.code = c.code)",
                )
                .bind(&candidates)
                .execute(&mut **c)
                .await?
                .rows_affected();
            }
        }
    }
    let after = json!({"disabled": disabled}).to_string();
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (BATCH, batch_id),
        (None, Some(after)),
    )
    .await?;
    Ok(disabled)
}

pub(crate) async fn batch_counts(
    conn: &mut Conn<'_>,
    batch_id: &str,
    now: Millis,
) -> Result<BatchCounts> {
    existing_batch(conn, batch_id, false).await?;
    let (generated, available, distributed, disabled): (i64, i64, i64, i64) =
        on!(conn, |c| sqlx::query_as(
            "SELECT COUNT(*), \
             COUNT(CASE WHEN state = 'available' THEN 1 END), \
             COUNT(CASE WHEN state = 'distributed' THEN 1 END), \
             COUNT(CASE WHEN state = 'disabled' THEN 1 END) \
             FROM coupons WHERE batch = $1"
        )
        .bind(batch_id)
        .fetch_one(c)
        .await)?;
    let (reserved, redeemed) = codes_in_use(conn, "batch", batch_id, now).await?;
    let expired = expired_codes(conn, "batch", batch_id, now).await?;
    Ok(BatchCounts {
        generated: count_u64(generated),
        available: count_u64(available),
        distributed: count_u64(distributed),
        disabled: count_u64(disabled),
        reserved: count_u64(reserved),
        redeemed: count_u64(redeemed),
        expired: count_u64(expired),
    })
}

/// Codes of a batch or a relay (`column` is `batch` or `relay`) with a live reservation, and
/// with a confirmed redemption, at `now`.
pub(crate) async fn codes_in_use(
    conn: &mut Conn<'_>,
    column: &str,
    key: &str,
    now: Millis,
) -> Result<(i64, i64)> {
    let sql = format!(
        "SELECT \
         COUNT(DISTINCT CASE WHEN r.state = 'reserved' THEN r.code END), \
         COUNT(DISTINCT CASE WHEN r.state = 'confirmed' THEN r.code END) \
         FROM coupons c JOIN redemptions r ON r.code = c.code \
         WHERE c.{column} = $1 AND r.state IN ('confirmed', 'reserved') \
         AND (r.state = 'confirmed' OR r.expires_at > $2)"
    );
    let counts: (i64, i64) = on!(conn, |c| sqlx::query_as(&sql)
        .bind(key)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(counts)
}

/// Codes of a batch or a relay (`column` is `batch` or `relay`) past their end date at `now` and
/// never redeemed.
pub(crate) async fn expired_codes(
    conn: &mut Conn<'_>,
    column: &str,
    key: &str,
    now: Millis,
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM coupons c WHERE c.{column} = $1 AND c.ends_at IS NOT NULL \
         AND c.ends_at <= $2 AND NOT EXISTS (SELECT 1 FROM redemptions r \
         WHERE r.code = c.code AND r.state = 'confirmed')"
    );
    let n: i64 = on!(conn, |c| sqlx::query_scalar(&sql)
        .bind(key)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(n)
}

// Redemptions, in their own file; declared here, after the macros and helpers it uses.
#[path = "sql_redemptions.rs"]
mod redemptions;
pub(super) use redemptions::replay;
pub(crate) use redemptions::*;
