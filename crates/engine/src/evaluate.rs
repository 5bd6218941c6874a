//! Evaluate a cart: resolve its lines, find the promotions that concern it through the index, price
//! the lines at catalog prices, apply promotions in priority order (then shipping promotions), and
//! explain every promotion considered.

use std::borrow::Cow;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::cart::{Cart, PresentedCode, PromotionUsage};
use crate::compile::normalize_code;
use crate::context::Ctx;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::money::rate_problem;
use crate::quote::{
    Application, CodeOutcome, Explained, Gift, LineAmount, LineDiscount, LineUnits, LineVoucher,
    Nudge, NudgeKind, Optimization, ParcelInsert, PriceSource, PromotionOutcome, QUOTE_FORMAT,
    Quote, QuoteLine, Reason, ShippingQuote, Status, Taxed, Totals, VoucherOutcome,
};
use crate::rules::{
    CartAmountBasis, Combination, Display, SkipDiscounted, Strategy, TierBasis, Ties,
};
mod choose;
mod multibuy;
mod offers;
pub(crate) mod ties;

use choose::Search;
use multibuy::Units;
use offers::{Effect, PartDiscount, share};
use ties::{Tied, order_ties};

use crate::snapshot::{
    Facts, History, ItemOffer, Offer, Promotion, ShippingOffer, Snapshot, Targets, attribute_key,
};

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

type Parts = SmallVec<[Part; 2]>;

impl Line<'_> {
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

/// A promotion that concerns the cart, with the lines it targets.
#[derive(Clone, Copy)]
struct Candidate<'c> {
    promotion: u32,
    lines: &'c [u16],
}

/// The candidates of a cart, in consideration order; their lines share one buffer.
struct Candidates {
    entries: Vec<(u32, std::ops::Range<usize>)>,
    lines: Vec<u16>,
}

impl Candidates {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn get(&self, i: usize) -> Candidate<'_> {
        let (promotion, range) = &self.entries[i];
        Candidate {
            promotion: *promotion,
            lines: &self.lines[range.clone()],
        }
    }
}

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
        let (Some(ctx), true) = (ctx, errors.is_empty()) else {
            return Err(Error::InvalidRequest(FieldErrors(errors)));
        };
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

    fn resolve_lines<'c>(
        &'c self,
        cart: &'c Cart,
        display: Display,
        errors: &mut Vec<FieldError>,
    ) -> Vec<Line<'c>> {
        let money = &self.money;
        let mut lines = Vec::with_capacity(cart.lines.len());
        if cart.lines.len() > u16::MAX as usize {
            errors.push(FieldError::new(
                "lines",
                format!("at most {} lines", u16::MAX),
            ));
            return lines;
        }
        let mut ids = rustc_hash::FxHashSet::default();
        for (i, l) in cart.lines.iter().enumerate() {
            // Paths are written only when there is an error to report.
            let path = |field: &str| format!("lines[{i}].{field}");
            let entry = self.skus.get(l.sku.as_str());
            let product = entry
                .and_then(|e| e.product)
                .map(|p| &self.products[p as usize]);
            if l.sku.is_empty() {
                errors.push(FieldError::new(path("sku"), "must not be empty"));
            }
            if l.quantity == 0 {
                errors.push(FieldError::new(path("quantity"), "must be at least 1"));
            }
            let price = match (l.price, product) {
                (Some(price), _) => {
                    if let Some(problem) = money.amount_problem(price) {
                        errors.push(FieldError::new(path("price"), problem));
                    }
                    price
                }
                (None, Some(p)) => p.price,
                (None, None) => {
                    errors.push(FieldError::new(
                        path("sku"),
                        format!(
                            "`{}` is not in the catalog; give the line's price inline",
                            l.sku
                        ),
                    ));
                    Decimal::ZERO
                }
            };
            let tax_rate = l
                .tax_rate
                .or(product.map(|p| p.tax_rate))
                .unwrap_or_default();
            if let Some(problem) = rate_problem(tax_rate) {
                errors.push(FieldError::new(path("tax_rate"), problem));
            }
            let id: Cow<'c, str> = match &l.id {
                Some(id) => Cow::Borrowed(id.as_str()),
                None => Cow::Owned((i + 1).to_string()),
            };
            if !ids.insert(id.clone()) {
                errors.push(FieldError::new(
                    path("id"),
                    format!("duplicate line id `{id}`"),
                ));
            }
            let segments: Cow<'c, [u32]> = match (&l.segments, product) {
                (Some(names), _) => {
                    let mut ids: Vec<u32> = names
                        .iter()
                        .filter_map(|n| self.names.segments.get(n.as_str()))
                        .flat_map(|&id| self.segment_lineage[id as usize].iter().copied())
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    Cow::Owned(ids)
                }
                (None, Some(p)) => Cow::Borrowed(&p.segments[..]),
                (None, None) => Cow::Borrowed(&[]),
            };
            let brand = match (&l.brand, product) {
                (Some(b), _) => self.names.brands.get(b.as_str()).copied(),
                (None, Some(p)) => p.brand,
                (None, None) => None,
            };
            let attributes: Cow<'c, [u32]> = match (&l.attributes, product) {
                (Some(map), _) => {
                    let mut ids: Vec<u32> = map
                        .iter()
                        .filter_map(|(k, v)| {
                            self.names
                                .attributes
                                .get(attribute_key(k, v).as_str())
                                .copied()
                        })
                        .collect();
                    ids.sort_unstable();
                    Cow::Owned(ids)
                }
                (None, Some(p)) => Cow::Borrowed(&p.attributes[..]),
                (None, None) => Cow::Borrowed(&[]),
            };
            let tags: Cow<'c, [u32]> = match (&l.tags, product) {
                (Some(names), _) => {
                    let mut ids: Vec<u32> = names
                        .iter()
                        .filter_map(|t| self.names.tags.get(t.as_str()).copied())
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    Cow::Owned(ids)
                }
                (None, Some(p)) => Cow::Borrowed(&p.tags[..]),
                (None, None) => Cow::Borrowed(&[]),
            };
            let in_display = |amount: Decimal| {
                money.in_display(amount, tax_rate, self.prices_include_tax, display)
            };
            let unit = in_display(price);
            let subtotal = money.round(unit * Decimal::from(l.quantity));
            // Inline facts override the catalog's, one by one.
            let floor = match (l.min_price.is_some() || l.cost.is_some(), product) {
                (true, _) | (false, None) => {
                    crate::compile::product_floor(l.min_price, l.cost, self.floor_at_cost)
                }
                (false, Some(p)) => p.floor,
            };
            // A "was" price is a reference only when it is above the price.
            let compare_at = l
                .compare_at_price
                .or(product.and_then(|p| p.compare_at))
                .filter(|c| *c > price);
            for (field, amount) in [
                ("cost", l.cost),
                ("min_price", l.min_price),
                ("compare_at_price", l.compare_at_price),
            ] {
                if let Some(problem) = amount.and_then(|a| money.amount_problem(a)) {
                    errors.push(FieldError::new(path(field), problem));
                }
            }
            lines.push(Line {
                id,
                position: i,
                sku: &l.sku,
                name: l
                    .name
                    .as_deref()
                    .or(product.map(|p| &*p.name))
                    .unwrap_or(""),
                quantity: l.quantity,
                tax_rate,
                unit,
                base_unit: money.round(unit),
                reference_unit: money.round(compare_at.map_or(unit, in_display)),
                floor: floor.map(in_display),
                subtotal,
                catalog_amount: subtotal,
                catalog_unit: money.round(unit),
                catalog_promotion: None,
                amount: subtotal,
                discounts: SmallVec::new(),
                parts: SmallVec::from_elem(
                    Part {
                        units: l.quantity,
                        amount: subtotal,
                        base: subtotal,
                        claimed: false,
                        closed_by: None,
                    },
                    1,
                ),
                vouchers: Vec::new(),
                segments,
                selections: entry.map_or(&[][..], |e| &e.selections[..]),
                brand,
                attributes,
                tags,
            });
        }
        lines.sort_by(|a, b| a.id.cmp(&b.id));
        lines
    }

    /// Checks the cart's vouchers: a code (unique, compared like coupon codes), an amount above
    /// zero at the currency's precision, and selections the catalog knows.
    fn resolve_vouchers<'c>(
        &self,
        cart: &'c Cart,
        errors: &mut Vec<FieldError>,
    ) -> Vec<CartVoucher<'c>> {
        let money = &self.money;
        let mut vouchers = Vec::with_capacity(cart.vouchers.len());
        let mut codes: Vec<String> = Vec::with_capacity(cart.vouchers.len());
        for (i, v) in cart.vouchers.iter().enumerate() {
            let path = |field: &str| format!("vouchers[{i}].{field}");
            let code = normalize_code(&v.code);
            if code.is_empty() {
                errors.push(FieldError::new(path("code"), "must not be empty"));
            } else if let Some(first) = codes.iter().position(|c| *c == code) {
                errors.push(FieldError::new(
                    path("code"),
                    format!(
                        "duplicate voucher `{}` (first at vouchers[{first}])",
                        v.code
                    ),
                ));
            }
            codes.push(code);
            if v.amount <= Decimal::ZERO {
                errors.push(FieldError::new(
                    path("amount"),
                    format!("must be greater than 0 (got {})", v.amount),
                ));
            } else if let Some(problem) = money.amount_problem(v.amount) {
                errors.push(FieldError::new(path("amount"), problem));
            }
            for (j, sku) in v.skus.iter().enumerate() {
                if sku.is_empty() {
                    errors.push(FieldError::new(
                        format!("vouchers[{i}].skus[{j}]"),
                        "must not be empty",
                    ));
                }
            }
            let mut selections = SmallVec::new();
            for (j, selection) in v.selections.iter().enumerate() {
                match self.names.selections.get(selection.as_str()) {
                    Some(&id) => selections.push(id),
                    None => errors.push(FieldError::new(
                        format!("vouchers[{i}].selections[{j}]"),
                        format!("unknown selection `{selection}`"),
                    )),
                }
            }
            vouchers.push(CartVoucher {
                code: &v.code,
                amount: money.round(v.amount),
                skus: &v.skus,
                selections,
                granted: money.zero(),
                lines: Vec::new(),
            });
        }
        vouchers
    }

    fn resolve_shipping<'c>(
        &self,
        cart: &'c Cart,
        display: Display,
        errors: &mut Vec<FieldError>,
    ) -> Vec<ShippingLine<'c>> {
        let money = &self.money;
        let mut options: Vec<ShippingLine<'c>> = Vec::with_capacity(cart.shipping_options.len());
        for (i, o) in cart.shipping_options.iter().enumerate() {
            let path = |field: &str| format!("shipping_options[{i}].{field}");
            if o.method.is_empty() {
                errors.push(FieldError::new(path("method"), "must not be empty"));
            }
            if options.iter().any(|s| s.method == o.method) {
                errors.push(FieldError::new(
                    path("method"),
                    format!("duplicate method `{}`", o.method),
                ));
            }
            if let Some(problem) = money.amount_problem(o.price) {
                errors.push(FieldError::new(path("price"), problem));
            }
            if let Some(problem) = rate_problem(o.tax_rate) {
                errors.push(FieldError::new(path("tax_rate"), problem));
            }
            let price = money.round(money.in_display(
                o.price,
                o.tax_rate,
                self.prices_include_tax,
                display,
            ));
            options.push(ShippingLine {
                method: &o.method,
                tax_rate: o.tax_rate,
                price,
                amount: price,
                discounts: SmallVec::new(),
                closed_by: None,
            });
        }
        if let Some(method) = &cart.shipping_method
            && !options.iter().any(|o| o.method == method)
        {
            errors.push(FieldError::new(
                "shipping_method",
                format!("`{method}` is not among shipping_options"),
            ));
        }
        options
    }
}

impl<'a> Evaluation<'a> {
    fn run(&mut self) -> Quote<'a> {
        let candidates = self.candidates();
        self.outcomes.reserve(candidates.len());
        let context: Vec<Option<Reason<'a>>> = (0..candidates.len())
            .map(|i| candidates.get(i))
            .map(|c| self.snap.check_context(self.promotion(c), &self.ctx))
            .collect();
        self.catalog_prices(&candidates, &context);
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

    /// The promotions that concern the cart, in consideration order, with the lines they target.
    fn candidates(&self) -> Candidates {
        let snap = self.snap;
        let mut pairs: Vec<u64> = Vec::with_capacity(self.lines.len() * 8);
        for (li, line) in self.lines.iter().enumerate() {
            snap.targeting_lists(&line.facts(), |ids| {
                pairs.extend(ids.iter().map(|&p| (u64::from(p) << 16) | li as u64));
            });
        }
        pairs.sort_unstable();
        pairs.dedup();

        let line_count = self.lines.len();
        // The lines of every cart line come first: promotions on all products without
        // exclusions share that range.
        let mut lines: Vec<u16> = (0..line_count as u16).collect();
        let mut entries = Vec::with_capacity(snap.index.all.len() + pairs.len() / 2);
        let mut all = snap.index.all.iter().copied().peekable();
        let mut targeted = pairs.iter().copied().peekable();
        loop {
            let next_targeted = targeted.peek().map(|&pair| (pair >> 16) as u32);
            // Merge the two sorted streams: the smaller promotion index comes first.
            let (promotion, range) = match (next_targeted, all.peek().copied()) {
                (Some(t), a) if a.is_none_or(|a| t < a) => {
                    let start = lines.len();
                    while let Some(pair) = targeted.next_if(|&pair| (pair >> 16) as u32 == t) {
                        lines.push((pair & 0xFFFF) as u16);
                    }
                    (t, start..lines.len())
                }
                (_, Some(a)) => {
                    all.next();
                    (a, 0..line_count)
                }
                // `(Some(_), None)` is taken by the first arm: both streams are done.
                (_, None) => break,
            };
            let p = &snap.promotions[promotion as usize];
            let range = if p.exclude.is_some() || p.unit_price.is_some() {
                let start = lines.len();
                for k in range {
                    let l = lines[k];
                    let line = &self.lines[l as usize];
                    let excluded = p.exclude.as_ref().is_some_and(|e| e.matches(&line.facts()));
                    let priced = p.unit_price.is_none_or(|b| b.contains(line.base_unit));
                    if !excluded && priced {
                        lines.push(l);
                    }
                }
                start..lines.len()
            } else {
                range
            };
            // A targeted promotion whose every targeted line is excluded does not concern the cart.
            if range.is_empty() && !p.all {
                continue;
            }
            entries.push((promotion, range));
        }
        Candidates { entries, lines }
    }

    /// Each line's catalog price: its base with every catalog promotion that reaches it (§2.5),
    /// applied as the cart would apply them alone; and the catalog subtotal that amount conditions
    /// measure (§2.7).
    fn catalog_prices(&mut self, candidates: &Candidates, checks: &[Option<Reason<'a>>]) {
        let money = self.snap.money;
        let mut reaching: Vec<SmallVec<[u32; 2]>> = vec![SmallVec::new(); self.lines.len()];
        for (c, check) in (0..candidates.len()).map(|i| candidates.get(i)).zip(checks) {
            let p = self.promotion(c);
            // Catalog promotions have no amount condition: their checks do not need the
            // catalog subtotal this computes.
            if p.is_catalog && check.is_none() && self.check(c).is_ok() {
                for &l in c.lines {
                    reaching[l as usize].push(c.promotion);
                }
            }
        }
        let snap = self.snap;
        // What catalog promotions with a budget gave to the lines before: a budget is the cart's.
        let mut spent: SmallVec<[(u32, Decimal); 2]> = SmallVec::new();
        for (l, reaching) in reaching.iter().enumerate() {
            if reaching.is_empty() {
                continue;
            }
            let budget_left = |p: &Promotion, spent: Decimal| {
                p.limits.budget.map(|b| {
                    money
                        .round(b - self.usage(p).granted - spent)
                        .max(Decimal::ZERO)
                })
            };
            let line = &self.lines[l];
            // Which promotions apply, and in which order, is decided once, on the unit the
            // catalog shows; the line pays the same promotions in the same order.
            let unit = money.round(line.unit);
            let chain = snap.catalog_chain(unit, 1, line.floor, reaching, |p| {
                budget_left(p, Decimal::ZERO)
            });
            let shown = snap.shown_promotion(unit, &chain.applied);
            let mut amount = line.subtotal;
            for &i in &chain.applied {
                let p = &snap.promotions[i as usize];
                let before = spent
                    .iter()
                    .find(|(s, _)| *s == i)
                    .map_or(Decimal::ZERO, |s| s.1);
                let d = snap.catalog_discount(
                    p,
                    (amount, line.subtotal),
                    line.quantity,
                    line.floor,
                    budget_left(p, before),
                );
                amount -= d;
                if p.limits.budget.is_some() {
                    match spent.iter_mut().find(|(s, _)| *s == i) {
                        Some(entry) => entry.1 += d,
                        None => spent.push((i, d)),
                    }
                }
            }
            let line = &mut self.lines[l];
            line.catalog_amount = amount;
            line.catalog_unit = chain.amount;
            line.catalog_promotion = shown;
        }
        self.catalog_subtotal = self
            .lines
            .iter()
            .fold(money.zero(), |sum, l| sum + l.catalog_amount);
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
        let mut order: SmallVec<[Tied; 8]> = SmallVec::with_capacity(group.len());
        let by_value = self.snap.semantics.ties == Ties::Value;
        if by_value && group.iter().filter(|&&i| applies(verdicts, i)).count() > 1 {
            // Each counted for what it can really give now: its effect, capped by its budget.
            let mut effect = std::mem::take(&mut self.effect);
            for &i in group {
                let c = candidates.get(i);
                let p = self.promotion(c);
                let mut value = Decimal::ZERO;
                if applies(verdicts, i) {
                    effect.clear();
                    self.limit = plan.limits[i];
                    if self.effect_checked(c, &mut effect).is_ok()
                        && self.cap_to_budget(p, &mut effect)
                    {
                        value = effect.total();
                    }
                }
                order.push(Tied::new(i, p, applies(verdicts, i), value));
            }
            self.effect = effect;
            let mut saved: Option<Saved> = None;
            let recording = self.recording;
            order_ties(&mut order, |trial| {
                let saved = &*saved.get_or_insert_with(|| self.save());
                self.restore(saved);
                self.recording = false;
                for &i in trial {
                    self.limit = plan.limits[i];
                    self.apply(candidates.get(i), None);
                }
                self.grand_total()
            });
            self.recording = recording;
            if let Some(saved) = saved {
                self.restore(&saved);
            }
        } else {
            order.extend(group.iter().map(|&i| {
                let p = self.promotion(candidates.get(i));
                Tied::new(i, p, false, Decimal::ZERO)
            }));
        }
        for Tied { member: i, .. } in order {
            let c = candidates.get(i);
            self.limit = plan.limits[i];
            if !self.recording {
                if applies(verdicts, i) {
                    self.apply(c, None);
                }
            } else if verdicts[i].is_none() && !plan.includes(i) {
                self.outcome(c, Status::Rejected, Decimal::ZERO, Some(Reason::LeftOut));
            } else {
                self.apply(c, verdicts[i].take());
            }
        }
    }

    /// The checks after the context ones, in order; the first failure is the reason.
    // The rejection is returned by value: it is built once per rejected promotion and moved
    // straight into the quote, so boxing it would only add an allocation.
    #[allow(clippy::result_large_err)]
    fn check(&self, c: Candidate<'_>) -> std::result::Result<(), Rejection<'a>> {
        let p = self.promotion(c);
        let usage = self.usage(p);
        if let Some(limit) = p.limits.total_uses
            && usage.uses >= limit
        {
            return Err((
                Reason::UsageLimitReached {
                    uses: usage.uses,
                    limit,
                },
                None,
            ));
        }
        if let Some(limit) = p.limits.uses_per_customer
            && usage.customer_uses >= limit
        {
            return Err((
                Reason::CustomerUsageLimitReached {
                    uses: usage.customer_uses,
                    limit,
                },
                None,
            ));
        }
        if let Some(budget) = p.limits.budget
            && usage.granted >= budget
        {
            return Err((
                Reason::BudgetExhausted {
                    granted: self.snap.money.round(usage.granted),
                    budget,
                },
                None,
            ));
        }
        if let Some(codes) = &p.conditions.coupon {
            match self.code_for(p).map(|i| &self.codes[i]) {
                None => {
                    return Err((Reason::CouponNotPresented { codes }, None));
                }
                Some(code) if !code.usable => {
                    return Err((
                        Reason::CouponNotUsable {
                            coupon: code.original,
                            why: code.reason,
                        },
                        None,
                    ));
                }
                Some(_) => {}
            }
        }
        let methods = &p.conditions.shipping_methods;
        if !methods.is_empty()
            && !self
                .cart
                .shipping_method
                .as_deref()
                .is_some_and(|m| methods.iter().any(|x| **x == *m))
        {
            return Err((
                Reason::ShippingMethodNotAllowed {
                    method: self.cart.shipping_method.as_deref(),
                    allowed: methods,
                },
                None,
            ));
        }
        if let Some(history) = &p.conditions.history {
            self.check_history(history)?;
        }
        // Quantity, distinct products and cart amount: all are measured so that a nudge is given
        // only when the one failing condition is what stands between the cart and the promotion.
        let quantity = self.quantity(c);
        let mut failures: SmallVec<[(Reason<'a>, Option<MissingFor>); 2]> = SmallVec::new();
        let cond = &p.conditions;
        if quantity < cond.min_quantity {
            failures.push((
                Reason::MinQuantity {
                    quantity,
                    required: cond.min_quantity,
                },
                Some((
                    NudgeKind::AddUnits,
                    Decimal::from(cond.min_quantity - quantity),
                )),
            ));
        }
        if cond.min_distinct_products > 0 {
            let distinct = self.distinct(c);
            if distinct < cond.min_distinct_products {
                failures.push((
                    Reason::MinDistinctProducts {
                        distinct,
                        required: cond.min_distinct_products,
                    },
                    Some((
                        NudgeKind::AddProducts,
                        Decimal::from(cond.min_distinct_products - distinct),
                    )),
                ));
            }
        }
        if cond.min_line_quantity > 0 {
            let largest = c
                .lines
                .iter()
                .map(|&l| self.lines[l as usize].quantity)
                .max()
                .unwrap_or(0);
            if largest < cond.min_line_quantity {
                failures.push((
                    Reason::LineQuantityBelowMinimum {
                        quantity: largest,
                        required: cond.min_line_quantity,
                    },
                    Some((
                        NudgeKind::AddUnits,
                        Decimal::from(cond.min_line_quantity - largest),
                    )),
                ));
            }
        }
        for (k, contains) in cond.cart_contains.iter().enumerate() {
            let (quantity, amount) = self.contents(&contains.targets, p);
            let short_units = quantity < contains.min_quantity;
            let short_amount = contains.min_amount.is_some_and(|min| amount < min);
            if short_units || short_amount {
                let missing = if short_units {
                    (
                        NudgeKind::AddUnits,
                        Decimal::from(contains.min_quantity - quantity),
                    )
                } else {
                    let min = contains.min_amount.unwrap_or_default();
                    (NudgeKind::SpendMore, min - amount)
                };
                failures.push((
                    Reason::CartContentsNotMet {
                        condition: k,
                        quantity,
                        min_quantity: contains.min_quantity,
                        amount,
                        min_amount: contains.min_amount,
                    },
                    Some(missing),
                ));
            }
        }
        let amount = self.cart_amount();
        if let Some(minimum) = cond.min_cart_amount
            && amount < minimum
        {
            failures.push((
                Reason::CartAmountBelowMinimum { amount, minimum },
                Some((NudgeKind::SpendMore, minimum - amount)),
            ));
        }
        if let Some(maximum) = cond.max_cart_amount
            && amount > maximum
        {
            failures.push((Reason::CartAmountAboveMaximum { amount, maximum }, None));
        }
        if let Offer::Tiered { basis, tiers } = &p.offer {
            let value = self.tier_value(c, *basis);
            if let Some(first) = tiers.first()
                && !first.reached(value)
            {
                let missing =
                    self.missing_for_tier(*basis, first.threshold, first.inclusive, value);
                failures.push((
                    Reason::TierNotReached {
                        value,
                        threshold: first.threshold,
                        inclusive: first.inclusive,
                    },
                    Some((tier_nudge_kind(*basis), missing)),
                ));
            }
        }
        if let Offer::BuyXGetY(offer) = &p.offer {
            // Whether the cart holds enough units at all; what earlier promotions claim is seen
            // when the offer is applied.
            let (_, [trigger_only, reward_only, both], found) =
                self.buy_x_get_y_count(p, offer, c.lines, |l| self.lines[l as usize].quantity);
            if found.times == 0 {
                let units = trigger_only + reward_only + both;
                let least = offer.buy + if offer.partial_rewards { 1 } else { offer.get };
                // With one set of products counted together, the missing units are plain to
                // count.
                let missing = (offer.reward_targets.is_none() && !offer.per_line)
                    .then(|| (NudgeKind::AddUnits, Decimal::from(least - units)));
                failures.push((
                    Reason::MultiBuyNotReached {
                        triggers: trigger_only + both,
                        rewards: reward_only + both,
                        buy: offer.buy,
                        get: offer.get,
                    },
                    missing,
                ));
            }
        }
        // A shipping offer on every product needs no merchandise: a cart may hold only shipping.
        let needs_items = !(p.all && matches!(p.offer, Offer::Shipping { .. }));
        if c.lines.is_empty() && failures.is_empty() && needs_items {
            failures.push((Reason::NoTargetedItems, None));
        }
        let single = failures.len() == 1;
        match failures.into_iter().next() {
            None => Ok(()),
            Some((reason, nudge)) => {
                let nudge = nudge
                    .filter(|_| single)
                    .map(|(kind, missing)| self.nudge(p, kind, missing, false));
                Err((reason, nudge))
            }
        }
    }

    /// The customer's past orders against a promotion's history condition.
    #[allow(clippy::result_large_err)]
    fn check_history(&self, history: &History) -> std::result::Result<(), Rejection<'a>> {
        let customer = self.ctx.customer;
        let orders = match customer.orders {
            Some(orders) => orders,
            None => return Err((Reason::HistoryUnknown, None)),
        };
        if history.min_orders.is_some_and(|m| orders < m)
            || history.max_orders.is_some_and(|m| orders > m)
        {
            return Err((
                Reason::OrdersOutOfRange {
                    orders,
                    min: history.min_orders,
                    max: history.max_orders,
                },
                None,
            ));
        }
        if let Some(minimum) = history.min_spent {
            let Some(spent) = customer.spent else {
                return Err((Reason::HistoryUnknown, None));
            };
            if spent < minimum {
                return Err((Reason::SpentBelowMinimum { spent, minimum }, None));
            }
        }
        Ok(())
    }

    /// Units and amount (as amount conditions measure it) of the cart's lines that match
    /// `targets` and are not excluded by the promotion.
    fn contents(&self, targets: &Targets, p: &Promotion) -> (u32, Decimal) {
        let mut units = 0;
        let mut amount = Decimal::ZERO;
        for line in &self.lines {
            let facts = line.facts();
            if targets.matches(&facts) && !p.exclude.as_ref().is_some_and(|e| e.matches(&facts)) {
                units += line.quantity;
                amount += self.measured(self.amount_basis(line), line.tax_rate);
            }
        }
        (units, amount)
    }

    /// What amount conditions measure of a line: its catalog amount, or what earlier promotions
    /// left of it (`semantics.cart_amount`).
    fn amount_basis(&self, line: &Line<'_>) -> Decimal {
        match self.snap.semantics.cart_amount {
            CartAmountBasis::Catalog => line.catalog_amount,
            CartAmountBasis::Running => line.amount,
        }
    }

    /// An amount of a line as amount conditions read it: in the display mode, or tax-included
    /// when the store measures thresholds with tax for every customer.
    fn measured(&self, amount: Decimal, tax_rate: Decimal) -> Decimal {
        if self.snap.thresholds_include_tax && self.ctx.display == Display::Net {
            self.snap.money.round(amount * (Decimal::ONE + tax_rate))
        } else {
            amount
        }
    }

    /// The cart amount that `min_cart_amount`, `max_cart_amount` and spend tiers measure.
    fn cart_amount(&self) -> Decimal {
        match (self.snap.semantics.cart_amount, self.measures_gross()) {
            (CartAmountBasis::Catalog, false) => self.catalog_subtotal,
            _ => self
                .lines
                .iter()
                .map(|l| self.measured(self.amount_basis(l), l.tax_rate))
                .sum(),
        }
    }

    fn measures_gross(&self) -> bool {
        self.snap.thresholds_include_tax && self.ctx.display == Display::Net
    }

    /// The presented code that unlocks `p`, a usable one if there is one.
    fn code_for(&self, p: &Promotion) -> Option<usize> {
        let codes = p.conditions.coupon.as_ref()?;
        let unlocks = |code: &Code| {
            codes.iter().any(|c| **c == code.normalized)
                || code.promotions.iter().any(|id| **id == *p.id)
        };
        let mut matching = self
            .codes
            .iter()
            .enumerate()
            .filter(|(_, code)| unlocks(code));
        let first = matching.clone().next().map(|(i, _)| i);
        matching
            .find(|(_, code)| code.usable)
            .map(|(i, _)| i)
            .or(first)
    }

    fn usage(&self, p: &Promotion) -> Cow<'a, PromotionUsage> {
        let limited = p.limits.total_uses.is_some()
            || p.limits.uses_per_customer.is_some()
            || p.limits.budget.is_some();
        match limited.then(|| self.cart.usage.get(&*p.id)).flatten() {
            Some(usage) => Cow::Borrowed(usage),
            None => Cow::Owned(PromotionUsage::default()),
        }
    }

    fn quantity(&self, c: Candidate<'_>) -> u32 {
        c.lines
            .iter()
            .map(|&l| self.lines[l as usize].quantity)
            .sum()
    }

    fn distinct(&self, c: Candidate<'_>) -> u32 {
        let mut skus: SmallVec<[&str; 8]> = c
            .lines
            .iter()
            .map(|&l| self.lines[l as usize].sku)
            .collect();
        skus.sort_unstable();
        skus.dedup();
        skus.len() as u32
    }

    fn tier_value(&self, c: Candidate<'_>, basis: TierBasis) -> Decimal {
        match basis {
            TierBasis::Spend => self.cart_amount(),
            TierBasis::Quantity => Decimal::from(self.quantity(c)),
        }
    }

    fn missing_for_tier(
        &self,
        basis: TierBasis,
        threshold: Decimal,
        inclusive: bool,
        value: Decimal,
    ) -> Decimal {
        let step = match basis {
            TierBasis::Spend => Decimal::new(1, self.snap.money.scale),
            TierBasis::Quantity => Decimal::ONE,
        };
        let missing = threshold - value;
        if inclusive { missing } else { missing + step }
    }

    fn nudge(
        &self,
        p: &'a Promotion,
        kind: NudgeKind,
        missing: Decimal,
        next_tier: bool,
    ) -> Nudge<'a> {
        Nudge {
            promotion: &p.id,
            name: &p.name,
            kind,
            missing: if kind == NudgeKind::SpendMore {
                self.snap.money.round(missing)
            } else {
                missing
            },
            next_tier,
            currency: self.snap.money.code(),
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
            let closers: SmallVec<[u32; 2]> = c
                .lines
                .iter()
                .filter_map(|&l| self.lines[l as usize].closed_by())
                .collect();
            if !c.lines.is_empty() && closers.len() == c.lines.len() {
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
            Offer::Gift { product, quantity } => {
                if self.recording {
                    let product = &self.snap.products[*product as usize];
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

    fn outcome(
        &mut self,
        c: Candidate<'_>,
        status: Status,
        discount: Decimal,
        reason: Option<Reason<'a>>,
    ) {
        self.outcome_with(c, status, discount, reason, &Effect::default());
    }

    fn outcome_with(
        &mut self,
        c: Candidate<'_>,
        status: Status,
        discount: Decimal,
        reason: Option<Reason<'a>>,
        effect: &Effect,
    ) {
        if !self.recording {
            return;
        }
        let p = self.promotion(c);
        // Shipping discounts are alternatives (one per method): count the chosen method's, or the
        // largest when none is chosen.
        let shipping_discount = if effect.shipping.is_empty() {
            Decimal::ZERO
        } else {
            let chosen = self.cart.shipping_method.as_deref();
            effect
                .shipping
                .iter()
                .filter(|(s, _)| chosen.is_none_or(|m| self.shipping[*s as usize].method == m))
                .map(|(_, d)| *d)
                .max()
                .unwrap_or(Decimal::ZERO)
        };
        let lines = effect.lines();
        let lines_discount: Decimal = lines.iter().map(|(_, d)| *d).sum();
        let discount = if effect.shipping.is_empty() {
            discount
        } else {
            lines_discount + shipping_discount
        };
        self.outcomes.push(PromotionOutcome {
            id: &p.id,
            name: &p.name,
            priority: p.priority,
            status,
            discount: self.snap.money.round(discount),
            lines: lines
                .iter()
                .filter(|(_, d)| !d.is_zero())
                .map(|(l, _)| self.lines[*l as usize].id.clone())
                .collect(),
            shipping_methods: effect
                .shipping
                .iter()
                .filter(|(_, d)| !d.is_zero())
                .map(|(s, _)| self.shipping[*s as usize].method)
                .collect(),
            reason: reason.map(Explained::from),
            lost_to_floors: (!effect.lost.is_zero()).then_some(effect.lost),
            applications: effect
                .groups
                .iter()
                .map(|g| Application {
                    triggers: self.line_units(&g.triggers),
                    rewards: self.line_units(&g.rewards),
                    units: self.line_units(&g.units),
                })
                .collect(),
        });
    }

    fn line_units(&self, units: &Units) -> Vec<LineUnits<'a>> {
        units
            .iter()
            .map(|&(l, units)| LineUnits {
                line: self.lines[l as usize].id.clone(),
                units,
            })
            .collect()
    }

    fn quote(&mut self) -> Quote<'a> {
        let snap = self.snap;
        let money = snap.money;
        let display = self.ctx.display;
        let id = |p: u32| &*snap.promotions[p as usize].id;
        let mut totals = Totals {
            subtotal: money.zero(),
            catalog_subtotal: money.round(self.catalog_subtotal),
            discount: money.zero(),
            shipping_discount: money.zero(),
            ..Totals::default()
        };
        let vouchers: Vec<VoucherOutcome<'a>> = self
            .vouchers
            .iter()
            .map(|v| VoucherOutcome {
                code: v.code,
                amount: v.amount,
                granted: v.granted,
                remaining: v.amount - v.granted,
                lines: v
                    .lines
                    .iter()
                    .map(|&(l, amount)| LineAmount {
                        line: self.lines[l as usize].id.clone(),
                        amount,
                    })
                    .collect(),
            })
            .collect();
        let mut vouchers_total = money.zero();
        let cart_vouchers = &self.vouchers;
        let mut in_request_order = std::mem::take(&mut self.lines);
        in_request_order.sort_by_key(|l| l.position);
        let lines: Vec<QuoteLine<'a>> = in_request_order
            .into_iter()
            .map(|l| {
                let discount: Decimal = l.discounts.iter().map(|(_, d)| *d).sum();
                let total = money.split_tax(l.amount, l.tax_rate, display);
                totals.subtotal += l.subtotal;
                totals.discount += discount;
                totals.merchandise += total;
                QuoteLine {
                    id: l.id,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    tax_rate: l.tax_rate,
                    price_source: PriceSource::List,
                    reference_unit_price: l.reference_unit,
                    catalog_unit_price: l.catalog_unit,
                    catalog_promotion: l.catalog_promotion.map(id),
                    subtotal: l.subtotal,
                    discounts: l
                        .discounts
                        .iter()
                        .map(|&(p, amount)| LineDiscount {
                            promotion: id(p),
                            amount,
                        })
                        .collect(),
                    discount: money.round(discount),
                    vouchers: l
                        .vouchers
                        .iter()
                        .map(|&(v, amount)| {
                            vouchers_total += amount;
                            LineVoucher {
                                code: cart_vouchers[v].code,
                                amount,
                            }
                        })
                        .collect(),
                    amount: l.amount,
                    total,
                }
            })
            .collect();
        let chosen = self.cart.shipping_method.as_deref();
        let shipping = self
            .shipping
            .iter()
            .map(|s| {
                let selected = chosen == Some(s.method);
                let discount: Decimal = s.discounts.iter().map(|(_, d)| *d).sum();
                let total = money.split_tax(s.amount, s.tax_rate, display);
                if selected {
                    totals.shipping = total;
                    totals.shipping_discount = money.round(discount);
                }
                ShippingQuote {
                    method: s.method,
                    selected,
                    price: s.price,
                    discounts: s
                        .discounts
                        .iter()
                        .map(|&(p, amount)| LineDiscount {
                            promotion: id(p),
                            amount,
                        })
                        .collect(),
                    amount: s.amount,
                    total,
                }
            })
            .collect();
        totals.merchandise = rescale(totals.merchandise, &money);
        totals.shipping = rescale(totals.shipping, &money);
        let mut grand = totals.merchandise;
        grand += totals.shipping;
        totals.grand = grand;
        totals.subtotal = money.round(totals.subtotal);
        totals.discount = money.round(totals.discount);
        totals.vouchers = (!vouchers.is_empty()).then(|| money.round(vouchers_total));
        Quote {
            format: QUOTE_FORMAT,
            currency: money.code(),
            display,
            strategy: snap.strategy,
            lines,
            shipping,
            gifts: std::mem::take(&mut self.gifts),
            parcel_inserts: std::mem::take(&mut self.inserts),
            totals,
            promotions: std::mem::take(&mut self.outcomes),
            codes: self
                .codes
                .iter()
                .map(|code| CodeOutcome {
                    code: code.original,
                    usable: code.usable,
                    reason: code.reason,
                    promotions: code.applied.iter().map(|&p| id(p)).collect(),
                })
                .collect(),
            vouchers,
            nudges: std::mem::take(&mut self.nudges),
            best_for_customer: self.optimization.take(),
        }
    }
}

fn rescale(t: Taxed, money: &crate::money::Money) -> Taxed {
    Taxed {
        net: money.round(t.net),
        tax: money.round(t.tax),
        gross: money.round(t.gross),
    }
}

fn tier_nudge_kind(basis: TierBasis) -> NudgeKind {
    match basis {
        TierBasis::Spend => NudgeKind::SpendMore,
        TierBasis::Quantity => NudgeKind::AddUnits,
    }
}
