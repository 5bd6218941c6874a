//! What an audit entry changed, field by field: the paths of a JSON document that were added,
//! removed or changed, with their values before and after. Lists of plain values (a selection's
//! skus, a campaign's channels) are compared as sets, so that one sku added at the front is one
//! change, not a change of every position.

use serde_json::Value;

/// One change of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `offer.percent`, `targets.skus`, `banners[0].image`; empty for the whole value.
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Change {
    pub fn is_added(&self) -> bool {
        self.before.is_none()
    }

    pub fn is_removed(&self) -> bool {
        self.after.is_none()
    }
}

/// The longest value shown; longer ones end with an ellipsis.
const LONGEST: usize = 160;

/// The changes from `before` to `after` (either may be absent: a creation, a deletion), in
/// path order.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let mut out = Vec::new();
    walk(String::new(), before, after, &mut out);
    out
}

fn walk(path: String, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<Change>) {
    match (before, after) {
        (None, None) => {}
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(join(&path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Object(a)), None) => {
            for (key, value) in a {
                walk(join(&path, key), Some(value), None, out);
            }
        }
        (None, Some(Value::Object(b))) => {
            for (key, value) in b {
                walk(join(&path, key), None, Some(value), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if all_plain(a) && all_plain(b) => {
            let removed: Vec<&Value> = a.iter().filter(|v| !b.contains(v)).collect();
            let added: Vec<&Value> = b.iter().filter(|v| !a.contains(v)).collect();
            if removed.is_empty() && added.is_empty() {
                // The same values in another order.
                out.push(Change {
                    path,
                    before: Some(show(before)),
                    after: Some(show(after)),
                });
                return;
            }
            for value in removed {
                out.push(Change {
                    path: path.clone(),
                    before: Some(show(Some(value))),
                    after: None,
                });
            }
            for value in added {
                out.push(Change {
                    path: path.clone(),
                    before: None,
                    after: Some(show(Some(value))),
                });
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (before, after) => out.push(Change {
            path,
            before: before.map(|v| show(Some(v))),
            after: after.map(|v| show(Some(v))),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn all_plain(values: &[Value]) -> bool {
    values
        .iter()
        .all(|v| !matches!(v, Value::Object(_) | Value::Array(_)))
}

/// A value as the page shows it: a string without its quotes, anything else as JSON.
fn show(value: Option<&Value>) -> String {
    let text = match value {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > LONGEST {
        let cut: String = text.chars().take(LONGEST).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn change(path: &str, before: Option<&str>, after: Option<&str>) -> Change {
        Change {
            path: path.to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn fields_added_removed_and_changed() {
        let before = json!({
            "id": "p1",
            "name": "Old",
            "priority": 10,
            "offer": { "type": "percent_off", "percent": 10 },
            "targets": { "skus": ["A", "B"] },
            "banners": [{ "image": "a.png" }],
            "gone": true,
        });
        let after = json!({
            "id": "p1",
            "name": "New",
            "priority": 10,
            "offer": { "type": "percent_off", "percent": 15 },
            "targets": { "skus": ["C", "A"] },
            "banners": [{ "image": "b.png" }, { "image": "c.png" }],
            "new": null,
        });
        assert_eq!(
            changes(Some(&before), Some(&after)),
            [
                change("banners[0].image", Some("a.png"), Some("b.png")),
                change("banners[1].image", None, Some("c.png")),
                change("gone", Some("true"), None),
                change("name", Some("Old"), Some("New")),
                change("new", None, Some("null")),
                change("offer.percent", Some("10"), Some("15")),
                change("targets.skus", Some("B"), None),
                change("targets.skus", None, Some("C")),
            ]
        );
    }

    #[test]
    fn a_creation_lists_every_field_and_a_deletion_removes_them() {
        let body = json!({ "sku": "X", "price": "9.99", "tags": ["a"] });
        let created = changes(None, Some(&body));
        assert_eq!(
            created,
            [
                change("price", None, Some("9.99")),
                change("sku", None, Some("X")),
                change("tags", None, Some("[\"a\"]")),
            ]
        );
        assert!(created.iter().all(Change::is_added));
        let deleted = changes(Some(&body), None);
        assert_eq!(deleted.len(), 3);
        assert!(deleted.iter().all(Change::is_removed));
        assert!(changes(Some(&body), Some(&body)).is_empty());
    }

    #[test]
    fn plain_values_and_reordered_lists() {
        assert_eq!(
            changes(Some(&json!("a")), Some(&json!(2))),
            [change("", Some("a"), Some("2"))]
        );
        assert_eq!(
            changes(
                Some(&json!({"c": ["x", "y"]})),
                Some(&json!({"c": ["y", "x"]}))
            ),
            [change("c", Some("[\"x\",\"y\"]"), Some("[\"y\",\"x\"]"))]
        );
        let long = "x".repeat(500);
        let shown = changes(None, Some(&json!(long)));
        assert_eq!(
            shown[0].after.as_ref().unwrap().chars().count(),
            LONGEST + 1
        );
    }
}
