//! The cart simulator (`/office/simulator`): a cart described in a form — channel, customer or
//! groups, instant, products and quantities, codes, shipping — evaluated exactly as a shop's
//! `POST /v1/carts/evaluate` is (the same checks, the codes and usage the store fills in), and
//! the quote shown with every promotion's status and reason in the page's language. A campaign
//! that is not live can be added for the simulation only.
//!
//! The form is a GET: a simulation is a URL that can be shared, and other screens link to one
//! prefilled ("open in the simulator").

mod draft;
mod input;
pub mod reasons;
mod search;
mod view;

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get as get_handler;
use jiff::Timestamp;
use remise_engine::Snapshot;

use super::form::FormErrors;
use super::guard::Need;
use super::i18n;
use super::page::{Page, render, server_error};
use super::routes::{OfficeRoute, get};
use super::session::OfficeUser;
use crate::AppState;
use crate::documents::CampaignStatus;
use crate::problem::ApiError;
use crate::ratelimit::Subjects;
use draft::Draft;
use input::Input;
use view::QuoteView;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/simulator", Need::Read, get_handler(show)),
        get(
            "/office/simulator/products",
            Need::Read,
            get_handler(search::products),
        ),
        get(
            "/office/simulator/line",
            Need::Read,
            get_handler(search::line),
        ),
    ]
}

/// A line of the form's cart: its sku, its quantity as typed, and the product's name.
pub struct Row {
    pub sku: String,
    pub quantity: String,
    pub name: Option<String>,
    /// Unique in the page, for the quantity's label.
    pub id: String,
}

/// A choice of a select or a set of check boxes.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "office/simulator/page.html")]
struct SimulatorPage<'a> {
    page: &'a Page,
    input: Input,
    at: String,
    zone: String,
    rows: Vec<Row>,
    groups: Vec<Choice>,
    campaigns: Vec<Choice>,
    channels: Vec<String>,
    errors: FormErrors,
    quote: Option<QuoteView>,
    /// The simulated campaign's name and how many promotions it added.
    draft: Option<(String, usize)>,
}

impl SimulatorPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// Every error of `field` (a cart may have several bad lines).
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A malformed query string (bad percent-encoding) reads as an empty form.
    let input = Input::from_pairs(query.map(|Query(q)| q).unwrap_or_default());
    let published = state.publisher.current();
    let model = &published.model;
    let zone = model.time_zone();
    let now = Timestamp::now();
    let mut screen = SimulatorPage {
        page: &page,
        at: input.at_or_now(&zone, now),
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        rows: rows(model, &input),
        groups: model
            .groups
            .values()
            .map(|g| Choice {
                selected: input.groups.contains(&g.id),
                value: g.id.clone(),
                label: g.name.clone(),
            })
            .collect(),
        campaigns: draft::candidates(model)
            .into_iter()
            .map(|c| Choice {
                selected: input.campaign == c.id,
                value: c.id.clone(),
                label: format!(
                    "{} ({})",
                    if c.name.is_empty() { &c.id } else { &c.name },
                    page.t(&format!("simulator-campaign-{}", c.status.as_str()))
                ),
            })
            .collect(),
        channels: channels(model),
        errors: FormErrors::default(),
        quote: None,
        draft: None,
        input,
    };
    if !screen.input.submitted {
        return render(StatusCode::OK, &screen);
    }
    let mut cart = match screen.input.cart(&page, &zone, now) {
        Ok(cart) => cart,
        Err(errors) => {
            screen.errors = errors;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &screen);
        }
    };
    let drafted: Option<Box<Snapshot>> = match screen.input.campaign.trim() {
        "" => None,
        id => match draft::with_campaign(model, &published.snapshot, id) {
            Draft::Applied(snapshot, count) => {
                let name = model.campaigns.get(id).map_or(id, |c| c.name.as_str());
                screen.draft = Some((name.to_owned(), count));
                Some(snapshot)
            }
            Draft::Unavailable => {
                screen
                    .errors
                    .add("campaign", page.t1("simulator-error-campaign", "id", id));
                return render(StatusCode::UNPROCESSABLE_ENTITY, &screen);
            }
            Draft::Invalid(problems) => {
                screen.errors.general.push(page.t("simulator-error-draft"));
                screen.errors.general.extend(problems);
                return render(StatusCode::UNPROCESSABLE_ENTITY, &screen);
            }
        },
    };
    let subjects = Subjects::office_user(&user.user.id);
    if let Err(error) = crate::routes::storefront::prepare_cart(&state, &subjects, &mut cart).await
    {
        return refused(screen, error);
    }
    let snapshot = drafted.as_deref().unwrap_or(&published.snapshot);
    match snapshot.evaluate(&cart) {
        Ok(quote) => {
            let draft_id = screen.draft.as_ref().map(|_| screen.input.campaign.trim());
            screen.quote = Some(view::quote_view(&page, model, &quote, draft_id));
            state.metrics.evaluations.inc();
            render(StatusCode::OK, &screen)
        }
        Err(error) => {
            for problem in error.errors() {
                add_problem(&mut screen.errors, &page, &problem.path, &problem.message);
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &screen)
        }
    }
}

/// The page again with what the store's checks refused.
fn refused(mut screen: SimulatorPage<'_>, error: ApiError) -> Response {
    let page = screen.page;
    let status = match &error {
        ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        ApiError::Internal(_) | ApiError::Unavailable(_) => return server_error(&error),
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    match error {
        ApiError::Validation(problems) => {
            for problem in problems {
                add_problem(&mut screen.errors, page, &problem.field, &problem.message);
            }
        }
        ApiError::PayloadTooLarge(detail) => {
            screen
                .errors
                .add("lines", i18n::problem(page.lang, &detail));
        }
        ApiError::TooManyRequests { .. } => {
            screen
                .errors
                .add("codes", page.t("simulator-error-too-many-codes"));
        }
        other => screen.errors.general.push(other.to_string()),
    }
    render(status, &screen)
}

/// A check's problem next to the input it is about (`lines[2].quantity` is the third line's).
fn add_problem(errors: &mut FormErrors, page: &Page, path: &str, message: &str) {
    let message = i18n::problem(page.lang, message);
    let head = path.split(['.', '[']).next().unwrap_or_default();
    let field = match head {
        "lines" => {
            let line = path
                .strip_prefix("lines[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|n| n.parse::<usize>().ok());
            let message = match line {
                Some(n) => format!(
                    "{} : {message}",
                    page.t1("simulator-line-number", "line", n + 1)
                ),
                None => message,
            };
            errors.add("lines", message);
            return;
        }
        "at" | "channel" | "codes" | "display" => head,
        "customer" => "customer",
        "shipping_options" => "shipping",
        "shipping_method" => "method",
        _ => {
            errors.general.push(format!("{path}: {message}"));
            return;
        }
    };
    errors.add(field, message);
}

/// The form's rows: every line it holds, with its product's name when the catalog has it.
fn rows(model: &crate::model::Model, input: &Input) -> Vec<Row> {
    input
        .all_lines()
        .into_iter()
        .enumerate()
        .map(|(i, (sku, quantity))| Row {
            name: model.products.get(&sku).map(|p| p.name.clone()),
            id: format!("line-{i}"),
            sku,
            quantity,
        })
        .collect()
}

/// The channels the store's campaigns and promotions name, for the channel input's suggestions.
fn channels(model: &crate::model::Model) -> Vec<String> {
    let mut channels: Vec<String> = model
        .campaigns
        .values()
        .filter(|c| c.status != CampaignStatus::Archived)
        .flat_map(|c| c.channels.iter().cloned())
        .chain(
            model
                .promotions
                .values()
                .flat_map(|p| p.audience.channels.iter().cloned()),
        )
        .collect();
    channels.sort();
    channels.dedup();
    channels
}
