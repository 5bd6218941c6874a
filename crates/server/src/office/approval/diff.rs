//! The difference between two versions of a document, field by field: each body flattened to
//! its leaf paths (`offer.percent`, `banners[0].image`), lists of plain values kept whole
//! (`channels`: `web, kiosk`), and the paths whose value differs, in the document's order.

use serde_json::Value;

/// A field that differs: its path, and its value before and after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields that differ between `before` and `after` (either may be absent: a document
/// created or deleted has every field on one side).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    compare(before, after, false)
}

/// Every field of either version, the same ones included (what a campaign going live puts on
/// sale, not only what changed).
pub fn whole(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    compare(before, after, true)
}

fn compare(before: Option<&Value>, after: Option<&Value>, keep_same: bool) -> Vec<FieldChange> {
    let mut old = Vec::new();
    let mut new = Vec::new();
    if let Some(value) = before {
        flatten("", value, &mut old);
    }
    if let Some(value) = after {
        flatten("", value, &mut new);
    }
    let mut changes = Vec::new();
    // The new version's order first, then what only the old one had.
    for (path, value) in &new {
        let was = old.iter().find(|(p, _)| p == path).map(|(_, v)| v);
        if keep_same || was != Some(value) {
            changes.push(FieldChange {
                path: path.clone(),
                before: was.cloned(),
                after: Some(value.clone()),
            });
        }
    }
    for (path, value) in &old {
        if !new.iter().any(|(p, _)| p == path) {
            changes.push(FieldChange {
                path: path.clone(),
                before: Some(value.clone()),
                after: None,
            });
        }
    }
    changes
}

/// The leaves of `value` as `(path, text)`; `null`, empty lists and empty objects are absent.
fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        Value::Array(items) if items.iter().all(is_plain) => {
            if !items.is_empty() {
                let text: Vec<String> = items.iter().map(text).collect();
                out.push((path.to_owned(), text.join(", ")));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), item, out);
            }
        }
        plain => out.push((path.to_owned(), text(plain))),
    }
}

fn is_plain(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(path: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
        FieldChange {
            path: path.to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn only_the_fields_that_differ_are_listed() {
        let before = json!({
            "id": "bf", "name": "Black Friday", "status": "active", "channels": ["web"],
            "banners": [{"placement": "home_top", "image": "/a.jpg", "link": null}],
            "budget": "5000.00", "season": null
        });
        let after = json!({
            "id": "bf", "name": "Black Friday", "status": "paused", "channels": ["web", "kiosk"],
            "banners": [{"placement": "home_top", "image": "/b.jpg", "link": "/bf"}],
            "season": "Noël"
        });
        let mut found = diff(Some(&before), Some(&after));
        found.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(
            found,
            vec![
                change("banners[0].image", Some("/a.jpg"), Some("/b.jpg")),
                change("banners[0].link", None, Some("/bf")),
                change("budget", Some("5000.00"), None),
                change("channels", Some("web"), Some("web, kiosk")),
                change("season", None, Some("Noël")),
                change("status", Some("active"), Some("paused")),
            ]
        );
    }

    #[test]
    fn a_created_or_deleted_document_has_every_field_on_one_side() {
        let body = json!({"id": "p", "offer": {"type": "percent_off", "percent": 20}});
        let created = diff(None, Some(&body));
        assert_eq!(created.len(), 3);
        assert!(created.contains(&change("offer.percent", None, Some("20"))));
        let deleted = diff(Some(&body), None);
        assert!(
            deleted
                .iter()
                .all(|c| c.after.is_none() && c.before.is_some())
        );
        assert!(diff(Some(&body), Some(&body)).is_empty());
        assert_eq!(whole(Some(&body), Some(&body)).len(), 3);
    }
}
