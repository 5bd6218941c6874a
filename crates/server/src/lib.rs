//! Remise's HTTP server: the storefront and management API over the engine and the store.
//!
//! # Layout
//! - [`Server`]: opens a store, loads the snapshot, serves a listener until shutdown; tests start
//!   it on `127.0.0.1:0`. [`router`] builds the routes for a state.
//! - `routes/`: one module per part of the URL tree (`storefront`, `documents` for every managed
//!   collection, `settings`, `import`, `api_keys`, `audit`, `operations`).
//! - `documents`: the managed entities as typed documents; `model`: all of them, and the rule sets
//!   built from them; `published`: the compiled snapshot being served, swapped on change.
//! - `auth` (API keys and scopes), `problem` (the one error shape), `body` (reading bodies),
//!   `metrics` (Prometheus), `reference` (the API reference page), `demo` (the toy shop).
//!
//! Architecture invariant: the engine is called with plain data and never waits on I/O; a write
//! goes to the store first, then a new snapshot is published. Evaluations in flight keep the
//! snapshot they started with.

mod auth;
mod body;
pub mod catalog_file;
mod checks;
mod codes;
pub mod demo;
mod documents;
pub mod mail;
mod metrics;
mod model;
mod offer_filter;
pub mod offers_file;
pub mod office;
mod problem;
mod published;
mod ratelimit;
mod reference;
mod routes;
pub mod rules_file;
pub mod rules_import;

use std::net::SocketAddr;
use std::sync::Arc;

use remise_store::{Actor, Kind, Store};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub use auth::{hash_secret, new_key, new_secret};
pub use problem::{ApiError, FieldProblem};
pub use published::POLL_INTERVAL;

use crate::auth::KeyCache;
use crate::metrics::Metrics;
use crate::published::Publisher;

/// Limits on what one request may ask.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of a request body (imports have their own).
    pub body_bytes: usize,
    pub import_bytes: usize,
    pub cart_lines: usize,
    pub price_skus: usize,
    pub import_rows: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 2 * 1024 * 1024,
            import_bytes: 256 * 1024 * 1024,
            cart_lines: 1_000,
            price_skus: 10_000,
            import_rows: 1_000_000,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub store: Arc<dyn Store>,
    publisher: Publisher,
    keys: KeyCache,
    metrics: Metrics,
    limits: Limits,
    /// Management writes of this instance, one at a time: each is checked against the current
    /// documents, written, and published before the next is checked.
    writes: Mutex<()>,
    /// Batch quota changes of this instance, one at a time (see `routes::codes::set_quota`).
    quota_changes: Mutex<()>,
    /// Code generations running in the background on this instance.
    generations: routes::Generations,
    /// The back office's catalog imports and product search index on this instance.
    office_catalog: office::CatalogState,
}

impl AppState {
    /// Builds the state over a migrated store: creates default settings when there are none,
    /// loads the keys and compiles the snapshot.
    pub async fn new(store: Arc<dyn Store>, limits: Limits) -> anyhow::Result<Arc<AppState>> {
        ensure_settings(store.as_ref()).await?;
        let publisher = Publisher::load(store.as_ref()).await?;
        let keys = KeyCache::default();
        keys.reload(store.as_ref()).await?;
        Ok(Arc::new(AppState {
            store,
            publisher,
            keys,
            metrics: Metrics::new(),
            limits,
            writes: Mutex::new(()),
            quota_changes: Mutex::new(()),
            generations: routes::Generations::default(),
            office_catalog: office::CatalogState::default(),
        }))
    }
}

async fn ensure_settings(store: &dyn Store) -> remise_store::Result<()> {
    if store
        .get(Kind::Settings, remise_store::SETTINGS_ID)
        .await?
        .is_none()
    {
        let draft = remise_store::Draft {
            id: remise_store::SETTINGS_ID.to_owned(),
            body: serde_json::to_value(documents::Settings::default()).unwrap_or_default(),
            parent: None,
            status: None,
        };
        match store
            .create(&Actor("system".to_owned()), Kind::Settings, draft)
            .await
        {
            // Another instance created them first.
            Ok(_) | Err(remise_store::Error::AlreadyExists { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

pub use routes::codes::{NewBatch, generate_batch};
pub use routes::distribution::{distribute, write_codes};
pub use routes::router;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    listener: TcpListener,
    /// Where the e-mail worker sends the outbox; `None`: no worker in this instance.
    mail: Option<mail::MailSettings>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free one) over `store`, which must be migrated.
    pub async fn bind(store: Arc<dyn Store>, addr: SocketAddr) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Server::on_listener(store, listener).await
    }

    /// Serves `store` on a listener bound beforehand: `remise serve` binds first, so that a port
    /// already taken fails before any database is created.
    pub async fn on_listener(
        store: Arc<dyn Store>,
        listener: TcpListener,
    ) -> anyhow::Result<Server> {
        let state = AppState::new(store, Limits::default()).await?;
        let addr = listener.local_addr()?;
        Ok(Server {
            addr,
            state,
            listener,
            mail: None,
        })
    }

    /// Runs an e-mail worker with these settings beside the server. Several instances may each
    /// run one: a message is leased to one worker at a time.
    pub fn with_mail(mut self, settings: mail::MailSettings) -> Server {
        self.mail = Some(settings);
        self
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish. Background work:
    /// following other instances' changes, and purging documents deleted over 30 days ago.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let background = tokio::spawn(follow_store(self.state.clone()));
        let mailer = self
            .mail
            .map(|settings| mail::spawn_worker(self.state.store.clone(), settings));
        let app = router(self.state.clone());
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        background.abort();
        if let Some(mailer) = mailer {
            mailer.abort();
        }
        Ok(served?)
    }
}

/// Removes the documents soft-deleted over 30 days before `now` (campaigns, promotions, offers),
/// which can no longer be restored; returns how many. The server runs it about once an hour.
pub async fn purge_old_deletions(
    store: &dyn Store,
    now: jiff::Timestamp,
) -> remise_store::Result<u64> {
    store.purge_deleted(routes::restorable_since(now)).await
}

/// Polls the store's revision (other instances' writes), reloads keys, and purges old deletions.
async fn follow_store(state: Arc<AppState>) {
    let mut ticks: u64 = 0;
    loop {
        tokio::time::sleep(POLL_INTERVAL).await;
        ticks += 1;
        if let Err(error) = state.publisher.refresh(state.store.as_ref()).await {
            tracing::error!("the snapshot could not be refreshed: {error:#}");
        }
        // Keys and reservations need not follow as closely; expiring is a write.
        if !ticks.is_multiple_of(3) {
            continue;
        }
        if let Err(error) = state.keys.reload(state.store.as_ref()).await {
            tracing::error!("API keys could not be reloaded: {error}");
        }
        // Reservations count only until they expire whether or not they are marked; marking
        // them keeps the usage figures right.
        if let Err(error) = state
            .store
            .expire_reservations(remise_store::now_millis())
            .await
        {
            tracing::error!("reservations could not be expired: {error}");
        }
        // About once a minute: windows last one.
        if ticks.is_multiple_of((60_000 / POLL_INTERVAL.as_millis() as u64).max(1))
            && let Err(error) = ratelimit::forget_old(state.store.as_ref()).await
        {
            tracing::error!("old failed look-ups could not be forgotten: {error}");
        }
        // About once an hour.
        if ticks % (3_600_000 / POLL_INTERVAL.as_millis() as u64).max(1) == 3 {
            match purge_old_deletions(state.store.as_ref(), jiff::Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("purged {n} documents deleted over 30 days ago"),
                Err(error) => tracing::error!("purge failed: {error}"),
            }
        }
    }
}
