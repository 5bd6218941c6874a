//! What the store's test binaries share: a migrated store on each backend (a fresh SQLite file or
//! a fresh PostgreSQL database) and the macro that declares each scenario's test on each of them
//! (the PostgreSQL ones ignored unless `REMISE_TEST_POSTGRES_URL` was set when they were built).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::sync::Arc;

use remise_store::{Actor, PromotionLimits, ReserveRequest, Store};
use remise_test_support::{TestPostgres, TestSqlite};
use sqlx::{Connection, Executor};

/// A fixed clock: writes take their time from the caller.
pub const T0: i64 = 1_700_000_000_000;
/// How long a reservation lasts in these tests.
pub const TTL: i64 = 15 * 60 * 1000;

pub fn actor() -> Actor {
    Actor("tester".to_owned())
}

/// The id of the API key the tests' reservations come from.
pub const SHOP_KEY: &str = "key_shop";

/// A reservation with its own id, key and order (all named after `id`), at [`T0`].
pub fn request(id: &str, code: &str, customer: Option<&str>) -> ReserveRequest {
    ReserveRequest {
        id: id.to_owned(),
        code: code.to_owned(),
        customer: customer.map(str::to_owned),
        groups: Vec::new(),
        order_id: format!("order-{id}"),
        idempotency_key: format!("key-{id}"),
        api_key: SHOP_KEY.to_owned(),
        now: T0,
        expires_at: T0 + TTL,
        promotion_limits: PromotionLimits::default(),
    }
}

/// A migrated store on a fresh database, and what it takes to reach that database directly.
pub struct Backend {
    pub name: &'static str,
    pub url: String,
    pub store: Arc<dyn Store>,
    // Declared after `store`, so the store's connections close before the database goes.
    _sqlite: Option<TestSqlite>,
    _postgres: Option<TestPostgres>,
}

impl Backend {
    /// Runs SQL behind the store's back (fault injection, corrupting rows).
    pub async fn raw(&self, sql: &str) {
        if self.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
            conn.execute(sql).await.unwrap();
            conn.close().await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            conn.execute(sql).await.unwrap();
            conn.close().await.unwrap();
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.name == "postgres"
    }

    /// A second store on the same database, as another server instance would open it.
    pub async fn another_instance(&self) -> Arc<dyn Store> {
        remise_store::open(&self.url).await.unwrap()
    }
}

pub async fn migrated(url: &str) -> Arc<dyn Store> {
    let store = remise_store::open(url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

impl Backend {
    /// A migrated store on a fresh SQLite file.
    pub async fn sqlite() -> Backend {
        let sqlite = TestSqlite::new();
        Backend {
            name: "sqlite",
            url: sqlite.url.clone(),
            store: migrated(&sqlite.url).await,
            _sqlite: Some(sqlite),
            _postgres: None,
        }
    }

    /// A migrated store on a fresh PostgreSQL database (panics when none is configured).
    pub async fn postgres() -> Backend {
        Backend::on_postgres(TestPostgres::create().await).await
    }

    async fn on_postgres(postgres: TestPostgres) -> Backend {
        Backend {
            name: "postgres",
            url: postgres.url.clone(),
            store: migrated(&postgres.url).await,
            _sqlite: None,
            _postgres: Some(postgres),
        }
    }
}

/// SQLite always; PostgreSQL when `REMISE_TEST_POSTGRES_URL` is set (for measurements).
pub async fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::sqlite().await];
    if let Some(postgres) = TestPostgres::if_configured().await {
        backends.push(Backend::on_postgres(postgres).await);
    }
    backends
}

/// Per scenario (a function of the calling file's `scenarios` module taking a `&Backend`), a
/// module of that name with two tests, `sqlite` and `postgres`; the latter is ignored unless
/// PostgreSQL is configured, so that cargo's count says which ran.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::scenarios::$name(&super::common::Backend::sqlite().await).await;
            }

            remise_test_support::postgres_test! {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::scenarios::$name(&super::common::Backend::postgres().await).await;
                }
            }
        }
    )*};
}
pub(crate) use on_every_backend;
