//! The back office in a real headless Chromium over WebDriver (`remise-test-support`'s
//! `browser` feature): each journey with its own server on `127.0.0.1:0` over a fresh SQLite
//! file holding the demo, in French and in English, with axe-core run on every screen it
//! visits and screenshots written to `target/office-screenshots/`.
//!
//! Without Chromium and chromedriver the journeys are skipped, unless `REMISE_REQUIRE_CHROMIUM`
//! is set (`.ci/run` sets it and installs both).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "office/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "browser/campaigns.rs"]
mod campaigns;
#[path = "browser/catalog_structure.rs"]
mod catalog_structure;
#[path = "browser/journey.rs"]
mod journey;
#[path = "browser/products.rs"]
mod products;

#[path = "browser/signin.rs"]
mod signin;

#[path = "browser/simulator.rs"]
mod simulator;
#[path = "browser/tasks.rs"]
mod tasks;
#[path = "browser/users.rs"]
mod users;

#[path = "browser/promotions.rs"]
mod promotions;
