//! The checks' messages in French. The engine and the documents' checks write their messages
//! in English (the API's language); the back office shows them in French through this table of
//! patterns, where `{}` stands for a value copied from the English message.

/// `(English pattern, French pattern)`; the values in braces keep their order.
const PATTERNS: &[(&str, &str)] = &[
    ("is required", "est obligatoire"),
    // Catalog structure: segments and selections.
    ("must not be empty", "ne doit pas être vide"),
    ("unknown segment `{}`", "segment « {} » inconnu"),
    (
        "segment `{}` is its own ancestor",
        "le segment « {} » se retrouverait sous lui-même",
    ),
    (
        "must not be negative (got {})",
        "ne doit pas être négatif ({})",
    ),
    (
        "{} has more decimals than {} allows ({})",
        "{} a plus de décimales que la devise {} n'en permet ({})",
    ),
    (
        "{} is below min_price {}",
        "{} est inférieur au prix minimum {}",
    ),
    (
        "gives no criterion: name segments, brands, tags, attributes or a price bound",
        "aucun critère : indiquez des segments, marques, tags, attributs ou une borne de prix",
    ),
    ("`{}` is listed twice", "« {} » figure deux fois"),
    ("at most 100 characters", "100 caractères au plus"),
    (
        "must be 1 to 128 characters",
        "doit compter de 1 à 128 caractères",
    ),
    (
        "must not contain spaces, control characters or '/'",
        "ne doit contenir ni espace, ni caractère de contrôle, ni « / »",
    ),
];

/// `message` in French when a pattern matches it, else as it is.
pub fn translate(message: &str) -> String {
    for (english, french) in PATTERNS {
        if let Some(values) = matches(english, message) {
            return fill(french, &values);
        }
    }
    message.to_owned()
}

/// The values `{}` stands for when `message` matches `pattern`.
fn matches<'a>(pattern: &str, message: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = message.strip_prefix(pieces[0])?;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last && piece.is_empty() {
            rest.len()
        } else if last {
            rest.strip_suffix(piece).map(str::len)?
        } else {
            rest.find(piece)?
        };
        values.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(values)
}

fn fill(pattern: &str, values: &[&str]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut pieces = pattern.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(values.next().copied().unwrap_or(""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_carry_their_values() {
        assert_eq!(matches("a {} b {}", "a 1 b 22"), Some(vec!["1", "22"]));
        assert_eq!(matches("a {} b", "a x b"), Some(vec!["x"]));
        assert_eq!(matches("a {} b", "a x c"), None);
        assert_eq!(fill("x {} y {}", &["1", "2"]), "x 1 y 2");
        assert_eq!(translate("is required"), "est obligatoire");
        assert_eq!(
            translate("no translation for this"),
            "no translation for this"
        );
    }
}
