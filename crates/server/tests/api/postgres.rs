//! A subset of the suite on PostgreSQL (when `REMISE_TEST_POSTGRES_URL` names a server): the
//! example cart, a CRUD round trip of every collection, and the audit log.

use remise_test_support::{POSTGRES_SKIPPED, TestPostgres};

use crate::support::{TestApp, load_demo, spawn_app_on};

/// A server over a fresh PostgreSQL database holding the demo store, or `None` (having said so)
/// when PostgreSQL is not configured. The database lives as long as the returned value.
async fn postgres_app() -> Option<(TestApp, TestPostgres)> {
    let Some(database) = TestPostgres::create().await else {
        eprintln!("{POSTGRES_SKIPPED}");
        return None;
    };
    load_demo(&database.url).await;
    let app = spawn_app_on(&database.url).await;
    Some((app, database))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_evaluates_the_toyshop_cart() {
    let Some((app, _database)) = postgres_app().await else {
        return;
    };
    crate::storefront::check_toyshop_quote(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crud_round_trips() {
    let Some((app, _database)) = postgres_app().await else {
        return;
    };
    for collection in [
        "products",
        "segments",
        "selections",
        "customer-groups",
        "campaigns",
        "promotions",
    ] {
        crate::documents::crud_round_trip(&app, &crate::documents::spec(collection)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_audit_log() {
    let Some((app, _database)) = postgres_app().await else {
        return;
    };
    crate::audit::check_audit(&app).await;
}
