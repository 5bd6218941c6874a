//! `/office/campaigns/calendar`: the campaigns of the months ahead as a timeline, one row per
//! campaign with a bar from its start to its end, drawn by the server in HTML and CSS.
//!
//! The timeline is a table: each row says the campaign's status and dates in words (what a
//! screen reader reads); the bar and the month ruler repeat them for the eye and are hidden
//! from assistive technologies.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

use super::{ok, period, status_class, status_name};
use crate::AppState;
use crate::documents::{Campaign, CampaignStatus};
use crate::model::parse_instant;
use crate::office::i18n::{self, Lang};
use crate::office::page::Page;

/// Months shown unless asked otherwise, and at most.
const MONTHS: i8 = 6;
const MAX_MONTHS: i8 = 12;
/// Rows per page.
const PAGE: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Window {
    /// The first month shown, `2026-11`; the current month by default.
    from: Option<String>,
    months: Option<i8>,
    /// The page (from 0), for windows with more than 50 campaigns.
    #[serde(default)]
    page: usize,
}

/// A month on the ruler: its name and where it lies, in thousandths of the window.
pub struct Month {
    pub name: String,
    pub left: String,
    pub width: String,
}

/// A campaign's row.
pub struct Row {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_class: &'static str,
    pub period: String,
    pub left: String,
    pub width: String,
    /// It started before the window, goes on after it.
    pub before: bool,
    pub after: bool,
}

#[derive(Template)]
#[template(path = "office/campaigns/calendar.html")]
struct CalendarPage<'a> {
    page: &'a Page,
    /// "Nov 2026 – Apr 2027".
    span: String,
    months: Vec<Month>,
    rows: Vec<Row>,
    /// Where "now" is on the timeline, when it is inside the window.
    today: Option<String>,
    previous: String,
    next: String,
    more: Option<String>,
    earlier: Option<String>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(window): Query<Window>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let zone = model.time_zone();
    let now = Timestamp::now();
    let this_month = now.to_zoned(zone.clone()).date().first_of_month();
    let first = window
        .from
        .as_deref()
        .and_then(|m| format!("{m}-01").parse::<Date>().ok())
        .unwrap_or(this_month);
    let months = window.months.unwrap_or(MONTHS).clamp(1, MAX_MONTHS);
    let start = month_start(first, 0, &zone);
    let end = month_start(first, months, &zone);
    let (Some(start), Some(end)) = (start, end) else {
        // Only a month at the edge of the calendar (year 9999) gets here.
        return super::not_found(&page);
    };
    let total = (end.as_second() - start.as_second()).max(1);
    let place = |at: Timestamp| (at.as_second() - start.as_second()).clamp(0, total) * 1000 / total;

    let mut shown: Vec<(Option<Timestamp>, &Campaign)> = model
        .campaigns
        .values()
        .filter(|c| c.status != CampaignStatus::Archived)
        .filter_map(|c| {
            let from = c.starts_at.as_deref().and_then(|t| parse_instant(t, &zone));
            let until = c.ends_at.as_deref().and_then(|t| parse_instant(t, &zone));
            let overlaps = from.is_none_or(|f| f < end) && until.is_none_or(|u| u > start);
            overlaps.then_some((from, c))
        })
        .collect();
    shown.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let pages = shown.len().div_ceil(PAGE).max(1);
    let index = window.page.min(pages - 1);
    let rows = shown
        .iter()
        .skip(index * PAGE)
        .take(PAGE)
        .map(|(from, c)| {
            let until = c.ends_at.as_deref().and_then(|t| parse_instant(t, &zone));
            let left = from.map_or(0, place);
            let right = until.map_or(1000, place);
            Row {
                id: c.id.clone(),
                name: c.name.clone(),
                status: status_name(&page, c.status),
                status_class: status_class(c.status),
                period: period(&page, c, &zone),
                left: permille(left),
                // A campaign of a few hours still shows.
                width: permille((right - left).max(4)),
                before: from.is_none_or(|f| f < start),
                after: until.is_none_or(|u| u > end),
            }
        })
        .collect();
    let ruler = (0..months)
        .filter_map(|i| {
            let from = month_start(first, i, &zone)?;
            let until = month_start(first, i + 1, &zone)?;
            let date = first.checked_add(i64::from(i).months()).ok()?;
            Some(Month {
                name: month_name(page.lang, date),
                left: permille(place(from)),
                width: permille(place(until) - place(from)),
            })
        })
        .collect();
    let link = |month: Date, page_index: usize| {
        let mut url = format!(
            "/office/campaigns/calendar?from={}&months={months}",
            month.strftime("%Y-%m")
        );
        if page_index > 0 {
            url.push_str(&format!("&page={page_index}"));
        }
        url
    };
    let shift = |by: i8| first.checked_add(i64::from(by).months()).unwrap_or(first);
    let last_month = shift(months - 1);
    ok(&CalendarPage {
        span: format!(
            "{} – {}",
            month_name(page.lang, first),
            month_name(page.lang, last_month)
        ),
        page: &page,
        months: ruler,
        rows,
        today: (start <= now && now < end).then(|| permille(place(now))),
        previous: link(shift(-months), 0),
        next: link(shift(months), 0),
        more: (index + 1 < pages).then(|| link(first, index + 1)),
        earlier: (index > 0).then(|| link(first, index - 1)),
    })
}

/// The instant the month `offset` months after `first` starts, in the store's zone.
fn month_start(first: Date, offset: i8, zone: &TimeZone) -> Option<Timestamp> {
    let date = first.checked_add(i64::from(offset).months()).ok()?;
    zone.to_ambiguous_zoned(date.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

/// Thousandths as a CSS percentage: `123` → `12.3%`.
fn permille(value: i64) -> String {
    format!("{}.{}%", value / 10, value % 10)
}

/// "nov. 2026", "Nov 2026".
fn month_name(lang: Lang, date: Date) -> String {
    // The day's format without its day: "5 nov. 2026" → "nov. 2026".
    let day = i18n::day(lang, date);
    day.split_once(' ')
        .map_or(day.clone(), |(_, rest)| rest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_percentages_with_one_decimal() {
        assert_eq!(permille(0), "0.0%");
        assert_eq!(permille(123), "12.3%");
        assert_eq!(permille(1000), "100.0%");
    }

    #[test]
    fn months_are_named_in_each_language() {
        let date = jiff::civil::date(2026, 11, 1);
        assert_eq!(month_name(Lang::Fr, date), "nov. 2026");
        assert_eq!(month_name(Lang::En, date), "Nov 2026");
    }
}
