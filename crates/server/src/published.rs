//! The compiled snapshot requests are served from, and how it follows the store.
//!
//! Readers take an `Arc` of the current [`Published`] and keep it for the whole request: a change
//! builds a new one next to it and swaps the pointer, so evaluations never wait for a write and
//! never see half of one. Changes, this instance's and other instances', are picked up by polling
//! the store's revision (one integer read) every [`POLL_INTERVAL`] (and after each write here);
//! when it moved, the store's change log says which documents changed, and only those are
//! applied ([`Published::with_changes`]). A full load is kept for what the log cannot say in a
//! few documents: a large import, or changes older than the log.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jiff::Timestamp;
use remise_engine::{RuleChange, Snapshot};
use remise_store::{ChangeLog, ChangedDocument, Kind, Store};
use tokio::sync::{Mutex, MutexGuard};

use crate::model::{Model, read_record};

/// Past this many changed documents, a full load is cheaper than applying them one by one.
pub const MAX_APPLIED_CHANGES: u32 = 10_000;

/// How often an instance asks the store whether something changed.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

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
        Ok(Published::around(revision, model, snapshot, started))
    }

    /// This state with the changed documents of the change log applied: the model takes them,
    /// and the snapshot recompiles only them (see [`Snapshot::apply`]), unless one of them
    /// reaches every product or changes what names mean (settings, segments, customer groups, a
    /// removed selection): then the whole model is compiled.
    pub fn with_changes(
        &self,
        revision: i64,
        documents: Vec<ChangedDocument>,
    ) -> Result<Published, remise_engine::Error> {
        let started = Instant::now();
        let mut model = self.model.clone();
        let mut full = false;
        let mut products = BTreeSet::new();
        let mut selections = BTreeSet::new();
        let mut promotions = BTreeSet::new();
        let mut offers = BTreeSet::new();
        for ChangedDocument { kind, id, record } in documents {
            let document = record.and_then(|record| {
                read_record(record)
                    .map_err(|message| tracing::warn!("{message}"))
                    .ok()
            });
            let removed = document.is_none();
            match document {
                Some(document) => model.put(document),
                None => model.remove(kind, &id),
            }
            match kind {
                Kind::Settings | Kind::Segment | Kind::CustomerGroup => full = true,
                Kind::Offer => drop(offers.insert(id)),
                Kind::Selection if removed => full = true,
                Kind::Selection => drop(selections.insert(id)),
                Kind::Product => drop(products.insert(id)),
                Kind::Promotion => drop(promotions.insert(id)),
                // Its promotions, before and after, are served differently.
                Kind::Campaign => {
                    for map in [&self.model.promotions, &model.promotions] {
                        promotions.extend(
                            map.values()
                                .filter(|p| p.campaign.as_deref() == Some(id.as_str()))
                                .map(|p| p.id.clone()),
                        );
                    }
                }
                Kind::Relay => {}
            }
        }
        if full {
            return Published::build(revision, model);
        }
        let zone = model.time_zone();
        let live: Vec<(&String, Option<remise_engine::rules::Promotion>)> = promotions
            .iter()
            .map(|id| {
                let served = model
                    .promotions
                    .get(id)
                    .and_then(|p| model.live_promotion(p, &zone));
                (id, served)
            })
            .collect();
        let mut changes = Vec::new();
        for sku in &products {
            changes.push(match model.products.get(sku) {
                Some(product) => RuleChange::Product(product),
                None => RuleChange::RemoveProduct(sku),
            });
        }
        changes.extend(
            selections
                .iter()
                .filter_map(|id| model.selections.get(id))
                .map(RuleChange::Selection),
        );
        for (id, served) in &live {
            changes.push(match served {
                Some(promotion) => RuleChange::Promotion(promotion),
                None => RuleChange::RemovePromotion(id),
            });
        }
        for code in &offers {
            changes.push(match model.offers.get(code) {
                Some(offer) => RuleChange::Offer(offer),
                None => RuleChange::RemoveOffer(code),
            });
        }
        let snapshot = match self.snapshot.apply(&changes) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                // Checked before it was written, so not expected; the full compile says it all.
                tracing::warn!("applying the changes failed, compiling everything: {error}");
                return Published::build(revision, model);
            }
        };
        Ok(Published::around(revision, model, snapshot, started))
    }

    /// A snapshot with what the server derives from its model beside it.
    fn around(revision: i64, model: Model, snapshot: Snapshot, started: Instant) -> Published {
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
        Published {
            revision,
            rule_codes,
            model,
            snapshot,
            landing,
            compiled_at: Timestamp::now(),
            compile_time,
        }
    }
}

/// The current [`Published`], swapped atomically.
pub struct Publisher {
    current: ArcSwap<Published>,
    /// One rebuild at a time: two would read and compile the same revision twice.
    rebuilding: Mutex<()>,
    /// How the snapshot followed the store since start: changes applied from the change log,
    /// and full loads (the first one included).
    applied: AtomicU64,
    loaded: AtomicU64,
}

/// How many times the snapshot was updated from the change log, and loaded whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Updates {
    pub applied: u64,
    pub loaded: u64,
}

impl Publisher {
    /// Loads and compiles the store's current state.
    pub async fn load(store: &dyn Store) -> anyhow::Result<Publisher> {
        let published = load(store).await?;
        Ok(Publisher {
            current: ArcSwap::from_pointee(published),
            rebuilding: Mutex::new(()),
            applied: AtomicU64::new(0),
            loaded: AtomicU64::new(1),
        })
    }

    pub fn updates(&self) -> Updates {
        Updates {
            applied: self.applied.load(Ordering::Relaxed),
            loaded: self.loaded.load(Ordering::Relaxed),
        }
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

    /// Brings the snapshot up to the store's revision if it moved past ours: applies the
    /// documents the change log names, or loads everything when it names too many. A failure
    /// keeps the current snapshot serving (and is returned, to be logged).
    pub async fn refresh(&self, store: &dyn Store) -> anyhow::Result<bool> {
        let _guard = self.rebuilding.lock().await;
        let current = self.current.load_full();
        if store.revision().await? == current.revision {
            return Ok(false);
        }
        let published = match store
            .changes_since(current.revision, MAX_APPLIED_CHANGES)
            .await?
        {
            ChangeLog::Changes {
                revision,
                documents,
            } => {
                let published =
                    tokio::task::spawn_blocking(move || current.with_changes(revision, documents))
                        .await?
                        .map_err(|e| anyhow::anyhow!("the stored rules do not compile: {e}"))?;
                self.applied.fetch_add(1, Ordering::Relaxed);
                published
            }
            ChangeLog::Reload => {
                let published = load(store).await?;
                self.loaded.fetch_add(1, Ordering::Relaxed);
                published
            }
        };
        self.current.store(Arc::new(published));
        Ok(true)
    }
}

/// Loads and compiles the whole store, logging how long each step took (a start's cost).
async fn load(store: &dyn Store) -> anyhow::Result<Published> {
    let started = Instant::now();
    let (revision, records) = store.load_all().await?;
    let read = started.elapsed();
    let documents = records.len();
    // Compiling a large catalog takes a while: off the async workers.
    tokio::task::spawn_blocking(move || {
        let typing = Instant::now();
        let (model, skipped) = Model::from_records(records);
        for message in skipped {
            tracing::warn!("{message}");
        }
        let typed = typing.elapsed();
        let published = Published::build(revision, model)
            .map_err(|e| anyhow::anyhow!("the stored rules do not compile: {e}"))?;
        tracing::info!(
            documents,
            read_ms = read.as_millis(),
            typed_ms = typed.as_millis(),
            compiled_ms = published.compile_time.as_millis(),
            "store loaded"
        );
        Ok(published)
    })
    .await?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use remise_engine::PriceRequest;
    use remise_engine::cart::Customer;
    use remise_store::Record;
    use serde_json::{Value, json};

    use super::*;

    fn record(kind: Kind, id: &str, body: Value) -> Record {
        Record {
            kind,
            id: id.to_owned(),
            version: 1,
            body,
            parent: None,
            status: None,
            created_at: 1_780_000_000_000,
            updated_at: 1_780_000_000_000,
            deleted_at: None,
        }
    }

    fn changed(kind: Kind, id: &str, body: Option<Value>) -> ChangedDocument {
        ChangedDocument {
            kind,
            id: id.to_owned(),
            record: body.map(|body| record(kind, id, body)),
        }
    }

    fn prices(published: &Published) -> String {
        let request = PriceRequest {
            customer: Customer {
                id: Some("DUPONT".to_owned()),
                groups: vec!["cantines".to_owned()],
                ..Customer::default()
            },
            channel: None,
            at: "2026-05-12T10:00:00+02:00".to_owned(),
            display: None,
            skus: vec!["YOGURT".to_owned()],
        };
        serde_json::to_string(&published.snapshot.price(&request).unwrap()).unwrap()
    }

    /// An offer written, changed and removed is applied to the served snapshot, which then
    /// answers as a full compile of the same model.
    #[test]
    fn offer_changes_are_applied_as_a_full_compile_serves_them() {
        let (model, skipped) = Model::from_records(vec![
            record(
                Kind::CustomerGroup,
                "cantines",
                json!({"id": "cantines", "name": "Canteens", "display": "net"}),
            ),
            record(
                Kind::Product,
                "YOGURT",
                json!({"sku": "YOGURT", "name": "Yogurt", "price": "5.00"}),
            ),
        ]);
        assert!(skipped.is_empty(), "{skipped:?}");
        let mut published = Published::build(1, model).unwrap();
        let offer = |price: &str| {
            json!({"code": "CANTINES", "title": "Canteens", "scope": {"group": "cantines"},
                   "commitments": [{"number": 1, "discounts": [
                       {"code": "Y", "sku": "YOGURT", "price": price}]}]})
        };
        let steps = [Some(offer("3.95")), Some(offer("3.80")), None];
        for (i, body) in steps.into_iter().enumerate() {
            let revision = i as i64 + 2;
            published = published
                .with_changes(revision, vec![changed(Kind::Offer, "CANTINES", body)])
                .unwrap();
            let full = Published::build(revision, published.model.clone()).unwrap();
            assert_eq!(prices(&published), prices(&full));
            assert_eq!(published.model.offers.len(), usize::from(i < 2));
            if let Some(price) = ["3.95", "3.80"].get(i) {
                let served = prices(&published);
                assert!(
                    served.contains(&format!("\"price\":\"{price}\"")),
                    "{served}"
                );
            }
        }
        assert!(prices(&published).contains("\"price_source\":\"list\""));
    }
}
