//! The B2B step of pricing (DESIGN §2.3–2.4), shared by cart lines and catalog prices: among the
//! discounts of the customer's scopes that reach a product, live at the request's instant and
//! whose minimum quantity the cart reaches, the most specific level wins, then the lowest unit
//! price, then the older offer, the smaller offer code, commitment number and discount code.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{AppliedOffer, Day, OfferCandidate, OfferReason, Period, ScopeRef, TieBreak};
use crate::cart::Customer;
use crate::money::Money;
use crate::snapshot::Snapshot;
use crate::snapshot::b2b::{
    CompiledCommitment, CompiledDiscount, CompiledOffer, Live, ScopeEntry, Value, sku_hash,
};

/// The scope entries that hold offers for one customer: their own, their groups', their
/// collection point's and everyone's. Empty when none does, which is what pricing checks first.
pub(crate) struct Scopes<'s> {
    entries: SmallVec<[&'s ScopeEntry; 4]>,
}

impl Snapshot {
    /// The scopes of `customer`, whose groups known to the snapshot are `groups` (interned ids).
    pub(crate) fn scopes(&self, customer: &Customer, groups: &[u32]) -> Scopes<'_> {
        let c = &self.contracts;
        let mut entries = SmallVec::new();
        if c.is_empty() {
            return Scopes { entries };
        }
        if let Some(entry) = customer.id.as_deref().and_then(|id| c.customers.get(id)) {
            entries.push(&**entry);
        }
        for &g in groups {
            if let Some(Some(entry)) = c.groups.get(g as usize) {
                entries.push(&**entry);
            }
        }
        if let Some(entry) = customer
            .collection_point
            .as_deref()
            .and_then(|p| c.points.get(p))
        {
            entries.push(&**entry);
        }
        if let Some(entry) = &c.all {
            entries.push(&**entry);
        }
        Scopes { entries }
    }
}

/// Whether a discount that reaches the product may price it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Eligible,
    /// Before this first day of the offer or the commitment.
    NotStarted(Period, Date),
    /// After this last day of the offer or the commitment.
    Ended(Period, Date),
    /// The cart holds this many units of the sku, fewer than the minimum.
    QuantityNotReached(u32),
}

/// A discount that reached a product, and what it gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'s> {
    pub offer: &'s CompiledOffer,
    pub commitment: &'s CompiledCommitment,
    pub discount: &'s CompiledDiscount,
    /// The unit price it gives, display mode, at the currency's scale.
    pub unit: Decimal,
    pub quantity_break: Option<u32>,
    pub standing: Standing,
}

/// Every discount of the customer's scopes that reached one product, and the one that prices it.
pub(crate) struct Resolution<'s> {
    found: SmallVec<[Found<'s>; 4]>,
    winner: Option<usize>,
}

/// The unit price `value` gives on a list unit price of `list` (display mode): a fixed price as
/// it is, a percentage off rounded once to the currency's minor unit.
pub(crate) fn unit_price(money: &Money, value: Value, list: Decimal) -> Decimal {
    match value {
        Value::Price(price) => price,
        Value::Percent { kept, .. } => money.round(list * kept),
    }
}

/// Older first; an offer without a creation time after every dated one.
fn by_age(a: Option<Timestamp>, b: Option<Timestamp>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Between two eligible candidates: `Less` when `a` wins. Returns what decided it too.
fn rank(a: &Found<'_>, b: &Found<'_>) -> (Ordering, Option<TieBreak>) {
    let order = b.offer.level.cmp(&a.offer.level);
    if order.is_ne() {
        return (order, None);
    }
    let order = a.unit.cmp(&b.unit);
    if order.is_ne() {
        return (order, None);
    }
    let ties = [
        (
            by_age(a.offer.created_at, b.offer.created_at),
            TieBreak::OlderOffer,
        ),
        (a.offer.code.cmp(&b.offer.code), TieBreak::OfferCode),
        (
            a.commitment.number.cmp(&b.commitment.number),
            TieBreak::CommitmentNumber,
        ),
        (
            a.discount.code.cmp(&b.discount.code),
            TieBreak::DiscountCode,
        ),
    ];
    ties.into_iter()
        .find(|(order, _)| order.is_ne())
        .map_or((Ordering::Equal, None), |(order, by)| (order, Some(by)))
}

impl<'s> Scopes<'s> {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every offer of the customer's scopes.
    pub fn offers(&self) -> impl Iterator<Item = &'s CompiledOffer> {
        self.entries
            .iter()
            .flat_map(|e| e.offers.iter().map(|o| &**o))
    }

    /// The discounts that reach a product (`sku`, in `segments` with their ancestors) whose list
    /// unit price is `list` (display mode, unrounded), at `now`; `units` counts the units of the
    /// sku in the cart, asked only of discounts with a minimum or breaks. `None` when no discount
    /// of the customer's reaches the product.
    pub fn resolve(
        &self,
        money: &Money,
        (sku, segments): (&str, &[u32]),
        list: Decimal,
        now: Timestamp,
        units: impl FnOnce() -> u32,
    ) -> Option<Resolution<'s>> {
        if self.entries.is_empty() {
            return None;
        }
        let hash = sku_hash(sku);
        let mut units = Some(units);
        let mut counted = None;
        let mut found: SmallVec<[Found<'s>; 4]> = SmallVec::new();
        for entry in &self.entries {
            entry.reaching(sku, hash, segments, |offer, commitment, discount| {
                let (value, quantity_break, standing) = if discount.counts_units() {
                    let n = *counted.get_or_insert_with(|| units.take().map_or(1, |f| f()));
                    match discount.value_at(n) {
                        Some((value, from)) => (value, from, Standing::Eligible),
                        None => (discount.value, None, Standing::QuantityNotReached(n)),
                    }
                } else {
                    (discount.value, None, Standing::Eligible)
                };
                // The offer's days first: a commitment lies within them.
                let standing = match (offer.window.at(now), commitment.window.at(now)) {
                    (Live::NotStarted(day), _) => Standing::NotStarted(Period::Offer, day),
                    (Live::Ended(day), _) => Standing::Ended(Period::Offer, day),
                    (Live::Yes, Live::NotStarted(day)) => {
                        Standing::NotStarted(Period::Commitment, day)
                    }
                    (Live::Yes, Live::Ended(day)) => Standing::Ended(Period::Commitment, day),
                    (Live::Yes, Live::Yes) => standing,
                };
                found.push(Found {
                    offer,
                    commitment,
                    discount,
                    unit: unit_price(money, value, list),
                    quantity_break,
                    standing,
                });
            });
        }
        if found.is_empty() {
            return None;
        }
        let mut winner: Option<usize> = None;
        for (i, f) in found.iter().enumerate() {
            if f.standing == Standing::Eligible
                && winner.is_none_or(|w| rank(f, &found[w]).0.is_lt())
            {
                winner = Some(i);
            }
        }
        Some(Resolution { found, winner })
    }
}

impl<'s> Resolution<'s> {
    pub fn winner(&self) -> Option<&Found<'s>> {
        self.winner.map(|w| &self.found[w])
    }

    /// The winner as answers show it, and every other candidate with why it lost, best first.
    /// `today` is the store's date at the request's instant.
    pub fn explain(
        self,
        today: impl Fn() -> Day,
    ) -> (Option<AppliedOffer<'s>>, Vec<OfferCandidate<'s>>) {
        let winner = self.winner();
        let applied = winner.map(|w| AppliedOffer {
            offer: &w.offer.code,
            commitment: w.commitment.number,
            discount: &w.discount.code,
            scope: ScopeRef::from(&w.offer.scope),
            unit_price: w.unit,
            quantity_break: w.quantity_break,
        });
        let mut losers: SmallVec<[&Found<'s>; 4]> = self
            .found
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != self.winner)
            .map(|(_, f)| f)
            .collect();
        losers.sort_by(|a, b| {
            let eligible = |f: &Found<'_>| f.standing != Standing::Eligible;
            eligible(a).cmp(&eligible(b)).then_with(|| rank(a, b).0)
        });
        let candidates = losers
            .into_iter()
            .map(|f| {
                let reason = match (f.standing, winner) {
                    (Standing::NotStarted(of, day), _) => OfferReason::NotStarted {
                        of,
                        starts_on: Day(day),
                        today: today(),
                    },
                    (Standing::Ended(of, day), _) => OfferReason::Ended {
                        of,
                        ends_on: Day(day),
                        today: today(),
                    },
                    (Standing::QuantityNotReached(quantity), _) => {
                        OfferReason::QuantityNotReached {
                            min_quantity: f.discount.min_quantity,
                            quantity,
                        }
                    }
                    // An eligible candidate lost to the winner, which exists.
                    (Standing::Eligible, w) => {
                        let w = w.unwrap_or(f);
                        let (winner_offer, winner_scope, winner_price) =
                            (&*w.offer.code, ScopeRef::from(&w.offer.scope).kind, w.unit);
                        match rank(f, w) {
                            _ if f.offer.level < w.offer.level => OfferReason::OutrankedByScope {
                                winner_offer,
                                winner_scope,
                                winner_price,
                            },
                            (_, Some(decided_by)) => OfferReason::LostTie {
                                winner_offer,
                                winner_scope,
                                winner_price,
                                decided_by,
                            },
                            _ => OfferReason::HigherPrice {
                                winner_offer,
                                winner_scope,
                                winner_price,
                            },
                        }
                    }
                };
                OfferCandidate {
                    offer: &f.offer.code,
                    commitment: f.commitment.number,
                    discount: &f.discount.code,
                    scope: ScopeRef::from(&f.offer.scope),
                    unit_price: f.unit,
                    quantity_break: f.quantity_break,
                    reason,
                }
            })
            .collect();
        (applied, candidates)
    }
}
