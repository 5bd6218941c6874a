//! Data-driven pricing scenarios: every file in `tests/scenarios/` holds rules, a request and the
//! expected result. See `tests/scenarios/README.md` for the format.

#![allow(clippy::unwrap_used)] // a test that cannot read its own fixtures should fail loudly

use std::path::{Path, PathBuf};

use remise_engine::{Cart, PriceRequest, Snapshot, request_from_json};
use rust_decimal::Decimal;
use serde_json::Value;

/// Checks that `actual` holds everything `expected` says: objects may leave keys out, arrays must
/// have the same length and match element by element, a JSON number matches the same decimal value.
fn check(expected: &Value, actual: &Value, path: &str, problems: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e) in e {
                match a.get(key) {
                    Some(a) => check(e, a, &format!("{path}.{key}"), problems),
                    None if e.is_null() => {}
                    None => problems.push(format!("{path}.{key}: missing, expected {e}")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                problems.push(format!(
                    "{path}: {} elements, expected {}: {actual}",
                    a.len(),
                    e.len()
                ));
                return;
            }
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                check(e, a, &format!("{path}[{i}]"), problems);
            }
        }
        (Value::Number(e), Value::String(a)) => {
            let same = e.to_string().parse::<Decimal>().ok() == a.parse::<Decimal>().ok();
            if !same {
                problems.push(format!("{path}: {a}, expected {e}"));
            }
        }
        (e, a) if e == a => {}
        (e, a) => problems.push(format!("{path}: {a}, expected {e}")),
    }
}

fn run(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let scenario: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut problems = Vec::new();
    let rules = serde_json::to_string(&scenario["rules"]).unwrap();
    let snapshot = match (
        Snapshot::from_json(&rules),
        scenario.get("expect_rule_errors"),
    ) {
        (Ok(snapshot), None) => snapshot,
        (Ok(_), Some(_)) => return vec!["rules compiled, expected errors".to_owned()],
        (Err(e), None) => return vec![format!("rules refused: {e}")],
        (Err(e), Some(expected)) => {
            let actual: Vec<String> = e.errors().iter().map(ToString::to_string).collect();
            check(
                expected,
                &serde_json::to_value(actual).unwrap(),
                "rule_errors",
                &mut problems,
            );
            return problems;
        }
    };
    run_case(&snapshot, &scenario, "", &mut problems);
    // More requests against the same rules, each with its expectations.
    if let Some(cases) = scenario.get("cases").and_then(Value::as_array) {
        for (i, case) in cases.iter().enumerate() {
            run_case(&snapshot, case, &format!("cases[{i}]: "), &mut problems);
        }
    }
    problems
}

/// Runs the cart and the price request of `case` (the scenario itself or one of its `cases`).
fn run_case(snapshot: &Snapshot, scenario: &Value, name: &str, all: &mut Vec<String>) {
    let mut problems = Vec::new();
    if let Some(cart) = scenario.get("cart") {
        let cart = request_from_json::<Cart>(&cart.to_string());
        let result = cart.as_ref().map_err(Clone::clone).and_then(|cart| {
            snapshot
                .evaluate(cart)
                .map(|quote| serde_json::to_value(&quote).unwrap())
        });
        match (result, scenario.get("expect_cart_errors")) {
            (Ok(quote), None) => match scenario.get("expect") {
                Some(expected) => check(expected, &quote, "quote", &mut problems),
                None => problems.push("no `expect` for the cart".to_owned()),
            },
            (Ok(_), Some(_)) => problems.push("cart accepted, expected errors".to_owned()),
            (Err(e), None) => problems.push(format!("cart refused: {e}")),
            (Err(e), Some(expected)) => {
                let actual: Vec<String> = e.errors().iter().map(ToString::to_string).collect();
                check(
                    expected,
                    &serde_json::to_value(actual).unwrap(),
                    "cart_errors",
                    &mut problems,
                );
            }
        }
    }
    if let Some(request) = scenario.get("prices") {
        let result = request_from_json::<PriceRequest>(&request.to_string())
            .and_then(|r| snapshot.price(&r));
        match (result, scenario.get("expect_prices")) {
            (Ok(prices), Some(expected)) => check(
                expected,
                &serde_json::to_value(prices).unwrap(),
                "prices",
                &mut problems,
            ),
            (Ok(_), None) => problems.push("no `expect_prices` for the price request".to_owned()),
            (Err(e), _) => problems.push(format!("price request refused: {e}")),
        }
    }
    all.extend(problems.into_iter().map(|p| format!("{name}{p}")));
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios() {
    let only = std::env::var("SCENARIO").ok();
    let files = scenario_files();
    let mut failed = Vec::new();
    let mut ran = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        let problems = run(file);
        if !problems.is_empty() {
            failed.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(ran > 0, "no scenario ran");
    assert!(
        failed.is_empty(),
        "{} of {ran} scenarios failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    eprintln!("{ran} scenarios passed");
}
