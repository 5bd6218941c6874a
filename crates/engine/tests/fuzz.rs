//! Fuzzing the readers of untrusted text — rule files, carts, price requests — and evaluation,
//! as ordinary tests (cargo-fuzz needs a nightly toolchain): arbitrary bytes, arbitrary JSON, and
//! structure-aware mutations of the repository's own files (the examples and every scenario):
//! a value replaced by a huge, negative, fractional, non-numeric or unicode one, by a deep
//! nesting or an empty container; a field removed; an element repeated.
//!
//! Each property: no panic, and an error is well formed — at least one, each with a message, and
//! a path that names the line of a syntax error or starts at a field of the document.
//!
//! A short run with a fixed seed is part of `cargo test`. A longer one:
//! `PROPTEST_CASES=200000 cargo test --release -p remise-engine --test fuzz` (another seed:
//! `PROPTEST_RNG_SEED=…`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failure is a finding

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use remise_engine::cart::{Cart, PriceRequest};
use remise_engine::{Error, Snapshot, request_from_json};
use serde_json::Value;

/// Cases per property in a plain `cargo test`: about a second each in a debug build.
const DEFAULT_CASES: u32 = 1_000;
const DEFAULT_SEED: u64 = 0x5EED_F022;

fn config() -> Config {
    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    Config {
        cases: env("PROPTEST_CASES").unwrap_or(DEFAULT_CASES),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(DEFAULT_SEED)),
        // Failures are reported with the input; the fixed seed finds them again.
        failure_persistence: None,
        max_shrink_iters: 4_000,
        ..Config::default()
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A rule file and, when it has one, a cart for it.
struct Seed {
    rules: Value,
    cart: Option<Value>,
}

/// The examples and every scenario: valid files, and the invalid ones the scenarios expect
/// errors from.
fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let read = |path: PathBuf| -> Value {
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
        };
        let examples = root().join("examples");
        let mut seeds = vec![
            Seed {
                rules: read(examples.join("toyshop.rules.json")),
                cart: Some(read(examples.join("toyshop.cart.json"))),
            },
            Seed {
                rules: read(examples.join("conceptstore.rules.json")),
                cart: Some(read(examples.join("conceptstore.cart.json"))),
            },
        ];
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(root().join("crates/engine/tests/scenarios"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|e| e == "json"))
                .collect();
        files.sort();
        for file in files {
            let scenario = read(file);
            if let Some(rules) = scenario.get("rules") {
                seeds.push(Seed {
                    rules: rules.clone(),
                    cart: scenario.get("cart").cloned(),
                });
            }
        }
        seeds
    })
}

fn price_request() -> &'static Value {
    static REQUEST: OnceLock<Value> = OnceLock::new();
    REQUEST.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("examples/toyshop.prices.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// What a mutation puts in place of a value.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    /// The value wrapped in this many arrays (or objects).
    Nest(usize, bool),
    /// A field of an object, or an element of an array, removed.
    Remove,
    /// An element of an array repeated this many times.
    Repeat(usize),
    /// A number scaled by 10^k (k may be negative), or negated.
    Scale(i32),
    Negate,
}

/// Huge, tiny, negative, fractional and malformed numbers, as JSON numbers and as strings.
fn wild_number() -> impl Strategy<Value = Value> {
    let texts = [
        "0",
        "-0",
        "-1",
        "0.5",
        "-0.01",
        "1e27",
        "1E+400",
        "1e-30",
        "79228162514264337593543950335",
        "79228162514264337593543950336",
        "-79228162514264337593543950336",
        "18446744073709551616",
        "4294967296",
        "-9223372036854775809",
        "0.0000000000000000000000000001",
        "123456789012345678901234567890.5",
        "1.0",
        "3.14159265358979323846264338327950288",
    ];
    prop_oneof![
        prop::sample::select(texts.to_vec()).prop_map(|text| {
            // As a JSON number (arbitrary precision keeps its digits) or as a string.
            serde_json::from_str::<Value>(text).unwrap_or(Value::String(text.to_owned()))
        }),
        prop::sample::select(texts.to_vec()).prop_map(|text| Value::String(text.to_owned())),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i64>(), 0..30u32).prop_map(|(mantissa, scale)| {
            let digits = mantissa.unsigned_abs().to_string();
            let text = if scale as usize >= digits.len() {
                format!("0.{}{digits}", "0".repeat(scale as usize - digits.len()))
            } else {
                let (int, frac) = digits.split_at(digits.len() - scale as usize);
                if frac.is_empty() {
                    int.to_owned()
                } else {
                    format!("{int}.{frac}")
                }
            };
            let text = if mantissa < 0 {
                format!("-{text}")
            } else {
                text
            };
            Value::String(text)
        }),
    ]
}

fn wild_string() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just("é😀\u{202e}\u{0}\u{feff}ﬃ".to_owned()),
        Just("x".repeat(10_000)),
        Just("2026-13-45T25:61:00".to_owned()),
        Just("9999-12-31T23:59:59Z".to_owned()),
        Just("-009999-01-01T00:00:00+25:00".to_owned()),
        Just("2026-12-05T10:00:00+01:00[Mars/Olympus]".to_owned()),
        Just("Europe/Nowhere".to_owned()),
        Just("XXX".to_owned()),
        Just("remise.rules/2".to_owned()),
        "\\PC{0,40}",
    ]
    .prop_map(Value::String)
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        wild_number(),
        wild_string(),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,12}", inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// `bounded`: numbers stay within ±10^15.
fn mutation(bounded: bool) -> BoxedStrategy<Mutation> {
    let number = if bounded {
        prop_oneof![
            (-1_000_000_000_000_000i64..=1_000_000_000_000_000).prop_map(Value::from),
            (-100_000i64..=100_000, 0..5u32).prop_map(|(n, scale)| {
                Value::String(rust_decimal::Decimal::new(n, scale).to_string())
            }),
            Just(Value::String("1000000000000000".to_owned())),
            Just(Value::String("-0.01".to_owned())),
        ]
        .boxed()
    } else {
        wild_number().boxed()
    };
    let replacement = prop_oneof![
        4 => number,
        3 => wild_string(),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Array(Vec::new())),
        1 => Just(Value::Object(serde_json::Map::new())),
        2 => any_json(),
    ];
    let scale = if bounded { -6..6i32 } else { -40..40i32 };
    prop_oneof![
        6 => replacement.prop_map(Mutation::Replace),
        1 => (1..200usize, any::<bool>()).prop_map(|(depth, array)| Mutation::Nest(depth, array)),
        2 => Just(Mutation::Remove),
        1 => (2..40usize).prop_map(Mutation::Repeat),
        1 => scale.prop_map(Mutation::Scale),
        1 => Just(Mutation::Negate),
    ]
    .boxed()
}

/// Every node of `value`, depth first, as a path of object keys and array indexes.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn node<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get(key),
        Step::Index(i) => value.get(*i),
    })
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get_mut(key),
        Step::Index(i) => value.get_mut(*i),
    })
}

/// Applies `mutation` at the node chosen by `selector` (numbers preferred for `Scale` and
/// `Negate`, which otherwise replace with -1).
fn mutate(value: &mut Value, selector: usize, mutation: &Mutation) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    // A number goes where a number is (a price, a quantity, a rate) more often than not, and
    // scaling or negating works on numbers: that is where arithmetic can break.
    let numeric = matches!(mutation, Mutation::Scale(_) | Mutation::Negate)
        || matches!(mutation, Mutation::Replace(r) if number_text(r).is_some() && !selector.is_multiple_of(4));
    if numeric {
        let numbers: Vec<Vec<Step>> = all
            .iter()
            .filter(|path| node(value, path).is_some_and(|node| number_text(node).is_some()))
            .cloned()
            .collect();
        if !numbers.is_empty() {
            all = numbers;
        }
    }
    let path = all[selector % all.len()].clone();
    match mutation {
        Mutation::Remove | Mutation::Repeat(_) => {
            let Some((last, parent)) = path.split_last() else {
                return;
            };
            let Some(parent) = node_mut(value, parent) else {
                return;
            };
            match (parent, last, mutation) {
                (Value::Object(map), Step::Key(key), Mutation::Remove) => {
                    map.remove(key);
                }
                (Value::Array(items), Step::Index(i), Mutation::Remove) => {
                    items.remove(*i);
                }
                (Value::Array(items), Step::Index(i), Mutation::Repeat(n)) => {
                    let item = items[*i].clone();
                    for _ in 1..*n {
                        items.insert(*i, item.clone());
                    }
                }
                _ => {}
            }
        }
        _ => {
            let Some(node) = node_mut(value, &path) else {
                return;
            };
            *node = match mutation {
                // Mostly in the form the field had (a decimal string stays a string), so that
                // the value gets past the type check to the arithmetic.
                Mutation::Replace(Value::Number(n))
                    if node.is_string() && !selector.is_multiple_of(8) =>
                {
                    Value::String(n.to_string())
                }
                Mutation::Replace(replacement) => replacement.clone(),
                Mutation::Nest(depth, array) => {
                    let mut nested = node.take();
                    for _ in 0..*depth {
                        nested = if *array {
                            Value::Array(vec![nested])
                        } else {
                            Value::Object([("x".to_owned(), nested)].into_iter().collect())
                        };
                    }
                    nested
                }
                Mutation::Scale(k) => scale(node, *k),
                Mutation::Negate => match number_text(node) {
                    Some(text) if text.starts_with('-') => Value::String(text[1..].to_owned()),
                    Some(text) => Value::String(format!("-{text}")),
                    None => Value::from(-1),
                },
                Mutation::Remove | Mutation::Repeat(_) => unreachable!("handled above"),
            };
        }
    }
}

/// The digits of a number, or of a string that holds one.
fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.parse::<rust_decimal::Decimal>().is_ok() => Some(s.clone()),
        _ => None,
    }
}

fn scale(value: &Value, k: i32) -> Value {
    let Some(text) = number_text(value) else {
        return Value::from(k);
    };
    let text = format!("{text}e{k}");
    // As a string of the decimal when it reads, otherwise the exponent form as it is.
    match rust_decimal::Decimal::from_scientific(&text) {
        Ok(decimal) => Value::String(decimal.to_string()),
        Err(_) => Value::String(text),
    }
}

fn mutations(bounded: bool) -> impl Strategy<Value = Vec<(usize, Mutation)>> {
    prop::collection::vec((any::<usize>(), mutation(bounded)), 1..5)
}

/// Mutations that mostly keep a file valid, so that evaluation runs: numbers where numbers are,
/// elements removed or repeated, up to past the documented limits (10^15 for amounts, 10^9
/// units: `remise_engine::limits`), which the rules and carts must refuse rather than overflow.
fn numeric_mutations() -> impl Strategy<Value = Vec<(usize, Mutation)>> {
    let number = prop_oneof![
        (-1_000_000i64..=1_000_000).prop_map(Value::from),
        (-2_000_000_000_000_000i64..=2_000_000_000_000_000).prop_map(Value::from),
        Just(Value::from(1_000_000_000_000_000i64)),
        Just(Value::from(1_000_000_000i64)),
        (-1_000i64..=1_000).prop_map(Value::from),
        (-100_000i64..=100_000, 0..5u32)
            .prop_map(|(n, scale)| Value::String(rust_decimal::Decimal::new(n, scale).to_string())),
        Just(Value::from(0)),
    ];
    let one = prop_oneof![
        6 => number.prop_map(Mutation::Replace),
        1 => Just(Mutation::Remove),
        1 => (2..20usize).prop_map(Mutation::Repeat),
        1 => (-4..4i32).prop_map(Mutation::Scale),
        1 => Just(Mutation::Negate),
    ];
    prop::collection::vec((any::<usize>(), one), 0..4)
}

// ---------------------------------------------------------------------------------------------
// What a well-formed error is

/// At least one error, each with a message; the path names the line and column of a syntax
/// error, or starts at a field of the document (or is empty: the document itself).
fn assert_well_formed(error: &Error, document: Option<&Value>) {
    let errors = error.errors();
    assert!(!errors.is_empty(), "an error without details: {error:?}");
    let _ = error.to_string();
    for field_error in errors {
        assert!(
            !field_error.message.trim().is_empty(),
            "an error without a message: {field_error:?}"
        );
        match document {
            None => assert!(
                field_error.path.starts_with("line "),
                "a syntax error names its line: {field_error:?}"
            ),
            Some(document) => {
                let first = field_error
                    .path
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default();
                let known = first.is_empty()
                    || document.get(first).is_some()
                    || field_error.path.starts_with("line ");
                assert!(
                    known,
                    "the path `{}` does not start at a field of the document: {field_error:?}",
                    field_error.path
                );
            }
        }
    }
}

/// Reads a rule file; checks the error when it does not read.
fn check_rules(text: &str) -> Option<Snapshot> {
    let document = serde_json::from_str::<Value>(text).ok();
    match Snapshot::from_json(text) {
        Ok(snapshot) => Some(snapshot),
        Err(error) => {
            assert_well_formed(&error, document.as_ref());
            None
        }
    }
}

fn check_request<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let document = serde_json::from_str::<Value>(text).ok();
    match request_from_json::<T>(text) {
        Ok(request) => Some(request),
        Err(error) => {
            assert_well_formed(&error, document.as_ref());
            None
        }
    }
}

/// Evaluates `cart` and prices the catalog; a quote is serialised whole (every reason written).
fn check_evaluation(snapshot: &Snapshot, cart: &Cart, document: &Value) {
    match snapshot.evaluate(cart) {
        Ok(quote) => {
            serde_json::to_string(&quote).unwrap();
        }
        Err(error) => assert_well_formed(&error, Some(document)),
    }
}

// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        check_rules(&text);
        check_request::<Cart>(&text);
        check_request::<PriceRequest>(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json(), wrap in any::<bool>()) {
        // Often an object, as the readers expect one at the top.
        let value = if wrap {
            Value::Object([("catalog".to_owned(), value.clone()), ("lines".to_owned(), value)].into_iter().collect())
        } else {
            value
        };
        let text = value.to_string();
        check_rules(&text);
        check_request::<Cart>(&text);
        check_request::<PriceRequest>(&text);
    }

    #[test]
    fn mutated_rule_files_are_read_or_refused_with_paths(
        seed in any::<usize>(),
        plan in mutations(false),
    ) {
        let seeds = seeds();
        let mut rules = seeds[seed % seeds.len()].rules.clone();
        for (selector, mutation) in &plan {
            mutate(&mut rules, *selector, mutation);
        }
        check_rules(&rules.to_string());
    }

    #[test]
    fn mutated_carts_and_price_requests_are_read_or_refused_with_paths(
        seed in any::<usize>(),
        plan in mutations(false),
        price in any::<bool>(),
    ) {
        let seeds: Vec<&Value> = seeds().iter().filter_map(|s| s.cart.as_ref()).collect();
        let mut request = if price { price_request().clone() } else { seeds[seed % seeds.len()].clone() };
        for (selector, mutation) in &plan {
            mutate(&mut request, *selector, mutation);
        }
        let text = request.to_string();
        if price {
            check_request::<PriceRequest>(&text);
        } else {
            check_request::<Cart>(&text);
        }
    }

    #[test]
    fn mutated_carts_and_rules_evaluate_or_are_refused(
        seed in any::<usize>(),
        cart_plan in numeric_mutations(),
        rules_plan in numeric_mutations(),
    ) {
        let seeds: Vec<&Seed> = seeds().iter().filter(|s| s.cart.is_some()).collect();
        let seed = seeds[seed % seeds.len()];
        let mut rules = seed.rules.clone();
        for (selector, mutation) in &rules_plan {
            mutate(&mut rules, *selector, mutation);
        }
        let mut cart = seed.cart.clone().expect("filtered");
        for (selector, mutation) in &cart_plan {
            mutate(&mut cart, *selector, mutation);
        }
        let text = cart.to_string();
        if let (Some(snapshot), Some(parsed)) = (check_rules(&rules.to_string()), check_request::<Cart>(&text)) {
            check_evaluation(&snapshot, &parsed, &cart);
        }
    }

    #[test]
    fn mutated_price_requests_are_priced_or_refused(
        rules_plan in numeric_mutations(),
        request_plan in numeric_mutations(),
        whole_catalog in any::<bool>(),
    ) {
        let mut rules = seeds()[0].rules.clone();
        for (selector, mutation) in &rules_plan {
            mutate(&mut rules, *selector, mutation);
        }
        let mut request = price_request().clone();
        for (selector, mutation) in &request_plan {
            mutate(&mut request, *selector, mutation);
        }
        let text = request.to_string();
        if let (Some(snapshot), Some(parsed)) = (check_rules(&rules.to_string()), check_request::<PriceRequest>(&text)) {
            let prices = if whole_catalog { snapshot.price_catalog(&parsed) } else { snapshot.price(&parsed) };
            match prices {
                Ok(prices) => { serde_json::to_string(&prices).unwrap(); }
                Err(error) => assert_well_formed(&error, Some(&request)),
            }
        }
    }
}
