//! `/office/campaigns/{id}`: a campaign's page: its facts, banners and landing page, its
//! promotions (the promotions screens' links), its approval, and what can be done with it.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{kind_name, not_found, ok, period, status_class, status_name, stored};
use crate::AppState;
use crate::documents::{Banner, Campaign};
use crate::office::approval::{self, CampaignApproval};
use crate::office::i18n;
use crate::office::page::Page;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The facts shown as a definition list: `(term, description)`.
type Facts = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "office/campaigns/show.html")]
struct ShowPage<'a> {
    page: &'a Page,
    id: String,
    name: String,
    status: String,
    status_class: &'static str,
    facts: Facts,
    banners: Vec<Banner>,
    landing: Option<Facts>,
    promotions: usize,
    version: i64,
    /// When it was deleted (it can then only be restored).
    deleted: Option<String>,
    notice: Option<String>,
    approval: CampaignApproval,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let found = match stored(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some((record, campaign)) = found else {
        return not_found(&page);
    };
    let published = state.publisher.current();
    let zone = published.model.time_zone();
    let approval =
        match approval::campaign_approval(&state, &page, &campaign, record.deleted_at.is_some())
            .await
        {
            Ok(approval) => approval,
            Err(response) => return response,
        };
    let at = |millis: i64| {
        jiff::Timestamp::from_millisecond(millis)
            .map(|t| i18n::instant(page.lang, t, &zone))
            .unwrap_or_default()
    };
    let facts = facts(&state, &page, &campaign, &zone, at(record.updated_at));
    let landing = campaign.landing_page.as_ref().map(|p| {
        vec![
            (page.t("campaigns-landing-slug"), p.slug.clone()),
            (page.t("campaigns-landing-title"), p.title.clone()),
            (page.t("campaigns-landing-selection"), p.selection.clone()),
        ]
    });
    let promotions = published
        .model
        .promotions
        .values()
        .filter(|p| p.campaign.as_deref() == Some(campaign.id.as_str()))
        .count();
    let notice = done.done.as_deref().and_then(|done| {
        let key = match done {
            "saved" => "campaigns-done-saved",
            "proposed" => "campaigns-done-proposed",
            "created" => "campaigns-done-created",
            "duplicated" => "campaigns-done-duplicated",
            "deleted" => "campaigns-done-deleted",
            "restored" => "campaigns-done-restored",
            "submitted" => "campaigns-done-submitted",
            "withdrawn" => "campaigns-done-withdrawn",
            _ => return None,
        };
        Some(page.t(key))
    });
    ok(&ShowPage {
        id: campaign.id.clone(),
        name: campaign.name.clone(),
        status: status_name(&page, campaign.status),
        status_class: status_class(campaign.status),
        facts,
        banners: campaign.banners.clone(),
        landing,
        promotions,
        version: record.version,
        deleted: record.deleted_at.map(at),
        notice,
        approval,
        page: &page,
    })
}

fn facts(
    state: &AppState,
    page: &Page,
    campaign: &Campaign,
    zone: &jiff::tz::TimeZone,
    updated: String,
) -> Facts {
    let or_none = |text: String| {
        if text.is_empty() {
            page.t("campaigns-none-given")
        } else {
            text
        }
    };
    vec![
        (page.t("campaigns-id"), campaign.id.clone()),
        (page.t("campaigns-kind"), kind_name(page, campaign.kind)),
        (page.t("campaigns-period"), period(page, campaign, zone)),
        (
            page.t("campaigns-channels"),
            if campaign.channels.is_empty() {
                page.t("campaigns-channels-all")
            } else {
                campaign.channels.join(", ")
            },
        ),
        (
            page.t("campaigns-season"),
            or_none(campaign.season.clone().unwrap_or_default()),
        ),
        (
            page.t("campaigns-budget"),
            campaign.budget.map_or_else(
                || page.t("campaigns-budget-none"),
                |b| super::money(state, page.lang, b),
            ),
        ),
        (
            page.t("campaigns-labels"),
            or_none(campaign.labels.join(", ")),
        ),
        (page.t("campaigns-updated"), updated),
    ]
}
