//! Best for customer, checked against brute force and for its invariants, on random small carts
//! mixing multi-buys, bundles and percentages with every combination mode.

#![allow(clippy::unwrap_used)] // generated inputs are valid by construction; a failure is a finding

use proptest::prelude::*;
use remise_engine::cart::{Cart, CartLine, Voucher};
use remise_engine::compile;
use remise_engine::rules::{
    BundlePrice, BundleSlot, Catalog, Combination, Offer, Product, Promotion, RULES_FORMAT, Reward,
    RewardOrder, RuleSet, StoreSettings, Strategy as PricingStrategy, Targets,
};
use rust_decimal::Decimal;
use serde_json::Value;

const SKUS: [&str; 4] = ["A", "B", "C", "D"];

fn skus(indices: &[usize]) -> Targets {
    Targets {
        skus: indices.iter().map(|&i| SKUS[i].to_owned()).collect(),
        ..Targets::default()
    }
}

fn targets() -> impl Strategy<Value = Targets> {
    prop::sample::subsequence(vec![0usize, 1, 2, 3], 1..4).prop_map(|s| skus(&s))
}

fn offer() -> impl Strategy<Value = Offer> {
    prop_oneof![
        (1..60i64).prop_map(|p| Offer::PercentOff {
            percent: Decimal::from(p),
            max_units: None,
            max_units_per_line: None,
            pick: Default::default(),
        }),
        (100..1500i64).prop_map(|c| Offer::AmountOffTotal {
            amount: Decimal::new(c, 2)
        }),
        (
            1..3u32,
            1..2u32,
            prop::option::of(targets()),
            any::<bool>(),
            prop::option::of(1..3u32)
        )
            .prop_map(|(buy, get, reward_targets, expensive, max_applications)| {
                Offer::BuyXGetY {
                    buy,
                    get,
                    reward_targets,
                    reward: Reward::Free,
                    rewarded: if expensive {
                        RewardOrder::MostExpensive
                    } else {
                        RewardOrder::Cheapest
                    },
                    max_applications,
                    per_line: false,
                    partial_rewards: false,
                }
            }),
        (targets(), targets(), 100..3000i64).prop_map(|(a, b, price)| Offer::Bundle {
            slots: vec![
                BundleSlot {
                    targets: a,
                    quantity: 1
                },
                BundleSlot {
                    targets: b,
                    quantity: 1
                },
            ],
            price: BundlePrice::Price {
                price: Decimal::new(price, 2)
            },
            max_applications: None,
        }),
    ]
}

fn promotion(i: usize) -> impl Strategy<Value = Promotion> {
    (
        0..3i32,
        prop::sample::select(vec![
            Combination::Stackable,
            Combination::StopFurther,
            Combination::Exclusive,
        ]),
        targets(),
        offer(),
    )
        .prop_map(move |(priority, combination, targets, offer)| Promotion {
            name: format!("Promotion {i}"),
            priority,
            combination,
            targets: Some(targets),
            ..Promotion::new(format!("p{i}"), offer)
        })
}

fn rules() -> impl Strategy<Value = RuleSet> {
    (
        prop::collection::vec(100..5000i64, 4),
        (1..=4usize).prop_flat_map(|n| (0..n).map(promotion).collect::<Vec<_>>()),
    )
        .prop_map(|(prices, promotions)| RuleSet {
            format: RULES_FORMAT.to_owned(),
            store: StoreSettings {
                strategy: PricingStrategy::BestForCustomer,
                ..StoreSettings::default()
            },
            catalog: Catalog {
                products: prices
                    .iter()
                    .enumerate()
                    .map(|(i, &cents)| Product {
                        name: SKUS[i].to_owned(),
                        ..Product::new(SKUS[i], Decimal::new(cents, 2))
                    })
                    .collect(),
                ..Catalog::default()
            },
            promotions,
            offers: Vec::new(),
        })
}

/// At most 8 units over at most 4 lines.
fn cart() -> impl Strategy<Value = Cart> {
    prop::sample::subsequence(vec![0usize, 1, 2, 3], 1..=4)
        .prop_flat_map(|products| {
            let n = products.len();
            (Just(products), prop::collection::vec(1..=2u32, n))
        })
        .prop_map(|(products, quantities)| {
            let lines = products
                .iter()
                .zip(quantities)
                .map(|(&p, quantity)| CartLine {
                    id: Some(format!("line-{}", SKUS[p])),
                    ..CartLine::new(SKUS[p], quantity)
                })
                .collect();
            Cart {
                compare_strategies: true,
                ..Cart::new("2026-12-05T10:00:00Z", lines)
            }
        })
}

fn quote(rules: &RuleSet, cart: &Cart) -> Value {
    let snapshot = compile(rules).unwrap();
    serde_json::to_value(snapshot.evaluate(cart).unwrap()).unwrap()
}

fn grand(quote: &Value) -> Decimal {
    quote["totals"]["grand"]["gross"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The lowest total over every subset of the promotions and every cap on the number of
/// applications of multi-unit ones, each evaluated with the priority strategy.
fn brute_force(rules: &RuleSet, cart: &Cart) -> Decimal {
    let units = u32::try_from(cart.lines.iter().map(|l| l.quantity).sum::<i64>()).unwrap();
    let mut variants: Vec<Vec<Option<Promotion>>> = vec![vec![]];
    for promotion in &rules.promotions {
        let multi = matches!(
            promotion.offer,
            Offer::BuyXGetY { .. } | Offer::Bundle { .. }
        );
        let mut options = vec![None, Some(promotion.clone())];
        if multi {
            for cap in 1..=units {
                let mut capped = promotion.clone();
                match &mut capped.offer {
                    Offer::BuyXGetY {
                        max_applications, ..
                    }
                    | Offer::Bundle {
                        max_applications, ..
                    } => *max_applications = Some(max_applications.map_or(cap, |m| m.min(cap))),
                    _ => unreachable!("only multi-unit offers are capped"),
                }
                options.push(Some(capped));
            }
        }
        variants = variants
            .into_iter()
            .flat_map(|v| {
                options.iter().map(move |o| {
                    let mut v = v.clone();
                    v.push(o.clone());
                    v
                })
            })
            .collect();
    }
    variants
        .into_iter()
        .map(|promotions| {
            let mut subset = rules.clone();
            subset.store.strategy = PricingStrategy::Priority;
            subset.promotions = promotions.into_iter().flatten().collect();
            grand(&quote(&subset, cart))
        })
        .min()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn best_for_customer_matches_brute_force(rules in rules(), cart in cart()) {
        let best = quote(&rules, &cart);
        let report = &best["best_for_customer"];
        prop_assert_eq!(&report["exact"], &Value::Bool(true));
        prop_assert_eq!(grand(&best), brute_force(&rules, &cart), "{}", best);
    }

    #[test]
    fn best_for_customer_never_costs_more_than_priority(rules in rules(), cart in cart()) {
        let best = quote(&rules, &cart);
        let mut by_priority = rules.clone();
        by_priority.store.strategy = PricingStrategy::Priority;
        let priority = quote(&by_priority, &cart);
        prop_assert!(grand(&best) <= grand(&priority));
        // The priority quote reports what the other strategy saves, when that comparison is cheap.
        if let Some(saving) = priority["best_for_customer"]["saving"].as_str() {
            let saving: Decimal = saving.parse().unwrap();
            prop_assert_eq!(grand(&priority) - saving, grand(&best));
        }
    }

    #[test]
    fn vouchers_are_spent_on_the_chosen_plan_not_part_of_it(rules in rules(), cart in cart(), cents in 1..8000i64) {
        // The plan, its report and every promotion's outcome are those of the cart without the
        // voucher; the voucher then takes what it can of the best total (these carts have no
        // shipping).
        let amount = Decimal::new(cents, 2);
        let without = quote(&rules, &cart);
        let with = quote(&rules, &Cart { vouchers: vec![Voucher::new("GIFT", amount)], ..cart.clone() });
        prop_assert_eq!(&with["promotions"], &without["promotions"]);
        prop_assert_eq!(&with["best_for_customer"], &without["best_for_customer"]);
        let granted = amount.min(grand(&without));
        prop_assert_eq!(grand(&with), grand(&without) - granted);
        prop_assert_eq!(with["vouchers"][0]["granted"].as_str().unwrap().parse::<Decimal>().unwrap(), granted);
    }

    #[test]
    fn best_for_customer_ignores_the_order_of_lines(rules in rules(), cart in cart()) {
        let mut reversed = cart.clone();
        reversed.lines.reverse();
        let (a, mut b) = (quote(&rules, &cart), quote(&rules, &reversed));
        b["lines"].as_array_mut().unwrap().reverse();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn multi_unit_offers_use_each_unit_once(rules in rules(), cart in cart()) {
        let quote = quote(&rules, &cart);
        for outcome in quote["promotions"].as_array().unwrap() {
            let Some(applications) = outcome.get("applications").and_then(Value::as_array) else {
                continue;
            };
            let mut used = std::collections::BTreeMap::<String, u64>::new();
            for application in applications {
                for role in ["triggers", "rewards", "units"] {
                    for units in application.get(role).and_then(Value::as_array).into_iter().flatten() {
                        *used.entry(units["line"].as_str().unwrap().to_owned()).or_default() +=
                            units["units"].as_u64().unwrap();
                    }
                }
            }
            // A unit is never both a trigger and a reward, nor in two bundles: what a promotion
            // uses of a line never exceeds the line's quantity.
            for (line, count) in used {
                let quantity = quote["lines"].as_array().unwrap().iter()
                    .find(|l| l["id"] == line.as_str()).unwrap()["quantity"].as_u64().unwrap();
                prop_assert!(count <= quantity, "{} uses {} of {} units", outcome["id"], count, quantity);
            }
        }
    }
}
