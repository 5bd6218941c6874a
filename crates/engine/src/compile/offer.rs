//! Compiling offers: every amount, percentage and count checked with its path.

use rust_decimal::Decimal;

use super::{Compiler, names_products};
use crate::limits::MAX_UNITS;
use crate::money::Money;
use crate::rules;
use crate::snapshot::{
    Bundle, BundlePrice, BuyXGetY, ItemOffer, Offer, ShippingOffer, SkuTable, Tier, UnitLimit,
    UnitReward,
};

impl Compiler<'_> {
    pub(super) fn item_offer(
        &mut self,
        path: &str,
        offer: &rules::Offer,
        money: &Money,
    ) -> Option<ItemOffer> {
        use rules::Offer as O;
        Some(match offer {
            O::PercentOff {
                percent,
                max_units,
                max_units_per_line,
                pick,
            } => ItemOffer::PercentOff(
                self.percent(&format!("{path}.percent"), *percent),
                self.unit_limit(path, *max_units, *max_units_per_line, *pick),
            ),
            O::AmountOffEach {
                amount,
                max_units,
                max_units_per_line,
                pick,
            } => ItemOffer::AmountOffEach(
                self.amount(&format!("{path}.amount"), *amount, money),
                self.unit_limit(path, *max_units, *max_units_per_line, *pick),
            ),
            O::UnitPrice {
                price,
                max_units,
                max_units_per_line,
                pick,
            } => ItemOffer::UnitPrice(
                self.amount(&format!("{path}.price"), *price, money),
                self.unit_limit(path, *max_units, *max_units_per_line, *pick),
            ),
            O::AmountOffLine { amount } => {
                ItemOffer::AmountOffLine(self.amount(&format!("{path}.amount"), *amount, money))
            }
            O::AmountOffTotal { amount } => {
                ItemOffer::AmountOffTotal(self.amount(&format!("{path}.amount"), *amount, money))
            }
            O::CartPercentOff {
                percent,
                include_shipping,
            } => ItemOffer::CartPercentOff(
                self.percent(&format!("{path}.percent"), *percent),
                *include_shipping,
            ),
            O::CartAmountOff {
                amount,
                include_shipping,
            } => ItemOffer::CartAmountOff(
                self.amount(&format!("{path}.amount"), *amount, money),
                *include_shipping,
            ),
            _ => return None,
        })
    }

    pub(super) fn unit_limit(
        &mut self,
        path: &str,
        max_units: Option<u32>,
        per_line: Option<u32>,
        pick: rules::Pick,
    ) -> UnitLimit {
        if max_units == Some(0) {
            self.error(format!("{path}.max_units"), "must be at least 1");
        }
        if per_line == Some(0) {
            self.error(format!("{path}.max_units_per_line"), "must be at least 1");
        }
        UnitLimit {
            max_units,
            per_line,
            cheapest_first: pick == rules::Pick::Cheapest,
        }
    }

    pub(super) fn offer(
        &mut self,
        path: &str,
        offer: &rules::Offer,
        money: &Money,
        skus: &SkuTable,
    ) -> Offer {
        use rules::Offer as O;
        if let Some(item) = self.item_offer(path, offer, money) {
            return Offer::Merchandise(item);
        }
        let methods = |m: &Vec<String>| m.iter().map(|m| m.as_str().into()).collect();
        match offer {
            O::Tiered { basis, tiers } => {
                if tiers.is_empty() {
                    self.error(format!("{path}.tiers"), "must hold at least one tier");
                }
                let mut compiled: Vec<Tier> = Vec::new();
                for (j, tier) in tiers.iter().enumerate() {
                    let tier_path = format!("{path}.tiers[{j}]");
                    let (threshold, inclusive) = match (tier.from, tier.over) {
                        (Some(from), None) => (from, true),
                        (None, Some(over)) => (over, false),
                        _ => {
                            self.error(
                                &*tier_path,
                                "give exactly one of `from` (≥) and `over` (>)",
                            );
                            continue;
                        }
                    };
                    let field = if inclusive { "from" } else { "over" };
                    let threshold = match basis {
                        rules::TierBasis::Spend => {
                            self.amount(&format!("{tier_path}.{field}"), threshold, money)
                        }
                        rules::TierBasis::Quantity => {
                            if threshold.is_sign_negative() || threshold.fract() != Decimal::ZERO {
                                self.error(
                                    format!("{tier_path}.{field}"),
                                    "a quantity threshold is a whole number of units",
                                );
                            }
                            threshold
                        }
                    };
                    let offer_path = format!("{tier_path}.offer");
                    match self.item_offer(&offer_path, &tier.offer, money) {
                        Some(item) => {
                            if let Some(previous) = compiled.last()
                                && (previous.threshold, !previous.inclusive) >= (threshold, !inclusive)
                            {
                                self.error(
                                    format!("{tier_path}.{field}"),
                                    "tiers must be in increasing order of threshold",
                                );
                            }
                            compiled.push(Tier {
                                threshold,
                                inclusive,
                                offer: item,
                            });
                        }
                        None => self.error(
                            format!("{offer_path}.type"),
                            "a tier's offer must be a merchandise offer (percent_off, amount_off_each, amount_off_line, amount_off_total, unit_price, cart_percent_off, cart_amount_off)",
                        ),
                    }
                }
                Offer::Tiered {
                    basis: *basis,
                    tiers: compiled.into_boxed_slice(),
                }
            }
            O::FreeShipping { methods: m } => Offer::Shipping {
                kind: ShippingOffer::Free,
                methods: methods(m),
            },
            O::ShippingPercentOff {
                percent,
                methods: m,
            } => Offer::Shipping {
                kind: ShippingOffer::PercentOff(self.percent(&format!("{path}.percent"), *percent)),
                methods: methods(m),
            },
            O::ShippingAmountOff { amount, methods: m } => Offer::Shipping {
                kind: ShippingOffer::AmountOff(self.amount(
                    &format!("{path}.amount"),
                    *amount,
                    money,
                )),
                methods: methods(m),
            },
            O::ShippingCappedPrice { price, methods: m } => Offer::Shipping {
                kind: ShippingOffer::CappedPrice(self.amount(
                    &format!("{path}.price"),
                    *price,
                    money,
                )),
                methods: methods(m),
            },
            O::Gift { sku, quantity } => {
                if *quantity == 0 {
                    self.error(format!("{path}.quantity"), "must be at least 1");
                }
                if skus.get(sku.as_str()).and_then(|e| e.product).is_none() {
                    self.error(
                        format!("{path}.sku"),
                        format!("`{sku}` is not in the catalog"),
                    );
                }
                Offer::Gift {
                    sku: sku.as_str().into(),
                    quantity: *quantity,
                }
            }
            O::ParcelInsert { item, description } => {
                if item.is_empty() {
                    self.error(format!("{path}.item"), "must not be empty");
                }
                Offer::ParcelInsert {
                    item: item.as_str().into(),
                    description: description.as_str().into(),
                }
            }
            O::BuyXGetY {
                buy,
                get,
                reward_targets,
                reward,
                rewarded,
                max_applications,
                per_line,
                partial_rewards,
            } => {
                for (field, count) in [("buy", *buy), ("get", *get)] {
                    if count == 0 {
                        self.error(format!("{path}.{field}"), "must be at least 1");
                    } else if count > MAX_UNITS {
                        // No cart holds more; `buy + get` must fit a u32 (see `crate::limits`).
                        self.error(
                            format!("{path}.{field}"),
                            format!("must be at most {MAX_UNITS} (got {count})"),
                        );
                    }
                }
                if *max_applications == Some(0) {
                    self.error(format!("{path}.max_applications"), "must be at least 1");
                }
                if *partial_rewards && reward_targets.is_some() {
                    self.error(
                        format!("{path}.partial_rewards"),
                        "needs the rewards among the targets (leave reward_targets out)",
                    );
                }
                let reward_targets = reward_targets
                    .as_ref()
                    .map(|t| self.targets(&format!("{path}.reward_targets"), t, money));
                let reward_path = format!("{path}.reward");
                let reward = match reward {
                    rules::Reward::Free => UnitReward::PercentOff(Decimal::ONE),
                    rules::Reward::PercentOff { percent } => UnitReward::PercentOff(
                        self.percent(&format!("{reward_path}.percent"), *percent),
                    ),
                    rules::Reward::AmountOff { amount } => UnitReward::AmountOff(self.amount(
                        &format!("{reward_path}.amount"),
                        *amount,
                        money,
                    )),
                    rules::Reward::UnitPrice { price } => UnitReward::UnitPrice(self.amount(
                        &format!("{reward_path}.price"),
                        *price,
                        money,
                    )),
                };
                Offer::BuyXGetY(Box::new(BuyXGetY {
                    buy: *buy,
                    get: *get,
                    reward_targets,
                    reward,
                    most_expensive_first: *rewarded == rules::RewardOrder::MostExpensive,
                    max_applications: *max_applications,
                    per_line: *per_line,
                    partial_rewards: *partial_rewards,
                }))
            }
            O::Bundle {
                slots,
                price,
                max_applications,
            } => {
                if slots.is_empty() {
                    self.error(format!("{path}.slots"), "must hold at least one slot");
                }
                if *max_applications == Some(0) {
                    self.error(format!("{path}.max_applications"), "must be at least 1");
                }
                let mut compiled = Vec::with_capacity(slots.len());
                for (j, slot) in slots.iter().enumerate() {
                    let slot_path = format!("{path}.slots[{j}]");
                    if slot.quantity == 0 {
                        self.error(format!("{slot_path}.quantity"), "must be at least 1");
                    }
                    if slot.targets.all || !names_products(&slot.targets) {
                        self.error(
                            format!("{slot_path}.targets"),
                            "must name the products of the slot (skus, segments, …)",
                        );
                    }
                    let targets =
                        self.targets(&format!("{slot_path}.targets"), &slot.targets, money);
                    compiled.push((targets, slot.quantity));
                }
                let price_path = format!("{path}.price");
                let price = match price {
                    rules::BundlePrice::Price { price } => BundlePrice::Price(self.amount(
                        &format!("{price_path}.price"),
                        *price,
                        money,
                    )),
                    rules::BundlePrice::PercentOff { percent } => BundlePrice::PercentOff(
                        self.percent(&format!("{price_path}.percent"), *percent),
                    ),
                    rules::BundlePrice::AmountOff { amount } => BundlePrice::AmountOff(
                        self.amount(&format!("{price_path}.amount"), *amount, money),
                    ),
                };
                Offer::Bundle(Box::new(Bundle {
                    slots: compiled.into_boxed_slice(),
                    price,
                    max_applications: *max_applications,
                }))
            }
            // Merchandise offers were handled by `item_offer` above.
            _ => Offer::ParcelInsert {
                item: "".into(),
                description: "".into(),
            },
        }
    }
}
