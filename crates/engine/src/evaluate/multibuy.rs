//! Offers that work on units rather than lines: buy X get Y, and bundles. Both claim the units
//! they use (as triggers, rewards or bundle members), so that one unit serves one multi-unit offer
//! only; line-level offers still stack on top unless a combination mode says otherwise.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidate, Effect, Evaluation, PartDiscount, UnitGroup, share};
use crate::quote::Reason;
use crate::snapshot::{Bundle, BundlePrice, BuyXGetY, Offer, Promotion, Targets, UnitReward};

/// Units taken from lines: (line, units).
pub(super) type Units = SmallVec<[(u16, u32); 4]>;

/// A pool of units a multi-unit offer may take: a part of a line no multi-unit offer took yet,
/// and still open, as (line, part). A line has one, unless a percentage on N units split it.
type Pool = (u16, u16);

/// Units taken from pools.
type PoolUnits = SmallVec<[(Pool, u32); 4]>;

/// How a buy X get Y applies to a set of units: how many times, and the units it rewards and
/// takes as triggers in all (the last application may reward fewer than `get` with
/// `partial_rewards`).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Applications {
    pub times: u32,
    pub rewards: u32,
    pub triggers: u32,
}

impl Applications {
    fn add(&mut self, other: Applications) {
        self.times += other.times;
        self.rewards += other.rewards;
        self.triggers += other.triggers;
    }
}

/// Applications of a buy X get Y on units that can only trigger (`a`), only be rewarded (`b`) or
/// both (`c`), at most `cap` of them.
fn applications_of(offer: &BuyXGetY, [a, b, c]: [u32; 3], cap: u32) -> Applications {
    let (x, y) = (offer.buy, offer.get);
    let full = ((a + c) / x)
        .min((b + c) / y)
        .min((a + b + c) / (x + y))
        .min(cap);
    let mut found = Applications {
        times: full,
        rewards: full * y,
        triggers: full * x,
    };
    // One more application with the units left, rewarding fewer than `get` (compile allows this
    // only when every unit can both trigger and be rewarded).
    let left = a + b + c - full * (x + y);
    if offer.partial_rewards && full < cap && left > x {
        found.times += 1;
        found.rewards += (left - x).min(y);
        found.triggers += x;
    }
    found
}

impl<'a> Evaluation<'a> {
    /// The pools of a line, with their units.
    fn pools(&self, l: u16) -> impl Iterator<Item = (Pool, &super::Part)> {
        self.lines[l as usize]
            .parts
            .iter()
            .enumerate()
            .filter(|(_, part)| !part.claimed && part.is_open())
            .map(move |(p, part)| ((l, p as u16), part))
    }

    /// Units of a line that a multi-unit offer may still use.
    pub(super) fn available(&self, l: u16) -> u32 {
        self.pools(l).map(|(_, part)| part.units).sum()
    }

    /// The pools of `lines`, the cheapest or the most expensive units first (what is left of
    /// them), then by sku — not by line, so that how a product's units are grouped in lines does
    /// not change which are taken — then by line and part.
    fn sorted_pools(&self, lines: &[u16], most_expensive_first: bool) -> SmallVec<[Pool; 8]> {
        let mut pools: SmallVec<[(Decimal, &str, Pool); 8]> = lines
            .iter()
            .flat_map(|&l| self.pools(l))
            .map(|(pool, part)| {
                let unit = part.unit();
                let sku = self.lines[pool.0 as usize].sku;
                (if most_expensive_first { -unit } else { unit }, sku, pool)
            })
            .collect();
        pools.sort_unstable();
        pools.into_iter().map(|(_, _, pool)| pool).collect()
    }

    fn pool_units(&self, (l, p): Pool) -> u32 {
        self.lines[l as usize].parts[p as usize].units
    }

    /// `units` of a pool, taken with `discount`.
    fn claim(&self, (line, part): Pool, units: u32, discount: Decimal) -> PartDiscount {
        PartDiscount {
            line,
            part,
            units: Some(units),
            claim: true,
            discount,
        }
    }

    /// Open cart lines matching `targets` and not excluded by the promotion.
    pub(super) fn lines_matching(&self, p: &Promotion, targets: &Targets) -> SmallVec<[u16; 8]> {
        (0..self.lines.len() as u16)
            .filter(|&l| {
                let line = &self.lines[l as usize];
                let facts = line.facts();
                self.available(l) > 0
                    && (self.snap.promotions_on_offer_prices || !line.offer_priced())
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

    /// Counts the units of a buy-X-get-Y: (trigger only, reward only, both), and how it applies
    /// to them. `open` are the lines its targets reach; `units` says how many units of a line
    /// count. With `per_line`, each line is counted on its own and the applications add up.
    pub(super) fn buy_x_get_y_count(
        &self,
        p: &Promotion,
        offer: &BuyXGetY,
        open: &[u16],
        units: impl Fn(u16) -> u32,
    ) -> (SmallVec<[u16; 8]>, [u32; 3], Applications) {
        let rewardable = match &offer.reward_targets {
            None => open.iter().copied().collect(),
            Some(targets) => self.lines_matching(p, targets),
        };
        let count = |lines: &mut dyn Iterator<Item = u16>| {
            let mut counts = [0u32; 3];
            for l in lines {
                let (trigger, reward) = (open.contains(&l), rewardable.contains(&l));
                let slot = match (trigger, reward) {
                    (true, false) => 0,
                    (false, true) => 1,
                    _ => 2,
                };
                counts[slot] += units(l);
            }
            counts
        };
        let mut lines: SmallVec<[u16; 8]> = open.iter().chain(&rewardable).copied().collect();
        lines.sort_unstable();
        lines.dedup();
        let counts = count(&mut lines.iter().copied());
        let mut applications = Applications::default();
        let mut cap = offer.max_applications.unwrap_or(u32::MAX);
        if offer.per_line {
            for &l in &lines {
                let found = applications_of(offer, count(&mut std::iter::once(l)), cap);
                cap -= found.times;
                applications.add(found);
            }
        } else {
            applications = applications_of(offer, counts, cap);
        }
        (rewardable, counts, applications)
    }

    /// Buy X get Y on what the cart has left: the rewarded units are chosen by price (cheapest or
    /// most expensive first), the triggers among the remaining units, most expensive first; with
    /// `per_line`, within each line.
    pub(super) fn buy_x_get_y(
        &mut self,
        p: &'a Promotion,
        offer: &'a BuyXGetY,
        open: &[u16],
        effect: &mut Effect,
    ) -> Result<(), Reason<'a>> {
        let (rewardable, [trigger_only, reward_only, both], _) =
            self.buy_x_get_y_count(p, offer, open, |l| self.available(l));
        let mut cap = match (offer.max_applications, self.limit) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(u32::MAX),
        };
        // The groups of lines whose units are counted together: (trigger lines, reward lines).
        type Lines = SmallVec<[u16; 8]>;
        let mut groups: SmallVec<[(Lines, Lines); 4]> = SmallVec::new();
        if offer.per_line {
            let mut lines: SmallVec<[u16; 8]> = open.iter().chain(&rewardable).copied().collect();
            lines.sort_unstable();
            lines.dedup();
            for l in lines {
                let only = |set: &[u16]| set.iter().copied().filter(|&x| x == l).collect();
                groups.push((only(open), only(&rewardable)));
            }
        } else {
            groups.push((open.iter().copied().collect(), rewardable.clone()));
        }
        let money = self.snap.money;
        let mut taker = Taker::default();
        let mut applied = 0;
        for (open, rewardable) in &groups {
            if cap == 0 {
                break;
            }
            let (counts, found) = self.buy_x_get_y_group(offer, open, rewardable, cap);
            if found.times == 0 {
                continue;
            }
            cap -= found.times;
            applied += found.times;
            let (rewards, triggers) = self.pick_units(offer, open, rewardable, counts, found);
            for &(pool, k) in &rewards {
                let share = taker.take(self, pool, k);
                let units = Decimal::from(k);
                let d = match offer.reward {
                    UnitReward::PercentOff(rate) => share * rate,
                    UnitReward::AmountOff(amount) => amount * units,
                    UnitReward::UnitPrice(price) => share - price * units,
                };
                let d = money.round(d).min(share).max(Decimal::ZERO);
                effect.parts.push(self.claim(pool, k, d));
            }
            for &(pool, k) in &triggers {
                taker.take(self, pool, k);
                effect.parts.push(self.claim(pool, k, Decimal::ZERO));
            }
            // One group per application, for the explanation (not needed while plans are tried).
            if self.recording {
                let (x, y) = (offer.buy, offer.get);
                let mut triggers = unit_stream(&triggers);
                let mut rewards = unit_stream(&rewards);
                let mut left = found.times;
                // Past the first applications listed one by one, those that take all their units
                // from the runs at the head of both streams are alike and counted once, so that
                // a line of millions of units does not make millions of groups.
                let listed = found.times <= LISTED_APPLICATIONS;
                while left > 0 {
                    let alike = if listed {
                        1
                    } else {
                        (head(&triggers) / x.max(1))
                            .min(head(&rewards) / y.max(1))
                            .clamp(1, left)
                    };
                    let group = UnitGroup {
                        triggers: take_units(&mut triggers, x),
                        rewards: take_units(&mut rewards, y),
                        units: Units::new(),
                        times: alike,
                    };
                    take_units(&mut triggers, x * (alike - 1));
                    take_units(&mut rewards, y * (alike - 1));
                    push_group(&mut effect.groups, group);
                    left -= alike;
                }
            }
        }
        if applied == 0 {
            return Err(Reason::MultiBuyNotReached {
                triggers: trigger_only + both,
                rewards: reward_only + both,
                buy: offer.buy,
                get: offer.get,
            });
        }
        Ok(())
    }

    /// How a buy X get Y applies to one group of lines, from the units still available.
    fn buy_x_get_y_group(
        &self,
        offer: &BuyXGetY,
        open: &[u16],
        rewardable: &[u16],
        cap: u32,
    ) -> ([u32; 3], Applications) {
        let mut counts = [0u32; 3];
        let mut lines: SmallVec<[u16; 8]> = open.iter().chain(rewardable).copied().collect();
        lines.sort_unstable();
        lines.dedup();
        for l in lines {
            let slot = match (open.contains(&l), rewardable.contains(&l)) {
                (true, false) => 0,
                (false, true) => 1,
                _ => 2,
            };
            counts[slot] += self.available(l);
        }
        (counts, applications_of(offer, counts, cap))
    }

    /// The units a buy X get Y takes: rewards first (shared units only while enough remain to
    /// trigger), then triggers among the remaining units, most expensive first.
    fn pick_units(
        &self,
        offer: &BuyXGetY,
        open: &[u16],
        rewardable: &[u16],
        [trigger_only, _, both]: [u32; 3],
        found: Applications,
    ) -> (PoolUnits, PoolUnits) {
        let mut shared_left = trigger_only + both - found.triggers;
        let mut need = found.rewards;
        let mut rewards = PoolUnits::new();
        for pool in self.sorted_pools(rewardable, offer.most_expensive_first) {
            if need == 0 {
                break;
            }
            let mut take = self.pool_units(pool).min(need);
            if open.contains(&pool.0) {
                take = take.min(shared_left);
                shared_left -= take;
            }
            if take > 0 {
                rewards.push((pool, take));
                need -= take;
            }
        }
        let mut need = found.triggers;
        let mut triggers = PoolUnits::new();
        for pool in self.sorted_pools(open, true) {
            if need == 0 {
                break;
            }
            let rewarded = rewards
                .iter()
                .find(|(r, _)| *r == pool)
                .map_or(0, |(_, k)| *k);
            let take = (self.pool_units(pool) - rewarded).min(need);
            if take > 0 {
                triggers.push((pool, take));
                need -= take;
            }
        }
        (rewards, triggers)
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
        let mut slots: SmallVec<[(usize, SmallVec<[Pool; 8]>); 4]> = offer
            .slots
            .iter()
            .enumerate()
            .map(|(i, (targets, _))| {
                let lines = self.lines_matching(p, targets);
                (i, self.sorted_pools(&lines, true))
            })
            .collect();
        // The scarcest slot picks first, so that it is not starved by a broader one.
        slots.sort_by_key(|(i, pools)| {
            let units: u32 = pools.iter().map(|&pool| self.pool_units(pool)).sum();
            (units, *i)
        });
        // Per pool: the units left, and what the bundles took with their discount.
        let mut pools: SmallVec<[(Pool, u32, u32, Decimal); 8]> = SmallVec::new();
        for (_, slot) in &slots {
            for &pool in slot {
                if !pools.iter().any(|(q, ..)| *q == pool) {
                    pools.push((pool, self.pool_units(pool), 0, Decimal::ZERO));
                }
            }
        }
        let entry = |pools: &mut SmallVec<[(Pool, u32, u32, Decimal); 8]>, pool: Pool| {
            pools.iter().position(|(q, ..)| *q == pool).unwrap_or(0)
        };
        let mut taker = Taker::default();
        let mut formed = 0;
        let mut failure = None;
        let most = match (offer.max_applications, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        while most.is_none_or(|max| formed < max) {
            let mut units = PoolUnits::new();
            let mut missing_slot = None;
            for (slot, slot_pools) in &slots {
                let mut need = offer.slots[*slot].1;
                for &pool in slot_pools {
                    let e = entry(&mut pools, pool);
                    let take = pools[e].1.min(need);
                    if take > 0 {
                        pools[e].1 -= take;
                        need -= take;
                        merge(&mut units, pool, take);
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
                .map(|&(pool, k)| taker.peek(self, pool, k))
                .collect();
            let value: Decimal = values.iter().sum();
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
                for &(pool, k) in &units {
                    let e = entry(&mut pools, pool);
                    pools[e].1 += k;
                }
                break;
            }
            self.snap.money.allocate(discount, &values, &mut self.parts);
            for (&(pool, k), part) in units.iter().zip(&self.parts) {
                taker.take(self, pool, k);
                let e = entry(&mut pools, pool);
                pools[e].2 += k;
                pools[e].3 += *part;
            }
            if self.recording {
                let group = UnitGroup {
                    triggers: Units::new(),
                    rewards: Units::new(),
                    units: by_line(&units),
                    times: 1,
                };
                push_group(&mut effect.groups, group);
            }
            formed += 1;
        }
        if formed == 0 {
            return Err(failure.unwrap_or(Reason::NothingToDiscount));
        }
        for &(pool, _, units, discount) in &pools {
            if units > 0 {
                effect.parts.push(self.claim(pool, units, discount));
            }
        }
        Ok(())
    }
}

fn merge<K: PartialEq + Copy>(units: &mut SmallVec<[(K, u32); 4]>, key: K, count: u32) {
    match units.iter_mut().find(|(k, _)| *k == key) {
        Some((_, k)) => *k += count,
        None => units.push((key, count)),
    }
}

/// Units of pools as units of lines, for the explanation.
fn by_line(units: &PoolUnits) -> Units {
    let mut lines = Units::new();
    for &((l, _), k) in units {
        merge(&mut lines, l, k);
    }
    lines
}

/// `(pool, units)` pairs as a queue of single units of lines.
fn unit_stream(units: &PoolUnits) -> std::collections::VecDeque<(u16, u32)> {
    units.iter().map(|&((l, _), k)| (l, k)).collect()
}

/// Units left in the run at the head of a stream.
fn head(stream: &std::collections::VecDeque<(u16, u32)>) -> u32 {
    stream.front().map_or(0, |&(_, k)| k)
}

/// Takes `count` units off the head of a stream of runs of units of lines.
fn take_units(stream: &mut std::collections::VecDeque<(u16, u32)>, mut count: u32) -> Units {
    let mut units = Units::new();
    while count > 0 {
        let Some((l, k)) = stream.front_mut() else {
            break;
        };
        let taken = (*k).min(count);
        merge(&mut units, *l, taken);
        *k -= taken;
        count -= taken;
        if *k == 0 {
            stream.pop_front();
        }
    }
    units
}

/// Applications of one promotion listed one by one in a quote; past them, consecutive ones alike
/// are listed once with how many times they applied.
const LISTED_APPLICATIONS: u32 = 1_000;

/// Adds an application to the explanation, counted with the previous one when they are alike
/// and enough are listed already.
fn push_group(groups: &mut Vec<UnitGroup>, group: UnitGroup) {
    let enough = groups.len() >= LISTED_APPLICATIONS as usize;
    match groups.last_mut() {
        Some(last)
            if enough
                && last.triggers == group.triggers
                && last.rewards == group.rewards
                && last.units == group.units =>
        {
            last.times += group.times;
        }
        _ => groups.push(group),
    }
}

/// Follows what units taken one after the other from pools are worth, the way
/// [`Evaluation::commit_lines`](super::Evaluation) will split them off.
#[derive(Default)]
struct Taker(SmallVec<[(Pool, u32, Decimal); 4]>);

impl Taker {
    fn state(&self, evaluation: &Evaluation<'_>, pool: Pool) -> (u32, Decimal) {
        match self.0.iter().find(|(p, _, _)| *p == pool) {
            Some(&(_, units, amount)) => (units, amount),
            None => {
                let part = &evaluation.lines[pool.0 as usize].parts[pool.1 as usize];
                (part.units, part.amount)
            }
        }
    }

    /// What `units` more units of `pool` are worth.
    fn peek(&self, evaluation: &Evaluation<'_>, pool: Pool, units: u32) -> Decimal {
        let (of, amount) = self.state(evaluation, pool);
        share(&evaluation.snap.money, amount, of, units)
    }

    /// Takes `units` units of `pool` and says what they are worth.
    fn take(&mut self, evaluation: &Evaluation<'_>, pool: Pool, units: u32) -> Decimal {
        let (of, amount) = self.state(evaluation, pool);
        let worth = share(&evaluation.snap.money, amount, of, units);
        let next = (pool, of.saturating_sub(units), amount - worth);
        match self.0.iter_mut().find(|(p, _, _)| *p == pool) {
            Some(entry) => *entry = next,
            None => self.0.push(next),
        }
        worth
    }
}
