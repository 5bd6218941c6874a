//! The engine's reasons (why a promotion did not apply, with the values compared) in the page's
//! language: one message per kind of reason (`products-reason-…`), amounts in the locale's money
//! format and instants in the store's time zone.

use jiff::tz::TimeZone;
use remise_engine::quote::{Reason, TimeOfDay};
use rust_decimal::Decimal;

use crate::office::i18n::{self, Lang};
use crate::office::page::Page;

/// What writing a reason needs besides the reason.
pub struct ReasonFormat<'a> {
    pub page: &'a Page,
    pub currency: &'a str,
    pub scale: u32,
    pub zone: &'a TimeZone,
    /// Tiers of the promotion count units, not money.
    pub quantity_tiers: bool,
    /// A promotion's name from its id.
    pub name_of: &'a dyn Fn(&str) -> String,
}

impl ReasonFormat<'_> {
    fn lang(&self) -> Lang {
        self.page.lang
    }

    fn money(&self, amount: Decimal) -> String {
        i18n::money(self.lang(), amount, self.currency, self.scale)
    }

    fn message(&self, key: &str, args: &[(&str, String)]) -> String {
        i18n::message(self.lang(), key, Some(&i18n::args(args)))
    }

    fn weekday(&self, name: &str) -> String {
        self.page.t(&format!("products-weekday-{name}"))
    }

    /// The reason, written out.
    pub fn explain(&self, reason: &Reason<'_>) -> String {
        let page = self.page;
        let list = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
        let instant = |t: &remise_engine::quote::LocalTime| {
            i18n::instant(self.lang(), t.0.timestamp(), self.zone)
        };
        let count = |n: u32| n.to_string();
        match reason {
            Reason::NotStarted { starts_at, now } => self.message(
                "products-reason-not-started",
                &[("starts", instant(starts_at)), ("now", instant(now))],
            ),
            Reason::Ended { ends_at, now } => self.message(
                "products-reason-ended",
                &[("ends", instant(ends_at)), ("now", instant(now))],
            ),
            Reason::WrongWeekday { weekday, allowed } => self.message(
                "products-reason-wrong-weekday",
                &[
                    ("weekday", self.weekday(weekday)),
                    (
                        "allowed",
                        list(&mut allowed.names().map(|d| self.weekday(d))),
                    ),
                ],
            ),
            Reason::OutsideWindow { time, windows } => {
                self.message(
                    "products-reason-outside-window",
                    &[
                        ("time", time.to_string()),
                        (
                            "windows",
                            list(&mut windows.0.iter().map(|&(from, to)| {
                                format!("{}–{}", TimeOfDay(from), TimeOfDay(to))
                            })),
                        ),
                    ],
                )
            }
            Reason::ChannelNotAllowed { channel, allowed } => self.message(
                "products-reason-channel-not-allowed",
                &[
                    (
                        "channel",
                        channel.map_or_else(|| page.t("products-reason-no-channel"), str::to_owned),
                    ),
                    ("allowed", list(&mut allowed.iter().map(|c| c.to_string()))),
                ],
            ),
            Reason::NotInAudience { customer, groups } => self.message(
                "products-reason-not-in-audience",
                &[
                    (
                        "customer",
                        customer.map_or_else(|| page.t("products-reason-anonymous"), str::to_owned),
                    ),
                    (
                        "groups",
                        if groups.is_empty() {
                            page.t("products-reason-no-groups")
                        } else {
                            groups.join(", ")
                        },
                    ),
                ],
            ),
            Reason::CouponNotPresented { codes: [] } => {
                page.t("products-reason-coupon-not-presented-any")
            }
            Reason::CouponNotPresented { codes } => self.message(
                "products-reason-coupon-not-presented",
                &[("codes", list(&mut codes.iter().map(|c| c.to_string())))],
            ),
            Reason::CouponNotUsable { coupon, why } => self.message(
                "products-reason-coupon-not-usable",
                &[
                    ("coupon", (*coupon).to_owned()),
                    ("why", why.unwrap_or("—").to_owned()),
                ],
            ),
            Reason::ShippingMethodNotAllowed { method, allowed } => self.message(
                "products-reason-shipping-method-not-allowed",
                &[
                    (
                        "method",
                        method.map_or_else(|| page.t("products-reason-no-method"), str::to_owned),
                    ),
                    ("allowed", list(&mut allowed.iter().map(|c| c.to_string()))),
                ],
            ),
            Reason::UsageLimitReached { uses, limit } => self.message(
                "products-reason-usage-limit",
                &[("uses", count(*uses)), ("limit", count(*limit))],
            ),
            Reason::CustomerUsageLimitReached { uses, limit } => self.message(
                "products-reason-customer-usage-limit",
                &[("uses", count(*uses)), ("limit", count(*limit))],
            ),
            Reason::BudgetExhausted { granted, budget } => self.message(
                "products-reason-budget",
                &[
                    ("granted", self.money(*granted)),
                    ("budget", self.money(*budget)),
                ],
            ),
            Reason::MinQuantity { quantity, required } => self.message(
                "products-reason-min-quantity",
                &[
                    ("quantity", count(*quantity)),
                    ("required", count(*required)),
                ],
            ),
            Reason::MinDistinctProducts { distinct, required } => self.message(
                "products-reason-min-distinct",
                &[
                    ("distinct", count(*distinct)),
                    ("required", count(*required)),
                ],
            ),
            Reason::CartAmountBelowMinimum { amount, minimum } => self.message(
                "products-reason-cart-below",
                &[
                    ("amount", self.money(*amount)),
                    ("minimum", self.money(*minimum)),
                ],
            ),
            Reason::CartAmountAboveMaximum { amount, maximum } => self.message(
                "products-reason-cart-above",
                &[
                    ("amount", self.money(*amount)),
                    ("maximum", self.money(*maximum)),
                ],
            ),
            Reason::TierNotReached {
                value,
                threshold,
                inclusive,
            } => {
                let shown = |v: Decimal| {
                    if self.quantity_tiers {
                        v.normalize().to_string()
                    } else {
                        self.money(v)
                    }
                };
                let key = if *inclusive {
                    "products-reason-tier-from"
                } else {
                    "products-reason-tier-over"
                };
                self.message(
                    key,
                    &[("value", shown(*value)), ("threshold", shown(*threshold))],
                )
            }
            Reason::NoShippingMethod { methods: [] } => page.t("products-reason-no-shipping"),
            Reason::NoShippingMethod { methods } => self.message(
                "products-reason-no-shipping-among",
                &[("methods", list(&mut methods.iter().map(|m| m.to_string())))],
            ),
            Reason::NoTargetedItems => page.t("products-reason-no-targeted-items"),
            Reason::ExclusiveConflict { promotions } => self.message(
                "products-reason-exclusive-conflict",
                &[(
                    "promotions",
                    list(&mut promotions.iter().map(|id| (self.name_of)(id))),
                )],
            ),
            Reason::BlockedBy { promotions } => self.message(
                "products-reason-blocked-by",
                &[(
                    "promotions",
                    list(&mut promotions.iter().map(|id| (self.name_of)(id))),
                )],
            ),
            Reason::MultiBuyNotReached {
                triggers,
                rewards,
                buy,
                get,
            } => self.message(
                "products-reason-multi-buy",
                &[
                    ("buy", count(*buy)),
                    ("get", count(*get)),
                    ("triggers", count(*triggers)),
                    ("rewards", count(*rewards)),
                ],
            ),
            Reason::LeftOut => page.t("products-reason-left-out"),
            Reason::BundleIncomplete { slot } => page.t1(
                "products-reason-bundle-incomplete",
                "slot",
                slot.saturating_add(1),
            ),
            Reason::NothingToDiscount => page.t("products-reason-nothing-to-discount"),
            Reason::LineQuantityBelowMinimum { quantity, required } => self.message(
                "products-reason-line-quantity",
                &[
                    ("quantity", count(*quantity)),
                    ("required", count(*required)),
                ],
            ),
            Reason::CartContentsNotMet {
                condition,
                quantity,
                min_quantity,
                amount,
                min_amount,
            } => {
                let mut text = self.message(
                    "products-reason-cart-contents",
                    &[
                        ("condition", condition.saturating_add(1).to_string()),
                        ("quantity", count(*quantity)),
                        ("required", count(*min_quantity)),
                    ],
                );
                if let Some(min) = min_amount.filter(|m| amount < m) {
                    text.push_str(", ");
                    text.push_str(&self.message(
                        "products-reason-cart-contents-amount",
                        &[
                            ("amount", self.money(*amount)),
                            ("minimum", self.money(min)),
                        ],
                    ));
                }
                text
            }
            Reason::HistoryUnknown => page.t("products-reason-history-unknown"),
            Reason::AlreadyDiscounted => page.t("products-reason-already-discounted"),
            Reason::OrdersOutOfRange { orders, min, max } => {
                let needs = match (min, max) {
                    (Some(min), Some(max)) if min == max => {
                        page.t1("products-reason-orders-exactly", "count", min)
                    }
                    (Some(min), Some(max)) => {
                        page.t2("products-reason-orders-between", "min", min, "max", max)
                    }
                    (Some(min), None) => page.t1("products-reason-orders-at-least", "count", min),
                    (None, Some(max)) => page.t1("products-reason-orders-at-most", "count", max),
                    (None, None) => String::new(),
                };
                self.message(
                    "products-reason-orders",
                    &[("orders", count(*orders)), ("needs", needs)],
                )
            }
            Reason::SpentBelowMinimum { spent, minimum } => self.message(
                "products-reason-spent-below",
                &[
                    ("spent", self.money(*spent)),
                    ("minimum", self.money(*minimum)),
                ],
            ),
            Reason::OnOfferPrices => page.t("products-reason-on-offer-prices"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use remise_engine::quote::{LocalTime, Weekdays, Windows};
    use rust_decimal_macros::dec;

    use super::*;

    fn page(lang: Lang) -> Page {
        Page {
            lang,
            user: None,
            csrf: String::new(),
        }
    }

    fn explain(lang: Lang, reason: &Reason<'_>) -> String {
        let page = page(lang);
        let zone = TimeZone::get("Europe/Paris").unwrap();
        let name_of = |id: &str| format!("«{id}»");
        ReasonFormat {
            page: &page,
            currency: "EUR",
            scale: 2,
            zone: &zone,
            quantity_tiers: false,
            name_of: &name_of,
        }
        .explain(reason)
    }

    /// Every kind of reason has its message in both languages, with the values in the locale's
    /// format: none shows a key or an English word in French.
    #[test]
    fn every_reason_is_written_in_both_languages() {
        let zone = TimeZone::get("Europe/Paris").unwrap();
        let at = |text: &str| {
            LocalTime(
                text.parse::<jiff::Timestamp>()
                    .unwrap()
                    .to_zoned(zone.clone()),
            )
        };
        let channels: Vec<Box<str>> = vec!["web".into(), "kiosk".into()];
        let groups = vec!["pro".to_owned()];
        let windows = [(18 * 3600, 20 * 3600)];
        let reasons = vec![
            Reason::NotStarted {
                starts_at: at("2026-12-24T23:00:00Z"),
                now: at("2026-12-05T13:30:00Z"),
            },
            Reason::Ended {
                ends_at: at("2026-12-01T00:00:00Z"),
                now: at("2026-12-05T13:30:00Z"),
            },
            Reason::WrongWeekday {
                weekday: "saturday",
                allowed: Weekdays(0b11),
            },
            Reason::OutsideWindow {
                time: TimeOfDay(14 * 3600),
                windows: Windows(&windows),
            },
            Reason::ChannelNotAllowed {
                channel: None,
                allowed: &channels,
            },
            Reason::NotInAudience {
                customer: None,
                groups: &groups,
            },
            Reason::CouponNotPresented { codes: &[] },
            Reason::CouponNotPresented { codes: &channels },
            Reason::CouponNotUsable {
                coupon: "X",
                why: Some("expired"),
            },
            Reason::ShippingMethodNotAllowed {
                method: None,
                allowed: &channels,
            },
            Reason::UsageLimitReached { uses: 5, limit: 5 },
            Reason::CustomerUsageLimitReached { uses: 1, limit: 1 },
            Reason::BudgetExhausted {
                granted: dec!(1000),
                budget: dec!(1000),
            },
            Reason::MinQuantity {
                quantity: 1,
                required: 2,
            },
            Reason::MinDistinctProducts {
                distinct: 1,
                required: 3,
            },
            Reason::CartAmountBelowMinimum {
                amount: dec!(87.5),
                minimum: dec!(100),
            },
            Reason::CartAmountAboveMaximum {
                amount: dec!(120),
                maximum: dec!(100),
            },
            Reason::TierNotReached {
                value: dec!(20),
                threshold: dec!(100),
                inclusive: true,
            },
            Reason::TierNotReached {
                value: dec!(20),
                threshold: dec!(100),
                inclusive: false,
            },
            Reason::NoShippingMethod { methods: &[] },
            Reason::NoShippingMethod { methods: &channels },
            Reason::NoTargetedItems,
            Reason::ExclusiveConflict {
                promotions: vec!["a"],
            },
            Reason::BlockedBy {
                promotions: vec!["a", "b"],
            },
            Reason::MultiBuyNotReached {
                triggers: 1,
                rewards: 0,
                buy: 2,
                get: 1,
            },
            Reason::LeftOut,
            Reason::BundleIncomplete { slot: 0 },
            Reason::NothingToDiscount,
            Reason::LineQuantityBelowMinimum {
                quantity: 1,
                required: 3,
            },
            Reason::CartContentsNotMet {
                condition: 0,
                quantity: 1,
                min_quantity: 2,
                amount: dec!(10),
                min_amount: Some(dec!(20)),
            },
            Reason::HistoryUnknown,
            Reason::AlreadyDiscounted,
            Reason::OrdersOutOfRange {
                orders: 3,
                min: None,
                max: Some(0),
            },
            Reason::OrdersOutOfRange {
                orders: 3,
                min: Some(5),
                max: Some(9),
            },
            Reason::SpentBelowMinimum {
                spent: dec!(10),
                minimum: dec!(500),
            },
            Reason::OnOfferPrices,
        ];
        for reason in &reasons {
            for lang in Lang::ALL {
                let text = explain(lang, reason);
                assert!(
                    !text.contains("products-"),
                    "{reason:?} in {lang:?}: {text}"
                );
                assert!(!text.is_empty(), "{reason:?}");
            }
        }
        let below = Reason::CartAmountBelowMinimum {
            amount: dec!(87.5),
            minimum: dec!(100),
        };
        assert_eq!(
            explain(Lang::Fr, &below),
            "montant du panier 87,50\u{a0}€ < 100,00\u{a0}€"
        );
        assert_eq!(explain(Lang::En, &below), "cart amount €87.50 < €100.00");
        assert_eq!(
            explain(Lang::Fr, &reasons[0]),
            "commence le 25 déc. 2026 00:00, nous sommes le 5 déc. 2026 14:30"
        );
        assert_eq!(
            explain(Lang::Fr, &reasons[2]),
            "samedi n'est pas parmi lundi, mardi"
        );
        assert_eq!(explain(Lang::En, &reasons[23]), "items closed by «a», «b»");
    }
}
