//! The offer part of the form: the type's select and one group of inputs per offer type (every
//! type of the rule format), each under `offer.<type>.`.

use super::form::{OFFER_TYPES, Rows, TIER_OFFER_TYPES, offer_field};
use super::layout::{Field, Fields, Group};

/// The label key of each offer type (also its option in the select).
pub fn type_key(kind: &str) -> &'static str {
    match kind {
        "percent_off" => "promotions-offer-percent-off",
        "amount_off_each" => "promotions-offer-amount-off-each",
        "amount_off_line" => "promotions-offer-amount-off-line",
        "amount_off_total" => "promotions-offer-amount-off-total",
        "unit_price" => "promotions-offer-unit-price",
        "cart_percent_off" => "promotions-offer-cart-percent-off",
        "cart_amount_off" => "promotions-offer-cart-amount-off",
        "tiered" => "promotions-offer-tiered",
        "buy_x_get_y" => "promotions-offer-buy-x-get-y",
        "bundle" => "promotions-offer-bundle",
        "free_shipping" => "promotions-offer-free-shipping",
        "shipping_percent_off" => "promotions-offer-shipping-percent-off",
        "shipping_amount_off" => "promotions-offer-shipping-amount-off",
        "shipping_capped_price" => "promotions-offer-shipping-capped-price",
        "gift" => "promotions-offer-gift",
        _ => "promotions-offer-parcel-insert",
    }
}

/// What each offer type gives, in a sentence.
pub fn hint_key(kind: &str) -> &'static str {
    match kind {
        "percent_off" => "promotions-offer-hint-percent-off",
        "amount_off_each" => "promotions-offer-hint-amount-off-each",
        "amount_off_line" => "promotions-offer-hint-amount-off-line",
        "amount_off_total" => "promotions-offer-hint-amount-off-total",
        "unit_price" => "promotions-offer-hint-unit-price",
        "cart_percent_off" => "promotions-offer-hint-cart-percent-off",
        "cart_amount_off" => "promotions-offer-hint-cart-amount-off",
        "tiered" => "promotions-offer-hint-tiered",
        "buy_x_get_y" => "promotions-offer-hint-buy-x-get-y",
        "bundle" => "promotions-offer-hint-bundle",
        "free_shipping" => "promotions-offer-hint-free-shipping",
        "shipping_percent_off" => "promotions-offer-hint-shipping-percent-off",
        "shipping_amount_off" => "promotions-offer-hint-shipping-amount-off",
        "shipping_capped_price" => "promotions-offer-hint-shipping-capped-price",
        "gift" => "promotions-offer-hint-gift",
        _ => "promotions-offer-hint-parcel-insert",
    }
}

/// The type's select; changing it brings that type's inputs (htmx), which are all on the page
/// without JavaScript.
pub fn type_field(f: &Fields<'_>) -> Field {
    let options: Vec<(&str, &str)> = OFFER_TYPES.iter().map(|t| (*t, type_key(t))).collect();
    f.hinted(
        f.choose(
            "select",
            "offer.type",
            "promotions-field-offer-type",
            &options,
        ),
        "promotions-hint-offer-type",
    )
}

/// One group per offer type, `chosen` first.
pub fn groups(f: &Fields<'_>, rows: &Rows, chosen: &str) -> Vec<Group> {
    let mut groups = vec![group(f, rows, chosen)];
    groups.extend(
        OFFER_TYPES
            .iter()
            .filter(|t| **t != chosen)
            .map(|t| group(f, rows, t)),
    );
    groups
}

/// The inputs of offer type `kind`.
pub fn group(f: &Fields<'_>, rows: &Rows, kind: &str) -> Group {
    let page = f.page;
    let name = |field: &str| offer_field(kind, field);
    let mut group =
        Group::new(format!("offer.{kind}"), page.t(type_key(kind))).hint(page.t(hint_key(kind)));
    let methods = || {
        f.hinted(
            f.list(&name("methods"), "promotions-field-methods"),
            "promotions-hint-methods",
        )
    };
    group.fields = match kind {
        "percent_off" | "amount_off_each" | "unit_price" | "amount_off_line"
        | "amount_off_total" | "cart_percent_off" | "cart_amount_off" => {
            item_fields(f, &name(""), kind, false)
        }
        "tiered" => {
            for row in 0..rows.tiers {
                group
                    .subgroups
                    .push(tier(f, &name(&format!("tiers[{row}]")), row));
            }
            vec![f.choose(
                "select",
                &name("basis"),
                "promotions-field-basis",
                &[
                    ("spend", "promotions-basis-spend"),
                    ("quantity", "promotions-basis-quantity"),
                ],
            )]
        }
        "free_shipping" => vec![methods()],
        "shipping_percent_off" => vec![
            f.amount(&name("percent"), "promotions-field-percent"),
            methods(),
        ],
        "shipping_amount_off" => vec![
            f.amount(&name("amount"), "promotions-field-amount"),
            methods(),
        ],
        "shipping_capped_price" => vec![
            f.amount(&name("price"), "promotions-field-capped-price"),
            methods(),
        ],
        "gift" => vec![
            f.text(&name("sku"), "promotions-field-gift-sku"),
            f.count(&name("quantity"), "promotions-field-quantity"),
        ],
        "parcel_insert" => vec![
            f.text(&name("item"), "promotions-field-item"),
            f.text(&name("description"), "promotions-field-description"),
        ],
        "buy_x_get_y" => {
            let targets_name = name("reward_targets");
            let mut rewarded = Group::new(
                targets_name.clone(),
                page.t("promotions-group-reward-targets"),
            )
            .hint(page.t("promotions-hint-reward-targets"));
            rewarded.fields = f.targets(&targets_name, true);
            group.subgroups.push(rewarded);
            buy_x_get_y_fields(f, kind)
        }
        _ => {
            for row in 0..rows.slots {
                let prefix = name(&format!("slots[{row}]"));
                let mut slot = Group::new(
                    prefix.clone(),
                    page.t1("promotions-group-slot", "n", row + 1),
                );
                slot.fields =
                    vec![f.count(&format!("{prefix}.quantity"), "promotions-field-quantity")];
                slot.fields
                    .extend(f.targets(&format!("{prefix}.targets"), false));
                group.subgroups.push(slot);
            }
            vec![
                f.choose(
                    "select",
                    &name("price.type"),
                    "promotions-field-bundle-price",
                    &[
                        ("price", "promotions-bundle-price"),
                        ("percent_off", "promotions-bundle-percent-off"),
                        ("amount_off", "promotions-bundle-amount-off"),
                    ],
                ),
                f.hinted(
                    f.amount(&name("price.value"), "promotions-field-value"),
                    "promotions-hint-value",
                ),
                f.count(
                    &name("max_applications"),
                    "promotions-field-max-applications",
                ),
            ]
        }
    };
    group
}

/// A merchandise offer's inputs under `prefix`; a tier's value is one input whatever its kind.
fn item_fields(f: &Fields<'_>, prefix: &str, kind: &str, in_tier: bool) -> Vec<Field> {
    let name = |field: &str| format!("{prefix}{field}");
    let mut fields = Vec::new();
    if in_tier {
        fields.push(f.hinted(
            f.amount(&name("value"), "promotions-field-value"),
            "promotions-hint-value",
        ));
    } else {
        fields.push(match kind {
            "percent_off" | "cart_percent_off" => {
                f.amount(&name("percent"), "promotions-field-percent")
            }
            "unit_price" => f.amount(&name("price"), "promotions-field-price"),
            _ => f.amount(&name("amount"), "promotions-field-amount"),
        });
    }
    if in_tier || matches!(kind, "percent_off" | "amount_off_each" | "unit_price") {
        fields.extend([
            f.count(&name("max_units"), "promotions-field-max-units"),
            f.count(
                &name("max_units_per_line"),
                "promotions-field-max-units-per-line",
            ),
            f.choose(
                "select",
                &name("pick"),
                "promotions-field-pick",
                &[
                    ("most_expensive", "promotions-pick-most-expensive"),
                    ("cheapest", "promotions-pick-cheapest"),
                ],
            ),
        ]);
    }
    if in_tier || matches!(kind, "cart_percent_off" | "cart_amount_off") {
        fields.push(f.check(
            &name("include_shipping"),
            "promotions-field-include-shipping",
        ));
    }
    fields
}

/// One tier: its threshold and its offer.
fn tier(f: &Fields<'_>, prefix: &str, row: usize) -> Group {
    let mut tier = Group::new(prefix, f.page.t1("promotions-group-tier", "n", row + 1));
    let options: Vec<(&str, &str)> = TIER_OFFER_TYPES.iter().map(|t| (*t, type_key(t))).collect();
    tier.fields = vec![
        f.choose(
            "select",
            &format!("{prefix}.bound"),
            "promotions-field-bound",
            &[
                ("from", "promotions-bound-from"),
                ("over", "promotions-bound-over"),
            ],
        ),
        f.amount(&format!("{prefix}.threshold"), "promotions-field-threshold"),
        f.choose(
            "select",
            &format!("{prefix}.offer.type"),
            "promotions-field-tier-offer",
            &options,
        ),
    ];
    tier.fields
        .extend(item_fields(f, &format!("{prefix}.offer."), "", true));
    tier
}

fn buy_x_get_y_fields(f: &Fields<'_>, kind: &str) -> Vec<Field> {
    let name = |field: &str| offer_field(kind, field);
    vec![
        f.count(&name("buy"), "promotions-field-buy"),
        f.hinted(
            f.count(&name("get"), "promotions-field-get"),
            "promotions-hint-get",
        ),
        f.choose(
            "select",
            &name("reward.type"),
            "promotions-field-reward",
            &[
                ("free", "promotions-reward-free"),
                ("percent_off", "promotions-reward-percent-off"),
                ("amount_off", "promotions-reward-amount-off"),
                ("unit_price", "promotions-reward-unit-price"),
            ],
        ),
        f.hinted(
            f.amount(&name("reward.value"), "promotions-field-reward-value"),
            "promotions-hint-reward-value",
        ),
        f.choose(
            "select",
            &name("rewarded"),
            "promotions-field-rewarded",
            &[
                ("cheapest", "promotions-pick-cheapest"),
                ("most_expensive", "promotions-pick-most-expensive"),
            ],
        ),
        f.count(
            &name("max_applications"),
            "promotions-field-max-applications",
        ),
        f.check(&name("per_line"), "promotions-field-per-line"),
        f.check(&name("partial_rewards"), "promotions-field-partial-rewards"),
    ]
}
