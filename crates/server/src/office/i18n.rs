//! The back office's languages: Fluent messages (`crates/server/i18n/{fr,en}/*.ftl`, compiled
//! into the binary) and the locale's formats for amounts and dates.
//!
//! Each screen keeps its messages in a file of its own; both languages must have the same keys
//! (`tests` below fail otherwise). A message missing at run time shows its key rather than
//! failing the page.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use unic_langid::LanguageIdentifier;

/// A language of the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// The first language of an `Accept-Language` header the back office speaks, by quality;
    /// French when none (the merchants Remise is made for are French-speaking first).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let mut best: Option<(Lang, (u32, usize))> = None;
        for (position, item) in header.unwrap_or("").split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            // Quality in thousandths, so that no float is compared; earlier items win ties.
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, quality_thousandths);
            let rank = (quality, usize::MAX - position);
            if quality > 0 && best.is_none_or(|(_, r)| rank > r) {
                best = Some((lang, rank));
            }
        }
        best.map_or(Lang::Fr, |(lang, _)| lang)
    }
}

fn quality_thousandths(text: &str) -> u32 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u32 = whole.parse().unwrap_or(0).min(1);
    let fraction: String = fraction.chars().chain("000".chars()).take(3).collect();
    (whole * 1000 + fraction.parse::<u32>().unwrap_or(0)).min(1000)
}

/// The message files of each language, one per screen.
macro_rules! messages {
    ($($file:literal),* $(,)?) => {
        const FR: &[(&str, &str)] = &[$(($file, include_str!(concat!("../../i18n/fr/", $file)))),*];
        const EN: &[(&str, &str)] = &[$(($file, include_str!(concat!("../../i18n/en/", $file)))),*];
    };
}

messages![
    "common.ftl",
    "signin.ftl",
    "account.ftl",
    "home.ftl",
    "errors.ftl",
    "campaigns.ftl",
    "approval.ftl",
    "simulator.ftl",
    "audit.ftl",
    "segments.ftl",
    "selections.ftl",
    "tags.ftl",
    "tasks.ftl",
    "users.ftl",
    "products.ftl",
    "promotions.ftl",
];

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<[Bundle; 2]> = LazyLock::new(|| [bundle(Lang::Fr), bundle(Lang::En)]);

fn files(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::Fr => FR,
        Lang::En => EN,
    }
}

fn bundle(lang: Lang) -> Bundle {
    // A two-letter tag always parses; the fallback is never reached.
    let id = lang
        .code()
        .parse::<LanguageIdentifier>()
        .unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Pages are HTML, escaped by the templates; Unicode isolation marks would only add noise.
    bundle.set_use_isolating(false);
    for (_, source) in files(lang) {
        // A file with a syntax error keeps its valid messages; `tests::files_parse` fails on it.
        let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, _)| r);
        bundle.add_resource_overriding(resource);
    }
    bundle
}

/// The message `key` in `lang` with `args`; the key itself when there is none.
pub fn message(lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
    let bundle = &BUNDLES[lang as usize];
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        return key.to_owned();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned()
}

/// A check's message (the engine's and the documents' checks speak English) in `lang`.
/// Messages without a translation are shown as they are.
pub fn problem(lang: Lang, message: &str) -> String {
    match lang {
        Lang::En => message.to_owned(),
        Lang::Fr => super::problems_fr::translate(message),
    }
}

/// Arguments for [`message`] from pairs of a name and a text.
pub fn args<'a>(pairs: &[(&'a str, String)]) -> FluentArgs<'a> {
    let mut args = FluentArgs::new();
    for (name, value) in pairs {
        args.set(*name, FluentValue::from(value.clone()));
    }
    args
}

/// An amount in the locale's format: `1 234,50 €` in French, `€1,234.50` in English, with the
/// currency's own symbol where one is common and its code otherwise. `scale` is the currency's
/// number of decimals; the amount is shown with exactly that many.
pub fn money(lang: Lang, amount: Decimal, currency: &str, scale: u32) -> String {
    let rounded =
        amount.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", scale as usize, rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (group, decimal) = match lang {
        Lang::Fr => ('\u{202f}', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push(decimal);
        grouped.push_str(fraction);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "CHF" => "CHF",
        other => other,
    };
    match lang {
        Lang::Fr => format!("{sign}{grouped}\u{a0}{symbol}"),
        Lang::En if symbol.len() > 1 && symbol.is_ascii() => {
            format!("{sign}{symbol}\u{a0}{grouped}")
        }
        Lang::En => format!("{sign}{symbol}{grouped}"),
    }
}

const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day in the locale's format: `5 déc. 2026`, `5 Dec 2026`.
pub fn day(lang: Lang, date: jiff::civil::Date) -> String {
    let month = usize::try_from(date.month() - 1).unwrap_or(0).min(11);
    let name = match lang {
        Lang::Fr => MONTHS_FR[month],
        Lang::En => MONTHS_EN[month],
    };
    format!("{} {name} {}", date.day(), date.year())
}

/// An instant in the store's time zone: `5 déc. 2026 14:30`, `5 Dec 2026 14:30`.
pub fn instant(lang: Lang, at: Timestamp, zone: &TimeZone) -> String {
    let local = at.to_zoned(zone.clone());
    format!(
        "{} {:02}:{:02}",
        day(lang, local.date()),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use rust_decimal_macros::dec;

    use super::*;

    fn keys(lang: Lang) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for (file, source) in files(lang) {
            let resource = FluentResource::try_new((*source).to_owned())
                .unwrap_or_else(|(_, errors)| panic!("{}/{file}: {errors:?}", lang.code()));
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    keys.insert(m.id.name.to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn files_parse_and_both_languages_have_the_same_keys() {
        let fr = keys(Lang::Fr);
        let en = keys(Lang::En);
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        assert!(only_en.is_empty(), "missing in French: {only_fr:?}");
        assert!(fr.len() > 10);
    }

    /// Every `t("key")`-style use in the templates and the office code names a message.
    #[test]
    fn every_key_used_exists() {
        let known = keys(Lang::Fr);
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut missing = Vec::new();
        for dir in ["templates/office", "src/office"] {
            // This file names the markers it looks for; it uses no message.
            for path in walk(&format!("{root}{dir}"))
                .into_iter()
                .filter(|p| !p.ends_with("i18n.rs"))
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for key in used_keys(&text) {
                    if !known.contains(&key) {
                        missing.push(format!("{path}: {key}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys without a message: {missing:#?}");
    }

    fn walk(dir: &str) -> Vec<String> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                paths.extend(walk(path.to_str().unwrap()));
            } else {
                paths.push(path.to_str().unwrap().to_owned());
            }
        }
        paths
    }

    /// The first argument of `t("…")`, `t1("…"`, `t2("…"` and `tr("…"` calls.
    fn used_keys(text: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for marker in ["t(\"", "t1(\"", "t2(\"", "t3(\"", "tr(\""] {
            let mut rest = text;
            while let Some(at) = rest.find(marker) {
                let preceded_by_ident = rest[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                rest = &rest[at + marker.len()..];
                let Some(end) = rest.find('"') else { break };
                if !preceded_by_ident {
                    keys.push(rest[..end].to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn messages_take_arguments() {
        let args = args(&[("name", "Ada".to_owned())]);
        assert_eq!(message(Lang::En, "home-hello", Some(&args)), "Hello, Ada");
        assert_eq!(message(Lang::Fr, "home-hello", Some(&args)), "Bonjour, Ada");
        assert_eq!(message(Lang::Fr, "no-such-key", None), "no-such-key");
    }

    #[test]
    fn amounts_in_each_locale() {
        assert_eq!(money(Lang::Fr, dec!(87.5), "EUR", 2), "87,50\u{a0}€");
        assert_eq!(money(Lang::En, dec!(87.5), "EUR", 2), "€87.50");
        assert_eq!(
            money(Lang::Fr, dec!(1234567.891), "EUR", 2),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
        assert_eq!(money(Lang::En, dec!(-1234.5), "USD", 2), "-$1,234.50");
        assert_eq!(money(Lang::En, dec!(1000), "JPY", 0), "JPY\u{a0}1,000");
        assert_eq!(money(Lang::Fr, dec!(-0.001), "EUR", 2), "0,00\u{a0}€");
    }

    #[test]
    fn dates_in_each_locale() {
        let at: Timestamp = "2026-12-05T13:30:00Z".parse().unwrap();
        let paris = TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(instant(Lang::Fr, at, &paris), "5 déc. 2026 14:30");
        assert_eq!(instant(Lang::En, at, &paris), "5 Dec 2026 14:30");
    }

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        assert_eq!(
            Lang::from_accept_language(Some("en-GB,en;q=0.9,fr;q=0.8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("de-DE,fr;q=0.5,en;q=0.7")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language(Some("fr-CH, en;q=0.9")),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language(Some("de, en;q=0")), Lang::Fr);
        assert_eq!(Lang::from_accept_language(None), Lang::Fr);
    }
}
