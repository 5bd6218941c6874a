//! A stored promotion as the form's inputs (the reverse of `read`): reading the inputs back
//! gives the same promotion (date-times written in the store's local time), so that saving a
//! promotion unchanged changes what it does in nothing.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use remise_engine::rules::{
    BundlePrice, Combination, Offer, Pick, Promotion, Reward, RewardOrder, SkipDiscounted, Targets,
    TierBasis,
};
use rust_decimal::Decimal;

use super::form::offer_field;
use super::values::{FormValues, show_attributes, show_decimal, show_list};
use crate::office::i18n::Lang;

/// The inputs of `promotion`, decimals in `lang`, date-times in the store's zone `zone`.
pub fn fill(promotion: &Promotion, lang: Lang, zone: &TimeZone) -> FormValues {
    let mut v = Fill {
        values: FormValues::default(),
        lang,
    };
    let p = promotion;
    v.values.set("name", p.name.clone());
    v.values.set("priority", p.priority.to_string());
    v.values.set(
        "combination",
        match p.combination {
            Combination::Stackable => "stackable",
            Combination::StopFurther => "stop_further",
            Combination::Exclusive => "exclusive",
        },
    );
    if let Some(skip) = p.skip_discounted {
        v.values.set(
            "skip_discounted",
            match skip {
                SkipDiscounted::Catalog => "catalog",
                SkipDiscounted::Any => "any",
            },
        );
    }
    if let Some(targets) = &p.targets {
        v.targets("targets", targets);
    }
    if let Some(exclude) = &p.exclude {
        v.targets("exclude", exclude);
    }
    let audience = &p.audience;
    v.list("audience.groups", &audience.groups);
    v.list("audience.customers", &audience.customers);
    v.list("audience.collection_points", &audience.collection_points);
    v.list("audience.channels", &audience.channels);
    let validity = &p.validity;
    for (name, text) in [
        ("validity.starts_at", &validity.starts_at),
        ("validity.ends_at", &validity.ends_at),
    ] {
        if let Some(text) = text {
            v.values.set(name, local_input(text, zone));
        }
    }
    for day in &validity.weekdays {
        v.values.check(
            format!("validity.weekdays.{}", day.to_ascii_lowercase()),
            true,
        );
    }
    for (row, window) in validity.windows.iter().enumerate() {
        v.values
            .set(format!("validity.windows[{row}].from"), window.from.clone());
        v.values
            .set(format!("validity.windows[{row}].to"), window.to.clone());
    }
    let c = &p.conditions;
    v.amount("conditions.min_cart_amount", c.min_cart_amount);
    v.amount("conditions.max_cart_amount", c.max_cart_amount);
    v.count("conditions.min_quantity", c.min_quantity);
    v.count("conditions.min_distinct_products", c.min_distinct_products);
    v.count("conditions.min_line_quantity", c.min_line_quantity);
    v.list("conditions.shipping_methods", &c.shipping_methods);
    if let Some(coupon) = &c.coupon {
        v.values.check("conditions.coupon.required", true);
        v.list("conditions.coupon.codes", &coupon.codes);
    }
    if let Some(h) = &c.history {
        v.values
            .check("conditions.history.first_order", h.first_order);
        v.count("conditions.history.nth_order", h.nth_order);
        v.count("conditions.history.min_orders", h.min_orders);
        v.count("conditions.history.max_orders", h.max_orders);
        v.amount("conditions.history.min_spent", h.min_spent);
    }
    for (row, contains) in c.cart_contains.iter().enumerate() {
        let prefix = format!("conditions.cart_contains[{row}]");
        v.targets(&format!("{prefix}.targets"), &contains.targets);
        v.count(&format!("{prefix}.min_quantity"), contains.min_quantity);
        v.amount(&format!("{prefix}.min_amount"), contains.min_amount);
    }
    v.count("limits.total_uses", p.limits.total_uses);
    v.count("limits.uses_per_customer", p.limits.uses_per_customer);
    v.amount("limits.budget", p.limits.budget);
    v.offer(&p.offer);
    v.values
}

/// A stored date-time as a `datetime-local` input shows it: the store's local time, with
/// seconds only when there are some. Text that does not read is shown as it is.
fn local_input(text: &str, zone: &TimeZone) -> String {
    let civil = match crate::model::parse_instant(text, zone) {
        Some(instant) if text.parse::<DateTime>().is_err() => {
            instant.to_zoned(zone.clone()).datetime()
        }
        _ => match text.parse::<DateTime>() {
            Ok(civil) => civil,
            Err(_) => return text.to_owned(),
        },
    };
    if civil.second() == 0 && civil.subsec_nanosecond() == 0 {
        civil.strftime("%Y-%m-%dT%H:%M").to_string()
    } else {
        civil.strftime("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

struct Fill {
    values: FormValues,
    lang: Lang,
}

impl Fill {
    fn amount(&mut self, name: &str, value: Option<Decimal>) {
        if let Some(value) = value {
            self.values.set(name, show_decimal(self.lang, value));
        }
    }

    fn count(&mut self, name: &str, value: Option<u32>) {
        if let Some(value) = value {
            self.values.set(name, value.to_string());
        }
    }

    fn list(&mut self, name: &str, items: &[String]) {
        self.values.set(name, show_list(items));
    }

    fn targets(&mut self, prefix: &str, t: &Targets) {
        self.values.check(format!("{prefix}.all"), t.all);
        self.list(&format!("{prefix}.skus"), &t.skus);
        self.list(&format!("{prefix}.segments"), &t.segments);
        self.list(&format!("{prefix}.selections"), &t.selections);
        self.list(&format!("{prefix}.brands"), &t.brands);
        self.list(&format!("{prefix}.tags"), &t.tags);
        self.values.set(
            format!("{prefix}.attributes"),
            show_attributes(&t.attributes),
        );
        if let Some(range) = &t.unit_price {
            self.amount(&format!("{prefix}.unit_price.min"), range.min);
            self.amount(&format!("{prefix}.unit_price.max"), range.max);
        }
    }

    /// A merchandise offer's inputs under `prefix`; in a tier the value is one input.
    fn item_offer(&mut self, prefix: &str, offer: &Offer, in_tier: bool) {
        let value_name = |field: &str| {
            if in_tier {
                format!("{prefix}value")
            } else {
                format!("{prefix}{field}")
            }
        };
        let (field, value, limits, include_shipping) = match offer {
            Offer::PercentOff {
                percent,
                max_units,
                max_units_per_line,
                pick,
            } => (
                "percent",
                *percent,
                Some((*max_units, *max_units_per_line, *pick)),
                false,
            ),
            Offer::AmountOffEach {
                amount,
                max_units,
                max_units_per_line,
                pick,
            } => (
                "amount",
                *amount,
                Some((*max_units, *max_units_per_line, *pick)),
                false,
            ),
            Offer::UnitPrice {
                price,
                max_units,
                max_units_per_line,
                pick,
            } => (
                "price",
                *price,
                Some((*max_units, *max_units_per_line, *pick)),
                false,
            ),
            Offer::AmountOffLine { amount } | Offer::AmountOffTotal { amount } => {
                ("amount", *amount, None, false)
            }
            Offer::CartPercentOff {
                percent,
                include_shipping,
            } => ("percent", *percent, None, *include_shipping),
            Offer::CartAmountOff {
                amount,
                include_shipping,
            } => ("amount", *amount, None, *include_shipping),
            _ => return,
        };
        self.amount(&value_name(field), Some(value));
        if let Some((max_units, per_line, pick)) = limits {
            self.count(&format!("{prefix}max_units"), max_units);
            self.count(&format!("{prefix}max_units_per_line"), per_line);
            if pick == Pick::Cheapest {
                self.values.set(format!("{prefix}pick"), "cheapest");
            }
        }
        self.values
            .check(format!("{prefix}include_shipping"), include_shipping);
    }

    fn offer(&mut self, offer: &Offer) {
        let kind = offer_type_name(offer);
        self.values.set("offer.type", kind);
        let f = |field: &str| offer_field(kind, field);
        match offer {
            Offer::Tiered { basis, tiers } => {
                if *basis == TierBasis::Quantity {
                    self.values.set(f("basis"), "quantity");
                }
                for (row, tier) in tiers.iter().enumerate() {
                    let prefix = f(&format!("tiers[{row}]"));
                    let (bound, threshold) = match (tier.from, tier.over) {
                        (_, Some(over)) if tier.from.is_none() => ("over", Some(over)),
                        (from, _) => ("from", from),
                    };
                    self.values.set(format!("{prefix}.bound"), bound);
                    self.amount(&format!("{prefix}.threshold"), threshold);
                    self.values
                        .set(format!("{prefix}.offer.type"), offer_type_name(&tier.offer));
                    self.item_offer(&format!("{prefix}.offer."), &tier.offer, true);
                }
            }
            Offer::FreeShipping { methods } => self.list(&f("methods"), methods),
            Offer::ShippingPercentOff { percent, methods } => {
                self.amount(&f("percent"), Some(*percent));
                self.list(&f("methods"), methods);
            }
            Offer::ShippingAmountOff { amount, methods } => {
                self.amount(&f("amount"), Some(*amount));
                self.list(&f("methods"), methods);
            }
            Offer::ShippingCappedPrice { price, methods } => {
                self.amount(&f("price"), Some(*price));
                self.list(&f("methods"), methods);
            }
            Offer::Gift { sku, quantity } => {
                self.values.set(f("sku"), sku.clone());
                self.values.set(f("quantity"), quantity.to_string());
            }
            Offer::ParcelInsert { item, description } => {
                self.values.set(f("item"), item.clone());
                self.values.set(f("description"), description.clone());
            }
            Offer::BuyXGetY {
                buy,
                get,
                reward_targets,
                reward,
                rewarded,
                max_applications,
                per_line,
                partial_rewards,
            } => {
                self.values.set(f("buy"), buy.to_string());
                self.values.set(f("get"), get.to_string());
                if let Some(targets) = reward_targets {
                    self.targets(&f("reward_targets"), targets);
                }
                let (kind, value) = match reward {
                    Reward::Free => ("free", None),
                    Reward::PercentOff { percent } => ("percent_off", Some(*percent)),
                    Reward::AmountOff { amount } => ("amount_off", Some(*amount)),
                    Reward::UnitPrice { price } => ("unit_price", Some(*price)),
                };
                self.values.set(f("reward.type"), kind);
                self.amount(&f("reward.value"), value);
                if *rewarded == RewardOrder::MostExpensive {
                    self.values.set(f("rewarded"), "most_expensive");
                }
                self.count(&f("max_applications"), *max_applications);
                self.values.check(f("per_line"), *per_line);
                self.values.check(f("partial_rewards"), *partial_rewards);
            }
            Offer::Bundle {
                slots,
                price,
                max_applications,
            } => {
                for (row, slot) in slots.iter().enumerate() {
                    let prefix = f(&format!("slots[{row}]"));
                    self.targets(&format!("{prefix}.targets"), &slot.targets);
                    self.values
                        .set(format!("{prefix}.quantity"), slot.quantity.to_string());
                }
                let (kind, value) = match price {
                    BundlePrice::Price { price } => ("price", *price),
                    BundlePrice::PercentOff { percent } => ("percent_off", *percent),
                    BundlePrice::AmountOff { amount } => ("amount_off", *amount),
                };
                self.values.set(f("price.type"), kind);
                self.amount(&f("price.value"), Some(value));
                self.count(&f("max_applications"), *max_applications);
            }
            item => self.item_offer(&f(""), item, false),
        }
    }
}

/// The rule format's name of an offer's type.
pub fn offer_type_name(offer: &Offer) -> &'static str {
    match offer {
        Offer::PercentOff { .. } => "percent_off",
        Offer::AmountOffEach { .. } => "amount_off_each",
        Offer::AmountOffLine { .. } => "amount_off_line",
        Offer::AmountOffTotal { .. } => "amount_off_total",
        Offer::UnitPrice { .. } => "unit_price",
        Offer::CartPercentOff { .. } => "cart_percent_off",
        Offer::CartAmountOff { .. } => "cart_amount_off",
        Offer::Tiered { .. } => "tiered",
        Offer::FreeShipping { .. } => "free_shipping",
        Offer::ShippingPercentOff { .. } => "shipping_percent_off",
        Offer::ShippingAmountOff { .. } => "shipping_amount_off",
        Offer::ShippingCappedPrice { .. } => "shipping_capped_price",
        Offer::Gift { .. } => "gift",
        Offer::ParcelInsert { .. } => "parcel_insert",
        Offer::BuyXGetY { .. } => "buy_x_get_y",
        Offer::Bundle { .. } => "bundle",
    }
}
