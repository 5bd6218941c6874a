//! The back office over HTTP: sign-in, sessions, CSRF, languages and the authorisation matrix,
//! each test with its own server on `127.0.0.1:0` over a fresh SQLite file holding the demo.
//! (The journeys in a real browser are in `tests/browser.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "office/support.rs"]
mod support;

#[path = "office/approval.rs"]
mod approval;
#[path = "office/audit.rs"]
mod audit;
#[path = "office/campaigns.rs"]
mod campaigns;
#[path = "office/home.rs"]
mod home;
#[path = "office/matrix.rs"]
mod matrix;
#[path = "office/products.rs"]
mod products;
#[path = "office/promotions.rs"]
mod promotions;
#[path = "office/segments.rs"]
mod segments;
#[path = "office/selections.rs"]
mod selections;
#[path = "office/signin.rs"]
mod signin;
#[path = "office/simulator.rs"]
mod simulator;
#[path = "office/tags.rs"]
mod tags;
#[path = "office/tasks.rs"]
mod tasks;
#[path = "office/users.rs"]
mod users;
