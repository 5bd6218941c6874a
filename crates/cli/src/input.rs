//! Reading what a command is given: rule files and requests (carts, price requests).
//!
//! A file that cannot be read is an I/O error naming the file. A file that can be read but not used
//! is an [`InvalidInput`]: every error the engine found, each with its path (`lines[0].quantity`) or
//! its position (`line 4, column 7`).

use std::fmt;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use jiff::Timestamp;
use remise_engine::{FieldError, Snapshot, request_from_json};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The path that stands for standard input.
const STDIN: &str = "-";

/// Input that was read but cannot be used, with every error found in it.
#[derive(Debug)]
pub struct InvalidInput {
    /// The file, as given on the command line (`standard input` for `-`).
    pub file: String,
    /// What the file should have held: `rules`, `cart`, `price request`.
    pub what: &'static str,
    pub errors: Vec<FieldError>,
}

impl InvalidInput {
    pub fn new(path: &Path, what: &'static str, error: &remise_engine::Error) -> InvalidInput {
        let errors = error.errors().to_vec();
        InvalidInput {
            file: display_name(path),
            what,
            errors,
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "invalid {} in {} ({n} error{s}):", self.what, self.file)
    }
}

impl std::error::Error for InvalidInput {}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Fails when more than one of `paths` is `-`: standard input can be read only once.
pub fn stdin_at_most_once(paths: &[&Path]) -> Result<()> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        anyhow::bail!("only one input file can be `-` (standard input)");
    }
    Ok(())
}

/// The whole text of `path`, or of standard input for `-`.
pub fn read_text(path: &Path) -> Result<String> {
    if is_stdin(path) {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// Reads and compiles a rule file.
pub fn load_rules(path: &Path) -> Result<Snapshot> {
    let text = read_text(path)?;
    Ok(Snapshot::from_json(&text).map_err(|e| InvalidInput::new(path, "rules", &e))?)
}

/// Reads a request (a cart, a price request). `at` replaces the request's instant; a request without
/// one is read at the current time (the engine never reads a clock, the command line does).
pub fn read_request<T: DeserializeOwned>(
    path: &Path,
    what: &'static str,
    at: Option<&str>,
) -> Result<T> {
    let text = read_text(path)?;
    let invalid = |e: remise_engine::Error| InvalidInput::new(path, what, &e);
    // Read as plain JSON first: syntax errors come back with their line and column.
    let mut value: Value = request_from_json(&text).map_err(invalid)?;
    let Value::Object(fields) = &mut value else {
        return Err(InvalidInput {
            file: display_name(path),
            what,
            errors: vec![FieldError::new("", "must be a JSON object")],
        }
        .into());
    };
    match at {
        Some(at) => {
            fields.insert("at".to_owned(), Value::String(at.to_owned()));
        }
        None if fields.get("at").is_none_or(Value::is_null) => {
            fields.insert("at".to_owned(), Value::String(now()));
        }
        None => {}
    }
    Ok(request_from_json(&value.to_string()).map_err(invalid)?)
}

/// The current instant, to the second, in RFC 3339 (`2026-12-05T13:30:00Z`).
fn now() -> String {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

/// Checks an `--at` value: an instant with an offset, as the request formats want it.
pub fn instant(text: &str) -> std::result::Result<String, String> {
    text.parse::<Timestamp>()
        .map(|_| text.to_owned())
        .map_err(|_| {
            "expected an instant with an offset (RFC 3339), e.g. 2026-12-05T18:30:00+01:00"
                .to_owned()
        })
}
