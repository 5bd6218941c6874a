//! The SQL of redemptions: reserving a use of a coupon (with its code's, customer's and
//! promotion's limits, in one transaction), confirming, cancelling, expiring, and counting uses.

use super::*;

async fn fetch_redemption(
    conn: &mut Conn<'_>,
    column: &str,
    value: &str,
    lock: bool,
) -> Result<Option<RedemptionRow>> {
    let sql = format!(
        "SELECT {} FROM redemptions WHERE {column} = $1{}",
        redemption_columns!(),
        if lock { for_update(conn) } else { "" }
    );
    let row = on!(conn, |c| sqlx::query_as::<_, RedemptionRow>(&sql)
        .bind(value)
        .fetch_optional(c)
        .await)?;
    Ok(row)
}

/// The answer for a request whose idempotency key was used already: the first redemption, as it
/// is now, if it was for the same code, customer and order; otherwise a refusal.
pub(in crate::sql) async fn replay(
    conn: &mut Conn<'_>,
    request: &ReserveRequest,
) -> Result<Option<std::result::Result<Redemption, Refusal>>> {
    let sql = concat!(
        "SELECT ",
        redemption_columns!(),
        " FROM redemptions WHERE api_key = $1 AND idempotency_key = $2"
    );
    let row = on!(conn, |c| sqlx::query_as::<_, RedemptionRow>(sql)
        .bind(request.api_key.as_str())
        .bind(request.idempotency_key.as_str())
        .fetch_optional(c)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let same = row.code == request.code
        && row.customer == request.customer
        && row.order_id == request.order_id;
    Ok(Some(if same {
        Ok(row.into_redemption()?)
    } else {
        Err(Refusal::IdempotencyKeyReused)
    }))
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What uses are counted by: one code, or every code of one promotion.
#[derive(Clone, Copy)]
enum UsesOf {
    Code,
    Promotion,
}

/// Live uses at `now` of a code or a promotion, by anyone or by one customer.
async fn count_uses(
    conn: &mut Conn<'_>,
    of: UsesOf,
    key: &str,
    now: Millis,
    customer: Option<&str>,
) -> Result<i64> {
    let column = match of {
        UsesOf::Code => "code",
        UsesOf::Promotion => "promotion",
    };
    let by_customer = if customer.is_some() {
        " AND customer = $3"
    } else {
        ""
    };
    let sql =
        format!("SELECT COUNT(*) FROM redemptions WHERE {column} = $1{by_customer} AND {LIVE}");
    let n: i64 = on!(conn, |c| {
        let query = sqlx::query_scalar(&sql).bind(key).bind(now);
        match customer {
            Some(customer) => query.bind(customer).fetch_one(c).await,
            None => query.fetch_one(c).await,
        }
    })?;
    Ok(n)
}

/// Uses of a code at `now`, by anyone.
async fn uses(conn: &mut Conn<'_>, code: &str, now: Millis) -> Result<i64> {
    count_uses(conn, UsesOf::Code, code, now, None).await
}

/// Uses of a code at `now` by one customer.
async fn customer_uses(
    conn: &mut Conn<'_>,
    code: &str,
    now: Millis,
    customer: &str,
) -> Result<i64> {
    count_uses(conn, UsesOf::Code, code, now, Some(customer)).await
}

/// Whether the promotion's own limits still admit one use. On PostgreSQL, reservations of one
/// promotion are serialised from here to the commit by a transaction-scoped advisory lock, taken
/// after the code's row lock (always in that order, so no two reservations wait on each other in
/// a cycle); on SQLite the single writer already serialises them.
async fn promotion_refusal(
    conn: &mut Conn<'_>,
    promotion: &str,
    request: &ReserveRequest,
    customer: Option<&str>,
) -> Result<Option<Refusal>> {
    let limits = request.promotion_limits;
    if limits.total_uses.is_none() && limits.uses_per_customer.is_none() {
        return Ok(None);
    }
    advisory_lock(conn, &format!("promotion:{promotion}")).await?;
    let usage = promotion_usage(conn, promotion, customer, request.now).await?;
    let over_total = limits.total_uses.is_some_and(|max| usage.uses >= max);
    let over_customer = customer.is_some()
        && limits
            .uses_per_customer
            .is_some_and(|max| usage.customer_uses >= max);
    Ok((over_total || over_customer).then_some(Refusal::PromotionLimitReached))
}

/// Uses at `now` of every code of a promotion, in all and by one customer.
pub(crate) async fn promotion_usage(
    conn: &mut Conn<'_>,
    promotion: &str,
    customer: Option<&str>,
    now: Millis,
) -> Result<Usage> {
    let all = count_uses(conn, UsesOf::Promotion, promotion, now, None).await?;
    let by_customer = match customer {
        Some(customer) => {
            count_uses(conn, UsesOf::Promotion, promotion, now, Some(customer)).await?
        }
        None => 0,
    };
    Ok(Usage {
        uses: count_u32(all),
        customer_uses: count_u32(by_customer),
    })
}

pub(crate) async fn reserve(
    conn: &mut Conn<'_>,
    request: &ReserveRequest,
) -> Result<std::result::Result<Redemption, Refusal>> {
    // The lock first (PostgreSQL): a concurrent request with the same key and code has then
    // committed, and the replay below finds it rather than counting it as a use.
    let row = fetch_coupon(conn, &request.code, true).await?;
    if let Some(answer) = replay(conn, request).await? {
        return Ok(answer);
    }
    let Some(row) = row else {
        return Ok(Err(Refusal::Unknown));
    };
    let coupon = row.into_coupon()?;
    let customer = request.customer.as_deref();
    // Uses are counted only where a limit needs them.
    let mut usage = Usage::default();
    if coupon.max_uses.is_some() {
        usage.uses = count(uses(conn, &coupon.code, request.now).await?);
    }
    if let (Some(customer), Some(_)) = (customer, coupon.uses_per_customer) {
        usage.customer_uses =
            count(customer_uses(conn, &coupon.code, request.now, customer).await?);
    }
    if let Some(refusal) = refusal(&coupon, customer, &request.groups, usage, request.now) {
        return Ok(Err(refusal));
    }
    if let Some(refusal) = promotion_refusal(conn, &coupon.promotion, request, customer).await? {
        return Ok(Err(refusal));
    }
    let redemption = Redemption {
        id: request.id.clone(),
        code: coupon.code,
        promotion: coupon.promotion,
        customer: request.customer.clone(),
        order_id: request.order_id.clone(),
        idempotency_key: request.idempotency_key.clone(),
        state: RedemptionState::Reserved,
        reserved_at: request.now,
        expires_at: request.expires_at,
        confirmed_at: None,
        cancelled_at: None,
        amount: None,
        api_key: request.api_key.clone(),
    };
    // Without a conflict target: a taken key (a concurrent request with the same key for another
    // code, committed meanwhile) and a taken id both insert nothing.
    let sql = concat!(
        "INSERT INTO redemptions (",
        redemption_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10) \
         ON CONFLICT DO NOTHING"
    );
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
        .bind(redemption.api_key.as_str())
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if rows == 0 {
        return match replay(conn, request).await? {
            Some(answer) => Ok(answer),
            None => Err(already_exists(REDEMPTION, &request.id)),
        };
    }
    Ok(Ok(redemption))
}

/// A redemption to confirm or cancel, locked (PostgreSQL) until the transaction ends.
async fn redemption_for_write(conn: &mut Conn<'_>, id: &str) -> Result<Redemption> {
    match fetch_redemption(conn, "id", id, true).await? {
        Some(row) => row.into_redemption(),
        None => Err(not_found(REDEMPTION, id)),
    }
}

async fn set_redemption_state(conn: &mut Conn<'_>, redemption: &Redemption) -> Result<()> {
    on!(conn, |c| sqlx::query(
        "UPDATE redemptions SET state = $2, confirmed_at = $3, cancelled_at = $4 WHERE id = $1"
    )
    .bind(redemption.id.as_str())
    .bind(redemption.state.as_str())
    .bind(redemption.confirmed_at)
    .bind(redemption.cancelled_at)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub(crate) async fn confirm(
    conn: &mut Conn<'_>,
    id: &str,
    now: Millis,
) -> Result<std::result::Result<Redemption, Refusal>> {
    let mut redemption = redemption_for_write(conn, id).await?;
    match redemption.state {
        RedemptionState::Confirmed => Ok(Ok(redemption)),
        RedemptionState::Reserved if now < redemption.expires_at => {
            redemption.state = RedemptionState::Confirmed;
            redemption.confirmed_at = Some(now);
            set_redemption_state(conn, &redemption).await?;
            super::super::vouchers::move_balance(conn, &redemption, BalanceChange::Spend).await?;
            Ok(Ok(redemption))
        }
        // Past its expiry (marked expired or not yet), or cancelled.
        RedemptionState::Reserved | RedemptionState::Cancelled | RedemptionState::Expired => {
            Ok(Err(Refusal::NotReserved))
        }
    }
}

pub(crate) async fn cancel(
    conn: &mut Conn<'_>,
    id: &str,
    now: Millis,
) -> Result<std::result::Result<Redemption, Refusal>> {
    let mut redemption = redemption_for_write(conn, id).await?;
    match redemption.state {
        RedemptionState::Cancelled => Ok(Ok(redemption)),
        RedemptionState::Reserved | RedemptionState::Confirmed => {
            let was_confirmed = redemption.state == RedemptionState::Confirmed;
            redemption.state = RedemptionState::Cancelled;
            redemption.cancelled_at = Some(now);
            set_redemption_state(conn, &redemption).await?;
            // A reservation held nothing of the balance; a confirmation spent it.
            if was_confirmed {
                super::super::vouchers::move_balance(conn, &redemption, BalanceChange::GiveBack)
                    .await?;
            }
            Ok(Ok(redemption))
        }
        RedemptionState::Expired => Ok(Err(Refusal::NotReserved)),
    }
}

pub(crate) async fn get_redemption(conn: &mut Conn<'_>, id: &str) -> Result<Option<Redemption>> {
    fetch_redemption(conn, "id", id, false)
        .await?
        .map(RedemptionRow::into_redemption)
        .transpose()
}

pub(crate) async fn expire_reservations(conn: &mut Conn<'_>, now: Millis) -> Result<u64> {
    let rows = on!(conn, |c| sqlx::query(
        "UPDATE redemptions SET state = 'expired' WHERE state = 'reserved' AND expires_at <= $1"
    )
    .bind(now)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(rows)
}

pub(crate) async fn code_usage(
    conn: &mut Conn<'_>,
    code: &str,
    customer: Option<&str>,
    now: Millis,
) -> Result<Usage> {
    let all = uses(conn, code, now).await?;
    let by_customer = match customer {
        Some(customer) => customer_uses(conn, code, now, customer).await?,
        None => 0,
    };
    Ok(Usage {
        uses: count_u32(all),
        customer_uses: count_u32(by_customer),
    })
}
