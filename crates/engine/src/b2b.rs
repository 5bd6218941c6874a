//! B2B offers in answers: the contract price a line or a product got (its offer, commitment and
//! discount), and the customer's other candidates with why each lost. Plain data borrowed from
//! the snapshot, like the rest of a [`Quote`](crate::Quote); messages are written when serialized.
//!
//! Only the offers whose scope includes the customer are ever listed in a price or a quote: the
//! others are other customers' contracts.

use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::rules::{OfferScope, OfferType};

mod queries;
mod resolve;

pub(crate) use resolve::Scopes;

/// A day of the store's calendar, `2026-06-30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub Date);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The kind of an offer's customer scope, from the least specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    All,
    Group,
    CollectionPoint,
    Customer,
}

impl fmt::Display for ScopeKind {
    /// As seed 004 names them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopeKind::All => "ALL",
            ScopeKind::Group => "GROUP",
            ScopeKind::CollectionPoint => "COLLECTION POINT",
            ScopeKind::Customer => "CLIENT",
        })
    }
}

/// An offer's scope: `{"kind": "group", "code": "cantines"}`; `all` has no code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScopeRef<'a> {
    pub kind: ScopeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
}

impl<'a> From<&'a OfferScope> for ScopeRef<'a> {
    fn from(scope: &'a OfferScope) -> ScopeRef<'a> {
        let (kind, code) = match scope {
            OfferScope::All => (ScopeKind::All, None),
            OfferScope::Group(g) => (ScopeKind::Group, Some(g.as_str())),
            OfferScope::Customer(c) => (ScopeKind::Customer, Some(c.as_str())),
            OfferScope::CollectionPoint(p) => (ScopeKind::CollectionPoint, Some(p.as_str())),
        };
        ScopeRef { kind, code }
    }
}

/// The contract price a line or a product got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedOffer<'a> {
    /// The offer's code.
    pub offer: &'a str,
    pub commitment: u32,
    /// The discount's code, within the commitment.
    pub discount: &'a str,
    pub scope: ScopeRef<'a>,
    /// The unit price it gives (display mode), in place of the list price.
    pub unit_price: Decimal,
    /// The `from` of the quantity break reached; absent: the discount's own value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_break: Option<u32>,
}

/// One of the customer's discounts that reached the product but did not price it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferCandidate<'a> {
    pub offer: &'a str,
    pub commitment: u32,
    pub discount: &'a str,
    pub scope: ScopeRef<'a>,
    /// The unit price it gives (or would give from its minimum quantity).
    pub unit_price: Decimal,
    pub quantity_break: Option<u32>,
    pub reason: OfferReason<'a>,
}

/// Whether the offer or the commitment dates a candidate out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Offer,
    Commitment,
}

/// What decided between two candidates of one level at one price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// The offer created first.
    OlderOffer,
    /// The smaller offer code.
    OfferCode,
    /// Two commitments of one offer: the smaller number.
    CommitmentNumber,
    /// Two discounts of one commitment: the smaller code.
    DiscountCode,
}

/// Why a candidate lost, with the values compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum OfferReason<'a> {
    /// A more specific scope had an applicable discount: it wins whatever the prices.
    OutrankedByScope {
        winner_offer: &'a str,
        winner_scope: ScopeKind,
        winner_price: Decimal,
    },
    /// Same level, higher unit price.
    HigherPrice {
        winner_offer: &'a str,
        winner_scope: ScopeKind,
        winner_price: Decimal,
    },
    /// Same level and price: the stated order decided.
    LostTie {
        winner_offer: &'a str,
        winner_scope: ScopeKind,
        winner_price: Decimal,
        decided_by: TieBreak,
    },
    /// The cart holds fewer units of the sku than the discount's minimum.
    QuantityNotReached { min_quantity: u32, quantity: u32 },
    NotStarted {
        of: Period,
        starts_on: Day,
        today: Day,
    },
    Ended {
        of: Period,
        ends_on: Day,
        today: Day,
    },
}

impl fmt::Display for OfferCandidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, offer, price) = (self.scope.kind, self.offer, self.unit_price);
        let period = |of: Period| match of {
            Period::Offer => format!("offer {offer}"),
            Period::Commitment => format!("commitment {}", self.commitment),
        };
        match &self.reason {
            OfferReason::OutrankedByScope {
                winner_offer,
                winner_scope,
                winner_price,
            } => {
                let op = match price.cmp(winner_price) {
                    std::cmp::Ordering::Less => "<",
                    std::cmp::Ordering::Equal => "=",
                    std::cmp::Ordering::Greater => ">",
                };
                write!(
                    f,
                    "{kind} offer {offer}: {price} {op} {winner_scope} offer {winner_offer} \
                     {winner_price}, a more specific scope"
                )
            }
            OfferReason::HigherPrice {
                winner_offer,
                winner_scope,
                winner_price,
            } => write!(
                f,
                "{kind} offer {offer}: {price} > {winner_scope} offer {winner_offer} {winner_price}"
            ),
            OfferReason::LostTie {
                winner_offer,
                winner_scope,
                winner_price,
                decided_by,
            } => {
                write!(
                    f,
                    "{kind} offer {offer}: {price} = {winner_scope} offer {winner_offer} \
                     {winner_price}, "
                )?;
                match decided_by {
                    TieBreak::OlderOffer => write!(f, "{winner_offer} is older"),
                    TieBreak::OfferCode => write!(f, "{winner_offer} comes first by code"),
                    TieBreak::CommitmentNumber => {
                        write!(f, "a commitment of smaller number comes first")
                    }
                    TieBreak::DiscountCode => write!(f, "a discount of smaller code comes first"),
                }
            }
            OfferReason::QuantityNotReached {
                min_quantity,
                quantity,
            } => write!(
                f,
                "{kind} offer {offer}: from {min_quantity} units, the cart has {quantity}"
            ),
            OfferReason::NotStarted {
                of,
                starts_on,
                today,
            } => write!(f, "{} starts {starts_on}, today {today}", period(*of)),
            OfferReason::Ended { of, ends_on, today } => {
                write!(f, "{} ends {ends_on}, today {today}", period(*of))
            }
        }
    }
}

impl Serialize for OfferCandidate<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Reasoned<'r, 'a> {
            #[serde(flatten)]
            reason: &'r OfferReason<'a>,
            message: Message<'r, 'a>,
        }
        struct Message<'r, 'a>(&'r OfferCandidate<'a>);
        impl Serialize for Message<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self.0)
            }
        }
        #[derive(Serialize)]
        struct Out<'r, 'a> {
            offer: &'a str,
            commitment: u32,
            discount: &'a str,
            scope: ScopeRef<'a>,
            unit_price: Decimal,
            #[serde(skip_serializing_if = "Option::is_none")]
            quantity_break: Option<u32>,
            reason: Reasoned<'r, 'a>,
        }
        Out {
            offer: self.offer,
            commitment: self.commitment,
            discount: self.discount,
            scope: self.scope,
            unit_price: self.unit_price,
            quantity_break: self.quantity_break,
            reason: Reasoned {
                reason: &self.reason,
                message: Message(self),
            },
        }
        .serialize(serializer)
    }
}

/// Serializes a reason with its `message` (what its `Display` writes) beside its fields.
struct WithMessage<'r, T>(&'r T);

impl<T: Serialize + fmt::Display> Serialize for WithMessage<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'r, T: Serialize> {
            #[serde(flatten)]
            reason: &'r T,
            message: String,
        }
        Out {
            reason: self.0,
            message: self.0.to_string(),
        }
        .serialize(serializer)
    }
}

/// What a discount names: one sku, or a segment and everything under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountTarget<'a> {
    Sku(&'a str),
    Segment(&'a str),
}

/// A value: a fixed unit price (display mode) or a percentage off the list price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiscountValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
}

/// "From 10 units: 4.10".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BreakValue {
    pub from: u32,
    #[serde(flatten)]
    pub value: DiscountValue,
}

/// One discount of an offer that reaches a product ("Offres en cours", seed 004): a management
/// answer, which lists every customer's contracts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductOffer<'a> {
    pub offer: &'a str,
    pub title: &'a str,
    #[serde(rename = "type")]
    pub kind: OfferType,
    pub scope: ScopeRef<'a>,
    pub commitment: u32,
    /// The commitment's first and last days (its own, or its offer's); absent: unbounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Day>,
    pub discount: &'a str,
    pub target: DiscountTarget<'a>,
    #[serde(flatten)]
    pub value: DiscountValue,
    /// Units of the sku the cart must hold; absent: 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_quantity: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<BreakValue>,
    /// Whether the offer and the commitment are live at the instant asked about (absent when
    /// none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<bool>,
    /// What it means for the customer asked about, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_customer: Option<ForCustomer<'a>>,
}

/// A discount seen from one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForCustomer<'a> {
    pub in_scope: bool,
    /// Why the offer is not the customer's.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "with_message"
    )]
    pub out_of_scope: Option<OutOfScope<'a>>,
    /// The unit price it gives the customer (display mode) from its minimum quantity, before
    /// breaks; absent for a percentage on a product the catalog does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// It is what prices one unit of the product for the customer at the instant asked about
    /// (absent when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wins: Option<bool>,
}

/// Why an offer's scope leaves a customer out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum OutOfScope<'a> {
    NotInGroup { group: &'a str },
    OtherCustomer { customer: &'a str },
    OtherCollectionPoint { collection_point: &'a str },
}

impl fmt::Display for OutOfScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutOfScope::NotInGroup { group } => write!(f, "customer not in group {group}"),
            OutOfScope::OtherCustomer { customer } => write!(f, "offer for customer {customer}"),
            OutOfScope::OtherCollectionPoint { collection_point } => {
                write!(f, "offer for collection point {collection_point}")
            }
        }
    }
}

/// Serializes a present reason with its message.
fn with_message<S: Serializer, T: Serialize + fmt::Display>(
    reason: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match reason {
        Some(reason) => WithMessage(reason).serialize(serializer),
        None => serializer.serialize_none(),
    }
}

/// An offer a customer may filter the shop on ("Offre commerciale"): `show_to_customer`, in the
/// customer's scope, live.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerOfferSummary<'a> {
    pub offer: &'a str,
    pub title: &'a str,
    #[serde(rename = "type")]
    pub kind: OfferType,
    pub scope: ScopeRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Day>,
}
