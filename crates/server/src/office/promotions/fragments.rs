//! Parts of the promotion form answered alone, for htmx: the inputs of the offer type just
//! chosen, and the preview of the targeted products as the form stands. Neither changes
//! anything.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::form::{Rows, offer_type};
use super::layout::{Fields, Group};
use super::load::editable;
use super::preview::{Preview, preview as compute};
use super::read::read;
use super::values::FormValues;
use super::{not_found, offer_layout};
use crate::AppState;
use crate::office::page::{Page, render};

#[derive(Template)]
#[template(path = "office/promotions/offer.html")]
struct OfferPart {
    groups: Vec<Group>,
    readonly: bool,
}

/// The chosen offer type's inputs, with the values the form holds.
pub async fn offer(page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let values = FormValues::from_pairs(pairs);
    let f = Fields {
        page: &page,
        values: &values,
    };
    let rows = Rows::for_values(&values);
    let group = offer_layout::group(&f, &rows, offer_type(&values));
    render(
        StatusCode::OK,
        &OfferPart {
            groups: vec![group],
            readonly: false,
        },
    )
}

#[derive(Template)]
#[template(path = "office/promotions/preview.html")]
struct PreviewPart<'a> {
    page: &'a Page,
    preview: Option<Preview>,
}

#[derive(Deserialize)]
pub struct Subject {
    /// The form is for this campaign (a new promotion).
    campaign: Option<String>,
    /// The form is this promotion's.
    id: Option<String>,
    /// The preview of this stored promotion (for roles whose form sends no inputs).
    promotion: Option<String>,
}

/// The preview of the promotion the form describes, or of a stored one.
pub async fn preview(
    State(state): State<Arc<AppState>>,
    page: Page,
    Query(subject): Query<Subject>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let promotion = match &subject.promotion {
        Some(id) => match editable(&state, id, subject.campaign.as_deref()).await {
            Ok(Some(found)) => found.promotion,
            Ok(None) => return not_found(&page),
            Err(response) => return response,
        },
        None => {
            let values = FormValues::from_pairs(pairs);
            // The id matters only for a promotion already served (taken out for "before").
            // A new promotion has none yet: any will do to see its products.
            let id = subject
                .id
                .or_else(|| Some(values.get("id").to_owned()))
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| "new-promotion".to_owned());
            read(
                &page,
                &values,
                id,
                subject.campaign.filter(|c| !c.is_empty()),
            )
            .promotion
        }
    };
    let published = state.publisher.current();
    let preview = compute(&published, &page, &promotion);
    render(
        StatusCode::OK,
        &PreviewPart {
            page: &page,
            preview: Some(preview),
        },
    )
}
