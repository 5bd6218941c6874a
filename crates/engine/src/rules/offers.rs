//! B2B customer offers (seed 004, DESIGN §1 "B2B offers", §2.3–2.4): contract prices that replace
//! the list price as the base of a line for the customers in an offer's scope.
//!
//! An offer holds commitments (engagements), which hold discounts (remises). Dates are whole days
//! (`YYYY-MM-DD`) in the store's time zone, both ends included; a commitment's dates default to
//! its offer's and must lie inside them.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::is_false;

/// One offer: who it is for, when, and the contract prices of its commitments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerOffer {
    /// Unique in the store: letters and digits only.
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, rename = "type")]
    pub kind: OfferType,
    #[serde(default)]
    pub scope: OfferScope,
    /// First day (store's time zone), included; none: valid since always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<String>,
    /// Last day (store's time zone), included; none: valid for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<String>,
    /// Customers in scope may filter the shop on the offer's products ("Offre commerciale").
    #[serde(default, skip_serializing_if = "is_false")]
    pub show_to_customer: bool,
    /// RFC 3339 instant: between equal prices of one scope level, the older offer wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default)]
    pub commitments: Vec<Commitment>,
}

impl CustomerOffer {
    pub fn new(code: impl Into<String>, scope: OfferScope) -> CustomerOffer {
        CustomerOffer {
            code: code.into(),
            title: String::new(),
            kind: OfferType::default(),
            scope,
            starts_on: None,
            ends_on: None,
            show_to_customer: false,
            created_at: None,
            commitments: Vec::new(),
        }
    }
}

/// Seed 004's "Type d'offre": 0 commercial, 1 public procurement (marché public, which needs
/// both dates and exists only where the store sells to professionals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferType {
    #[default]
    Commercial,
    PublicProcurement,
}

/// Which customers an offer is for. In JSON: `"all"`, `{"group": "cantines"}`,
/// `{"customer": "C0042"}` or `{"collection_point": "LYON-2"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferScope {
    #[default]
    All,
    /// A customer group the store knows (`store.groups`).
    Group(String),
    /// The shop's customer reference (`customer.id` of a request).
    Customer(String),
    /// A delivery or pickup point (`customer.collection_point`); only where the store sells
    /// to consumers.
    CollectionPoint(String),
}

/// An engagement: a number unique in its offer, the offer's dates or a sub-range of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub number: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub discounts: Vec<ContractDiscount>,
}

/// A remise: a code unique in its commitment; a target (exactly one of `sku` and `segment`, a
/// segment reaching its descendants); a value (exactly one of `price`, a fixed unit price read in
/// the customer's display mode, and `percent`, off the list price), from `min_quantity` units of
/// the sku in the cart, and lower values from larger quantities in `breaks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractDiscount {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    /// Units of the sku the cart must hold for the discount to apply at all (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_quantity: Option<u32>,
    /// Quantity breaks: from `from` units, this value instead (same kind as the discount's:
    /// `price` with `price`, `percent` with `percent`), `from` strictly increasing and above
    /// `min_quantity`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<QuantityBreak>,
}

/// "From 10 units: 4.10".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityBreak {
    pub from: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
}

/// Whom the store sells to (seed 004): public procurement only where it sells to professionals,
/// collection points only where it sells to consumers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellsTo {
    Professionals,
    Consumers,
    #[default]
    Both,
}

impl SellsTo {
    pub fn professionals(self) -> bool {
        self != SellsTo::Consumers
    }
    pub fn consumers(self) -> bool {
        self != SellsTo::Professionals
    }
}
