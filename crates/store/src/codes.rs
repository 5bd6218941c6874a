//! Coupon codes and their redemptions: shared coupons (one code, many customers) and codes of
//! generated batches (single- or N-use), reserved when an order is placed, confirmed when it is
//! paid, cancelled to release.
//!
//! Invariant: a reservation is one transaction that reads the code's and the customer's counts
//! and inserts the redemption, serialised per code (`BEGIN IMMEDIATE` on SQLite, a row lock on
//! the code on PostgreSQL), so limits hold under any concurrency, across instances.
//!
//! A use counts while its redemption is confirmed, or reserved with `expires_at` still ahead
//! (`expires_at > now`). Changes to coupons and batches are audited (entities `coupon` and
//! `batch`); redemptions are not (they are their own log). Nothing here bumps the documents'
//! revision ([`crate::Store::revision`]).

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Actor, Millis, Result};

/// How codes are compared: upper case, without spaces, dashes, dots or underscores.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    /// Can be used.
    Available,
    /// Handed to a relay; can be used.
    Distributed,
    /// Switched off (a shrunk batch, or by hand): refused as `disabled`.
    Disabled,
}

impl CodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Available => "available",
            CodeState::Distributed => "distributed",
            CodeState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<CodeState> {
        [
            CodeState::Available,
            CodeState::Distributed,
            CodeState::Disabled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A code: shared (no batch) or one of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// Normalised ([`normalize_code`]); unique across the store.
    pub code: String,
    /// As it is shown to customers (with its separators).
    pub display: String,
    /// The promotion it unlocks.
    pub promotion: String,
    pub batch: Option<String>,
    /// Uses allowed in all (reserved and confirmed count); `None`: unlimited.
    pub max_uses: Option<u32>,
    /// Uses allowed per customer; `None`: unlimited.
    pub uses_per_customer: Option<u32>,
    pub starts_at: Option<Millis>,
    pub ends_at: Option<Millis>,
    /// When not empty, only these customers may use it.
    pub customers: Vec<String>,
    /// When not empty, only members of these groups may use it.
    pub groups: Vec<String>,
    pub state: CodeState,
    pub relay: Option<String>,
    pub created_at: Millis,
}

/// A batch of generated codes for one promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub id: String,
    pub promotion: String,
    /// How its codes were made, for growing it later.
    pub prefix: String,
    pub length: u32,
    pub pattern: Option<String>,
    pub uses_per_code: u32,
    /// Codes wanted (the enabled ones number this many once generated).
    pub quota: u32,
    pub starts_at: Option<Millis>,
    pub ends_at: Option<Millis>,
    pub created_at: Millis,
}

/// Counts of a batch's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BatchCounts {
    pub generated: u64,
    pub available: u64,
    pub distributed: u64,
    pub disabled: u64,
    /// Codes with at least one live reservation (not confirmed, not expired).
    pub reserved: u64,
    /// Codes with at least one confirmed redemption.
    pub redeemed: u64,
    /// Codes past their end date that were never redeemed.
    pub expired: u64,
}

/// Which coupons a list returns, in code order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CouponQuery {
    pub batch: Option<String>,
    pub promotion: Option<String>,
    /// Shared coupons only (no batch).
    pub shared_only: bool,
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionState {
    Reserved,
    Confirmed,
    Cancelled,
    Expired,
}

impl RedemptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            RedemptionState::Reserved => "reserved",
            RedemptionState::Confirmed => "confirmed",
            RedemptionState::Cancelled => "cancelled",
            RedemptionState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<RedemptionState> {
        [
            RedemptionState::Reserved,
            RedemptionState::Confirmed,
            RedemptionState::Cancelled,
            RedemptionState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One use of a code by one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redemption {
    pub id: String,
    pub code: String,
    pub promotion: String,
    pub customer: Option<String>,
    pub order_id: String,
    pub idempotency_key: String,
    pub state: RedemptionState,
    pub reserved_at: Millis,
    /// A reservation not confirmed by then no longer counts, and is marked expired.
    pub expires_at: Millis,
    pub confirmed_at: Option<Millis>,
    pub cancelled_at: Option<Millis>,
    /// What a voucher redemption takes of the voucher; `None` for a coupon's. (A voucher's
    /// redemption has an empty `promotion`.)
    pub amount: Option<Decimal>,
    /// The id of the API key that made it: only that key (or a management key) reaches it.
    /// Empty for redemptions made before keys owned them.
    pub api_key: String,
}

/// What a reservation asks.
#[derive(Debug, Clone, PartialEq)]
pub struct ReserveRequest {
    /// The new redemption's id (the caller makes it).
    pub id: String,
    /// Normalised.
    pub code: String,
    pub customer: Option<String>,
    /// The customer's groups, for codes limited to groups.
    pub groups: Vec<String>,
    pub order_id: String,
    /// Unique per API key.
    pub idempotency_key: String,
    /// The id of the API key that asks: it owns the redemption.
    pub api_key: String,
    pub now: Millis,
    pub expires_at: Millis,
    /// The usage limits of the code's promotion (the server knows them; the store does not),
    /// counted over every code of the promotion in the same transaction.
    pub promotion_limits: PromotionLimits,
}

/// A promotion's own usage limits; `None`: unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromotionLimits {
    pub total_uses: Option<u32>,
    pub uses_per_customer: Option<u32>,
}

/// Why a code cannot be used (or a redemption step refused). Stable names, shown to shops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Unknown,
    Disabled,
    NotYetValid,
    Expired,
    UsedUp,
    /// The customer used it as often as allowed.
    CustomerLimitReached,
    /// The code's promotion reached its own usage limit (in all, or for this customer), counted
    /// over all its codes.
    PromotionLimitReached,
    NotForCustomer,
    /// The idempotency key was used for another code, customer or order.
    IdempotencyKeyReused,
    /// Confirm or cancel of a redemption that is no longer reserved (cancelled, expired).
    NotReserved,
    /// A voucher reservation asked more than the voucher has available.
    AmountTooLarge,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::Disabled => "disabled",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::Expired => "expired",
            Refusal::UsedUp => "used_up",
            Refusal::CustomerLimitReached => "customer_limit_reached",
            Refusal::PromotionLimitReached => "promotion_limit_reached",
            Refusal::NotForCustomer => "not_for_customer",
            Refusal::IdempotencyKeyReused => "idempotency_key_reused",
            Refusal::NotReserved => "not_reserved",
            Refusal::AmountTooLarge => "amount_too_large",
        }
    }
}

/// Why `coupon` cannot be used at `now` by this customer, given its uses so far: the one rule
/// that the store's reservation (atomically) and the server's checks and evaluations follow.
/// A code limited per customer needs a customer: without one, it is `NotForCustomer`.
pub fn refusal(
    coupon: &Coupon,
    customer: Option<&str>,
    groups: &[String],
    usage: Usage,
    now: Millis,
) -> Option<Refusal> {
    if coupon.state == CodeState::Disabled {
        return Some(Refusal::Disabled);
    }
    if coupon.starts_at.is_some_and(|starts| now < starts) {
        return Some(Refusal::NotYetValid);
    }
    if coupon.ends_at.is_some_and(|ends| now >= ends) {
        return Some(Refusal::Expired);
    }
    let listed = customer.is_some_and(|c| coupon.customers.iter().any(|x| x == c));
    if !coupon.customers.is_empty() && !listed {
        return Some(Refusal::NotForCustomer);
    }
    if !coupon.groups.is_empty() && !groups.iter().any(|g| coupon.groups.contains(g)) {
        return Some(Refusal::NotForCustomer);
    }
    if coupon.uses_per_customer.is_some() && customer.is_none() {
        return Some(Refusal::NotForCustomer);
    }
    if coupon.max_uses.is_some_and(|max| usage.uses >= max) {
        return Some(Refusal::UsedUp);
    }
    if coupon
        .uses_per_customer
        .is_some_and(|max| usage.customer_uses >= max)
    {
        return Some(Refusal::CustomerLimitReached);
    }
    None
}

/// Uses of a code so far (live reservations and confirmed redemptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub uses: u32,
    pub customer_uses: u32,
}

/// Codes and redemptions. Both backends pass `tests/codes.rs`.
#[async_trait]
pub trait Codes: Send + Sync {
    /// Creates a shared coupon; [`crate::Error::AlreadyExists`] if the code exists (in any batch).
    async fn create_coupon(&self, actor: &Actor, coupon: &Coupon) -> Result<()>;

    /// The coupon with this (normalised) code.
    async fn get_coupon(&self, code: &str) -> Result<Option<Coupon>>;

    async fn list_coupons(&self, query: &CouponQuery) -> Result<Vec<Coupon>>;

    /// Sets a code's state (disable, enable, mark distributed to a relay); `relay` replaces the
    /// stored one (`None` clears it). [`crate::Error::NotFound`] for an unknown code.
    async fn set_coupon_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
        relay: Option<&str>,
    ) -> Result<Coupon>;

    /// Creates an empty batch; [`crate::Error::AlreadyExists`] on a duplicate id.
    async fn create_batch(&self, actor: &Actor, batch: &Batch) -> Result<()>;

    async fn get_batch(&self, id: &str) -> Result<Option<Batch>>;

    /// Every batch, oldest first.
    async fn list_batches(&self) -> Result<Vec<Batch>>;

    /// Changes a batch's quota (the caller then adds or disables codes).
    /// [`crate::Error::NotFound`] for an unknown batch.
    async fn set_batch_quota(&self, actor: &Actor, id: &str, quota: u32) -> Result<Batch>;

    /// Adds codes (already normalised and formatted: `(code, display)`) to a batch, with the
    /// batch's uses and dates, in one transaction. Codes that already exist anywhere are skipped;
    /// returns how many were inserted, so the caller can make up the difference. One audit entry
    /// for the whole call (`{"added": n}`). [`crate::Error::NotFound`] for an unknown batch.
    async fn add_batch_codes(
        &self,
        actor: &Actor,
        batch: &str,
        codes: &[(String, String)],
    ) -> Result<u64>;

    /// Disables up to `count` of the batch's available codes that were never used (no
    /// redemption at all, in any state), in code order; returns how many. One audit entry
    /// (`{"disabled": n}`). [`crate::Error::NotFound`] for an unknown batch.
    async fn disable_unused(&self, actor: &Actor, batch: &str, count: u64) -> Result<u64>;

    /// The batch's codes by state and by use at `now`. [`crate::Error::NotFound`] for an unknown
    /// batch.
    async fn batch_counts(&self, batch: &str, now: Millis) -> Result<BatchCounts>;

    /// Reserves one use of a code for an order, atomically: checks state, dates, customer and
    /// group restrictions, the code's uses and the customer's uses (live reservations and
    /// confirmed redemptions count), then records the reservation. The same idempotency key with
    /// the same code, customer and order returns the first answer's redemption (as it is now,
    /// whatever its state), with any other it is [`Refusal::IdempotencyKeyReused`]; the key is
    /// checked before anything else. A refusal writes nothing. A new `id` that is taken is
    /// [`crate::Error::AlreadyExists`].
    ///
    /// Checks, in order: key, unknown code, disabled, `now < starts_at` (not yet valid),
    /// `now >= ends_at` (expired), customers, groups, the code's uses against `max_uses`, the
    /// customer's uses against `uses_per_customer` (only with a customer).
    async fn reserve(
        &self,
        request: &ReserveRequest,
    ) -> Result<std::result::Result<Redemption, Refusal>>;

    /// Confirms a reservation (idempotent: a confirmed one is returned as it is). One past its
    /// expiry (marked expired or not yet) or cancelled is [`Refusal::NotReserved`]; an unknown id
    /// is [`crate::Error::NotFound`].
    async fn confirm(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>>;

    /// Cancels a reservation or a confirmed redemption, releasing the use (idempotent: a cancelled
    /// one is returned as it is). An expired one is [`Refusal::NotReserved`]; an unknown id is
    /// [`crate::Error::NotFound`].
    async fn cancel(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>>;

    async fn get_redemption(&self, id: &str) -> Result<Option<Redemption>>;

    /// Marks reservations past their expiry (`expires_at <= now`) as expired; returns how many.
    async fn expire_reservations(&self, now: Millis) -> Result<u64>;

    /// Counts one failed code look-up for each subject, in the window that starts at `window`.
    async fn record_failed_lookup(&self, subjects: &[String], window: Millis) -> Result<()>;

    /// The most failed look-ups one of `subjects` has in the window that starts at `window`.
    async fn failed_lookups(&self, subjects: &[String], window: Millis) -> Result<u32>;

    /// Forgets the windows that started before `before`; returns how many rows went.
    async fn forget_failed_lookups(&self, before: Millis) -> Result<u64>;

    /// Uses of a code at `now`, in all and by this customer (0 without one).
    async fn code_usage(&self, code: &str, customer: Option<&str>, now: Millis) -> Result<Usage>;

    /// Uses so far of every code of a promotion, in all and by this customer: what counts
    /// against the promotion's own usage limits.
    async fn promotion_usage(
        &self,
        promotion: &str,
        customer: Option<&str>,
        now: Millis,
    ) -> Result<Usage>;
}
