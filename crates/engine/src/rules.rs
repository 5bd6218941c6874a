//! The versioned rule format (`remise.rules/1`): plain data, read from JSON, checked and turned into a
//! [`Snapshot`](crate::Snapshot) by [`compile`](crate::compile).
//!
//! Everything here is what a person or a store writes; nothing here is used while evaluating. Ids are
//! strings, amounts are exact decimals (JSON numbers or strings, read without going through floats),
//! instants and times are strings checked at compile time so that every error carries its path.
//! The reference page is `docs/rule-format.md`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod offers;

pub use offers::{
    Commitment, ContractDiscount, CustomerOffer, OfferScope, OfferType, QuantityBreak, SellsTo,
};

/// The format tag a rule file carries.
pub const RULES_FORMAT: &str = "remise.rules/1";

/// A whole rule file: store settings, catalog facts, promotions and B2B offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Always [`RULES_FORMAT`]; other versions are refused rather than misread.
    #[serde(default = "rules_format")]
    pub format: String,
    #[serde(default)]
    pub store: StoreSettings,
    #[serde(default)]
    pub catalog: Catalog,
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// B2B customer offers: contract prices by customer scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<CustomerOffer>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            format: rules_format(),
            store: StoreSettings::default(),
            catalog: Catalog::default(),
            promotions: Vec::new(),
            offers: Vec::new(),
        }
    }
}

fn rules_format() -> String {
    RULES_FORMAT.to_owned()
}

/// How the store counts money and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// ISO 4217 code; its minor unit (EUR 2, JPY 0, BHD 3) fixes the rounding precision.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// IANA time zone in which validity dates, weekdays and intraday windows are read.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default)]
    pub rounding: Rounding,
    /// Whether catalog and shipping prices are entered tax-included (B2C) or tax-excluded.
    #[serde(default = "yes")]
    pub prices_include_tax: bool,
    /// How customers see prices unless their group says otherwise.
    #[serde(default)]
    pub default_display: Display,
    /// Per customer group: how its members see prices (B2B groups usually `net`).
    #[serde(default)]
    pub groups: BTreeMap<String, GroupSettings>,
    #[serde(default)]
    pub strategy: Strategy,
    /// A margin floor: no promotion sells a product below its `cost` (when the product has one).
    #[serde(default)]
    pub floor_at_cost: bool,
    /// Cart-amount conditions and spend tiers measure amounts tax-included, also for customers who
    /// see net prices (thresholds are then read tax-included).
    #[serde(default)]
    pub thresholds_include_tax: bool,
    /// Behaviours where respected platforms differ on purpose, as a named bundle; each switch of
    /// the bundle can be set on its own in `semantics`.
    #[serde(default)]
    pub compatibility: Compatibility,
    /// Switches that override the bundle's.
    #[serde(default)]
    pub semantics: SemanticsOverrides,
    /// Whom the store sells to: which offer types and scopes it accepts.
    #[serde(default, skip_serializing_if = "is_default")]
    pub sells_to: SellsTo,
    /// Whether promotions also apply on a B2B contract price (`false`: "net prices are net",
    /// a line priced by an offer gets no promotion).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub promotions_on_offer_prices: bool,
}

/// A named bundle of semantic switches (`docs/rule-format.md` §5.11).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compatibility {
    /// Remise's own rules: every switch at its first value.
    #[default]
    Remise,
    /// As Magento's cart price rules: equal priorities (sort order) in creation order.
    Magento,
    /// As Sylius' cart promotions: equal priorities in creation order, and amount conditions
    /// checked on what the promotions before left, as each comes to apply.
    Sylius,
}

/// The semantic switches; `None` keeps the bundle's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticsOverrides {
    #[serde(default)]
    pub rounding_of: Option<RoundingOf>,
    #[serde(default)]
    pub ties: Option<Ties>,
    #[serde(default)]
    pub cart_amount: Option<CartAmountBasis>,
    #[serde(default)]
    pub budget: Option<BudgetRule>,
    #[serde(default)]
    pub percentages: Option<PercentBasis>,
}

/// What is rounded to the minor unit when a percentage applies: 10.50 − 15 % is 8.92
/// (`discount`: 1.575 → 1.58 off) or 8.93 (`discounted_price`: 8.925 → 8.93).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingOf {
    Discount,
    DiscountedPrice,
}

/// The order of promotions of equal priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// The order that gives the customer the lower total, then the older, then the smaller id.
    Value,
    /// The older first, then the smaller id.
    Creation,
}

/// What `min_cart_amount`, `max_cart_amount`, spend tiers and `cart_contains` amounts measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartAmountBasis {
    /// The merchandise subtotal at catalog prices, the same for every promotion.
    Catalog,
    /// What earlier promotions left of the merchandise when the promotion comes to apply.
    Running,
}

/// What a promotion whose budget cannot cover its whole discount grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetRule {
    /// What is left of the budget.
    GrantWhatIsLeft,
    /// Nothing: the promotion is rejected with `budget_exhausted`.
    AllOrNothing,
}

/// What a percentage is taken of when earlier promotions discounted the same items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PercentBasis {
    /// What earlier promotions left (10 % after 5.00 off 50.00 is 4.50).
    Remaining,
    /// The price before promotions (10 % after 5.00 off 50.00 is 5.00), never more than is left.
    Original,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            currency: default_currency(),
            time_zone: default_time_zone(),
            rounding: Rounding::default(),
            prices_include_tax: true,
            default_display: Display::default(),
            groups: BTreeMap::new(),
            strategy: Strategy::default(),
            floor_at_cost: false,
            thresholds_include_tax: false,
            compatibility: Compatibility::default(),
            semantics: SemanticsOverrides::default(),
            sells_to: SellsTo::default(),
            promotions_on_offer_prices: true,
        }
    }
}

fn default_currency() -> String {
    "EUR".to_owned()
}
fn default_time_zone() -> String {
    "UTC".to_owned()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    pub display: Display,
}

/// How a half minor unit is rounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 0.005 → 0.01, −0.005 → −0.01.
    #[default]
    HalfAwayFromZero,
    /// Banker's rounding: 0.005 → 0.00, 0.015 → 0.02.
    HalfEven,
}

/// Whether a customer sees prices with tax (`gross`, B2C) or without (`net`, B2B). Fixed amounts in
/// offers and cart-amount thresholds are read in the same mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Display {
    #[default]
    Gross,
    Net,
}

/// How the promotions of a cart are chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every applicable promotion in priority order, each on what the previous ones left.
    #[default]
    Priority,
    /// Among the promotions allowed to combine, the set (and the number of applications of
    /// multi-unit offers) that gives the lowest total; see `docs/rule-format.md`.
    BestForCustomer,
}

/// Catalog facts: the segment tree, products and hand-picked selections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(default)]
    pub segments: Vec<Segment>,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(default)]
    pub selections: Vec<Selection>,
}

/// A node of the category tree. A promotion on a segment reaches its descendants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// A "star" segment is highlighted by the shop; the engine only carries the flag.
    #[serde(default)]
    pub star: bool,
    /// Search words that lead to the segment ("Avengers" for Marvel); the engine only carries
    /// them. Not written when empty, so files without keywords read and write as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

impl Segment {
    /// A segment with this id and name, at the root, not a star, without keywords.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Segment {
        Segment {
            id: id.into(),
            name: name.into(),
            parent: None,
            star: false,
            keywords: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub sku: String,
    #[serde(default)]
    pub name: String,
    /// List price of one unit, tax-included or not as `store.prices_include_tax` says.
    pub price: Decimal,
    /// e.g. `0.20` for 20 %.
    #[serde(default)]
    pub tax_rate: Decimal,
    #[serde(default)]
    pub segments: Vec<String>,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the product costs the store (same tax mode as `price`); with `store.floor_at_cost`,
    /// no promotion sells it below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// The lowest unit price promotions may bring it to (Sylius' "minimum price").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<Decimal>,
    /// A "was" price the shop shows struck through; when given, it is the reference price of
    /// quotes and catalog prices (the price promotions start from stays `price`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_at_price: Option<Decimal>,
}

impl Product {
    /// A product with this sku and price, tax-free, in no segment; every other fact at its
    /// default.
    pub fn new(sku: impl Into<String>, price: Decimal) -> Product {
        Product {
            sku: sku.into(),
            name: String::new(),
            price,
            tax_rate: Decimal::ZERO,
            segments: Vec::new(),
            brand: None,
            attributes: BTreeMap::new(),
            tags: Vec::new(),
            cost: None,
            min_price: None,
            compare_at_price: None,
        }
    }
}

/// A named set of products: hand-picked (`skus`), the catalog products a saved `filter` matches,
/// or both (their union). Filter members are computed when the rules are compiled, from the
/// catalog's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Hand-picked products; a sku need not be in the catalog.
    #[serde(default)]
    pub skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<SelectionFilter>,
}

impl Selection {
    /// A hand-picked selection of these skus.
    pub fn picked(id: impl Into<String>, skus: Vec<String>) -> Selection {
        let id = id.into();
        Selection {
            name: id.clone(),
            id,
            skus,
            filter: None,
        }
    }
}

/// A saved product filter. A catalog product matches when it meets **every** criterion given;
/// within one list, any value will do (segments [a, b]: in a or b, or under either).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionFilter {
    /// In one of these segments or one of their descendants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    /// Of one of these brands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<String>,
    /// Carrying one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Attribute name → the value it must have; every listed attribute must match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// List price (`price`, in the store's price mode) at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<Decimal>,
    /// List price at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<Decimal>,
}

impl SelectionFilter {
    /// Whether it gives at least one criterion (a filter without any would match everything).
    pub fn has_criteria(&self) -> bool {
        !(self.segments.is_empty()
            && self.brands.is_empty()
            && self.tags.is_empty()
            && self.attributes.is_empty()
            && self.min_price.is_none()
            && self.max_price.is_none())
    }
}

/// One advantage: which products, for whom, when, under which conditions, and what the customer gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub campaign: Option<String>,
    /// Higher first.
    #[serde(default)]
    pub priority: i32,
    /// When the promotion was created (RFC 3339); among equal priorities and equal prices the older
    /// one wins, then the smaller id.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub combination: Combination,
    /// Which products the promotion concerns; absent means every product.
    #[serde(default)]
    pub targets: Option<Targets>,
    /// Products removed from the targets.
    #[serde(default)]
    pub exclude: Option<Targets>,
    /// Leave out items an earlier promotion already discounted: by a catalog promotion, or by any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_discounted: Option<SkipDiscounted>,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub validity: Validity,
    #[serde(default)]
    pub conditions: Conditions,
    pub offer: Offer,
    #[serde(default)]
    pub limits: Limits,
}

impl Promotion {
    /// A promotion with this id and offer, on every product, for everyone, always; every other
    /// field at its default.
    pub fn new(id: impl Into<String>, offer: Offer) -> Promotion {
        Promotion {
            id: id.into(),
            name: String::new(),
            campaign: None,
            priority: 0,
            created_at: None,
            combination: Combination::default(),
            targets: None,
            exclude: None,
            skip_discounted: None,
            audience: Audience::default(),
            validity: Validity::default(),
            conditions: Conditions::default(),
            offer,
            limits: Limits::default(),
        }
    }
}

/// How a promotion combines with the others of a cart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combination {
    /// Applies on top of what higher-priority promotions left.
    #[default]
    Stackable,
    /// Once it applied to an item, lower-priority promotions no longer apply to that item.
    StopFurther,
    /// Applies only if nothing else applied to its items, and then nothing else does.
    Exclusive,
}

/// Which earlier discounts make an item out of a promotion's reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipDiscounted {
    /// Items a catalog promotion discounted.
    Catalog,
    /// Items any earlier promotion discounted.
    Any,
}

/// A product matches when it matches any of the listed criteria (`all` matches every product),
/// and its unit price is within `unit_price` when that is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub skus: Vec<String>,
    /// Segment ids; a product in a descendant segment matches too.
    #[serde(default)]
    pub segments: Vec<String>,
    #[serde(default)]
    pub selections: Vec<String>,
    #[serde(default)]
    pub brands: Vec<String>,
    /// Attribute name → accepted values.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A filter on the criteria above (or on every product when there is none): only products
    /// whose base unit price, in the customer's display mode, is within this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<PriceRange>,
}

/// Bounds on a unit price, both inclusive, either optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRange {
    #[serde(default)]
    pub min: Option<Decimal>,
    #[serde(default)]
    pub max: Option<Decimal>,
}

/// Who may get the promotion. Empty lists mean everyone; a customer qualifies when it is in one of
/// the groups, is one of the customers, or uses one of the collection points. Channels are a separate
/// restriction: the sale must happen on one of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub customers: Vec<String>,
    #[serde(default)]
    pub collection_points: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
}

/// When the promotion runs, in the store's time zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// Inclusive. `2026-12-01T00:00:00` (store time) or with an offset (`…+01:00`, `…Z`).
    #[serde(default)]
    pub starts_at: Option<String>,
    /// Exclusive, same forms as `starts_at`.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// `monday` … `sunday`; empty means every day. For a window that crosses midnight, the day is
    /// the one on which the window opens.
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// Intraday windows such as `{"from": "18:00", "to": "20:00"}`; `to` before `from` crosses midnight.
    #[serde(default)]
    pub windows: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: String,
    pub to: String,
}

/// Conditions the cart must meet. Amounts are read in the customer's display mode and measured on the
/// merchandise subtotal at catalog prices (after catalog promotions, before cart promotions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    pub min_cart_amount: Option<Decimal>,
    #[serde(default)]
    pub max_cart_amount: Option<Decimal>,
    /// Minimum number of targeted units in the cart.
    #[serde(default)]
    pub min_quantity: Option<u32>,
    /// Minimum number of different targeted products in the cart.
    #[serde(default)]
    pub min_distinct_products: Option<u32>,
    /// Codes that unlock the promotion (matched case-insensitively, ignoring spaces, dashes, dots and underscores).
    /// A presented code that the caller says unlocks this promotion's id works too.
    #[serde(default)]
    pub coupon: Option<Coupon>,
    /// The cart's chosen shipping method must be one of these.
    #[serde(default)]
    pub shipping_methods: Vec<String>,
    /// At least one targeted line holds this many units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_line_quantity: Option<u32>,
    /// What the cart must hold besides the targets ("if the cart holds a tent"); all must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cart_contains: Vec<CartContains>,
    /// The customer's order history, as the cart's `customer` carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
}

/// Items the cart must hold: those matching `targets`, at least `min_quantity` units and worth at
/// least `min_amount` (at catalog prices, like `min_cart_amount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartContains {
    pub targets: Targets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Decimal>,
}

/// Conditions on the customer's orders before this one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// This is the customer's first order (no order before).
    #[serde(default)]
    pub first_order: bool,
    /// This is the customer's nth order (n − 1 orders before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth_order: Option<u32>,
    /// Orders placed before, at least / at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_orders: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_orders: Option<u32>,
    /// Amount spent in those orders, at least (display mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_spent: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    #[serde(default)]
    pub codes: Vec<String>,
}

/// Usage limits and budget. The engine keeps no state: the caller passes the usage so far with the
/// cart (`usage`), and the engine refuses or caps accordingly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default)]
    pub total_uses: Option<u32>,
    #[serde(default)]
    pub uses_per_customer: Option<u32>,
    /// The most discount the promotion may grant in all; a cart gets at most what is left.
    #[serde(default)]
    pub budget: Option<Decimal>,
}

/// What the customer gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Offer {
    /// `percent` % off each targeted unit.
    PercentOff {
        percent: Decimal,
        /// On at most that many units in all (the most expensive first, or as `pick` says).
        #[serde(default)]
        max_units: Option<u32>,
        /// At most this many units of each line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_units_per_line: Option<u32>,
        /// Which units first when not all get it (`max_units`, `max_units_per_line`).
        #[serde(default, skip_serializing_if = "is_default")]
        pick: Pick,
    },
    /// `amount` off each targeted unit.
    AmountOffEach {
        amount: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_units: Option<u32>,
        /// At most this many units of each line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_units_per_line: Option<u32>,
        /// Which units first when not all get it (`max_units`, `max_units_per_line`).
        #[serde(default, skip_serializing_if = "is_default")]
        pick: Pick,
    },
    /// `amount` off each targeted line, whatever its quantity.
    AmountOffLine { amount: Decimal },
    /// `amount` off the targeted units as a whole, split over them in proportion to their amounts.
    AmountOffTotal { amount: Decimal },
    /// Each targeted unit sold at `price` (a 25 € T-shirt sold 15 €).
    UnitPrice {
        price: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_units: Option<u32>,
        /// At most this many units of each line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_units_per_line: Option<u32>,
        /// Which units first when not all get it (`max_units`, `max_units_per_line`).
        #[serde(default, skip_serializing_if = "is_default")]
        pick: Pick,
    },
    /// `percent` % off the merchandise subtotal of the targeted lines (and of the chosen shipping
    /// method, with `include_shipping`).
    CartPercentOff {
        percent: Decimal,
        #[serde(default, skip_serializing_if = "is_false")]
        include_shipping: bool,
    },
    /// `amount` off the merchandise subtotal of the targeted lines (and of the chosen shipping
    /// method, with `include_shipping`), split over them in proportion to their amounts.
    CartAmountOff {
        amount: Decimal,
        #[serde(default, skip_serializing_if = "is_false")]
        include_shipping: bool,
    },
    /// The offer of the highest tier reached by the cart's spend or by the targeted quantity.
    Tiered { basis: TierBasis, tiers: Vec<Tier> },
    /// Free shipping on `methods` (all when empty).
    FreeShipping {
        #[serde(default)]
        methods: Vec<String>,
    },
    ShippingPercentOff {
        percent: Decimal,
        #[serde(default)]
        methods: Vec<String>,
    },
    ShippingAmountOff {
        amount: Decimal,
        #[serde(default)]
        methods: Vec<String>,
    },
    /// Shipping costs at most `price`.
    ShippingCappedPrice {
        price: Decimal,
        #[serde(default)]
        methods: Vec<String>,
    },
    /// A free product added to the cart.
    Gift {
        sku: String,
        #[serde(default = "one")]
        quantity: u32,
    },
    /// A document or product slipped into the parcel; no price effect.
    ParcelInsert {
        item: String,
        #[serde(default)]
        description: String,
    },
    /// Buy `buy` units, get `get` units rewarded ("3 for 2" is buy 2 get 1 free). The promotion's
    /// `targets` are the units that trigger it; `reward_targets` the units that can be rewarded
    /// (absent: the same). Units count across lines and within a line; a unit is never both a
    /// trigger and a reward. Repeats as long as the cart allows, up to `max_applications`.
    BuyXGetY {
        buy: u32,
        get: u32,
        #[serde(default)]
        reward_targets: Option<Targets>,
        #[serde(default)]
        reward: Reward,
        /// Which eligible units are rewarded first.
        #[serde(default)]
        rewarded: RewardOrder,
        #[serde(default)]
        max_applications: Option<u32>,
        /// Count units within each line on its own (a line of 3 and a line of 1 make one "3 for
        /// 2", not one and a third).
        #[serde(default, skip_serializing_if = "is_false")]
        per_line: bool,
        /// The last application may reward fewer than `get` units ("buy 1 get 5" with 4 units
        /// frees 3).
        #[serde(default, skip_serializing_if = "is_false")]
        partial_rewards: bool,
    },
    /// A set of units sold together (a *lot*): each slot takes `quantity` units among its targets.
    /// As many complete bundles as the cart holds are formed (up to `max_applications`), each from
    /// the most expensive eligible units, and the bundle's discount is split over its units.
    Bundle {
        slots: Vec<BundleSlot>,
        price: BundlePrice,
        #[serde(default)]
        max_applications: Option<u32>,
    },
}

/// What a rewarded unit of a buy-X-get-Y gets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reward {
    #[default]
    Free,
    PercentOff {
        percent: Decimal,
    },
    AmountOff {
        amount: Decimal,
    },
    UnitPrice {
        price: Decimal,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardOrder {
    /// The cheapest eligible units are rewarded (the usual "cheapest one free").
    #[default]
    Cheapest,
    MostExpensive,
}

/// One slot of a bundle: `quantity` units among `targets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSlot {
    pub targets: Targets,
    #[serde(default = "one")]
    pub quantity: u32,
}

/// What a complete bundle costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BundlePrice {
    /// The whole bundle at `price`.
    Price {
        price: Decimal,
    },
    PercentOff {
        percent: Decimal,
    },
    AmountOff {
        amount: Decimal,
    },
}

impl Offer {
    /// `percent` % off each targeted unit.
    pub fn percent_off(percent: Decimal) -> Offer {
        Offer::PercentOff {
            percent,
            max_units: None,
            max_units_per_line: None,
            pick: Pick::default(),
        }
    }

    /// `amount` off each targeted unit.
    pub fn amount_off_each(amount: Decimal) -> Offer {
        Offer::AmountOffEach {
            amount,
            max_units: None,
            max_units_per_line: None,
            pick: Pick::default(),
        }
    }

    /// Each targeted unit sold at `price`.
    pub fn unit_price(price: Decimal) -> Offer {
        Offer::UnitPrice {
            price,
            max_units: None,
            max_units_per_line: None,
            pick: Pick::default(),
        }
    }
}

fn one() -> u32 {
    1
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !value
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Which units of a per-unit offer get it first when not all do: the most expensive (default)
/// or the cheapest ("the cheapest item free").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    #[default]
    MostExpensive,
    Cheapest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// The merchandise subtotal at catalog prices.
    Spend,
    /// The number of targeted units.
    Quantity,
}

/// A tier is reached `from` a threshold (≥) or `over` it (>); exactly one of the two is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default)]
    pub from: Option<Decimal>,
    #[serde(default)]
    pub over: Option<Decimal>,
    pub offer: Offer,
}
