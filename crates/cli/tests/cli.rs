//! Runs the built `remise` binary on the examples and on broken inputs written to a temporary
//! directory: what it prints, on which stream, and with which exit status.

#![allow(clippy::expect_used)] // a test that cannot start the binary or write its files should fail loudly

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const RULES: &str = "examples/toyshop.rules.json";
const CART: &str = "examples/toyshop.cart.json";
const PRICES: &str = "examples/toyshop.prices.json";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "the binary panicked:\n{}",
            self.stderr
        );
    }

    fn assert_success(&self) {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "stderr:\n{}", self.stderr);
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The workspace root: example paths are relative to it, as in the README.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn remise(args: &[&str]) -> Run {
    remise_with_stdin(args, "")
}

fn remise_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start remise");
    // A child that stops before reading its input (a usage error) closes the pipe: not a failure.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    let output = child.wait_with_output().expect("run remise");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-tests")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_str().expect("utf-8 path").to_owned()
}

fn promotion<'a>(quote: &'a Value, id: &str) -> &'a Value {
    quote["promotions"]
        .as_array()
        .expect("promotions")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("promotion {id} not in the quote"))
}

#[test]
fn eval_prints_a_quote_with_applied_and_rejected_promotions_and_a_nudge() {
    let run = remise(&["eval", "--rules", RULES, "--cart", CART]);
    run.assert_success();
    let quote = run.json();
    assert_eq!(quote["format"], "remise.quote/1");
    let promotions = quote["promotions"].as_array().expect("promotions");
    assert!(promotions.iter().any(|p| p["status"] == "applied"));
    let rejected: Vec<&Value> = promotions
        .iter()
        .filter(|p| p["status"] == "rejected")
        .collect();
    assert!(!rejected.is_empty());
    for p in &rejected {
        assert!(
            p["reason"]["code"].is_string() && p["reason"]["message"].is_string(),
            "a rejected promotion says why: {p}"
        );
    }
    // The coupon is presented in lower case; the kiosk-only promotion is refused on the web, the
    // evening one in the afternoon, the pro one to a consumer.
    assert_eq!(promotion(&quote, "marvel10")["status"], "applied");
    assert_eq!(
        promotion(&quote, "borne-hasbro")["reason"]["code"],
        "channel_not_allowed"
    );
    assert_eq!(
        promotion(&quote, "soiree-exclu-web")["reason"]["code"],
        "outside_window"
    );
    assert_eq!(
        promotion(&quote, "pro-remise")["reason"]["code"],
        "not_in_audience"
    );
    assert_eq!(
        promotion(&quote, "lego-semaine")["reason"]["code"],
        "blocked_by"
    );
    assert!(!quote["nudges"].as_array().expect("nudges").is_empty());
    assert_eq!(quote["gifts"].as_array().expect("gifts").len(), 1);
    assert_eq!(
        quote["parcel_inserts"].as_array().expect("inserts").len(),
        1
    );
}

#[test]
fn explain_shows_every_reason_and_nudge() {
    let quote = remise(&["eval", "--rules", RULES, "--cart", CART]).json();
    let run = remise(&["eval", "--rules", RULES, "--cart", CART, "--explain"]);
    run.assert_success();
    let report = &run.stdout;
    for section in [
        "Lines",
        "Shipping",
        "Gifts",
        "Parcel inserts",
        "Totals",
        "Promotions considered",
        "Nudges",
    ] {
        assert!(report.contains(section), "no {section} section:\n{report}");
    }
    for p in quote["promotions"].as_array().expect("promotions") {
        let id = p["id"].as_str().expect("id");
        assert!(report.contains(id), "{id} missing from the report");
        if let Some(message) = p["reason"]["message"].as_str() {
            assert!(
                report.contains(message),
                "reason `{message}` missing:\n{report}"
            );
        }
    }
    for nudge in quote["nudges"].as_array().expect("nudges") {
        let message = nudge["message"].as_str().expect("message");
        assert!(report.contains(message), "nudge `{message}` missing");
    }
    assert!(report.contains("POSTER-AVENGERS"));
    assert!(report.contains("CATALOGUE-NOEL-2026"));
}

#[test]
fn at_overrides_the_carts_instant() {
    let run = remise(&[
        "eval",
        "--rules",
        RULES,
        "--cart",
        CART,
        "--at",
        "2026-12-05T18:30:00+01:00",
    ]);
    run.assert_success();
    assert_eq!(
        promotion(&run.json(), "soiree-exclu-web")["status"],
        "applied"
    );
}

#[test]
fn a_cart_without_at_is_evaluated_now() {
    let cart = r#"{ "channel": "web", "lines": [ { "sku": "GAME-UNO", "quantity": 1 } ] }"#;
    let run = remise_with_stdin(&["eval", "--rules", RULES, "--cart", "-"], cart);
    run.assert_success();
    assert_eq!(run.json()["lines"][0]["sku"], "GAME-UNO");
}

#[test]
fn an_invalid_at_is_a_usage_error() {
    let run = remise(&["eval", "--rules", RULES, "--cart", CART, "--at", "tomorrow"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--at"), "{}", run.stderr);
}

#[test]
fn check_summarises_a_valid_rule_file() {
    let run = remise(&["check", "--rules", RULES]);
    run.assert_success();
    assert!(run.stdout.contains("ok"), "{}", run.stdout);
    assert!(run.stdout.contains("12 products"), "{}", run.stdout);
    assert!(run.stdout.contains("promotions"), "{}", run.stdout);
}

#[test]
fn check_lists_every_error_of_a_malformed_rule_file() {
    let dir = temp_dir("check_malformed");
    let rules = write(
        &dir,
        "bad.rules.json",
        r#"{
  "format": "remise.rules/1",
  "store": { "currency": "EUR", "time_zone": "Europe/Paris" },
  "catalog": {
    "segments": [ { "id": "marvel", "name": "Marvel" } ],
    "products": [
      { "sku": "FIG", "name": "Figurine", "price": "24.99", "tax_rate": "0.20", "segments": ["marvel"] },
      { "sku": "BAT", "name": "Batman", "price": "21.99", "tax_rate": "0.20", "segments": ["dc"] }
    ]
  },
  "promotions": [
    { "id": "too-much", "targets": { "segments": ["marvel"] },
      "offer": { "type": "percent_off", "percent": 120 } },
    { "id": "nowhere", "targets": { "segments": ["superheroes"] },
      "offer": { "type": "percent_off", "percent": 10 } },
    { "id": "late", "validity": { "windows": [ { "from": "25:00", "to": "20:00" } ] },
      "offer": { "type": "free_shipping" } }
  ]
}"#,
    );
    let run = remise(&["check", "--rules", &rules]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert!(run.stderr.contains("bad.rules.json"), "{}", run.stderr);
    let expected = [
        ("promotions[0].offer.percent: ", "120"),
        ("promotions[1].targets.segments[0]: ", "superheroes"),
        ("catalog.products[1].segments[0]: ", "dc"),
        ("promotions[2].validity.windows[0].from: ", "25:00"),
    ];
    for (path, value) in expected {
        assert!(
            run.stderr
                .lines()
                .any(|line| line.trim_start().starts_with(path) && line.contains(value)),
            "no error `{path}…{value}…` in:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("4 errors"), "{}", run.stderr);
}

#[test]
fn a_cart_with_bad_json_names_the_line_and_column() {
    let dir = temp_dir("bad_json_cart");
    let cart = write(
        &dir,
        "broken.cart.json",
        "{\n  \"at\": \"2026-12-05T14:30:00+01:00\",\n  \"lines\": [ { \"sku\": \"GAME-UNO\", \"quantity\": 1, } ]\n}\n",
    );
    let run = remise(&["eval", "--rules", RULES, "--cart", &cart]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("broken.cart.json"), "{}", run.stderr);
    assert!(run.stderr.contains("line 3, column"), "{}", run.stderr);
}

#[test]
fn an_invalid_cart_lists_its_errors_with_paths() {
    let cart = r#"{ "at": "2026-12-05T14:30:00+01:00",
        "lines": [ { "sku": "GAME-UNO", "quantity": 0 }, { "sku": "NOT-SOLD-HERE", "quantity": 1 } ] }"#;
    let run = remise_with_stdin(&["eval", "--rules", RULES, "--cart", "-"], cart);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("lines[0].quantity: "), "{}", run.stderr);
    assert!(run.stderr.contains("lines[1].sku: "), "{}", run.stderr);
}

#[test]
fn a_cart_beyond_the_limits_is_refused_with_its_fields_not_a_panic() {
    // 10^27 on 100 units overflowed a Decimal; a tax rate of -1 divided by zero for a net
    // customer; a negative quantity was a malformed cart where zero was an invalid one.
    let cart = r#"{ "at": "2026-12-05T14:30:00+01:00", "display": "net",
        "lines": [ { "sku": "GOLD", "quantity": 100, "price": 1e27 }, { "sku": "GAME-UNO", "quantity": -1 } ],
        "shipping_options": [ { "method": "standard", "price": "4.90", "tax_rate": "-1" } ] }"#;
    let run = remise_with_stdin(&["eval", "--rules", RULES, "--cart", "-"], cart);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    for expected in [
        "lines[0].price: must be at most 1000000000000000",
        "lines[1].quantity: must be at least 1",
        "shipping_options[0].tax_rate: must be between 0 and 1",
    ] {
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
}

#[test]
fn an_unreadable_file_is_named() {
    let dir = temp_dir("unreadable");
    let missing = dir.join("no-such.cart.json");
    let missing = missing.to_str().expect("utf-8 path");
    let run = remise(&["eval", "--rules", RULES, "--cart", missing]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains(missing), "{}", run.stderr);

    let run = remise(&["check", "--rules", "examples/no-such.rules.json"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("examples/no-such.rules.json"));
}

#[test]
fn price_prints_catalog_prices() {
    let run = remise(&["price", "--rules", RULES, "--request", PRICES]);
    run.assert_success();
    let prices = run.json();
    let prices = prices.as_array().expect("an array of prices");
    let spiderman = prices
        .iter()
        .find(|p| p["sku"] == "FIG-SPIDERMAN")
        .expect("FIG-SPIDERMAN priced");
    assert_eq!(spiderman["reference_price"], "24.99");
    assert_eq!(spiderman["price"], "19.99");
    assert_eq!(spiderman["promotion"], "marvel-20");
}

#[test]
fn price_refuses_an_unknown_sku() {
    let request = r#"{ "at": "2026-12-05T14:30:00+01:00", "skus": ["GAME-UNO", "NOPE"] }"#;
    let run = remise_with_stdin(&["price", "--rules", RULES, "--request", "-"], request);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("skus[1]: "), "{}", run.stderr);
}

/// The title of the report's section on multi-unit offers.
const MULTI_UNIT_SECTION: &str = "Units used by multi-unit offers (buy X get Y, bundles)";

const MULTI_UNIT_RULES: &str = r#"{
  "format": "remise.rules/1",
  "store": { "currency": "EUR", "time_zone": "Europe/Paris" },
  "catalog": {
    "segments": [ { "id": "books", "name": "Books" } ],
    "products": [
      { "sku": "BOOK-M", "name": "Paperback", "price": "15.00", "tax_rate": "0.20", "segments": ["books"] },
      { "sku": "BOOK-S", "name": "Pocket book", "price": "9.00", "tax_rate": "0.20", "segments": ["books"] },
      { "sku": "BOOK-L", "name": "Hardcover", "price": "24.00", "tax_rate": "0.20", "segments": ["books"] },
      { "sku": "MUG", "name": "Mug", "price": "10.00", "tax_rate": "0.20" },
      { "sku": "BOWL", "name": "Bowl", "price": "8.00", "tax_rate": "0.20" },
      { "sku": "CONSOLE", "name": "Console", "price": "300.00", "tax_rate": "0.20" },
      { "sku": "GAME", "name": "Game", "price": "60.00", "tax_rate": "0.20" }
    ]
  },
  "promotions": [
    { "id": "three-for-two", "name": "3 for 2 on books", "targets": { "segments": ["books"] },
      "offer": { "type": "buy_x_get_y", "buy": 2, "get": 1 } },
    { "id": "mug-bowl", "name": "Mug + bowl for 15 €",
      "offer": { "type": "bundle", "slots": [ { "targets": { "skus": ["MUG"] } }, { "targets": { "skus": ["BOWL"] } } ],
                 "price": { "type": "price", "price": "15.00" } } },
    { "id": "console-game", "name": "Console + game half price", "targets": { "skus": ["CONSOLE"] },
      "offer": { "type": "buy_x_get_y", "buy": 1, "get": 1, "reward_targets": { "skus": ["GAME"] },
                 "reward": { "type": "percent_off", "percent": 50 } } }
  ]
}"#;

/// 7 books (the 2 cheapest free), a mug and a bowl (one bundle), a console without a game.
const MULTI_UNIT_CART: &str = r#"{
  "at": "2026-12-05T10:00:00+01:00",
  "lines": [
    { "sku": "BOOK-M", "quantity": 2 }, { "sku": "BOOK-S", "quantity": 3 }, { "sku": "BOOK-L", "quantity": 2 },
    { "sku": "MUG", "quantity": 1 }, { "sku": "BOWL", "quantity": 1 }, { "sku": "CONSOLE", "quantity": 1 }
  ]
}"#;

#[test]
fn explain_shows_the_units_of_each_multi_buy_application_and_bundle() {
    let dir = temp_dir("explain_multi_unit");
    let rules = write(&dir, "multi.rules.json", MULTI_UNIT_RULES);
    let cart = write(&dir, "multi.cart.json", MULTI_UNIT_CART);

    // The JSON quote carries the applications: 2 × (2 triggers → 1 reward), one bundle.
    let run = remise(&["eval", "--rules", &rules, "--cart", &cart]);
    run.assert_success();
    let quote = run.json();
    let three = promotion(&quote, "three-for-two");
    assert_eq!(three["status"], "applied");
    assert_eq!(three["discount"], "18.00");
    let applications = three["applications"].as_array().expect("applications");
    assert_eq!(applications.len(), 2);
    assert_eq!(applications[0]["triggers"][0]["line"], "3");
    assert_eq!(applications[0]["triggers"][0]["units"], 2);
    assert_eq!(applications[0]["rewards"][0]["line"], "2");
    assert_eq!(applications[0]["rewards"][0]["units"], 1);
    let bundle = promotion(&quote, "mug-bowl");
    assert_eq!(bundle["discount"], "3.00");
    assert_eq!(
        bundle["applications"][0]["units"].as_array().map(Vec::len),
        Some(2)
    );
    let console = promotion(&quote, "console-game");
    assert_eq!(console["reason"]["code"], "multi_buy_not_reached");
    assert!(console.get("applications").is_none(), "{console}");

    let run = remise(&["eval", "--rules", &rules, "--cart", &cart, "--explain"]);
    run.assert_success();
    let report = &run.stdout;
    let section = report
        .split(MULTI_UNIT_SECTION)
        .nth(1)
        .unwrap_or_else(|| panic!("no multi-unit section:\n{report}"));
    let section = section.split("Nudges").next().unwrap_or_default();
    for expected in [
        "three-for-two (3 for 2 on books)",
        "application 1: line 3 (BOOK-L) ×2 → line 2 (BOOK-S) ×1",
        "application 2: line 1 (BOOK-M) ×2 → line 2 (BOOK-S) ×1",
        "mug-bowl (Mug + bowl for 15 €)",
        "bundle 1: line 4 (MUG) ×1 + line 5 (BOWL) ×1",
    ] {
        assert!(section.contains(expected), "no `{expected}` in:\n{section}");
    }
    // A multi-buy that did not apply used no unit; its reason is in the promotions table.
    assert!(!section.contains("console-game"), "{section}");
    let message = console["reason"]["message"].as_str().expect("message");
    assert!(
        report.contains(message),
        "reason `{message}` missing:\n{report}"
    );
    assert!(report.contains("2 applications"), "{report}");
    assert!(report.contains("1 bundle"), "{report}");
}

#[test]
fn explain_says_when_no_multi_unit_offer_used_units() {
    let run = remise(&["eval", "--rules", RULES, "--cart", CART, "--explain"]);
    run.assert_success();
    let section = run
        .stdout
        .split("Units used by multi-unit offers")
        .nth(1)
        .unwrap_or_else(|| panic!("no multi-unit section:\n{}", run.stdout));
    assert!(
        section
            .trim_start()
            .starts_with("(buy X get Y, bundles)\n  (none)"),
        "{section}"
    );
}

const VOUCHER_RULES: &str = r#"{
  "format": "remise.rules/1",
  "store": { "currency": "EUR", "time_zone": "Europe/Paris" },
  "catalog": { "products": [
    { "sku": "BOOK", "name": "Book", "price": "30.00", "tax_rate": "0.20" },
    { "sku": "PEN", "name": "Pen", "price": "20.00", "tax_rate": "0.20" } ] },
  "promotions": [ { "id": "ten-off", "name": "10 % off", "offer": { "type": "cart_percent_off", "percent": "10" } } ]
}"#;

/// 50.00 of goods, 45.00 after 10 %: a 40.00 card on anything, a 15.00 one on the pen (which has
/// 2.00 left), a 5.00 one on ink the cart does not hold.
const VOUCHER_CART: &str = r#"{
  "at": "2026-12-05T10:00:00+01:00",
  "lines": [ { "sku": "BOOK", "quantity": 1 }, { "sku": "PEN", "quantity": 1 } ],
  "shipping_options": [ { "method": "standard", "price": "4.90", "tax_rate": "0.20" } ],
  "shipping_method": "standard",
  "vouchers": [
    { "code": "GC-1", "amount": "40.00" },
    { "code": "GC-2", "amount": "15.00", "skus": ["PEN"] },
    { "code": "GC-3", "amount": "5.00", "skus": ["INK"] }
  ]
}"#;

#[test]
fn explain_shows_what_each_voucher_paid_and_what_is_left() {
    let dir = temp_dir("explain_vouchers");
    let rules = write(&dir, "vouchers.rules.json", VOUCHER_RULES);
    let cart = write(&dir, "vouchers.cart.json", VOUCHER_CART);

    // BOOK 27.00 and PEN 18.00 after 10 %; GC-1 pays 40 × 27/45 = 24.00 and 16.00; GC-2 the 2.00
    // left of the pen; GC-3 nothing. Only shipping is left to pay.
    let run = remise(&["eval", "--rules", &rules, "--cart", &cart]);
    run.assert_success();
    let quote = run.json();
    let granted: Vec<(&str, &str, &str)> = quote["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| {
            (
                v["code"].as_str().expect("code"),
                v["granted"].as_str().expect("granted"),
                v["remaining"].as_str().expect("remaining"),
            )
        })
        .collect();
    assert_eq!(
        granted,
        [
            ("GC-1", "40.00", "0.00"),
            ("GC-2", "2.00", "13.00"),
            ("GC-3", "0.00", "5.00")
        ]
    );
    assert_eq!(quote["totals"]["discount"], "5.00");
    assert_eq!(quote["totals"]["vouchers"], "42.00");
    assert_eq!(quote["totals"]["merchandise"]["gross"], "3.00");
    assert_eq!(quote["totals"]["grand"]["gross"], "7.90");
    assert_eq!(quote["lines"][1]["vouchers"][1]["code"], "GC-2");

    let run = remise(&["eval", "--rules", &rules, "--cart", &cart, "--explain"]);
    run.assert_success();
    let report = &run.stdout;
    let section = report
        .split("\nVouchers\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no voucher section:\n{report}"));
    let section = section.split("Nudges").next().unwrap_or_default();
    for expected in [
        "GC-1",
        "line 1 (BOOK) -24.00",
        "line 2 (PEN) -16.00",
        "line 2 (PEN) -2.00",
        "13.00",
        "(no line left to pay for)",
    ] {
        assert!(section.contains(expected), "no `{expected}` in:\n{section}");
    }
    // On the lines, next to the promotions' discounts; in the totals, apart from them.
    assert!(report.contains("-16.00 voucher GC-1"), "{report}");
    assert!(report.contains("-2.00 voucher GC-2"), "{report}");
    let totals = report.split("Totals").nth(1).unwrap_or_default();
    assert!(totals.contains("vouchers"), "{totals}");
    assert!(totals.contains("-42.00"), "{totals}");
    // The strategies are compared before the vouchers are spent.
    assert!(
        report.contains("priority order 49.90 → best choice 49.90: saves 0.00"),
        "{report}"
    );
    assert!(report.contains("totals before vouchers"), "{report}");
}

#[test]
fn explain_says_when_the_cart_has_no_voucher() {
    let run = remise(&["eval", "--rules", RULES, "--cart", CART, "--explain"]);
    run.assert_success();
    let section = run
        .stdout
        .split("\nVouchers\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no voucher section:\n{}", run.stdout));
    assert!(section.starts_with("  (none)"), "{section}");
    // Without vouchers, the quote has no trace of them.
    let quote = remise(&["eval", "--rules", RULES, "--cart", CART]).json();
    assert!(quote.get("vouchers").is_none());
    assert!(quote["totals"].get("vouchers").is_none());
}

#[test]
fn an_invalid_voucher_is_named_by_its_path() {
    let cart = r#"{ "at": "2026-12-05T14:30:00+01:00", "lines": [ { "sku": "GAME-UNO", "quantity": 1 } ],
        "vouchers": [ { "code": "GC-1", "amount": "0" }, { "code": "gc1", "amount": "5.00" } ] }"#;
    let run = remise_with_stdin(&["eval", "--rules", RULES, "--cart", "-"], cart);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("vouchers[0].amount: must be greater than 0 (got 0)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("vouchers[1].code: duplicate voucher `gc1`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_concept_store_example_shows_multi_buys_bundles_distinct_products_and_quantity_tiers() {
    let run = remise(&[
        "eval",
        "--rules",
        "examples/conceptstore.rules.json",
        "--cart",
        "examples/conceptstore.cart.json",
    ]);
    run.assert_success();
    let quote = run.json();
    let applications = |id: &str| {
        promotion(&quote, id)["applications"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(promotion(&quote, "petit-dejeuner")["status"], "applied");
    assert_eq!(applications("petit-dejeuner"), 1);
    assert_eq!(promotion(&quote, "livres-3-pour-2")["discount"], "18.00");
    assert_eq!(applications("livres-3-pour-2"), 2);
    assert_eq!(applications("cuisine-2e-moitie-prix"), 1);
    assert_eq!(promotion(&quote, "bougies-paliers")["status"], "applied");
    assert_eq!(
        promotion(&quote, "trio-de-thes")["reason"]["code"],
        "min_distinct_products"
    );
    let kinds: Vec<&str> = quote["nudges"]
        .as_array()
        .expect("nudges")
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["add_units", "add_products"]);
}

/// A SQLite database URL in a fresh directory.
fn database(test: &str) -> (PathBuf, String) {
    let dir = temp_dir(test);
    let url = format!("sqlite://{}", dir.join("remise.db").display());
    (dir, url)
}

#[test]
fn migrate_creates_the_database_file_and_can_run_twice() {
    let (dir, url) = database("migrate");
    let first = remise(&["migrate", "--database", &url]);
    first.assert_success();
    assert!(
        first.stdout.contains("migrations applied"),
        "{}",
        first.stdout
    );
    assert!(dir.join("remise.db").exists());
    remise(&["migrate", "--database", &url]).assert_success();
}

#[test]
fn a_bad_database_url_is_refused_with_its_name() {
    let run = remise(&["migrate", "--database", "mysql://localhost/x"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("mysql://localhost/x"), "{}", run.stderr);
}

#[test]
fn a_catalog_imported_from_csv_exports_back_the_same() {
    let (dir, url) = database("import-export");
    remise(&["demo", "--database", &url]).assert_success();
    let csv = "sku,name,price,tax_rate,segments,brand,tags,attr.colour\n\
               CUP-1,Tasse bleue,12.50,0.20,jeux,Acme,cadeau|cuisine,bleu\n\
               CUP-2,Tasse rouge,12.5,0.2,jeux|marvel,,,rouge\n";
    let file = write(&dir, "cups.csv", csv);
    let import = remise(&["import", "catalog", &file, "--database", &url]);
    import.assert_success();
    assert!(
        import
            .stdout
            .contains("2 products read; 2 created, 0 updated, 0 unchanged"),
        "{}",
        import.stdout
    );
    let again = remise(&["import", "catalog", &file, "--database", &url]);
    again.assert_success();
    assert!(
        again.stdout.contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        again.stdout
    );

    let export = remise(&["export", "catalog", "--format", "json", "--database", &url]);
    export.assert_success();
    let products = export.json();
    let products = products.as_array().expect("an array of products");
    assert_eq!(products.len(), 14, "the demo's 12 products and the 2 cups");
    let cup = products
        .iter()
        .find(|p| p["sku"] == "CUP-1")
        .expect("CUP-1");
    assert_eq!(cup["price"], "12.50");
    assert_eq!(cup["tags"], serde_json::json!(["cadeau", "cuisine"]));
    assert_eq!(cup["attributes"]["colour"], "bleu");

    let exported = dir.join("export.csv");
    let exported = exported.to_str().expect("utf-8 path");
    remise(&[
        "export",
        "catalog",
        "--output",
        exported,
        "--database",
        &url,
    ])
    .assert_success();
    let text = std::fs::read_to_string(exported).expect("exported file");
    assert!(
        text.starts_with("sku,name,price,tax_rate,segments,brand,tags,attr."),
        "{text}"
    );
    assert!(
        text.contains("CUP-2,Tasse rouge,12.5,0.2,jeux|marvel,,,"),
        "{text}"
    );
    // Re-importing the export changes nothing.
    let round_trip = remise(&["import", "catalog", exported, "--database", &url]);
    round_trip.assert_success();
    assert!(
        round_trip
            .stdout
            .contains("0 created, 0 updated, 14 unchanged"),
        "{}",
        round_trip.stdout
    );
}

#[test]
fn a_bad_catalog_file_lists_every_bad_line_and_writes_nothing() {
    let (dir, url) = database("import-bad");
    remise(&["migrate", "--database", &url]).assert_success();
    let csv = "sku,name,price,segments\n\
               OK-1,Fine,1.00,\n\
               BAD-PRICE,Oops,12;50,\n\
               OK-2,Fine,2.00,\n\
               BAD-SEGMENT,Lost,3.00,nowhere\n\
               OK-1,Twice,1.00,\n";
    let file = write(&dir, "bad.csv", csv);
    let run = remise(&["import", "catalog", &file, "--database", &url]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("line 3: price"), "{}", run.stderr);
    assert!(run.stderr.contains("line 6: sku"), "{}", run.stderr);
    // The unknown segment, found by the check against the store, is reported in the same run.
    assert!(
        run.stderr
            .contains("line 5: segments[0]: unknown segment `nowhere`"),
        "{}",
        run.stderr
    );
    let fixed = write(
        &dir,
        "fixed.csv",
        &csv.replace("12;50", "12.50")
            .replace("OK-1,Twice,1.00,\n", ""),
    );
    let run = remise(&["import", "catalog", &fixed, "--database", &url]);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 5: segments[0]: unknown segment `nowhere`"),
        "{}",
        run.stderr
    );

    let export = remise(&["export", "catalog", "--format", "json", "--database", &url]);
    export.assert_success();
    assert_eq!(export.json(), serde_json::json!([]), "nothing was written");
}

#[test]
fn codes_generated_by_the_cli_are_exported_with_their_state() {
    let (_dir, url) = database("codes");
    remise(&["demo", "--database", &url]).assert_success();
    let generate = remise(&[
        "codes",
        "generate",
        "--batch",
        "noel",
        "--promotion",
        "marvel10",
        "--count",
        "20",
        "--prefix",
        "NOEL-",
        "--database",
        &url,
    ]);
    generate.assert_success();
    assert!(
        generate
            .stdout
            .contains("batch noel: 20 codes generated for promotion marvel10"),
        "{}",
        generate.stdout
    );
    // Under 40 bits of randomness: refused as invalid input.
    let weak = remise(&[
        "codes",
        "generate",
        "--batch",
        "weak",
        "--promotion",
        "marvel10",
        "--count",
        "5",
        "--length",
        "8",
        "--database",
        &url,
    ]);
    weak.assert_no_panic();
    assert_eq!(weak.code, Some(2), "{}", weak.stderr);
    assert!(weak.stderr.contains("length"), "{}", weak.stderr);

    let export = remise(&["codes", "export", "--batch", "noel", "--database", &url]);
    export.assert_success();
    let lines: Vec<&str> = export.stdout.lines().collect();
    assert_eq!(lines[0], "code,promotion,batch,state,relay,created_at");
    assert_eq!(lines.len(), 21, "{}", export.stdout);
    for line in &lines[1..] {
        assert!(line.starts_with("NOEL-"), "{line}");
        assert!(line.contains(",marvel10,noel,available,,"), "{line}");
    }
}
