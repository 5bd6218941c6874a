//! What a task may be attached to: a campaign or a promotion of the served model, found by words
//! of its name or id. The search walks the model and stops at [`MATCHES`] matches, so it costs at
//! most one pass over the campaigns and promotions (10,000 promotions: well under the page's
//! budget), never a whole table rendered.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remise_store::Attachment;
use serde::Deserialize;

use super::attachment_view;
use crate::AppState;
use crate::model::Model;
use crate::offer_filter::fold;
use crate::office::page::{Page, render};
use crate::office::session::see_other;

/// The most matches a search shows.
pub const MATCHES: usize = 20;

/// A campaign or promotion offered as the task's attachment.
pub struct Match {
    pub attachment: Attachment,
    /// The radio button's value: `campaign:<id>`, `promotion:<id>`.
    pub value: String,
    pub label: String,
}

/// The attachment's radio buttons: "none", the one chosen, the search's matches.
pub struct Choices {
    pub matches: Vec<Match>,
    /// The value chosen (empty: none).
    pub chosen: String,
    /// Words were searched and nothing matched them.
    pub nothing_found: bool,
    pub error: Option<String>,
}

/// `campaign:<id>` or `promotion:<id>`.
pub fn parse(text: &str) -> Option<Attachment> {
    let (kind, id) = text.split_once(':')?;
    if id.is_empty() {
        return None;
    }
    Attachment::from_parts(kind, id.to_owned())
}

fn value(attachment: &Attachment) -> String {
    let (kind, id) = attachment.parts();
    format!("{kind}:{id}")
}

/// Whether the attached document is served now.
pub fn exists(model: &Model, attachment: &Attachment) -> bool {
    match attachment {
        Attachment::Campaign(id) => model.campaigns.contains_key(id),
        Attachment::Promotion(id) => model.promotions.contains_key(id),
    }
}

/// The choice for an existing attachment.
pub fn describe(page: &Page, model: &Model, attachment: &Attachment) -> Option<Match> {
    exists(model, attachment).then(|| Match {
        value: value(attachment),
        label: format!(
            "{} ({})",
            attachment_view(page, model, attachment).label,
            attachment.parts().1
        ),
        attachment: attachment.clone(),
    })
}

/// The first campaigns, then promotions, whose name or id holds every word of `q` (accents and
/// case aside).
pub fn find(page: &Page, model: &Model, q: &str) -> Vec<Match> {
    let terms: Vec<String> = fold(q).split_whitespace().map(str::to_owned).collect();
    if terms.is_empty() {
        return Vec::new();
    }
    let matches = |name: &str, id: &str| {
        let (name, id) = (fold(name), fold(id));
        terms.iter().all(|t| name.contains(t) || id.contains(t))
    };
    let campaigns = model
        .campaigns
        .values()
        .filter(|c| matches(&c.name, &c.id))
        .map(|c| Attachment::Campaign(c.id.clone()));
    let promotions = model
        .promotions
        .values()
        .filter(|p| matches(&p.name, &p.id))
        .map(|p| Attachment::Promotion(p.id.clone()));
    campaigns
        .chain(promotions)
        .take(MATCHES)
        .filter_map(|a| describe(page, model, &a))
        .collect()
}

/// The choices for the form: the chosen attachment (when it exists), then the matches of `q`.
pub fn choices(
    page: &Page,
    model: &Model,
    chosen: &str,
    q: &str,
    error: Option<String>,
) -> Choices {
    let chosen_attachment = parse(chosen);
    let mut matches: Vec<Match> = chosen_attachment
        .iter()
        .filter_map(|a| describe(page, model, a))
        .collect();
    let found = find(page, model, q);
    let nothing_found = !q.trim().is_empty() && found.is_empty();
    matches.extend(
        found
            .into_iter()
            .filter(|m| Some(&m.attachment) != chosen_attachment.as_ref()),
    );
    Choices {
        matches,
        chosen: chosen.to_owned(),
        nothing_found,
        error,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    attachment: String,
}

#[derive(Template)]
#[template(path = "office/tasks/choices.html")]
struct ChoicesFragment<'a> {
    page: &'a Page,
    choices: Choices,
}

/// The attachment's choices for the words typed (htmx swaps them into the form). A browser
/// without htmx that lands here gets the form with the search done.
pub async fn search(
    State(state): State<Arc<AppState>>,
    page: Page,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Response {
    if !headers.contains_key("hx-request") {
        let query = serde_urlencoded::to_string([
            ("q", search.q.as_str()),
            ("attachment", search.attachment.as_str()),
        ])
        .unwrap_or_default();
        return see_other(&format!("/office/tasks/new?{query}"));
    }
    let published = state.publisher.current();
    let choices = choices(&page, &published.model, &search.attachment, &search.q, None);
    render(
        StatusCode::OK,
        &ChoicesFragment {
            page: &page,
            choices,
        },
    )
}
