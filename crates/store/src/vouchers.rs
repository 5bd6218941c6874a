//! Vouchers ("bons d'achat"): a fixed amount for given customers, a validity period and a scope
//! (any purchase, selections, products). A voucher is a code like a coupon (codes are unique
//! across coupons and vouchers) and is reserved, confirmed and cancelled through the same
//! redemptions, which then carry the `amount` they take.
//!
//! Amounts are exact decimals, stored as TEXT and compared as [`Decimal`], never as floats.
//!
//! Invariant: `balance` is what is left after confirmed redemptions; what can be reserved now is
//! `balance` minus the amounts of live reservations (reserved, `expires_at > now`). A voucher that
//! does not keep a balance is used up whole: one live or confirmed use and it is `used_up`, and a
//! confirmation sets its balance to zero (a cancellation of that confirmation restores the full
//! amount). One that keeps a balance loses, on confirmation, what the redemption took, and gets
//! it back on cancellation. Reservations of one voucher are serialised like a coupon's (the
//! SQLite writer, a row lock on the voucher on PostgreSQL); a confirmation or cancellation changes
//! the balance in the same transaction as the redemption's state.

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Actor, CodeState, Millis, Redemption, Refusal, ReserveRequest, Result};

/// A voucher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Voucher {
    /// Normalised ([`crate::normalize_code`]); unique across coupons and vouchers.
    pub code: String,
    /// As it is shown to customers.
    pub display: String,
    /// What it was worth when created (more than zero).
    pub amount: Decimal,
    /// What is left after confirmed redemptions.
    pub balance: Decimal,
    /// Whether a use takes only what it spends (`true`) or the whole voucher (`false`).
    pub keeps_balance: bool,
    /// When not empty, only these customers may use it.
    pub customers: Vec<String>,
    /// With `selections`, the products it pays for; both empty: any purchase.
    pub skus: Vec<String>,
    pub selections: Vec<String>,
    pub starts_at: Option<Millis>,
    pub ends_at: Option<Millis>,
    /// `Available` or `Disabled`.
    pub state: CodeState,
    pub created_at: Millis,
}

/// Which vouchers a list returns, in code order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VoucherQuery {
    pub after: Option<String>,
    pub limit: u32,
}

/// Uses of a voucher at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VoucherUsage {
    /// `balance` minus the amounts of live reservations, never below zero.
    pub available: Decimal,
    /// Live reservations and confirmed redemptions.
    pub uses: u32,
}

/// Why `voucher` cannot be used at `now` by this customer (before any amount is asked): the one
/// rule the store's reservation and the server's checks and evaluations follow. A voucher limited
/// to customers needs a customer.
pub fn voucher_refusal(
    voucher: &Voucher,
    customer: Option<&str>,
    usage: VoucherUsage,
    now: Millis,
) -> Option<Refusal> {
    if voucher.state == CodeState::Disabled {
        return Some(Refusal::Disabled);
    }
    if voucher.starts_at.is_some_and(|starts| now < starts) {
        return Some(Refusal::NotYetValid);
    }
    if voucher.ends_at.is_some_and(|ends| now >= ends) {
        return Some(Refusal::Expired);
    }
    let listed = customer.is_some_and(|c| voucher.customers.iter().any(|x| x == c));
    if !voucher.customers.is_empty() && !listed {
        return Some(Refusal::NotForCustomer);
    }
    if usage.available <= Decimal::ZERO || (!voucher.keeps_balance && usage.uses > 0) {
        return Some(Refusal::UsedUp);
    }
    None
}

/// Vouchers. Both backends pass `tests/vouchers.rs`. Confirming and cancelling a voucher's
/// redemption goes through [`crate::Codes::confirm`] and [`crate::Codes::cancel`] (one id space).
#[async_trait]
pub trait Vouchers: Send + Sync {
    /// Creates a voucher; [`crate::Error::AlreadyExists`] if the code exists as a voucher or as a
    /// coupon.
    async fn create_voucher(&self, actor: &Actor, voucher: &Voucher) -> Result<()>;

    /// The voucher with this (normalised) code.
    async fn get_voucher(&self, code: &str) -> Result<Option<Voucher>>;

    async fn list_vouchers(&self, query: &VoucherQuery) -> Result<Vec<Voucher>>;

    /// Disables or enables a voucher. [`crate::Error::NotFound`] for an unknown code.
    async fn set_voucher_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
    ) -> Result<Voucher>;

    /// What is available of a voucher at `now`, and its uses. [`crate::Error::NotFound`] for an
    /// unknown code.
    async fn voucher_usage(&self, code: &str, now: Millis) -> Result<VoucherUsage>;

    /// Reserves `amount` of a voucher for an order, atomically. The idempotency key behaves as in
    /// [`crate::Codes::reserve`] (checked first; the same code, customer and order get the first
    /// redemption back). Checks, in order: key, unknown code (a coupon's code is unknown here),
    /// disabled, not yet valid, expired, customers, used up, then `amount` against what is
    /// available ([`Refusal::AmountTooLarge`]; an amount not above zero is refused so too). A
    /// refusal writes nothing.
    async fn reserve_voucher(
        &self,
        request: &ReserveRequest,
        amount: Decimal,
    ) -> Result<std::result::Result<Redemption, Refusal>>;
}
