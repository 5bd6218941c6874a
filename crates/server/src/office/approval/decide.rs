//! An approver's decision on a pending request: approve (its documents are checked together
//! against what is served, then written in one transaction and served) or reject with a
//! comment. Whoever started or submitted a request may not decide it.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{Act, ChangeRequest, RequestState, now_millis};

use super::detail::{Outcome, detail, not_found, took_part};
use super::{check_model, with_proposals};
use crate::AppState;
use crate::office::i18n;
use crate::office::page::{Page, forbidden, server_error};
use crate::office::session::{OfficeUser, see_other, url_encode};
use crate::problem::ApiError;
use crate::routes::refresh;

/// Attempts at an approval while other instances keep writing.
const ATTEMPTS: usize = 3;

fn comment(fields: &[(String, String)]) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// The request, when the user may decide it: else its 404 or 403.
async fn decidable(
    state: &AppState,
    page: &Page,
    user: &OfficeUser,
    id: &str,
) -> Result<ChangeRequest, Response> {
    let request = match state.store.get_change_request(id).await {
        Ok(Some(request)) => request,
        Ok(None) => return Err(not_found(page)),
        Err(error) => return Err(server_error(&error)),
    };
    if took_part(&request, &user.user.id) {
        return Err(forbidden(page, "approval-own"));
    }
    Ok(request)
}

pub async fn approve(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(response) = decidable(&state, &page, &user, &id).await {
        return response;
    }
    let comment = comment(&fields);
    match approve_checked(&state, &page, &user, &id, comment.as_deref()).await {
        Ok(()) => see_other(&format!(
            "/office/approvals/{}?done=approved",
            url_encode(&id)
        )),
        Err(Refused::Because(refusals)) => {
            let outcome = Outcome {
                status: Some(StatusCode::CONFLICT),
                refusals,
                ..Outcome::default()
            };
            detail(&state, &page, &user, &id, outcome).await
        }
        Err(Refused::Failed(response)) => response,
    }
}

/// Why an approval did not go through.
enum Refused {
    /// The request's documents, or its state, do not allow it: said on the request's page.
    Because(Vec<String>),
    /// The store failed.
    Failed(Response),
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Refused {
        Refused::Failed(server_error(&error))
    }
}

/// Checks the request's documents together against what is served, and approves it at the
/// revision they were checked against (again, when another instance wrote meanwhile).
async fn approve_checked(
    state: &AppState,
    page: &Page,
    user: &OfficeUser,
    id: &str,
    comment: Option<&str>,
) -> Result<(), Refused> {
    let actor = user.actor();
    for _ in 0..ATTEMPTS {
        let _one_at_a_time = state.writes.lock().await;
        refresh(state).await?;
        let published = state.publisher.current();
        let request = match state.store.get_change_request(id).await {
            Ok(Some(request)) => request,
            Ok(None) => return Err(Refused::Failed(not_found(page))),
            Err(error) => return Err(Refused::Failed(server_error(&error))),
        };
        if request.state != RequestState::Pending {
            return Err(Refused::Because(vec![page.t1(
                "approval-error-state",
                "state",
                page.t(&format!("approval-state-{}", request.state.as_str())),
            )]));
        }
        let model = with_proposals(&published.model, &request.documents)?;
        let changed: HashSet<_> = request
            .documents
            .iter()
            .map(|d| (d.kind, d.id.clone()))
            .collect();
        let checked = check_model(published.clone(), model, changed).await?;
        if !checked.changed.is_empty() || !checked.broken.is_empty() {
            let mut refusals: Vec<String> = checked
                .changed
                .into_iter()
                .map(|((kind, id), p)| {
                    format!(
                        "{} {id}, {} : {}",
                        kind.as_str(),
                        p.field,
                        i18n::problem(page.lang, &p.message)
                    )
                })
                .collect();
            refusals.extend(checked.broken);
            return Err(Refused::Because(refusals));
        }
        let act = Act {
            actor: &actor,
            user: &user.user.id,
            at: now_millis(),
        };
        match state
            .store
            .approve_change_request(act, id, comment, Some(published.revision))
            .await
        {
            Ok(_) => {
                refresh(state).await?;
                return Ok(());
            }
            Err(remise_store::Error::RevisionMoved { .. }) => continue,
            Err(remise_store::Error::Stale { kind, id, .. }) => {
                return Err(Refused::Because(vec![page.t2(
                    "approval-error-stale",
                    "kind",
                    kind,
                    "id",
                    id,
                )]));
            }
            Err(remise_store::Error::WrongState { state: now, .. }) => {
                return Err(Refused::Because(vec![page.t1(
                    "approval-error-state",
                    "state",
                    page.t(&format!("approval-state-{now}")),
                )]));
            }
            Err(error) => return Err(Refused::Failed(server_error(&error))),
        }
    }
    Err(Refused::Because(vec![page.t("approval-error-busy")]))
}

pub async fn reject(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(response) = decidable(&state, &page, &user, &id).await {
        return response;
    }
    let Some(comment) = comment(&fields) else {
        let outcome = Outcome {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            comment_error: Some(page.t("approval-error-comment")),
            ..Outcome::default()
        };
        return detail(&state, &page, &user, &id, outcome).await;
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: now_millis(),
    };
    match state.store.reject_change_request(act, &id, &comment).await {
        Ok(_) => see_other(&format!(
            "/office/approvals/{}?done=rejected",
            url_encode(&id)
        )),
        Err(remise_store::Error::WrongState { state: now, .. }) => {
            let outcome = Outcome {
                status: Some(StatusCode::CONFLICT),
                refusals: vec![page.t1(
                    "approval-error-state",
                    "state",
                    page.t(&format!("approval-state-{now}")),
                )],
                comment,
                ..Outcome::default()
            };
            detail(&state, &page, &user, &id, outcome).await
        }
        Err(error) => server_error(&error),
    }
}
