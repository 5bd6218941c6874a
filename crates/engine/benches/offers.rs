//! Benchmarks of B2B offers (issue 12) on a generated wholesaler (results and method:
//! BENCHMARKS.md, "B2B offers (issue 12)").
//!
//! The store: 100,000 products in a tree of 1,000 leaf segments; 5,000 customers in 200 groups;
//! 20,000 offers (17,980 for one customer, 2,000 for a group, 20 for everyone) holding 1,000,000
//! discounts on skus and on sectors (3 % of a customer's, 10 % of a group's, 20 % of everyone's),
//! fixed prices and percentages, some with quantity breaks or a minimum, some dated. Customer
//! C0042 (group G042) has offers at all three levels.
//!
//! Groups:
//! - `offers/evaluate/{with,without}`: a 20-line cart of C0042's against the store with and
//!   without its offers (the difference is what offers add);
//! - `offers/catalog/{with,without}`: `price_catalog` of the 100,000 products for C0042;
//! - `offers/apply/{customer,group,all}`: one offer of that scope changed with `Snapshot::apply`;
//! - `offers/compile`: `compile` of the whole store.
//!
//! Run: `nice cargo bench -p remise-engine --bench offers [-- <filter>]`. The generator is
//! seeded (splitmix64): the same store on every machine.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use remise_engine::quote::PriceSource;
use remise_engine::rules::{
    Catalog, Commitment, ContractDiscount, CustomerOffer, Display, GroupSettings, OfferScope,
    OfferType, Product, QuantityBreak, RuleSet, Segment, SellsTo, StoreSettings,
};
use remise_engine::{Cart, CartLine, Customer, PriceRequest, RuleChange, Snapshot, compile};
use rust_decimal::Decimal;

const PRODUCTS: u64 = 100_000;
const TOP: u64 = 20;
const MID: u64 = 10;
const LEAVES: u64 = 5;
const CUSTOMERS: u64 = 5_000;
const GROUPS: u64 = 200;
/// Offers by scope: how many, the discounts each holds, the percentage of them on a sector.
/// 17,980 × 45 + 2,000 × 95 + 20 × 45 = 1,000,000 discounts.
const CUSTOMER_OFFERS: (u64, u64, u64) = (17_980, 45, 3);
const GROUP_OFFERS: (u64, u64, u64) = (2_000, 95, 10);
const ALL_OFFERS: (u64, u64, u64) = (20, 45, 20);
/// The customer measured: C0042, in G042.
const MEASURED: u64 = 42;
const AT: &str = "2026-12-05T10:00:00+01:00";
const SEED: u64 = 0x5EED_0FFE_0000;

/// splitmix64, integers only.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn sku(i: u64) -> String {
    format!("P{i:07}")
}

fn customer_id(i: u64) -> String {
    format!("C{i:04}")
}

fn group(i: u64) -> String {
    format!("G{i:03}")
}

fn leaf(t: u64, m: u64, l: u64) -> String {
    format!("t{t:02}.m{m}.l{l}")
}

fn segments() -> Vec<Segment> {
    let segment = |id: String, parent: Option<String>| Segment {
        name: id.clone(),
        id,
        parent,
        star: false,
        keywords: Vec::new(),
    };
    let mut segments = Vec::new();
    for t in 0..TOP {
        segments.push(segment(format!("t{t:02}"), None));
        for m in 0..MID {
            segments.push(segment(format!("t{t:02}.m{m}"), Some(format!("t{t:02}"))));
            for l in 0..LEAVES {
                segments.push(segment(leaf(t, m, l), Some(format!("t{t:02}.m{m}"))));
            }
        }
    }
    segments
}

/// A product's list price in cents, from its index (the offers need it for their prices).
fn list_cents(i: u64) -> u64 {
    99 + (i.wrapping_mul(7_919) % 19_901)
}

fn catalog() -> Catalog {
    let mut rng = Rng(SEED);
    let products = (0..PRODUCTS)
        .map(|i| Product {
            name: format!("Product {i}"),
            tax_rate: Decimal::new(if rng.chance(85) { 20 } else { 55 }, 2),
            segments: vec![leaf(rng.below(TOP), rng.below(MID), rng.below(LEAVES))],
            ..Product::new(sku(i), Decimal::new(list_cents(i) as i64, 2))
        })
        .collect();
    Catalog {
        segments: segments(),
        products,
        selections: Vec::new(),
    }
}

fn sector(rng: &mut Rng) -> String {
    let (t, m) = (rng.below(TOP), rng.below(MID));
    match rng.below(100) {
        0..70 => leaf(t, m, rng.below(LEAVES)),
        70..95 => format!("t{t:02}.m{m}"),
        _ => format!("t{t:02}"),
    }
}

/// 60 % fixed prices (70–95 % of the list price), 40 % percentages (3–25 %); some with breaks
/// (from 10 and 50 units) or a minimum of 5 units.
fn discount(
    rng: &mut Rng,
    code: u64,
    target: (Option<String>, Option<String>),
) -> ContractDiscount {
    let list = target
        .0
        .as_deref()
        .map_or(5_000, |s| list_cents(s[1..].parse().unwrap()));
    let fixed = rng.chance(60);
    let value = |rng: &mut Rng, extra: u64| -> (Option<Decimal>, Option<Decimal>) {
        if fixed {
            let cents = list * (rng.range(70, 95) - extra) / 100;
            (Some(Decimal::new(cents.max(1) as i64, 2)), None)
        } else {
            (None, Some(Decimal::from(rng.range(3, 25) + extra)))
        }
    };
    let (price, percent) = value(rng, 0);
    let breaks = if rng.chance(15) {
        [10, 50]
            .into_iter()
            .enumerate()
            .map(|(k, from)| {
                let (price, percent) = value(rng, 3 * (k as u64 + 1));
                QuantityBreak {
                    from,
                    price,
                    percent,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    ContractDiscount {
        code: format!("D{code}"),
        sku: target.0,
        segment: target.1,
        price,
        percent,
        min_quantity: (breaks.is_empty() && rng.chance(5)).then_some(5),
        breaks,
    }
}

fn offer(
    rng: &mut Rng,
    code: String,
    scope: OfferScope,
    (discounts, sectors): (u64, u64),
) -> CustomerOffer {
    // 70 % undated, 20 % this year, 10 % last year (ended).
    let (starts_on, ends_on) = match rng.below(100) {
        0..70 => (None, None),
        70..90 => (Some("2026-01-01"), Some("2026-12-31")),
        _ => (Some("2025-01-01"), Some("2025-12-31")),
    };
    let two = rng.chance(15) && starts_on == Some("2026-01-01");
    let mut commitments = vec![Commitment {
        number: 1,
        starts_on: None,
        ends_on: None,
        discounts: Vec::new(),
    }];
    if two {
        commitments.push(Commitment {
            number: 2,
            starts_on: Some("2026-11-01".to_owned()),
            ends_on: Some("2026-12-31".to_owned()),
            discounts: Vec::new(),
        });
    }
    for d in 0..discounts {
        let target = if rng.chance(sectors) {
            (None, Some(sector(rng)))
        } else {
            (Some(sku(rng.below(PRODUCTS))), None)
        };
        let c = (d % commitments.len() as u64) as usize;
        commitments[c].discounts.push(discount(rng, d, target));
    }
    CustomerOffer {
        title: format!("Offer {code}"),
        kind: OfferType::Commercial,
        starts_on: starts_on.map(str::to_owned),
        ends_on: ends_on.map(str::to_owned),
        created_at: Some(format!("2026-0{}-01T00:00:00Z", rng.range(1, 9))),
        show_to_customer: rng.chance(50),
        commitments,
        ..CustomerOffer::new(code, scope)
    }
}

fn offers() -> Vec<CustomerOffer> {
    let mut rng = Rng(SEED ^ 0x0FFE);
    let mut offers = Vec::new();
    let (n, discounts, sectors) = CUSTOMER_OFFERS;
    for k in 0..n {
        let scope = OfferScope::Customer(customer_id(k % CUSTOMERS));
        let code = format!("CLI{k:05}");
        offers.push(offer(&mut rng, code, scope, (discounts, sectors)));
    }
    let (n, discounts, sectors) = GROUP_OFFERS;
    for k in 0..n {
        let scope = OfferScope::Group(group(k % GROUPS));
        let code = format!("GRP{k:05}");
        offers.push(offer(&mut rng, code, scope, (discounts, sectors)));
    }
    let (n, discounts, sectors) = ALL_OFFERS;
    for k in 0..n {
        let code = format!("ALL{k:05}");
        offers.push(offer(&mut rng, code, OfferScope::All, (discounts, sectors)));
    }
    offers
}

fn rules(with_offers: bool) -> RuleSet {
    let groups: BTreeMap<String, GroupSettings> = (0..GROUPS)
        .map(|g| {
            (
                group(g),
                GroupSettings {
                    display: Display::Net,
                },
            )
        })
        .collect();
    RuleSet {
        store: StoreSettings {
            currency: "EUR".to_owned(),
            time_zone: "Europe/Paris".to_owned(),
            prices_include_tax: false,
            default_display: Display::Net,
            groups,
            sells_to: SellsTo::Professionals,
            ..StoreSettings::default()
        },
        catalog: catalog(),
        offers: if with_offers { offers() } else { Vec::new() },
        ..RuleSet::default()
    }
}

fn customer() -> Customer {
    Customer {
        id: Some(customer_id(MEASURED)),
        groups: vec![group(MEASURED % GROUPS)],
        ..Customer::default()
    }
}

/// 20 lines: 6 skus of the customer's own offers, 6 of its group's, 4 of offers for everyone,
/// 4 others; 1 to 12 units each.
fn cart(rules: &RuleSet) -> Cart {
    let me = customer();
    let skus_of = |scope: &OfferScope| -> Vec<String> {
        rules
            .offers
            .iter()
            .filter(|o| o.scope == *scope)
            .flat_map(|o| o.commitments.iter().flat_map(|c| &c.discounts))
            .filter_map(|d| d.sku.clone())
            .collect()
    };
    let mut rng = Rng(SEED ^ 0xCA27);
    let mut picked: Vec<String> = Vec::new();
    let sources = [
        (skus_of(&OfferScope::Customer(customer_id(MEASURED))), 6),
        (skus_of(&OfferScope::Group(me.groups[0].clone())), 6),
        (skus_of(&OfferScope::All), 4),
        ((0..PRODUCTS).map(sku).collect(), 4),
    ];
    for (skus, n) in sources {
        let wanted = picked.len() + n;
        while picked.len() < wanted {
            let s = &skus[rng.below(skus.len() as u64) as usize];
            if !picked.contains(s) {
                picked.push(s.clone());
            }
        }
    }
    let lines = picked
        .into_iter()
        .map(|s| CartLine::new(s, rng.range(1, 12) as u32))
        .collect();
    Cart {
        customer: me,
        ..Cart::new(AT, lines)
    }
}

struct Store {
    rules: RuleSet,
    with: Snapshot,
    without: Snapshot,
    cart: Cart,
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let started = Instant::now();
        let rules = rules(true);
        let generated = started.elapsed();
        let with = compile(&rules).expect("the generated offers compile");
        let compiled = started.elapsed() - generated;
        let without = compile(&self::rules(false)).expect("the catalog compiles");
        let cart = cart(&rules);
        let discounts: usize = rules
            .offers
            .iter()
            .flat_map(|o| &o.commitments)
            .map(|c| c.discounts.len())
            .sum();
        let quote = with.evaluate(&cart).expect("a valid cart");
        let priced = quote
            .lines
            .iter()
            .filter(|l| l.price_source == PriceSource::Offer)
            .count();
        let candidates: usize = quote.lines.iter().map(|l| l.offer_candidates.len()).sum();
        eprintln!(
            "[setup] {} products, {} offers, {discounts} discounts: generated in {generated:.2?}, \
             compiled in {compiled:.2?}; the cart: {priced} of {} lines at an offer price, \
             {candidates} losing candidates listed, total {} (without offers {})",
            rules.catalog.products.len(),
            rules.offers.len(),
            quote.lines.len(),
            quote.totals.grand.gross,
            without.evaluate(&cart).unwrap().totals.grand.gross,
        );
        Store {
            rules,
            with,
            without,
            cart,
        }
    })
}

fn price_request() -> PriceRequest {
    PriceRequest {
        customer: customer(),
        channel: None,
        at: AT.to_owned(),
        display: None,
        skus: Vec::new(),
    }
}

fn bench_evaluate(c: &mut Criterion) {
    let mut group = c.benchmark_group("offers/evaluate");
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("with", |b| {
        let store = store();
        b.iter(|| store.with.evaluate(black_box(&store.cart)))
    });
    group.bench_function("without", |b| {
        let store = store();
        b.iter(|| store.without.evaluate(black_box(&store.cart)))
    });
    group.finish();
}

fn bench_catalog(c: &mut Criterion) {
    let mut group = c.benchmark_group("offers/catalog");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    let request = price_request();
    let mut described = false;
    group.bench_function("with", |b| {
        let store = store();
        if !described {
            let prices = store.with.price_catalog(&request).unwrap();
            let offered = prices
                .iter()
                .filter(|p| p.price_source == PriceSource::Offer)
                .count();
            let candidates: usize = prices.iter().map(|p| p.offer_candidates.len()).sum();
            eprintln!(
                "[setup] offers/catalog: {offered} of {} prices from an offer, {candidates} \
                 losing candidates listed",
                prices.len()
            );
            described = true;
        }
        b.iter(|| store.with.price_catalog(black_box(&request)))
    });
    group.bench_function("without", |b| {
        let store = store();
        b.iter(|| store.without.price_catalog(black_box(&request)))
    });
    group.finish();
}

fn bench_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("offers/apply");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, code) in [
        ("customer", "CLI00042"),
        ("group", "GRP00042"),
        ("all", "ALL00007"),
    ] {
        group.bench_function(name, |b| {
            let store = store();
            // The same offer with every fixed price one cent lower.
            let mut changed = store
                .rules
                .offers
                .iter()
                .find(|o| o.code == code)
                .expect("generated")
                .clone();
            for d in changed
                .commitments
                .iter_mut()
                .flat_map(|c| &mut c.discounts)
            {
                d.price = d
                    .price
                    .map(|p| (p - Decimal::new(1, 2)).max(Decimal::new(1, 2)));
            }
            b.iter_with_large_drop(|| {
                store
                    .with
                    .apply(&[RuleChange::Offer(black_box(&changed))])
                    .expect("a valid change")
            })
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("offers/compile");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("20000", |b| {
        let store = store();
        b.iter_with_large_drop(|| compile(black_box(&store.rules)))
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_evaluate,
    bench_catalog,
    bench_apply,
    bench_compile
);
criterion_main!(benches);
