//! A promotion as its form edits it: when its campaign's change request proposes it (the store
//! requires approval), the proposed version, with the version that proposal was made from;
//! else the stored one. A promotion only a request creates is found through its campaign.

use remise_engine::rules::Promotion;
use remise_store::{Kind, Record};

use crate::AppState;
use crate::office::page::server_error;

/// What the campaign's request proposes for the promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Created,
    Changed,
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Editable {
    pub promotion: Promotion,
    /// The version to send back with a change: the stored one, the one a proposal was made
    /// from, or 0 for a promotion only the request creates.
    pub version: i64,
    pub campaign: Option<String>,
    /// What waits for approval, and in which request.
    pub pending: Option<(Pending, String)>,
}

/// The promotion `id` as its form shows it; `campaign`: where to look for it when only a
/// change request holds it. `None`: neither stored (live) nor proposed.
pub async fn editable(
    state: &AppState,
    id: &str,
    campaign: Option<&str>,
) -> Result<Option<Editable>, axum::response::Response> {
    let record = state
        .store
        .get(Kind::Promotion, id)
        .await
        .map_err(|e| server_error(&e))?;
    let live = record.as_ref().filter(|r| r.deleted_at.is_none());
    let campaign = live
        .and_then(|r| r.parent.clone())
        .or_else(|| campaign.map(str::to_owned))
        .or_else(|| record.as_ref().and_then(|r| r.parent.clone()));
    let request = match &campaign {
        Some(campaign) => state
            .store
            .current_change_request(campaign)
            .await
            .map_err(|e| server_error(&e))?,
        None => None,
    };
    let proposal = request.as_ref().and_then(|r| {
        r.documents
            .iter()
            .find(|d| d.kind == Kind::Promotion && d.id == id)
            .map(|d| (d, r.id.clone()))
    });
    let read = |body: &serde_json::Value| {
        serde_json::from_value::<Promotion>(body.clone())
            .map_err(|e| server_error(&format!("promotion `{id}` does not read: {e}")))
    };
    Ok(match (live, proposal) {
        (Some(record), Some((proposed, request))) => {
            let version = proposed.base_version.unwrap_or(record.version);
            Some(match &proposed.body {
                Some(body) => Editable {
                    promotion: read(body)?,
                    version,
                    campaign,
                    pending: Some((Pending::Changed, request)),
                },
                None => Editable {
                    promotion: read(&record.body)?,
                    version,
                    campaign,
                    pending: Some((Pending::Deleted, request)),
                },
            })
        }
        (Some(record), None) => Some(stored(record, campaign, &read)?),
        (None, Some((proposed, request))) => match &proposed.body {
            Some(body) => Some(Editable {
                promotion: read(body)?,
                version: proposed.base_version.unwrap_or(0),
                campaign,
                pending: Some((Pending::Created, request)),
            }),
            None => None,
        },
        (None, None) => None,
    })
}

fn stored(
    record: &Record,
    campaign: Option<String>,
    read: &dyn Fn(&serde_json::Value) -> Result<Promotion, axum::response::Response>,
) -> Result<Editable, axum::response::Response> {
    Ok(Editable {
        promotion: read(&record.body)?,
        version: record.version,
        campaign,
        pending: None,
    })
}
