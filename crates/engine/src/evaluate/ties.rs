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

/// Whether the order of `p` among promotions of its priority depends on what it would give.
fn needs_value(p: &Promotion) -> bool {
    p.combination != Combination::Stackable
        || p.limits.budget.is_some()
        || matches!(p.offer, Offer::BuyXGetY(_) | Offer::Bundle(_))
}

/// Which members of a tie group need what they would give computed: a member's value only orders
/// it among the members of its class (the closing ones together, stackable ones by shape), so it
/// is needed when its class has another member and one of them needs it; an exclusive member
/// needs every value, since it goes first only when it gives more than all the others together.
pub(crate) struct Valuation {
    count: [u32; 9],
    needed: [bool; 9],
    exclusive: bool,
}

impl Valuation {
    pub(crate) fn of<'p>(members: impl Iterator<Item = &'p Promotion>) -> Valuation {
        let mut valuation = Valuation {
            count: [0; 9],
            needed: [false; 9],
            exclusive: false,
        };
        for p in members {
            let class = usize::from(class(p));
            valuation.count[class] += 1;
            valuation.needed[class] |= needs_value(p);
            valuation.exclusive |= p.combination == Combination::Exclusive;
        }
        valuation
    }

    /// Whether member `p` of the group needs its value.
    pub(crate) fn needs(&self, p: &Promotion) -> bool {
        let class = usize::from(class(p));
        self.exclusive || (self.count[class] > 1 && self.needed[class])
    }
}

/// The members whose relative order only their values decide share a class: stackable ones by
/// shape, closing ones all together, after them.
fn class(p: &Promotion) -> u8 {
    if p.combination == Combination::Stackable {
        shape(&p.offer)
    } else {
        CLOSING
    }
}

const CLOSING: u8 = 8;

/// A promotion of a tie group that passed its checks, with what it would give now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tied {
    /// The caller's handle (a candidate index, a promotion index).
    pub member: usize,
    pub exclusive: bool,
    /// What it would give on its own, now (budget caps included).
    pub value: Decimal,
    /// Its class, then its value in millionths, larger first: integers sort several times
    /// faster than `Decimal`, and amounts that differ by less keep consideration order.
    rank: (u8, std::cmp::Reverse<i128>),
}

impl Tied {
    pub(crate) fn new(member: usize, p: &Promotion, value: Decimal) -> Tied {
        // A 96-bit mantissa times 10^6 fits an i128 (2^96 * 10^6 < 2^116).
        const POW10: [i128; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
        let scale = value.scale() as usize;
        let millionths = match POW10.get(6_usize.wrapping_sub(scale)) {
            Some(&factor) => value.mantissa() * factor,
            None => value.mantissa() / 10i128.pow(value.scale() - 6),
        };
        Tied {
            member,
            exclusive: p.combination == Combination::Exclusive,
            value,
            rank: (class(p), std::cmp::Reverse(millionths)),
        }
    }
}

/// Orders a tie group in place: by class (stackable ones by shape, closing ones last: the first
/// to apply shuts the others out, only its amount matters), then the larger value. `members` come
/// in consideration order (older, then smaller id), which the stable sort keeps for the remaining
/// ties. An exclusive promotion that alone gives more than the other members together goes
/// first, since after any of them it would be refused.
pub(crate) fn order_ties(members: &mut [Tied]) {
    members.sort_by_key(|t| t.rank);
    if !members.iter().any(|t| t.exclusive) {
        return;
    }
    // Saturating: the number of tied promotions is not bounded (see `crate::limits`); a sum at
    // the ceiling still tells that no member gives more than all the others.
    let all = members
        .iter()
        .fold(Decimal::ZERO, |sum, t| sum.saturating_add(t.value));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_tied_values_do_not_overflow() {
        let tied = |member, value| Tied {
            member,
            exclusive: true,
            value,
            rank: (0, std::cmp::Reverse(0)),
        };
        let half = Decimal::MAX / Decimal::TWO;
        let mut members = [tied(0, half), tied(1, half), tied(2, half)];
        order_ties(&mut members);
        let order: Vec<usize> = members.iter().map(|t| t.member).collect();
        assert_eq!(order, [0, 1, 2]);
    }
}
