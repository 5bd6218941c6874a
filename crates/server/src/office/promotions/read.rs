//! The submitted form read into a `Promotion`: every input to its field of the rule format,
//! numbers in the user's locale. What cannot be read (a letter in an amount, a required value
//! left empty) is an error on its input; everything else is left to the engine's checks, which
//! the write runs, so that the form and the API refuse exactly the same promotions.

use remise_engine::rules::{
    Audience, BundlePrice, BundleSlot, CartContains, Combination, Conditions, Coupon, History,
    Limits, Offer, Pick, PriceRange, Promotion, Reward, RewardOrder, SkipDiscounted, Targets, Tier,
    TierBasis, Validity, Window,
};
use rust_decimal::Decimal;

use super::form::{ROW_LIMIT, RowMap, WEEKDAYS, offer_field};
use super::values::{
    FormValues, parse_attributes, parse_count, parse_decimal, parse_integer, parse_list,
};
use crate::office::page::Page;

/// A form read: the promotion (complete, with defaults where the form could not read a value),
/// the errors of inputs that could not be read, and where each list item came from.
pub struct Read {
    pub promotion: Promotion,
    pub errors: Vec<(String, String)>,
    pub rows: RowMap,
}

/// Reads the form; `id` and `campaign` come from the page, not the inputs.
pub fn read(page: &Page, values: &FormValues, id: String, campaign: Option<String>) -> Read {
    let mut r = Reader {
        page,
        values,
        errors: Vec::new(),
        rows: RowMap::default(),
    };
    let offer = r.offer();
    let promotion = Promotion {
        id,
        name: values.get("name").to_owned(),
        campaign,
        priority: r.integer("priority").unwrap_or(0),
        created_at: None,
        combination: match values.get("combination") {
            "stop_further" => Combination::StopFurther,
            "exclusive" => Combination::Exclusive,
            _ => Combination::Stackable,
        },
        targets: r.targets("targets", true),
        exclude: r.targets("exclude", false),
        skip_discounted: match values.get("skip_discounted") {
            "catalog" => Some(SkipDiscounted::Catalog),
            "any" => Some(SkipDiscounted::Any),
            _ => None,
        },
        audience: Audience {
            groups: parse_list(values.get("audience.groups")),
            customers: parse_list(values.get("audience.customers")),
            collection_points: parse_list(values.get("audience.collection_points")),
            channels: parse_list(values.get("audience.channels")),
        },
        validity: r.validity(),
        conditions: r.conditions(),
        offer,
        limits: Limits {
            total_uses: r.count("limits.total_uses"),
            uses_per_customer: r.count("limits.uses_per_customer"),
            budget: r.amount("limits.budget"),
        },
    };
    Read {
        promotion,
        errors: r.errors,
        rows: r.rows,
    }
}

struct Reader<'a> {
    page: &'a Page,
    values: &'a FormValues,
    errors: Vec<(String, String)>,
    rows: RowMap,
}

impl Reader<'_> {
    fn error(&mut self, name: &str, key: &str) {
        self.errors.push((name.to_owned(), self.page.t(key)));
    }

    /// A decimal in the user's locale; `None` when empty or not a number (then an error).
    fn amount(&mut self, name: &str) -> Option<Decimal> {
        let text = self.values.get(name);
        if text.is_empty() {
            return None;
        }
        let parsed = parse_decimal(self.page.lang, text);
        if parsed.is_none() {
            self.error(name, "promotions-error-number");
        }
        parsed
    }

    /// A decimal the offer cannot do without: an error when empty.
    fn required_amount(&mut self, name: &str) -> Decimal {
        if self.values.get(name).is_empty() {
            self.error(name, "promotions-error-required");
            return Decimal::ZERO;
        }
        self.amount(name).unwrap_or(Decimal::ZERO)
    }

    fn count(&mut self, name: &str) -> Option<u32> {
        let text = self.values.get(name);
        if text.is_empty() {
            return None;
        }
        let parsed = parse_count(text);
        if parsed.is_none() {
            self.error(name, "promotions-error-count");
        }
        parsed
    }

    fn required_count(&mut self, name: &str) -> u32 {
        if self.values.get(name).is_empty() {
            self.error(name, "promotions-error-required");
            return 0;
        }
        self.count(name).unwrap_or(0)
    }

    fn integer(&mut self, name: &str) -> Option<i32> {
        let text = self.values.get(name);
        if text.is_empty() {
            return None;
        }
        let parsed = parse_integer(text);
        if parsed.is_none() {
            self.error(name, "promotions-error-integer");
        }
        parsed
    }

    fn list(&self, name: &str) -> Vec<String> {
        parse_list(self.values.get(name))
    }

    /// The targets under `prefix` (`targets`, `exclude`, a slot's…); `None` when nothing is
    /// filled in (every product, for the promotion's own targets).
    fn targets(&mut self, prefix: &str, with_all: bool) -> Option<Targets> {
        let name = |field: &str| format!("{prefix}.{field}");
        let attributes = match parse_attributes(self.values.get(&name("attributes"))) {
            Ok(attributes) => attributes,
            Err(line) => {
                let message = self
                    .page
                    .t1("promotions-error-attributes", "line", line.as_str());
                self.errors.push((name("attributes"), message));
                Default::default()
            }
        };
        let min = self.amount(&name("unit_price.min"));
        let max = self.amount(&name("unit_price.max"));
        let targets = Targets {
            all: with_all && self.values.checked(&name("all")),
            skus: self.list(&name("skus")),
            segments: self.list(&name("segments")),
            selections: self.list(&name("selections")),
            brands: self.list(&name("brands")),
            attributes,
            tags: self.list(&name("tags")),
            unit_price: (min.is_some() || max.is_some()).then_some(PriceRange { min, max }),
        };
        (targets != Targets::default()).then_some(targets)
    }

    fn validity(&mut self) -> Validity {
        let values = self.values;
        let text = |name: &str| Some(values.get(name).to_owned()).filter(|t| !t.is_empty());
        let mut windows = Vec::new();
        for row in 0..ROW_LIMIT {
            let prefix = format!("validity.windows[{row}]");
            if !values.any_under(&format!("{prefix}.")) {
                continue;
            }
            self.rows.windows.push(row);
            windows.push(Window {
                from: values.get(&format!("{prefix}.from")).to_owned(),
                to: values.get(&format!("{prefix}.to")).to_owned(),
            });
        }
        Validity {
            starts_at: text("validity.starts_at"),
            ends_at: text("validity.ends_at"),
            weekdays: WEEKDAYS
                .iter()
                .filter(|day| values.checked(&format!("validity.weekdays.{day}")))
                .map(|day| (*day).to_owned())
                .collect(),
            windows,
        }
    }

    fn conditions(&mut self) -> Conditions {
        let values = self.values;
        let codes = self.list("conditions.coupon.codes");
        let coupon = (values.checked("conditions.coupon.required") || !codes.is_empty())
            .then_some(Coupon { codes });
        let history = History {
            first_order: values.checked("conditions.history.first_order"),
            nth_order: self.count("conditions.history.nth_order"),
            min_orders: self.count("conditions.history.min_orders"),
            max_orders: self.count("conditions.history.max_orders"),
            min_spent: self.amount("conditions.history.min_spent"),
        };
        let mut cart_contains = Vec::new();
        for row in 0..ROW_LIMIT {
            let prefix = format!("conditions.cart_contains[{row}]");
            if !values.any_under(&format!("{prefix}.")) {
                continue;
            }
            self.rows.cart_contains.push(row);
            cart_contains.push(CartContains {
                targets: self
                    .targets(&format!("{prefix}.targets"), true)
                    .unwrap_or_default(),
                min_quantity: self.count(&format!("{prefix}.min_quantity")),
                min_amount: self.amount(&format!("{prefix}.min_amount")),
            });
        }
        Conditions {
            min_cart_amount: self.amount("conditions.min_cart_amount"),
            max_cart_amount: self.amount("conditions.max_cart_amount"),
            min_quantity: self.count("conditions.min_quantity"),
            min_distinct_products: self.count("conditions.min_distinct_products"),
            coupon,
            shipping_methods: self.list("conditions.shipping_methods"),
            min_line_quantity: self.count("conditions.min_line_quantity"),
            cart_contains,
            history: (history != History::default()).then_some(history),
        }
    }

    /// The offer of the chosen type, from that type's inputs only.
    fn offer(&mut self) -> Offer {
        let kind = match self.values.get("offer.type") {
            "" => "percent_off",
            kind => kind,
        };
        let f = |field: &str| offer_field(kind, field);
        match kind {
            "percent_off" | "amount_off_each" | "unit_price" | "amount_off_line"
            | "amount_off_total" | "cart_percent_off" | "cart_amount_off" => {
                self.item_offer(kind, &f(""))
            }
            "tiered" => self.tiered(),
            "free_shipping" => Offer::FreeShipping {
                methods: self.list(&f("methods")),
            },
            "shipping_percent_off" => Offer::ShippingPercentOff {
                percent: self.required_amount(&f("percent")),
                methods: self.list(&f("methods")),
            },
            "shipping_amount_off" => Offer::ShippingAmountOff {
                amount: self.required_amount(&f("amount")),
                methods: self.list(&f("methods")),
            },
            "shipping_capped_price" => Offer::ShippingCappedPrice {
                price: self.required_amount(&f("price")),
                methods: self.list(&f("methods")),
            },
            "gift" => {
                let sku = self.values.get(&f("sku")).to_owned();
                if sku.is_empty() {
                    self.error(&f("sku"), "promotions-error-required");
                }
                Offer::Gift {
                    sku,
                    quantity: self.count(&f("quantity")).unwrap_or(1),
                }
            }
            "parcel_insert" => Offer::ParcelInsert {
                item: self.values.get(&f("item")).to_owned(),
                description: self.values.raw(&f("description")).trim().to_owned(),
            },
            "buy_x_get_y" => self.buy_x_get_y(),
            "bundle" => self.bundle(),
            _ => {
                self.error("offer.type", "promotions-error-offer-type");
                Offer::percent_off(Decimal::ZERO)
            }
        }
    }

    /// A merchandise offer of `kind` whose inputs are under `prefix` (`offer.percent_off.`, or
    /// a tier's `offer.tiered.tiers[0].offer.`, where the value is one input, `value`).
    fn item_offer(&mut self, kind: &str, prefix: &str) -> Offer {
        let in_tier = prefix.contains("tiers[");
        let value_name = |field: &str| {
            if in_tier {
                format!("{prefix}value")
            } else {
                format!("{prefix}{field}")
            }
        };
        let max_units = self.count(&format!("{prefix}max_units"));
        let max_units_per_line = self.count(&format!("{prefix}max_units_per_line"));
        let pick = match self.values.get(&format!("{prefix}pick")) {
            "cheapest" => Pick::Cheapest,
            _ => Pick::MostExpensive,
        };
        let include_shipping = self.values.checked(&format!("{prefix}include_shipping"));
        match kind {
            "amount_off_each" => Offer::AmountOffEach {
                amount: self.required_amount(&value_name("amount")),
                max_units,
                max_units_per_line,
                pick,
            },
            "unit_price" => Offer::UnitPrice {
                price: self.required_amount(&value_name("price")),
                max_units,
                max_units_per_line,
                pick,
            },
            "amount_off_line" => Offer::AmountOffLine {
                amount: self.required_amount(&value_name("amount")),
            },
            "amount_off_total" => Offer::AmountOffTotal {
                amount: self.required_amount(&value_name("amount")),
            },
            "cart_percent_off" => Offer::CartPercentOff {
                percent: self.required_amount(&value_name("percent")),
                include_shipping,
            },
            "cart_amount_off" => Offer::CartAmountOff {
                amount: self.required_amount(&value_name("amount")),
                include_shipping,
            },
            "percent_off" => Offer::PercentOff {
                percent: self.required_amount(&value_name("percent")),
                max_units,
                max_units_per_line,
                pick,
            },
            _ => {
                self.error(&format!("{prefix}type"), "promotions-error-offer-type");
                Offer::percent_off(Decimal::ZERO)
            }
        }
    }

    fn tiered(&mut self) -> Offer {
        let basis = match self.values.get(&offer_field("tiered", "basis")) {
            "quantity" => TierBasis::Quantity,
            _ => TierBasis::Spend,
        };
        let mut tiers = Vec::new();
        for row in 0..ROW_LIMIT {
            let prefix = offer_field("tiered", &format!("tiers[{row}]"));
            let threshold_name = format!("{prefix}.threshold");
            let value_name = format!("{prefix}.offer.value");
            // A row is used once it has a threshold or a value (its selects always have one).
            if self.values.get(&threshold_name).is_empty()
                && self.values.get(&value_name).is_empty()
            {
                continue;
            }
            self.rows.tiers.push(row);
            let threshold = if self.values.get(&threshold_name).is_empty() {
                self.error(&threshold_name, "promotions-error-required");
                None
            } else {
                self.amount(&threshold_name)
            };
            let kind = match self.values.get(&format!("{prefix}.offer.type")) {
                "" => "percent_off",
                kind => kind,
            };
            let offer = self.item_offer(kind, &format!("{prefix}.offer."));
            let over = self.values.get(&format!("{prefix}.bound")) == "over";
            tiers.push(Tier {
                from: threshold.filter(|_| !over),
                over: threshold.filter(|_| over),
                offer,
            });
        }
        Offer::Tiered { basis, tiers }
    }

    fn buy_x_get_y(&mut self) -> Offer {
        let f = |field: &str| offer_field("buy_x_get_y", field);
        let reward = match self.values.get(&f("reward.type")) {
            "percent_off" => Reward::PercentOff {
                percent: self.required_amount(&f("reward.value")),
            },
            "amount_off" => Reward::AmountOff {
                amount: self.required_amount(&f("reward.value")),
            },
            "unit_price" => Reward::UnitPrice {
                price: self.required_amount(&f("reward.value")),
            },
            _ => Reward::Free,
        };
        Offer::BuyXGetY {
            buy: self.required_count(&f("buy")),
            get: self.required_count(&f("get")),
            reward_targets: self.targets(&f("reward_targets"), true),
            reward,
            rewarded: match self.values.get(&f("rewarded")) {
                "most_expensive" => RewardOrder::MostExpensive,
                _ => RewardOrder::Cheapest,
            },
            max_applications: self.count(&f("max_applications")),
            per_line: self.values.checked(&f("per_line")),
            partial_rewards: self.values.checked(&f("partial_rewards")),
        }
    }

    fn bundle(&mut self) -> Offer {
        let f = |field: &str| offer_field("bundle", field);
        let mut slots = Vec::new();
        for row in 0..ROW_LIMIT {
            let prefix = f(&format!("slots[{row}]"));
            if !self.values.any_under(&format!("{prefix}.targets."))
                && self.values.get(&format!("{prefix}.quantity")).is_empty()
            {
                continue;
            }
            self.rows.slots.push(row);
            slots.push(BundleSlot {
                targets: self
                    .targets(&format!("{prefix}.targets"), false)
                    .unwrap_or_default(),
                quantity: self.count(&format!("{prefix}.quantity")).unwrap_or(1),
            });
        }
        let value = f("price.value");
        let price = match self.values.get(&f("price.type")) {
            "percent_off" => BundlePrice::PercentOff {
                percent: self.required_amount(&value),
            },
            "amount_off" => BundlePrice::AmountOff {
                amount: self.required_amount(&value),
            },
            _ => BundlePrice::Price {
                price: self.required_amount(&value),
            },
        };
        Offer::Bundle {
            slots,
            price,
            max_applications: self.count(&f("max_applications")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::tz::TimeZone;
    use remise_engine::rules::{Promotion, RuleSet};
    use serde_json::json;

    use super::read;
    use crate::office::i18n::Lang;
    use crate::office::page::Page;
    use crate::office::promotions::fill::fill;

    /// A promotion with every field of the rule format set (one offer at a time aside).
    fn everything(offer: serde_json::Value) -> Promotion {
        let targets = json!({"all": false, "skus": ["A", "B"], "segments": ["toys"],
            "selections": ["gifts"], "brands": ["Hasbro"], "tags": ["new"],
            "attributes": {"color": ["red", "blue"], "size": ["M"]},
            "unit_price": {"min": "10.5", "max": "99.99"}});
        serde_json::from_value(json!({
            "id": "all-fields", "name": "Everything", "campaign": "noel", "priority": -3,
            "combination": "stop_further", "targets": targets,
            "exclude": {"tags": ["clearance"], "unit_price": {"max": "1.00"}},
            "skip_discounted": "catalog",
            "audience": {"groups": ["vip"], "customers": ["C1"], "collection_points": ["LYON"],
                "channels": ["web", "kiosk"]},
            "validity": {"starts_at": "2026-11-27T00:00", "ends_at": "2026-12-01T18:30:15",
                "weekdays": ["friday", "saturday"],
                "windows": [{"from": "18:00", "to": "20:00"}, {"from": "22:00", "to": "02:00"}]},
            "conditions": {"min_cart_amount": "50.00", "max_cart_amount": "500",
                "min_quantity": 2, "min_distinct_products": 2, "min_line_quantity": 2,
                "coupon": {"codes": ["NOEL10", "NOEL-20"]}, "shipping_methods": ["standard"],
                "cart_contains": [{"targets": {"skus": ["TENT"]}, "min_quantity": 1,
                    "min_amount": "100.00"}, {"targets": {"all": true}, "min_amount": "5"}],
                "history": {"nth_order": 2, "min_spent": "120.50"}},
            "offer": offer,
            "limits": {"total_uses": 500, "uses_per_customer": 1, "budget": "1000.00"}
        }))
        .unwrap()
    }

    fn offers() -> Vec<serde_json::Value> {
        vec![
            json!({"type": "percent_off", "percent": "12.5", "max_units": 1,
                "max_units_per_line": 2, "pick": "cheapest"}),
            json!({"type": "amount_off_each", "amount": "2.00", "max_units_per_line": 3}),
            json!({"type": "amount_off_line", "amount": "3.00"}),
            json!({"type": "amount_off_total", "amount": "10.00"}),
            json!({"type": "unit_price", "price": "15.00"}),
            json!({"type": "cart_percent_off", "percent": 10, "include_shipping": true}),
            json!({"type": "cart_amount_off", "amount": "20.00"}),
            json!({"type": "tiered", "basis": "quantity", "tiers": [
                {"from": 2, "offer": {"type": "percent_off", "percent": 10, "max_units": 4}},
                {"over": 3, "offer": {"type": "cart_amount_off", "amount": "5.00",
                    "include_shipping": true}}]}),
            json!({"type": "free_shipping", "methods": ["standard", "relay"]}),
            json!({"type": "shipping_percent_off", "percent": 50}),
            json!({"type": "shipping_amount_off", "amount": "3.00", "methods": ["standard"]}),
            json!({"type": "shipping_capped_price", "price": "1.00"}),
            json!({"type": "gift", "sku": "TOTE-BAG", "quantity": 2}),
            json!({"type": "parcel_insert", "item": "CATALOG-2027", "description": "Spring catalog"}),
            json!({"type": "buy_x_get_y", "buy": 2, "get": 1}),
            json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "reward_targets": {"segments": ["games"]},
                "reward": {"type": "percent_off", "percent": 50}, "rewarded": "most_expensive",
                "max_applications": 2, "per_line": true}),
            json!({"type": "buy_x_get_y", "buy": 1, "get": 5, "partial_rewards": true,
                "reward": {"type": "unit_price", "price": "5.00"}}),
            json!({"type": "bundle", "slots": [{"targets": {"skus": ["MUG"]}},
                {"targets": {"segments": ["plates"]}, "quantity": 2}],
                "price": {"type": "amount_off", "amount": "5.00"}, "max_applications": 1}),
        ]
    }

    /// A promotion shown in the form and saved unchanged is the same promotion, in either
    /// language: every field of every offer type goes through the form and back.
    #[test]
    fn every_field_goes_through_the_form_and_back() {
        let zone = TimeZone::get("Europe/Paris").unwrap();
        let toyshop: RuleSet =
            serde_json::from_str(include_str!("../../../../../examples/toyshop.rules.json"))
                .unwrap();
        let mut promotions: Vec<Promotion> = offers().into_iter().map(everything).collect();
        promotions.extend(toyshop.promotions);
        for lang in Lang::ALL {
            let page = Page::anonymous(Some(lang.code()));
            for promotion in &promotions {
                let values = fill(promotion, lang, &zone);
                let back = read(
                    &page,
                    &values,
                    promotion.id.clone(),
                    promotion.campaign.clone(),
                );
                assert!(
                    back.errors.is_empty(),
                    "{:?}: {:?}",
                    promotion.id,
                    back.errors
                );
                let mut expected = promotion.clone();
                // Dates are written as the form shows them (the store's local time).
                for text in [
                    &mut expected.validity.starts_at,
                    &mut expected.validity.ends_at,
                ] {
                    if let Some(t) = text.as_mut()
                        && t.ends_with(":00:00")
                        && t.len() == 19
                    {
                        t.truncate(16);
                    }
                }
                assert_eq!(back.promotion, expected, "{lang:?}");
            }
        }
    }

    #[test]
    fn list_items_remember_their_rows() {
        let page = Page::anonymous(Some("en"));
        let values = super::FormValues::from_pairs(vec![
            ("validity.windows[1].from".into(), "08:00".into()),
            ("validity.windows[1].to".into(), "09:00".into()),
            ("offer.type".into(), "tiered".into()),
            ("offer.tiered.tiers[0].bound".into(), "from".into()),
            ("offer.tiered.tiers[2].threshold".into(), "50".into()),
            ("offer.tiered.tiers[2].offer.value".into(), "x".into()),
            ("offer.tiered.tiers[3].threshold".into(), "".into()),
        ]);
        let read = read(&page, &values, "p".into(), None);
        assert_eq!(read.rows.windows, [1]);
        assert_eq!(read.rows.tiers, [2]);
        assert_eq!(
            read.errors,
            [(
                "offer.tiered.tiers[2].offer.value".to_owned(),
                "Not a number (for example 12.50).".to_owned()
            )]
        );
    }
}
