//! The compiled, immutable ruleset that evaluation reads. Names are interned to small integers,
//! segments carry their ancestors, and promotions are indexed by what they target so that a cart
//! only meets the promotions that concern it.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::money::Money;
use crate::rules::{
    BudgetRule, CartAmountBasis, Combination, Compatibility, Display, PercentBasis, RoundingOf,
    SellsTo, SemanticsOverrides, SkipDiscounted, Strategy, TierBasis, Ties,
};

pub(crate) mod b2b;

pub(crate) type Ids = Box<[u32]>;

/// A compiled ruleset. Cheap to share between threads; a change publishes a new one.
///
/// The large parts are behind `Arc`s so that [`Snapshot::apply`] can build the next snapshot
/// sharing what a change does not touch: the products (each one shared), the sku table, the
/// names, the promotions (each one shared), the target index and the B2B offers (by scope).
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) money: Money,
    pub(crate) time_zone: TimeZone,
    pub(crate) prices_include_tax: bool,
    pub(crate) default_display: Display,
    pub(crate) strategy: Strategy,
    /// Amount conditions measure tax-included amounts, also for net customers.
    pub(crate) thresholds_include_tax: bool,
    /// No promotion sells a product below its cost.
    pub(crate) floor_at_cost: bool,
    pub(crate) semantics: Semantics,
    /// Grows only: a name interned by a document that has since changed matches nothing.
    pub(crate) names: Arc<Names>,
    /// Display mode by group id.
    pub(crate) group_display: Vec<Option<Display>>,
    /// Per segment id: the segment and all its ancestors.
    pub(crate) segment_lineage: Arc<Vec<Ids>>,
    pub(crate) skus: SkuTable,
    /// In no particular order (a full compile keeps the rule set's); `SkuEntry::product` points here.
    pub(crate) products: ProductList,
    /// Per selection id: its hand-picked skus, to update the sku table when the selection
    /// changes.
    pub(crate) selection_members: Vec<Arc<[Box<str>]>>,
    /// The selections that have a filter, by id (ascending): a product change is checked
    /// against each, a selection change walks the products once.
    pub(crate) selection_filters: Arc<Vec<(u32, Arc<SelectionFilter>)>>,
    /// In consideration order: priority desc, created_at asc (absent last), id asc.
    pub(crate) promotions: Vec<Arc<Promotion>>,
    pub(crate) index: Arc<Index>,
    /// B2B offers, by scope.
    pub(crate) contracts: b2b::Contracts,
    /// Promotions also apply on a line priced by an offer.
    pub(crate) promotions_on_offer_prices: bool,
    /// Which offer types and scopes the store accepts.
    pub(crate) sells_to: SellsTo,
}

/// String → id tables. Only names that appear in the catalog or in a promotion are interned: a name
/// that is not here cannot match any target.
#[derive(Debug, Default, Clone)]
pub(crate) struct Names {
    pub segments: FxHashMap<Box<str>, u32>,
    pub selections: FxHashMap<Box<str>, u32>,
    pub brands: FxHashMap<Box<str>, u32>,
    /// Keyed by `name\u{0}value`.
    pub attributes: FxHashMap<Box<str>, u32>,
    pub tags: FxHashMap<Box<str>, u32>,
    pub groups: FxHashMap<Box<str>, u32>,
    pub channels: FxHashMap<Box<str>, u32>,
}

pub(crate) fn attribute_key(name: &str, value: &str) -> String {
    let mut key = String::with_capacity(name.len() + value.len() + 1);
    key.push_str(name);
    key.push('\u{0}');
    key.push_str(value);
    key
}

/// The products, dense, in chunks behind `Arc`s: a copy copies one pointer per chunk (not one
/// per product, whose counts would each be a cache miss), and a change copies one chunk.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProductList {
    chunks: Vec<Arc<Vec<Arc<Product>>>>,
    len: usize,
}

const PRODUCT_CHUNK: usize = 1024;

impl ProductList {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, at: usize) -> Option<&Product> {
        let chunk = self.chunks.get(at / PRODUCT_CHUNK)?;
        chunk.get(at % PRODUCT_CHUNK).map(|p| &**p)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Product> {
        self.chunks.iter().flat_map(|c| c.iter().map(|p| &**p))
    }

    pub fn push(&mut self, product: Arc<Product>) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < PRODUCT_CHUNK => Arc::make_mut(last).push(product),
            _ => {
                let mut chunk = Vec::with_capacity(PRODUCT_CHUNK);
                chunk.push(product);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
    }

    /// Replaces the product at `at` (which must be below `len`).
    pub fn set(&mut self, at: usize, product: Arc<Product>) {
        if let Some(chunk) = self.chunks.get_mut(at / PRODUCT_CHUNK)
            && let Some(slot) = Arc::make_mut(chunk).get_mut(at % PRODUCT_CHUNK)
        {
            *slot = product;
        }
    }

    /// Removes the product at `at`; the last one takes its place. Returns the moved product.
    pub fn swap_remove(&mut self, at: usize) -> Option<&Product> {
        let last = self.chunks.last_mut()?;
        let moved = Arc::make_mut(last).pop()?;
        if last.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        if at < self.len {
            self.set(at, moved);
            return self.get(at);
        }
        None
    }
}

/// Sku → entry, in shards by the sku's hash, each behind an `Arc`: a copy of the table copies
/// pointers, and a change to one sku copies only its shard (1/256 of the entries).
#[derive(Debug, Clone)]
pub(crate) struct SkuTable {
    shards: Box<[Arc<SkuShard>]>,
}

type SkuShard = FxHashMap<Box<str>, SkuEntry>;

const SKU_SHARDS: usize = 256;

impl Default for SkuTable {
    fn default() -> SkuTable {
        SkuTable {
            shards: (0..SKU_SHARDS).map(|_| Arc::default()).collect(),
        }
    }
}

impl SkuTable {
    fn shard(sku: &str) -> usize {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
        hasher.write(sku.as_bytes());
        // The high bits: Fx mixes them best.
        (hasher.finish() >> 56) as usize % SKU_SHARDS
    }

    pub fn get(&self, sku: &str) -> Option<&SkuEntry> {
        self.shards[SkuTable::shard(sku)].get(sku)
    }

    pub fn get_mut(&mut self, sku: &str) -> Option<&mut SkuEntry> {
        Arc::make_mut(&mut self.shards[SkuTable::shard(sku)]).get_mut(sku)
    }

    /// The entry of `sku`, created empty if missing.
    pub fn entry(&mut self, sku: &str) -> &mut SkuEntry {
        Arc::make_mut(&mut self.shards[SkuTable::shard(sku)])
            .entry(sku.into())
            .or_default()
    }

    pub fn remove(&mut self, sku: &str) {
        Arc::make_mut(&mut self.shards[SkuTable::shard(sku)]).remove(sku);
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct SkuEntry {
    pub product: Option<u32>,
    /// Selections that hold this sku: the union of `picked` and `matched`, what targets and
    /// vouchers read.
    pub selections: Ids,
    /// Selections that list this sku by hand.
    pub picked: Ids,
    /// Selections whose filter this sku's catalog product matches (empty without a product).
    pub matched: Ids,
}

impl SkuEntry {
    pub fn set_picked(&mut self, picked: Ids) {
        self.picked = picked;
        self.selections = merged(&self.picked, &self.matched);
    }

    pub fn set_matched(&mut self, matched: Ids) {
        self.matched = matched;
        self.selections = merged(&self.picked, &self.matched);
    }

    /// Neither a product nor a hand-picked member of a selection: the entry can go.
    pub fn is_unused(&self) -> bool {
        self.product.is_none() && self.picked.is_empty()
    }
}

/// Two sorted lists of ids as one, sorted, without repeats.
fn merged(a: &[u32], b: &[u32]) -> Ids {
    if b.is_empty() {
        return a.into();
    }
    if a.is_empty() {
        return b.into();
    }
    let mut all: Vec<u32> = a.iter().chain(b).copied().collect();
    all.sort_unstable();
    all.dedup();
    all.into_boxed_slice()
}

/// A selection's compiled filter: a product matches when it meets every non-empty criterion.
/// Ids of names a filter gives but the catalog has never seen are `u32::MAX`, which nothing
/// has: the criterion stays (non-empty) and that value matches nothing.
#[derive(Debug, Default)]
pub(crate) struct SelectionFilter {
    /// Any of these segments (a product's `segments` hold their ancestors).
    pub segments: Ids,
    pub brands: Ids,
    pub tags: Ids,
    /// `name\u{0}value` keys the product must all have.
    pub attributes: Ids,
    /// On the list price.
    pub price: PriceBounds,
}

impl SelectionFilter {
    pub fn matches(&self, product: &Product) -> bool {
        (self.segments.is_empty() || intersects(&self.segments, &product.segments))
            && (self.brands.is_empty()
                || product
                    .brand
                    .is_some_and(|b| self.brands.binary_search(&b).is_ok()))
            && (self.tags.is_empty() || intersects(&self.tags, &product.tags))
            && self
                .attributes
                .iter()
                .all(|a| product.attributes.binary_search(a).is_ok())
            && self.price.contains(product.price)
    }
}

/// The semantic switches in force (`rules::Compatibility` and its overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Semantics {
    pub rounding_of: RoundingOf,
    pub ties: Ties,
    pub cart_amount: CartAmountBasis,
    pub budget: BudgetRule,
    pub percentages: PercentBasis,
}

impl Semantics {
    pub fn resolve(bundle: Compatibility, overrides: SemanticsOverrides) -> Semantics {
        let base = match bundle {
            Compatibility::Remise => Semantics {
                rounding_of: RoundingOf::Discount,
                ties: Ties::Value,
                cart_amount: CartAmountBasis::Catalog,
                budget: BudgetRule::GrantWhatIsLeft,
                percentages: PercentBasis::Remaining,
            },
            Compatibility::Magento => Semantics {
                ties: Ties::Creation,
                ..Semantics::resolve(Compatibility::Remise, SemanticsOverrides::default())
            },
            Compatibility::Sylius => Semantics {
                ties: Ties::Creation,
                cart_amount: CartAmountBasis::Running,
                ..Semantics::resolve(Compatibility::Remise, SemanticsOverrides::default())
            },
        };
        Semantics {
            rounding_of: overrides.rounding_of.unwrap_or(base.rounding_of),
            ties: overrides.ties.unwrap_or(base.ties),
            cart_amount: overrides.cart_amount.unwrap_or(base.cart_amount),
            budget: overrides.budget.unwrap_or(base.budget),
            percentages: overrides.percentages.unwrap_or(base.percentages),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Product {
    pub sku: Box<str>,
    pub name: Box<str>,
    pub price: Decimal,
    pub tax_rate: Decimal,
    /// The lowest unit price promotions may bring it to (store's price mode): its `min_price`, or
    /// its `cost` under a margin floor, whichever is higher.
    pub floor: Option<Decimal>,
    /// The "was" price shown as the reference (store's price mode).
    pub compare_at: Option<Decimal>,
    /// The product's segments with their ancestors, sorted.
    pub segments: Ids,
    pub brand: Option<u32>,
    pub attributes: Ids,
    pub tags: Ids,
}

/// Promotions by the target keys that reach them (include side only; exclusions are checked after).
/// Every list is sorted by promotion index, that is in consideration order (priority first).
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Promotions that name a sku in their targets.
    pub by_sku: FxHashMap<Box<str>, Ids>,
    pub by_segment: Vec<Ids>,
    pub by_selection: Vec<Ids>,
    pub by_brand: Vec<Ids>,
    pub by_attribute: Vec<Ids>,
    pub by_tag: Vec<Ids>,
    /// Promotions that target every product.
    pub all: Ids,
}

#[derive(Debug)]
pub(crate) struct Promotion {
    pub id: Box<str>,
    pub name: Box<str>,
    pub priority: i32,
    pub combination: Combination,
    pub all: bool,
    pub exclude: Option<Targets>,
    /// Only lines whose unit price is within these bounds (a filter on the targets).
    pub unit_price: Option<PriceBounds>,
    pub skip_discounted: Option<SkipDiscounted>,
    pub channels: Ids,
    /// The same channels by name, for explanations.
    pub channel_names: Box<[Box<str>]>,
    pub audience: Audience,
    pub validity: Validity,
    pub conditions: Conditions,
    pub offer: Offer,
    pub limits: Limits,
    /// Offer and conditions make it a catalog promotion (DESIGN §1): its price is what the catalog
    /// shows when it is active for the customer.
    pub is_catalog: bool,
    /// For the consideration order.
    pub created_at: Option<Timestamp>,
    /// What the index lists it under (`None`: every product, `all`).
    pub targets: Option<Targets>,
}

/// A product matches when it matches any criterion (or there is none and `every` is set), and
/// its unit price is within `unit_price`.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    pub skus: Box<[Box<str>]>,
    pub segments: Ids,
    pub selections: Ids,
    pub brands: Ids,
    pub attributes: Ids,
    pub tags: Ids,
    /// No criterion: every product (within `unit_price`).
    pub every: bool,
    pub unit_price: Option<PriceBounds>,
}

/// Inclusive bounds on a unit price (display mode, at the currency's scale).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PriceBounds {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

impl PriceBounds {
    pub fn contains(&self, unit: Decimal) -> bool {
        self.min.is_none_or(|min| unit >= min) && self.max.is_none_or(|max| unit <= max)
    }
}

/// The facts a target is matched against, interned.
pub(crate) struct Facts<'a> {
    pub sku: &'a str,
    pub segments: &'a [u32],
    pub selections: &'a [u32],
    pub brand: Option<u32>,
    pub attributes: &'a [u32],
    pub tags: &'a [u32],
    /// The base unit price in the display mode, at the currency's scale.
    pub unit: Decimal,
}

/// The promotions an index list holds for `id` (none when the id is past the end).
fn ids_at(lists: &[Ids], id: u32) -> &[u32] {
    lists.get(id as usize).map_or(&[], |l| &l[..])
}

fn intersects(sorted: &[u32], other: &[u32]) -> bool {
    other.iter().any(|id| sorted.binary_search(id).is_ok())
}

impl Targets {
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.unit_price.is_none_or(|b| b.contains(facts.unit)) && self.matches_criteria(facts)
    }

    fn matches_criteria(&self, facts: &Facts<'_>) -> bool {
        self.every
            || self.skus.iter().any(|sku| **sku == *facts.sku)
            || intersects(&self.segments, facts.segments)
            || intersects(&self.selections, facts.selections)
            || facts
                .brand
                .is_some_and(|b| self.brands.binary_search(&b).is_ok())
            || intersects(&self.attributes, facts.attributes)
            || intersects(&self.tags, facts.tags)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Audience {
    pub groups: Ids,
    pub customers: Box<[Box<str>]>,
    pub collection_points: Box<[Box<str>]>,
}

impl Audience {
    pub fn is_everyone(&self) -> bool {
        self.groups.is_empty() && self.customers.is_empty() && self.collection_points.is_empty()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Validity {
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// Bit `n` set: allowed on weekday `n` (Monday = 0). Zero: every day.
    pub weekdays: u8,
    /// Seconds of the day, `from` inclusive, `to` exclusive; `to <= from` crosses midnight.
    pub windows: Box<[(u32, u32)]>,
}

#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub min_cart_amount: Option<Decimal>,
    pub max_cart_amount: Option<Decimal>,
    pub min_quantity: u32,
    pub min_distinct_products: u32,
    /// Normalised codes (upper case, no spaces, dashes, dots or underscores). `Some(empty)`: only a code that the
    /// caller says unlocks this promotion (a code of one of its batches) will do.
    pub coupon: Option<Box<[Box<str>]>>,
    pub shipping_methods: Box<[Box<str>]>,
    pub min_line_quantity: u32,
    pub cart_contains: Box<[CartContains]>,
    pub history: Option<History>,
}

#[derive(Debug)]
pub(crate) struct CartContains {
    pub targets: Targets,
    pub min_quantity: u32,
    pub min_amount: Option<Decimal>,
}

/// Conditions on the orders before this one: how many (inclusive bounds) and how much spent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct History {
    pub min_orders: Option<u32>,
    pub max_orders: Option<u32>,
    pub min_spent: Option<Decimal>,
}

#[derive(Debug, Default)]
pub(crate) struct Limits {
    pub total_uses: Option<u32>,
    pub uses_per_customer: Option<u32>,
    pub budget: Option<Decimal>,
}

/// A compiled offer. Percentages are stored as fractions (20 % → 0.2).
#[derive(Debug)]
pub(crate) enum Offer {
    Merchandise(ItemOffer),
    Tiered {
        basis: TierBasis,
        /// Ascending thresholds.
        tiers: Box<[Tier]>,
    },
    Shipping {
        kind: ShippingOffer,
        methods: Box<[Box<str>]>,
    },
    Gift {
        sku: Box<str>,
        quantity: u32,
    },
    ParcelInsert {
        item: Box<str>,
        description: Box<str>,
    },
    BuyXGetY(Box<BuyXGetY>),
    Bundle(Box<Bundle>),
}

impl Offer {
    /// Whether it discounts merchandise (shipping offers, gifts and parcel inserts do not).
    pub fn discounts_merchandise(&self) -> bool {
        matches!(
            self,
            Offer::Merchandise(_) | Offer::Tiered { .. } | Offer::BuyXGetY(_) | Offer::Bundle(_)
        )
    }
}

#[derive(Debug)]
pub(crate) struct BuyXGetY {
    pub buy: u32,
    pub get: u32,
    /// `None`: the promotion's own targets.
    pub reward_targets: Option<Targets>,
    pub reward: UnitReward,
    pub most_expensive_first: bool,
    pub max_applications: Option<u32>,
    pub per_line: bool,
    pub partial_rewards: bool,
}

/// What a rewarded unit gets. Amounts at the currency's scale, rates as fractions.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UnitReward {
    PercentOff(Decimal),
    AmountOff(Decimal),
    UnitPrice(Decimal),
}

#[derive(Debug)]
pub(crate) struct Bundle {
    pub slots: Box<[(Targets, u32)]>,
    pub price: BundlePrice,
    pub max_applications: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum BundlePrice {
    Price(Decimal),
    PercentOff(Decimal),
    AmountOff(Decimal),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum ItemOffer {
    PercentOff(Decimal, UnitLimit),
    AmountOffEach(Decimal, UnitLimit),
    UnitPrice(Decimal, UnitLimit),
    AmountOffLine(Decimal),
    AmountOffTotal(Decimal),
    /// The rate, and whether the chosen shipping method is discounted too.
    CartPercentOff(Decimal, bool),
    CartAmountOff(Decimal, bool),
}

/// Which units a per-unit offer reaches when not all do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UnitLimit {
    pub max_units: Option<u32>,
    pub per_line: Option<u32>,
    pub cheapest_first: bool,
}

impl UnitLimit {
    pub fn limits(&self) -> bool {
        self.max_units.is_some() || self.per_line.is_some()
    }
}

#[derive(Debug)]
pub(crate) struct Tier {
    pub threshold: Decimal,
    /// `from` (≥) when true, `over` (>) when false.
    pub inclusive: bool,
    pub offer: ItemOffer,
}

impl Tier {
    pub fn reached(&self, value: Decimal) -> bool {
        if self.inclusive {
            value >= self.threshold
        } else {
            value > self.threshold
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum ShippingOffer {
    Free,
    PercentOff(Decimal),
    AmountOff(Decimal),
    CappedPrice(Decimal),
}

impl Snapshot {
    /// Calls `visit` with each index list that holds promotions targeting a product with these
    /// facts (by sku, segment, selection, brand, attribute, tag). A promotion may come more than
    /// once; promotions that target every product are in `index.all`, not visited here.
    pub(crate) fn targeting_lists(&self, facts: &Facts<'_>, mut visit: impl FnMut(&[u32])) {
        let index = &self.index;
        if let Some(promotions) = index.by_sku.get(facts.sku) {
            visit(promotions);
        }
        for &s in facts.segments {
            visit(ids_at(&index.by_segment, s));
        }
        for &s in facts.selections {
            visit(ids_at(&index.by_selection, s));
        }
        if let Some(b) = facts.brand {
            visit(ids_at(&index.by_brand, b));
        }
        for &a in facts.attributes {
            visit(ids_at(&index.by_attribute, a));
        }
        for &t in facts.tags {
            visit(ids_at(&index.by_tag, t));
        }
    }

    pub fn currency(&self) -> &'static str {
        self.money.code()
    }

    pub fn promotion_count(&self) -> usize {
        self.promotions.len()
    }

    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    /// The catalog product with this sku.
    pub(crate) fn product(&self, sku: &str) -> Option<&Product> {
        let index = self.skus.get(sku)?.product?;
        self.products.get(index as usize)
    }
}
