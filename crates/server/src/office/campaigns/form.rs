//! The campaign form: what its inputs hold (text, as typed, so that a refused form comes back
//! as it was sent), read from the posted fields and turned into a `documents::Campaign`.
//!
//! Inputs are named after the document's JSON paths (`landing_page.slug`,
//! `banners[0].image`), so that the errors of the checks land next to their input as they are.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;

use crate::documents::{Banner, Campaign, CampaignKind, CampaignStatus, LandingPage};
use crate::office::form::FormErrors;
use crate::office::i18n::Lang;
use crate::office::page::Page;

/// More banner rows than this are not read (a form is typed by a person).
const MAX_BANNERS: usize = 50;

/// One banner row of the form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BannerRow {
    pub placement: String,
    pub image: String,
    pub link: String,
    pub alt: String,
    /// Ticked "remove": left out when saved.
    pub remove: bool,
}

impl BannerRow {
    pub fn is_blank(&self) -> bool {
        [&self.placement, &self.image, &self.link, &self.alt]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// What the user asked the form to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    Save,
    /// Show one more empty banner row (nothing is saved).
    AddBanner,
}

/// The campaign form's inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignForm {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    /// `datetime-local` values (`2026-11-27T00:00`), in the store's time zone.
    pub starts_at: String,
    pub ends_at: String,
    /// Comma-separated.
    pub channels: String,
    pub season: String,
    /// As typed, in the page's language (`1 234,50`).
    pub budget: String,
    pub banners: Vec<BannerRow>,
    /// Comma-separated.
    pub labels: String,
    pub landing_slug: String,
    pub landing_title: String,
    pub landing_selection: String,
    /// The version the form was made from (edits only).
    pub version: Option<i64>,
    pub action: Option<FormAction>,
}

impl CampaignForm {
    /// A new campaign's form: a draft of kind normal.
    pub fn blank() -> CampaignForm {
        CampaignForm {
            kind: "normal".to_owned(),
            status: "draft".to_owned(),
            ..CampaignForm::default()
        }
    }

    /// The form of a stored campaign, in the page's language and the store's time zone.
    pub fn of(campaign: &Campaign, version: i64, lang: Lang, zone: &TimeZone) -> CampaignForm {
        let page = campaign.landing_page.as_ref();
        CampaignForm {
            id: campaign.id.clone(),
            name: campaign.name.clone(),
            kind: kind_value(campaign.kind).to_owned(),
            status: campaign.status.as_str().to_owned(),
            starts_at: input_time(campaign.starts_at.as_deref(), zone),
            ends_at: input_time(campaign.ends_at.as_deref(), zone),
            channels: campaign.channels.join(", "),
            season: campaign.season.clone().unwrap_or_default(),
            budget: campaign
                .budget
                .map(|b| input_amount(lang, b))
                .unwrap_or_default(),
            banners: campaign
                .banners
                .iter()
                .map(|b| BannerRow {
                    placement: b.placement.clone(),
                    image: b.image.clone(),
                    link: b.link.clone().unwrap_or_default(),
                    alt: b.alt.clone().unwrap_or_default(),
                    remove: false,
                })
                .collect(),
            labels: campaign.labels.join(", "),
            landing_slug: page.map(|p| p.slug.clone()).unwrap_or_default(),
            landing_title: page.map(|p| p.title.clone()).unwrap_or_default(),
            landing_selection: page.map(|p| p.selection.clone()).unwrap_or_default(),
            version: Some(version),
            action: None,
        }
    }

    /// Reads the posted fields (any order, unknown ones ignored).
    pub fn read(fields: &[(String, String)]) -> CampaignForm {
        let mut form = CampaignForm::default();
        let mut banners: BTreeMap<usize, BannerRow> = BTreeMap::new();
        for (name, value) in fields {
            let value = value.clone();
            match name.as_str() {
                "id" => form.id = value.trim().to_owned(),
                "name" => form.name = value,
                "kind" => form.kind = value,
                "status" => form.status = value,
                "starts_at" => form.starts_at = value.trim().to_owned(),
                "ends_at" => form.ends_at = value.trim().to_owned(),
                "channels" => form.channels = value,
                "season" => form.season = value,
                "budget" => form.budget = value,
                "labels" => form.labels = value,
                "landing_page.slug" => form.landing_slug = value.trim().to_owned(),
                "landing_page.title" => form.landing_title = value,
                "landing_page.selection" => form.landing_selection = value.trim().to_owned(),
                "version" => form.version = value.trim().parse().ok(),
                "action" => {
                    form.action = Some(match value.as_str() {
                        "add-banner" => FormAction::AddBanner,
                        _ => FormAction::Save,
                    })
                }
                other => {
                    if let Some((index, field)) = banner_field(other) {
                        let row = banners.entry(index).or_default();
                        match field {
                            "placement" => row.placement = value,
                            "image" => row.image = value,
                            "link" => row.link = value,
                            "alt" => row.alt = value,
                            "remove" => row.remove = true,
                            _ => {}
                        }
                    }
                }
            }
        }
        form.banners = banners.into_values().collect();
        form
    }

    /// The banner rows as the form shows them after this post: without the removed ones and the
    /// blank ones, then one empty row to add a banner (two when "add a banner" was pressed).
    pub fn shown_banners(&self) -> Vec<BannerRow> {
        let mut rows: Vec<BannerRow> = self
            .banners
            .iter()
            .filter(|b| !b.remove && !b.is_blank())
            .cloned()
            .collect();
        rows.push(BannerRow::default());
        if self.action == Some(FormAction::AddBanner) {
            rows.push(BannerRow::default());
        }
        rows
    }

    /// The campaign the form describes, and the errors found in reading it (an amount or a date
    /// that does not read). The document's own checks are the write's.
    pub fn campaign(&self, page: &Page) -> (Campaign, FormErrors) {
        let mut errors = FormErrors::default();
        let kind = match self.kind.as_str() {
            "permanent" => CampaignKind::Permanent,
            "normal" | "" => CampaignKind::Normal,
            _ => {
                errors.add("kind", page.t("campaigns-error-kind"));
                CampaignKind::Normal
            }
        };
        let status = match parse_status(&self.status) {
            Some(status) => status,
            None if self.status.is_empty() => CampaignStatus::Draft,
            None => {
                errors.add("status", page.t("campaigns-error-status"));
                CampaignStatus::Draft
            }
        };
        if self.name.trim().is_empty() {
            errors.add("name", page.t("campaigns-error-name"));
        }
        let mut time = |field: &str, text: &str| match stored_time(text) {
            Ok(time) => time,
            Err(NotADateTime) => {
                errors.add(field, page.t("campaigns-error-datetime"));
                None
            }
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        let budget = if self.budget.trim().is_empty() {
            None
        } else {
            match parse_amount(page.lang, &self.budget) {
                Some(amount) => Some(amount),
                None => {
                    errors.add("budget", page.t("campaigns-error-amount"));
                    None
                }
            }
        };
        // Kept at their index among the rows sent, so that `banners[i]` errors find their row.
        let banners = self
            .shown_banners()
            .into_iter()
            .filter(|b| !b.is_blank())
            .map(|b| Banner {
                placement: b.placement.trim().to_owned(),
                image: b.image.trim().to_owned(),
                link: non_empty(&b.link),
                alt: non_empty(&b.alt),
            })
            .collect();
        let landing_page = if [
            &self.landing_slug,
            &self.landing_title,
            &self.landing_selection,
        ]
        .iter()
        .all(|f| f.trim().is_empty())
        {
            None
        } else {
            Some(LandingPage {
                slug: self.landing_slug.clone(),
                title: self.landing_title.trim().to_owned(),
                selection: self.landing_selection.clone(),
            })
        };
        let campaign = Campaign {
            id: self.id.clone(),
            name: self.name.trim().to_owned(),
            kind,
            status,
            starts_at,
            ends_at,
            channels: list(&self.channels),
            season: non_empty(&self.season),
            budget,
            banners,
            labels: list(&self.labels),
            landing_page,
        };
        (campaign, errors)
    }
}

/// `banners[3].image` → `(3, "image")`.
fn banner_field(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("banners[")?;
    let (index, field) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    (index < MAX_BANNERS).then_some((index, field))
}

pub fn kind_value(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::Normal => "normal",
        CampaignKind::Permanent => "permanent",
    }
}

pub fn parse_status(text: &str) -> Option<CampaignStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A comma-separated list, trimmed, without empty items or repeats.
fn list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if !items.iter().any(|i| i == item) {
            items.push(item.to_owned());
        }
    }
    items
}

/// A stored date-time (RFC 3339, or civil in the store's zone) as a `datetime-local` value in
/// the store's zone; what does not read is shown as it is, for the user to fix.
pub fn input_time(stored: Option<&str>, zone: &TimeZone) -> String {
    let Some(text) = stored else {
        return String::new();
    };
    let civil = match text.parse::<Timestamp>() {
        Ok(instant) => instant.to_zoned(zone.clone()).datetime(),
        Err(_) => match text.parse::<DateTime>() {
            Ok(civil) => civil,
            Err(_) => return text.to_owned(),
        },
    };
    civil.strftime("%Y-%m-%dT%H:%M").to_string()
}

/// Text that is not a date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotADateTime;

/// A `datetime-local` value as stored: a civil date-time the store reads in its own zone.
/// `Ok(None)` for an empty input.
pub fn stored_time(input: &str) -> Result<Option<String>, NotADateTime> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let civil: DateTime = input.parse().map_err(|_| NotADateTime)?;
    Ok(Some(civil.strftime("%Y-%m-%dT%H:%M:%S").to_string()))
}

/// An amount as the form shows it: the page's decimal mark, no grouping (so it reads back).
pub fn input_amount(lang: Lang, amount: Decimal) -> String {
    let text = amount.normalize().to_string();
    match lang {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

/// An amount typed in the page's language: `1 234,50`, `1234.5` or `1.234,50` in French;
/// `1,234.50` or `1234.5` in English. Spaces (also non-breaking) and a `€` are ignored. When
/// both marks appear, the last one is the decimal mark; a lone mark is the decimal mark, except
/// in English where a comma followed by three digits groups thousands.
pub fn parse_amount(lang: Lang, text: &str) -> Option<Decimal> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '€'))
        .collect();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let commas = digits.matches(',').count();
    let dots = digits.matches('.').count();
    let (decimal_mark, grouping_mark) = match (commas, dots) {
        (0, 0) => (None, None),
        (_, 0) if lang == Lang::En && (commas > 1 || groups_thousands(digits, ',')) => {
            (None, Some(','))
        }
        (1, 0) => (Some(','), None),
        (0, 1) => (Some('.'), None),
        (0, _) if lang == Lang::Fr => (None, Some('.')),
        (_, 0) | (0, _) => return None,
        // Both: the last one is the decimal mark, the other groups.
        _ => match digits.rfind([',', '.']).map(|at| &digits[at..]) {
            Some(rest) if rest.starts_with(',') => (Some(','), Some('.')),
            _ => (Some('.'), Some(',')),
        },
    };
    let mut plain = String::with_capacity(digits.len());
    for c in digits.chars() {
        match c {
            '0'..='9' => plain.push(c),
            c if Some(c) == decimal_mark => plain.push('.'),
            c if Some(c) == grouping_mark => {}
            _ => return None,
        }
    }
    // One decimal mark at most, with digits on both sides.
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, "0"));
    if whole.is_empty() || fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    Decimal::from_str_exact(&format!("{sign}{whole}.{fraction}")).ok()
}

/// Whether the only `mark` of `text` is followed by exactly three digits (`1,234`).
fn groups_thousands(text: &str, mark: char) -> bool {
    text.split(mark).skip(1).all(|group| group.len() == 3)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn amounts_read_in_each_language() {
        let fr = |t| parse_amount(Lang::Fr, t);
        let en = |t| parse_amount(Lang::En, t);
        assert_eq!(fr("1 234,50"), Some(dec!(1234.50)));
        assert_eq!(fr("1\u{202f}234,50\u{a0}€"), Some(dec!(1234.50)));
        assert_eq!(fr("1.234,50"), Some(dec!(1234.50)));
        assert_eq!(fr("12.5"), Some(dec!(12.5)));
        assert_eq!(fr("5000"), Some(dec!(5000)));
        assert_eq!(fr("-3,5"), Some(dec!(-3.5)));
        assert_eq!(en("1,234.50"), Some(dec!(1234.50)));
        assert_eq!(en("1,234"), Some(dec!(1234)));
        assert_eq!(en("1,234,567"), Some(dec!(1234567)));
        assert_eq!(en("12,5"), Some(dec!(12.5)));
        assert_eq!(en("0.10"), Some(dec!(0.10)));
        for bad in ["", "abc", "1,2,3", "12,", ",5", "1 2x", "1.2.3,4,5", "--1"] {
            assert_eq!(fr(bad), None, "{bad}");
        }
        assert_eq!(en("12.3.4"), None);
    }

    #[test]
    fn amounts_shown_read_back() {
        for lang in Lang::ALL {
            for amount in [dec!(1234.50), dec!(0.01), dec!(5000)] {
                let shown = input_amount(lang, amount);
                assert_eq!(parse_amount(lang, &shown), Some(amount.normalize()));
            }
        }
    }

    #[test]
    fn date_times_between_the_input_and_the_store() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(
            stored_time("2026-11-27T09:30").unwrap().as_deref(),
            Some("2026-11-27T09:30:00")
        );
        assert_eq!(stored_time(" ").unwrap(), None);
        assert!(stored_time("27/11/2026").is_err());
        assert_eq!(
            input_time(Some("2026-11-27T00:00:00"), &paris),
            "2026-11-27T00:00"
        );
        // An instant with an offset is shown in the store's zone.
        assert_eq!(
            input_time(Some("2026-11-26T23:00:00Z"), &paris),
            "2026-11-27T00:00"
        );
    }

    #[test]
    fn banner_rows_keep_their_order_and_drop_removed_and_blank_ones() {
        let fields: Vec<(String, String)> = [
            ("banners[1].placement", "footer"),
            ("banners[1].image", "/b.png"),
            ("banners[0].placement", "home_top"),
            ("banners[0].image", "/a.png"),
            ("banners[2].placement", ""),
            ("banners[3].placement", "x"),
            ("banners[3].remove", "on"),
            ("banners[99].placement", "ignored"),
            ("name", "Soldes"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let form = CampaignForm::read(&fields);
        let shown = form.shown_banners();
        assert_eq!(shown.len(), 3);
        assert_eq!(shown[0].placement, "home_top");
        assert_eq!(shown[1].image, "/b.png");
        assert!(shown[2].is_blank());
    }
}
