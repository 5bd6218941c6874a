//! The catalog import's problems in the page's language: the reader's and the checks' fixed
//! messages (English, the API's) matched against their patterns and written from the
//! `products-problem-…` messages, with the values found in the file kept as they are; the
//! places (`line 12`, `line 1, column 3`) written out. A message no pattern knows (a JSON
//! syntax error, for one) is shown as it is, in English.

use crate::office::i18n::{self, Lang};
use crate::office::problems_fr::matches;

/// `(English pattern, message)`: `{}` stands for a value, passed as `$v1`, `$v2`, … in order.
/// More specific patterns first.
const PATTERNS: &[(&str, &str)] = &[
    (
        "the file could not be read: {}",
        "products-problem-unreadable",
    ),
    (
        "the header could not be read: {}",
        "products-problem-header",
    ),
    (
        "{} fields, but the header has {}",
        "products-problem-fields",
    ),
    ("the row is not UTF-8 text", "products-problem-utf8"),
    ("unknown column `{}` ({})", "products-problem-column"),
    (
        "the columns `sku` and `price` are required",
        "products-problem-required-columns",
    ),
    (
        "`{}` is not a decimal number (12.50 or 12,50)",
        "products-problem-decimal-comma",
    ),
    (
        "`{}` is not a decimal number (use a point: 12.50)",
        "products-problem-decimal-point",
    ),
    ("`{}` is already at {}", "products-problem-duplicate"),
    ("must be 1 to 128 characters", "products-problem-id-length"),
    (
        "must not contain spaces, control characters or '/'",
        "products-problem-id-characters",
    ),
    ("must not be empty", "products-problem-empty"),
    ("must not be negative (got {})", "products-problem-negative"),
    (
        "must be at most {} (10^15) in the currency's unit (got {})",
        "products-problem-too-large",
    ),
    (
        "{} has more decimals than {} allows ({})",
        "products-problem-decimals",
    ),
    (
        "must be between 0 and 1 (got {}; 20 % is 0.20)",
        "products-problem-rate",
    ),
    ("unknown segment `{}`", "products-problem-segment"),
    ("and {} more errors", "products-problem-more"),
    (
        "more than {} products in one import",
        "products-problem-too-many",
    ),
    ("is required", "products-problem-required"),
    (
        "the file is no longer here: send it again",
        "products-problem-file-gone",
    ),
];

/// A problem's message in `lang`.
pub fn message(lang: Lang, text: &str) -> String {
    for (pattern, key) in PATTERNS {
        if let Some(values) = matches(pattern, text) {
            let values: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("v{}", i + 1), place(lang, v)))
                .collect();
            let pairs: Vec<(&str, String)> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            return i18n::message(lang, key, Some(&i18n::args(&pairs)));
        }
    }
    // The engine's and the documents' checks, as every form shows them.
    i18n::problem(lang, text)
}

/// A place in the file in `lang` (`line 12` → `ligne 12`); any other text as it is.
pub fn place(lang: Lang, text: &str) -> String {
    let line_column = matches("line {}, column {}", text)
        .filter(|v| v.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit())));
    if let Some(values) = line_column {
        let args = i18n::args(&[
            ("line", values[0].to_owned()),
            ("column", values[1].to_owned()),
        ]);
        return i18n::message(lang, "products-import-line-column", Some(&args));
    }
    match line_number(text) {
        Some(line) => {
            let args = i18n::args(&[("line", line.to_string())]);
            i18n::message(lang, "products-import-line", Some(&args))
        }
        None => text.to_owned(),
    }
}

/// `12` for `line 12`.
pub fn line_number(text: &str) -> Option<u64> {
    text.strip_prefix("line ")?.parse().ok()
}

/// A problem's field split into its place and its column: `line 12: price` → (`line 12`,
/// `price`); `[3].price` and other JSON paths stay whole.
pub fn split_field(field: &str) -> (&str, &str) {
    field.split_once(": ").unwrap_or((field, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_has_its_message_in_both_languages() {
        for (_, key) in PATTERNS {
            for lang in Lang::ALL {
                assert_ne!(&i18n::message(lang, key, None), key, "{key} in {lang:?}");
            }
        }
    }

    #[test]
    fn problems_and_places_are_translated() {
        assert_eq!(
            message(
                Lang::Fr,
                "`12.5x` is not a decimal number (use a point: 12.50)"
            ),
            "«\u{a0}12.5x\u{a0}» n'est pas un nombre décimal (utilisez un point\u{a0}: 12.50)"
        );
        assert_eq!(
            message(
                Lang::En,
                "`12.5x` is not a decimal number (use a point: 12.50)"
            ),
            "`12.5x` is not a decimal number (use a point: 12.50)"
        );
        assert_eq!(
            message(Lang::Fr, "`A-1` is already at line 2"),
            "«\u{a0}A-1\u{a0}» figure déjà ligne 2"
        );
        assert_eq!(
            message(Lang::Fr, "unknown segment `toys`"),
            "segment inconnu\u{a0}: «\u{a0}toys\u{a0}»"
        );
        assert_eq!(
            message(Lang::Fr, "an unknown message"),
            "an unknown message"
        );
        assert_eq!(place(Lang::Fr, "line 1, column 4"), "ligne 1, colonne 4");
        assert_eq!(place(Lang::En, "line 12"), "line 12");
        assert_eq!(place(Lang::Fr, "[3]"), "[3]");
        assert_eq!(split_field("line 3: price"), ("line 3", "price"));
        assert_eq!(split_field("line 3"), ("line 3", ""));
        assert_eq!(line_number("line 3"), Some(3));
        assert_eq!(line_number("[3]"), None);
    }
}
