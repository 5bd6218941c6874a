//! `Snapshot::apply` against a full compile: any sequence of product, selection and promotion
//! changes applied one call at a time gives a snapshot that answers every cart and price request
//! exactly as a full compile of the final rules does.

#![allow(clippy::unwrap_used)] // generated inputs are valid by construction; a failure is a finding

use std::collections::BTreeMap;

use proptest::prelude::*;
use remise_engine::cart::{Cart, CartLine, Customer, PresentedCode};
use remise_engine::rules::{
    Audience, Catalog, Combination, Conditions, Coupon, Offer, Product, Promotion, RULES_FORMAT,
    RuleSet, Segment, Selection, StoreSettings, Targets,
};
use remise_engine::{PriceRequest, RuleChange, Snapshot, compile};
use rust_decimal::Decimal;

/// `G` is the gift of gift promotions: it is changed but never removed.
const SKUS: [&str; 7] = ["A", "B", "C", "D", "E", "F", "G"];
const SEGMENTS: [&str; 3] = ["toys", "marvel", "garden"];
const BRANDS: [&str; 3] = ["acme", "globex", "initech"];
const TAGS: [&str; 3] = ["new", "sale", "eco"];
const SELECTIONS: [&str; 2] = ["picks", "gifts"];

fn cents(max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max).prop_map(|c| Decimal::new(c, 2))
}

fn product() -> impl Strategy<Value = Product> {
    (
        0..SKUS.len(),
        cents(20_000),
        prop::sample::select(SEGMENTS.to_vec()),
        prop::option::of(prop::sample::select(BRANDS.to_vec())),
        prop::sample::subsequence(TAGS.to_vec(), 0..3),
        prop::option::of(cents(5_000)),
    )
        .prop_map(|(i, price, segment, brand, tags, min_price)| Product {
            name: format!("Product {} at {price}", SKUS[i]),
            tax_rate: Decimal::new(2, 1),
            segments: vec![segment.to_owned()],
            brand: brand.map(str::to_owned),
            tags: tags.into_iter().map(str::to_owned).collect(),
            min_price: min_price.filter(|m| *m <= price),
            ..Product::new(SKUS[i], price)
        })
}

fn selection() -> impl Strategy<Value = Selection> {
    (
        prop::sample::select(SELECTIONS.to_vec()),
        prop::sample::subsequence(SKUS.to_vec(), 0..5),
    )
        .prop_map(|(id, skus)| Selection {
            id: id.to_owned(),
            name: id.to_owned(),
            skus: skus.into_iter().map(str::to_owned).collect(),
        })
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
        prop::sample::select(SELECTIONS.to_vec()).prop_map(|s| Some(Targets {
            selections: vec![s.to_owned()],
            ..Default::default()
        })),
        // A brand or tag no product may have: interned by the promotion alone.
        prop::sample::select(vec!["acme", "globex", "umbrella"]).prop_map(|b| Some(Targets {
            brands: vec![b.to_owned()],
            ..Default::default()
        })),
        prop::sample::select(vec!["new", "sale", "vintage"]).prop_map(|t| Some(Targets {
            tags: vec![t.to_owned()],
            ..Default::default()
        })),
    ]
}

fn offer() -> impl Strategy<Value = Offer> {
    prop_oneof![
        (0..=100i64).prop_map(|p| Offer::PercentOff {
            percent: Decimal::from(p),
            max_units: None,
            max_units_per_line: None,
            pick: Default::default(),
        }),
        cents(3_000).prop_map(|amount| Offer::AmountOffEach {
            amount,
            max_units: None,
            max_units_per_line: None,
            pick: Default::default()
        }),
        cents(20_000).prop_map(|amount| Offer::AmountOffTotal { amount }),
        (0..=50i64).prop_map(|p| Offer::CartPercentOff {
            percent: Decimal::from(p),
            include_shipping: false,
        }),
        (1..3u32).prop_map(|quantity| Offer::Gift {
            sku: "G".to_owned(),
            quantity
        }),
    ]
}

fn promotion() -> impl Strategy<Value = Promotion> {
    (
        0..6usize,
        0..3i32,
        prop::sample::select(vec![
            Combination::Stackable,
            Combination::StopFurther,
            Combination::Exclusive,
        ]),
        targets(),
        offer(),
        prop::option::of(cents(30_000)),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["web", "kiosk"])),
        prop::option::of(prop::sample::select(vec!["pro", "vip"])),
    )
        .prop_map(
            |(
                i,
                priority,
                combination,
                targets,
                offer,
                min_cart_amount,
                coupon,
                channel,
                group,
            )| {
                Promotion {
                    name: format!("Promotion {i}"),
                    priority,
                    combination,
                    targets,
                    audience: Audience {
                        channels: channel.into_iter().map(str::to_owned).collect(),
                        groups: group.into_iter().map(str::to_owned).collect(),
                        ..Default::default()
                    },
                    conditions: Conditions {
                        min_cart_amount,
                        coupon: coupon.then(|| Coupon {
                            codes: vec!["SAVE".to_owned()],
                        }),
                        ..Default::default()
                    },
                    ..Promotion::new(format!("p{i}"), offer)
                }
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    PutProduct(Product),
    RemoveProduct(usize),
    PutSelection(Selection),
    PutPromotion(Box<Promotion>),
    RemovePromotion(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => product().prop_map(Op::PutProduct),
        1 => (0..SKUS.len() - 1).prop_map(Op::RemoveProduct),
        1 => selection().prop_map(Op::PutSelection),
        3 => promotion().prop_map(|p| Op::PutPromotion(Box::new(p))),
        1 => (0..6usize).prop_map(Op::RemovePromotion),
    ]
}

/// The documents of a store, as the server keeps them.
#[derive(Debug, Clone, Default)]
struct State {
    products: BTreeMap<String, Product>,
    selections: BTreeMap<String, Selection>,
    promotions: BTreeMap<String, Promotion>,
}

impl State {
    fn initial() -> State {
        let mut state = State::default();
        for sku in SKUS {
            state
                .products
                .insert(sku.to_owned(), Product::new(sku, Decimal::new(1_000, 2)));
        }
        for id in SELECTIONS {
            state.selections.insert(
                id.to_owned(),
                Selection {
                    id: id.to_owned(),
                    name: id.to_owned(),
                    skus: Vec::new(),
                },
            );
        }
        state
    }

    fn rules(&self) -> RuleSet {
        RuleSet {
            format: RULES_FORMAT.to_owned(),
            store: StoreSettings::default(),
            catalog: Catalog {
                segments: vec![
                    Segment {
                        id: "toys".into(),
                        name: "Toys".into(),
                        parent: None,
                        star: false,
                    },
                    Segment {
                        id: "marvel".into(),
                        name: "Marvel".into(),
                        parent: Some("toys".into()),
                        star: false,
                    },
                    Segment {
                        id: "garden".into(),
                        name: "Garden".into(),
                        parent: None,
                        star: false,
                    },
                ],
                products: self.products.values().cloned().collect(),
                selections: self.selections.values().cloned().collect(),
            },
            promotions: self.promotions.values().cloned().collect(),
            offers: Vec::new(),
        }
    }

    /// Applies `op` to the documents and to `snapshot`.
    fn apply(&mut self, op: &Op, snapshot: &Snapshot) -> Snapshot {
        let change = match op {
            Op::PutProduct(p) => {
                self.products.insert(p.sku.clone(), p.clone());
                RuleChange::Product(p)
            }
            Op::RemoveProduct(i) => {
                self.products.remove(SKUS[*i]);
                RuleChange::RemoveProduct(SKUS[*i])
            }
            Op::PutSelection(s) => {
                self.selections.insert(s.id.clone(), s.clone());
                RuleChange::Selection(s)
            }
            Op::PutPromotion(p) => {
                self.promotions.insert(p.id.clone(), (**p).clone());
                RuleChange::Promotion(p)
            }
            Op::RemovePromotion(i) => {
                let id = format!("p{i}");
                self.promotions.remove(&id);
                return snapshot.apply(&[RuleChange::RemovePromotion(&id)]).unwrap();
            }
        };
        snapshot.apply(&[change]).unwrap()
    }
}

fn requests() -> impl Strategy<Value = Vec<Cart>> {
    let cart = (
        prop::collection::vec((0..SKUS.len(), 1..4u32), 1..6),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["web", "kiosk"])),
        prop::option::of(prop::sample::select(vec!["pro", "vip"])),
    )
        .prop_map(|(lines, coupon, channel, group)| Cart {
            channel: channel.map(str::to_owned),
            customer: Customer {
                groups: group.into_iter().map(str::to_owned).collect(),
                ..Default::default()
            },
            codes: if coupon {
                vec![PresentedCode::Plain("save".to_owned())]
            } else {
                vec![]
            },
            ..Cart::new(
                "2026-12-05T10:00:00Z",
                lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (p, quantity))| CartLine {
                        id: Some(format!("l{i}")),
                        ..CartLine::new(SKUS[p], quantity)
                    })
                    .collect(),
            )
        });
    prop::collection::vec(cart, 1..6)
}

/// Everything a snapshot answers for these carts: quotes (or errors) and catalog prices.
fn answers(snapshot: &Snapshot, carts: &[Cart]) -> Vec<String> {
    let mut answers: Vec<String> = carts
        .iter()
        .map(|cart| match snapshot.evaluate(cart) {
            Ok(quote) => serde_json::to_string(&quote).unwrap(),
            Err(error) => error.to_string(),
        })
        .collect();
    for channel in [None, Some("web")] {
        let request = PriceRequest {
            customer: Customer::default(),
            channel: channel.map(str::to_owned),
            at: "2026-12-05T10:00:00Z".to_owned(),
            display: None,
            skus: SKUS.iter().map(|s| s.to_string()).collect(),
        };
        answers.push(match snapshot.price(&request) {
            Ok(prices) => serde_json::to_string(&prices).unwrap(),
            Err(error) => error.to_string(),
        });
    }
    answers
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn changes_applied_one_by_one_answer_as_a_full_compile(
        base in prop::collection::vec(op(), 0..12),
        changes in prop::collection::vec(op(), 1..20),
        carts in requests(),
    ) {
        let mut state = State::initial();
        for op in &base {
            let snapshot = compile(&state.rules()).unwrap();
            state.apply(op, &snapshot);
        }
        let mut snapshot = compile(&state.rules()).unwrap();
        for op in &changes {
            snapshot = state.apply(op, &snapshot);
        }
        let full = compile(&state.rules()).unwrap();
        prop_assert_eq!(answers(&snapshot, &carts), answers(&full, &carts));
        prop_assert_eq!(snapshot.product_count(), full.product_count());
        prop_assert_eq!(snapshot.promotion_count(), full.promotion_count());
    }
}

#[test]
fn a_change_that_does_not_compile_is_refused_with_its_path() {
    let state = State::initial();
    let snapshot = compile(&state.rules()).unwrap();
    let bad = Product {
        segments: vec!["nowhere".to_owned()],
        ..Product::new("A", Decimal::new(-1, 0))
    };
    let error = snapshot.apply(&[RuleChange::Product(&bad)]).unwrap_err();
    let paths: Vec<&str> = error.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["products[A].price", "products[A].segments[0]"]);
    let problems = snapshot.check_product(&bad);
    let paths: Vec<&str> = problems.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["price", "segments[0]"]);
    let gift = Promotion::new(
        "p",
        Offer::Gift {
            sku: "Z".to_owned(),
            quantity: 1,
        },
    );
    let problems = snapshot.check_promotion(&gift);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "offer.sku");
}
