//! Reading rule files and requests from JSON, reporting every error with its path.
//!
//! A rule file is read element by element (each segment, product, selection and promotion on its
//! own) so that one bad promotion does not hide the errors of the next; what could be read is then
//! compiled, and the errors of both steps are reported together.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::compile::{Positions, compile_at};
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::rules::{Catalog, RuleSet};
use crate::snapshot::Snapshot;

fn json_error(error: &serde_json::Error) -> FieldError {
    FieldError::new(
        format!("line {}, column {}", error.line(), error.column()),
        error
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Deserializes `value`, prefixing the path of any error with `path`.
fn read<T: DeserializeOwned>(value: Value, path: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| {
            let inner = e.path().to_string();
            let full = match (path.is_empty(), inner == ".") {
                (true, true) => String::new(),
                (true, false) => inner,
                (false, true) => path.to_owned(),
                (false, false) if inner.starts_with('[') => format!("{path}{inner}"),
                (false, false) => format!("{path}.{inner}"),
            };
            errors.push(FieldError::new(full, e.into_inner().to_string()));
        })
        .ok()
}

/// Reads each element of the array at `path` on its own; returns the elements read and where
/// they stood.
fn read_list<T: DeserializeOwned>(
    value: Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> (Vec<T>, Vec<usize>) {
    let Value::Array(items) = value else {
        errors.push(FieldError::new(path, "must be an array"));
        return (Vec::new(), Vec::new());
    };
    let mut read_items = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if let Some(item) = read(item, &format!("{path}[{i}]"), errors) {
            read_items.push(item);
            positions.push(i);
        }
    }
    (read_items, positions)
}

fn take_object(
    value: Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => {
            errors.push(FieldError::new(path, "must be an object"));
            serde_json::Map::new()
        }
    }
}

impl Snapshot {
    /// Reads and compiles a rule file, reporting every error of the file at once.
    pub fn from_json(text: &str) -> Result<Snapshot> {
        let (rules, positions, errors) = read_rules(text);
        match rules {
            Some(rules) => compile_at(&rules, Some(&positions), errors),
            None => Err(Error::InvalidRules(FieldErrors(errors))),
        }
    }
}

fn read_rules(text: &str) -> (Option<RuleSet>, Positions, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut positions = Positions::default();
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return (None, positions, vec![json_error(&e)]),
    };
    let mut rules = RuleSet::default();
    for (key, value) in take_object(value, "", &mut errors) {
        match key.as_str() {
            "format" => rules.format = read(value, "format", &mut errors).unwrap_or_default(),
            "store" => rules.store = read(value, "store", &mut errors).unwrap_or_default(),
            "catalog" => {
                let mut catalog = Catalog::default();
                for (key, value) in take_object(value, "catalog", &mut errors) {
                    let path = format!("catalog.{key}");
                    match key.as_str() {
                        "segments" => {
                            (catalog.segments, positions.segments) =
                                read_list(value, &path, &mut errors)
                        }
                        "products" => {
                            (catalog.products, positions.products) =
                                read_list(value, &path, &mut errors)
                        }
                        "selections" => {
                            (catalog.selections, positions.selections) =
                                read_list(value, &path, &mut errors)
                        }
                        _ => errors.push(FieldError::new(
                            path,
                            "unknown field (segments, products, selections)",
                        )),
                    }
                }
                rules.catalog = catalog;
            }
            "offers" => (rules.offers, positions.offers) = read_list(value, "offers", &mut errors),
            "promotions" => {
                (rules.promotions, positions.promotions) =
                    read_list(value, "promotions", &mut errors)
            }
            _ => errors.push(FieldError::new(
                key,
                "unknown field (format, store, catalog, promotions, offers)",
            )),
        }
    }
    (Some(rules), positions, errors)
}

/// Reads a request (a cart, a price request) from JSON; the error names the first bad field.
pub fn request_from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut errors = Vec::new();
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::InvalidRequest(FieldErrors(vec![json_error(&e)])))?;
    read(value, "", &mut errors).ok_or(Error::InvalidRequest(FieldErrors(errors)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::Cart;

    fn messages(error: Error) -> Vec<String> {
        error.errors().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_error_of_a_rule_file_is_reported_with_its_path() {
        let text = r#"{
          "store": { "currency": "EUR", "time_zone": "Europe/Paris" },
          "catalog": { "products": [ { "sku": "A", "price": "abc" }, { "sku": "B", "price": 1 } ] },
          "promotions": [
            { "id": "p0", "offer": { "type": "percent_off", "percent": 120 } },
            { "id": "p1", "targets": { "segments": ["nowhere"] }, "offer": { "type": "gift" } },
            { "id": "p2", "validity": { "windows": [ { "from": "18", "to": "20:00" } ] },
              "offer": { "type": "percent_off", "percent": 10 } }
          ],
          "extra": true
        }"#;
        let errors = messages(Snapshot::from_json(text).unwrap_err());
        let paths: Vec<&str> = errors
            .iter()
            .map(|e| e.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "catalog.products[0].price",
                "extra",
                "promotions[0].offer.percent",
                "promotions[1].offer",
                "promotions[2].validity.windows[0].from",
            ],
            "{errors:#?}"
        );
        assert!(errors[2].ends_with("must be between 0 and 100 (got 120)"));
    }

    #[test]
    fn segment_errors_point_at_the_right_definition() {
        let text = r#"{"catalog": {"segments": [
            {"id": "a"}, {"id": "a", "parent": "b"}, {"id": "b", "parent": "c"}, {"id": "c", "parent": "b"}
        ]}}"#;
        let errors = messages(Snapshot::from_json(text).unwrap_err());
        assert_eq!(
            errors,
            [
                "catalog.segments[1].id: duplicate segment `a`",
                "catalog.segments[2].parent: segment `b` is its own ancestor",
                "catalog.segments[3].parent: segment `c` is its own ancestor",
            ]
        );
    }

    #[test]
    fn offer_errors_keep_their_place_in_the_file() {
        let text = r#"{
          "store": { "groups": { "cantines": { "display": "net" } } },
          "offers": [
            { "code": "A", "title": "x", "scope": "everyone" },
            { "code": "CANTINES", "title": "Cantines", "scope": { "group": "cantines" } },
            { "code": "CANTINES", "title": "Again", "type": "public_procurement",
              "scope": { "group": "lycees" } }
          ]
        }"#;
        let errors = messages(Snapshot::from_json(text).unwrap_err());
        let paths: Vec<&str> = errors
            .iter()
            .map(|e| e.split(": ").next().unwrap_or_default())
            .collect();
        assert_eq!(
            paths,
            [
                "offers[0].scope",
                "offers[2].code",
                "offers[2].ends_on",
                "offers[2].scope.group",
                "offers[2].starts_on",
            ],
            "{errors:#?}"
        );
    }

    #[test]
    fn a_rule_file_without_format_is_read_as_the_current_version() {
        assert!(Snapshot::from_json("{}").is_ok());
        let errors = messages(Snapshot::from_json(r#"{"format": "remise.rules/9"}"#).unwrap_err());
        assert_eq!(
            errors,
            ["format: unsupported format `remise.rules/9`, expected `remise.rules/1`"]
        );
    }

    #[test]
    fn json_syntax_errors_give_line_and_column() {
        let errors = messages(Snapshot::from_json("{\n  \"promotions\": [,]\n}").unwrap_err());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("line 2, column 18: "), "{errors:?}");
    }

    #[test]
    fn a_bad_code_object_names_its_field() {
        let text =
            r#"{"at": "2026-01-01T00:00:00Z", "codes": ["abc", {"code": "X", "usable": "no"}]}"#;
        let errors = messages(request_from_json::<Cart>(text).unwrap_err());
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("codes[1].usable: invalid type"),
            "{errors:?}"
        );
    }
}
