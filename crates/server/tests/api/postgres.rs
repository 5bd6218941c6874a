//! A subset of the suite on PostgreSQL (when `REMISE_TEST_POSTGRES_URL` names a server when the
//! tests are built; otherwise cargo reports these tests as ignored): the example cart, a CRUD
//! round trip of every collection, the audit log, rule imports, large catalog imports and the
//! offers CSV files.

use remise_test_support::{TestPostgres, postgres_test};

use crate::support::{TestApp, load_demo, spawn_app_on};

/// A server over a fresh PostgreSQL database holding the demo store. The database lives as long
/// as the returned value.
async fn postgres_app() -> (TestApp, TestPostgres) {
    let database = TestPostgres::create().await;
    load_demo(&database.url).await;
    let app = spawn_app_on(&database.url).await;
    (app, database)
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_evaluates_the_toyshop_cart() {
        let (app, _database) = postgres_app().await;
        crate::storefront::check_toyshop_quote(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_crud_round_trips() {
        let (app, _database) = postgres_app().await;
        for collection in [
            "products",
            "segments",
            "selections",
            "customer-groups",
            "campaigns",
            "promotions",
            "offers",
        ] {
            crate::documents::crud_round_trip(&app, &crate::documents::spec(collection)).await;
        }
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_audit_log() {
        let (app, _database) = postgres_app().await;
        crate::audit::check_audit(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_rule_import_is_all_or_nothing() {
        let (app, _database) = postgres_app().await;
        crate::rules_import::one_bad_document_refuses_the_file(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_rule_reimport_is_unchanged() {
        let (app, _database) = postgres_app().await;
        crate::rules_import::reimporting_changes_nothing(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_imported_promotions_apply_at_once() {
        let (app, _database) = postgres_app().await;
        crate::rules_import::imported_promotions_apply_at_once(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_imports_are_all_or_nothing() {
        let (app, _database) = postgres_app().await;
        crate::import::check_far_apart_errors(&app).await;
        crate::import::check_failed_import_keeps_the_previous(&app).await;
        crate::import::check_late_error_rolls_back(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_csv_seed_rows_round_trip() {
        let (app, _database) = postgres_app().await;
        crate::offers_csv::seed_rows_round_trip(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_csv_reimport_and_comma_files_change_nothing() {
        let (app, _database) = postgres_app().await;
        crate::offers_csv::reimport_and_comma_files_change_nothing(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_csv_bad_rows_refuse_the_file() {
        let (app, _database) = postgres_app().await;
        crate::offers_csv::bad_rows_refuse_the_file(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_csv_updates_change_only_what_they_name() {
        let (app, _database) = postgres_app().await;
        crate::offers_csv::updates_change_only_what_they_name(&app).await;
    }
}

postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_offers_csv_exports_read_back() {
        let (app, _database) = postgres_app().await;
        crate::offers_csv::exports_read_back(&app).await;
    }
}
