//! Compile a [`RuleSet`] into a [`Snapshot`]: check every field (all errors, each with its path),
//! intern names, resolve the segment tree, sort promotions and build the target index.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::money::Money;
use crate::rules::{self, RULES_FORMAT, RuleSet};
use crate::snapshot::{
    Audience, Ids, Index, ItemOffer, Limits, Names, Offer, PriceBounds, Product, ProductList,
    Promotion, Semantics, SkuTable, Snapshot, Targets, UnitLimit, attribute_key,
};

mod apply;
mod b2b;
mod conditions;
mod offer;
mod offer_checks;
mod product;
mod selection;
mod targeting;

pub use offer_checks::{MAX_CODE_LEN, OfferStore, code_problem, offer_problems, parse_day};
pub use product::product_problems;

pub use apply::RuleChange;
pub(crate) use selection::selection_filter_for_preview;
pub use targeting::Targeting;

/// Where each element of a partly parsed rule file stood in the file, so that errors keep the
/// file's indices even when elements before them could not be read.
#[derive(Debug, Default, Clone)]
pub(crate) struct Positions {
    pub segments: Vec<usize>,
    pub products: Vec<usize>,
    pub selections: Vec<usize>,
    pub promotions: Vec<usize>,
    pub offers: Vec<usize>,
}

/// Checks and compiles a rule set.
pub fn compile(rules: &RuleSet) -> Result<Snapshot> {
    compile_at(rules, None, Vec::new())
}

/// [`compile`] for a rule set read from a file: `positions` maps elements back to the file, and
/// `errors` already found while reading are reported with those found here.
pub(crate) fn compile_at(
    rules: &RuleSet,
    positions: Option<&Positions>,
    errors: Vec<FieldError>,
) -> Result<Snapshot> {
    let mut c = Compiler {
        errors,
        positions,
        names: Cow::Owned(Names::default()),
    };
    let snapshot = c.run(rules);
    match snapshot {
        Some(snapshot) if c.errors.is_empty() => Ok(snapshot),
        _ => {
            // Reading and checking find errors in two passes: report them in path order.
            c.errors.sort_by_cached_key(|e| path_key(&e.path));
            Err(Error::InvalidRules(FieldErrors(c.errors)))
        }
    }
}

/// Orders paths naturally: `promotions[2]` before `promotions[10]`.
fn path_key(path: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for ch in path.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            if !digits.is_empty() {
                key.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.push(ch);
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

struct Compiler<'p> {
    errors: Vec<FieldError>,
    positions: Option<&'p Positions>,
    /// Borrowed from the snapshot a change is applied to, copied only when a new name comes.
    names: Cow<'p, Names>,
}

/// The tables of [`Names`].
#[derive(Clone, Copy)]
enum Table {
    Segments,
    Selections,
    Brands,
    Attributes,
    Tags,
    Groups,
    Channels,
}

impl Names {
    fn table(&self, table: Table) -> &FxHashMap<Box<str>, u32> {
        match table {
            Table::Segments => &self.segments,
            Table::Selections => &self.selections,
            Table::Brands => &self.brands,
            Table::Attributes => &self.attributes,
            Table::Tags => &self.tags,
            Table::Groups => &self.groups,
            Table::Channels => &self.channels,
        }
    }

    fn table_mut(&mut self, table: Table) -> &mut FxHashMap<Box<str>, u32> {
        match table {
            Table::Segments => &mut self.segments,
            Table::Selections => &mut self.selections,
            Table::Brands => &mut self.brands,
            Table::Attributes => &mut self.attributes,
            Table::Tags => &mut self.tags,
            Table::Groups => &mut self.groups,
            Table::Channels => &mut self.channels,
        }
    }
}

fn pos(list: Option<&Vec<usize>>, i: usize) -> usize {
    list.and_then(|l| l.get(i).copied()).unwrap_or(i)
}

fn sorted(mut ids: Vec<u32>) -> Ids {
    ids.sort_unstable();
    ids.dedup();
    ids.into_boxed_slice()
}

/// Whether targets name products by some criterion (`all` and `unit_price` are not criteria).
fn names_products(t: &rules::Targets) -> bool {
    !(t.skus.is_empty()
        && t.segments.is_empty()
        && t.selections.is_empty()
        && t.brands.is_empty()
        && t.attributes.is_empty()
        && t.tags.is_empty())
}

/// Every product any of `targets` names.
fn union<'t>(targets: impl Iterator<Item = &'t rules::Targets>) -> rules::Targets {
    let mut union = rules::Targets::default();
    for t in targets {
        union.skus.extend(t.skus.iter().cloned());
        union.segments.extend(t.segments.iter().cloned());
        union.selections.extend(t.selections.iter().cloned());
        union.brands.extend(t.brands.iter().cloned());
        union.tags.extend(t.tags.iter().cloned());
        for (name, values) in &t.attributes {
            union
                .attributes
                .entry(name.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
    }
    union
}

/// The lowest unit price promotions may bring a product to: its minimum price, or its cost under
/// a margin floor, whichever is higher.
pub(crate) fn product_floor(
    min_price: Option<Decimal>,
    cost: Option<Decimal>,
    floor_at_cost: bool,
) -> Option<Decimal> {
    let cost = cost.filter(|_| floor_at_cost);
    match (min_price, cost) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Upper case without spaces, dashes, dots or underscores: how codes are compared (the store's
/// `normalize_code` follows the same rule).
pub(crate) fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Reads an instant: with an offset or `Z` it is absolute; without, it is a civil date-time in the
/// store's zone (a skipped time moves forward, an ambiguous one takes the earlier instant).
pub(crate) fn parse_instant(text: &str, zone: &TimeZone) -> std::result::Result<Timestamp, String> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(zoned) = text.parse::<Zoned>() {
        return Ok(zoned.timestamp());
    }
    let civil: DateTime = text.parse().map_err(|_| {
        format!(
            "`{text}` is not a date-time (expected 2026-12-01T00:00:00, optionally with an offset)"
        )
    })?;
    zone.to_ambiguous_zoned(civil)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|e| format!("`{text}`: {e}"))
}

/// `HH:MM` or `HH:MM:SS`.
pub(crate) fn parse_time_of_day(text: &str) -> Option<u32> {
    if !matches!(text.len(), 5 | 8) || text.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let time: Time = text.parse().ok()?;
    Some(time.hour() as u32 * 3600 + time.minute() as u32 * 60 + time.second() as u32)
}

impl Compiler<'_> {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(path, message));
    }

    /// The id of a name, interned if new. Ids are never reused: a table only grows.
    fn intern(&mut self, table: Table, name: &str) -> u32 {
        if let Some(&id) = self.names.table(table).get(name) {
            return id;
        }
        let map = self.names.to_mut().table_mut(table);
        let id = map.len() as u32;
        map.insert(name.into(), id);
        id
    }

    fn run(&mut self, rules: &RuleSet) -> Option<Snapshot> {
        if rules.format != RULES_FORMAT {
            self.error(
                "format",
                format!(
                    "unsupported format `{}`, expected `{RULES_FORMAT}`",
                    rules.format
                ),
            );
        }
        let store = &rules.store;
        // With a bad currency or zone the rest is still checked, against stand-ins that cannot
        // raise errors of their own (any number of decimals; UTC); the snapshot is not built.
        let money = Money::parse(&store.currency, store.rounding).unwrap_or_else(|| {
            self.error(
                "store.currency",
                format!("`{}` is not an ISO 4217 currency code", store.currency),
            );
            Money {
                currency: iso_currency::Currency::XXX,
                scale: rust_decimal::Decimal::MAX_SCALE,
                strategy: rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            }
        });
        let time_zone = jiff::tz::db().get(&store.time_zone).unwrap_or_else(|_| {
            self.error(
                "store.time_zone",
                format!("`{}` is not an IANA time zone", store.time_zone),
            );
            TimeZone::UTC
        });

        let mut group_display = Vec::new();
        for (name, settings) in &store.groups {
            let id = self.intern(Table::Groups, name) as usize;
            group_display.resize(id + 1, None);
            group_display[id] = Some(settings.display);
        }

        let segment_lineage = self.segments(&rules.catalog.segments);
        let (products, mut skus) = self.products(&rules.catalog, store, &money, &segment_lineage);
        let (selection_members, selection_filters) =
            self.selections(&rules.catalog.selections, &mut skus, &products, &money);

        let mut promotions: Vec<Arc<Promotion>> = Vec::new();
        let mut seen_ids = FxHashMap::default();
        for (i, promotion) in rules.promotions.iter().enumerate() {
            let path = format!(
                "promotions[{}]",
                pos(self.positions.map(|p| &p.promotions), i)
            );
            if let Some(first) = seen_ids.insert(promotion.id.clone(), path.clone()) {
                self.error(
                    format!("{path}.id"),
                    format!("duplicate id `{}` (first at {first})", promotion.id),
                );
            }
            if let Some(compiled) = self.promotion(&path, promotion, &money, &time_zone, &skus) {
                promotions.push(Arc::new(compiled));
            }
        }
        self.check_offers(&rules.offers, store, &money);
        let offers = self.customer_offers(&rules.offers, &time_zone);
        if !self.errors.is_empty() {
            return None;
        }
        sort_promotions(&mut promotions);
        let index = build_index(&promotions, segment_lineage.len());
        let names = std::mem::take(&mut self.names).into_owned();
        Some(Snapshot {
            contracts: b2b::contracts(offers, &names),
            promotions_on_offer_prices: store.promotions_on_offer_prices,
            sells_to: store.sells_to,
            money,
            time_zone,
            prices_include_tax: store.prices_include_tax,
            default_display: store.default_display,
            strategy: store.strategy,
            thresholds_include_tax: store.thresholds_include_tax,
            floor_at_cost: store.floor_at_cost,
            semantics: Semantics::resolve(store.compatibility, store.semantics),
            names: Arc::new(names),
            group_display,
            segment_lineage: Arc::new(segment_lineage),
            skus,
            products,
            selection_members,
            selection_filters: Arc::new(selection_filters),
            promotions,
            index: Arc::new(index),
        })
    }

    /// Interns segments and computes each one's lineage (itself and its ancestors).
    fn segments(&mut self, segments: &[rules::Segment]) -> Vec<Ids> {
        let positions = self.positions.map(|p| &p.segments);
        // Per segment id: where it is defined in the file (its first definition) and its parent.
        let mut defined_at: Vec<usize> = Vec::new();
        let mut parents: Vec<Option<u32>> = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            let path = format!("catalog.segments[{}]", pos(positions, i));
            if segment.id.is_empty() {
                self.error(format!("{path}.id"), "must not be empty");
            }
            if self.names.segments.contains_key(segment.id.as_str()) {
                self.error(
                    format!("{path}.id"),
                    format!("duplicate segment `{}`", segment.id),
                );
                continue;
            }
            self.intern(Table::Segments, &segment.id);
            defined_at.push(i);
            parents.push(None);
        }
        for (id, &i) in defined_at.iter().enumerate() {
            let Some(parent) = &segments[i].parent else {
                continue;
            };
            match self.names.segments.get(parent.as_str()) {
                Some(&parent_id) => parents[id] = Some(parent_id),
                None => self.error(
                    format!("catalog.segments[{}].parent", pos(positions, i)),
                    format!("unknown segment `{parent}`"),
                ),
            }
        }
        let mut lineage = Vec::with_capacity(parents.len());
        for (id, _) in parents.iter().enumerate() {
            let mut chain = vec![id as u32];
            let mut current = parents[id];
            while let Some(parent) = current {
                if chain.contains(&parent) {
                    let i = defined_at[id];
                    self.error(
                        format!("catalog.segments[{}].parent", pos(positions, i)),
                        format!("segment `{}` is its own ancestor", segments[i].id),
                    );
                    break;
                }
                chain.push(parent);
                current = parents[parent as usize];
            }
            lineage.push(sorted(chain));
        }
        lineage
    }

    fn products(
        &mut self,
        catalog: &rules::Catalog,
        store: &rules::StoreSettings,
        money: &Money,
        lineage: &[Ids],
    ) -> (ProductList, SkuTable) {
        let positions = self.positions.map(|p| &p.products);
        let mut products = ProductList::default();
        let mut skus = SkuTable::default();
        for (i, product) in catalog.products.iter().enumerate() {
            let path = format!("catalog.products[{}]", pos(positions, i));
            let compiled = self.product(&path, product, store.floor_at_cost, money, lineage);
            let entry = skus.entry(&product.sku);
            if entry.product.is_some() {
                self.error(
                    format!("{path}.sku"),
                    format!("duplicate sku `{}`", product.sku),
                );
                continue;
            }
            entry.product = Some(products.len() as u32);
            products.push(Arc::new(compiled));
        }
        (products, skus)
    }

    /// One product's own checks (its sku's uniqueness is the caller's) and its compiled form.
    fn product(
        &mut self,
        path: &str,
        product: &rules::Product,
        floor_at_cost: bool,
        money: &Money,
        lineage: &[Ids],
    ) -> Product {
        // The same checks as a streamed import's; paths are written only for errors.
        let names = &self.names;
        let problems = product_problems(product, money, |s| names.segments.contains_key(s));
        for problem in problems {
            self.error(format!("{path}.{}", problem.path), problem.message);
        }
        let floor = product_floor(product.min_price, product.cost, floor_at_cost);
        let mut segments = Vec::new();
        for segment in &product.segments {
            if let Some(&id) = self.names.segments.get(segment.as_str()) {
                segments.extend_from_slice(&lineage[id as usize]);
            }
        }
        let brand = product
            .brand
            .as_deref()
            .map(|b| self.intern(Table::Brands, b));
        let attributes = product
            .attributes
            .iter()
            .map(|(k, v)| self.intern(Table::Attributes, &attribute_key(k, v)))
            .collect();
        let tags = product
            .tags
            .iter()
            .map(|t| self.intern(Table::Tags, t))
            .collect();
        Product {
            sku: product.sku.as_str().into(),
            name: product.name.as_str().into(),
            price: product.price,
            tax_rate: product.tax_rate,
            floor,
            compare_at: product.compare_at_price,
            segments: sorted(segments),
            brand,
            attributes: sorted(attributes),
            tags: sorted(tags),
        }
    }

    fn check_price(&mut self, path: &str, amount: Decimal, money: &Money) {
        if let Some(problem) = money.amount_problem(amount) {
            self.error(path, problem);
        }
    }

    /// Every offer's own problems (`offer_checks`) and duplicate codes, at the offer's path.
    fn check_offers(
        &mut self,
        offers: &[rules::CustomerOffer],
        store: &rules::StoreSettings,
        money: &Money,
    ) {
        let names = &self.names;
        let context = OfferStore {
            money,
            sells_to: store.sells_to,
            group_exists: &|group| store.groups.contains_key(group),
            segment_exists: &|segment| names.segments.contains_key(segment),
        };
        let mut errors = Vec::new();
        let mut seen: FxHashMap<&str, String> = FxHashMap::default();
        for (i, offer) in offers.iter().enumerate() {
            let path = format!("offers[{}]", pos(self.positions.map(|p| &p.offers), i));
            if let Some(first) = seen.insert(&offer.code, path.clone()) {
                errors.push(FieldError::new(
                    format!("{path}.code"),
                    format!("duplicate code `{}` (first at {first})", offer.code),
                ));
            }
            errors.extend(
                offer_problems(offer, &context)
                    .into_iter()
                    .map(|e| FieldError::new(format!("{path}.{}", e.path), e.message)),
            );
        }
        self.errors.extend(errors);
    }

    fn percent(&mut self, path: &str, percent: Decimal) -> Decimal {
        if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
            self.error(path, format!("must be between 0 and 100 (got {percent})"));
        }
        percent / Decimal::ONE_HUNDRED
    }

    fn amount(&mut self, path: &str, amount: Decimal, money: &Money) -> Decimal {
        self.check_price(path, amount, money);
        money.round(amount)
    }

    fn targets(&mut self, path: &str, targets: &rules::Targets, money: &Money) -> Targets {
        let mut segments = Vec::new();
        for (j, segment) in targets.segments.iter().enumerate() {
            match self.names.segments.get(segment.as_str()) {
                Some(&id) => segments.push(id),
                None => self.error(
                    format!("{path}.segments[{j}]"),
                    format!("unknown segment `{segment}`"),
                ),
            }
        }
        let mut selections = Vec::new();
        for (j, selection) in targets.selections.iter().enumerate() {
            match self.names.selections.get(selection.as_str()) {
                Some(&id) => selections.push(id),
                None => self.error(
                    format!("{path}.selections[{j}]"),
                    format!("unknown selection `{selection}`"),
                ),
            }
        }
        let brands = targets
            .brands
            .iter()
            .map(|b| self.intern(Table::Brands, b))
            .collect();
        let attributes = targets
            .attributes
            .iter()
            .flat_map(|(k, values)| values.iter().map(move |v| attribute_key(k, v)))
            .map(|key| self.intern(Table::Attributes, &key))
            .collect();
        let tags = targets
            .tags
            .iter()
            .map(|t| self.intern(Table::Tags, t))
            .collect();
        let unit_price = targets
            .unit_price
            .as_ref()
            .map(|range| self.price_bounds(&format!("{path}.unit_price"), range, money));
        Targets {
            skus: targets.skus.iter().map(|s| s.as_str().into()).collect(),
            segments: sorted(segments),
            selections: sorted(selections),
            brands: sorted(brands),
            attributes: sorted(attributes),
            tags: sorted(tags),
            every: targets.all || !names_products(targets),
            unit_price,
        }
    }

    fn price_bounds(
        &mut self,
        path: &str,
        range: &rules::PriceRange,
        money: &Money,
    ) -> PriceBounds {
        let min = range
            .min
            .map(|m| self.amount(&format!("{path}.min"), m, money));
        let max = range
            .max
            .map(|m| self.amount(&format!("{path}.max"), m, money));
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            self.error(format!("{path}.max"), format!("{max} is below min {min}"));
        }
        if min.is_none() && max.is_none() {
            self.error(path, "give `min`, `max` or both");
        }
        PriceBounds { min, max }
    }

    fn promotion(
        &mut self,
        path: &str,
        p: &rules::Promotion,
        money: &Money,
        zone: &TimeZone,
        skus: &SkuTable,
    ) -> Option<Promotion> {
        let before = self.errors.len();
        if p.id.trim().is_empty() {
            self.error(format!("{path}.id"), "must not be empty");
        }
        let created_at = p.created_at.as_deref().and_then(|text| {
            parse_instant(text, zone)
                .map_err(|e| self.error(format!("{path}.created_at"), e))
                .ok()
        });
        // A bundle without targets concerns the products of its slots.
        let slot_union = match (&p.targets, &p.offer) {
            (None, rules::Offer::Bundle { slots, .. }) if !slots.is_empty() => {
                Some(union(slots.iter().map(|s| &s.targets)))
            }
            _ => None,
        };
        // A price range filters the targets (or every product): it is checked on the lines the
        // index finds, not indexed.
        let unit_price = p
            .targets
            .as_ref()
            .and_then(|t| t.unit_price.as_ref())
            .map(|range| self.price_bounds(&format!("{path}.targets.unit_price"), range, money));
        let (all, targets) = match slot_union.as_ref().or(p.targets.as_ref()) {
            None => (true, None),
            Some(t) if t.all || (unit_price.is_some() && !names_products(t)) => {
                if t.all && names_products(t) {
                    self.error(
                        format!("{path}.targets"),
                        "`all` cannot be combined with other criteria (use `exclude`)",
                    );
                }
                (true, None)
            }
            Some(t) => {
                let before = self.errors.len();
                let criteria = rules::Targets {
                    unit_price: None,
                    ..t.clone()
                };
                let compiled = self.targets(&format!("{path}.targets"), &criteria, money);
                if slot_union.is_some() {
                    // The slots report their own errors, under their own paths.
                    self.errors.truncate(before);
                }
                if !names_products(t) {
                    self.error(
                        format!("{path}.targets"),
                        "names no product; omit it or set `all: true` to target every product",
                    );
                }
                (false, Some(compiled))
            }
        };
        let exclude = p.exclude.as_ref().map(|e| {
            if e.all {
                self.error(
                    format!("{path}.exclude.all"),
                    "excluding every product leaves nothing",
                );
            }
            self.targets(&format!("{path}.exclude"), e, money)
        });
        let audience = Audience {
            groups: sorted(
                p.audience
                    .groups
                    .iter()
                    .map(|g| self.intern(Table::Groups, g))
                    .collect(),
            ),
            customers: p
                .audience
                .customers
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
            collection_points: p
                .audience
                .collection_points
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
        };
        let channels = sorted(
            p.audience
                .channels
                .iter()
                .map(|c| self.intern(Table::Channels, c))
                .collect(),
        );
        let mut channel_names: Vec<Box<str>> = p
            .audience
            .channels
            .iter()
            .map(|c| c.as_str().into())
            .collect();
        channel_names.sort();
        channel_names.dedup();
        let validity = self.validity(&format!("{path}.validity"), &p.validity, zone);
        let conditions = self.conditions(&format!("{path}.conditions"), &p.conditions, money);
        let offer = self.offer(&format!("{path}.offer"), &p.offer, money, skus);
        if let Some(budget) = p.limits.budget {
            self.check_price(&format!("{path}.limits.budget"), budget, money);
        }
        if self.errors.len() > before {
            return None;
        }
        // An offer on some units only is a cart offer: the catalog cannot show "one free".
        let per_unit = |limit: &UnitLimit| !limit.limits();
        let is_catalog = match offer {
            Offer::Merchandise(
                ItemOffer::PercentOff(_, limit)
                | ItemOffer::AmountOffEach(_, limit)
                | ItemOffer::UnitPrice(_, limit),
            ) => per_unit(&limit),
            _ => false,
        } && p.skip_discounted.is_none()
            && conditions.min_quantity == 0
            && conditions.min_distinct_products == 0
            && conditions.min_cart_amount.is_none()
            && conditions.max_cart_amount.is_none()
            && conditions.coupon.is_none()
            && conditions.shipping_methods.is_empty()
            && conditions.min_line_quantity == 0
            && conditions.cart_contains.is_empty()
            && conditions.history.is_none();
        Some(Promotion {
            id: p.id.as_str().into(),
            name: if p.name.is_empty() {
                p.id.as_str()
            } else {
                p.name.as_str()
            }
            .into(),
            priority: p.priority,
            combination: p.combination,
            all,
            exclude,
            unit_price,
            skip_discounted: p.skip_discounted,
            channels,
            channel_names: channel_names.into_boxed_slice(),
            audience,
            validity,
            conditions,
            offer,
            limits: Limits {
                total_uses: p.limits.total_uses,
                uses_per_customer: p.limits.uses_per_customer,
                budget: p.limits.budget.map(|b| money.round(b)),
            },
            is_catalog,
            created_at,
            targets,
        })
    }
}

/// Sorts promotions in consideration order.
pub(crate) fn sort_promotions(promotions: &mut [Arc<Promotion>]) {
    promotions.sort_by(|a, b| consideration_order(a, b));
}

/// Priority desc, created_at asc (absent last), id asc.
pub(crate) fn consideration_order(a: &Promotion, b: &Promotion) -> std::cmp::Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| match (a.created_at, b.created_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}

/// The target index of promotions in consideration order.
pub(crate) fn build_index(promotions: &[Arc<Promotion>], segment_count: usize) -> Index {
    fn add(lists: &mut Vec<Vec<u32>>, key: u32, promotion: u32) {
        let key = key as usize;
        if lists.len() <= key {
            lists.resize_with(key + 1, Vec::new);
        }
        lists[key].push(promotion);
    }
    let mut by_segment = vec![Vec::new(); segment_count];
    let mut by_selection = Vec::new();
    let mut by_brand = Vec::new();
    let mut by_attribute = Vec::new();
    let mut by_tag = Vec::new();
    let mut by_sku: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
    let mut all = Vec::new();
    for (i, promotion) in promotions.iter().enumerate() {
        let i = i as u32;
        let Some(targets) = &promotion.targets else {
            debug_assert!(promotion.all);
            all.push(i);
            continue;
        };
        for sku in &targets.skus {
            // In promotion order, so each list is sorted; a sku named twice is listed once.
            let list = by_sku.entry(sku).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        for &s in &targets.segments {
            add(&mut by_segment, s, i);
        }
        for &s in &targets.selections {
            add(&mut by_selection, s, i);
        }
        for &b in &targets.brands {
            add(&mut by_brand, b, i);
        }
        for &a in &targets.attributes {
            add(&mut by_attribute, a, i);
        }
        for &t in &targets.tags {
            add(&mut by_tag, t, i);
        }
    }
    let boxed = |lists: Vec<Vec<u32>>| lists.into_iter().map(Vec::into_boxed_slice).collect();
    Index {
        by_sku: by_sku
            .into_iter()
            .map(|(sku, ids)| (sku.into(), ids.into_boxed_slice()))
            .collect(),
        by_segment: boxed(by_segment),
        by_selection: boxed(by_selection),
        by_brand: boxed(by_brand),
        by_attribute: boxed(by_attribute),
        by_tag: boxed(by_tag),
        all: all.into_boxed_slice(),
    }
}
