//! A campaign that is not live, simulated as if it were: its promotions, narrowed to its dates
//! and channels as an active campaign's are, added to a copy of the served snapshot for one
//! evaluation. Nothing is written or published.

use remise_engine::{RuleChange, Snapshot};

use crate::documents::{Campaign, CampaignStatus};
use crate::model::{Model, within_campaign};

/// The campaigns a simulation can add: every one that is not served (drafts first, then by name).
pub fn candidates(model: &Model) -> Vec<&Campaign> {
    let mut campaigns: Vec<&Campaign> = model
        .campaigns
        .values()
        .filter(|c| c.status != CampaignStatus::Active)
        .collect();
    campaigns.sort_by(|a, b| {
        (a.status != CampaignStatus::Draft, &a.name, &a.id).cmp(&(
            b.status != CampaignStatus::Draft,
            &b.name,
            &b.id,
        ))
    });
    campaigns
}

/// What adding a campaign to a simulation gives.
pub enum Draft {
    /// No such campaign, or it is already served.
    Unavailable,
    /// The served snapshot with the campaign's promotions; how many there are.
    Applied(Box<Snapshot>, usize),
    /// The engine refused them (they were checked when written, so this is rare): its messages.
    Invalid(Vec<String>),
}

/// `snapshot` with the promotions of `campaign_id` as they would be served were it active.
pub fn with_campaign(model: &Model, snapshot: &Snapshot, campaign_id: &str) -> Draft {
    let Some(campaign) = model.campaigns.get(campaign_id) else {
        return Draft::Unavailable;
    };
    if campaign.status == CampaignStatus::Active {
        return Draft::Unavailable;
    }
    let live = Campaign {
        status: CampaignStatus::Active,
        ..campaign.clone()
    };
    let zone = model.time_zone();
    // A walk of the promotions (10,000 in a large store: well under a millisecond); the store
    // keeps no index of promotions by campaign in the model.
    let promotions: Vec<_> = model
        .promotions
        .values()
        .filter(|p| p.campaign.as_deref() == Some(campaign_id))
        .filter_map(|p| within_campaign(p.clone(), &live, &zone))
        .collect();
    let changes: Vec<RuleChange<'_>> = promotions.iter().map(RuleChange::Promotion).collect();
    match snapshot.apply(&changes) {
        Ok(next) => Draft::Applied(Box::new(next), promotions.len()),
        Err(error) => Draft::Invalid(
            error
                .errors()
                .iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect(),
        ),
    }
}
