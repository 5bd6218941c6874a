//! Vouchers: the SQL both backends share, and the semantics of [`crate::Vouchers`], written once.
//!
//! Locking as for coupons (see `sql_codes.rs`): on SQLite every write runs in the one
//! `BEGIN IMMEDIATE` writer; on PostgreSQL a reservation, a confirmation and a cancellation lock
//! the voucher's row (`SELECT … FOR UPDATE`), so its balance and live reservations cannot change
//! under them. Creating a coupon or a voucher takes a transaction-scoped advisory lock on the code
//! (PostgreSQL), so a coupon and a voucher of the same code cannot both be created.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::json;

use super::codes::{advisory_lock, already_exists, audit_json, audit_one, not_found, replay};
use super::{Conn, corrupt};
use crate::codes::{CodeState, Redemption, RedemptionState, Refusal, ReserveRequest};
use crate::vouchers::{Voucher, VoucherQuery, VoucherUsage, voucher_refusal};
use crate::{Action, Actor, Millis, Result};

/// The `kind` of errors and the `entity` of audit entries.
const VOUCHER: &str = "voucher";

macro_rules! voucher_columns {
    () => {
        "code, display, amount, balance, keeps_balance, customers, skus, selections, starts_at, \
         ends_at, state, created_at"
    };
}

/// A stored decimal.
pub(super) fn decimal(kind: &str, id: &str, field: &str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text).map_err(|e| corrupt(kind, id, format!("{field} `{text}`: {e}")))
}

#[derive(sqlx::FromRow)]
struct VoucherRow {
    code: String,
    display: String,
    amount: String,
    balance: String,
    keeps_balance: bool,
    customers: String,
    skus: String,
    selections: String,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    state: String,
    created_at: i64,
}

impl VoucherRow {
    fn into_voucher(self) -> Result<Voucher> {
        let code = &self.code;
        let list = |field: &str, text: &str| -> Result<Vec<String>> {
            serde_json::from_str(text).map_err(|e| corrupt(VOUCHER, code, format!("{field}: {e}")))
        };
        let customers = list("customers", &self.customers)?;
        let skus = list("skus", &self.skus)?;
        let selections = list("selections", &self.selections)?;
        let amount = decimal(VOUCHER, code, "amount", &self.amount)?;
        let balance = decimal(VOUCHER, code, "balance", &self.balance)?;
        let state = CodeState::parse(&self.state)
            .ok_or_else(|| corrupt(VOUCHER, code, format!("unknown state `{}`", self.state)))?;
        Ok(Voucher {
            code: self.code,
            display: self.display,
            amount,
            balance,
            keeps_balance: self.keeps_balance,
            customers,
            skus,
            selections,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            state,
            created_at: self.created_at,
        })
    }
}

/// Serialises the creation of coupons and vouchers of one code until the transaction ends.
pub(super) async fn lock_code(conn: &mut Conn<'_>, code: &str) -> Result<()> {
    advisory_lock(conn, &format!("code:{code}")).await
}

/// Whether a code is a voucher's.
pub(super) async fn is_voucher(conn: &mut Conn<'_>, code: &str) -> Result<bool> {
    let n: i64 = on!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM vouchers WHERE code = $1"
    )
    .bind(code)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

async fn fetch_voucher(conn: &mut Conn<'_>, code: &str, lock: bool) -> Result<Option<Voucher>> {
    let lock = match (lock, &*conn) {
        (true, Conn::Postgres(_)) => " FOR UPDATE",
        _ => "",
    };
    let sql = format!(
        "SELECT {} FROM vouchers WHERE code = $1{lock}",
        voucher_columns!()
    );
    let row = on!(conn, |c| sqlx::query_as::<_, VoucherRow>(&sql)
        .bind(code)
        .fetch_optional(c)
        .await)?;
    row.map(VoucherRow::into_voucher).transpose()
}

pub(crate) async fn create_voucher(
    conn: &mut Conn<'_>,
    actor: &Actor,
    voucher: &Voucher,
    now: Millis,
) -> Result<()> {
    let code = voucher.code.as_str();
    lock_code(conn, code).await?;
    let coupons: i64 = on!(conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM coupons WHERE code = $1"
    )
    .bind(code)
    .fetch_one(c)
    .await)?;
    if coupons > 0 {
        return Err(already_exists(VOUCHER, code));
    }
    let customers = audit_json(VOUCHER, code, &voucher.customers)?;
    let skus = audit_json(VOUCHER, code, &voucher.skus)?;
    let selections = audit_json(VOUCHER, code, &voucher.selections)?;
    let sql = concat!(
        "INSERT INTO vouchers (",
        voucher_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (code) DO NOTHING"
    );
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(code)
        .bind(voucher.display.as_str())
        .bind(voucher.amount.to_string())
        .bind(voucher.balance.to_string())
        .bind(voucher.keeps_balance)
        .bind(customers.as_str())
        .bind(skus.as_str())
        .bind(selections.as_str())
        .bind(voucher.starts_at)
        .bind(voucher.ends_at)
        .bind(voucher.state.as_str())
        .bind(voucher.created_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return Err(already_exists(VOUCHER, code));
    }
    let after = audit_json(VOUCHER, code, voucher)?;
    audit_one(
        conn,
        actor,
        now,
        Action::Create,
        (VOUCHER, code),
        (None, Some(after)),
    )
    .await
}

pub(crate) async fn get_voucher(conn: &mut Conn<'_>, code: &str) -> Result<Option<Voucher>> {
    fetch_voucher(conn, code, false).await
}

pub(crate) async fn list_vouchers(
    conn: &mut Conn<'_>,
    query: &VoucherQuery,
) -> Result<Vec<Voucher>> {
    let after = query.after.as_deref();
    let sql = match after {
        Some(_) => concat!(
            "SELECT ",
            voucher_columns!(),
            " FROM vouchers WHERE code > $1 ORDER BY code LIMIT $2"
        ),
        None => concat!(
            "SELECT ",
            voucher_columns!(),
            " FROM vouchers ORDER BY code LIMIT $1"
        ),
    };
    let limit = i64::from(query.limit);
    let rows = on!(conn, |c| {
        let q = sqlx::query_as::<_, VoucherRow>(sql);
        match after {
            Some(after) => q.bind(after).bind(limit).fetch_all(c).await,
            None => q.bind(limit).fetch_all(c).await,
        }
    })?;
    rows.into_iter().map(VoucherRow::into_voucher).collect()
}

pub(crate) async fn set_voucher_state(
    conn: &mut Conn<'_>,
    actor: &Actor,
    code: &str,
    state: CodeState,
    now: Millis,
) -> Result<Voucher> {
    let Some(mut voucher) = fetch_voucher(conn, code, true).await? else {
        return Err(not_found(VOUCHER, code));
    };
    let before = json!({"state": voucher.state.as_str()}).to_string();
    on!(conn, |c| sqlx::query(
        "UPDATE vouchers SET state = $2 WHERE code = $1"
    )
    .bind(code)
    .bind(state.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    voucher.state = state;
    let after = json!({"state": state.as_str()}).to_string();
    audit_one(
        conn,
        actor,
        now,
        Action::Update,
        (VOUCHER, code),
        (Some(before), Some(after)),
    )
    .await?;
    Ok(voucher)
}

/// What is available of `voucher` at `now` and its live uses: its balance minus what live
/// reservations hold (summed as decimals), never below zero.
async fn usage_of(conn: &mut Conn<'_>, voucher: &Voucher, now: Millis) -> Result<VoucherUsage> {
    let rows: Vec<(String, Option<String>)> = on!(conn, |c| sqlx::query_as(
        "SELECT state, amount FROM redemptions WHERE code = $1 \
         AND state IN ('confirmed', 'reserved') AND (state = 'confirmed' OR expires_at > $2)"
    )
    .bind(voucher.code.as_str())
    .bind(now)
    .fetch_all(c)
    .await)?;
    let mut held = Decimal::ZERO;
    for (state, amount) in &rows {
        if state == "reserved"
            && let Some(amount) = amount
        {
            held += decimal(VOUCHER, &voucher.code, "redemption amount", amount)?;
        }
    }
    let available = (voucher.balance - held).max(Decimal::ZERO);
    Ok(VoucherUsage {
        available,
        uses: u32::try_from(rows.len()).unwrap_or(u32::MAX),
    })
}

pub(crate) async fn voucher_usage(
    conn: &mut Conn<'_>,
    code: &str,
    now: Millis,
) -> Result<VoucherUsage> {
    let Some(voucher) = fetch_voucher(conn, code, false).await? else {
        return Err(not_found(VOUCHER, code));
    };
    usage_of(conn, &voucher, now).await
}

pub(crate) async fn reserve_voucher(
    conn: &mut Conn<'_>,
    request: &ReserveRequest,
    amount: Decimal,
) -> Result<std::result::Result<Redemption, Refusal>> {
    // The lock first (PostgreSQL), as for coupons: a concurrent request with the same key has
    // then committed, and the replay finds it.
    let voucher = fetch_voucher(conn, &request.code, true).await?;
    if let Some(answer) = replay(conn, request).await? {
        return Ok(answer);
    }
    let Some(voucher) = voucher else {
        return Ok(Err(Refusal::Unknown));
    };
    let usage = usage_of(conn, &voucher, request.now).await?;
    if let Some(refusal) =
        voucher_refusal(&voucher, request.customer.as_deref(), usage, request.now)
    {
        return Ok(Err(refusal));
    }
    if amount <= Decimal::ZERO || amount > usage.available {
        return Ok(Err(Refusal::AmountTooLarge));
    }
    let redemption = Redemption {
        id: request.id.clone(),
        code: voucher.code,
        promotion: String::new(),
        customer: request.customer.clone(),
        order_id: request.order_id.clone(),
        idempotency_key: request.idempotency_key.clone(),
        state: RedemptionState::Reserved,
        reserved_at: request.now,
        expires_at: request.expires_at,
        confirmed_at: None,
        cancelled_at: None,
        amount: Some(amount),
        api_key: request.api_key.clone(),
    };
    let sql = "INSERT INTO redemptions (id, code, promotion, customer, order_id, idempotency_key, \
               state, reserved_at, expires_at, confirmed_at, cancelled_at, amount, api_key) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11) \
               ON CONFLICT DO NOTHING";
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(redemption.id.as_str())
        .bind(redemption.code.as_str())
        .bind(redemption.promotion.as_str())
        .bind(redemption.customer.as_deref())
        .bind(redemption.order_id.as_str())
        .bind(redemption.idempotency_key.as_str())
        .bind(redemption.state.as_str())
        .bind(redemption.reserved_at)
        .bind(redemption.expires_at)
        .bind(amount.to_string())
        .bind(redemption.api_key.as_str())
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return match replay(conn, request).await? {
            Some(answer) => Ok(answer),
            None => Err(already_exists("redemption", &request.id)),
        };
    }
    Ok(Ok(redemption))
}

/// How a redemption's change of state moves its voucher's balance.
#[derive(Clone, Copy)]
pub(super) enum BalanceChange {
    /// A reservation was confirmed: the amount (or, used up whole, everything) is spent.
    Spend,
    /// A confirmed redemption was cancelled: the amount (or, used up whole, the full amount)
    /// comes back.
    GiveBack,
}

/// Applies `change` to the balance of the voucher `redemption` took from, in the caller's
/// transaction (the voucher's row locked on PostgreSQL). Nothing for a coupon's redemption.
pub(super) async fn move_balance(
    conn: &mut Conn<'_>,
    redemption: &Redemption,
    change: BalanceChange,
) -> Result<()> {
    let Some(amount) = redemption.amount else {
        return Ok(());
    };
    let Some(voucher) = fetch_voucher(conn, &redemption.code, true).await? else {
        return Err(not_found(VOUCHER, &redemption.code));
    };
    let balance = match (change, voucher.keeps_balance) {
        (BalanceChange::Spend, true) => (voucher.balance - amount).max(Decimal::ZERO),
        (BalanceChange::Spend, false) => Decimal::ZERO,
        (BalanceChange::GiveBack, true) => (voucher.balance + amount).min(voucher.amount),
        (BalanceChange::GiveBack, false) => voucher.amount,
    };
    on!(conn, |c| sqlx::query(
        "UPDATE vouchers SET balance = $2 WHERE code = $1"
    )
    .bind(voucher.code.as_str())
    .bind(balance.to_string())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
