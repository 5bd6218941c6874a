//! `Snapshot::apply` against a full compile: any sequence of product, selection, promotion and
//! B2B offer changes applied one call at a time gives a snapshot that answers every cart and
//! price request exactly as a full compile of the final rules does.

#![allow(clippy::unwrap_used)] // generated inputs are valid by construction; a failure is a finding

use std::collections::BTreeMap;

use proptest::prelude::*;
use remise_engine::cart::{Cart, CartLine, Customer, PresentedCode};
use remise_engine::rules::{
    Audience, Catalog, Combination, Commitment, Conditions, ContractDiscount, Coupon,
    CustomerOffer, Display, GroupSettings, Offer, OfferScope, Product, Promotion, QuantityBreak,
    RULES_FORMAT, RuleSet, Segment, Selection, SelectionFilter, StoreSettings, Targets,
};
use remise_engine::{PriceRequest, RuleChange, Snapshot, compile};
use rust_decimal::Decimal;

/// `G` is the gift of gift promotions: it is changed but never removed.
const SKUS: [&str; 7] = ["A", "B", "C", "D", "E", "F", "G"];
const SEGMENTS: [&str; 3] = ["toys", "marvel", "garden"];
const BRANDS: [&str; 3] = ["acme", "globex", "initech"];
const TAGS: [&str; 3] = ["new", "sale", "eco"];
const SELECTIONS: [&str; 3] = ["picks", "gifts", "heroes"];
const LICENCES: [&str; 2] = ["spider-man", "avengers"];

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
        prop::option::of(prop::sample::select(LICENCES.to_vec())),
    )
        .prop_map(
            |(i, price, segment, brand, tags, min_price, licence)| Product {
                name: format!("Product {} at {price}", SKUS[i]),
                tax_rate: Decimal::new(2, 1),
                segments: vec![segment.to_owned()],
                brand: brand.map(str::to_owned),
                tags: tags.into_iter().map(str::to_owned).collect(),
                min_price: min_price.filter(|m| *m <= price),
                attributes: licence
                    .map(|l| ("licence".to_owned(), l.to_owned()))
                    .into_iter()
                    .collect(),
                ..Product::new(SKUS[i], price)
            },
        )
}

/// A saved filter of one to three criteria, some naming what no product has ("umbrella",
/// "vintage"); "toys" holds the products of "marvel".
fn filter() -> impl Strategy<Value = SelectionFilter> {
    (
        prop::sample::subsequence(SEGMENTS.to_vec(), 0..2),
        prop::sample::subsequence(vec!["acme", "globex", "umbrella"], 0..2),
        prop::sample::subsequence(vec!["new", "sale", "vintage"], 0..2),
        prop::option::of(prop::sample::select(LICENCES.to_vec())),
        prop::option::of((cents(20_000), cents(10_000))),
    )
        .prop_map(|(segments, brands, tags, licence, price)| {
            let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
            let mut filter = SelectionFilter {
                segments: owned(segments),
                brands: owned(brands),
                tags: owned(tags),
                attributes: licence
                    .map(|l| ("licence".to_owned(), l.to_owned()))
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            if let Some((min, width)) = price {
                filter.min_price = Some(min);
                filter.max_price = Some(min + width);
            } else if !filter.has_criteria() {
                filter.max_price = Some(Decimal::new(10_000, 2));
            }
            filter
        })
}

fn selection() -> impl Strategy<Value = Selection> {
    (
        prop::sample::select(SELECTIONS.to_vec()),
        prop::sample::subsequence(SKUS.to_vec(), 0..5),
        prop::option::of(filter()),
    )
        .prop_map(|(id, skus, filter)| Selection {
            id: id.to_owned(),
            name: id.to_owned(),
            skus: skus.into_iter().map(str::to_owned).collect(),
            filter,
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

fn contract_value() -> impl Strategy<Value = (Option<Decimal>, Option<Decimal>)> {
    prop_oneof![
        cents(20_000).prop_map(|price| (Some(price), None)),
        (1..=100i64).prop_map(|p| (None, Some(Decimal::from(p)))),
    ]
}

fn contract_discount(code: usize) -> impl Strategy<Value = ContractDiscount> {
    (
        prop_oneof![
            (0..SKUS.len()).prop_map(|i| (Some(SKUS[i].to_owned()), None)),
            prop::sample::select(SEGMENTS.to_vec()).prop_map(|s| (None, Some(s.to_owned()))),
        ],
        contract_value(),
        prop::option::of(1..4u32),
        prop::option::of((1..4u32, contract_value())),
    )
        .prop_map(
            move |((sku, segment), (price, percent), min_quantity, step)| {
                let breaks = step
                    .map(|(step, (p, q))| QuantityBreak {
                        from: min_quantity.unwrap_or(1) + step,
                        price: price.and(p.or(price)),
                        percent: percent.and(q.or(percent)),
                    })
                    .into_iter()
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

/// An offer of one of five codes, for everyone, a group or a customer, live or not on
/// 2026-12-05.
fn customer_offer() -> impl Strategy<Value = CustomerOffer> {
    let scope = prop_oneof![
        Just(OfferScope::All),
        prop::sample::select(vec!["pro", "vip"]).prop_map(|g| OfferScope::Group(g.to_owned())),
        prop::sample::select(vec!["C1", "C2"]).prop_map(|c| OfferScope::Customer(c.to_owned())),
    ];
    let dates = prop::sample::select(vec![
        (None, None),
        (Some("2026-12-01"), Some("2026-12-31")),
        (Some("2026-12-06"), None),
    ]);
    let commitment = |number: u32| {
        (1..3usize)
            .prop_flat_map(|n| (0..n).map(contract_discount).collect::<Vec<_>>())
            .prop_map(move |discounts| Commitment {
                number,
                starts_on: None,
                ends_on: None,
                discounts,
            })
    };
    (
        0..5usize,
        scope,
        dates,
        any::<bool>(),
        (1..3u32).prop_flat_map(move |n| (1..=n).map(commitment).collect::<Vec<_>>()),
    )
        .prop_map(
            |(i, scope, (starts_on, ends_on), dated, commitments)| CustomerOffer {
                title: format!("Offer {i}"),
                starts_on: starts_on.map(str::to_owned),
                ends_on: ends_on.map(str::to_owned),
                created_at: dated.then(|| format!("2026-0{}-01T00:00:00Z", i + 1)),
                commitments,
                ..CustomerOffer::new(format!("O{i}"), scope)
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
    PutOffer(Box<CustomerOffer>),
    RemoveOffer(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => product().prop_map(Op::PutProduct),
        1 => (0..SKUS.len() - 1).prop_map(Op::RemoveProduct),
        2 => selection().prop_map(Op::PutSelection),
        3 => promotion().prop_map(|p| Op::PutPromotion(Box::new(p))),
        1 => (0..6usize).prop_map(Op::RemovePromotion),
        3 => customer_offer().prop_map(|o| Op::PutOffer(Box::new(o))),
        1 => (0..5usize).prop_map(Op::RemoveOffer),
    ]
}

/// The documents of a store, as the server keeps them.
#[derive(Debug, Clone, Default)]
struct State {
    products: BTreeMap<String, Product>,
    selections: BTreeMap<String, Selection>,
    promotions: BTreeMap<String, Promotion>,
    offers: BTreeMap<String, CustomerOffer>,
    promotions_on_offer_prices: bool,
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
                    filter: None,
                },
            );
        }
        state
    }

    fn rules(&self) -> RuleSet {
        // Both groups see the default display: naming them changes nothing for promotions.
        let group = GroupSettings {
            display: Display::Gross,
        };
        RuleSet {
            format: RULES_FORMAT.to_owned(),
            store: StoreSettings {
                groups: [("pro".to_owned(), group.clone()), ("vip".to_owned(), group)].into(),
                promotions_on_offer_prices: self.promotions_on_offer_prices,
                ..StoreSettings::default()
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
                products: self.products.values().cloned().collect(),
                selections: self.selections.values().cloned().collect(),
            },
            promotions: self.promotions.values().cloned().collect(),
            offers: self.offers.values().cloned().collect(),
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
            Op::PutOffer(o) => {
                self.offers.insert(o.code.clone(), (**o).clone());
                RuleChange::Offer(o)
            }
            Op::RemoveOffer(i) => {
                let code = format!("O{i}");
                self.offers.remove(&code);
                return snapshot.apply(&[RuleChange::RemoveOffer(&code)]).unwrap();
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
        prop::option::of(prop::sample::select(vec!["C1", "C2"])),
    )
        .prop_map(|(lines, coupon, channel, group, id)| Cart {
            channel: channel.map(str::to_owned),
            customer: Customer {
                id: id.map(str::to_owned),
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
    let c1 = Customer {
        id: Some("C1".to_owned()),
        groups: vec!["pro".to_owned()],
        ..Default::default()
    };
    for (channel, customer) in [(None, Customer::default()), (Some("web"), c1)] {
        let request = PriceRequest {
            customer,
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
    // What the back office reads of the selections: the same products, in the same order.
    for id in SELECTIONS {
        answers.push(format!("{id}: {:?}", snapshot.selection_products(id)));
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
        promotions_on_offer_prices in any::<bool>(),
    ) {
        let mut state = State::initial();
        state.promotions_on_offer_prices = promotions_on_offer_prices;
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
    // An offer is checked as a full compile checks it: its group must be one of the store's.
    let mut offer = CustomerOffer::new("O9", OfferScope::Group("nobody".to_owned()));
    offer.title = "Nobody's".to_owned();
    let error = snapshot.apply(&[RuleChange::Offer(&offer)]).unwrap_err();
    let paths: Vec<&str> = error.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["offers[O9].scope.group"]);
    let problems = snapshot.check_offer(&offer);
    let paths: Vec<&str> = problems.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["scope.group"]);
    offer.scope = OfferScope::Group("pro".to_owned());
    assert!(snapshot.check_offer(&offer).is_empty());
    assert!(snapshot.apply(&[RuleChange::Offer(&offer)]).is_ok());
}

#[test]
fn a_selection_filter_that_does_not_compile_is_refused_with_its_path() {
    let state = State::initial();
    let snapshot = compile(&state.rules()).unwrap();
    let bad = Selection {
        filter: Some(SelectionFilter {
            segments: vec!["nowhere".to_owned()],
            ..Default::default()
        }),
        ..Selection::picked("picks", vec!["A".to_owned()])
    };
    let error = snapshot.apply(&[RuleChange::Selection(&bad)]).unwrap_err();
    let paths: Vec<&str> = error.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["selections[picks].filter.segments[0]"]);
    let problems = snapshot.check_selection(&bad);
    let paths: Vec<&str> = problems.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["filter.segments[0]"]);
    // "toys" holds the products of "marvel", its child.
    let mut marvel = Product::new("B", Decimal::new(500, 2));
    marvel.segments = vec!["marvel".to_owned()];
    let toys = Selection {
        filter: Some(SelectionFilter {
            segments: vec!["toys".to_owned()],
            ..Default::default()
        }),
        ..Selection::picked("heroes", Vec::new())
    };
    assert!(snapshot.check_selection(&toys).is_empty());
    let next = snapshot
        .apply(&[RuleChange::Selection(&toys), RuleChange::Product(&marvel)])
        .unwrap();
    assert_eq!(next.selection_products("heroes").unwrap(), ["B"]);
}
