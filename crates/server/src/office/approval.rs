//! Approval (seed 001's validation process). Stub until the store's change requests land.

use std::collections::HashMap;

use axum::response::Response;
use remise_store::Record;

use super::session::OfficeUser;
use super::writes::{self, Change};
use crate::AppState;
use crate::documents::{Campaign, CampaignStatus};
use crate::problem::ApiError;

/// What a save did.
#[derive(Debug)]
pub enum Saved {
    Written(Record),
    Proposed(String),
}

pub async fn save(state: &AppState, user: &OfficeUser, change: Change) -> Result<Saved, ApiError> {
    writes::save(state, user, change).await.map(Saved::Written)
}

/// The campaigns with an open or pending change request, and its state's name.
pub async fn campaign_states(_state: &AppState) -> Result<HashMap<String, String>, Response> {
    Ok(HashMap::new())
}

pub async fn editable_campaign(
    state: &AppState,
    id: &str,
) -> Result<Option<(Campaign, i64, CampaignStatus)>, Response> {
    Ok(crate::office::campaigns::stored(state, id)
        .await?
        .filter(|(r, _)| r.deleted_at.is_none())
        .map(|(r, c)| {
            let status = c.status;
            (c, r.version, status)
        }))
}

#[derive(Debug, Default)]
pub struct RequestView {
    pub id: String,
    pub state: String,
    pub state_code: &'static str,
    pub summary: String,
    pub comment: Option<String>,
}

#[derive(Debug, Default)]
pub struct CampaignApproval {
    pub required: bool,
    pub current: Option<RequestView>,
    pub last: Option<RequestView>,
    pub can_submit: bool,
    pub can_withdraw: bool,
}

pub async fn campaign_approval(
    _state: &AppState,
    _user: &OfficeUser,
    _campaign: &Campaign,
) -> Result<CampaignApproval, Response> {
    Ok(CampaignApproval::default())
}

/// Whether the store's settings require approval.
pub fn required(_model: &crate::model::Model) -> bool {
    false
}
