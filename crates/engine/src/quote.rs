//! What evaluation returns (`remise.quote/1`) and catalog pricing (`ProductPrice`): plain data that
//! explains itself. Every amount is an exact decimal at the currency's minor unit, serialized as a
//! string; amounts without a `net`/`tax`/`gross` breakdown are in the customer's display mode.
//!
//! A quote borrows its names and ids from the snapshot and the request it was computed from
//! (`'a`), so that explaining thousands of promotions costs no allocation; reason messages are
//! written only when the quote is displayed or serialized.

use std::borrow::Cow;
use std::fmt;

use jiff::Zoned;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::b2b::{AppliedOffer, OfferCandidate};
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
pub struct Quote<'a> {
    pub format: &'static str,
    pub currency: &'static str,
    pub display: Display,
    pub strategy: Strategy,
    pub lines: Vec<QuoteLine<'a>>,
    pub shipping: Vec<ShippingQuote<'a>>,
    pub gifts: Vec<Gift<'a>>,
    pub parcel_inserts: Vec<ParcelInsert<'a>>,
    pub totals: Totals,
    /// Every promotion that concerned the cart, in the order they were considered.
    pub promotions: Vec<PromotionOutcome<'a>>,
    /// Every code presented, with the promotions it unlocked here: a usable code that unlocked
    /// nothing is one the shop can report as not applicable to this cart.
    pub codes: Vec<CodeOutcome<'a>>,
    /// Every voucher of the cart, in cart order, with what it paid here. Absent when the cart has
    /// none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vouchers: Vec<VoucherOutcome<'a>>,
    pub nudges: Vec<Nudge<'a>>,
    /// What the best-for-customer choice gives next to the priority order. Under the priority
    /// strategy, present only when the cart asked (`compare_strategies`) and the comparison took
    /// at most 256 search steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_for_customer: Option<Optimization<'a>>,
}

impl Quote<'_> {
    /// Forgets the codes that promotions list in their reasons (`coupon_not_presented`): a shop
    /// that shows reasons to its customers must not hand out its codes. The reason stays, saying
    /// a code is needed.
    pub fn hide_codes(&mut self) {
        for outcome in &mut self.promotions {
            if let Some(Explained(Reason::CouponNotPresented { codes })) = &mut outcome.reason {
                *codes = &[];
            }
        }
    }
}

/// The best-for-customer search: what it found and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optimization<'a> {
    /// Grand total with every promotion in priority order.
    pub priority_total: Decimal,
    /// Grand total of the best plan.
    pub best_total: Decimal,
    /// `priority_total − best_total`: what the best choice saves the customer.
    pub saving: Decimal,
    /// Every plan was evaluated; false when a local search ran instead.
    pub exact: bool,
    /// Promotions whose presence was a choice (the others can only lower the total).
    pub choices: u32,
    pub plans_evaluated: u32,
    /// Promotions the best plan leaves out.
    pub left_out: Vec<&'a str>,
    /// Multi-unit promotions the best plan applies fewer times than they could.
    pub limited: Vec<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteLine<'a> {
    pub id: Cow<'a, str>,
    pub sku: &'a str,
    pub name: &'a str,
    pub quantity: u32,
    pub tax_rate: Decimal,
    /// Where the base price comes from: `list`, or `offer` (a B2B contract price, in `offer`).
    pub price_source: PriceSource,
    /// The B2B offer whose discount is the line's base unit price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<AppliedOffer<'a>>,
    /// The customer's other discounts that reached the line, and why each lost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offer_candidates: Vec<OfferCandidate<'a>>,
    /// The reference (strike-through) unit price: the compare-at price when it is above the
    /// list price, else the list unit price (also under a B2B offer price).
    pub reference_unit_price: Decimal,
    /// The unit price the catalog shows (base with the best catalog promotion).
    pub catalog_unit_price: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_promotion: Option<&'a str>,
    /// Base unit price × quantity, rounded once.
    pub subtotal: Decimal,
    pub discounts: Vec<LineDiscount<'a>>,
    /// Sum of `discounts`.
    pub discount: Decimal,
    /// What vouchers paid of the line, in cart order; absent when none did. Vouchers are not
    /// discounts: they count in neither `discount` nor `totals.discount`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vouchers: Vec<LineVoucher<'a>>,
    /// `subtotal − discount − vouchers`.
    pub amount: Decimal,
    pub total: Taxed,
}

/// What one voucher paid of a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineVoucher<'a> {
    /// The voucher's code, as in the cart.
    pub code: &'a str,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    List,
    /// A B2B offer's contract price.
    Offer,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineDiscount<'a> {
    pub promotion: &'a str,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShippingQuote<'a> {
    pub method: &'a str,
    /// The method the cart chose; only its amount counts in the totals.
    pub selected: bool,
    pub price: Decimal,
    pub discounts: Vec<LineDiscount<'a>>,
    pub amount: Decimal,
    pub total: Taxed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gift<'a> {
    pub promotion: &'a str,
    pub sku: &'a str,
    pub name: &'a str,
    pub quantity: u32,
    /// What the gift would cost (display mode); the customer pays nothing for it.
    pub value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParcelInsert<'a> {
    pub promotion: &'a str,
    pub item: &'a str,
    pub description: &'a str,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Merchandise at base prices.
    pub subtotal: Decimal,
    /// Merchandise at catalog prices: what cart-amount conditions measure.
    pub catalog_subtotal: Decimal,
    /// All merchandise discounts (promotions; vouchers are apart).
    pub discount: Decimal,
    /// What the vouchers paid, in all (merchandise only). Present when the cart has vouchers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vouchers: Option<Decimal>,
    /// Merchandise after promotions and vouchers.
    pub merchandise: Taxed,
    /// The chosen shipping method after its discounts (zero when none is chosen).
    pub shipping: Taxed,
    pub shipping_discount: Decimal,
    pub grand: Taxed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromotionOutcome<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub priority: i32,
    pub status: Status,
    /// Discount it granted in this cart (merchandise and shipping).
    pub discount: Decimal,
    /// Ids of the lines it discounted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Cow<'a, str>>,
    /// Shipping methods it discounted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shipping_methods: Vec<&'a str>,
    /// Why it did not apply, or applied without effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Explained<'a>>,
    /// For buy-X-get-Y and bundles: the units each application used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<Application<'a>>,
    /// What it could not give because items reached their floor (minimum price or cost) and no
    /// other item of it could take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_to_floors: Option<Decimal>,
}

/// One application of a multi-unit offer (or several alike, `times`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application<'a> {
    /// Buy X get Y: the units bought that triggered it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<LineUnits<'a>>,
    /// Buy X get Y: the units it rewarded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewards: Vec<LineUnits<'a>>,
    /// Bundle: the units that formed it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<LineUnits<'a>>,
    /// How many applications in a row were alike (the same units of the same lines), listed
    /// once: absent when 1.
    #[serde(skip_serializing_if = "is_one")]
    pub times: u32,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// Some units of a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineUnits<'a> {
    pub line: Cow<'a, str>,
    pub units: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeOutcome<'a> {
    /// As presented.
    pub code: &'a str,
    pub usable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// Promotions that applied thanks to this code.
    pub promotions: Vec<&'a str>,
}

/// A voucher of the cart and what it paid in this cart, so that the store can update its balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoucherOutcome<'a> {
    /// As in the cart.
    pub code: &'a str,
    /// What the cart said it is worth.
    pub amount: Decimal,
    /// What it paid here: at most `amount`, at most what its lines still cost after promotions
    /// and earlier vouchers; zero when no line is eligible.
    pub granted: Decimal,
    /// `amount − granted`.
    pub remaining: Decimal,
    /// The lines it paid for, with the part each got; empty when it granted nothing.
    pub lines: Vec<LineAmount<'a>>,
}

/// An amount on one line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineAmount<'a> {
    pub line: Cow<'a, str>,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Applied,
    /// Every condition held but nothing was left to discount.
    NotEffective,
    Rejected,
}

/// A reason, serialized with its human sentence (`message`) next to its machine fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained<'a>(pub Reason<'a>);

impl<'a> From<Reason<'a>> for Explained<'a> {
    fn from(reason: Reason<'a>) -> Self {
        Explained(reason)
    }
}

impl Serialize for Explained<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithMessage<'r, 'a> {
            #[serde(flatten)]
            reason: &'r Reason<'a>,
            message: Displayed<'r, Reason<'a>>,
        }
        WithMessage {
            reason: &self.0,
            message: Displayed(&self.0),
        }
        .serialize(serializer)
    }
}

/// Serializes a value as the string its `Display` writes, without building the string first.
struct Displayed<'r, T>(&'r T);

impl<T: fmt::Display> Serialize for Displayed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// A store-local date and time, shown as `2026-12-01 00:00 CET`.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalTime(pub Zoned);

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%d %H:%M %Z"))
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A set of weekdays (bit 0 = Monday), shown as their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

pub(crate) const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl Weekdays {
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        (0..7)
            .filter(move |d| self.0 == 0 || self.0 & (1 << d) != 0)
            .map(|d| WEEKDAY_NAMES[d])
    }
}

impl Serialize for Weekdays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

/// Intraday windows in seconds of the day, shown as `18:00–20:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows<'a>(pub &'a [(u32, u32)]);

/// A second of the day, shown as `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay(pub u32);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 / 60 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct Window((u32, u32));

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = self.0;
        write!(f, "{}–{}", TimeOfDay(from), TimeOfDay(to))
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Windows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|&w| Window(w)))
    }
}

/// Why a promotion did not apply (or had no effect), with the values compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason<'a> {
    NotStarted {
        starts_at: LocalTime,
        now: LocalTime,
    },
    Ended {
        ends_at: LocalTime,
        now: LocalTime,
    },
    WrongWeekday {
        weekday: &'static str,
        allowed: Weekdays,
    },
    OutsideWindow {
        time: TimeOfDay,
        windows: Windows<'a>,
    },
    ChannelNotAllowed {
        channel: Option<&'a str>,
        allowed: &'a [Box<str>],
    },
    NotInAudience {
        customer: Option<&'a str>,
        groups: &'a [String],
    },
    CouponNotPresented {
        codes: &'a [Box<str>],
    },
    CouponNotUsable {
        coupon: &'a str,
        why: Option<&'a str>,
    },
    ShippingMethodNotAllowed {
        method: Option<&'a str>,
        allowed: &'a [Box<str>],
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
        methods: &'a [Box<str>],
    },
    /// Nothing in the cart is among the promotion's targets.
    NoTargetedItems,
    /// An exclusive promotion met items that other promotions had discounted.
    ExclusiveConflict {
        promotions: Vec<&'a str>,
    },
    /// A stop-further or exclusive promotion had closed every targeted item.
    BlockedBy {
        promotions: Vec<&'a str>,
    },
    /// Not enough units for one application of a buy X get Y.
    MultiBuyNotReached {
        triggers: u32,
        rewards: u32,
        buy: u32,
        get: u32,
    },
    /// Best for customer: the cart costs less without it.
    LeftOut,
    /// A slot of the bundle (its index in `slots`) found no unit left.
    BundleIncomplete {
        slot: usize,
    },
    NothingToDiscount,
    /// No targeted line holds enough units (`quantity` is the largest one's).
    LineQuantityBelowMinimum {
        quantity: u32,
        required: u32,
    },
    /// The cart does not hold what `conditions.cart_contains[condition]` asks for.
    CartContentsNotMet {
        condition: usize,
        quantity: u32,
        min_quantity: u32,
        amount: Decimal,
        #[serde(skip_serializing_if = "Option::is_none")]
        min_amount: Option<Decimal>,
    },
    /// The cart's customer does not say how many orders it placed (or how much it spent).
    HistoryUnknown,
    /// Every targeted item was already discounted (`skip_discounted`).
    AlreadyDiscounted,
    /// The customer placed `orders` orders before this one, outside the bounds.
    OrdersOutOfRange {
        orders: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    SpentBelowMinimum {
        spent: Decimal,
        minimum: Decimal,
    },
    /// Every targeted item has a B2B offer price, and the store applies no promotion on offer
    /// prices (`promotions_on_offer_prices: false`).
    OnOfferPrices,
}

/// Writes `items` separated by `separator`.
fn join<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    separator: &str,
) -> fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotStarted { starts_at, now } => write!(f, "starts {starts_at}, now {now}"),
            Reason::Ended { ends_at, now } => write!(f, "ended {ends_at}, now {now}"),
            Reason::WrongWeekday { weekday, allowed } => {
                write!(f, "{weekday} not in ")?;
                join(f, allowed.names(), ", ")
            }
            Reason::OutsideWindow { time, windows } => {
                write!(f, "{time} outside ")?;
                join(f, windows.0.iter().map(|&w| Window(w)), ", ")
            }
            Reason::ChannelNotAllowed { channel, allowed } => {
                write!(f, "channel {} not in ", channel.unwrap_or("(none)"))?;
                join(f, allowed.iter(), ", ")
            }
            Reason::NotInAudience { customer, groups } => {
                write!(
                    f,
                    "customer {} (groups: ",
                    customer.unwrap_or("(anonymous)")
                )?;
                if groups.is_empty() {
                    f.write_str("none")?;
                } else {
                    join(f, groups.iter(), ", ")?;
                }
                f.write_str(") not in the audience")
            }
            Reason::CouponNotPresented { codes } => {
                if codes.is_empty() {
                    write!(f, "no code for this promotion presented")
                } else {
                    f.write_str("code ")?;
                    join(f, codes.iter(), " or ")?;
                    f.write_str(" not presented")
                }
            }
            Reason::CouponNotUsable { coupon, why } => match why {
                Some(why) => write!(f, "code {coupon} not usable: {why}"),
                None => write!(f, "code {coupon} not usable"),
            },
            Reason::ShippingMethodNotAllowed { method, allowed } => {
                write!(
                    f,
                    "shipping method {} not in ",
                    method.unwrap_or("(none chosen)")
                )?;
                join(f, allowed.iter(), ", ")
            }
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
                    f.write_str("no shipping option among ")?;
                    join(f, methods.iter(), ", ")
                }
            }
            Reason::NoTargetedItems => write!(f, "no targeted item in the cart"),
            Reason::ExclusiveConflict { promotions } => {
                f.write_str("exclusive, but items already discounted by ")?;
                join(f, promotions, ", ")
            }
            Reason::BlockedBy { promotions } => {
                f.write_str("items closed by ")?;
                join(f, promotions, ", ")
            }
            Reason::MultiBuyNotReached {
                triggers,
                rewards,
                buy,
                get,
            } => {
                let units = if *triggers == 1 { "unit" } else { "units" };
                write!(
                    f,
                    "buy {buy} get {get}: {triggers} {units} can trigger, {rewards} can be rewarded"
                )
            }
            Reason::BundleIncomplete { slot } => {
                write!(
                    f,
                    "not enough units left for slot {} of the bundle",
                    slot + 1
                )
            }
            Reason::LeftOut => write!(f, "left out: the cart costs less without it"),
            Reason::NothingToDiscount => write!(f, "nothing left to discount"),
            Reason::LineQuantityBelowMinimum { quantity, required } => {
                write!(f, "largest targeted line has {quantity} units < {required}")
            }
            Reason::CartContentsNotMet {
                condition,
                quantity,
                min_quantity,
                amount,
                min_amount,
            } => {
                write!(f, "cart_contains[{condition}]: {quantity} units")?;
                if quantity < min_quantity {
                    write!(f, " < {min_quantity}")?;
                }
                if let Some(min) = min_amount.filter(|m| amount < m) {
                    write!(f, ", amount {amount} < {min}")?;
                }
                Ok(())
            }
            Reason::AlreadyDiscounted => {
                write!(f, "every targeted item is already discounted")
            }
            Reason::HistoryUnknown => {
                write!(
                    f,
                    "the customer's past orders are not known (customer.orders)"
                )
            }
            Reason::OrdersOutOfRange { orders, min, max } => {
                write!(f, "{orders} orders before this one, ")?;
                match (min, max) {
                    (Some(min), Some(max)) if min == max => write!(f, "needs exactly {min}"),
                    (Some(min), Some(max)) => write!(f, "needs {min} to {max}"),
                    (Some(min), None) => write!(f, "needs at least {min}"),
                    (None, Some(max)) => write!(f, "needs at most {max}"),
                    (None, None) => Ok(()),
                }
            }
            Reason::SpentBelowMinimum { spent, minimum } => {
                write!(f, "spent {spent} < {minimum}")
            }
            Reason::OnOfferPrices => write!(
                f,
                "every targeted item has a B2B offer price, on which no promotion applies"
            ),
        }
    }
}

/// Something the shop can tell the customer to unlock a promotion ("12.50 more for free shipping").
/// Serialized with its `message`.
#[derive(Debug, Clone, PartialEq)]
pub struct Nudge<'a> {
    pub promotion: &'a str,
    /// The promotion's name, which the message ends with.
    pub name: &'a str,
    pub kind: NudgeKind,
    /// Amount (display mode) or number of units still missing.
    pub missing: Decimal,
    /// Towards a better tier of a promotion that already applies.
    pub next_tier: bool,
    pub currency: &'static str,
}

impl fmt::Display for Nudge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.missing == Decimal::ONE {
            ""
        } else {
            "s"
        };
        match self.kind {
            NudgeKind::SpendMore => write!(f, "{} {} more", self.missing, self.currency)?,
            NudgeKind::AddUnits => write!(f, "{} more unit{plural}", self.missing)?,
            NudgeKind::AddProducts => write!(f, "{} more different product{plural}", self.missing)?,
        }
        write!(f, " for {}", self.name)?;
        if self.next_tier {
            f.write_str(" (next tier)")?;
        }
        Ok(())
    }
}

impl Serialize for Nudge<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'r, 'a> {
            promotion: &'a str,
            kind: NudgeKind,
            missing: Decimal,
            next_tier: bool,
            message: Displayed<'r, Nudge<'a>>,
        }
        Out {
            promotion: self.promotion,
            kind: self.kind,
            missing: self.missing,
            next_tier: self.next_tier,
            message: Displayed(self),
        }
        .serialize(serializer)
    }
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
pub struct ProductPrice<'a> {
    pub sku: &'a str,
    pub currency: &'static str,
    pub display: Display,
    /// `list`, or `offer` (a B2B contract price, in `offer`).
    pub price_source: PriceSource,
    /// The B2B offer whose discount is the base price, for one unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<AppliedOffer<'a>>,
    /// The customer's other discounts that reached the product, and why each lost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offer_candidates: Vec<OfferCandidate<'a>>,
    /// The strike-through unit price (display mode): the compare-at price when it is above the
    /// list price, else the list price (also under a B2B offer price).
    pub reference_price: Decimal,
    /// Unit price with every catalog promotion that reaches it (display mode): what one unit
    /// costs in a cart with no code, before cart-level promotions.
    pub price: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    /// The catalog promotion shown (badge, strike-through): the one of highest priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<&'a str>,
    /// Every catalog promotion in `price`, in the order they apply.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<&'a str>,
}
