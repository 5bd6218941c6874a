//! HTTP integration tests of the server: each test starts a real server on `127.0.0.1:0` over a
//! fresh database (SQLite; PostgreSQL too when `REMISE_TEST_POSTGRES_URL` is set) holding the
//! demo toy shop, and talks to it with an HTTP client.
//!
//! One test binary; the modules are in `tests/api/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/support.rs"]
mod support;

#[path = "api/audit.rs"]
mod audit;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/batches.rs"]
mod batches;
#[path = "api/claims.rs"]
mod claims;
#[path = "api/codes.rs"]
mod codes;
#[path = "api/contract.rs"]
mod contract;
#[path = "api/customer_offers.rs"]
mod customer_offers;
#[path = "api/distribution.rs"]
mod distribution;
#[path = "api/documents.rs"]
mod documents;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/generation.rs"]
mod generation;
#[path = "api/import.rs"]
mod import;
#[path = "api/instances.rs"]
mod instances;
#[path = "api/limiter.rs"]
mod limiter;
#[path = "api/management.rs"]
mod management;
#[path = "api/numbers.rs"]
mod numbers;
#[path = "api/offer_lists.rs"]
mod offer_lists;
#[path = "api/offers.rs"]
mod offers;
#[path = "api/offers_csv.rs"]
mod offers_csv;
#[path = "api/operations.rs"]
mod operations;
#[path = "api/patch.rs"]
mod patch;
#[path = "api/postgres.rs"]
mod postgres;
#[path = "api/rules_import.rs"]
mod rules_import;
#[path = "api/storefront.rs"]
mod storefront;
#[path = "api/vocabulary.rs"]
mod vocabulary;
#[path = "api/vouchers.rs"]
mod vouchers;
