//! Promotions, inside their campaign: the campaign's list (and its deleted promotions, to
//! restore), one form for every target, audience, condition and offer of the rule format, a
//! preview of the targeted products with their prices before and after, duplicate, delete and
//! restore.
//!
//! The form's inputs are named after the promotion's JSON paths (`conditions.min_cart_amount`;
//! the offer's under its type, `offer.buy_x_get_y.buy`), read into a `Promotion` (`read`) and
//! written through the same checks as the management API, so the engine's errors come back with
//! paths that find their inputs (`paths`).

mod actions;
mod edit;
mod fill;
mod form;
mod fragments;
mod layout;
mod list;
mod load;
mod offer_layout;
mod paths;
mod preview;
mod read;
mod summary;
mod values;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};

use super::guard::Need;
use super::page::{Page, error_page, render};
use super::routes::{OfficeRoute, get, post};
use crate::documents::Campaign;
use form::{Rows, offer_type};
use layout::{Fields, Layout};
use preview::Preview;
use values::FormValues;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get(
            "/office/campaigns/{campaign}/promotions",
            Need::Read,
            get_handler(list::list),
        ),
        get(
            "/office/campaigns/{campaign}/promotions/new",
            Need::Edit,
            get_handler(edit::new_form),
        ),
        post(
            "/office/campaigns/{campaign}/promotions",
            Need::Edit,
            post_handler(edit::create),
        ),
        get(
            "/office/promotions/{id}",
            Need::Read,
            get_handler(edit::show),
        ),
        post(
            "/office/promotions/{id}",
            Need::Edit,
            post_handler(edit::update),
        ),
        post(
            "/office/promotions/{id}/duplicate",
            Need::Edit,
            post_handler(actions::duplicate),
        ),
        post(
            "/office/promotions/{id}/delete",
            Need::Edit,
            post_handler(actions::delete),
        ),
        post(
            "/office/promotions/{id}/restore",
            Need::Edit,
            post_handler(actions::restore),
        ),
        // Parts of the form, for htmx: they change nothing, so every role may ask.
        post(
            "/office/promotion-form/offer",
            Need::Read,
            post_handler(fragments::offer),
        ),
        post(
            "/office/promotion-form/preview",
            Need::Read,
            post_handler(fragments::preview),
        ),
    ]
}

/// A campaign as pages link to it.
#[derive(Debug, Clone)]
pub struct CampaignLink {
    pub id: String,
    pub name: String,
}

impl CampaignLink {
    pub fn of(campaign: &Campaign) -> CampaignLink {
        CampaignLink {
            id: campaign.id.clone(),
            name: if campaign.name.is_empty() {
                campaign.id.clone()
            } else {
                campaign.name.clone()
            },
        }
    }
}

/// 404: no such campaign or promotion.
pub fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "promotions-not-found",
    )
}

/// What the form page shows besides its inputs.
pub struct FormContext {
    pub title: String,
    pub campaign: Option<CampaignLink>,
    /// Where the form posts.
    pub action: String,
    /// The promotion's id, once it exists (then it is no longer an input).
    pub promotion_id: Option<String>,
    pub version: Option<i64>,
    /// Shown to roles that may not change promotions: inputs disabled, no buttons.
    pub readonly: bool,
    pub notice: Option<String>,
    /// What the campaign's change request proposes for this promotion, and the request's id.
    pub pending: Option<(load::Pending, String)>,
}

#[derive(Template)]
#[template(path = "office/promotions/form.html")]
struct FormPage<'a> {
    page: &'a Page,
    title: String,
    campaign: Option<CampaignLink>,
    action: String,
    promotion_id: Option<String>,
    version: Option<i64>,
    readonly: bool,
    notice: Option<String>,
    /// What waits for approval, in words, and the request to see.
    pending: Option<(String, String)>,
    layout: Layout,
    general_errors: Vec<String>,
    has_errors: bool,
    /// The first input (or group) with an error, which the message at the top links to.
    first_error: Option<String>,
    preview: Option<Preview>,
    preview_url: String,
}

/// The form's layout for `values`.
fn layout_of(page: &Page, values: &FormValues, id_input: bool) -> Layout {
    let f = Fields { page, values };
    let rows = Rows::for_values(values);
    Layout {
        sections: layout::sections(&f, &rows, id_input),
        offer_type: offer_layout::type_field(&f),
        offer_groups: offer_layout::groups(&f, &rows, offer_type(values)),
    }
}

/// The form page with `values`, `errors` by input name (the form's own first), and `engine`
/// errors by the promotion's paths (`rows` says which row each list item came from).
#[allow(clippy::too_many_arguments)]
fn render_form(
    page: &Page,
    status: StatusCode,
    context: FormContext,
    values: &FormValues,
    errors: Vec<(String, String)>,
    engine: (Vec<(String, String)>, &form::RowMap),
    general: Vec<String>,
    preview: Option<Preview>,
) -> Response {
    let mut layout = layout_of(page, values, context.promotion_id.is_none());
    let known = layout.names();
    let chosen = offer_type(values);
    let mut all = errors;
    let mut general = general;
    for (path, message) in engine.0 {
        match paths::slot_for(&path, chosen, engine.1, &known) {
            Some(name) => all.push((name, message)),
            None => general.push(page.t2("promotions-problem", "path", path, "message", message)),
        }
    }
    let has_errors = !all.is_empty();
    for (name, message) in layout.attach(all) {
        general.push(page.t2("promotions-problem", "path", name, "message", message));
    }
    let first_error = layout.first_error();
    let preview_url = preview_url(&context);
    render(
        status,
        &FormPage {
            page,
            title: context.title,
            campaign: context.campaign,
            action: context.action,
            promotion_id: context.promotion_id,
            version: context.version,
            readonly: context.readonly,
            notice: context.notice,
            pending: context.pending.map(|(what, request)| {
                let key = match what {
                    load::Pending::Created => "promotions-pending-created",
                    load::Pending::Changed => "promotions-pending-changed",
                    load::Pending::Deleted => "promotions-pending-deleted",
                };
                (page.t(key), request)
            }),
            layout,
            general_errors: general,
            has_errors,
            first_error,
            preview,
            preview_url,
        },
    )
}

/// Where the form asks for its preview: with the form's inputs, or, for roles whose inputs are
/// disabled (and so not sent), the stored promotion's.
fn preview_url(context: &FormContext) -> String {
    let mut query = Vec::new();
    if let Some(id) = &context.promotion_id {
        let name = if context.readonly { "promotion" } else { "id" };
        query.push(format!("{name}={}", super::session::url_encode(id)));
    }
    if let Some(campaign) = &context.campaign {
        query.push(format!(
            "campaign={}",
            super::session::url_encode(&campaign.id)
        ));
    }
    format!("/office/promotion-form/preview?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::form::{OFFER_TYPES, TIER_OFFER_TYPES};
    use super::offer_layout::{hint_key, type_key};
    use crate::office::i18n::{Lang, message};

    /// Keys chosen at run time (not written out in a call, where the i18n tests find them).
    #[test]
    fn keys_chosen_at_run_time_have_messages() {
        let mut keys: Vec<&str> = OFFER_TYPES
            .iter()
            .chain(TIER_OFFER_TYPES.iter())
            .map(|t| type_key(t))
            .collect();
        keys.extend([
            "promotions-state-draft",
            "promotions-state-paused",
            "promotions-state-ended",
            "promotions-state-no-channel",
            "promotions-state-scheduled",
            "promotions-state-running",
            "promotions-state-deleted",
            "promotions-state-unreadable",
            "promotions-pending-created",
            "promotions-pending-changed",
            "promotions-pending-deleted",
            "promotions-pending-what-created",
            "promotions-pending-what-changed",
            "promotions-pending-what-deleted",
        ]);
        keys.extend(OFFER_TYPES.iter().map(|t| hint_key(t)));
        for lang in Lang::ALL {
            for key in &keys {
                assert_ne!(message(lang, key, None), *key, "{key} in {lang:?}");
            }
        }
    }
}
