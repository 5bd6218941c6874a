//! Evaluate a cart: resolve its lines, find the promotions that concern it through the index, price
//! the lines at catalog prices, apply promotions in priority order (then shipping promotions), and
//! explain every promotion considered.

use std::borrow::Cow;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::b2b::{AppliedOffer, OfferCandidate};
use crate::cart::{Cart, PresentedCode};
use crate::compile::normalize_code;
use crate::context::Ctx;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::money::bound_problem;
use crate::quote::{
    Gift, Nudge, NudgeKind, Optimization, ParcelInsert, PromotionOutcome, Quote, Reason, Status,
};
use crate::rules::{CartAmountBasis, Combination, SkipDiscounted, Strategy, Ties};
use candidates::{Candidate, Candidates};
mod candidates;
mod catalog;
mod choose;
mod conditions;
mod multibuy;
mod offers;
mod report;
mod resolve;
pub(crate) mod ties;

use choose::Search;
use conditions::tier_nudge_kind;
use multibuy::Units;
use offers::{Effect, PartDiscount, share};
use ties::rank;

use crate::snapshot::{Facts, ItemOffer, Offer, Promotion, ShippingOffer, Snapshot};

/// A cart line as evaluation sees it.
struct Line<'a> {
    id: Cow<'a, str>,
    /// Index in the cart; lines are evaluated in id order so that the order of the request does
    /// not change the result, and reported in the request's order.
    position: usize,
    sku: &'a str,
    name: &'a str,
    quantity: u32,
    tax_rate: Decimal,
    /// Base unit price in the display mode, unrounded.
    unit: Decimal,
    /// The same, at the currency's scale: what unit price ranges compare.
    base_unit: Decimal,
    /// The reference (strike-through) unit price: the compare-at price when there is one.
    reference_unit: Decimal,
    /// The lowest price promotions may bring one unit to (display mode, unrounded).
    floor: Option<Decimal>,
    subtotal: Decimal,
    catalog_amount: Decimal,
    catalog_unit: Decimal,
    catalog_promotion: Option<u32>,
    /// What is left after the promotions applied so far, at the currency's scale: the sum of
    /// `parts`.
    amount: Decimal,
    discounts: Discounts<4>,
    /// The line's units, grouped by what happened to them (see [`Part`]).
    parts: Parts,
    /// What vouchers paid of the line: (index in the cart's vouchers, amount).
    vouchers: Vec<(usize, Decimal)>,
    segments: Cow<'a, [u32]>,
    selections: &'a [u32],
    brand: Option<u32>,
    attributes: Cow<'a, [u32]>,
    tags: Cow<'a, [u32]>,
    /// The customer's B2B discounts that reached the line (DESIGN §2.3), when any did.
    offer: Option<Box<LineOffer<'a>>>,
}

/// The B2B offer that priced a line, if one did, and the customer's candidates that lost.
struct LineOffer<'a> {
    applied: Option<AppliedOffer<'a>>,
    candidates: Vec<OfferCandidate<'a>>,
}

/// Units of a line that were treated alike. A line starts as one part; a multi-unit offer that
/// takes some of its units (as triggers, rewards or bundle members) splits them off, so that what
/// each unit costs does not depend on how the shop grouped units into lines.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Part {
    units: u32,
    /// What is left of these units, at the currency's scale.
    amount: Decimal,
    /// What these units cost before any promotion.
    base: Decimal,
    /// Taken by a multi-unit offer: no other multi-unit offer may use these units.
    claimed: bool,
    /// The stop-further or exclusive promotion that closed these units.
    closed_by: Option<u32>,
}

impl Part {
    fn is_open(&self) -> bool {
        self.closed_by.is_none()
    }

    /// What is left of one unit.
    fn unit(&self) -> Decimal {
        self.amount / Decimal::from(self.units)
    }
}

// Most lines stay one part: a second one goes to the heap.
type Parts = SmallVec<[Part; 1]>;

impl Line<'_> {
    /// Whether a B2B offer's price is the line's base.
    fn offer_priced(&self) -> bool {
        self.offer.as_ref().is_some_and(|o| o.applied.is_some())
    }

    /// The promotion that closed the line, when every unit of it is closed.
    fn closed_by(&self) -> Option<u32> {
        if self.parts.iter().all(|p| !p.is_open()) {
            self.parts.first().and_then(|p| p.closed_by)
        } else {
            None
        }
    }

    fn is_open(&self) -> bool {
        self.parts.iter().any(Part::is_open)
    }

    fn facts(&self) -> Facts<'_> {
        Facts {
            sku: self.sku,
            segments: &self.segments,
            selections: self.selections,
            brand: self.brand,
            attributes: &self.attributes,
            tags: &self.tags,
            unit: self.base_unit,
        }
    }
}

struct ShippingLine<'a> {
    method: &'a str,
    tax_rate: Decimal,
    price: Decimal,
    amount: Decimal,
    discounts: Discounts<2>,
    closed_by: Option<u32>,
}

/// Why a promotion was refused, and what the customer could do about it.
type Rejection<'a> = (Reason<'a>, Option<Nudge<'a>>);
/// What is missing to meet a condition: units, products or an amount.
type MissingFor = (NudgeKind, Decimal);

/// A voucher of the cart, checked, with what it paid.
struct CartVoucher<'a> {
    code: &'a str,
    /// At the currency's scale.
    amount: Decimal,
    skus: &'a [String],
    /// Selection ids.
    selections: SmallVec<[u32; 2]>,
    granted: Decimal,
    /// (line, part) in line order, parts not zero.
    lines: Vec<(u16, Decimal)>,
}

impl CartVoucher<'_> {
    /// Whether the voucher pays for `line`: any line when it names no sku and no selection.
    fn covers(&self, line: &Line<'_>) -> bool {
        (self.skus.is_empty() && self.selections.is_empty())
            || self.skus.iter().any(|sku| sku == line.sku)
            || line.selections.iter().any(|s| self.selections.contains(s))
    }
}

struct Code<'a> {
    /// Promotions that applied thanks to this code.
    applied: Vec<u32>,
    normalized: String,
    original: &'a str,
    promotions: &'a [String],
    usable: bool,
    reason: Option<&'a str>,
}

/// One application of a multi-unit offer: the units that triggered it and those it rewarded, or
/// the units of one bundle.
struct UnitGroup {
    triggers: Units,
    rewards: Units,
    units: Units,
    /// Consecutive applications alike, counted once.
    times: u32,
}

/// Which promotions an application pass uses: per candidate, `None` (as its offer allows),
/// `Some(0)` (left out) or `Some(k)` (a multi-unit offer applied at most k times).
#[derive(Clone)]
struct Plan {
    limits: Vec<Option<u32>>,
}

impl Plan {
    /// Every promotion as its offer allows: what the priority strategy applies.
    fn priority(candidates: usize) -> Plan {
        Plan {
            limits: vec![None; candidates],
        }
    }

    fn includes(&self, candidate: usize) -> bool {
        self.limits[candidate] != Some(0)
    }
}

/// Discounts by promotion, on a line or a shipping option.
type Discounts<const N: usize> = SmallVec<[(u32, Decimal); N]>;

/// What promotions change, saved so that several plans can be tried on the same cart.
struct Saved {
    lines: Vec<SavedLine>,
    shipping: Vec<(Decimal, Discounts<2>, Option<u32>)>,
}

struct SavedLine {
    amount: Decimal,
    discounts: Discounts<4>,
    parts: Parts,
}

struct Evaluation<'a> {
    snap: &'a Snapshot,
    cart: &'a Cart,
    ctx: Ctx<'a>,
    lines: Vec<Line<'a>>,
    shipping: Vec<ShippingLine<'a>>,
    codes: Vec<Code<'a>>,
    vouchers: Vec<CartVoucher<'a>>,
    catalog_subtotal: Decimal,
    outcomes: Vec<PromotionOutcome<'a>>,
    nudges: Vec<Nudge<'a>>,
    gifts: Vec<Gift<'a>>,
    inserts: Vec<ParcelInsert<'a>>,
    /// False while best-for-customer tries plans: nothing is recorded for the quote.
    recording: bool,
    /// The application limit of the promotion being applied (see [`Plan`]).
    limit: Option<u32>,
    optimization: Option<Optimization<'a>>,
    /// Buffers reused from one promotion to the next.
    effect: Effect,
    open: Vec<u16>,
    scratch: Vec<Decimal>,
    parts: Vec<Decimal>,
    /// Unrounded discounts per (line, part, units if not all), before they are rounded once per
    /// line.
    raw: Vec<(u16, u16, Option<u32>, Decimal)>,
    /// Some line has a floor (minimum price or cost): effects are held to them.
    has_floors: bool,
}

impl Snapshot {
    /// Prices a cart. Fails only on invalid input (each error names its field); promotions that do
    /// not apply come back in the quote with their reasons.
    pub fn evaluate<'a>(&'a self, cart: &'a Cart) -> Result<Quote<'a>> {
        let mut errors = Vec::new();
        if cart.format != crate::cart::CART_FORMAT {
            errors.push(FieldError::new(
                "format",
                format!(
                    "unsupported format `{}`, expected `{}`",
                    cart.format,
                    crate::cart::CART_FORMAT
                ),
            ));
        }
        let ctx = self.context(
            &cart.customer,
            cart.channel.as_deref(),
            &cart.at,
            cart.display,
            &mut errors,
        );
        // With an invalid context the request is refused anyway; the lines are still checked.
        let display = ctx.as_ref().map_or(self.default_display, |c| c.display);
        let lines = self.resolve_lines(cart, display, &mut errors);
        let shipping = self.resolve_shipping(cart, display, &mut errors);
        let codes = cart
            .codes
            .iter()
            .enumerate()
            .filter_map(|(i, code)| {
                let normalized = normalize_code(code.code());
                if normalized.is_empty() {
                    errors.push(FieldError::new(format!("codes[{i}]"), "must not be empty"));
                    return None;
                }
                Some(match code {
                    PresentedCode::Plain(original) => Code {
                        applied: Vec::new(),
                        normalized,
                        original,
                        promotions: &[],
                        usable: true,
                        reason: None,
                    },
                    PresentedCode::Detailed(d) => Code {
                        applied: Vec::new(),
                        normalized,
                        original: &d.code,
                        promotions: &d.promotions,
                        usable: d.usable,
                        reason: d.reason.as_deref(),
                    },
                })
            })
            .collect();
        let vouchers = self.resolve_vouchers(cart, &mut errors);
        for (id, usage) in &cart.usage {
            if let Some(problem) = bound_problem(usage.granted) {
                errors.push(FieldError::new(format!("usage.{id}.granted"), problem));
            }
        }
        let (Some(ctx), true) = (ctx, errors.is_empty()) else {
            return Err(Error::InvalidRequest(FieldErrors(errors)));
        };
        let mut lines = lines;
        self.price_offers(&ctx, &mut lines);
        let mut evaluation = Evaluation {
            snap: self,
            cart,
            ctx,
            lines,
            shipping,
            codes,
            vouchers,
            catalog_subtotal: Decimal::ZERO,
            outcomes: Vec::new(),
            nudges: Vec::new(),
            gifts: Vec::new(),
            inserts: Vec::new(),
            recording: true,
            limit: None,
            optimization: None,
            effect: Effect::default(),
            open: Vec::new(),
            scratch: Vec::new(),
            parts: Vec::new(),
            raw: Vec::new(),
            has_floors: false,
        };
        evaluation.has_floors = evaluation.lines.iter().any(|l| l.floor.is_some());
        Ok(evaluation.run())
    }
}

impl<'a> Evaluation<'a> {
    fn run(&mut self) -> Quote<'a> {
        let candidates = self.candidates();
        self.outcomes.reserve(candidates.len());
        let mut context: Vec<Option<Reason<'a>>> = (0..candidates.len())
            .map(|i| candidates.get(i))
            .map(|c| self.snap.check_context(self.promotion(c), &self.ctx))
            .collect();
        self.catalog_prices(&candidates, &context);
        for &i in &candidates.on_offer_prices {
            context[i].get_or_insert(Reason::OnOfferPrices);
        }
        // The conditions do not depend on what other promotions did: check each once.
        let mut verdicts: Vec<Option<Rejection<'a>>> = context
            .into_iter()
            .enumerate()
            .map(|(i, rejected)| match rejected {
                Some(reason) => Some((reason, None)),
                None => self.check(candidates.get(i)).err(),
            })
            .collect();

        let groups = self.groups(&candidates);
        // Under the priority strategy the search only reports what the choice would save, when
        // the request asks and that is cheap to know exactly.
        let best_for_customer = self.snap.strategy == Strategy::BestForCustomer;
        let search = if best_for_customer || self.cart.compare_strategies {
            self.choose(&candidates, &mut verdicts, &groups, !best_for_customer)
        } else {
            Search::NotAsked
        };
        let plan = match &search {
            Search::Done(chosen) if best_for_customer => chosen.plan.clone(),
            _ => Plan::priority(candidates.len()),
        };
        self.apply_plan(&candidates, &mut verdicts, &groups, &plan);
        self.optimization = match search {
            Search::Done(chosen) => Some(chosen.report),
            // Nothing to choose: both strategies give this cart's total.
            Search::NothingToChoose => {
                let total = self.grand_total();
                Some(Optimization {
                    priority_total: total,
                    best_total: total,
                    saving: self.snap.money.zero(),
                    exact: true,
                    choices: 0,
                    plans_evaluated: 1,
                    left_out: Vec::new(),
                    limited: Vec::new(),
                })
            }
            Search::TooMany | Search::NotAsked => None,
        };
        // After the plan, whichever strategy chose it: vouchers are no part of the search.
        self.apply_vouchers();
        self.quote()
    }

    /// Spends the cart's vouchers, in cart order, on what their lines still cost after every
    /// promotion (and the vouchers before them). Each goes the way of a `cart_amount_off` of its
    /// amount on the lines it covers, closed or not: `min(amount, left)` split in proportion to
    /// what is left of each line. Shipping promotions look only at shipping options, so spending
    /// the vouchers after them is spending them before shipping; vouchers never pay for shipping.
    fn apply_vouchers(&mut self) {
        if self.vouchers.is_empty() {
            return;
        }
        let money = self.snap.money;
        let mut vouchers = std::mem::take(&mut self.vouchers);
        let mut eligible = std::mem::take(&mut self.open);
        for (v, voucher) in vouchers.iter_mut().enumerate() {
            eligible.clear();
            // Lines are at most u16::MAX (checked when they are resolved).
            eligible.extend(
                (0..self.lines.len())
                    .filter(|&l| voucher.covers(&self.lines[l]))
                    .map(|l| l as u16),
            );
            self.scratch.clear();
            self.scratch
                .extend(eligible.iter().map(|&l| self.lines[l as usize].amount));
            let left: Decimal = self.scratch.iter().sum();
            let spent = voucher.amount.min(left);
            if spent.is_zero() {
                continue;
            }
            money.allocate(spent, &self.scratch, &mut self.parts);
            // Vouchers come last: the lines' parts no longer matter, only what each line costs.
            for (&l, &part) in eligible.iter().zip(&self.parts) {
                if part.is_zero() {
                    continue;
                }
                let line = &mut self.lines[l as usize];
                line.amount -= part;
                line.vouchers.push((v, part));
                voucher.granted += part;
                voucher.lines.push((l, part));
            }
        }
        self.vouchers = vouchers;
        self.open = eligible;
    }

    /// Groups of equal priority, in application order: merchandise promotions, then shipping.
    fn groups(&self, candidates: &Candidates) -> Vec<SmallVec<[usize; 8]>> {
        let (shipping, merchandise): (Vec<usize>, Vec<usize>) =
            (0..candidates.len()).partition(|&i| {
                matches!(
                    self.promotion(candidates.get(i)).offer,
                    Offer::Shipping { .. }
                )
            });
        let mut groups: Vec<SmallVec<[usize; 8]>> = Vec::new();
        for phase in [merchandise, shipping] {
            let mut previous = None;
            for i in phase {
                let priority = self.promotion(candidates.get(i)).priority;
                match groups.last_mut() {
                    Some(group) if previous == Some(priority) => group.push(i),
                    _ => groups.push(SmallVec::from_elem(i, 1)),
                }
                previous = Some(priority);
            }
        }
        groups
    }

    fn apply_plan(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        groups: &[SmallVec<[usize; 8]>],
        plan: &Plan,
    ) {
        for group in groups {
            self.apply_tied(candidates, verdicts, group, plan);
        }
    }

    fn save(&self) -> Saved {
        Saved {
            lines: self
                .lines
                .iter()
                .map(|l| SavedLine {
                    amount: l.amount,
                    discounts: l.discounts.clone(),
                    parts: l.parts.clone(),
                })
                .collect(),
            shipping: self
                .shipping
                .iter()
                .map(|s| (s.amount, s.discounts.clone(), s.closed_by))
                .collect(),
        }
    }

    fn restore(&mut self, saved: &Saved) {
        for (line, saved) in self.lines.iter_mut().zip(&saved.lines) {
            line.amount = saved.amount;
            line.discounts.clone_from(&saved.discounts);
            line.parts.clone_from(&saved.parts);
        }
        for (option, (amount, discounts, closed_by)) in
            self.shipping.iter_mut().zip(&saved.shipping)
        {
            option.amount = *amount;
            option.discounts.clone_from(discounts);
            option.closed_by = *closed_by;
        }
    }

    /// The shipping option the customer chose, if any.
    fn chosen_shipping(&self) -> Option<&ShippingLine<'a>> {
        self.chosen_shipping_index().map(|s| &self.shipping[s])
    }

    fn chosen_shipping_index(&self) -> Option<usize> {
        let chosen = self.cart.shipping_method.as_deref()?;
        self.shipping.iter().position(|s| s.method == chosen)
    }

    /// What the customer pays: merchandise and the chosen shipping method.
    fn grand_total(&self) -> Decimal {
        let merchandise: Decimal = self.lines.iter().map(|l| l.amount).sum();
        merchandise + self.chosen_shipping().map_or(Decimal::ZERO, |s| s.amount)
    }

    fn promotion(&self, c: Candidate<'_>) -> &'a Promotion {
        &self.snap.promotions[c.promotion as usize]
    }

    /// Applies a group of promotions of equal priority in the order that gives the lower total
    /// (`ties.rs`), each counted for what it can really give now.
    fn apply_tied(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        group: &[usize],
        plan: &Plan,
    ) {
        let applies = |verdicts: &[Option<Rejection<'a>>], i: usize| {
            verdicts[i].is_none() && plan.includes(i)
        };
        let applicable: SmallVec<[(usize, &'a Promotion); 8]> = group
            .iter()
            .filter(|&&i| applies(verdicts, i))
            .map(|&i| (i, self.promotion(candidates.get(i))))
            .collect();
        if self.snap.semantics.ties != Ties::Value || applicable.len() < 2 {
            for &i in group {
                self.apply_member(candidates, verdicts, plan, i);
            }
            return;
        }
        // Each counted for what it can really give now: its effect, capped by its budget.
        let mut effect = std::mem::take(&mut self.effect);
        let order = rank(&applicable, |i, p| {
            effect.clear();
            self.limit = plan.limits[i];
            let valid = self.effect_checked(candidates.get(i), &mut effect).is_ok()
                && self.cap_to_budget(p, &mut effect);
            if valid { effect.total() } else { Decimal::ZERO }
        });
        self.effect = effect;
        // The applicable ones go first, in that order, then the others report as they came.
        for &i in &order {
            self.apply_member(candidates, verdicts, plan, i);
        }
        for &i in group {
            if !applies(verdicts, i) {
                self.apply_member(candidates, verdicts, plan, i);
            }
        }
    }

    /// Applies candidate `i` as the plan says, or records why it does not apply.
    fn apply_member(
        &mut self,
        candidates: &Candidates,
        verdicts: &mut [Option<Rejection<'a>>],
        plan: &Plan,
        i: usize,
    ) {
        let c = candidates.get(i);
        self.limit = plan.limits[i];
        if !self.recording {
            if verdicts[i].is_none() && plan.includes(i) {
                self.apply(c, None);
            }
        } else if verdicts[i].is_none() && !plan.includes(i) {
            self.outcome(c, Status::Rejected, Decimal::ZERO, Some(Reason::LeftOut));
        } else {
            self.apply(c, verdicts[i].take());
        }
    }

    /// Applies one promotion (unless its conditions rejected it) and records its outcome.
    fn apply(&mut self, c: Candidate<'_>, rejection: Option<Rejection<'a>>) {
        let p = self.promotion(c);
        // Amounts measured on what earlier promotions left are measured now.
        let rejection = match rejection {
            None if self.snap.semantics.cart_amount == CartAmountBasis::Running => {
                self.check(c).err()
            }
            rejection => rejection,
        };
        if let Some((reason, nudge)) = rejection {
            self.outcome(c, Status::Rejected, Decimal::ZERO, Some(reason));
            if self.recording {
                self.nudges.extend(nudge);
            }
            return;
        }
        // Combination: lines closed by stop-further / exclusive promotions are out of reach.
        let is_shipping = matches!(p.offer, Offer::Shipping { .. });
        if !is_shipping {
            let blocked = !c.lines.is_empty()
                && c.lines
                    .iter()
                    .all(|&l| self.lines[l as usize].closed_by().is_some());
            if blocked {
                let closers: SmallVec<[u32; 2]> = c
                    .lines
                    .iter()
                    .filter_map(|&l| self.lines[l as usize].closed_by())
                    .collect();
                let reason = Reason::BlockedBy {
                    promotions: self.promotion_ids(&closers),
                };
                self.outcome(c, Status::Rejected, Decimal::ZERO, Some(reason));
                return;
            }
            if p.combination == Combination::Exclusive {
                let others: SmallVec<[u32; 2]> = self
                    .items(c, p)
                    .iter()
                    .flat_map(|&l| self.lines[l as usize].discounts.iter().map(|(p, _)| *p))
                    .collect();
                if !others.is_empty() {
                    let reason = Reason::ExclusiveConflict {
                        promotions: self.promotion_ids(&others),
                    };
                    self.outcome(c, Status::Rejected, Decimal::ZERO, Some(reason));
                    return;
                }
            }
        }
        let mut effect = std::mem::take(&mut self.effect);
        effect.clear();
        self.apply_effect(c, p, &mut effect);
        self.effect = effect;
    }

    /// Computes the effect of a promotion that passed its checks, and commits it.
    fn apply_effect(&mut self, c: Candidate<'_>, p: &'a Promotion, effect: &mut Effect) {
        if let Err(reason) = self.effect_checked(c, effect) {
            let status = match reason {
                Reason::NothingToDiscount => Status::NotEffective,
                _ => Status::Rejected,
            };
            self.outcome(c, status, Decimal::ZERO, Some(reason));
            return;
        }
        if !self.cap_to_budget(p, effect) {
            let usage = self.usage(p);
            let reason = Reason::BudgetExhausted {
                granted: self.snap.money.round(usage.granted),
                budget: p.limits.budget.unwrap_or_default(),
            };
            self.outcome(c, Status::Rejected, Decimal::ZERO, Some(reason));
            return;
        }
        let total = effect.total();
        let produces_something = matches!(p.offer, Offer::Gift { .. } | Offer::ParcelInsert { .. });
        if total.is_zero() && !produces_something {
            self.outcome(
                c,
                Status::NotEffective,
                Decimal::ZERO,
                Some(Reason::NothingToDiscount),
            );
            return;
        }
        let promotion = c.promotion;
        let closes = p.combination != Combination::Stackable;
        self.commit_lines(promotion, closes, effect);
        for &(s, d) in &effect.shipping {
            let option = &mut self.shipping[s as usize];
            if !d.is_zero() {
                option.amount -= d;
                option.discounts.push((promotion, d));
            }
            if closes && option.closed_by.is_none() {
                option.closed_by = Some(promotion);
            }
        }
        match &p.offer {
            Offer::Gift { sku, quantity } => {
                // A gift's product is checked when the promotion or the product is written.
                if self.recording
                    && let Some(product) = self.snap.product(sku)
                {
                    let unit = self.snap.money.in_display(
                        product.price,
                        product.tax_rate,
                        self.snap.prices_include_tax,
                        self.ctx.display,
                    );
                    self.gifts.push(Gift {
                        promotion: &p.id,
                        sku: &product.sku,
                        name: &product.name,
                        quantity: *quantity,
                        value: self.snap.money.round(unit * Decimal::from(*quantity)),
                    });
                }
                if closes {
                    for &l in c.lines {
                        for part in self.lines[l as usize].parts.iter_mut() {
                            part.closed_by.get_or_insert(promotion);
                        }
                    }
                }
            }
            Offer::ParcelInsert { item, description } if self.recording => {
                self.inserts.push(ParcelInsert {
                    promotion: &p.id,
                    item,
                    description,
                })
            }
            Offer::Tiered { basis, tiers } if self.recording => {
                if let Some(next) = effect.tier.and_then(|t| tiers.get(t + 1)) {
                    let value = self.tier_value(c, *basis);
                    let missing =
                        self.missing_for_tier(*basis, next.threshold, next.inclusive, value);
                    let nudge = self.nudge(p, tier_nudge_kind(*basis), missing, true);
                    self.nudges.push(nudge);
                }
            }
            _ => {}
        }
        if let Some(code) = self.code_for(p).filter(|_| self.recording) {
            self.codes[code].applied.push(promotion);
        }
        self.outcome_with(c, Status::Applied, total, None, effect);
    }

    fn effect_checked(
        &mut self,
        c: Candidate<'_>,
        effect: &mut Effect,
    ) -> std::result::Result<(), Reason<'a>> {
        let p = self.promotion(c);
        let mut open = std::mem::take(&mut self.open);
        open.clear();
        open.extend(
            c.lines
                .iter()
                .copied()
                .filter(|&l| self.lines[l as usize].is_open()),
        );
        let reachable = open.len();
        if let Some(skip) = p.skip_discounted {
            let snap = self.snap;
            open.retain(|l| {
                let discounts = &self.lines[*l as usize].discounts;
                match skip {
                    SkipDiscounted::Any => discounts.is_empty(),
                    SkipDiscounted::Catalog => !discounts
                        .iter()
                        .any(|(q, _)| snap.promotions[*q as usize].is_catalog),
                }
            });
        }
        let result = if reachable > 0 && open.is_empty() {
            Err(Reason::AlreadyDiscounted)
        } else {
            self.offer_effect(c, p, &open, effect)
        };
        self.open = open;
        if result.is_ok() && self.has_floors {
            let spreads = matches!(
                p.offer,
                Offer::Merchandise(
                    ItemOffer::AmountOffTotal(_)
                        | ItemOffer::CartAmountOff(..)
                        | ItemOffer::CartPercentOff(..)
                ) | Offer::Bundle(_)
            );
            self.hold_to_floors(spreads, effect);
        }
        result
    }

    fn offer_effect(
        &mut self,
        c: Candidate<'_>,
        p: &'a Promotion,
        open: &[u16],
        effect: &mut Effect,
    ) -> std::result::Result<(), Reason<'a>> {
        match &p.offer {
            Offer::Merchandise(offer) => self.item_effect(*offer, open, effect),
            Offer::Tiered { basis, tiers } => {
                let value = self.tier_value(c, *basis);
                let reached = tiers.iter().rposition(|t| t.reached(value));
                if let Some(t) = reached {
                    effect.tier = Some(t);
                    self.item_effect(tiers[t].offer, open, effect);
                }
            }
            Offer::Shipping { kind, methods } => {
                let money = self.snap.money;
                let mut any = false;
                let mut closers: SmallVec<[u32; 2]> = SmallVec::new();
                for (s, option) in self.shipping.iter().enumerate() {
                    if !methods.is_empty() && !methods.iter().any(|m| **m == *option.method) {
                        continue;
                    }
                    any = true;
                    if let Some(closer) = option.closed_by {
                        closers.push(closer);
                        continue;
                    }
                    if p.combination == Combination::Exclusive && !option.discounts.is_empty() {
                        continue;
                    }
                    let amount = option.amount;
                    let d = match kind {
                        ShippingOffer::Free => amount,
                        ShippingOffer::PercentOff(rate) => money.round(amount * rate),
                        ShippingOffer::AmountOff(a) => (*a).min(amount),
                        ShippingOffer::CappedPrice(cap) => (amount - cap).max(Decimal::ZERO),
                    };
                    effect.shipping.push((s as u16, d.min(amount)));
                }
                if !any {
                    return Err(Reason::NoShippingMethod { methods });
                }
                if effect.shipping.is_empty() && !closers.is_empty() {
                    return Err(Reason::BlockedBy {
                        promotions: self.promotion_ids(&closers),
                    });
                }
            }
            Offer::BuyXGetY(offer) => self.buy_x_get_y(p, offer, open, effect)?,
            Offer::Bundle(offer) => self.bundle(p, offer, effect)?,
            Offer::Gift { .. } | Offer::ParcelInsert { .. } => {}
        }
        Ok(())
    }

    fn promotion_ids(&self, ids: &[u32]) -> Vec<&'a str> {
        let mut ids: SmallVec<[u32; 4]> = ids.iter().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let snap = self.snap;
        ids.iter()
            .map(|&i| &*snap.promotions[i as usize].id)
            .collect()
    }
}
