//! The compiled snapshot requests are served from, and how it follows the store.
//!
//! Readers take an `Arc` of the current [`Published`] and keep it for the whole request: a change
//! builds a new one next to it and swaps the pointer, so evaluations never wait for a write and
//! never see half of one. Other instances' changes are picked up by polling the store's revision
//! (one integer read) every [`POLL_INTERVAL`]; DESIGN asks for under a second.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jiff::Timestamp;
use remise_engine::Snapshot;
use remise_store::Store;
use tokio::sync::{Mutex, MutexGuard};

use crate::model::Model;

/// How often an instance asks the store whether something changed.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// One compiled state of the store.
pub struct Published {
    /// The store revision this was built from.
    pub revision: i64,
    pub model: Model,
    pub snapshot: Snapshot,
    /// Landing page slug → campaign id, for active campaigns.
    pub landing: BTreeMap<String, String>,
    /// The codes promotions list themselves (`conditions.coupon.codes`), normalised, with the
    /// promotions that list each.
    pub rule_codes: HashMap<String, Vec<String>>,
    pub compiled_at: Timestamp,
    pub compile_time: Duration,
}

impl Published {
    /// Compiles a model's live rules.
    pub fn build(revision: i64, model: Model) -> Result<Published, remise_engine::Error> {
        let started = Instant::now();
        let snapshot = remise_engine::compile(&model.live_rules())?;
        let compile_time = started.elapsed();
        let landing = model
            .campaigns
            .values()
            .filter(|c| c.status == crate::documents::CampaignStatus::Active)
            .filter_map(|c| Some((c.landing_page.as_ref()?.slug.clone(), c.id.clone())))
            .collect();
        let mut rule_codes: HashMap<String, Vec<String>> = HashMap::new();
        for promotion in model.promotions.values() {
            for code in promotion.conditions.coupon.iter().flat_map(|c| &c.codes) {
                rule_codes
                    .entry(remise_store::normalize_code(code))
                    .or_default()
                    .push(promotion.id.clone());
            }
        }
        Ok(Published {
            revision,
            rule_codes,
            model,
            snapshot,
            landing,
            compiled_at: Timestamp::now(),
            compile_time,
        })
    }
}

/// The current [`Published`], swapped atomically.
pub struct Publisher {
    current: ArcSwap<Published>,
    /// One rebuild at a time: two would read and compile the same revision twice.
    rebuilding: Mutex<()>,
}

impl Publisher {
    /// Loads and compiles the store's current state.
    pub async fn load(store: &dyn Store) -> anyhow::Result<Publisher> {
        let published = load(store).await?;
        Ok(Publisher {
            current: ArcSwap::from_pointee(published),
            rebuilding: Mutex::new(()),
        })
    }

    pub fn current(&self) -> Arc<Published> {
        self.current.load_full()
    }

    /// Holds rebuilds off until the guard is dropped. A writer that will publish what it writes
    /// takes it before writing: otherwise the poller, seeing the revision move, would read the
    /// whole store back while the writer builds the same snapshot from what it has.
    pub async fn hold_rebuilds(&self) -> MutexGuard<'_, ()> {
        self.rebuilding.lock().await
    }

    /// Serves `published`, which the caller built from the documents it has just written, under
    /// the guard of [`Publisher::hold_rebuilds`], unless what is served is already as recent.
    pub fn publish(&self, _held: &MutexGuard<'_, ()>, published: Published) {
        if published.revision > self.current.load().revision {
            self.current.store(Arc::new(published));
        }
    }

    /// Rebuilds from the store if its revision moved past ours. A failure keeps the current
    /// snapshot serving (and is returned, to be logged).
    pub async fn refresh(&self, store: &dyn Store) -> anyhow::Result<bool> {
        let _guard = self.rebuilding.lock().await;
        let revision = store.revision().await?;
        if revision == self.current.load().revision {
            return Ok(false);
        }
        let published = load(store).await?;
        self.current.store(Arc::new(published));
        Ok(true)
    }
}

async fn load(store: &dyn Store) -> anyhow::Result<Published> {
    let (revision, records) = store.load_all().await?;
    // Compiling a large catalog takes a while: off the async workers.
    tokio::task::spawn_blocking(move || {
        let (model, skipped) = Model::from_records(records);
        for message in skipped {
            tracing::warn!("{message}");
        }
        Published::build(revision, model)
            .map_err(|e| anyhow::anyhow!("the stored rules do not compile: {e}"))
    })
    .await?
}
