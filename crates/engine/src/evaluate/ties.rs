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
use smallvec::SmallVec;

use crate::rules::Combination;
use crate::snapshot::{BundlePrice, ItemOffer, Offer, Promotion, UnitReward};

/// Whether the order of `p` among promotions of its priority depends on what it would give.
fn needs_value(p: &Promotion) -> bool {
    p.combination != Combination::Stackable
        || p.limits.budget.is_some()
        || matches!(p.offer, Offer::BuyXGetY(_) | Offer::Bundle(_))
}

/// What decides the order of a tie group: a member's value only orders it among the members of
/// its class (the closing ones together, stackable ones by shape), so it is needed when its class
/// has another member and one of them needs it. An exclusive member goes first when it gives more
/// than all the others together, so with one the others' values are summed until they reach it.
struct Valuation {
    count: [u32; 9],
    needed: [bool; 9],
    exclusive: bool,
}

impl Valuation {
    fn of<'p>(members: impl Iterator<Item = &'p Promotion>) -> Valuation {
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

    /// Whether the group keeps consideration order whatever its members would give: one class
    /// whose order values do not change, and no exclusive member.
    fn keeps_order(&self) -> bool {
        !self.exclusive
            && self.count.iter().filter(|&&n| n > 0).count() <= 1
            && !self
                .needed
                .iter()
                .zip(&self.count)
                .any(|(&needed, &n)| needed && n > 1)
    }

    /// Whether member `p`'s value orders it within its class.
    fn ranks(&self, p: &Promotion) -> bool {
        let class = usize::from(class(p));
        self.count[class] > 1 && self.needed[class]
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

/// A member of a tie group, with what it would give now when that was needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tied {
    /// The caller's handle (a candidate index, a promotion index).
    pub member: usize,
    exclusive: bool,
    valued: bool,
    /// What it would give on its own, now (budget caps included), where computed.
    value: Decimal,
    /// Its class, then its value in millionths where the value orders it, larger first:
    /// integers sort several times faster than `Decimal`, and amounts that differ by less keep
    /// consideration order.
    rank: (u8, std::cmp::Reverse<i128>),
}

/// A value in millionths: a 96-bit mantissa times 10^6 fits an i128 (2^96 * 10^6 < 2^116).
fn millionths(value: Decimal) -> i128 {
    const POW10: [i128; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    let scale = value.scale() as usize;
    match POW10.get(6_usize.wrapping_sub(scale)) {
        Some(&factor) => value.mantissa() * factor,
        None => value.mantissa() / 10i128.pow(value.scale() - 6),
    }
}

/// Orders a tie group, `members` as `(handle, promotion)` in consideration order (older, then
/// smaller id), and returns the handles in application order: by class (stackable ones by shape,
/// closing ones last: the first to apply shuts the others out, only its amount matters), then the
/// larger value, then consideration order. An exclusive promotion that alone gives more than the
/// other members together goes first, since after any of them it would be refused. `value` says
/// what a member would give now; it is asked only where the answer can change the order.
pub(crate) fn rank<'p>(
    members: &[(usize, &'p Promotion)],
    mut value: impl FnMut(usize, &'p Promotion) -> Decimal,
) -> SmallVec<[usize; 8]> {
    let valuation = Valuation::of(members.iter().map(|m| m.1));
    if valuation.keeps_order() {
        return members.iter().map(|m| m.0).collect();
    }
    let mut tied: SmallVec<[Tied; 8]> = members
        .iter()
        .map(|&(member, p)| {
            let ranks = valuation.ranks(p);
            let exclusive = p.combination == Combination::Exclusive;
            let valued = ranks || exclusive;
            let value = if valued {
                value(member, p)
            } else {
                Decimal::ZERO
            };
            let rank = if ranks { millionths(value) } else { 0 };
            Tied {
                member,
                exclusive,
                valued,
                value,
                rank: (class(p), std::cmp::Reverse(rank)),
            }
        })
        .collect();
    if valuation.exclusive {
        let best = tied
            .iter()
            .filter(|t| t.exclusive)
            .map(|t| t.value)
            .max()
            .unwrap_or_default();
        // Saturating: the number of tied promotions is not bounded (see `crate::limits`); a sum
        // at the ceiling still tells that no member gives more than all the others.
        let mut all = sum(&tied);
        // Values are never negative: once the others reach the best exclusive one, none goes
        // first, and the values left unasked would not change that.
        for (t, &(member, p)) in tied.iter_mut().zip(members) {
            if all >= best.saturating_add(best) {
                break;
            }
            if !t.valued {
                t.value = value(member, p);
                all = all.saturating_add(t.value);
            }
        }
    }
    tied.sort_by_key(|t| t.rank);
    if valuation.exclusive {
        let all = sum(&tied);
        let first = tied
            .iter()
            .position(|t| t.exclusive && t.value > all - t.value);
        if let Some(k) = first {
            tied[..=k].rotate_right(1);
        }
    }
    tied.iter().map(|t| t.member).collect()
}

fn sum(tied: &[Tied]) -> Decimal {
    tied.iter()
        .fold(Decimal::ZERO, |sum, t| sum.saturating_add(t.value))
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
            valued: true,
            value,
            rank: (CLOSING, std::cmp::Reverse(millionths(value))),
        };
        let half = Decimal::MAX / Decimal::TWO;
        let members = [tied(0, half), tied(1, half), tied(2, half)];
        // A plain sum panics.
        assert_eq!(sum(&members), Decimal::MAX);
    }
}
