//! Campaigns: the list with its filters, the calendar of the months ahead, the form (create and
//! edit every field), the campaign's page with the preview of its landing page, duplicate, soft
//! delete and restore. Every change goes through `approval::save`, which writes it, or keeps it
//! in the campaign's change request when the store requires approval.

mod calendar;
mod duplicate;
mod edit;
pub mod form;
mod landing;
mod list;
mod problems_fr;
mod remove;
mod show;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use jiff::tz::TimeZone;
use remise_store::{Kind, Record};

use super::form::FormErrors;
use super::guard::Need;
use super::i18n::{self, Lang};
use super::page::{Page, error_page, server_error};
use super::routes::{OfficeRoute, get, post};
use crate::AppState;
use crate::documents::{Campaign, CampaignKind, CampaignStatus, Document};
use crate::model::parse_instant;

pub use problems_fr::french_problems;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/campaigns", Need::Read, get_handler(list::show)),
        get(
            "/office/campaigns/calendar",
            Need::Read,
            get_handler(calendar::show),
        ),
        get("/office/campaigns/new", Need::Edit, get_handler(edit::new)),
        post(
            "/office/campaigns/new",
            Need::Edit,
            post_handler(edit::create),
        ),
        get(
            "/office/campaigns/{id}",
            Need::Read,
            get_handler(show::show),
        ),
        get(
            "/office/campaigns/{id}/edit",
            Need::Edit,
            get_handler(edit::edit),
        ),
        post(
            "/office/campaigns/{id}/edit",
            Need::Edit,
            post_handler(edit::update),
        ),
        get(
            "/office/campaigns/{id}/landing",
            Need::Read,
            get_handler(landing::show),
        ),
        post(
            "/office/campaigns/{id}/duplicate",
            Need::Edit,
            post_handler(duplicate::duplicate),
        ),
        post(
            "/office/campaigns/{id}/delete",
            Need::Edit,
            post_handler(remove::delete),
        ),
        post(
            "/office/campaigns/{id}/restore",
            Need::Edit,
            post_handler(remove::restore),
        ),
    ]
}

/// Every status, in life-cycle order (the list's filter, the calendar's legend).
pub const STATUSES: [CampaignStatus; 5] = [
    CampaignStatus::Draft,
    CampaignStatus::Active,
    CampaignStatus::Paused,
    CampaignStatus::Ended,
    CampaignStatus::Archived,
];

/// A status's name in the page's language.
pub fn status_name(page: &Page, status: CampaignStatus) -> String {
    page.t(&format!("campaigns-status-{}", status.as_str()))
}

/// A kind's name in the page's language.
pub fn kind_name(page: &Page, kind: CampaignKind) -> String {
    page.t(&format!("campaigns-kind-{}", form::kind_value(kind)))
}

/// The badge class of a status: live is green, stopped amber, the rest plain (the text always
/// says the status: colour is only a hint).
pub fn status_class(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Active => "ok",
        CampaignStatus::Paused => "warn",
        _ => "",
    }
}

/// A stored campaign (live or deleted) with its record, `None` when there is none; the error
/// page when the store fails or the body no longer reads.
pub async fn stored(state: &AppState, id: &str) -> Result<Option<(Record, Campaign)>, Response> {
    let record = state
        .store
        .get(Kind::Campaign, id)
        .await
        .map_err(|e| server_error(&e))?;
    let Some(record) = record else {
        return Ok(None);
    };
    match Document::read(Kind::Campaign, record.body.clone(), "") {
        Ok(Document::Campaign(campaign)) => Ok(Some((record, campaign))),
        Ok(_) => Err(server_error(&"a campaign record holds another kind")),
        Err(error) => Err(server_error(&error)),
    }
}

/// 404 for a campaign that does not exist.
pub fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "campaigns-not-found",
    )
}

/// The store's time zone, from the served model.
pub fn zone(state: &AppState) -> TimeZone {
    state.publisher.current().model.time_zone()
}

/// A campaign's dates in words: "27 nov. 2026 00:00 → 1 déc. 2026 00:00", "from …", "until …",
/// or "always" (permanent or undated).
pub fn period(page: &Page, campaign: &Campaign, zone: &TimeZone) -> String {
    let at = |text: &Option<String>| {
        text.as_deref().map(|t| match parse_instant(t, zone) {
            Some(instant) => i18n::instant(page.lang, instant, zone),
            None => t.to_owned(),
        })
    };
    match (at(&campaign.starts_at), at(&campaign.ends_at)) {
        (Some(start), Some(end)) => format!("{start} → {end}"),
        (Some(start), None) => page.t1("campaigns-period-from", "start", start),
        (None, Some(end)) => page.t1("campaigns-period-until", "end", end),
        (None, None) => page.t("campaigns-period-always"),
    }
}

/// An amount in the store's currency, in the page's language.
pub fn money(state: &AppState, lang: Lang, amount: rust_decimal::Decimal) -> String {
    let published = state.publisher.current();
    let currency = &published.model.settings.currency;
    let scale =
        remise_engine::money::Money::parse(currency, Default::default()).map_or(2, |m| m.scale);
    i18n::money(lang, amount, currency, scale)
}

/// Renders `template` with 200.
pub fn ok(template: &impl Template) -> Response {
    super::page::render(StatusCode::OK, template)
}

#[derive(Template)]
#[template(path = "office/campaigns/refused.html")]
struct RefusedPage<'a> {
    page: &'a Page,
    title: String,
    messages: Vec<String>,
    /// The page to go back to.
    back: String,
}

/// A refused action (not a form's: delete, restore, duplicate, submit): what went wrong.
pub fn refused(
    page: &Page,
    status: StatusCode,
    title_key: &str,
    errors: &FormErrors,
    back: &str,
) -> Response {
    let messages = errors
        .general
        .iter()
        .cloned()
        .chain(errors.fields.iter().map(|(f, m)| format!("{f} : {m}")))
        .collect();
    super::page::render(
        status,
        &RefusedPage {
            page,
            title: page.t(title_key),
            messages,
            back: back.to_owned(),
        },
    )
}

/// A campaign's page.
pub fn campaign_url(id: &str) -> String {
    format!("/office/campaigns/{}", super::session::url_encode(id))
}

/// A campaign field's name (by its path in the document) in the page's language, and the
/// prefix of the messages naming its values (status, kind); an unknown path is its own name.
pub fn field_name(page: &Page, path: &str) -> (String, Option<&'static str>) {
    if let Some(rest) = path.strip_prefix("banners[")
        && let Some((index, field)) = rest.split_once("].")
        && let Ok(index) = index.parse::<usize>()
    {
        let key = match field {
            "placement" => "campaigns-banner-placement",
            "image" => "campaigns-banner-image",
            "link" => "campaigns-banner-link",
            "alt" => "campaigns-banner-alt",
            _ => return (path.to_owned(), None),
        };
        let banner = page.t1("campaigns-banner-n", "n", index + 1);
        return (format!("{banner} · {}", page.t(key)), None);
    }
    let (key, values) = match path {
        "id" => ("campaigns-id", None),
        "name" => ("campaigns-name", None),
        "kind" => ("campaigns-kind", Some("campaigns-kind-")),
        "status" => ("campaigns-status", Some("campaigns-status-")),
        "starts_at" => ("campaigns-starts-at", None),
        "ends_at" => ("campaigns-ends-at", None),
        "channels" => ("campaigns-channels", None),
        "season" => ("campaigns-season", None),
        "budget" => ("campaigns-budget", None),
        "labels" => ("campaigns-labels", None),
        "landing_page.slug" => ("campaigns-landing-slug", None),
        "landing_page.title" => ("campaigns-landing-title", None),
        "landing_page.selection" => ("campaigns-landing-selection", None),
        _ => return (path.to_owned(), None),
    };
    (page.t(key), values)
}
