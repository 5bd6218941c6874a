//! The order of promotions of equal priority (DESIGN §2.6): the order that gives the customer the
//! lower total, each promotion counted for what it can really give (budget and units left
//! included), then the older promotion, then the smaller id.
//!
//! A key gives that order for the usual shapes: stackable promotions before closing ones (a
//! stackable one can only add to what a stop-further one gives after it, while the other way round
//! it would be blocked); among stackable ones, a price set first, then multi-unit offers, then
//! percentages, then fixed amounts (a percentage of a price already lowered by a fixed amount gives
//! less: 10 % then 5.00 off 40.00 leaves 31.00, the reverse 31.50); within a shape, and among
//! closing ones, the larger discount first. An exclusive promotion goes first when it alone gives
//! more than the others together (after any of them it would be refused).
//!
//! What each promotion would give is needed only when some member closes, has a budget, or takes
//! units: stackable offers of one shape without a budget give the same total in any order (a
//! percentage of a percentage, amounts off amounts, the lower of two prices), so they keep
//! consideration order and their effects are not computed twice.

use rust_decimal::Decimal;

use crate::rules::Combination;
use crate::snapshot::{BundlePrice, ItemOffer, Offer, Promotion, UnitReward};

/// A promotion of a tie group that passed its checks, with what it would give now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tied {
    /// The caller's handle (a candidate index, a promotion index).
    pub member: usize,
    /// Its place in consideration order, which breaks the remaining ties.
    pub position: usize,
    pub closing: bool,
    pub exclusive: bool,
    pub shape: u8,
    /// What it would give on its own, now (budget caps included).
    pub value: Decimal,
}

/// Whether the order of `p` among promotions of its priority depends on what it would give.
pub(crate) fn needs_value(p: &Promotion) -> bool {
    p.combination != Combination::Stackable
        || p.limits.budget.is_some()
        || matches!(p.offer, Offer::BuyXGetY(_) | Offer::Bundle(_))
}

impl Tied {
    pub(crate) fn new(member: usize, p: &Promotion, value: Decimal) -> Tied {
        Tied {
            member,
            position: 0,
            closing: p.combination != Combination::Stackable,
            exclusive: p.combination == Combination::Exclusive,
            shape: shape(&p.offer),
            value,
        }
    }

    fn key(&self) -> (bool, u8, std::cmp::Reverse<Decimal>, usize) {
        // The first closing promotion to apply shuts the others out: only its amount matters.
        let shape = if self.closing { 0 } else { self.shape };
        (
            self.closing,
            shape,
            std::cmp::Reverse(self.value),
            self.position,
        )
    }
}

/// Orders a tie group in place, by the key above. `members` come in consideration order (older,
/// then smaller id), which breaks the remaining ties. An exclusive promotion that alone gives more
/// than the other members together goes first, since after any of them it would be refused.
pub(crate) fn order_ties(members: &mut [Tied]) {
    for (k, t) in members.iter_mut().enumerate() {
        t.position = k;
    }
    members.sort_unstable_by_key(Tied::key);
    if !members.iter().any(|t| t.exclusive) {
        return;
    }
    let all: Decimal = members.iter().map(|t| t.value).sum();
    let first = members
        .iter()
        .position(|t| t.exclusive && t.value > all - t.value);
    if let Some(k) = first {
        members[..=k].rotate_right(1);
    }
}

/// How an offer acts on a price, in the order stackable offers should apply: a price set, units
/// taken, a share, a fixed amount; offers that do not change merchandise prices last.
fn shape(offer: &Offer) -> u8 {
    match offer {
        Offer::Merchandise(item) => item_shape(*item),
        Offer::Tiered { tiers, .. } => tiers.first().map_or(2, |t| item_shape(t.offer)),
        Offer::BuyXGetY(offer) => match offer.reward {
            UnitReward::UnitPrice(_) => 0,
            UnitReward::PercentOff(_) => 1,
            UnitReward::AmountOff(_) => 3,
        },
        Offer::Bundle(offer) => match offer.price {
            BundlePrice::Price(_) => 0,
            BundlePrice::PercentOff(_) => 1,
            BundlePrice::AmountOff(_) => 3,
        },
        Offer::Shipping { .. } | Offer::Gift { .. } | Offer::ParcelInsert { .. } => 4,
    }
}

fn item_shape(offer: ItemOffer) -> u8 {
    match offer {
        ItemOffer::UnitPrice(..) => 0,
        ItemOffer::PercentOff(..) | ItemOffer::CartPercentOff(..) => 2,
        ItemOffer::AmountOffEach(..)
        | ItemOffer::AmountOffLine(_)
        | ItemOffer::AmountOffTotal(_)
        | ItemOffer::CartAmountOff(..) => 3,
    }
}
