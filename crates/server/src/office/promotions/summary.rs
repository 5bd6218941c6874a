//! A promotion's offer in a few words, for lists ("20 % de remise", "Achetez 2, 1 offert"),
//! and its state (running, scheduled, ended, or waiting for its campaign).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use remise_engine::rules::{BundlePrice, Offer, Promotion, Reward, Rounding};
use rust_decimal::Decimal;

use super::values::show_decimal;
use crate::documents::CampaignStatus;
use crate::model::{Model, parse_instant};
use crate::office::i18n;
use crate::office::page::Page;

/// Amounts in the store's currency for one page.
pub struct Amounts<'a> {
    page: &'a Page,
    currency: String,
    scale: u32,
}

impl<'a> Amounts<'a> {
    pub fn new(page: &'a Page, model: &Model) -> Amounts<'a> {
        let currency = model.settings.currency.clone();
        let scale = remise_engine::money::Money::parse(&currency, Rounding::default())
            .map_or(2, |m| m.scale);
        Amounts {
            page,
            currency,
            scale,
        }
    }

    pub fn money(&self, amount: Decimal) -> String {
        i18n::money(self.page.lang, amount, &self.currency, self.scale)
    }

    fn percent(&self, percent: Decimal) -> String {
        show_decimal(self.page.lang, percent.normalize())
    }

    /// The offer in a few words.
    pub fn offer(&self, offer: &Offer) -> String {
        let page = self.page;
        match offer {
            Offer::PercentOff { percent, .. } => page.t1(
                "promotions-sum-percent-off",
                "percent",
                self.percent(*percent),
            ),
            Offer::AmountOffEach { amount, .. } => page.t1(
                "promotions-sum-amount-off-each",
                "amount",
                self.money(*amount),
            ),
            Offer::AmountOffLine { amount } => page.t1(
                "promotions-sum-amount-off-line",
                "amount",
                self.money(*amount),
            ),
            Offer::AmountOffTotal { amount } => page.t1(
                "promotions-sum-amount-off-total",
                "amount",
                self.money(*amount),
            ),
            Offer::UnitPrice { price, .. } => {
                page.t1("promotions-sum-unit-price", "price", self.money(*price))
            }
            Offer::CartPercentOff { percent, .. } => page.t1(
                "promotions-sum-cart-percent-off",
                "percent",
                self.percent(*percent),
            ),
            Offer::CartAmountOff { amount, .. } => page.t1(
                "promotions-sum-cart-amount-off",
                "amount",
                self.money(*amount),
            ),
            Offer::Tiered { tiers, .. } => page.t1("promotions-sum-tiered", "count", tiers.len()),
            Offer::FreeShipping { .. } => page.t("promotions-sum-free-shipping"),
            Offer::ShippingPercentOff { percent, .. } => page.t1(
                "promotions-sum-shipping-percent-off",
                "percent",
                self.percent(*percent),
            ),
            Offer::ShippingAmountOff { amount, .. } => page.t1(
                "promotions-sum-shipping-amount-off",
                "amount",
                self.money(*amount),
            ),
            Offer::ShippingCappedPrice { price, .. } => page.t1(
                "promotions-sum-shipping-capped-price",
                "price",
                self.money(*price),
            ),
            Offer::Gift { sku, quantity } => {
                page.t2("promotions-sum-gift", "quantity", quantity, "sku", sku)
            }
            Offer::ParcelInsert { item, .. } => {
                page.t1("promotions-sum-parcel-insert", "item", item)
            }
            Offer::BuyXGetY {
                buy, get, reward, ..
            } => {
                let reward = match reward {
                    Reward::Free => page.t("promotions-sum-reward-free"),
                    Reward::PercentOff { percent } => page.t1(
                        "promotions-sum-reward-percent-off",
                        "percent",
                        self.percent(*percent),
                    ),
                    Reward::AmountOff { amount } => page.t1(
                        "promotions-sum-reward-amount-off",
                        "amount",
                        self.money(*amount),
                    ),
                    Reward::UnitPrice { price } => page.t1(
                        "promotions-sum-reward-unit-price",
                        "price",
                        self.money(*price),
                    ),
                };
                format!(
                    "{} {reward}",
                    page.t2("promotions-sum-buy-x-get-y", "buy", buy, "get", get)
                )
            }
            Offer::Bundle { slots, price, .. } => {
                let price = match price {
                    BundlePrice::Price { price } => self.money(*price),
                    BundlePrice::PercentOff { percent } => {
                        format!("-{}\u{a0}%", self.percent(*percent))
                    }
                    BundlePrice::AmountOff { amount } => format!("-{}", self.money(*amount)),
                };
                let units: u32 = slots.iter().map(|s| s.quantity).sum();
                page.t2("promotions-sum-bundle", "units", units, "price", price)
            }
        }
    }
}

/// Where a promotion stands now: the key of its state's name, and whether it is served.
pub fn state(
    model: &Model,
    promotion: &Promotion,
    now: Timestamp,
    zone: &TimeZone,
) -> &'static str {
    if let Some(campaign) = promotion
        .campaign
        .as_ref()
        .and_then(|id| model.campaigns.get(id))
        && campaign.status != CampaignStatus::Active
    {
        return match campaign.status {
            CampaignStatus::Draft => "promotions-state-draft",
            CampaignStatus::Paused => "promotions-state-paused",
            _ => "promotions-state-ended",
        };
    }
    let Some(served) = model.live_promotion(promotion, zone) else {
        return "promotions-state-no-channel";
    };
    let bound = |text: &Option<String>| text.as_deref().and_then(|t| parse_instant(t, zone));
    if bound(&served.validity.ends_at).is_some_and(|end| end <= now) {
        "promotions-state-ended"
    } else if bound(&served.validity.starts_at).is_some_and(|start| start > now) {
        "promotions-state-scheduled"
    } else {
        "promotions-state-running"
    }
}
