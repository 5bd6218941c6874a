//! Invariants that hold for any rules and any cart: no negative amounts, parts that sum exactly,
//! results independent of the order of lines and promotions, evaluation that is repeatable.

#![allow(clippy::unwrap_used)] // generated inputs are valid by construction; a failure is a finding

use proptest::prelude::*;
use remise_engine::cart::{Cart, CartLine, PresentedCode, ShippingOption, Voucher};
use remise_engine::money::Money;
use remise_engine::rules::{
    Catalog, Combination, Conditions, Coupon, Display, Offer, Product, Promotion, RULES_FORMAT,
    Rounding, RuleSet, Segment, Selection, StoreSettings, Targets, Tier, TierBasis,
};
use remise_engine::{PriceRequest, Quote, compile};
use rust_decimal::Decimal;

const SKUS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];
const SEGMENTS: [&str; 3] = ["toys", "marvel", "garden"];

fn cents(max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max).prop_map(|c| Decimal::new(c, 2))
}

fn product(i: usize) -> impl Strategy<Value = Product> {
    (
        cents(20_000),
        prop::sample::select(vec![
            Decimal::ZERO,
            Decimal::new(55, 3),
            Decimal::new(1, 1),
            Decimal::new(2, 1),
        ]),
        prop::sample::select(vec!["toys", "marvel", "garden"]),
    )
        .prop_map(move |(price, tax_rate, segment)| Product {
            name: format!("Product {}", SKUS[i]),
            tax_rate,
            segments: vec![segment.to_owned()],
            ..Product::new(SKUS[i], price)
        })
}

fn item_offer() -> impl Strategy<Value = Offer> {
    prop_oneof![
        (0..=100i64, prop::option::of(1..4u32)).prop_map(|(p, max_units)| Offer::PercentOff {
            percent: Decimal::from(p),
            max_units,
            max_units_per_line: None,
            pick: Default::default(),
        }),
        cents(5_000).prop_map(|amount| Offer::AmountOffEach {
            amount,
            max_units: None,
            max_units_per_line: None,
            pick: Default::default()
        }),
        cents(20_000).prop_map(|amount| Offer::AmountOffTotal { amount }),
        cents(20_000).prop_map(|price| Offer::UnitPrice {
            price,
            max_units: None,
            max_units_per_line: None,
            pick: Default::default()
        }),
        (0..=100i64).prop_map(|p| Offer::CartPercentOff {
            percent: Decimal::from(p),
            include_shipping: false,
        }),
        cents(50_000).prop_map(|amount| Offer::CartAmountOff {
            amount,
            include_shipping: false
        }),
    ]
}

fn offer() -> impl Strategy<Value = Offer> {
    prop_oneof![
        4 => item_offer(),
        1 => (cents(30_000), item_offer(), item_offer()).prop_map(|(from, low, high)| Offer::Tiered {
            basis: TierBasis::Spend,
            tiers: vec![
                Tier { from: Some(from), over: None, offer: low },
                Tier { from: None, over: Some(from + Decimal::ONE_HUNDRED), offer: high },
            ],
        }),
        1 => Just(Offer::FreeShipping { methods: vec!["standard".to_owned()] }),
        1 => (0..=100i64).prop_map(|p| Offer::ShippingPercentOff { percent: Decimal::from(p), methods: vec![] }),
        1 => cents(1_000).prop_map(|amount| Offer::ShippingAmountOff { amount, methods: vec![] }),
        1 => cents(1_000).prop_map(|price| Offer::ShippingCappedPrice { price, methods: vec![] }),
    ]
}

fn targets() -> impl Strategy<Value = Option<Targets>> {
    prop_oneof![
        Just(None),
        prop::sample::subsequence(SKUS.to_vec(), 1..3).prop_map(|skus| Some(Targets {
            skus: skus.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })),
        prop::sample::select(SEGMENTS.to_vec()).prop_map(|s| Some(Targets {
            segments: vec![s.to_owned()],
            ..Default::default()
        })),
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
        prop::option::of(cents(40_000)),
        any::<bool>(),
    )
        .prop_map(
            move |(priority, combination, targets, offer, min_cart_amount, coupon)| Promotion {
                name: format!("Promotion {i}"),
                priority,
                combination,
                targets,
                conditions: Conditions {
                    min_cart_amount,
                    coupon: coupon.then(|| Coupon {
                        codes: vec!["SAVE".to_owned()],
                    }),
                    ..Default::default()
                },
                ..Promotion::new(format!("p{i}"), offer)
            },
        )
}

fn rules() -> impl Strategy<Value = RuleSet> {
    (
        (
            product(0),
            product(1),
            product(2),
            product(3),
            product(4),
            product(5),
        ),
        prop::collection::vec(0..6usize, 0..6),
        prop::sample::select(vec![Rounding::HalfAwayFromZero, Rounding::HalfEven]),
        any::<bool>(),
        prop::sample::select(vec![Display::Gross, Display::Net]),
    )
        .prop_flat_map(
            |(products, promotion_count, rounding, prices_include_tax, display)| {
                let promotions: Vec<_> = (0..promotion_count.len()).map(promotion).collect();
                let products = vec![
                    products.0, products.1, products.2, products.3, products.4, products.5,
                ];
                (
                    Just(products),
                    promotions,
                    Just((rounding, prices_include_tax, display)),
                )
            },
        )
        .prop_map(
            |(products, promotions, (rounding, prices_include_tax, default_display))| RuleSet {
                format: RULES_FORMAT.to_owned(),
                store: StoreSettings {
                    rounding,
                    prices_include_tax,
                    default_display,
                    ..Default::default()
                },
                catalog: Catalog {
                    segments: vec![
                        Segment {
                            id: "toys".into(),
                            name: "Toys".into(),
                            parent: None,
                            star: false,
                            keywords: Vec::new(),
                        },
                        Segment {
                            id: "marvel".into(),
                            name: "Marvel".into(),
                            parent: Some("toys".into()),
                            star: false,
                            keywords: Vec::new(),
                        },
                        Segment {
                            id: "garden".into(),
                            name: "Garden".into(),
                            parent: None,
                            star: false,
                            keywords: Vec::new(),
                        },
                    ],
                    products,
                    selections: vec![Selection {
                        id: "picks".into(),
                        name: "Picks".into(),
                        skus: vec!["A".into(), "C".into(), "E".into()],
                        filter: None,
                    }],
                },
                promotions,
                offers: Vec::new(),
            },
        )
}

/// Up to three vouchers: on any purchase, on some skus, or on the selection `picks`.
fn vouchers() -> impl Strategy<Value = Vec<Voucher>> {
    prop::collection::vec((1..=30_000i64, 0..3usize), 0..4).prop_map(|vouchers| {
        vouchers
            .into_iter()
            .enumerate()
            .map(|(i, (cents, scope))| {
                let voucher = Voucher::new(format!("V{i}"), Decimal::new(cents, 2));
                match scope {
                    0 => voucher,
                    1 => Voucher {
                        skus: vec!["B".into(), "C".into()],
                        ..voucher
                    },
                    _ => Voucher {
                        selections: vec!["picks".into()],
                        ..voucher
                    },
                }
            })
            .collect()
    })
}

fn cart() -> impl Strategy<Value = Cart> {
    (
        prop::collection::vec((0..6usize, 1..5u32), 0..6),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["standard", "express"])),
        cents(1_500),
        vouchers(),
    )
        .prop_map(
            |(lines, coupon, shipping_method, shipping_price, vouchers)| {
                let lines = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (p, quantity))| CartLine {
                        id: Some(format!("l{i}")),
                        ..CartLine::new(SKUS[p], quantity)
                    })
                    .collect();
                let option = |method: &str, price| ShippingOption {
                    method: method.into(),
                    price,
                    tax_rate: Decimal::new(2, 1),
                };
                Cart {
                    channel: Some("web".to_owned()),
                    codes: if coupon {
                        vec![PresentedCode::Plain("save".to_owned())]
                    } else {
                        vec![]
                    },
                    shipping_options: vec![
                        option("standard", shipping_price),
                        option("express", shipping_price * Decimal::TWO),
                    ],
                    shipping_method: shipping_method.map(str::to_owned),
                    vouchers,
                    ..Cart::new("2026-12-05T10:00:00Z", lines)
                }
            },
        )
}

/// The quote as JSON: what a client sees, and comparable across snapshots.
fn evaluate(rules: &RuleSet, cart: &Cart) -> serde_json::Value {
    let snapshot = compile(rules).unwrap();
    let quote = snapshot.evaluate(cart).unwrap();
    assert_consistent(&quote);
    serde_json::to_value(&quote).unwrap()
}

fn assert_consistent(quote: &Quote) {
    let zero = Decimal::ZERO;
    let mut merchandise_gross = zero;
    let mut discount = zero;
    let mut vouchers = zero;
    for line in &quote.lines {
        assert!(line.amount >= zero, "negative line amount {line:?}");
        assert!(
            line.discounts.iter().all(|d| d.amount >= zero),
            "negative discount {line:?}"
        );
        let discounts: Decimal = line.discounts.iter().map(|d| d.amount).sum();
        assert_eq!(line.discount, discounts);
        assert!(
            line.vouchers.iter().all(|v| v.amount > zero),
            "a voucher part that is not positive {line:?}"
        );
        let paid: Decimal = line.vouchers.iter().map(|v| v.amount).sum();
        assert_eq!(
            line.subtotal - line.discount - paid,
            line.amount,
            "{line:?}"
        );
        vouchers += paid;
        assert_eq!(line.total.net + line.total.tax, line.total.gross);
        assert!(line.total.net >= zero && line.total.tax >= zero);
        assert!(line.catalog_unit_price <= line.reference_unit_price);
        merchandise_gross += line.total.gross;
        discount += line.discount;
    }
    for option in &quote.shipping {
        assert!(
            option.amount >= zero && option.amount <= option.price,
            "{option:?}"
        );
    }
    let t = &quote.totals;
    assert_eq!(t.merchandise.gross, merchandise_gross);
    assert_eq!(t.discount, discount);
    assert_eq!(t.vouchers.is_some(), !quote.vouchers.is_empty());
    assert_eq!(t.vouchers.unwrap_or(zero), vouchers);
    let mut granted = zero;
    for voucher in &quote.vouchers {
        assert!(
            voucher.granted >= zero && voucher.granted <= voucher.amount,
            "{voucher:?}"
        );
        assert_eq!(voucher.amount - voucher.granted, voucher.remaining);
        assert_eq!(
            voucher.lines.iter().map(|l| l.amount).sum::<Decimal>(),
            voucher.granted
        );
        // Each part is on the line, under the voucher's code.
        for part in &voucher.lines {
            let line = quote.lines.iter().find(|l| l.id == part.line).unwrap();
            assert!(
                line.vouchers
                    .iter()
                    .any(|v| v.code == voucher.code && v.amount == part.amount),
                "{voucher:?} on {line:?}"
            );
        }
        granted += voucher.granted;
    }
    assert_eq!(granted, vouchers);
    assert_eq!(
        t.subtotal - t.discount - t.vouchers.unwrap_or(zero),
        quote.lines.iter().map(|l| l.amount).sum::<Decimal>()
    );
    assert_eq!(t.grand.gross, t.merchandise.gross + t.shipping.gross);
    assert_eq!(t.grand.net + t.grand.tax, t.grand.gross);
    assert!(t.grand.gross >= zero && t.grand.net >= zero);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn amounts_are_never_negative_and_parts_sum_to_totals(rules in rules(), cart in cart()) {
        evaluate(&rules, &cart);
    }

    #[test]
    fn vouchers_apply_after_every_promotion_and_only_to_merchandise(rules in rules(), cart in cart()) {
        // The same cart without its vouchers: the promotions and shipping do not change, and the
        // vouchers take exactly what they granted off the merchandise.
        let snapshot = compile(&rules).unwrap();
        let with = snapshot.evaluate(&cart).unwrap();
        let bare = Cart { vouchers: Vec::new(), ..cart.clone() };
        let without = snapshot.evaluate(&bare).unwrap();
        prop_assert_eq!(&with.promotions, &without.promotions);
        prop_assert_eq!(&with.shipping, &without.shipping);
        prop_assert_eq!(&with.codes, &without.codes);
        prop_assert_eq!(&with.nudges, &without.nudges);
        prop_assert_eq!(with.totals.discount, without.totals.discount);
        prop_assert_eq!(with.totals.shipping, without.totals.shipping);
        let granted = with.totals.vouchers.unwrap_or(Decimal::ZERO);
        let shown = |q: &Quote| match q.display {
            Display::Gross => q.totals.grand.gross,
            Display::Net => q.totals.grand.net,
        };
        prop_assert_eq!(shown(&without) - granted, shown(&with));
        for (w, b) in with.lines.iter().zip(&without.lines) {
            prop_assert_eq!(&w.discounts, &b.discounts);
            let paid: Decimal = w.vouchers.iter().map(|v| v.amount).sum();
            prop_assert_eq!(b.amount - paid, w.amount);
        }
        // A voucher on any purchase grants all it can: its amount, or all that was left.
        let mut left: Decimal = without.lines.iter().map(|l| l.amount).sum();
        for (voucher, asked) in with.vouchers.iter().zip(&cart.vouchers) {
            if asked.skus.is_empty() && asked.selections.is_empty() {
                prop_assert_eq!(voucher.granted, voucher.amount.min(left), "{:?}", voucher);
            }
            left -= voucher.granted;
        }
    }

    #[test]
    fn evaluating_twice_gives_the_same_quote(rules in rules(), cart in cart()) {
        let snapshot = compile(&rules).unwrap();
        prop_assert_eq!(snapshot.evaluate(&cart).unwrap(), snapshot.evaluate(&cart).unwrap());
    }

    #[test]
    fn the_order_of_cart_lines_does_not_matter(rules in rules(), cart in cart(), seed in any::<u64>()) {
        let quote = evaluate(&rules, &cart);
        let mut shuffled = cart.clone();
        shuffle(&mut shuffled.lines, seed);
        let mut other = evaluate(&rules, &shuffled);
        // Lines come back in request order: put them back in the original order to compare.
        let lines = other["lines"].as_array_mut().unwrap();
        lines.sort_by_key(|l| cart.lines.iter().position(|c| c.id.as_deref() == l["id"].as_str()));
        prop_assert_eq!(quote, other);
    }

    #[test]
    fn the_order_of_promotions_in_the_file_does_not_matter(rules in rules(), cart in cart(), seed in any::<u64>()) {
        let mut shuffled = rules.clone();
        shuffle(&mut shuffled.promotions, seed);
        prop_assert_eq!(evaluate(&rules, &cart), evaluate(&shuffled, &cart));
    }

    #[test]
    fn catalog_prices_agree_with_the_cart(rules in rules(), cart in cart()) {
        // Two paths compute a catalog price: the batch price request and the cart's lines.
        let snapshot = compile(&rules).unwrap();
        let request = PriceRequest {
            customer: cart.customer.clone(),
            channel: cart.channel.clone(),
            at: cart.at.clone(),
            display: None,
            skus: SKUS.iter().map(|s| s.to_string()).collect(),
        };
        let prices = snapshot.price(&request).unwrap();
        let quote = snapshot.evaluate(&cart).unwrap();
        for line in &quote.lines {
            let price = prices.iter().find(|p| p.sku == line.sku).unwrap();
            prop_assert_eq!(price.reference_price, line.reference_unit_price);
            prop_assert_eq!(price.price, line.catalog_unit_price, "{}", line.sku);
            prop_assert_eq!(price.promotion, line.catalog_promotion);
            prop_assert!(price.price <= price.reference_price && price.price >= Decimal::ZERO);
        }
    }

    #[test]
    fn split_amounts_sum_to_the_whole(total in cents(1_000_000), weights in prop::collection::vec(cents(100_000), 1..30)) {
        for rounding in [Rounding::HalfAwayFromZero, Rounding::HalfEven] {
            let money = Money::parse("EUR", rounding).unwrap();
            let mut parts = Vec::new();
            money.allocate(total, &weights, &mut parts);
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().sum::<Decimal>(), total);
            prop_assert!(parts.iter().all(|p| *p >= Decimal::ZERO && p.scale() == 2));
            let sum: Decimal = weights.iter().sum();
            if total <= sum {
                // No part exceeds its weight: a split discount never exceeds its line.
                prop_assert!(parts.iter().zip(&weights).all(|(p, w)| p <= w), "{:?} over {:?}", parts, weights);
            }
        }
    }
}

/// A deterministic Fisher–Yates shuffle driven by `seed` (proptest shrinks the seed).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}
