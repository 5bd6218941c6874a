//! `/office/campaigns/{id}/landing`: the campaign's landing page as the shop would get it from
//! `GET /v1/landing/{slug}`: its selection's products with their promotional prices, at an
//! instant and on a channel of the user's choice.
//!
//! A campaign that is not active is not served: its page is then previewed as if it were (its
//! promotions applied to a copy of the served snapshot), and the page says so.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jiff::Timestamp;
use remise_engine::cart::Customer;
use remise_engine::{PriceRequest, RuleChange, Snapshot};
use serde::Deserialize;

use super::form::{input_time, stored_time};
use super::{not_found, ok};
use crate::AppState;
use crate::documents::CampaignStatus;
use crate::model::{campaign_running, landing_skus, parse_instant};
use crate::office::i18n;
use crate::office::page::{Page, server_error};

/// Products shown (a selection may hold thousands; the count says how many there are).
const SHOWN: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Context {
    /// `datetime-local`, in the store's zone; now when empty.
    #[serde(default)]
    at: String,
    #[serde(default)]
    channel: String,
}

pub struct Row {
    pub sku: String,
    pub name: String,
    pub reference: String,
    pub price: String,
    pub discounted: bool,
    pub promotions: String,
}

#[derive(Template)]
#[template(path = "office/campaigns/landing.html")]
struct LandingPreview<'a> {
    page: &'a Page,
    id: String,
    campaign: String,
    /// `None`: the campaign has no landing page.
    title: Option<String>,
    slug: String,
    at: String,
    channel: String,
    at_error: bool,
    /// Previewed as if active (not served).
    as_if_active: bool,
    /// Outside the campaign's dates at that instant (the API answers 404).
    not_running: bool,
    rows: Vec<Row>,
    total: usize,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(id): Path<String>,
    Query(context): Query<Context>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let Some(campaign) = model.campaigns.get(&id) else {
        return not_found(&page);
    };
    let zone = model.time_zone();
    let (at, at_error) = match stored_time(&context.at) {
        Ok(Some(text)) => (parse_instant(&text, &zone), false),
        Ok(None) => (None, false),
        Err(_) => (None, true),
    };
    let at = at.unwrap_or_else(Timestamp::now);
    let mut preview = LandingPreview {
        page: &page,
        id: campaign.id.clone(),
        campaign: campaign.name.clone(),
        title: None,
        slug: String::new(),
        at: input_time(Some(&at.to_string()), &zone),
        channel: context.channel.trim().to_owned(),
        at_error,
        as_if_active: campaign.status != CampaignStatus::Active,
        not_running: !campaign_running(campaign, at, &zone),
        rows: Vec::new(),
        total: 0,
    };
    let Some(landing) = &campaign.landing_page else {
        return ok(&preview);
    };
    preview.title = Some(landing.title.clone());
    preview.slug.clone_from(&landing.slug);
    let skus = landing_skus(&published.snapshot, landing);
    preview.total = skus.len();
    let snapshot = if preview.as_if_active {
        match as_if_active(&published, &id).await {
            Ok(snapshot) => snapshot,
            Err(response) => return response,
        }
    } else {
        published.snapshot.clone()
    };
    let request = PriceRequest {
        customer: Customer::default(),
        channel: (!preview.channel.is_empty()).then(|| preview.channel.clone()),
        at: at.to_string(),
        display: None,
        skus: skus.into_iter().take(SHOWN).collect(),
    };
    let prices = match snapshot.price(&request) {
        Ok(prices) => prices,
        // The request is made here from valid parts: only a broken snapshot refuses it.
        Err(error) => return server_error(&error),
    };
    let currency = &model.settings.currency;
    let scale =
        remise_engine::money::Money::parse(currency, Default::default()).map_or(2, |m| m.scale);
    let money = |amount| i18n::money(page.lang, amount, currency, scale);
    preview.rows = prices
        .iter()
        .map(|price| Row {
            sku: price.sku.to_owned(),
            name: model
                .products
                .get(price.sku)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            reference: money(price.reference_price),
            price: money(price.price),
            discounted: price.price < price.reference_price,
            promotions: price
                .promotions
                .iter()
                .map(|id| {
                    model
                        .promotions
                        .get(*id)
                        .map_or((*id).to_owned(), |p| p.name.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    ok(&preview)
}

/// The served snapshot with the campaign's promotions served as if it were active.
async fn as_if_active(
    published: &Arc<crate::published::Published>,
    id: &str,
) -> Result<Snapshot, Response> {
    let published = published.clone();
    let id = id.to_owned();
    let built = tokio::task::spawn_blocking(move || {
        let mut model = published.model.clone();
        if let Some(campaign) = model.campaigns.get_mut(&id) {
            campaign.status = CampaignStatus::Active;
        }
        let zone = model.time_zone();
        let served: Vec<_> = model
            .promotions
            .values()
            .filter(|p| p.campaign.as_deref() == Some(id.as_str()))
            .filter_map(|p| model.live_promotion(p, &zone))
            .collect();
        let changes: Vec<RuleChange<'_>> = served.iter().map(RuleChange::Promotion).collect();
        published.snapshot.apply(&changes)
    })
    .await;
    match built {
        Ok(Ok(snapshot)) => Ok(snapshot),
        Ok(Err(error)) => Err(server_error(&error)),
        Err(error) => Err(server_error(&error)),
    }
}
