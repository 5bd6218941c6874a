//! Approval: seed 001's validation process, on the store's change requests (`Approvals`).
//!
//! When the settings say `approval_required`, a back-office change to a campaign or to one of
//! its promotions is not written: [`save`] checks it as a write would be checked (against the
//! served documents with the campaign's other proposed changes), and puts it into the campaign's
//! open change request. Nothing of it is served until an approver approves the request; then
//! the store writes every proposed document in one transaction, and every instance serves them.
//!
//! Written at once, even then: changes of a draft campaign never approved (it is not served)
//! that keep it a draft, and changes of promotions without a campaign. A campaign whose request
//! waits for a decision (`pending`) cannot be changed until the request is decided or withdrawn.
//!
//! The screens: the list of requests (`list`), a request with the difference of each document,
//! field by field, and the approver's decision (`detail`, `decide`), and on the campaign's page,
//! "submit for approval" and "withdraw" (`actions`).

mod actions;
mod decide;
mod detail;
mod diff;
mod list;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use remise_store::{
    Act, ChangeRequest, ChangeRequestQuery, Kind, ProposedDocument, Record, RequestState,
    now_millis,
};

use super::guard::Need;
use super::page::{Page, server_error};
use super::routes::{OfficeRoute, get, post};
use super::session::OfficeUser;
use super::writes::{self, Change};
use crate::AppState;
use crate::checks::changed_problems;
use crate::documents::{Campaign, CampaignStatus, Document};
use crate::model::{ChangeProblems, Model, broken_documents};
use crate::problem::{ApiError, ApiResult};
use crate::published::Published;
use crate::routes::{refresh, status_change};

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/approvals", Need::Read, get_handler(list::show)),
        get(
            "/office/approvals/{id}",
            Need::Read,
            get_handler(detail::show),
        ),
        post(
            "/office/approvals/{id}/approve",
            Need::Approve,
            post_handler(decide::approve),
        ),
        post(
            "/office/approvals/{id}/reject",
            Need::Approve,
            post_handler(decide::reject),
        ),
        post(
            "/office/campaigns/{id}/submit",
            Need::Edit,
            post_handler(actions::submit),
        ),
        post(
            "/office/campaigns/{id}/withdraw",
            Need::Edit,
            post_handler(actions::withdraw),
        ),
    ]
}

/// What [`save`] did with a change.
#[derive(Debug)]
pub enum Saved {
    /// Written and served, as `writes::save` does.
    Written(Record),
    /// Kept in the campaign's open change request (as it is now), until approved.
    Proposed(ChangeRequest),
}

/// Whether the store's settings require approval.
pub fn required(model: &Model) -> bool {
    model.settings.approval_required
}

/// Saves a change of the back office: written at once (`writes::save`) when the store does
/// not require approval, or when it concerns no campaign waiting to be approved; otherwise put
/// into the campaign's change request, checked as a write would be. Errors are those of a
/// write (422 with each field's problem, 409, 412 for a stale version), plus a conflict when
/// the campaign's request waits for a decision.
///
/// The version a change carries is the one the user saw: the stored document's, or for a
/// document the request already proposes, the version that proposal was made from (`0` for a
/// document the request creates).
pub async fn save(state: &AppState, user: &OfficeUser, change: Change) -> Result<Saved, ApiError> {
    if !required(&state.publisher.current().model) {
        return writes::save(state, user, change).await.map(Saved::Written);
    }
    let (kind, id) = target(&change);
    if !matches!(kind, Kind::Campaign | Kind::Promotion) {
        return writes::save(state, user, change).await.map(Saved::Written);
    }
    // A new campaign that is to go live at once: created as a draft (not served), and its
    // going live proposed.
    if let Change::Create(Document::Campaign(campaign)) = &change
        && campaign.status != CampaignStatus::Draft
    {
        let mut draft = campaign.clone();
        draft.status = CampaignStatus::Draft;
        let record = writes::save(state, user, Change::Create(Document::Campaign(draft))).await?;
        let going_live = Change::Update(Document::Campaign(campaign.clone()), record.version);
        return propose(state, user, &campaign.id, going_live)
            .await
            .map(Saved::Proposed);
    }
    for campaign_id in concerned_campaigns(state, &change, kind, &id).await? {
        if needs_approval(state, &campaign_id, &change).await? {
            return propose(state, user, &campaign_id, change)
                .await
                .map(Saved::Proposed);
        }
    }
    writes::save(state, user, change).await.map(Saved::Written)
}

/// The document a change is about.
fn target(change: &Change) -> (Kind, String) {
    match change {
        Change::Create(document) | Change::Update(document, _) => {
            (document.kind(), document.id().to_owned())
        }
        Change::Delete(kind, id, _) | Change::Restore(kind, id) => (*kind, id.clone()),
    }
}

/// The campaigns a change touches: the campaign itself, or a promotion's campaign before and
/// after the change.
async fn concerned_campaigns(
    state: &AppState,
    change: &Change,
    kind: Kind,
    id: &str,
) -> ApiResult<Vec<String>> {
    if kind == Kind::Campaign {
        return Ok(vec![id.to_owned()]);
    }
    let mut campaigns = Vec::new();
    if let Change::Create(Document::Promotion(p)) | Change::Update(Document::Promotion(p), _) =
        change
        && let Some(campaign) = &p.campaign
    {
        campaigns.push(campaign.clone());
    }
    match state.store.get(Kind::Promotion, id).await? {
        Some(stored) => {
            if let Some(campaign) = stored.parent
                && !campaigns.contains(&campaign)
            {
                campaigns.push(campaign);
            }
        }
        // Not stored: perhaps a promotion only a request creates (deleting it, say).
        None if campaigns.is_empty() => {
            let query = ChangeRequestQuery {
                state: Some(RequestState::Open),
                limit: 1000,
                ..ChangeRequestQuery::default()
            };
            let requests = state.store.list_change_requests(&query).await?;
            campaigns.extend(
                requests
                    .into_iter()
                    .filter(|r| r.documents.iter().any(|d| d.kind == kind && d.id == id))
                    .map(|r| r.campaign_id),
            );
        }
        None => {}
    }
    Ok(campaigns)
}

/// Whether a change of `campaign_id` (or of one of its promotions) waits for approval: when
/// the campaign has a request under way, or it is not a draft never approved, or the change
/// takes it out of draft.
async fn needs_approval(state: &AppState, campaign_id: &str, change: &Change) -> ApiResult<bool> {
    let store = state.store.as_ref();
    if store.current_change_request(campaign_id).await?.is_some() {
        return Ok(true);
    }
    let Some(stored) = store.get(Kind::Campaign, campaign_id).await? else {
        // No such campaign: the write's checks say so.
        return Ok(false);
    };
    let draft = stored.status.as_deref() == Some(CampaignStatus::Draft.as_str());
    if !draft || was_approved(state, campaign_id).await? {
        return Ok(true);
    }
    let leaves_draft = matches!(
        change,
        Change::Update(Document::Campaign(c), _) if c.status != CampaignStatus::Draft
    );
    Ok(leaves_draft)
}

async fn was_approved(state: &AppState, campaign_id: &str) -> ApiResult<bool> {
    let query = ChangeRequestQuery {
        state: Some(RequestState::Approved),
        campaign_id: Some(campaign_id.to_owned()),
        limit: 1,
        ..ChangeRequestQuery::default()
    };
    Ok(!state.store.list_change_requests(&query).await?.is_empty())
}

/// The message of a change refused because the campaign's request waits for a decision.
pub const PENDING: &str = "the campaign's changes are waiting for approval: they must be approved, rejected or withdrawn before it changes again";

/// Checks `change` with the campaign's other proposals and puts it into the campaign's open
/// request (opened if it has none).
async fn propose(
    state: &AppState,
    user: &OfficeUser,
    campaign_id: &str,
    change: Change,
) -> ApiResult<ChangeRequest> {
    // One at a time with this instance's writes, so that the check sees what the request and
    // the store hold.
    let _one_at_a_time = state.writes.lock().await;
    refresh(state).await?;
    let store = state.store.as_ref();
    let current = store.current_change_request(campaign_id).await?;
    if current
        .as_ref()
        .is_some_and(|r| r.state == RequestState::Pending)
    {
        return Err(ApiError::Conflict(PENDING.to_owned()));
    }
    let proposals = current
        .as_ref()
        .map(|r| r.documents.clone())
        .unwrap_or_default();
    let proposal = check_proposal(state, &proposals, change).await?;
    let at = now_millis();
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at,
    };
    let request = match current {
        Some(request) => request,
        None => open(state, act, campaign_id).await?,
    };
    match proposal {
        Proposal::Put(document) => Ok(store
            .put_proposed_document(act, &request.id, &document)
            .await?),
        Proposal::Drop(kind, id) => {
            if request
                .documents
                .iter()
                .any(|d| d.kind == kind && d.id == id)
            {
                Ok(store
                    .remove_proposed_document(act, &request.id, kind, &id)
                    .await?)
            } else {
                Ok(request)
            }
        }
    }
}

/// Opens a request for the campaign (another instance may have opened one meanwhile: then
/// that one).
async fn open(state: &AppState, act: Act<'_>, campaign_id: &str) -> ApiResult<ChangeRequest> {
    let store = state.store.as_ref();
    let id = super::session::random_token()
        .map(|token| format!("cr-{}", &token[..16]))
        .map_err(|e| ApiError::Internal(format!("no randomness for a request id: {e}")))?;
    match store.open_change_request(act, &id, campaign_id).await {
        Ok(request) => Ok(request),
        Err(remise_store::Error::AlreadyExists { .. }) => store
            .current_change_request(campaign_id)
            .await?
            .ok_or_else(|| ApiError::Conflict("the change request was decided meanwhile".into())),
        Err(error) => Err(error.into()),
    }
}

/// What a change does to a request.
enum Proposal {
    Put(ProposedDocument),
    /// The change brings the document back to what is stored (or cancels its creation): the
    /// request no longer proposes anything for it.
    Drop(Kind, String),
}

/// The model as the request would make it: the served documents with `proposals` applied.
pub fn with_proposals(model: &Model, proposals: &[ProposedDocument]) -> ApiResult<Model> {
    let mut model = model.clone();
    for proposal in proposals {
        match &proposal.body {
            Some(body) => model.put(Document::read(proposal.kind, body.clone(), "")?),
            None => model.remove(proposal.kind, &proposal.id),
        }
    }
    Ok(model)
}

/// Checks one change as `routes::write` does, but against the model with the request's other
/// proposals, and says what it does to the request.
async fn check_proposal(
    state: &AppState,
    proposals: &[ProposedDocument],
    change: Change,
) -> ApiResult<Proposal> {
    let (kind, id) = target(&change);
    let proposed = proposals.iter().find(|p| p.kind == kind && p.id == id);
    let stored = state.store.get(kind, &id).await?;
    let live = stored.as_ref().filter(|r| r.deleted_at.is_none());
    // The version the user saw: the proposal's base, else the stored one (0: none).
    let seen = match proposed {
        Some(p) => p.base_version,
        None => live.map(|r| r.version),
    };
    let version_is = |version: i64| -> ApiResult<()> {
        if seen.unwrap_or(0) == version {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed {
                detail: format!(
                    "{} `{id}` is at version {}, not {version}",
                    kind.as_str(),
                    seen.unwrap_or(0)
                ),
                current: seen.unwrap_or(0),
            })
        }
    };
    let published = state.publisher.current();
    let mut model = with_proposals(&published.model, proposals)?;
    let (document, base) = match change {
        Change::Create(document) => {
            if stored.is_some() || proposed.is_some() {
                return Err(ApiError::Conflict(format!(
                    "a {} `{id}` already exists",
                    kind.as_str().replace('_', " ")
                )));
            }
            (Some(document), None)
        }
        Change::Update(document, version) => {
            if live.is_none() && proposed.is_none_or(|p| p.body.is_none()) {
                return Err(remise_store::Error::not_found(kind, &id).into());
            }
            version_is(version)?;
            let mut problems = Vec::new();
            if let (Document::Campaign(campaign), Some(record)) = (&document, live) {
                problems.extend(status_change(record, campaign.status));
            }
            if !problems.is_empty() {
                return Err(ApiError::Validation(problems));
            }
            (Some(document), seen)
        }
        Change::Delete(_, _, version) => {
            if live.is_none() && proposed.is_none_or(|p| p.body.is_none()) {
                return Err(remise_store::Error::not_found(kind, &id).into());
            }
            version_is(version)?;
            if live.is_none() {
                // Deleting what only the request creates: it no longer creates it.
                return Ok(Proposal::Drop(kind, id));
            }
            (None, seen)
        }
        Change::Restore(_, _) => {
            let deleted = stored
                .as_ref()
                .filter(|r| r.deleted_at.is_some())
                .ok_or_else(|| {
                    ApiError::NotFound(format!("no deleted {} `{id}`", kind.as_str()))
                })?;
            let document = Document::read(kind, deleted.body.clone(), "")?;
            (Some(document), Some(deleted.version))
        }
    };
    let (body, parent, status) = match &document {
        Some(document) => {
            let problems = document.check();
            if !problems.is_empty() {
                return Err(ApiError::Validation(problems));
            }
            let draft = document.draft()?;
            (Some(draft.body), draft.parent, draft.status)
        }
        None => (None, None, None),
    };
    match document {
        Some(document) => model.put(document),
        None => model.remove(kind, &id),
    }
    let changed = HashSet::from([(kind, id.clone())]);
    let checked = check_model(published, model, changed).await?;
    if !checked.changed.is_empty() {
        return Err(ApiError::Validation(
            checked.changed.into_iter().map(|(_, p)| p).collect(),
        ));
    }
    if !checked.broken.is_empty() {
        return Err(broken_documents(&checked.broken));
    }
    // Back to what is stored: nothing to propose.
    if let (Some(body), Some(record)) = (&body, live)
        && *body == record.body
        && base == Some(record.version)
    {
        return Ok(Proposal::Drop(kind, id));
    }
    Ok(Proposal::Put(ProposedDocument {
        kind,
        id,
        body,
        parent,
        status,
        base_version: base,
    }))
}

/// The problems of `model` (the served one with some documents changed) for the `changed`
/// documents, each compiled alone against the served snapshot when it can be (as a write is
/// checked), else the whole model compiled, off the async workers.
pub async fn check_model(
    published: std::sync::Arc<Published>,
    model: Model,
    changed: HashSet<(Kind, String)>,
) -> ApiResult<ChangeProblems> {
    tokio::task::spawn_blocking(move || {
        let mut compiled = Vec::new();
        for (kind, id) in &changed {
            match changed_problems(&published.snapshot, &model, (*kind, id)) {
                Some(found) => compiled.extend(found),
                None => return model.check_changes(&changed, model.compile_problems()),
            }
        }
        model.check_changes(&changed, compiled)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))
}

/// The campaigns with an open or pending change request, and that request's state.
pub async fn campaign_states(state: &AppState) -> Result<HashMap<String, String>, Response> {
    let mut states = HashMap::new();
    for request_state in [RequestState::Open, RequestState::Pending] {
        let query = ChangeRequestQuery {
            state: Some(request_state),
            limit: 1000,
            ..ChangeRequestQuery::default()
        };
        let requests = state
            .store
            .list_change_requests(&query)
            .await
            .map_err(|e| server_error(&e))?;
        for request in requests {
            states.insert(request.campaign_id, request_state.as_str().to_owned());
        }
    }
    Ok(states)
}

/// A campaign as its form edits it: the version its open request proposes (with the version
/// that proposal was made from), else the stored one; and its stored status (the statuses it
/// may move to follow from it). `None` for a campaign that is not there or deleted.
pub async fn editable_campaign(
    state: &AppState,
    id: &str,
) -> Result<Option<(Campaign, i64, CampaignStatus)>, Response> {
    let Some((record, campaign)) = super::campaigns::stored(state, id)
        .await?
        .filter(|(r, _)| r.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let status = campaign.status;
    let proposed = proposed(state, id, Kind::Campaign, id)
        .await
        .map_err(|e| server_error(&e))?;
    if let Some(ProposedDocument {
        body: Some(body),
        base_version,
        ..
    }) = proposed
        && let Ok(Document::Campaign(campaign)) = Document::read(Kind::Campaign, body, "")
    {
        return Ok(Some((
            campaign,
            base_version.unwrap_or(record.version),
            status,
        )));
    }
    Ok(Some((campaign, record.version, status)))
}

/// The document `(kind, id)` as the open or pending request of `campaign_id` proposes it,
/// if it does: what the promotions' forms show and edit instead of the stored one (its
/// `base_version` is the version to send back with the change, `0` when `None`).
pub async fn proposed(
    state: &AppState,
    campaign_id: &str,
    kind: Kind,
    id: &str,
) -> ApiResult<Option<ProposedDocument>> {
    let request = state.store.current_change_request(campaign_id).await?;
    Ok(request.and_then(|r| {
        r.documents
            .into_iter()
            .find(|d| d.kind == kind && d.id == id)
    }))
}

/// A request as the campaign's page shows it.
#[derive(Debug, Default)]
pub struct RequestView {
    pub id: String,
    /// Its state in words.
    pub state: String,
    pub state_code: &'static str,
    /// Who did what when, and how many documents.
    pub summary: String,
    pub comment: Option<String>,
}

/// The approval box of a campaign's page.
#[derive(Debug, Default)]
pub struct CampaignApproval {
    pub required: bool,
    /// The open or pending request.
    pub current: Option<RequestView>,
    /// The last decided one (approved or rejected), with its comment.
    pub last: Option<RequestView>,
    pub can_submit: bool,
    pub can_withdraw: bool,
}

pub async fn campaign_approval(
    state: &AppState,
    page: &Page,
    campaign: &Campaign,
    deleted: bool,
) -> Result<CampaignApproval, Response> {
    let required = required(&state.publisher.current().model);
    let query = ChangeRequestQuery {
        campaign_id: Some(campaign.id.clone()),
        limit: 10,
        ..ChangeRequestQuery::default()
    };
    let requests = state
        .store
        .list_change_requests(&query)
        .await
        .map_err(|e| server_error(&e))?;
    let names = list::user_names(state).await?;
    let current = requests.iter().find(|r| r.state.is_active());
    let last = requests
        .iter()
        .find(|r| matches!(r.state, RequestState::Approved | RequestState::Rejected));
    let view = |request: &ChangeRequest| RequestView {
        id: request.id.clone(),
        state: page.t(&format!("approval-state-{}", request.state.as_str())),
        state_code: request.state.as_str(),
        summary: list::summary(state, page, &names, request),
        comment: request.comment.clone(),
    };
    let open_with_changes =
        current.is_some_and(|r| r.state == RequestState::Open && !r.documents.is_empty());
    let draft_to_submit = campaign.status == CampaignStatus::Draft
        && !deleted
        && current.is_none_or(|r| r.state == RequestState::Open);
    Ok(CampaignApproval {
        required,
        current: current.map(view),
        last: last.map(view),
        can_submit: required && (open_with_changes || draft_to_submit),
        can_withdraw: current.is_some(),
    })
}
