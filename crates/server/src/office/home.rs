//! The home page: what needs attention today. Campaigns live now and starting in the next 14 days
//! (from the served model: a store has hundreds of campaigns, not thousands), change requests
//! waiting for a decision, the user's open tasks (overdue first), and today's code redemptions
//! (counted in the store, over an index on the confirmation time).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get as get_handler;
use jiff::{Timestamp, ToSpan};
use remise_store::{ChangeRequestQuery, Importance, RequestState, TaskQuery, TaskState};

use super::guard::Need;
use super::i18n;
use super::page::{Page, render, server_error};
use super::routes::{OfficeRoute, get};
use super::session::{OfficeUser, url_encode};
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
    pub href: String,
    pub name: String,
    /// When it ends (live) or starts (soon), in words.
    pub when: String,
    pub status: String,
}

/// A change request waiting for a decision.
pub struct RequestItem {
    pub href: String,
    pub campaign: String,
    /// Who submitted it and when, in words.
    pub submitted: String,
}

/// One of the user's open tasks.
pub struct TaskItem {
    pub description: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub importance: String,
    pub high: bool,
}

#[derive(Template)]
#[template(path = "office/home.html")]
struct HomePage<'a> {
    page: &'a Page,
    live: Vec<CampaignItem>,
    live_more: usize,
    soon: Vec<CampaignItem>,
    soon_more: usize,
    requests: Vec<RequestItem>,
    /// More requests wait than are listed.
    requests_more: bool,
    tasks: Vec<TaskItem>,
    tasks_more: bool,
    redemptions: u64,
    vouchers: u64,
    voucher_amount: String,
}

async fn show(State(state): State<Arc<AppState>>, page: Page, user: OfficeUser) -> Response {
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
    let listed = u32::try_from(LISTED).unwrap_or(u32::MAX);
    let pending = state
        .store
        .list_change_requests(&ChangeRequestQuery {
            state: Some(RequestState::Pending),
            limit: listed + 1,
            ..ChangeRequestQuery::default()
        })
        .await;
    let tasks = state
        .store
        .list_tasks(&TaskQuery {
            assignee: Some(user.user.id.clone()),
            state: Some(TaskState::Open),
            limit: listed + 1,
            ..TaskQuery::default()
        })
        .await;
    let users = state.store.list_users().await;
    let (pending, tasks, users) = match (pending, tasks, users) {
        (Ok(pending), Ok(tasks), Ok(users)) => (pending, tasks, users),
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            return server_error(&error);
        }
    };
    let user_name = |id: &str| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_owned(), |u| u.name.clone())
    };
    let requests = pending
        .iter()
        .take(LISTED)
        .map(|request| RequestItem {
            href: format!("/office/campaigns/{}", url_encode(&request.campaign_id)),
            campaign: model
                .campaigns
                .get(&request.campaign_id)
                .map(|c| c.name.clone())
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| request.campaign_id.clone()),
            submitted: match (request.submitted_by.as_deref(), request.submitted_at) {
                (Some(by), Some(at)) => page.t2(
                    "home-submitted",
                    "name",
                    user_name(by),
                    "date",
                    Timestamp::from_millisecond(at)
                        .map(|at| i18n::instant(page.lang, at, &zone))
                        .unwrap_or_default(),
                ),
                _ => String::new(),
            },
        })
        .collect();
    let my_tasks = tasks
        .iter()
        .take(LISTED)
        .map(|task| TaskItem {
            description: task.description.clone(),
            deadline: task.deadline.map(|d| i18n::day(page.lang, d)),
            overdue: task.overdue(today),
            importance: page.t(&format!("home-importance-{}", task.importance.as_str())),
            high: task.importance == Importance::High,
        })
        .collect();
    let (live, soon) = campaigns(model, now);
    let say = |at: Option<Timestamp>, key: &str| match at {
        Some(at) => page.t1(key, "date", i18n::instant(page.lang, at, &zone)),
        None => page.t("home-no-end"),
    };
    let item = |c: &Campaign, when: String| CampaignItem {
        href: format!("/office/campaigns/{}", url_encode(&c.id)),
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
            requests,
            requests_more: pending.len() > LISTED,
            tasks: my_tasks,
            tasks_more: tasks.len() > LISTED,
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
