//! What the catalog-structure screens (segments, tags, selections) share: their sub-navigation,
//! reading their forms (repeated fields, lists typed as text, amounts with a decimal comma), ids
//! made from names, and a document's stored version for the forms' optimistic concurrency.

use axum::response::Response;
use remise_store::Kind;
use rust_decimal::Decimal;

use super::page::server_error;
use crate::AppState;

/// The screen a catalog page belongs to, for the sub-navigation's `aria-current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogTab {
    Segments,
    Tags,
    Selections,
}

impl CatalogTab {
    pub fn is(&self, name: &str) -> bool {
        matches!(
            (self, name),
            (CatalogTab::Segments, "segments")
                | (CatalogTab::Tags, "tags")
                | (CatalogTab::Selections, "selections")
        )
    }
}

/// A URL-encoded form as its pairs, in order: fields may repeat (a multiple select,
/// checkboxes). A body that does not read is an empty form (each field then says what it lacks).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name`, or `""`.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of `name`, in order, without blanks.
pub fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
        .collect()
}

/// A list typed as text, `Avengers, Spider-Man`: trimmed, blanks dropped, each once.
pub fn comma_list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in text.split([',', '\n']).map(str::trim) {
        if !item.is_empty() && !items.iter().any(|i| i == item) {
            items.push(item.to_owned());
        }
    }
    items
}

/// An amount typed by a person: `24,99` or `24.99`, spaces allowed; `Ok(None)` when blank,
/// `Err(())` when it is not a number.
pub fn amount(text: &str) -> Result<Option<Decimal>, ()> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    cleaned.parse::<Decimal>().map(Some).map_err(|_| ())
}

/// An amount as a form shows it back: `24.99` (what `amount` reads).
pub fn amount_text(amount: Option<Decimal>) -> String {
    amount.map(|a| a.to_string()).unwrap_or_default()
}

/// An id made from a name, as shops put ids in URLs: `Superhéros › Marvel` → `superheros-marvel`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        slug.push_str(folded);
    }
    let mut out = String::with_capacity(slug.len());
    for part in slug.split('-').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    out.chars().take(64).collect()
}

/// The stored version of a live document (`None`: there is none), for a form's hidden
/// `version`; the error page when the store fails.
pub async fn stored_version(
    state: &AppState,
    kind: Kind,
    id: &str,
) -> Result<Option<i64>, Response> {
    match state.store.get(kind, id).await {
        Ok(record) => Ok(record.filter(|r| r.deleted_at.is_none()).map(|r| r.version)),
        Err(error) => Err(server_error(&error)),
    }
}

/// A version a form sent back (0 when missing: the store then refuses the change as stale).
pub fn version(pairs: &[(String, String)]) -> i64 {
    value(pairs, "version").trim().parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn forms_read_as_people_type() {
        assert_eq!(slug("Superhéros › Marvel"), "superheros-marvel");
        assert_eq!(slug("  Œuvres d'art  "), "oeuvres-d-art");
        assert_eq!(
            comma_list(" Avengers, ,Spider-Man,Avengers "),
            ["Avengers", "Spider-Man"]
        );
        assert_eq!(amount("24,99"), Ok(Some(dec!(24.99))));
        assert_eq!(amount("1 024.5"), Ok(Some(dec!(1024.5))));
        assert_eq!(amount("  "), Ok(None));
        assert_eq!(amount("douze"), Err(()));
        let form = pairs(b"segments=a&segments=b&segments=&name=x");
        assert_eq!(values(&form, "segments"), ["a", "b"]);
        assert_eq!(value(&form, "name"), "x");
        assert_eq!(value(&form, "none"), "");
    }
}
