//! The cart request (`remise.cart/1`) and the batch price request: who buys, where, when, and what.
//! The customer context fields (`customer`, `channel`, `at`, `display`) are the same in both.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::rules::Display;

/// The format tag a cart file carries.
pub const CART_FORMAT: &str = "remise.cart/1";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub collection_point: Option<String>,
    /// Orders the customer placed before this one, for `conditions.history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<u32>,
    /// What the customer spent in those orders (display mode), for `conditions.history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent: Option<Decimal>,
}

/// A cart to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cart {
    #[serde(default = "cart_format")]
    pub format: String,
    #[serde(default)]
    pub customer: Customer,
    /// Sales channel (`web`, `kiosk`, `b2b`, …).
    #[serde(default)]
    pub channel: Option<String>,
    /// The instant of the sale (RFC 3339 with an offset). Required: the engine never reads a clock.
    pub at: String,
    /// Overrides the display mode the customer's groups give.
    #[serde(default)]
    pub display: Option<Display>,
    #[serde(default)]
    pub lines: Vec<CartLine>,
    /// Codes the customer entered, with what the caller knows of them.
    #[serde(default)]
    pub codes: Vec<PresentedCode>,
    /// Shipping methods the shop offers for this cart, with their prices.
    #[serde(default)]
    pub shipping_options: Vec<ShippingOption>,
    /// The method the customer chose, if any; its price counts in the totals.
    #[serde(default)]
    pub shipping_method: Option<String>,
    /// Usage so far of promotions with limits or a budget, by promotion id.
    #[serde(default)]
    pub usage: BTreeMap<String, PromotionUsage>,
    /// Under the priority strategy, also search what the best-for-customer strategy would save
    /// (`best_for_customer` in the quote). It costs a search: meant for the back office's cart
    /// simulator and `remise eval --explain`, not for every storefront call.
    #[serde(default)]
    pub compare_strategies: bool,
    /// Vouchers the customer holds (gift cards, "bons d'achat"), as the store found them for the
    /// codes presented. They pay for merchandise after every promotion, in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vouchers: Vec<Voucher>,
}

fn cart_format() -> String {
    CART_FORMAT.to_owned()
}

/// A cart line. Facts given inline override the stored product's; a sku unknown to the catalog must
/// come with at least its `price`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    /// The caller's line id, echoed in the quote; defaults to the line's position (from 1).
    #[serde(default)]
    pub id: Option<String>,
    pub sku: String,
    /// Units, from 1 to [`crate::limits::MAX_UNITS`] (the cart's lines together). Any integer is
    /// read, so that a negative or too large quantity is refused by the engine with the same error
    /// as a zero one, rather than as a malformed request.
    #[serde(deserialize_with = "any_integer")]
    pub quantity: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub tax_rate: Option<Decimal>,
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// The product's cost, minimum price and "was" price, as in the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_at_price: Option<Decimal>,
}

impl Cart {
    /// A cart of `lines` at instant `at` (RFC 3339), every other field at its default.
    pub fn new(at: impl Into<String>, lines: Vec<CartLine>) -> Cart {
        Cart {
            format: cart_format(),
            customer: Customer::default(),
            channel: None,
            at: at.into(),
            display: None,
            lines,
            codes: Vec::new(),
            shipping_options: Vec::new(),
            shipping_method: None,
            usage: BTreeMap::new(),
            compare_strategies: false,
            vouchers: Vec::new(),
        }
    }
}

impl CartLine {
    /// `quantity` units of a catalog product, with no inline facts.
    pub fn new(sku: impl Into<String>, quantity: u32) -> CartLine {
        CartLine {
            id: None,
            sku: sku.into(),
            quantity: i64::from(quantity),
            name: None,
            price: None,
            tax_rate: None,
            segments: None,
            brand: None,
            attributes: None,
            tags: None,
            cost: None,
            min_price: None,
            compare_at_price: None,
        }
    }
}

/// Reads any JSON integer (up to 128 bits); one beyond an `i64` becomes `i64::MAX` or `i64::MIN`,
/// refused as out of range anyway.
fn any_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
            Ok(n)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
            Ok(i64::try_from(n).unwrap_or(i64::MAX))
        }
        fn visit_i128<E: serde::de::Error>(self, n: i128) -> Result<i64, E> {
            Ok(i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX }))
        }
        fn visit_u128<E: serde::de::Error>(self, n: u128) -> Result<i64, E> {
            Ok(i64::try_from(n).unwrap_or(i64::MAX))
        }
    }
    // `any`: with serde_json's arbitrary precision, asking for an i64 fails on larger integers.
    deserializer.deserialize_any(Visitor)
}

/// A code as presented: either a bare string (`"GIARDINO200"`, taken as usable) or an object saying
/// which promotions it unlocks and whether the store found it usable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PresentedCode {
    Plain(String),
    Detailed(CodeDetails),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeDetails {
    pub code: String,
    /// Promotion ids this code unlocks besides those that list it in `conditions.coupon.codes`.
    #[serde(default)]
    pub promotions: Vec<String>,
    #[serde(default = "usable")]
    pub usable: bool,
    /// Why the store refused it (`expired`, `used_up`, …), shown in the explanation.
    #[serde(default)]
    pub reason: Option<String>,
}

fn usable() -> bool {
    true
}

// By hand rather than `untagged`, so that an error inside the object names its field.
impl<'de> Deserialize<'de> for PresentedCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PresentedCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a code string or an object {code, promotions, usable, reason}")
            }
            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<PresentedCode, E> {
                Ok(PresentedCode::Plain(code.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PresentedCode, A::Error> {
                CodeDetails::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PresentedCode::Detailed)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl PresentedCode {
    pub fn code(&self) -> &str {
        match self {
            PresentedCode::Plain(code) => code,
            PresentedCode::Detailed(details) => &details.code,
        }
    }
}

/// A voucher: a fixed amount the customer holds (a gift card, a "bon d'achat"). The store knows
/// which vouchers a code is and passes them here; the engine only spends them on this cart, up to
/// what the eligible lines still cost after every promotion, and reports what is left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voucher {
    /// The code as presented; unique in the cart (compared like coupon codes).
    pub code: String,
    /// What the voucher is worth, more than zero, read in the customer's display mode like the
    /// fixed amounts of offers (tax included for gross customers, excluded for net ones).
    pub amount: Decimal,
    /// With `selections`, the products it pays for; both empty: any purchase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    /// Catalog selections (ids) whose products it pays for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selections: Vec<String>,
}

impl Voucher {
    /// A voucher of `amount` on any purchase.
    pub fn new(code: impl Into<String>, amount: Decimal) -> Voucher {
        Voucher {
            code: code.into(),
            amount,
            skus: Vec::new(),
            selections: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    pub method: String,
    /// Tax-included or not as `store.prices_include_tax` says.
    pub price: Decimal,
    #[serde(default)]
    pub tax_rate: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionUsage {
    /// Times the promotion was used, by anyone.
    #[serde(default)]
    pub uses: u32,
    /// Times this customer used it.
    #[serde(default)]
    pub customer_uses: u32,
    /// Discount granted so far, counted against `limits.budget`.
    #[serde(default)]
    pub granted: Decimal,
}

/// A batch of products to price in one customer context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRequest {
    #[serde(default)]
    pub customer: Customer,
    /// Sales channel (`web`, `kiosk`, `b2b`, …).
    #[serde(default)]
    pub channel: Option<String>,
    /// The instant of the sale (RFC 3339 with an offset). Required: the engine never reads a clock.
    pub at: String,
    /// Overrides the display mode the customer's groups give.
    #[serde(default)]
    pub display: Option<Display>,
    pub skus: Vec<String>,
}
