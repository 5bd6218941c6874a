//! The order of promotions of equal priority (DESIGN §2.6): the order that gives the customer the
//! lower total, each promotion counted for what it can really give (budget and units left
//! included), then the older promotion, then the smaller id.
//!
//! A key gives that order for the usual shapes: stackable promotions before closing ones (a
//! stackable one can only add to what a stop-further one gives after it, while the other way round
//! it would be blocked); among stackable ones, a price set first, then multi-unit offers, then
//! percentages, then fixed amounts (a percentage of a price already lowered by a fixed amount gives
//! less: 10 % then 5.00 off 40.00 leaves 31.00, the reverse 31.50); within a shape, the larger
//! discount first. Where the key cannot know (closing promotions against others: which of them
//! should win depends on their amounts and lines), the orders of a small group are all tried.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::rules::Combination;
use crate::snapshot::{BundlePrice, ItemOffer, Offer, Promotion, UnitReward};

/// Up to this many applicable promotions of one priority, every order is tried when the key alone
/// cannot decide (4! = 24 orders).
const EXHAUSTIVE_MEMBERS: usize = 4;

/// A promotion of a tie group, with what it would give now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tied {
    /// The caller's handle (a candidate index, a promotion index).
    pub member: usize,
    /// Whether it passed its checks; promotions that did not keep their place but are not ordered.
    pub applicable: bool,
    pub closing: bool,
    pub shape: u8,
    /// What it would give on its own, now (budget caps included).
    pub value: Decimal,
}

impl Tied {
    pub(crate) fn new(member: usize, p: &Promotion, applicable: bool, value: Decimal) -> Tied {
        Tied {
            member,
            applicable,
            closing: p.combination != Combination::Stackable,
            shape: shape(&p.offer),
            value,
        }
    }

    fn key(&self) -> (bool, u8, std::cmp::Reverse<Decimal>) {
        (self.closing, self.shape, std::cmp::Reverse(self.value))
    }
}

/// Orders a tie group in place. `members` come in consideration order (older, then smaller id),
/// which breaks the remaining ties. `total_after` applies the applicable members in the order
/// given, from the group's starting state, and says what the customer would then pay; it is called
/// only when every order of a small group is tried.
pub(crate) fn order_ties(members: &mut [Tied], mut total_after: impl FnMut(&[usize]) -> Decimal) {
    let undecided = members.iter().any(|t| t.applicable && t.closing);
    let applicable = members.iter().filter(|t| t.applicable).count();
    if !undecided || !(2..=EXHAUSTIVE_MEMBERS).contains(&applicable) {
        // Stable: equal keys keep consideration order.
        members.sort_by_key(Tied::key);
        return;
    }
    // Every order, in consideration order first, so that on equal totals the older promotion
    // (then the smaller id) goes first.
    let in_order: SmallVec<[usize; EXHAUSTIVE_MEMBERS]> = members
        .iter()
        .filter(|t| t.applicable)
        .map(|t| t.member)
        .collect();
    let mut best = (total_after(&in_order), in_order.clone());
    let mut order: SmallVec<[usize; EXHAUSTIVE_MEMBERS]> = (0..in_order.len()).collect();
    let mut trial: SmallVec<[usize; EXHAUSTIVE_MEMBERS]> = SmallVec::new();
    while next_permutation(&mut order) {
        trial.clear();
        trial.extend(order.iter().map(|&k| in_order[k]));
        let total = total_after(&trial);
        if total < best.0 {
            best = (total, trial.clone());
        }
    }
    // The applicable members take the best order, in the slots they held.
    let mut chosen = best.1.into_iter();
    for t in members.iter_mut().filter(|t| t.applicable) {
        if let Some(member) = chosen.next() {
            t.member = member;
        }
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

/// The next permutation in lexicographic order; false after the last.
fn next_permutation(items: &mut [usize]) -> bool {
    let Some(i) = items.windows(2).rposition(|w| w[0] < w[1]) else {
        return false;
    };
    // `items[i] < items[i + 1]`, so some later item is greater than `items[i]`.
    let j = items.iter().rposition(|&x| x > items[i]).unwrap_or(i + 1);
    items.swap(i, j);
    items[i + 1..].reverse();
    true
}

#[cfg(test)]
mod tests {
    use super::next_permutation;

    #[test]
    fn permutations_are_all_visited_once() {
        let mut items = [0, 1, 2, 3];
        let mut seen = vec![items];
        while next_permutation(&mut items) {
            seen.push(items);
        }
        assert_eq!(seen.len(), 24);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 24);
    }
}
