//! Change requests: the approval of seed 001's validation process.
//!
//! When the store requires approval, a marketer's edits to a campaign and its promotions are not
//! written to the documents: they are kept in the campaign's change request, which holds each
//! proposed document (a body, or a deletion) with the version it was made from. The documents
//! keep being served as they are until an approver approves the request; the approval writes the
//! proposed documents and the request's new state in one transaction, through the same code as
//! every other document write (versions, audit lines with the approver as actor, the revision
//! and its change log, so that every instance serves the approved documents).
//!
//! Life cycle: `open` (being edited) → `pending` (submitted) → `approved` or `rejected`; an open
//! or pending request can be `withdrawn`. The last three are final. A campaign has at most one
//! request that is open or pending. Who may do what (a submitter does not decide their own
//! request) is the server's business: the store records the users' ids.
//!
//! Errors name their entity as `kind`: `change_request`. Every change of a request (its opening,
//! each proposed document put or removed, each change of state) has one audit line (entity
//! `change_request`, without a revision: the request is not a document). Only an approval moves
//! the documents' revision ([`crate::Store::revision`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Actor, Kind, Millis, Result};

/// Who does something, and when: `user` is the back-office user's id that the request (or task)
/// records, `actor` the name its audit lines give.
#[derive(Debug, Clone, Copy)]
pub struct Act<'a> {
    pub actor: &'a Actor,
    pub user: &'a str,
    pub at: Millis,
}

/// Where a change request is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Being edited: documents can be put into it and removed.
    Open,
    /// Submitted, waiting for a decision.
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

impl RequestState {
    pub const ALL: [RequestState; 5] = [
        RequestState::Open,
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Open or pending: the campaign's current request.
    pub fn is_active(self) -> bool {
        matches!(self, RequestState::Open | RequestState::Pending)
    }
}

/// One document as a change request proposes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedDocument {
    pub kind: Kind,
    pub id: String,
    /// The proposed body; `None` proposes deleting the document (soft for the kinds that are).
    pub body: Option<Value>,
    /// The indexed copies of fields the caller extracted from the body, as in [`crate::Draft`].
    pub parent: Option<String>,
    pub status: Option<String>,
    /// The version of the document the proposal was made from; `None` for a new document. The
    /// approval fails ([`crate::Error::Stale`]) unless the document is still at that version.
    pub base_version: Option<i64>,
}

/// A campaign's change request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub id: String,
    /// The campaign it changes (which may not exist yet: a new campaign is proposed too).
    pub campaign_id: String,
    pub state: RequestState,
    /// The proposed documents, by kind and id (at most one per kind and id).
    pub documents: Vec<ProposedDocument>,
    pub created_by: String,
    pub created_at: Millis,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<Millis>,
    /// Who approved, rejected or withdrew it, and when.
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
    /// The decider's comment.
    pub comment: Option<String>,
    pub updated_at: Millis,
}

/// Which change requests a list returns, newest (by creation) first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeRequestQuery {
    /// Only requests in this state.
    pub state: Option<RequestState>,
    /// Only requests of this campaign.
    pub campaign_id: Option<String>,
    /// Only requests older than this one, given by its `(created_at, id)` (the previous page's
    /// last).
    pub before: Option<(Millis, String)>,
    /// At most this many (the caller bounds it).
    pub limit: u32,
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    /// The request, approved.
    pub request: ChangeRequest,
    /// The store's revision once the documents were written (as before when every proposed
    /// body was the stored one): what the caller publishes.
    pub revision: i64,
}

/// Change requests. Both backends pass `tests/approvals.rs`.
///
/// A change of state on a request that is not in a state it may leave that way is
/// [`crate::Error::WrongState`] (kind `change_request`, the action: `submit`, `withdraw`,
/// `reject`, `approve`, `change`, and the request's state), and nothing changes. An unknown
/// request is [`crate::Error::NotFound`] (kind `change_request`).
#[async_trait]
pub trait Approvals: Send + Sync {
    /// Opens a new, empty request `id` for a campaign, created by `act.user`.
    /// [`crate::Error::AlreadyExists`] (kind `change_request`) for a taken id, or when the
    /// campaign already has an open or pending request (naming that request).
    async fn open_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        campaign_id: &str,
    ) -> Result<ChangeRequest>;

    async fn get_change_request(&self, id: &str) -> Result<Option<ChangeRequest>>;

    /// The campaign's open or pending request, if it has one.
    async fn current_change_request(&self, campaign_id: &str) -> Result<Option<ChangeRequest>>;

    /// A page of requests, newest first, each with its documents.
    async fn list_change_requests(&self, query: &ChangeRequestQuery) -> Result<Vec<ChangeRequest>>;

    /// Puts a document into an open request, replacing the one of the same kind and id.
    async fn put_proposed_document(
        &self,
        act: Act<'_>,
        request_id: &str,
        document: &ProposedDocument,
    ) -> Result<ChangeRequest>;

    /// Removes a document from an open request. [`crate::Error::NotFound`] (kind the
    /// document's) when the request holds no such document.
    async fn remove_proposed_document(
        &self,
        act: Act<'_>,
        request_id: &str,
        kind: Kind,
        id: &str,
    ) -> Result<ChangeRequest>;

    /// Open → pending, submitted by `act.user`.
    async fn submit_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest>;

    /// Open or pending → withdrawn, by `act.user`.
    async fn withdraw_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest>;

    /// Pending → rejected by `act.user`, with a comment.
    async fn reject_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        comment: &str,
    ) -> Result<ChangeRequest>;

    /// Pending → approved by `act.user`, and its documents written in the same transaction:
    /// bodies created or replaced as [`crate::Store::upsert_documents`] does (a body equal to the
    /// stored one is not written), deletions done as [`crate::Store::delete`] does, one audit
    /// line each with `act.actor`, one revision for all.
    ///
    /// Every document must still be at the version the request was made from, else
    /// [`crate::Error::Stale`] naming the first that is not; with `at_revision` (the caller
    /// checked the documents against it), the store must still be at that revision, else
    /// [`crate::Error::RevisionMoved`]. Then nothing changes. Of concurrent approvals of one
    /// request, from any instance, one succeeds and the others find it approved.
    async fn approve_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        comment: Option<&str>,
        at_revision: Option<i64>,
    ) -> Result<Approval>;
}
