//! A cart's lines, vouchers and shipping options read against the snapshot: stored facts merged
//! with inline ones, base prices in the display mode, floors, and every problem with its field.

use std::borrow::Cow;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{CartVoucher, Line, LineOffer, Part, ShippingLine};
use crate::b2b::Day;
use crate::cart::Cart;
use crate::compile::normalize_code;
use crate::context::Ctx;
use crate::error::FieldError;
use crate::limits::MAX_UNITS;
use crate::money::rate_problem;
use crate::rules::Display;
use crate::snapshot::{Snapshot, attribute_key};

/// Lines without an id are named by their position; the first ones share their names, so that
/// the quote names them (in every outcome) without allocating.
const SHARED_POSITION_IDS: usize = 1024;

fn position_id(i: usize) -> Cow<'static, str> {
    static IDS: OnceLock<Box<[String]>> = OnceLock::new();
    let ids = IDS.get_or_init(|| (1..=SHARED_POSITION_IDS).map(|n| n.to_string()).collect());
    match ids.get(i) {
        Some(id) => Cow::Borrowed(id.as_str()),
        None => Cow::Owned((i + 1).to_string()),
    }
}

/// Up to this many lines, sorting the lines themselves is cheaper than sorting their indices.
pub(super) const SORT_IN_PLACE: usize = 16;

impl Snapshot {
    pub(super) fn resolve_lines<'c>(
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
        // Units of the lines so far, at most MAX_UNITS.
        let mut units = 0u32;
        for (i, l) in cart.lines.iter().enumerate() {
            // Paths are written only when there is an error to report.
            let path = |field: &str| format!("lines[{i}].{field}");
            let entry = self.skus.get(l.sku.as_str());
            let product = entry
                .and_then(|e| e.product)
                .and_then(|p| self.products.get(p as usize));
            if l.sku.is_empty() {
                errors.push(FieldError::new(path("sku"), "must not be empty"));
            }
            // An invalid quantity, amount or rate is reported and replaced by zero (or left out),
            // so that nothing is computed with it: the request is refused anyway.
            let quantity = match u32::try_from(l.quantity) {
                _ if l.quantity < 1 => {
                    errors.push(FieldError::new(path("quantity"), "must be at least 1"));
                    0
                }
                Ok(quantity) if quantity <= MAX_UNITS - units => {
                    units += quantity;
                    quantity
                }
                Ok(quantity) if quantity <= MAX_UNITS => {
                    errors.push(FieldError::new(
                        path("quantity"),
                        format!(
                            "a cart holds at most {MAX_UNITS} units, all lines together ({units} before this line)"
                        ),
                    ));
                    0
                }
                _ => {
                    errors.push(FieldError::new(
                        path("quantity"),
                        format!("must be at most {MAX_UNITS}"),
                    ));
                    0
                }
            };
            let price = match (l.price, product) {
                (Some(price), _) => match money.amount_problem(price) {
                    Some(problem) => {
                        errors.push(FieldError::new(path("price"), problem));
                        Decimal::ZERO
                    }
                    None => price,
                },
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
            let tax_rate = match rate_problem(tax_rate) {
                Some(problem) => {
                    errors.push(FieldError::new(path("tax_rate"), problem));
                    Decimal::ZERO
                }
                None => tax_rate,
            };
            let mut checked = |field: &str, amount: Option<Decimal>| {
                amount.filter(|&a| match money.amount_problem(a) {
                    Some(problem) => {
                        errors.push(FieldError::new(path(field), problem));
                        false
                    }
                    None => true,
                })
            };
            let cost = checked("cost", l.cost);
            let min_price = checked("min_price", l.min_price);
            let compare_at_price = checked("compare_at_price", l.compare_at_price);
            let id: Cow<'c, str> = match &l.id {
                Some(id) => Cow::Borrowed(id.as_str()),
                None => position_id(i),
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
            let base_unit = money.round(unit);
            let subtotal = money.round(unit * Decimal::from(quantity));
            // Inline facts override the catalog's, one by one.
            let floor = match (min_price.is_some() || cost.is_some(), product) {
                (true, _) | (false, None) => {
                    crate::compile::product_floor(min_price, cost, self.floor_at_cost)
                }
                (false, Some(p)) => p.floor,
            };
            // A "was" price is a reference only when it is above the price.
            let compare_at = compare_at_price
                .or(product.and_then(|p| p.compare_at))
                .filter(|c| *c > price);
            lines.push(Line {
                id,
                position: i,
                sku: &l.sku,
                name: l
                    .name
                    .as_deref()
                    .or(product.map(|p| &*p.name))
                    .unwrap_or(""),
                quantity,
                tax_rate,
                unit,
                base_unit,
                reference_unit: compare_at.map_or(base_unit, |c| money.round(in_display(c))),
                floor: floor.map(in_display),
                subtotal,
                catalog_amount: subtotal,
                catalog_unit: base_unit,
                catalog_promotion: None,
                amount: subtotal,
                discounts: SmallVec::new(),
                parts: SmallVec::from_elem(
                    Part {
                        units: quantity,
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
                offer: None,
            });
        }
        // Lines are large: past a few, order their indices, then move each line once.
        if lines.len() <= SORT_IN_PLACE {
            lines.sort_by(|a, b| a.id.cmp(&b.id));
            return lines;
        }
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| lines[a].id.cmp(&lines[b].id));
        let mut slots: Vec<Option<Line<'c>>> = lines.into_iter().map(Some).collect();
        order.into_iter().filter_map(|i| slots[i].take()).collect()
    }

    /// The B2B step (DESIGN §2.3): the lines that a discount of the customer's offers reaches get
    /// its unit price as their base, the subtotal rounded once; the reference price stays the
    /// list's. Quantity breaks count the units of the sku in the whole cart, so that splitting a
    /// line changes nothing. Costs nothing when the customer has no offer.
    pub(super) fn price_offers<'c>(&'c self, ctx: &Ctx<'c>, lines: &mut [Line<'c>]) {
        let scopes = self.scopes(ctx.customer, &ctx.groups);
        if scopes.is_empty() {
            return;
        }
        let money = &self.money;
        // The store's date, for the candidates that are not live: converted once.
        let date = std::cell::OnceCell::new();
        let today = || *date.get_or_init(|| Day(self.local_time(ctx.now).0.date()));
        for i in 0..lines.len() {
            let line = &lines[i];
            // At most MAX_UNITS in all: the sum cannot overflow.
            let units = || {
                lines
                    .iter()
                    .filter(|l| l.sku == line.sku)
                    .map(|l| l.quantity)
                    .sum()
            };
            let facts = (line.sku, &line.segments[..]);
            let Some(resolution) = scopes.resolve(money, facts, line.unit, ctx.now, units) else {
                continue;
            };
            let unit = resolution.winner().map(|w| w.unit);
            let (applied, candidates) = resolution.explain(today);
            let line = &mut lines[i];
            if let Some(unit) = unit {
                let subtotal = money.round(unit * Decimal::from(line.quantity));
                line.unit = unit;
                line.base_unit = unit;
                line.subtotal = subtotal;
                line.catalog_amount = subtotal;
                line.catalog_unit = unit;
                line.amount = subtotal;
                line.parts = SmallVec::from_elem(
                    Part {
                        units: line.quantity,
                        amount: subtotal,
                        base: subtotal,
                        claimed: false,
                        closed_by: None,
                    },
                    1,
                );
            }
            line.offer = Some(Box::new(LineOffer {
                applied,
                candidates,
            }));
        }
    }

    /// Checks the cart's vouchers: a code (unique, compared like coupon codes), an amount above
    /// zero at the currency's precision, and selections the catalog knows.
    pub(super) fn resolve_vouchers<'c>(
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
            let problem = if v.amount <= Decimal::ZERO {
                Some(format!("must be greater than 0 (got {})", v.amount))
            } else {
                money.amount_problem(v.amount)
            };
            let amount = match problem {
                Some(problem) => {
                    errors.push(FieldError::new(path("amount"), problem));
                    money.zero()
                }
                None => money.round(v.amount),
            };
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
                amount,
                skus: &v.skus,
                selections,
                granted: money.zero(),
                lines: Vec::new(),
            });
        }
        vouchers
    }

    pub(super) fn resolve_shipping<'c>(
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
            // Invalid figures are reported and replaced by zero: a rate of -1 would divide by zero.
            let price = match money.amount_problem(o.price) {
                Some(problem) => {
                    errors.push(FieldError::new(path("price"), problem));
                    Decimal::ZERO
                }
                None => o.price,
            };
            let tax_rate = match rate_problem(o.tax_rate) {
                Some(problem) => {
                    errors.push(FieldError::new(path("tax_rate"), problem));
                    Decimal::ZERO
                }
                None => o.tax_rate,
            };
            let price =
                money.round(money.in_display(price, tax_rate, self.prices_include_tax, display));
            options.push(ShippingLine {
                method: &o.method,
                tax_rate,
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
