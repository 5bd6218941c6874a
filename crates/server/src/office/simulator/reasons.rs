//! The engine's explanations in the page's language: why a promotion did not apply (one message
//! per kind of [`Reason`], its values in the locale's amounts and dates), what a refused code's
//! store reason means, and the nudges a shop can show.
//!
//! The match on [`Reason`] has no catch-all arm: a new kind of reason does not compile until it
//! has its message (and the tests below check that every message exists in both languages).

use std::collections::HashMap;

use fluent_bundle::{FluentArgs, FluentValue};
use remise_engine::quote::{LocalTime, Nudge, NudgeKind, Reason};
use remise_engine::rules::TierBasis;
use rust_decimal::Decimal;

use crate::office::i18n::{self, Lang};

/// What a reason's values need to be written: the language, the currency, and the names of the
/// promotions a reason may name.
pub struct Speaker<'a> {
    pub lang: Lang,
    pub currency: &'a str,
    pub scale: u32,
    /// Promotion id → name.
    pub names: &'a HashMap<&'a str, &'a str>,
}

/// One message argument: a text, or a count (which plural forms follow).
enum Arg {
    Text(String),
    Count(u32),
}

impl Speaker<'_> {
    fn say(&self, key: &str, args: Vec<(&'static str, Arg)>) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(text) => fluent.set(name, FluentValue::from(text)),
                Arg::Count(count) => fluent.set(name, FluentValue::from(count)),
            }
        }
        i18n::message(self.lang, key, Some(&fluent))
    }

    fn t(&self, key: &str) -> String {
        i18n::message(self.lang, key, None)
    }

    fn money(&self, amount: Decimal) -> Arg {
        Arg::Text(i18n::money(self.lang, amount, self.currency, self.scale))
    }

    fn when(&self, at: &LocalTime) -> Arg {
        Arg::Text(i18n::instant(self.lang, at.0.timestamp(), at.0.time_zone()))
    }

    /// `names` joined with the language's "or".
    fn either<T: AsRef<str>>(&self, names: &[T]) -> String {
        let or = self.t("simulator-or");
        names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(&format!(" {or} "))
    }

    fn list<T: AsRef<str>>(&self, items: &[T]) -> Arg {
        if items.is_empty() {
            return Arg::Text(self.t("simulator-none"));
        }
        Arg::Text(
            items
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
        )
    }

    fn optional(&self, value: Option<&str>) -> Arg {
        Arg::Text(value.map_or_else(|| self.t("simulator-none"), str::to_owned))
    }

    /// Promotions by name (their id when the quote does not name them).
    fn promotions(&self, ids: &[&str]) -> Arg {
        let names: Vec<&str> = ids
            .iter()
            .map(|id| self.names.get(id).copied().unwrap_or(id))
            .collect();
        self.list(&names)
    }

    fn weekday(&self, name: &str) -> String {
        self.t(&format!("simulator-weekday-{name}"))
    }

    /// A reason's sentence. `basis` is the promotion's tier basis, for `TierNotReached` (spend is
    /// an amount, quantity a number of units).
    pub fn reason(&self, reason: &Reason<'_>, basis: Option<TierBasis>) -> String {
        use Arg::{Count, Text};
        match reason {
            Reason::NotStarted { starts_at, now } => self.say(
                "simulator-reason-not-started",
                vec![("starts", self.when(starts_at)), ("now", self.when(now))],
            ),
            Reason::Ended { ends_at, now } => self.say(
                "simulator-reason-ended",
                vec![("ends", self.when(ends_at)), ("now", self.when(now))],
            ),
            Reason::WrongWeekday { weekday, allowed } => {
                let days: Vec<String> = allowed.names().map(|d| self.weekday(d)).collect();
                self.say(
                    "simulator-reason-wrong-weekday",
                    vec![
                        ("weekday", Text(self.weekday(weekday))),
                        ("allowed", self.list(&days)),
                    ],
                )
            }
            Reason::OutsideWindow { time, windows } => {
                let windows: Vec<String> = windows
                    .0
                    .iter()
                    .map(|&(from, to)| {
                        format!(
                            "{}–{}",
                            remise_engine::quote::TimeOfDay(from),
                            remise_engine::quote::TimeOfDay(to)
                        )
                    })
                    .collect();
                self.say(
                    "simulator-reason-outside-window",
                    vec![
                        ("time", Text(time.to_string())),
                        ("windows", self.list(&windows)),
                    ],
                )
            }
            Reason::ChannelNotAllowed { channel, allowed } => self.say(
                "simulator-reason-channel-not-allowed",
                vec![
                    ("channel", self.optional(*channel)),
                    ("allowed", self.list(allowed)),
                ],
            ),
            Reason::NotInAudience { customer, groups } => self.say(
                "simulator-reason-not-in-audience",
                vec![
                    ("customer", self.optional(*customer)),
                    ("groups", self.list(groups)),
                ],
            ),
            Reason::CouponNotPresented { codes: [] } => {
                self.t("simulator-reason-no-coupon-presented")
            }
            Reason::CouponNotPresented { codes } => self.say(
                "simulator-reason-coupon-not-presented",
                vec![("codes", Text(self.either(codes)))],
            ),
            Reason::CouponNotUsable { coupon, why } => match why {
                Some(why) => self.say(
                    "simulator-reason-coupon-not-usable-because",
                    vec![
                        ("code", Text((*coupon).to_owned())),
                        ("why", Text(self.refusal(why))),
                    ],
                ),
                None => self.say(
                    "simulator-reason-coupon-not-usable",
                    vec![("code", Text((*coupon).to_owned()))],
                ),
            },
            Reason::ShippingMethodNotAllowed { method, allowed } => self.say(
                "simulator-reason-shipping-method-not-allowed",
                vec![
                    ("method", self.optional(*method)),
                    ("allowed", self.list(allowed)),
                ],
            ),
            Reason::UsageLimitReached { uses, limit } => self.say(
                "simulator-reason-usage-limit-reached",
                vec![("uses", Count(*uses)), ("limit", Count(*limit))],
            ),
            Reason::CustomerUsageLimitReached { uses, limit } => self.say(
                "simulator-reason-customer-usage-limit-reached",
                vec![("uses", Count(*uses)), ("limit", Count(*limit))],
            ),
            Reason::BudgetExhausted { granted, budget } => self.say(
                "simulator-reason-budget-exhausted",
                vec![
                    ("granted", self.money(*granted)),
                    ("budget", self.money(*budget)),
                ],
            ),
            Reason::MinQuantity { quantity, required } => self.say(
                "simulator-reason-min-quantity",
                vec![
                    ("quantity", Count(*quantity)),
                    ("required", Count(*required)),
                ],
            ),
            Reason::MinDistinctProducts { distinct, required } => self.say(
                "simulator-reason-min-distinct-products",
                vec![
                    ("distinct", Count(*distinct)),
                    ("required", Count(*required)),
                ],
            ),
            Reason::CartAmountBelowMinimum { amount, minimum } => self.say(
                "simulator-reason-cart-amount-below-minimum",
                vec![
                    ("amount", self.money(*amount)),
                    ("minimum", self.money(*minimum)),
                ],
            ),
            Reason::CartAmountAboveMaximum { amount, maximum } => self.say(
                "simulator-reason-cart-amount-above-maximum",
                vec![
                    ("amount", self.money(*amount)),
                    ("maximum", self.money(*maximum)),
                ],
            ),
            Reason::TierNotReached {
                value,
                threshold,
                inclusive,
            } => {
                let (value, threshold) = match basis {
                    Some(TierBasis::Quantity) => (
                        Text(value.normalize().to_string()),
                        Text(threshold.normalize().to_string()),
                    ),
                    Some(TierBasis::Spend) | None => (self.money(*value), self.money(*threshold)),
                };
                // Reached `from` a threshold (≥): below it is `<`; `over` it (>): `≤` misses.
                let operator = if *inclusive { "<" } else { "≤" };
                self.say(
                    "simulator-reason-tier-not-reached",
                    vec![
                        ("value", value),
                        ("operator", Text(operator.to_owned())),
                        ("threshold", threshold),
                    ],
                )
            }
            Reason::NoShippingMethod { methods: [] } => {
                self.t("simulator-reason-no-shipping-option")
            }
            Reason::NoShippingMethod { methods } => self.say(
                "simulator-reason-no-shipping-option-among",
                vec![("methods", self.list(methods))],
            ),
            Reason::NoTargetedItems => self.t("simulator-reason-no-targeted-items"),
            Reason::ExclusiveConflict { promotions } => self.say(
                "simulator-reason-exclusive-conflict",
                vec![("promotions", self.promotions(promotions))],
            ),
            Reason::BlockedBy { promotions } => self.say(
                "simulator-reason-blocked-by",
                vec![("promotions", self.promotions(promotions))],
            ),
            Reason::MultiBuyNotReached {
                triggers,
                rewards,
                buy,
                get,
            } => self.say(
                "simulator-reason-multi-buy-not-reached",
                vec![
                    ("buy", Count(*buy)),
                    ("get", Count(*get)),
                    ("triggers", Count(*triggers)),
                    ("rewards", Count(*rewards)),
                ],
            ),
            Reason::LeftOut => self.t("simulator-reason-left-out"),
            Reason::BundleIncomplete { slot } => self.say(
                "simulator-reason-bundle-incomplete",
                vec![(
                    "slot",
                    Count(u32::try_from(*slot).unwrap_or(u32::MAX).saturating_add(1)),
                )],
            ),
            Reason::NothingToDiscount => self.t("simulator-reason-nothing-to-discount"),
            Reason::LineQuantityBelowMinimum { quantity, required } => self.say(
                "simulator-reason-line-quantity-below-minimum",
                vec![
                    ("quantity", Count(*quantity)),
                    ("required", Count(*required)),
                ],
            ),
            Reason::CartContentsNotMet {
                condition,
                quantity,
                min_quantity,
                amount,
                min_amount,
            } => {
                let mut details = vec![if quantity < min_quantity {
                    self.say(
                        "simulator-reason-cart-contents-units-short",
                        vec![
                            ("quantity", Count(*quantity)),
                            ("required", Count(*min_quantity)),
                        ],
                    )
                } else {
                    self.say(
                        "simulator-reason-cart-contents-units",
                        vec![("quantity", Count(*quantity))],
                    )
                }];
                if let Some(minimum) = min_amount.filter(|m| amount < m) {
                    details.push(self.say(
                        "simulator-reason-cart-contents-amount-short",
                        vec![
                            ("amount", self.money(*amount)),
                            ("minimum", self.money(minimum)),
                        ],
                    ));
                }
                self.say(
                    "simulator-reason-cart-contents-not-met",
                    vec![
                        (
                            "condition",
                            Count(
                                u32::try_from(*condition)
                                    .unwrap_or(u32::MAX)
                                    .saturating_add(1),
                            ),
                        ),
                        ("details", Text(details.join(", "))),
                    ],
                )
            }
            Reason::HistoryUnknown => self.t("simulator-reason-history-unknown"),
            Reason::AlreadyDiscounted => self.t("simulator-reason-already-discounted"),
            Reason::OrdersOutOfRange { orders, min, max } => {
                let orders = ("orders", Count(*orders));
                match (min, max) {
                    (Some(min), Some(max)) if min == max => self.say(
                        "simulator-reason-orders-exactly",
                        vec![orders, ("required", Count(*min))],
                    ),
                    (Some(min), Some(max)) => self.say(
                        "simulator-reason-orders-between",
                        vec![orders, ("min", Count(*min)), ("max", Count(*max))],
                    ),
                    (Some(min), None) => self.say(
                        "simulator-reason-orders-at-least",
                        vec![orders, ("min", Count(*min))],
                    ),
                    (None, Some(max)) => self.say(
                        "simulator-reason-orders-at-most",
                        vec![orders, ("max", Count(*max))],
                    ),
                    (None, None) => self.say("simulator-reason-orders", vec![orders]),
                }
            }
            Reason::SpentBelowMinimum { spent, minimum } => self.say(
                "simulator-reason-spent-below-minimum",
                vec![
                    ("spent", self.money(*spent)),
                    ("minimum", self.money(*minimum)),
                ],
            ),
            Reason::OnOfferPrices => self.t("simulator-reason-on-offer-prices"),
        }
    }

    /// Why the store refused a code (`Refusal`'s names), in words; an unknown name as it is.
    pub fn refusal(&self, why: &str) -> String {
        match why {
            "unknown"
            | "disabled"
            | "not_yet_valid"
            | "expired"
            | "used_up"
            | "customer_limit_reached"
            | "promotion_limit_reached"
            | "not_for_customer"
            | "amount_too_large" => self.t(&format!("simulator-refusal-{}", why.replace('_', "-"))),
            other => other.to_owned(),
        }
    }

    /// A nudge's sentence: what is missing, for which promotion.
    pub fn nudge(&self, nudge: &Nudge<'_>) -> String {
        let name = ("name", Arg::Text(nudge.name.to_owned()));
        let message = match nudge.kind {
            NudgeKind::SpendMore => self.say(
                "simulator-nudge-spend-more",
                vec![("missing", self.money(nudge.missing)), name],
            ),
            NudgeKind::AddUnits | NudgeKind::AddProducts => {
                let key = if nudge.kind == NudgeKind::AddUnits {
                    "simulator-nudge-add-units"
                } else {
                    "simulator-nudge-add-products"
                };
                // Units are whole numbers; a fraction (never made by the engine) reads as text.
                let units = nudge.missing.normalize();
                let count = (units.scale() == 0)
                    .then(|| u32::try_from(units.mantissa()).ok())
                    .flatten();
                let missing = match count {
                    Some(count) => Arg::Count(count),
                    None => Arg::Text(units.to_string()),
                };
                self.say(key, vec![("missing", missing), name])
            }
        };
        if nudge.next_tier {
            format!("{message} {}", self.t("simulator-nudge-next-tier"))
        } else {
            message
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use jiff::tz::TimeZone;
    use remise_engine::quote::{TimeOfDay, Weekdays, Windows};
    use rust_decimal_macros::dec;

    use super::*;

    /// Which kind of reason this is: no catch-all arm, so a new kind fails to compile here until
    /// a sample of it is added to [`samples`] (and its message to `reason` above).
    fn kind(reason: &Reason<'_>) -> usize {
        match reason {
            Reason::NotStarted { .. } => 0,
            Reason::Ended { .. } => 1,
            Reason::WrongWeekday { .. } => 2,
            Reason::OutsideWindow { .. } => 3,
            Reason::ChannelNotAllowed { .. } => 4,
            Reason::NotInAudience { .. } => 5,
            Reason::CouponNotPresented { .. } => 6,
            Reason::CouponNotUsable { .. } => 7,
            Reason::ShippingMethodNotAllowed { .. } => 8,
            Reason::UsageLimitReached { .. } => 9,
            Reason::CustomerUsageLimitReached { .. } => 10,
            Reason::BudgetExhausted { .. } => 11,
            Reason::MinQuantity { .. } => 12,
            Reason::MinDistinctProducts { .. } => 13,
            Reason::CartAmountBelowMinimum { .. } => 14,
            Reason::CartAmountAboveMaximum { .. } => 15,
            Reason::TierNotReached { .. } => 16,
            Reason::NoShippingMethod { .. } => 17,
            Reason::NoTargetedItems => 18,
            Reason::ExclusiveConflict { .. } => 19,
            Reason::BlockedBy { .. } => 20,
            Reason::MultiBuyNotReached { .. } => 21,
            Reason::LeftOut => 22,
            Reason::BundleIncomplete { .. } => 23,
            Reason::NothingToDiscount => 24,
            Reason::LineQuantityBelowMinimum { .. } => 25,
            Reason::CartContentsNotMet { .. } => 26,
            Reason::HistoryUnknown => 27,
            Reason::AlreadyDiscounted => 28,
            Reason::OrdersOutOfRange { .. } => 29,
            Reason::SpentBelowMinimum { .. } => 30,
            Reason::OnOfferPrices => 31,
        }
    }
    const KINDS: usize = 32;

    fn local(text: &str) -> LocalTime {
        let zone = TimeZone::get("Europe/Paris").unwrap();
        LocalTime(text.parse::<jiff::Timestamp>().unwrap().to_zoned(zone))
    }

    /// One reason of every kind (several where the message has variants), with the words each
    /// message must hold in French and in English.
    fn samples<'a>(
        allowed: &'a [Box<str>],
        groups: &'a [String],
        windows: &'a [(u32, u32)],
    ) -> Vec<(Reason<'a>, Vec<&'static str>, Vec<&'static str>)> {
        vec![
            (
                Reason::NotStarted {
                    starts_at: local("2026-12-01T09:00:00Z"),
                    now: local("2026-11-30T13:30:00Z"),
                },
                vec!["1 déc. 2026 10:00", "30 nov. 2026 14:30"],
                vec!["1 Dec 2026 10:00", "30 Nov 2026 14:30"],
            ),
            (
                Reason::Ended {
                    ends_at: local("2026-12-01T09:00:00Z"),
                    now: local("2026-12-02T09:00:00Z"),
                },
                vec!["terminée le 1 déc. 2026 10:00"],
                vec!["ended 1 Dec 2026 10:00"],
            ),
            (
                Reason::WrongWeekday {
                    weekday: "monday",
                    allowed: Weekdays(0b0011_0000),
                },
                vec!["lundi", "vendredi, samedi"],
                vec!["Monday", "Friday, Saturday"],
            ),
            (
                Reason::OutsideWindow {
                    time: TimeOfDay(17 * 3600),
                    windows: Windows(windows),
                },
                vec!["17:00", "18:00–20:00"],
                vec!["17:00", "18:00–20:00"],
            ),
            (
                Reason::ChannelNotAllowed {
                    channel: None,
                    allowed,
                },
                vec!["canal aucun", "web, kiosk"],
                vec!["channel none", "web, kiosk"],
            ),
            (
                Reason::NotInAudience {
                    customer: Some("C-1"),
                    groups,
                },
                vec!["client C-1", "pro"],
                vec!["customer C-1", "pro"],
            ),
            (
                Reason::CouponNotPresented { codes: &[] },
                vec!["aucun code"],
                vec!["no code"],
            ),
            (
                Reason::CouponNotPresented { codes: allowed },
                vec!["code web ou kiosk non saisi"],
                vec!["code web or kiosk not entered"],
            ),
            (
                Reason::CouponNotUsable {
                    coupon: "MARVEL10",
                    why: Some("used_up"),
                },
                vec!["MARVEL10", "épuisé"],
                vec!["MARVEL10", "used up"],
            ),
            (
                Reason::CouponNotUsable {
                    coupon: "MARVEL10",
                    why: None,
                },
                vec!["code MARVEL10 inutilisable"],
                vec!["code MARVEL10 not usable"],
            ),
            (
                Reason::ShippingMethodNotAllowed {
                    method: Some("express"),
                    allowed,
                },
                vec!["express", "web, kiosk"],
                vec!["express", "web, kiosk"],
            ),
            (
                Reason::UsageLimitReached {
                    uses: 5000,
                    limit: 5000,
                },
                vec!["5000 fois sur 5000"],
                vec!["used 5000 of 5000"],
            ),
            (
                Reason::CustomerUsageLimitReached { uses: 1, limit: 1 },
                vec!["ce client"],
                vec!["this customer"],
            ),
            (
                Reason::BudgetExhausted {
                    granted: dec!(1000),
                    budget: dec!(1000),
                },
                vec!["1\u{202f}000,00\u{a0}€"],
                vec!["€1,000.00"],
            ),
            (
                Reason::MinQuantity {
                    quantity: 1,
                    required: 2,
                },
                vec!["quantité 1 < 2"],
                vec!["quantity 1 < 2"],
            ),
            (
                Reason::MinDistinctProducts {
                    distinct: 1,
                    required: 3,
                },
                vec!["1 produits différents < 3"],
                vec!["1 different products < 3"],
            ),
            (
                Reason::CartAmountBelowMinimum {
                    amount: dec!(87.5),
                    minimum: dec!(100),
                },
                vec!["montant du panier 87,50\u{a0}€ < 100,00\u{a0}€"],
                vec!["cart amount €87.50 < €100.00"],
            ),
            (
                Reason::CartAmountAboveMaximum {
                    amount: dec!(250),
                    maximum: dec!(200),
                },
                vec!["250,00\u{a0}€ > 200,00\u{a0}€"],
                vec!["€250.00 > €200.00"],
            ),
            (
                Reason::TierNotReached {
                    value: dec!(87.5),
                    threshold: dec!(100),
                    inclusive: true,
                },
                vec!["87,50\u{a0}€ < premier palier 100,00\u{a0}€"],
                vec!["€87.50 < first tier €100.00"],
            ),
            (
                Reason::NoShippingMethod { methods: &[] },
                vec!["aucune option de livraison dans le panier"],
                vec!["no shipping option in the cart"],
            ),
            (
                Reason::NoShippingMethod { methods: allowed },
                vec!["parmi web, kiosk"],
                vec!["among web, kiosk"],
            ),
            (
                Reason::NoTargetedItems,
                vec!["aucun produit visé"],
                vec!["no targeted product"],
            ),
            (
                Reason::ExclusiveConflict {
                    promotions: vec!["p1", "unnamed"],
                },
                vec!["Promo un, unnamed"],
                vec!["Promo un, unnamed"],
            ),
            (
                Reason::BlockedBy {
                    promotions: vec!["p1"],
                },
                vec!["bloqués par Promo un"],
                vec!["closed by Promo un"],
            ),
            (
                Reason::MultiBuyNotReached {
                    triggers: 1,
                    rewards: 0,
                    buy: 2,
                    get: 1,
                },
                vec!["2 achetés, 1 offerts", "1 article peut déclencher"],
                vec!["buy 2 get 1", "1 unit can trigger"],
            ),
            (Reason::LeftOut, vec!["écartée"], vec!["left out"]),
            (
                Reason::BundleIncomplete { slot: 1 },
                vec!["élément 2 du lot"],
                vec!["item 2 of the bundle"],
            ),
            (
                Reason::NothingToDiscount,
                vec!["plus rien à remiser"],
                vec!["nothing left to discount"],
            ),
            (
                Reason::LineQuantityBelowMinimum {
                    quantity: 2,
                    required: 3,
                },
                vec!["2 articles < 3"],
                vec!["2 units < 3"],
            ),
            (
                Reason::CartContentsNotMet {
                    condition: 0,
                    quantity: 1,
                    min_quantity: 2,
                    amount: dec!(10),
                    min_amount: Some(dec!(20)),
                },
                vec![
                    "condition 1",
                    "1 article < 2",
                    "montant 10,00\u{a0}€ < 20,00\u{a0}€",
                ],
                vec!["condition 1", "1 unit < 2", "amount €10.00 < €20.00"],
            ),
            (
                Reason::HistoryUnknown,
                vec!["commandes passées du client"],
                vec!["past orders"],
            ),
            (
                Reason::AlreadyDiscounted,
                vec!["déjà une remise"],
                vec!["already discounted"],
            ),
            (
                Reason::OrdersOutOfRange {
                    orders: 3,
                    min: None,
                    max: Some(0),
                },
                vec!["3 commandes passées, il en faut au plus 0"],
                vec!["3 orders placed before, at most 0 needed"],
            ),
            (
                Reason::OrdersOutOfRange {
                    orders: 0,
                    min: Some(1),
                    max: Some(1),
                },
                vec!["exactement 1"],
                vec!["exactly 1"],
            ),
            (
                Reason::SpentBelowMinimum {
                    spent: dec!(12),
                    minimum: dec!(50),
                },
                vec!["12,00\u{a0}€ < 50,00\u{a0}€"],
                vec!["€12.00 < €50.00"],
            ),
            (
                Reason::OnOfferPrices,
                vec!["prix d'offre professionnelle"],
                vec!["professional offer price"],
            ),
        ]
    }

    #[test]
    fn every_reason_has_its_message_in_both_languages() {
        let allowed: Vec<Box<str>> = vec!["web".into(), "kiosk".into()];
        let groups = vec!["pro".to_owned()];
        let windows = [(18 * 3600, 20 * 3600)];
        let names = HashMap::from([("p1", "Promo un")]);
        let samples = samples(&allowed, &groups, &windows);
        let kinds: BTreeSet<usize> = samples.iter().map(|(r, _, _)| kind(r)).collect();
        assert_eq!(
            kinds,
            (0..KINDS).collect(),
            "a kind of reason has no sample"
        );
        for (reason, french, english) in &samples {
            for (lang, words) in [(Lang::Fr, french), (Lang::En, english)] {
                let speaker = Speaker {
                    lang,
                    currency: "EUR",
                    scale: 2,
                    names: &names,
                };
                let message = speaker.reason(reason, None);
                // A missing message shows its key.
                assert!(
                    !message.contains("simulator-"),
                    "{lang:?} {reason:?}: {message}"
                );
                for word in words {
                    assert!(
                        message.contains(word),
                        "{lang:?} {reason:?}: `{message}` lacks `{word}`"
                    );
                }
            }
        }
    }

    #[test]
    fn a_quantity_tier_counts_units() {
        let names = HashMap::new();
        let speaker = Speaker {
            lang: Lang::Fr,
            currency: "EUR",
            scale: 2,
            names: &names,
        };
        let reason = Reason::TierNotReached {
            value: dec!(2),
            threshold: dec!(3),
            inclusive: false,
        };
        assert_eq!(
            speaker.reason(&reason, Some(TierBasis::Quantity)),
            "2 ≤ premier palier 3"
        );
    }

    #[test]
    fn nudges_in_both_languages() {
        let names = HashMap::new();
        let nudge = |kind, missing, next_tier| Nudge {
            promotion: "p",
            name: "Livraison offerte",
            kind,
            missing,
            next_tier,
            currency: "EUR",
        };
        let say = |lang, nudge: &Nudge<'_>| {
            Speaker {
                lang,
                currency: "EUR",
                scale: 2,
                names: &names,
            }
            .nudge(nudge)
        };
        let spend = nudge(NudgeKind::SpendMore, dec!(12.5), false);
        assert_eq!(
            say(Lang::Fr, &spend),
            "Plus que 12,50\u{a0}€ pour « Livraison offerte »"
        );
        assert_eq!(
            say(Lang::En, &spend),
            "€12.50 more for \"Livraison offerte\""
        );
        let one = nudge(NudgeKind::AddUnits, dec!(1), true);
        assert_eq!(
            say(Lang::Fr, &one),
            "Encore 1 article pour « Livraison offerte » (palier suivant)"
        );
        let two = nudge(NudgeKind::AddProducts, dec!(2), false);
        assert_eq!(
            say(Lang::En, &two),
            "2 more different products for \"Livraison offerte\""
        );
    }

    #[test]
    fn refusals_are_translated_and_unknown_ones_kept() {
        let names = HashMap::new();
        let speaker = Speaker {
            lang: Lang::Fr,
            currency: "EUR",
            scale: 2,
            names: &names,
        };
        for why in [
            "unknown",
            "disabled",
            "not_yet_valid",
            "expired",
            "used_up",
            "customer_limit_reached",
            "promotion_limit_reached",
            "not_for_customer",
            "amount_too_large",
        ] {
            assert!(!speaker.refusal(why).contains("simulator-"), "{why}");
        }
        assert_eq!(speaker.refusal("something_new"), "something_new");
    }
}
