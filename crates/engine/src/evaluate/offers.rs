//! What an offer on merchandise takes off the cart (its *effect*), how floors and budgets bound
//! it, and how it is committed to the lines and their parts.

use rust_decimal::{Decimal, RoundingStrategy};
use smallvec::SmallVec;

use super::{Evaluation, Line, Part, UnitGroup};
use crate::money::{Money, mul_div};
use crate::rules::{BudgetRule, PercentBasis, RoundingOf};
use crate::snapshot::{ItemOffer, Promotion, Snapshot, UnitLimit};

/// The discounts one promotion would give: on parts of lines, or per shipping option.
#[derive(Default)]
pub(super) struct Effect {
    /// A line's discounts are rounded once for the line, then split over its parts.
    pub parts: Vec<PartDiscount>,
    pub shipping: Vec<(u16, Decimal)>,
    /// Index of the tier used, for tiered offers.
    pub tier: Option<usize>,
    /// How a multi-unit offer grouped its units (one group per application).
    pub groups: Vec<UnitGroup>,
    /// What floors kept the offer from giving.
    pub lost: Decimal,
}

/// A discount on a part of a line: on all its units, or on some of them, which are then split off
/// into a part of their own (a multi-unit offer's units, a percentage on N units).
#[derive(Debug, Clone, Copy)]
pub(super) struct PartDiscount {
    pub line: u16,
    pub part: u16,
    /// `Some(k)`: `k` units of the part, split off (unless they are all of it).
    pub units: Option<u32>,
    /// Taken by a multi-unit offer: no other multi-unit offer may use these units.
    pub claim: bool,
    pub discount: Decimal,
}

impl PartDiscount {
    /// A discount on all the units of a part.
    pub fn whole(line: u16, part: u16, discount: Decimal) -> PartDiscount {
        PartDiscount {
            line,
            part,
            units: None,
            claim: false,
            discount,
        }
    }
}

impl Effect {
    pub fn total(&self) -> Decimal {
        self.parts
            .iter()
            .map(|d| d.discount)
            .chain(self.shipping.iter().map(|(_, d)| *d))
            .sum()
    }

    /// Calls `f` with the discount on each line it touches (zero included), in line order.
    pub fn for_each_line(&self, mut f: impl FnMut(u16, Decimal)) {
        // Usually in line order already (a multi-unit offer's triggers come after its rewards).
        if self.parts.windows(2).all(|w| w[0].line <= w[1].line) {
            merge_runs(self.parts.iter().map(|d| (d.line, d.discount)), f);
        } else {
            let mut lines: SmallVec<[(u16, Decimal); 8]> =
                self.parts.iter().map(|d| (d.line, d.discount)).collect();
            lines.sort_by_key(|&(l, _)| l);
            merge_runs(lines.into_iter(), &mut f);
        }
    }

    pub fn clear(&mut self) {
        self.parts.clear();
        self.shipping.clear();
        self.tier = None;
        self.groups.clear();
        self.lost = Decimal::ZERO;
    }
}

/// Calls `f` once per run of equal lines in `entries`, with the sum of the run.
fn merge_runs(entries: impl Iterator<Item = (u16, Decimal)>, mut f: impl FnMut(u16, Decimal)) {
    let mut current: Option<(u16, Decimal)> = None;
    for (l, d) in entries {
        match &mut current {
            Some((line, sum)) if *line == l => *sum += d,
            _ => {
                if let Some((line, sum)) = current.replace((l, d)) {
                    f(line, sum);
                }
            }
        }
    }
    if let Some((line, sum)) = current {
        f(line, sum);
    }
}

/// What `units` of a part worth `amount` for `of` units are worth, at the currency's scale; all of
/// them take the whole amount, so that parts always sum to their line.
pub(super) fn share(money: &Money, amount: Decimal, of: u32, units: u32) -> Decimal {
    if units >= of {
        amount
    } else {
        money.round(mul_div(amount, Decimal::from(units), Decimal::from(of)))
    }
}

/// What `units` of a part are worth now and were worth before any promotion.
fn shares(money: &Money, part: &Part, units: Option<u32>) -> (Decimal, Decimal) {
    match units {
        Some(k) => (
            share(money, part.amount, part.units, k),
            share(money, part.base, part.units, k),
        ),
        None => (part.amount, part.base),
    }
}

impl Snapshot {
    /// The unrounded discount an offer gives on `units` units worth `amount` now and `base` before
    /// any promotion; never more than `amount`. Amounts off a whole count as their amount.
    pub(crate) fn offer_raw(
        &self,
        offer: ItemOffer,
        amount: Decimal,
        base: Decimal,
        units: u32,
    ) -> Decimal {
        let of_price = |rate: Decimal| match self.semantics.percentages {
            PercentBasis::Remaining => amount * rate,
            PercentBasis::Original => base * rate,
        };
        let d = match offer {
            ItemOffer::PercentOff(rate, _) | ItemOffer::CartPercentOff(rate, _) => of_price(rate),
            ItemOffer::AmountOffEach(a, _) => a * Decimal::from(units),
            ItemOffer::UnitPrice(price, _) => amount - price * Decimal::from(units),
            ItemOffer::AmountOffLine(a)
            | ItemOffer::AmountOffTotal(a)
            | ItemOffer::CartAmountOff(a, _) => a,
        };
        d.min(amount).max(Decimal::ZERO)
    }

    /// Rounds a discount of `raw` (between zero and `price`) off `price` (at the currency's
    /// scale): the discount itself, or the discounted price (`semantics.rounding_of`). Either
    /// stays between zero and `price`, which are multiples of the minor unit.
    pub(crate) fn round_discount(&self, price: Decimal, raw: Decimal) -> Decimal {
        let money = &self.money;
        match self.semantics.rounding_of {
            RoundingOf::Discount => money.round(raw),
            RoundingOf::DiscountedPrice => price - money.round(price - raw),
        }
    }

    /// What a per-unit offer takes off `quantity` units worth `amount` (`base` before promotions),
    /// rounded once.
    pub(crate) fn line_discount(
        &self,
        offer: ItemOffer,
        amount: Decimal,
        base: Decimal,
        quantity: u32,
    ) -> Decimal {
        self.round_discount(amount, self.offer_raw(offer, amount, base, quantity))
    }

    /// The least `units` units with a floor of `floor` each may cost, at the currency's scale
    /// (rounded up: a floor is never crossed by rounding).
    pub(crate) fn floor_of(&self, floor: Option<Decimal>, units: u32) -> Decimal {
        floor.map_or(Decimal::ZERO, |f| {
            let mut least = (f * Decimal::from(units))
                .round_dp_with_strategy(self.money.scale, RoundingStrategy::AwayFromZero);
            least.rescale(self.money.scale);
            least
        })
    }
}

impl<'a> Evaluation<'a> {
    /// The effect of a merchandise offer on the open units of `open` lines.
    pub(super) fn item_effect(&mut self, offer: ItemOffer, open: &[u16], effect: &mut Effect) {
        self.raw.clear();
        match offer {
            ItemOffer::PercentOff(_, limit)
            | ItemOffer::AmountOffEach(_, limit)
            | ItemOffer::UnitPrice(_, limit)
                if limit.limits() =>
            {
                self.unit_selection(offer, limit, open);
            }
            ItemOffer::PercentOff(..) | ItemOffer::AmountOffEach(..) | ItemOffer::UnitPrice(..) => {
                let snap = self.snap;
                for &l in open {
                    let parts = &self.lines[l as usize].parts;
                    // A line of one part is rounded on its own, without the per-line pass.
                    if let [part] = &parts[..] {
                        let raw = snap.offer_raw(offer, part.amount, part.base, part.units);
                        let d = snap.round_discount(part.amount, raw);
                        effect.parts.push(PartDiscount::whole(l, 0, d));
                        continue;
                    }
                    for (p, part) in parts.iter().enumerate() {
                        if part.is_open() {
                            let d = snap.offer_raw(offer, part.amount, part.base, part.units);
                            self.raw.push((l, p as u16, None, d));
                        }
                    }
                }
            }
            ItemOffer::AmountOffLine(amount) => {
                // Split over the line's open parts in proportion to what is left of them.
                for &l in open {
                    let line = &self.lines[l as usize];
                    let left: Decimal = line
                        .parts
                        .iter()
                        .filter(|p| p.is_open())
                        .map(|p| p.amount)
                        .sum();
                    if left.is_zero() {
                        continue;
                    }
                    let d = amount.min(left);
                    for (p, part) in line.parts.iter().enumerate() {
                        if part.is_open() {
                            self.raw
                                .push((l, p as u16, None, mul_div(d, part.amount, left)));
                        }
                    }
                }
            }
            ItemOffer::AmountOffTotal(amount) => {
                return self.spread(open, false, |_, left| amount.min(left), effect);
            }
            ItemOffer::CartAmountOff(amount, shipping) => {
                return self.spread(open, shipping, |_, left| amount.min(left), effect);
            }
            ItemOffer::CartPercentOff(_, shipping) => {
                let snap = self.snap;
                return self.spread(
                    open,
                    shipping,
                    |base, left| snap.round_discount(left, snap.offer_raw(offer, left, base, 1)),
                    effect,
                );
            }
        }
        self.round_per_line(effect);
    }

    /// A per-unit offer on some units only: at most `max_units` in all and `per_line` per line,
    /// the most expensive first (or the cheapest), ties by sku — not by line: how units are
    /// grouped in lines must not matter — then units a multi-unit offer already claimed (this
    /// offer claims none, and leaves the unclaimed ones to those that must claim), then line
    /// order.
    fn unit_selection(&mut self, offer: ItemOffer, limit: UnitLimit, open: &[u16]) {
        let money = self.snap.money;
        // (value key, sku, not claimed, line, part)
        type Unit<'s> = (Decimal, &'s str, bool, u16, u16);
        let mut order: SmallVec<[Unit<'_>; 8]> = SmallVec::new();
        for &l in open {
            let line = &self.lines[l as usize];
            for (p, part) in line.parts.iter().enumerate() {
                if part.is_open() {
                    let unit = part.unit();
                    let key = if limit.cheapest_first { unit } else { -unit };
                    order.push((key, line.sku, !part.claimed, l, p as u16));
                }
            }
        }
        order.sort_unstable();
        let mut left = limit.max_units.unwrap_or(u32::MAX);
        let mut per_line: SmallVec<[(u16, u32); 8]> = SmallVec::new();
        for (_, _, _, l, p) in order {
            if left == 0 {
                break;
            }
            let taken = match per_line.iter_mut().find(|(line, _)| *line == l) {
                Some(entry) => entry,
                None => {
                    per_line.push((l, 0));
                    per_line
                        .last_mut()
                        .unwrap_or_else(|| unreachable!("just pushed"))
                }
            };
            let line_left = limit.per_line.map_or(u32::MAX, |max| max - taken.1);
            let part = &self.lines[l as usize].parts[p as usize];
            let units = left.min(line_left).min(part.units);
            if units == 0 {
                continue;
            }
            left -= units;
            taken.1 += units;
            let (amount, base) = shares(&money, part, Some(units));
            let d = self.snap.offer_raw(offer, amount, base, units);
            self.raw.push((l, p, Some(units), d));
        }
        // Back to line order, so that a line's parts are rounded together.
        self.raw.sort_unstable_by_key(|&(l, p, _, _)| (l, p));
    }

    /// Rounds the unrounded discounts of `raw` (in line order) once per line, and splits each
    /// line's rounded discount over its parts by largest remainder.
    fn round_per_line(&mut self, effect: &mut Effect) {
        let money = self.snap.money;
        let raw = std::mem::take(&mut self.raw);
        let mut start = 0;
        while start < raw.len() {
            let l = raw[start].0;
            let end = start + raw[start..].iter().take_while(|r| r.0 == l).count();
            let line = &raw[start..end];
            let parts = &self.lines[l as usize].parts;
            let price: Decimal = line
                .iter()
                .map(|&(_, p, units, _)| shares(&money, &parts[p as usize], units).0)
                .sum();
            let total = self
                .snap
                .round_discount(price, line.iter().map(|r| r.3).sum::<Decimal>());
            let discount =
                |&(l, part, units, _): &(u16, u16, Option<u32>, Decimal), d| PartDiscount {
                    line: l,
                    part,
                    units,
                    claim: false,
                    discount: d,
                };
            if let [only] = line {
                effect.parts.push(discount(only, total));
            } else {
                self.scratch.clear();
                self.scratch.extend(line.iter().map(|r| r.3));
                money.allocate(total, &self.scratch, &mut self.parts);
                effect.parts.extend(
                    line.iter()
                        .zip(&self.parts)
                        .map(|(entry, &d)| discount(entry, d)),
                );
            }
            start = end;
        }
        self.raw = raw;
    }

    /// A discount on the open parts of the open lines as a whole (and on the chosen shipping
    /// method, with `shipping`), split over them by largest remainder. `total_of` gets what they
    /// were worth before promotions and what is left of them.
    fn spread(
        &mut self,
        open: &[u16],
        shipping: bool,
        total_of: impl Fn(Decimal, Decimal) -> Decimal,
        effect: &mut Effect,
    ) {
        self.scratch.clear();
        let start = effect.parts.len();
        // What the parts were worth before promotions matters only for percentages of it.
        let of_original = self.snap.semantics.percentages == PercentBasis::Original;
        let mut base = Decimal::ZERO;
        for &l in open {
            for (p, part) in self.lines[l as usize].parts.iter().enumerate() {
                if part.is_open() {
                    self.scratch.push(part.amount);
                    if of_original {
                        base += part.base;
                    }
                    effect
                        .parts
                        .push(PartDiscount::whole(l, p as u16, Decimal::ZERO));
                }
            }
        }
        let chosen = shipping
            .then(|| self.chosen_shipping_index())
            .flatten()
            .filter(|&s| self.shipping[s].closed_by.is_none());
        if let Some(s) = chosen {
            self.scratch.push(self.shipping[s].amount);
            if of_original {
                base += self.shipping[s].price;
            }
        }
        let left: Decimal = self.scratch.iter().sum();
        let total = total_of(base, left).min(left);
        if total.is_zero() {
            effect.parts.truncate(start);
            return;
        }
        self.snap
            .money
            .allocate(total, &self.scratch, &mut self.parts);
        for (entry, &d) in effect.parts[start..].iter_mut().zip(&self.parts) {
            entry.discount = d;
        }
        if let (Some(s), Some(&d)) = (chosen, self.parts.last()) {
            effect.shipping.push((s as u16, d));
        }
    }

    /// No item goes below its floor (minimum price, or cost under a margin floor). What an item
    /// cannot take goes to the promotion's other items when the offer is an amount off a whole
    /// (`spreads`), in proportion to what they can still take; what is left is lost.
    pub(super) fn hold_to_floors(&mut self, spreads: bool, effect: &mut Effect) {
        let money = self.snap.money;
        let mut excess = Decimal::ZERO;
        self.scratch.clear();
        for d in effect.parts.iter_mut() {
            let line = &self.lines[d.line as usize];
            let part = &line.parts[d.part as usize];
            let units = d.units.unwrap_or(part.units);
            let (price, _) = shares(&money, part, d.units);
            let room = (price - self.snap.floor_of(line.floor, units)).max(Decimal::ZERO);
            if d.discount > room {
                excess += d.discount - room;
                d.discount = room;
            }
            self.scratch.push(room - d.discount);
        }
        if excess.is_zero() {
            return;
        }
        let room: Decimal = self.scratch.iter().sum();
        if spreads && !room.is_zero() {
            let given = excess.min(room);
            money.allocate(given, &self.scratch, &mut self.parts);
            for (d, extra) in effect.parts.iter_mut().zip(&self.parts) {
                d.discount += *extra;
            }
            excess -= given;
        }
        effect.lost = excess;
    }

    /// With a budget, a promotion grants at most what is left of it (or, under
    /// `semantics.budget: all_or_nothing`, nothing when that is not enough: false). Shipping
    /// options are alternatives: each is capped on its own.
    pub(super) fn cap_to_budget(&mut self, p: &Promotion, effect: &mut Effect) -> bool {
        let Some(budget) = p.limits.budget else {
            return true;
        };
        let left = self
            .snap
            .money
            .round(budget - self.usage(p).granted)
            .max(Decimal::ZERO);
        let all_or_nothing = self.snap.semantics.budget == BudgetRule::AllOrNothing;
        self.scratch.clear();
        self.scratch.extend(effect.parts.iter().map(|d| d.discount));
        let asked: Decimal = self.scratch.iter().sum();
        if all_or_nothing && (asked > left || effect.shipping.iter().any(|(_, d)| *d > left)) {
            return false;
        }
        for (_, d) in effect.shipping.iter_mut() {
            *d = (*d).min(left);
        }
        if asked > left {
            self.snap
                .money
                .allocate(left, &self.scratch, &mut self.parts);
            for (d, capped) in effect.parts.iter_mut().zip(&self.parts) {
                d.discount = *capped;
            }
        }
        true
    }

    /// Takes an effect's discounts off the lines and their parts; units an offer took only some of
    /// a part's become a part of their own. A closing promotion closes the parts it reached.
    pub(super) fn commit_lines(&mut self, promotion: u32, closes: bool, effect: &Effect) {
        let money = self.snap.money;
        // A line's discount is the sum of its parts': summed on the way when the parts come in
        // line order (the usual case), else afterwards.
        let in_order = effect.parts.windows(2).all(|w| w[0].line <= w[1].line);
        let mut run: Option<(u16, Decimal)> = None;
        for d in &effect.parts {
            if in_order {
                match &mut run {
                    Some((l, sum)) if *l == d.line => *sum += d.discount,
                    _ => {
                        if let Some((l, sum)) = run.replace((d.line, d.discount)) {
                            take_off(&mut self.lines[l as usize], promotion, sum);
                        }
                    }
                }
            }
            let line = &mut self.lines[d.line as usize];
            let part = &mut line.parts[d.part as usize];
            let closed_by = if closes {
                part.closed_by.or(Some(promotion))
            } else {
                part.closed_by
            };
            match d.units {
                Some(units) if units < part.units => {
                    let (taken, base) = shares(&money, part, Some(units));
                    part.units -= units;
                    part.amount -= taken;
                    part.base -= base;
                    let split = Part {
                        units,
                        amount: taken - d.discount,
                        base,
                        claimed: part.claimed || d.claim,
                        closed_by,
                    };
                    line.parts.push(split);
                }
                _ => {
                    part.amount -= d.discount;
                    part.claimed |= d.claim;
                    part.closed_by = closed_by;
                }
            }
        }
        if let Some((l, sum)) = run {
            take_off(&mut self.lines[l as usize], promotion, sum);
        }
        if !in_order {
            effect.for_each_line(|l, d| take_off(&mut self.lines[l as usize], promotion, d));
        }
    }
}

/// Takes a promotion's discount off a line and records it.
fn take_off(line: &mut Line<'_>, promotion: u32, discount: Decimal) {
    if !discount.is_zero() {
        line.amount -= discount;
        line.discounts.push((promotion, discount));
    }
}
