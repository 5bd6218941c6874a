//! `/office/tasks`: the signed-in user's tasks (or everyone's), open ones first, overdue ones
//! first among them (the store's order), 50 a page; filtered by state, and by what they are
//! attached to (`?campaign=<id>`, `?promotion=<id>`: then everyone's).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use remise_store::{Attachment, TaskQuery, TaskState};
use serde::Deserialize;

use super::{AttachmentView, TaskView, Team, attachment_view, ok};
use crate::AppState;
use crate::office::page::{Page, server_error};
use crate::office::session::OfficeUser;

/// Tasks per page.
pub const PAGE: u32 = 50;
/// The last page reachable (so that the offset never overflows).
const MAX_PAGE: u32 = 10_000;

/// The list's filters, as the query string gives them (anything unreadable is the default).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// `all` for everyone's tasks; else the user's own.
    #[serde(default)]
    who: String,
    /// A task state, or empty for every state.
    #[serde(default)]
    state: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    promotion: String,
    /// From 1.
    #[serde(default)]
    page: String,
    /// What was just done (a notice).
    #[serde(default)]
    done: String,
}

#[derive(Template)]
#[template(path = "office/tasks/list.html")]
struct ListPage<'a> {
    page: &'a Page,
    heading: String,
    /// What the list is limited to, when it is (a campaign, a promotion).
    about: Option<AttachmentView>,
    /// The query string of the filters but the page (for the pager's links).
    base_query: String,
    everyone: bool,
    state: String,
    /// `(value, name)` of the state filter's options.
    states: Vec<(&'static str, String)>,
    campaign: String,
    promotion: String,
    tasks: Vec<TaskView>,
    number: u32,
    more: bool,
    notice: Option<String>,
    /// Where the rows' action forms come back to.
    here: String,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Query(filters): Query<Filters>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let zone = model.time_zone();
    let attachment = if !filters.campaign.is_empty() {
        Some(Attachment::Campaign(filters.campaign.clone()))
    } else if !filters.promotion.is_empty() {
        Some(Attachment::Promotion(filters.promotion.clone()))
    } else {
        None
    };
    // A campaign's or promotion's tasks are everyone's; the plain list is the user's own.
    let everyone = filters.who == "all" || attachment.is_some();
    let task_state = TaskState::parse(&filters.state);
    let number = filters.page.parse::<u32>().unwrap_or(1).clamp(1, MAX_PAGE);
    let query = TaskQuery {
        assignee: (!everyone).then(|| user.user.id.clone()),
        attachment: attachment.clone(),
        state: task_state,
        offset: (number - 1) * PAGE,
        limit: PAGE + 1,
    };
    let mut tasks = match state.store.list_tasks(&query).await {
        Ok(tasks) => tasks,
        Err(error) => return server_error(&error),
    };
    let more = tasks.len() > PAGE as usize;
    tasks.truncate(PAGE as usize);
    let team = match Team::load(&state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    let views = tasks
        .iter()
        .map(|task| TaskView::new(&page, Some(&user), (&team, model, &zone), task))
        .collect();
    let about = attachment
        .as_ref()
        .map(|a| attachment_view(&page, model, a));
    let heading = match &about {
        Some(about) => page.t1("tasks-title-about", "what", &about.label),
        None if everyone => page.t("tasks-title-everyone"),
        None => page.t("tasks-title"),
    };
    let state_value = task_state.map_or("", |s| s.as_str()).to_owned();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if everyone && attachment.is_none() {
        pairs.push(("who", "all"));
    }
    if !state_value.is_empty() {
        pairs.push(("state", &state_value));
    }
    if !filters.campaign.is_empty() {
        pairs.push(("campaign", &filters.campaign));
    } else if !filters.promotion.is_empty() {
        pairs.push(("promotion", &filters.promotion));
    }
    let base_query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let here = if base_query.is_empty() {
        "/office/tasks".to_owned()
    } else {
        format!("/office/tasks?{base_query}")
    };
    let notice = super::done_notice(&page, &filters.done);
    let states = TaskState::ALL
        .into_iter()
        .map(|s| (s.as_str(), super::state_name(&page, s)))
        .collect();
    ok(&ListPage {
        heading,
        about,
        base_query,
        everyone,
        state: state_value,
        states,
        campaign: filters.campaign,
        promotion: filters.promotion,
        tasks: views,
        number,
        more,
        notice,
        here,
        page: &page,
    })
}

impl ListPage<'_> {
    /// The link to page `number` of this list.
    fn page_link(&self, number: u32) -> String {
        if self.base_query.is_empty() {
            format!("/office/tasks?page={number}")
        } else {
            format!("/office/tasks?{}&page={number}", self.base_query)
        }
    }
}
