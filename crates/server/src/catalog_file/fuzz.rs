//! Fuzzing the catalog file readers with proptest: arbitrary bytes as CSV and as JSON, and
//! mutations of a valid file (a cell replaced by a huge, negative, comma-decimal, unicode or
//! quoted value, cells added or removed, rows repeated or removed, the header changed, a byte
//! order mark, CRLF). Properties: no panic; an error lists problems that each name their line
//! (CSV) or index (JSON) and say what is wrong; a bad number is named by its line and column.
//!
//! A short run with a fixed seed is part of `cargo test`; a longer one:
//! `PROPTEST_CASES=100000 cargo test --release -p remise-server --lib catalog_file::fuzz`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failure is a finding

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use std::ops::ControlFlow;

use remise_engine::money::Money;
use remise_engine::rules::{Product, Rounding};

use super::FileFormat;
use crate::problem::ApiError;

const DEFAULT_CASES: u32 = 1_000;
const DEFAULT_SEED: u64 = 0x5EED_CA7A;
const MAX_ROWS: usize = 50;

fn config() -> Config {
    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    Config {
        cases: env("PROPTEST_CASES").unwrap_or(DEFAULT_CASES),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(DEFAULT_SEED)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Every column, one attribute among them.
fn header() -> Vec<&'static str> {
    let mut header = super::csv_rows::COLUMNS.to_vec();
    header.push("attr.color");
    header
}

fn seed_rows() -> Vec<Vec<String>> {
    let rows = [
        [
            "FIG-SPIDERMAN",
            "Figurine Spider-Man",
            "24.90",
            "0.20",
            "marvel|superheroes",
            "Hasbro",
            "nouveauté|exclu web",
            "10.00",
            "15.00",
            "29.90",
            "rouge",
        ],
        [
            "GAME-UNO", "UNO", "9.99", "0.055", "", "Mattel", "", "", "", "", "",
        ],
        [
            "PILES-AA",
            "Piles AA × 4",
            "4.50",
            "0.20",
            "accessoires",
            "",
            "",
            "1.2",
            "",
            "",
            "",
        ],
    ];
    rows.iter()
        .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
        .collect()
}

fn wild_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "0",
            "-0",
            "-1",
            "12,50",
            "1 234.50",
            "1e27",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "-79228162514264337593543950336",
            "0.0000000000000000000000000001",
            "NaN",
            "inf",
            "é😀\u{202e}\u{0}",
            "\u{feff}sku",
            "\"",
            "\"quoted, with a comma\"",
            "\"unterminated",
            "a\nb",
            "a\r\nb",
            "|||",
            "attr.",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i64>(), 0..30u32).prop_map(|(n, scale)| {
            rust_decimal::Decimal::try_new(n, scale)
                .map_or_else(|_| n.to_string(), |d| d.to_string())
        }),
        "\\PC{0,30}",
        Just("x".repeat(5_000)),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// A cell (row, column; row 0 is the header) replaced.
    Cell(usize, usize, String),
    /// A cell added at the end of a row, or the last one removed.
    Widen(usize, String),
    Narrow(usize),
    /// A row repeated, or removed.
    Repeat(usize, usize),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        8 => (any::<usize>(), any::<usize>(), wild_cell()).prop_map(|(r, c, v)| Mutation::Cell(r, c, v)),
        1 => (any::<usize>(), wild_cell()).prop_map(|(r, v)| Mutation::Widen(r, v)),
        1 => any::<usize>().prop_map(Mutation::Narrow),
        1 => (any::<usize>(), 2..60usize).prop_map(|(r, n)| Mutation::Repeat(r, n)),
        1 => any::<usize>().prop_map(Mutation::Remove),
    ]
}

/// The seed file (header first) with `mutations` applied.
fn mutated(mutations: &[Mutation]) -> Vec<Vec<String>> {
    let mut rows = vec![header().iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    rows.extend(seed_rows());
    for mutation in mutations {
        let n = rows.len();
        match mutation {
            Mutation::Cell(r, c, value) => {
                let row = &mut rows[r % n];
                if !row.is_empty() {
                    let len = row.len();
                    row[c % len] = value.clone();
                }
            }
            Mutation::Widen(r, value) => rows[r % n].push(value.clone()),
            Mutation::Narrow(r) => {
                rows[r % n].pop();
            }
            Mutation::Repeat(r, times) => {
                let row = rows[r % n].clone();
                for _ in 1..*times {
                    rows.insert(r % n, row.clone());
                }
            }
            Mutation::Remove(r) if n > 1 => {
                rows.remove(r % n);
            }
            Mutation::Remove(_) => {}
        }
    }
    rows
}

/// Cells joined as they are (a quote or a line break in a cell makes the file malformed, which
/// is the point), with LF or CRLF, with or without a byte order mark.
fn text(rows: &[Vec<String>], crlf: bool, bom: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = if bom {
        "\u{feff}".to_owned()
    } else {
        String::new()
    };
    for row in rows {
        text.push_str(&row.join(","));
        text.push_str(end);
    }
    text
}

/// What the rows are checked against: euros, and the segments of the seed rows.
fn checks() -> super::Checks {
    super::Checks {
        money: Money::parse("EUR", Rounding::HalfAwayFromZero).unwrap(),
        segments: ["marvel", "superheroes", "accessoires"]
            .map(str::to_owned)
            .into(),
    }
}

/// The products of a file, or every problem of it, as the import reports them.
fn read_all(
    reader: impl std::io::Read,
    format: FileFormat,
    max_rows: usize,
) -> crate::problem::ApiResult<Vec<Product>> {
    let mut products = Vec::new();
    let problems = super::read_checked(reader, format, max_rows, &checks(), |product| {
        products.extend(product);
        ControlFlow::Continue(())
    })?;
    problems.finish(products)
}

/// Reads `bytes`; checks that an error is one the API can answer with, naming each problem.
fn check(bytes: &[u8], format: FileFormat) -> Option<Vec<Product>> {
    match read_all(bytes, format, MAX_ROWS) {
        Ok(products) => {
            // A file read whole has unique skus that are valid ids.
            let skus: std::collections::HashSet<&str> =
                products.iter().map(|p| p.sku.as_str()).collect();
            assert_eq!(skus.len(), products.len());
            assert!(products.iter().all(|p| !p.sku.is_empty()), "{products:?}");
            Some(products)
        }
        Err(ApiError::Validation(problems)) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                assert!(!problem.message.trim().is_empty(), "{problem:?}");
                let named = match format {
                    FileFormat::Csv => problem.field.starts_with("line "),
                    FileFormat::Json => {
                        problem.field.starts_with('[')
                            || problem.field.starts_with("products")
                            || problem.field.is_empty()
                    }
                };
                // The last problem may count the ones left out.
                let counted = problem.field.is_empty() && problem.message.starts_with("and ");
                assert!(
                    named || counted,
                    "a problem that names no place: {problem:?}"
                );
            }
            None
        }
        Err(ApiError::InvalidJson { field, detail }) if format == FileFormat::Json => {
            assert!(!detail.trim().is_empty());
            assert!(field.is_some_and(|f| !f.is_empty()), "{detail}");
            None
        }
        Err(ApiError::PayloadTooLarge(detail)) => {
            assert!(detail.contains(&MAX_ROWS.to_string()), "{detail}");
            None
        }
        Err(other) => panic!("not an answer for a bad file: {other:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check(&bytes, FileFormat::Csv);
        check(&bytes, FileFormat::Json);
    }

    #[test]
    fn mutated_csv_files_are_read_or_refused_line_by_line(
        mutations in prop::collection::vec(mutation(), 1..6),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let rows = mutated(&mutations);
        check(text(&rows, crlf, bom).as_bytes(), FileFormat::Csv);
    }

    #[test]
    fn a_bad_number_is_named_by_its_line_and_column(
        row in 0..3usize,
        column in prop::sample::select(vec!["price", "tax_rate", "cost", "min_price", "compare_at_price"]),
        // (Not `1e27`: it reads as a number, and its bound is checked with the product, after
        // reading: `api/numbers.rs`.)
        value in prop::sample::select(vec!["NaN", "79228162514264337593543950336", "douze", "--1", "12.5.0", "½"]),
        crlf in any::<bool>(),
    ) {
        let index = header().iter().position(|h| *h == column).unwrap();
        let mutations = [Mutation::Cell(row + 1, index, value.to_owned())];
        let rows = mutated(&mutations);
        let result = read_all(text(&rows, crlf, false).as_bytes(), FileFormat::Csv, MAX_ROWS);
        let Err(ApiError::Validation(problems)) = result else {
            panic!("`{value}` in {column} was read: {result:?}");
        };
        let field = format!("line {}: {column}", row + 2);
        prop_assert!(
            problems.iter().any(|p| p.field == field && p.message.contains(value)),
            "{field} not named: {problems:?}"
        );
    }

    #[test]
    fn mutated_json_files_are_read_or_refused_by_index(
        mutations in prop::collection::vec(mutation(), 0..4),
        wrapped in any::<bool>(),
    ) {
        // The same rows as JSON products, with the mutated cells as strings.
        let rows = mutated(&mutations);
        let (header, body) = rows.split_first().unwrap();
        let products: Vec<serde_json::Value> = body
            .iter()
            .map(|row| {
                let mut product = serde_json::Map::new();
                for (key, cell) in header.iter().zip(row).filter(|(_, cell)| !cell.is_empty()) {
                    let value = serde_json::Value::String(cell.clone());
                    match key.as_str() {
                        "segments" | "tags" => {
                            product.insert(key.clone(), cell.split('|').collect::<Vec<_>>().into());
                        }
                        _ => match key.strip_prefix("attr.") {
                            Some(attribute) => {
                                product.insert(
                                    "attributes".to_owned(),
                                    serde_json::json!({ attribute: value }),
                                );
                            }
                            None => {
                                product.insert(key.clone(), value);
                            }
                        },
                    }
                }
                serde_json::Value::Object(product)
            })
            .collect();
        let value = if wrapped {
            serde_json::json!({ "products": products })
        } else {
            serde_json::Value::Array(products)
        };
        check(value.to_string().as_bytes(), FileFormat::Json);
    }
}

/// Found by the fuzzing above: with CRLF line endings (what spreadsheets on Windows write) every
/// line number was one too small, and with CR alone every row was "line 1".
#[test]
fn lines_are_named_the_same_whatever_the_line_endings() {
    for end in ["\n", "\r\n", "\r"] {
        let text = [
            "sku,name,price",
            "A,One,1.00",
            "B,Two,douze",
            "",
            "C,\"Three\nlines\",x",
            "D,Four,1",
        ]
        .join(end);
        let Err(ApiError::Validation(problems)) =
            read_all(text.as_bytes(), FileFormat::Csv, MAX_ROWS)
        else {
            panic!("{end:?}: read");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["line 3: price", "line 5: price"], "{end:?}");
    }
}

/// A row the csv crate cannot read is named by its line too, and its message does not give the
/// crate's own (different) line number.
#[test]
fn a_ragged_or_non_utf8_row_is_named_by_its_line() {
    let mut text = b"sku,name,price\r\n\r\nA,One,1.00,extra\r\nB,Two,".to_vec();
    text.extend_from_slice(&[0xff, 0xfe]);
    text.extend_from_slice(b"\r\n");
    let Err(ApiError::Validation(problems)) = read_all(text.as_slice(), FileFormat::Csv, 10) else {
        panic!("read");
    };
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.field.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("line 3", "4 fields, but the header has 3"),
            ("line 4", "the row is not UTF-8 text")
        ]
    );
}
