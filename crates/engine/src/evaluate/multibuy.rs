//! Offers that work on units rather than lines: buy X get Y, and bundles. Both claim the units
//! they use (as triggers, rewards or bundle members), so that one unit serves one multi-unit offer
//! only; line-level offers still stack on top unless a combination mode says otherwise.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidate, Effect, Evaluation, UnitGroup};
use crate::quote::Reason;
use crate::snapshot::{Bundle, BundlePrice, BuyXGetY, Offer, Promotion, Targets, UnitReward};

/// Units taken from lines: (line, units).
pub(super) type Units = SmallVec<[(u16, u32); 4]>;

impl<'a> Evaluation<'a> {
    /// Units of a line that a multi-unit offer may still use.
    pub(super) fn available(&self, l: u16) -> u32 {
        let line = &self.lines[l as usize];
        if line.closed_by.is_some() {
            0
        } else {
            line.quantity - line.claimed
        }
    }

    /// What is left of one unit of a line (unrounded).
    fn unit_left(&self, l: u16) -> Decimal {
        let line = &self.lines[l as usize];
        line.amount / Decimal::from(line.quantity)
    }

    /// Open cart lines matching `targets` and not excluded by the promotion.
    pub(super) fn lines_matching(&self, p: &Promotion, targets: &Targets) -> SmallVec<[u16; 8]> {
        (0..self.lines.len() as u16)
            .filter(|&l| {
                let facts = self.lines[l as usize].facts();
                self.available(l) > 0
                    && targets.matches(&facts)
                    && !p.exclude.as_ref().is_some_and(|e| e.matches(&facts))
            })
            .collect()
    }

    /// The lines a promotion acts on: its targeted lines, and for multi-unit offers the lines
    /// its rewards or bundle slots may take units from.
    pub(super) fn items(&self, c: Candidate<'_>, p: &Promotion) -> SmallVec<[u16; 8]> {
        let mut lines: SmallVec<[u16; 8]> = c.lines.iter().copied().collect();
        match &p.offer {
            Offer::BuyXGetY(offer) => {
                if let Some(targets) = &offer.reward_targets {
                    lines.extend(self.lines_matching(p, targets));
                }
            }
            Offer::Bundle(offer) => {
                for (targets, _) in offer.slots.iter() {
                    lines.extend(self.lines_matching(p, targets));
                }
            }
            _ => {}
        }
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// Counts the units of a buy-X-get-Y: (trigger only, reward only, both), and how many times
    /// it applies. `open` are the lines its targets reach.
    pub(super) fn buy_x_get_y_count(
        &self,
        p: &Promotion,
        offer: &BuyXGetY,
        open: &[u16],
        units: impl Fn(u16) -> u32,
    ) -> (SmallVec<[u16; 8]>, [u32; 3], u32) {
        let rewardable = match &offer.reward_targets {
            None => open.iter().copied().collect(),
            Some(targets) => self.lines_matching(p, targets),
        };
        let mut counts = [0u32; 3];
        for &l in open {
            let slot = if rewardable.contains(&l) { 2 } else { 0 };
            counts[slot] += units(l);
        }
        for &l in &rewardable {
            if !open.contains(&l) {
                counts[1] += units(l);
            }
        }
        let [trigger_only, reward_only, both] = counts;
        let (x, y) = (offer.buy, offer.get);
        let mut times = ((trigger_only + both) / x)
            .min((reward_only + both) / y)
            .min((trigger_only + reward_only + both) / (x + y));
        if let Some(max) = offer.max_applications {
            times = times.min(max);
        }
        (rewardable, counts, times)
    }

    /// Buy X get Y on what the cart has left: the rewarded units are chosen by price (cheapest or
    /// most expensive first), the triggers among the remaining units, most expensive first.
    pub(super) fn buy_x_get_y(
        &mut self,
        p: &'a Promotion,
        offer: &'a BuyXGetY,
        open: &[u16],
        effect: &mut Effect,
    ) -> Result<(), Reason<'a>> {
        let (rewardable, [trigger_only, reward_only, both], times) =
            self.buy_x_get_y_count(p, offer, open, |l| self.available(l));
        let times = self.limit.map_or(times, |limit| times.min(limit));
        if times == 0 {
            return Err(Reason::MultiBuyNotReached {
                triggers: trigger_only + both,
                rewards: reward_only + both,
                buy: offer.buy,
                get: offer.get,
            });
        }
        let (x, y) = (offer.buy, offer.get);

        // Rewards: shared units may be rewarded only while enough remain to trigger.
        let mut order = rewardable.clone();
        self.sort_by_unit(&mut order, offer.most_expensive_first);
        let mut shared_left = trigger_only + both - times * x;
        let mut need = times * y;
        let mut rewards = Units::new();
        for l in order {
            if need == 0 {
                break;
            }
            let mut take = self.available(l).min(need);
            if open.contains(&l) {
                take = take.min(shared_left);
                shared_left -= take;
            }
            if take > 0 {
                rewards.push((l, take));
                need -= take;
            }
        }
        // Triggers: the remaining units of the trigger lines, most expensive first.
        let mut order: SmallVec<[u16; 8]> = open.iter().copied().collect();
        self.sort_by_unit(&mut order, true);
        let mut need = times * x;
        let mut triggers = Units::new();
        for l in order {
            if need == 0 {
                break;
            }
            let rewarded = rewards.iter().find(|(r, _)| *r == l).map_or(0, |(_, k)| *k);
            let take = (self.available(l) - rewarded).min(need);
            if take > 0 {
                triggers.push((l, take));
                need -= take;
            }
        }

        let money = self.snap.money;
        for &(l, k) in &rewards {
            let line = &self.lines[l as usize];
            let share = line.amount * Decimal::from(k) / Decimal::from(line.quantity);
            let k = Decimal::from(k);
            let d = match offer.reward {
                UnitReward::PercentOff(rate) => share * rate,
                UnitReward::AmountOff(amount) => (amount * k).min(share),
                UnitReward::UnitPrice(price) => (share - price * k).max(Decimal::ZERO),
            };
            effect.lines.push((l, money.round(d).min(line.amount)));
        }
        effect.lines.sort_unstable_by_key(|&(l, _)| l);
        effect
            .claims
            .extend(rewards.iter().chain(&triggers).copied());
        // One group per application, for the explanation (not needed while plans are tried).
        if !self.recording {
            return Ok(());
        }
        let mut triggers = unit_stream(&triggers);
        let mut rewards = unit_stream(&rewards);
        for _ in 0..times {
            effect.groups.push(UnitGroup {
                triggers: take_units(&mut triggers, x),
                rewards: take_units(&mut rewards, y),
                units: Units::new(),
            });
        }
        Ok(())
    }

    /// Forms as many complete bundles as the cart holds, each from the most expensive eligible
    /// units, and splits each bundle's discount over its units by largest remainder.
    pub(super) fn bundle(
        &mut self,
        p: &'a Promotion,
        offer: &'a Bundle,
        effect: &mut Effect,
    ) -> Result<(), Reason<'a>> {
        let money = self.snap.money;
        let mut slots: SmallVec<[(usize, SmallVec<[u16; 8]>); 4]> = offer
            .slots
            .iter()
            .enumerate()
            .map(|(i, (targets, _))| {
                let mut lines = self.lines_matching(p, targets);
                self.sort_by_unit(&mut lines, true);
                (i, lines)
            })
            .collect();
        // The scarcest slot picks first, so that it is not starved by a broader one.
        slots.sort_by_key(|(i, lines)| {
            let units: u32 = lines.iter().map(|&l| self.available(l)).sum();
            (units, *i)
        });
        let mut left: Vec<u32> = (0..self.lines.len() as u16)
            .map(|l| self.available(l))
            .collect();
        let mut discounts: Vec<Decimal> = vec![Decimal::ZERO; self.lines.len()];
        let mut formed = 0;
        let mut failure = None;
        let most = match (offer.max_applications, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        while most.is_none_or(|max| formed < max) {
            let mut units = Units::new();
            let mut missing_slot = None;
            for (slot, lines) in &slots {
                let mut need = offer.slots[*slot].1;
                for &l in lines {
                    let take = left[l as usize].min(need);
                    if take > 0 {
                        left[l as usize] -= take;
                        need -= take;
                        merge(&mut units, l, take);
                    }
                    if need == 0 {
                        break;
                    }
                }
                if need > 0 {
                    missing_slot = Some(*slot);
                    break;
                }
            }
            let values: SmallVec<[Decimal; 4]> = units
                .iter()
                .map(|&(l, k)| self.unit_left(l) * Decimal::from(k))
                .collect();
            let value = money.round(values.iter().sum());
            let discount = match offer.price {
                BundlePrice::Price(price) => value - price,
                BundlePrice::PercentOff(rate) => money.round(value * rate),
                BundlePrice::AmountOff(amount) => amount.min(value),
            };
            if missing_slot.is_some() || discount <= Decimal::ZERO {
                failure = Some(match missing_slot {
                    Some(slot) => Reason::BundleIncomplete { slot },
                    None => Reason::NothingToDiscount,
                });
                for &(l, k) in &units {
                    left[l as usize] += k;
                }
                break;
            }
            self.snap.money.allocate(discount, &values, &mut self.parts);
            for (&(l, _), part) in units.iter().zip(&self.parts) {
                discounts[l as usize] += *part;
            }
            effect.claims.extend(units.iter().copied());
            if self.recording {
                effect.groups.push(UnitGroup {
                    triggers: Units::new(),
                    rewards: Units::new(),
                    units,
                });
            }
            formed += 1;
        }
        if formed == 0 {
            return Err(failure.unwrap_or(Reason::NothingToDiscount));
        }
        for (l, d) in discounts.into_iter().enumerate() {
            if !d.is_zero() {
                effect.lines.push((l as u16, d.min(self.lines[l].amount)));
            }
        }
        Ok(())
    }

    /// Sorts lines by what is left of one unit (cheapest or most expensive first), then by line.
    pub(super) fn sort_by_unit(&self, lines: &mut [u16], most_expensive_first: bool) {
        // Each unit price is a division: computed once per line, not per comparison.
        lines.sort_by_cached_key(|&l| {
            let price = self.unit_left(l);
            (if most_expensive_first { -price } else { price }, l)
        });
    }
}

fn merge(units: &mut Units, line: u16, count: u32) {
    match units.iter_mut().find(|(l, _)| *l == line) {
        Some((_, k)) => *k += count,
        None => units.push((line, count)),
    }
}

/// `(line, units)` pairs as a queue of single units.
fn unit_stream(units: &Units) -> std::collections::VecDeque<u16> {
    units
        .iter()
        .flat_map(|&(l, k)| std::iter::repeat_n(l, k as usize))
        .collect()
}

fn take_units(stream: &mut std::collections::VecDeque<u16>, count: u32) -> Units {
    let mut units = Units::new();
    for _ in 0..count {
        if let Some(l) = stream.pop_front() {
            merge(&mut units, l, 1);
        }
    }
    units
}
