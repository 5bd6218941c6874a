//! The promotion form's state: every input by name (its JSON path in the promotion, the offer's
//! fields under their type), as the browser sent it or as a stored promotion fills it; and the
//! locale's numbers ("12,50", "1 234,5", "1,234.50").

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::office::i18n::Lang;

/// The form's inputs by name. Checkboxes are present (`on`) when checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormValues(BTreeMap<String, String>);

impl FormValues {
    /// The inputs of a submitted form; the first value of a name wins (a name is one input).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormValues {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            map.entry(name).or_insert(value);
        }
        FormValues(map)
    }

    /// The value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// The value of `name` as typed (a description keeps its spaces).
    pub fn raw(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.0.insert(name.into(), value);
        }
    }

    pub fn check(&mut self, name: impl Into<String>, on: bool) {
        if on {
            self.0.insert(name.into(), "on".to_owned());
        }
    }

    /// Whether any input whose name starts with `prefix` has a value.
    pub fn any_under(&self, prefix: &str) -> bool {
        self.0
            .range(prefix.to_owned()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .any(|(_, value)| !value.trim().is_empty())
    }
}

/// A decimal as the user typed it in `lang`: spaces (also non-breaking) and a currency or
/// percent sign around it are ignored; with both `,` and `.`, the last is the decimal mark; a
/// lone `,` is the decimal mark, except in English before exactly three digits ("1,234");
/// repeated marks are thousands separators when every group after the first has three digits.
pub fn parse_decimal(lang: Lang, text: &str) -> Option<Decimal> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    let trimmed = compact
        .trim_start_matches(['€', '$', '£'])
        .trim_end_matches(['€', '$', '£', '%']);
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+'))
    {
        return None;
    }
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.contains(['-', '+']) {
        return None;
    }
    let commas = digits.matches(',').count();
    let dots = digits.matches('.').count();
    let normal = match (commas, dots) {
        (0, 0) => digits.to_owned(),
        (_, _) if commas > 0 && dots > 0 => {
            let (decimal, group) = if digits.rfind(',') > digits.rfind('.') {
                (',', '.')
            } else {
                ('.', ',')
            };
            if digits.matches(decimal).count() > 1 {
                return None;
            }
            let (whole, fraction) = digits.split_once(decimal)?;
            if fraction.contains(group) || !grouped(whole, group) {
                return None;
            }
            format!("{}.{fraction}", whole.replace(group, ""))
        }
        (1, 0) => {
            let (whole, fraction) = digits.split_once(',')?;
            if lang == Lang::En && fraction.len() == 3 && !whole.is_empty() {
                format!("{whole}{fraction}")
            } else {
                format!("{whole}.{fraction}")
            }
        }
        (0, 1) => digits.to_owned(),
        (_, 0) if grouped(digits, ',') => digits.replace(',', ""),
        (0, _) if grouped(digits, '.') => digits.replace('.', ""),
        _ => return None,
    };
    if normal.starts_with('.') || normal.ends_with('.') {
        return None;
    }
    Decimal::from_str(&format!("{sign}{normal}")).ok()
}

/// Whether `text` is digits in groups of three after the first, separated by `mark`.
fn grouped(text: &str, mark: char) -> bool {
    let mut groups = text.split(mark);
    let first = groups.next().unwrap_or("");
    !first.is_empty()
        && first.len() <= 3
        && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// A decimal written for `lang`'s inputs: `12,50` in French, `12.50` in English (as stored, no
/// grouping, so that it reads back the same).
pub fn show_decimal(lang: Lang, value: Decimal) -> String {
    let text = value.to_string();
    match lang {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A whole number ≥ 0 ("1 000" allowed).
pub fn parse_count(text: &str) -> Option<u32> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}'))
        .collect();
    if compact.is_empty() || !compact.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    compact.parse().ok()
}

/// A whole number, negative allowed (a priority).
pub fn parse_integer(text: &str) -> Option<i32> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact
        .strip_prefix('-')
        .or_else(|| compact.strip_prefix('+'))
        .unwrap_or(&compact);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    compact.parse().ok()
}

/// The items of a list input: separated by commas, semicolons or lines, trimmed, empties left
/// out.
pub fn parse_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn show_list(items: &[String]) -> String {
    items.join(", ")
}

/// Attribute criteria, one per line: `color = red, blue` (or `color: red, blue`). `Err` with the
/// first line that is not of that form.
pub fn parse_attributes(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((name, values)) = line.split_once(['=', ':']) else {
            return Err(line.to_owned());
        };
        let name = name.trim();
        let values: Vec<String> = values
            .split([',', ';'])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if name.is_empty() || values.is_empty() {
            return Err(line.to_owned());
        }
        attributes
            .entry(name.to_owned())
            .or_default()
            .extend(values);
    }
    Ok(attributes)
}

pub fn show_attributes(attributes: &BTreeMap<String, Vec<String>>) -> String {
    attributes
        .iter()
        .map(|(name, values)| format!("{name} = {}", values.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn amounts_in_each_locale() {
        let fr = |t| parse_decimal(Lang::Fr, t);
        let en = |t| parse_decimal(Lang::En, t);
        assert_eq!(fr("12,50"), Some(dec!(12.50)));
        assert_eq!(fr("12.50"), Some(dec!(12.50)));
        assert_eq!(fr("1 234,5 €"), Some(dec!(1234.5)));
        assert_eq!(fr("1\u{202f}234,50\u{a0}€"), Some(dec!(1234.50)));
        assert_eq!(fr("1.234,50"), Some(dec!(1234.50)));
        assert_eq!(fr("1,234"), Some(dec!(1.234)));
        assert_eq!(en("1,234"), Some(dec!(1234)));
        assert_eq!(en("1,234.50"), Some(dec!(1234.50)));
        assert_eq!(en("12,50"), Some(dec!(12.50)));
        assert_eq!(en("€9.99"), Some(dec!(9.99)));
        assert_eq!(fr("20 %"), Some(dec!(20)));
        assert_eq!(fr("-5"), Some(dec!(-5)));
        assert_eq!(fr("1.234.567"), Some(dec!(1234567)));
        for bad in [
            "", "abc", "12,5,0", "1.2.3", "12,50.3", "--5", "5-", ",5", "5.", "1e5",
        ] {
            assert_eq!(fr(bad), None, "{bad}");
        }
        assert_eq!(show_decimal(Lang::Fr, dec!(12.50)), "12,50");
        assert_eq!(show_decimal(Lang::En, dec!(12.50)), "12.50");
    }

    #[test]
    fn counts_lists_and_attributes() {
        assert_eq!(parse_count("1 000"), Some(1000));
        assert_eq!(parse_count("-1"), None);
        assert_eq!(parse_count("2.5"), None);
        assert_eq!(parse_integer("-10"), Some(-10));
        assert_eq!(parse_integer("x"), None);
        assert_eq!(parse_list("A, B;C\n\n D ,"), ["A", "B", "C", "D"]);
        let attributes = parse_attributes("color = red, blue\nsize: M").unwrap();
        assert_eq!(attributes["color"], ["red", "blue"]);
        assert_eq!(attributes["size"], ["M"]);
        assert_eq!(parse_attributes("no value"), Err("no value".to_owned()));
        assert_eq!(show_attributes(&attributes), "color = red, blue\nsize = M");
    }

    #[test]
    fn values_keep_the_first_of_a_name() {
        let values = FormValues::from_pairs(vec![
            ("a".into(), " x ".into()),
            ("a".into(), "y".into()),
            ("b.c".into(), "".into()),
            ("b.d".into(), "1".into()),
        ]);
        assert_eq!(values.get("a"), "x");
        assert!(values.any_under("b."));
        assert!(!values.any_under("c."));
    }
}
