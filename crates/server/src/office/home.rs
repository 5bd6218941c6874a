//! The home page: what needs attention today. Campaigns live now and starting in the next 14 days
//! (from the served model: a store has hundreds of campaigns, not thousands), and today's code
//! redemptions (counted in the store, over an index on the confirmation time).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get as get_handler;
use jiff::{Timestamp, ToSpan};

use super::guard::Need;
use super::i18n;
use super::page::{Page, render, server_error};
use super::routes::{OfficeRoute, get};
use crate::AppState;
use crate::documents::{Campaign, CampaignStatus};
use crate::model::{Model, parse_instant};

pub fn routes() -> Vec<OfficeRoute> {
    vec![get("/office", Need::Read, get_handler(show))]
}

/// Campaigns a section lists; the campaigns screen has the rest.
const LISTED: usize = 10;
/// How far ahead "starting soon" looks.
const SOON_DAYS: i64 = 14;

/// A campaign as the home page lists it.
pub struct CampaignItem {
    pub id: String,
    pub name: String,
    /// When it ends (live) or starts (soon), in words.
    pub when: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "office/home.html")]
struct HomePage<'a> {
    page: &'a Page,
    live: Vec<CampaignItem>,
    live_more: usize,
    soon: Vec<CampaignItem>,
    soon_more: usize,
    redemptions: u64,
    vouchers: u64,
    voucher_amount: String,
}

async fn show(State(state): State<Arc<AppState>>, page: Page) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let zone = model.time_zone();
    let now = Timestamp::now();
    let today = now.to_zoned(zone.clone()).date();
    let day_start = |date: jiff::civil::Date| {
        date.to_zoned(zone.clone())
            .map(|z| z.timestamp().as_millisecond())
    };
    let (Ok(from), Ok(to)) = (
        day_start(today),
        today
            .tomorrow()
            .and_then(|d| d.to_zoned(zone.clone()))
            .map(|z| z.timestamp().as_millisecond()),
    ) else {
        return server_error(&"today's bounds in the store's time zone");
    };
    let totals = match state.store.confirmed_redemptions(from, to).await {
        Ok(totals) => totals,
        Err(error) => return server_error(&error),
    };
    let (live, soon) = campaigns(model, now);
    let say = |at: Option<Timestamp>, key: &str| match at {
        Some(at) => page.t1(key, "date", i18n::instant(page.lang, at, &zone)),
        None => page.t("home-no-end"),
    };
    let item = |c: &Campaign, when: String| CampaignItem {
        id: c.id.clone(),
        name: if c.name.is_empty() {
            c.id.clone()
        } else {
            c.name.clone()
        },
        when,
        status: page.t(&format!("home-status-{}", c.status.as_str())),
    };
    let scale =
        remise_engine::money::Money::parse(&model.settings.currency, model.settings.rounding)
            .map_or(2, |m| m.scale);
    render(
        StatusCode::OK,
        &HomePage {
            live_more: live.len().saturating_sub(LISTED),
            soon_more: soon.len().saturating_sub(LISTED),
            live: live
                .iter()
                .take(LISTED)
                .map(|(c, ends)| item(c, say(*ends, "home-ends")))
                .collect(),
            soon: soon
                .iter()
                .take(LISTED)
                .map(|(c, starts)| item(c, say(Some(*starts), "home-starts")))
                .collect(),
            redemptions: totals.count,
            vouchers: totals.vouchers,
            voucher_amount: i18n::money(
                page.lang,
                totals.voucher_amount,
                &model.settings.currency,
                scale,
            ),
            page: &page,
        },
    )
}

/// Campaigns live at `now` (active, started, not ended), soonest end first; and those starting
/// in the next [`SOON_DAYS`] days (drafts and paused ones too: they may need attention), soonest
/// first.
#[allow(clippy::type_complexity)]
fn campaigns(
    model: &Model,
    now: Timestamp,
) -> (
    Vec<(&Campaign, Option<Timestamp>)>,
    Vec<(&Campaign, Timestamp)>,
) {
    let zone = model.time_zone();
    let horizon = now
        .checked_add((SOON_DAYS * 24).hours())
        .unwrap_or(Timestamp::MAX);
    let bound = |text: &Option<String>| text.as_deref().and_then(|t| parse_instant(t, &zone));
    let mut live = Vec::new();
    let mut soon = Vec::new();
    for campaign in model.campaigns.values() {
        let starts = bound(&campaign.starts_at);
        let ends = bound(&campaign.ends_at);
        if ends.is_some_and(|end| end <= now) {
            continue;
        }
        match (campaign.status, starts) {
            (CampaignStatus::Active, start) if start.is_none_or(|s| s <= now) => {
                live.push((campaign, ends));
            }
            (
                CampaignStatus::Active | CampaignStatus::Draft | CampaignStatus::Paused,
                Some(start),
            ) if now < start && start <= horizon => soon.push((campaign, start)),
            _ => {}
        }
    }
    // Campaigns without an end (permanent ones) last.
    live.sort_by_key(|(c, ends)| (ends.is_none(), *ends, c.id.clone()));
    soon.sort_by_key(|(c, starts)| (*starts, c.id.clone()));
    (live, soon)
}
