//! What evaluation returns (`remise.quote/1`) and catalog pricing (`ProductPrice`): plain data that
//! explains itself. Every amount is an exact decimal at the currency's minor unit, serialized as a
//! string; amounts without a `net`/`tax`/`gross` breakdown are in the customer's display mode.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::rules::{Display, Strategy};

/// The format tag of a quote.
pub const QUOTE_FORMAT: &str = "remise.quote/1";

/// An amount split into its tax-excluded part, its tax and the tax-included whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Taxed {
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

impl std::ops::AddAssign for Taxed {
    fn add_assign(&mut self, other: Taxed) {
        self.net += other.net;
        self.tax += other.tax;
        self.gross += other.gross;
    }
}

/// The priced cart, with every promotion considered and why it applied or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub format: &'static str,
    pub currency: String,
    pub display: Display,
    pub strategy: Strategy,
    pub lines: Vec<QuoteLine>,
    pub shipping: Vec<ShippingQuote>,
    pub gifts: Vec<Gift>,
    pub parcel_inserts: Vec<ParcelInsert>,
    pub totals: Totals,
    /// Every promotion that concerned the cart, in the order they were considered.
    pub promotions: Vec<PromotionOutcome>,
    /// Every code presented, with the promotions it unlocked here: a usable code that unlocked
    /// nothing is one the shop can report as not applicable to this cart.
    pub codes: Vec<CodeOutcome>,
    pub nudges: Vec<Nudge>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteLine {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub tax_rate: Decimal,
    /// Where the base price comes from: `list` (a later B2B step adds contract prices).
    pub price_source: PriceSource,
    /// The base unit price, before any promotion.
    pub reference_unit_price: Decimal,
    /// The unit price the catalog shows (base with the best catalog promotion).
    pub catalog_unit_price: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_promotion: Option<String>,
    /// Base unit price × quantity, rounded once.
    pub subtotal: Decimal,
    pub discounts: Vec<LineDiscount>,
    /// Sum of `discounts`.
    pub discount: Decimal,
    /// `subtotal − discount`.
    pub amount: Decimal,
    pub total: Taxed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    List,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineDiscount {
    pub promotion: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShippingQuote {
    pub method: String,
    /// The method the cart chose; only its amount counts in the totals.
    pub selected: bool,
    pub price: Decimal,
    pub discounts: Vec<LineDiscount>,
    pub amount: Decimal,
    pub total: Taxed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gift {
    pub promotion: String,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// What the gift would cost (display mode); the customer pays nothing for it.
    pub value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParcelInsert {
    pub promotion: String,
    pub item: String,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Merchandise at base prices.
    pub subtotal: Decimal,
    /// Merchandise at catalog prices: what cart-amount conditions measure.
    pub catalog_subtotal: Decimal,
    /// All merchandise discounts.
    pub discount: Decimal,
    pub merchandise: Taxed,
    /// The chosen shipping method after its discounts (zero when none is chosen).
    pub shipping: Taxed,
    pub shipping_discount: Decimal,
    pub grand: Taxed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromotionOutcome {
    pub id: String,
    pub name: String,
    pub priority: i32,
    pub status: Status,
    /// Discount it granted in this cart (merchandise and shipping).
    pub discount: Decimal,
    /// Ids of the lines it discounted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// Shipping methods it discounted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shipping_methods: Vec<String>,
    /// Why it did not apply, or applied without effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Explained>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeOutcome {
    /// As presented.
    pub code: String,
    pub usable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Promotions that applied thanks to this code.
    pub promotions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Applied,
    /// Every condition held but nothing was left to discount.
    NotEffective,
    Rejected,
}

/// A reason with its human sentence next to its machine fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    #[serde(flatten)]
    pub reason: Reason,
    pub message: String,
}

impl From<Reason> for Explained {
    fn from(reason: Reason) -> Self {
        Explained {
            message: reason.to_string(),
            reason,
        }
    }
}

/// Why a promotion did not apply (or had no effect), with the values compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    NotStarted {
        starts_at: String,
        now: String,
    },
    Ended {
        ends_at: String,
        now: String,
    },
    WrongWeekday {
        weekday: String,
        allowed: Vec<String>,
    },
    OutsideWindow {
        time: String,
        windows: Vec<String>,
    },
    ChannelNotAllowed {
        channel: Option<String>,
        allowed: Vec<String>,
    },
    NotInAudience {
        customer: Option<String>,
        groups: Vec<String>,
    },
    CouponNotPresented {
        codes: Vec<String>,
    },
    CouponNotUsable {
        coupon: String,
        why: Option<String>,
    },
    ShippingMethodNotAllowed {
        method: Option<String>,
        allowed: Vec<String>,
    },
    UsageLimitReached {
        uses: u32,
        limit: u32,
    },
    CustomerUsageLimitReached {
        uses: u32,
        limit: u32,
    },
    BudgetExhausted {
        granted: Decimal,
        budget: Decimal,
    },
    MinQuantity {
        quantity: u32,
        required: u32,
    },
    MinDistinctProducts {
        distinct: u32,
        required: u32,
    },
    CartAmountBelowMinimum {
        amount: Decimal,
        minimum: Decimal,
    },
    CartAmountAboveMaximum {
        amount: Decimal,
        maximum: Decimal,
    },
    TierNotReached {
        value: Decimal,
        threshold: Decimal,
        inclusive: bool,
    },
    NoShippingMethod {
        methods: Vec<String>,
    },
    /// Nothing in the cart is among the promotion's targets.
    NoTargetedItems,
    /// An exclusive promotion met items that other promotions had discounted.
    ExclusiveConflict {
        promotions: Vec<String>,
    },
    /// A stop-further or exclusive promotion had closed every targeted item.
    BlockedBy {
        promotions: Vec<String>,
    },
    NothingToDiscount,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotStarted { starts_at, now } => write!(f, "starts {starts_at}, now {now}"),
            Reason::Ended { ends_at, now } => write!(f, "ended {ends_at}, now {now}"),
            Reason::WrongWeekday { weekday, allowed } => {
                write!(f, "{weekday} not in {}", allowed.join(", "))
            }
            Reason::OutsideWindow { time, windows } => {
                write!(f, "{time} outside {}", windows.join(", "))
            }
            Reason::ChannelNotAllowed { channel, allowed } => write!(
                f,
                "channel {} not in {}",
                channel.as_deref().unwrap_or("(none)"),
                allowed.join(", ")
            ),
            Reason::NotInAudience { customer, groups } => write!(
                f,
                "customer {} (groups: {}) not in the audience",
                customer.as_deref().unwrap_or("(anonymous)"),
                if groups.is_empty() {
                    "none".to_owned()
                } else {
                    groups.join(", ")
                }
            ),
            Reason::CouponNotPresented { codes } => {
                if codes.is_empty() {
                    write!(f, "no code for this promotion presented")
                } else {
                    write!(f, "code {} not presented", codes.join(" or "))
                }
            }
            Reason::CouponNotUsable { coupon, why } => match why {
                Some(why) => write!(f, "code {coupon} not usable: {why}"),
                None => write!(f, "code {coupon} not usable"),
            },
            Reason::ShippingMethodNotAllowed { method, allowed } => write!(
                f,
                "shipping method {} not in {}",
                method.as_deref().unwrap_or("(none chosen)"),
                allowed.join(", ")
            ),
            Reason::UsageLimitReached { uses, limit } => {
                write!(f, "used {uses} of {limit} allowed uses")
            }
            Reason::CustomerUsageLimitReached { uses, limit } => {
                write!(f, "customer used {uses} of {limit} allowed uses")
            }
            Reason::BudgetExhausted { granted, budget } => {
                write!(f, "budget used up: {granted} of {budget} granted")
            }
            Reason::MinQuantity { quantity, required } => {
                write!(f, "quantity {quantity} < {required}")
            }
            Reason::MinDistinctProducts { distinct, required } => {
                write!(f, "distinct products {distinct} < {required}")
            }
            Reason::CartAmountBelowMinimum { amount, minimum } => {
                write!(f, "cart amount {amount} < {minimum}")
            }
            Reason::CartAmountAboveMaximum { amount, maximum } => {
                write!(f, "cart amount {amount} > {maximum}")
            }
            Reason::TierNotReached {
                value,
                threshold,
                inclusive,
            } => {
                let op = if *inclusive { "<" } else { "≤" };
                write!(f, "{value} {op} first tier {threshold}")
            }
            Reason::NoShippingMethod { methods } => {
                if methods.is_empty() {
                    write!(f, "no shipping option in the cart")
                } else {
                    write!(f, "no shipping option among {}", methods.join(", "))
                }
            }
            Reason::NoTargetedItems => write!(f, "no targeted item in the cart"),
            Reason::ExclusiveConflict { promotions } => write!(
                f,
                "exclusive, but items already discounted by {}",
                promotions.join(", ")
            ),
            Reason::BlockedBy { promotions } => {
                write!(f, "items closed by {}", promotions.join(", "))
            }
            Reason::NothingToDiscount => write!(f, "nothing left to discount"),
        }
    }
}

/// Something the shop can tell the customer to unlock a promotion ("12.50 more for free shipping").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nudge {
    pub promotion: String,
    pub kind: NudgeKind,
    /// Amount (display mode) or number of units still missing.
    pub missing: Decimal,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NudgeKind {
    SpendMore,
    AddUnits,
    AddProducts,
}

/// The price the catalog shows for one product in one customer context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductPrice {
    pub sku: String,
    pub currency: &'static str,
    pub display: Display,
    pub price_source: PriceSource,
    /// Base unit price (display mode), the strike-through price when a promotion applies.
    pub reference_price: Decimal,
    /// Unit price with the catalog promotion (display mode).
    pub price: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<String>,
}
