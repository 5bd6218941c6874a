//! Prices that never surprise (issue 9): the price of a cart does not depend on how the shop
//! grouped units into lines, and the catalog price of a product is what one unit of it pays in a
//! cart with no code, before cart-level promotions; both also for customers with B2B offers.

#![allow(clippy::unwrap_used)] // generated inputs are valid by construction; a failure is a finding

use proptest::prelude::*;
use remise_engine::cart::{Cart, CartLine, Customer, PriceRequest};
use remise_engine::compile;
use remise_engine::rules::{
    BundlePrice, BundleSlot, Catalog, Combination, Commitment, Conditions, ContractDiscount,
    CustomerOffer, Display, GroupSettings, Offer, OfferScope, Product, Promotion, QuantityBreak,
    Reward, RewardOrder, RuleSet, Segment, StoreSettings, Targets,
};
use rust_decimal::Decimal;

const SKUS: [&str; 4] = ["A", "B", "C", "D"];

fn euros(amount: i64) -> Decimal {
    Decimal::new(amount * 100, 2)
}

fn targets() -> impl Strategy<Value = Option<Targets>> {
    prop_oneof![
        Just(None),
        prop::sample::subsequence(SKUS.to_vec(), 1..3).prop_map(|skus| Some(Targets {
            skus: skus.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })),
    ]
}

fn combination() -> impl Strategy<Value = Combination> {
    prop::sample::select(vec![
        Combination::Stackable,
        Combination::Stackable,
        Combination::StopFurther,
        Combination::Exclusive,
    ])
}

/// Offers whose every step stays exact at the cent on the prices below (multiples of 10,000.00
/// and at most three percentages in a row), so that rounding once per line cannot tell a line of
/// four from four lines of one: what is left is then the semantics alone. Amounts off a whole
/// (`amount_off_total`, cart offers) are left out: split over lines by largest remainder, they
/// leave lines at amounts a later percentage rounds differently per line, which is the rounding
/// rule (once per line, DESIGN §2.1) and not a difference of semantics; so are budgets, for the
/// same reason (a capped discount is split over lines).
fn exact_offer() -> impl Strategy<Value = Offer> {
    let percent = (1..=100i64).prop_map(Decimal::from);
    let amount = (1..=3i64).prop_map(|k| euros(k * 10_000));
    prop_oneof![
        (percent.clone(), prop::option::of(1..4u32)).prop_map(|(percent, max_units)| {
            Offer::PercentOff {
                percent,
                max_units,
                max_units_per_line: None,
                pick: Default::default(),
            }
        }),
        amount.clone().prop_map(|amount| Offer::AmountOffEach {
            amount,
            max_units: None,
            max_units_per_line: None,
            pick: Default::default()
        }),
        amount.clone().prop_map(|price| Offer::UnitPrice {
            price,
            max_units: None,
            max_units_per_line: None,
            pick: Default::default()
        }),
        (
            1..3u32,
            1..3u32,
            prop_oneof![
                Just(Reward::Free),
                percent
                    .clone()
                    .prop_map(|percent| Reward::PercentOff { percent }),
                amount
                    .clone()
                    .prop_map(|amount| Reward::AmountOff { amount }),
            ],
            any::<bool>(),
            prop::option::of(1..3u32),
        )
            .prop_map(|(buy, get, reward, cheapest, max_applications)| {
                Offer::BuyXGetY {
                    buy,
                    get,
                    reward_targets: None,
                    reward,
                    rewarded: if cheapest {
                        RewardOrder::Cheapest
                    } else {
                        RewardOrder::MostExpensive
                    },
                    max_applications,
                    per_line: false,
                    partial_rewards: false,
                }
            }),
        (prop::sample::select(SKUS.to_vec()), 1..3u32, amount).prop_map(
            |(sku, quantity, amount)| {
                Offer::Bundle {
                    slots: vec![BundleSlot {
                        targets: Targets {
                            skus: vec![sku.to_owned()],
                            ..Default::default()
                        },
                        quantity,
                    }],
                    price: BundlePrice::AmountOff { amount },
                    max_applications: None,
                }
            }
        ),
    ]
}

fn exact_promotion(i: usize) -> impl Strategy<Value = Promotion> {
    (
        0..3i32,
        combination(),
        targets(),
        exact_offer(),
        prop::option::of(0..4u32),
    )
        .prop_map(
            move |(priority, combination, targets, offer, min_quantity)| Promotion {
                priority,
                combination,
                targets: if matches!(offer, Offer::Bundle { .. }) {
                    None
                } else {
                    targets
                },
                conditions: Conditions {
                    min_quantity,
                    ..Default::default()
                },
                ..Promotion::new(format!("p{i}"), offer)
            },
        )
}

fn rules_with(promotions: impl Strategy<Value = Vec<Promotion>>) -> impl Strategy<Value = RuleSet> {
    (prop::collection::vec(1..=6i64, 4), promotions).prop_map(|(prices, promotions)| RuleSet {
        store: StoreSettings::default(),
        catalog: Catalog {
            products: SKUS
                .iter()
                .zip(prices)
                .map(|(sku, k)| Product {
                    tax_rate: Decimal::new(2, 1),
                    ..Product::new(*sku, euros(k * 10_000))
                })
                .collect(),
            ..Default::default()
        },
        promotions,
        ..Default::default()
    })
}

/// Units per product, each product's units cut into lines at the given points.
fn units() -> impl Strategy<Value = Vec<(usize, u32, Vec<u32>)>> {
    prop::collection::vec(
        (0..SKUS.len(), 1..6u32, prop::collection::vec(1..6u32, 0..3)),
        1..4,
    )
}

fn cart(lines: Vec<CartLine>) -> Cart {
    Cart::new("2026-12-05T10:00:00Z", lines)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn splitting_or_merging_lines_of_a_product_never_changes_the_total(
        rules in rules_with((0..4usize).prop_flat_map(|n| (0..n).map(exact_promotion).collect::<Vec<_>>())),
        units in units(),
    ) {
        let snapshot = compile(&rules).unwrap();
        // One line per product, the same units cut into several lines, and one line per unit.
        let mut merged: Vec<(usize, u32)> = Vec::new();
        for &(p, quantity, _) in &units {
            match merged.iter_mut().find(|(q, _)| *q == p) {
                Some((_, total)) => *total += quantity,
                None => merged.push((p, quantity)),
            }
        }
        let one_line_each: Vec<CartLine> =
            merged.iter().map(|&(p, q)| CartLine::new(SKUS[p], q)).collect();
        let mut cut = Vec::new();
        for &(p, quantity, ref cuts) in &units {
            let mut left = quantity;
            for &c in cuts {
                if c < left {
                    cut.push(CartLine::new(SKUS[p], c));
                    left -= c;
                }
            }
            cut.push(CartLine::new(SKUS[p], left));
        }
        let one_line_per_unit: Vec<CartLine> = merged
            .iter()
            .flat_map(|&(p, q)| (0..q).map(move |_| CartLine::new(SKUS[p], 1)))
            .collect();
        let totals: Vec<(Decimal, Decimal)> = [one_line_each, cut, one_line_per_unit]
            .into_iter()
            .map(|lines| {
                let cart = cart(lines);
                let quote = snapshot.evaluate(&cart).unwrap();
                (quote.totals.grand.gross, quote.totals.catalog_subtotal)
            })
            .collect();
        prop_assert_eq!(totals[0], totals[1], "cut into lines: {:?}", units);
        prop_assert_eq!(totals[0], totals[2], "one line per unit: {:?}", units);
    }

    #[test]
    fn the_catalog_price_is_what_one_unit_pays(
        rules in rules_with((0..6usize).prop_flat_map(|n| (0..n).map(catalog_promotion).collect::<Vec<_>>())),
        sku in 0..SKUS.len(),
    ) {
        let snapshot = compile(&rules).unwrap();
        let request = PriceRequest {
            customer: Default::default(),
            channel: None,
            at: "2026-12-05T10:00:00Z".to_owned(),
            display: None,
            skus: vec![SKUS[sku].to_owned()],
        };
        let price = &snapshot.price(&request).unwrap()[0];
        let one_unit = cart(vec![CartLine::new(SKUS[sku], 1)]);
        let quote = snapshot.evaluate(&one_unit).unwrap();
        let line = &quote.lines[0];
        prop_assert_eq!(price.price, line.amount, "{:#?}", quote.promotions);
        prop_assert_eq!(price.price, line.catalog_unit_price);
        prop_assert_eq!(price.price, quote.totals.catalog_subtotal);
        prop_assert_eq!(price.promotion, line.catalog_promotion);
        // The promotions in the price are those the cart applied, in the cart's order.
        let applied: Vec<&str> = line.discounts.iter().map(|d| d.promotion).collect();
        prop_assert_eq!(&price.promotions, &applied);
        // The one shown is of the highest priority among them.
        if let Some(shown) = price.promotion {
            let priority = |id: &str| rules.promotions.iter().find(|p| p.id == id).unwrap().priority;
            prop_assert!(applied.iter().all(|id| priority(id) <= priority(shown)));
        }
    }
}

/// A catalog promotion (DESIGN §1): a per-unit offer with no condition, any combination mode.
fn catalog_promotion(i: usize) -> impl Strategy<Value = Promotion> {
    let offer = prop_oneof![
        (1..=100i64).prop_map(|p| Offer::PercentOff {
            percent: Decimal::from(p),
            max_units: None,
            max_units_per_line: None,
            pick: Default::default(),
        }),
        (1..=2_000i64).prop_map(|c| Offer::AmountOffEach {
            amount: Decimal::new(c * 100, 2),
            max_units: None,
            max_units_per_line: None,
            pick: Default::default(),
        }),
        (1..=6_000i64).prop_map(|c| Offer::UnitPrice {
            price: Decimal::new(c * 100, 2),
            max_units: None,
            max_units_per_line: None,
            pick: Default::default(),
        }),
    ];
    (0..3i32, combination(), targets(), offer).prop_map(
        move |(priority, combination, targets, offer)| Promotion {
            priority,
            combination,
            targets,
            ..Promotion::new(format!("c{i}"), offer)
        },
    )
}

/// Any offer, on products that may have a minimum price and a cost.
fn any_offer() -> impl Strategy<Value = Offer> {
    let cents = |max: i64| (1..=max).prop_map(|c| Decimal::new(c, 2));
    prop_oneof![
        (
            1..=100i64,
            prop::option::of(1..4u32),
            prop::option::of(1..3u32)
        )
            .prop_map(|(p, max_units, max_units_per_line)| Offer::PercentOff {
                percent: Decimal::from(p),
                max_units,
                max_units_per_line,
                pick: Default::default(),
            }),
        cents(5_000).prop_map(Offer::amount_off_each),
        cents(5_000).prop_map(Offer::unit_price),
        cents(5_000).prop_map(|amount| Offer::AmountOffLine { amount }),
        cents(20_000).prop_map(|amount| Offer::AmountOffTotal { amount }),
        cents(20_000).prop_map(|amount| Offer::CartAmountOff {
            amount,
            include_shipping: false
        }),
        (1..=100i64).prop_map(|p| Offer::CartPercentOff {
            percent: Decimal::from(p),
            include_shipping: false
        }),
        (1..3u32, 1..3u32).prop_map(|(buy, get)| Offer::BuyXGetY {
            buy,
            get,
            reward_targets: None,
            reward: Reward::Free,
            rewarded: RewardOrder::Cheapest,
            max_applications: None,
            per_line: false,
            partial_rewards: false,
        }),
    ]
}

fn floored_rules() -> impl Strategy<Value = RuleSet> {
    let product = |sku: &'static str| {
        (
            1..=10_000i64,
            prop::option::of(0..=10_000i64),
            prop::option::of(0..=10_000i64),
        )
            .prop_map(move |(price, min_price, cost)| Product {
                tax_rate: Decimal::new(2, 1),
                cost: cost.map(|c| Decimal::new(c, 2)),
                min_price: min_price.map(|c| Decimal::new(c, 2)),
                ..Product::new(sku, Decimal::new(price, 2))
            })
    };
    let promotion = |i: usize| {
        (0..3i32, combination(), targets(), any_offer()).prop_map(
            move |(priority, combination, targets, offer)| Promotion {
                priority,
                combination,
                targets,
                ..Promotion::new(format!("f{i}"), offer)
            },
        )
    };
    (
        (product("A"), product("B"), product("C"), product("D")),
        (0..5usize).prop_flat_map(move |n| (0..n).map(promotion).collect::<Vec<_>>()),
        any::<bool>(),
    )
        .prop_map(|((a, b, c, d), promotions, floor_at_cost)| RuleSet {
            store: StoreSettings {
                floor_at_cost,
                ..Default::default()
            },
            catalog: Catalog {
                products: vec![a, b, c, d],
                ..Default::default()
            },
            promotions,
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_line_goes_below_its_floor(rules in floored_rules(), units in units()) {
        let snapshot = compile(&rules).unwrap();
        let lines = units.iter().map(|&(p, q, _)| CartLine::new(SKUS[p], q)).collect();
        let cart = cart(lines);
        let quote = snapshot.evaluate(&cart).unwrap();
        for line in &quote.lines {
            let product = rules.catalog.products.iter().find(|p| p.sku == line.sku).unwrap();
            let cost = product.cost.filter(|_| rules.store.floor_at_cost);
            let floor = match (product.min_price, cost) {
                (Some(a), Some(b)) => a.max(b),
                (a, b) => a.or(b).unwrap_or_default(),
            };
            let least = (floor * Decimal::from(line.quantity)).min(line.subtotal);
            prop_assert!(line.amount >= least, "{:?} below {}", line, least);
        }
        let request = PriceRequest {
            customer: Default::default(),
            channel: None,
            at: cart.at.clone(),
            display: None,
            skus: SKUS.iter().map(|s| s.to_string()).collect(),
        };
        for price in snapshot.price(&request).unwrap() {
            let product = rules.catalog.products.iter().find(|p| p.sku == price.sku).unwrap();
            let cost = product.cost.filter(|_| rules.store.floor_at_cost);
            let floor = product.min_price.max(cost).unwrap_or_default();
            prop_assert!(price.price >= floor.min(product.price), "{:?}", price);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// With B2B offers (issue 12): quantity breaks count the units of a sku in the whole cart, so the
// same invariants hold for customers with contract prices.

const CUSTOMERS: [&str; 3] = ["C1", "C2", "C3"];

/// A value that stays exact at the cent under up to three promotion percentages: fixed prices are
/// multiples of 10,000.00, and percentages are taken off list prices that are multiples of
/// 1,000,000.00.
fn contract_value() -> impl Strategy<Value = (Option<Decimal>, Option<Decimal>)> {
    prop_oneof![
        (1..=300i64).prop_map(|k| (Some(euros(k * 10_000)), None)),
        (1..=99i64).prop_map(|p| (None, Some(Decimal::from(p)))),
    ]
}

fn contract_discount(code: usize) -> impl Strategy<Value = ContractDiscount> {
    (
        prop_oneof![
            (0..SKUS.len()).prop_map(|i| (Some(SKUS[i].to_owned()), None)),
            prop::sample::select(vec!["top", "s1", "s2"]).prop_map(|s| (None, Some(s.to_owned()))),
        ],
        contract_value(),
        prop::option::of(1..4u32),
        prop::collection::vec((1..4u32, contract_value()), 0..3),
    )
        .prop_map(
            move |((sku, segment), (price, percent), min_quantity, steps)| {
                // Breaks above the minimum, increasing, of the discount's kind.
                let mut from = min_quantity.unwrap_or(1);
                let breaks = steps
                    .into_iter()
                    .map(|(step, (p, q))| {
                        from += step;
                        let value = if price.is_some() {
                            (p.or(price), None)
                        } else {
                            (None, q.or(percent))
                        };
                        QuantityBreak {
                            from,
                            price: value.0,
                            percent: value.1,
                        }
                    })
                    .collect();
                ContractDiscount {
                    code: format!("D{code}"),
                    sku,
                    segment,
                    price,
                    percent,
                    min_quantity,
                    breaks,
                }
            },
        )
}

fn customer_offer(i: usize) -> impl Strategy<Value = CustomerOffer> {
    let scope = prop_oneof![
        Just(OfferScope::All),
        Just(OfferScope::Group("g".to_owned())),
        prop::sample::select(CUSTOMERS.to_vec()).prop_map(|c| OfferScope::Customer(c.to_owned())),
    ];
    // Before, around or after the carts' instant (2026-12-05).
    let dates = prop::sample::select(vec![
        (None, None),
        (Some("2026-12-01"), Some("2026-12-31")),
        (Some("2026-12-06"), None),
        (None, Some("2026-12-04")),
    ]);
    let commitment = |number: u32| {
        (1..4usize)
            .prop_flat_map(|n| (0..n).map(contract_discount).collect::<Vec<_>>())
            .prop_map(move |discounts| Commitment {
                number,
                starts_on: None,
                ends_on: None,
                discounts,
            })
    };
    (
        scope,
        dates,
        prop::option::of(prop::sample::select(vec![
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
        ])),
        (1..3u32).prop_flat_map(move |n| (1..=n).map(commitment).collect::<Vec<_>>()),
    )
        .prop_map(
            move |(scope, (starts_on, ends_on), created_at, commitments)| CustomerOffer {
                title: format!("Offer {i}"),
                starts_on: starts_on.map(str::to_owned),
                ends_on: ends_on.map(str::to_owned),
                created_at: created_at.map(str::to_owned),
                commitments,
                ..CustomerOffer::new(format!("O{i}"), scope)
            },
        )
}

fn rules_with_offers(
    promotions: impl Strategy<Value = Vec<Promotion>>,
) -> impl Strategy<Value = RuleSet> {
    (
        prop::collection::vec(1..=6i64, 4),
        promotions,
        (0..6usize).prop_flat_map(|n| (0..n).map(customer_offer).collect::<Vec<_>>()),
        any::<bool>(),
    )
        .prop_map(|(prices, promotions, offers, on_offer_prices)| {
            let segment = |id: &str, parent: Option<&str>| Segment {
                id: id.to_owned(),
                name: id.to_owned(),
                parent: parent.map(str::to_owned),
                star: false,
                keywords: Vec::new(),
            };
            RuleSet {
                store: StoreSettings {
                    groups: [(
                        "g".to_owned(),
                        GroupSettings {
                            display: Display::Gross,
                        },
                    )]
                    .into(),
                    promotions_on_offer_prices: on_offer_prices,
                    ..StoreSettings::default()
                },
                catalog: Catalog {
                    segments: vec![
                        segment("top", None),
                        segment("s1", Some("top")),
                        segment("s2", Some("top")),
                    ],
                    products: SKUS
                        .iter()
                        .zip(prices)
                        .enumerate()
                        .map(|(i, (sku, k))| Product {
                            tax_rate: Decimal::new(2, 1),
                            segments: vec![if i < 2 { "s1" } else { "s2" }.to_owned()],
                            ..Product::new(*sku, euros(k * 1_000_000))
                        })
                        .collect(),
                    ..Default::default()
                },
                promotions,
                offers,
                ..Default::default()
            }
        })
}

fn customer() -> impl Strategy<Value = Customer> {
    (prop::sample::select(CUSTOMERS.to_vec()), any::<bool>()).prop_map(|(id, in_group)| Customer {
        id: Some(id.to_owned()),
        groups: if in_group {
            vec!["g".to_owned()]
        } else {
            Vec::new()
        },
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn with_offers_splitting_lines_of_a_product_never_changes_the_total(
        rules in rules_with_offers((0..4usize).prop_flat_map(|n| (0..n).map(exact_promotion).collect::<Vec<_>>())),
        units in units(),
        customer in customer(),
    ) {
        let snapshot = compile(&rules).unwrap();
        let mut merged: Vec<(usize, u32)> = Vec::new();
        for &(p, quantity, _) in &units {
            match merged.iter_mut().find(|(q, _)| *q == p) {
                Some((_, total)) => *total += quantity,
                None => merged.push((p, quantity)),
            }
        }
        let one_line_each: Vec<CartLine> =
            merged.iter().map(|&(p, q)| CartLine::new(SKUS[p], q)).collect();
        let one_line_per_unit: Vec<CartLine> = merged
            .iter()
            .flat_map(|&(p, q)| (0..q).map(move |_| CartLine::new(SKUS[p], 1)))
            .collect();
        let totals: Vec<(Decimal, Decimal)> = [one_line_each, one_line_per_unit]
            .into_iter()
            .map(|lines| {
                let cart = Cart { customer: customer.clone(), ..cart(lines) };
                let quote = snapshot.evaluate(&cart).unwrap();
                (quote.totals.grand.gross, quote.totals.catalog_subtotal)
            })
            .collect();
        prop_assert_eq!(totals[0], totals[1], "one line per unit: {:?}", units);
    }

    #[test]
    fn with_offers_the_catalog_price_is_what_one_unit_pays(
        rules in rules_with_offers((0..6usize).prop_flat_map(|n| (0..n).map(catalog_promotion).collect::<Vec<_>>())),
        sku in 0..SKUS.len(),
        customer in customer(),
    ) {
        let snapshot = compile(&rules).unwrap();
        let request = PriceRequest {
            customer: customer.clone(),
            channel: None,
            at: "2026-12-05T10:00:00Z".to_owned(),
            display: None,
            skus: vec![SKUS[sku].to_owned()],
        };
        let price = &snapshot.price(&request).unwrap()[0];
        let one_unit = Cart { customer, ..cart(vec![CartLine::new(SKUS[sku], 1)]) };
        let quote = snapshot.evaluate(&one_unit).unwrap();
        let line = &quote.lines[0];
        prop_assert_eq!(price.price, line.amount, "{:#?}", quote.promotions);
        prop_assert_eq!(price.price, line.catalog_unit_price);
        prop_assert_eq!(price.price_source, line.price_source);
        prop_assert_eq!(&price.offer, &line.offer);
        prop_assert_eq!(&price.offer_candidates, &line.offer_candidates);
        prop_assert_eq!(price.reference_price, line.reference_unit_price);
        prop_assert_eq!(price.promotion, line.catalog_promotion);
    }
}
