//! Remise's pricing engine: pure, synchronous, no I/O.
//!
//! # Layout
//! - [`rules`]: the versioned rule format (`remise.rules/1`): store settings, catalog, promotions.
//! - [`cart`]: requests: a cart (`remise.cart/1`) and a batch of products to price.
//! - [`compile`](compile()): rules → [`Snapshot`], an immutable, indexed ruleset; every error with its path.
//! - [`Snapshot::evaluate`]: a cart → a [`Quote`] that explains every promotion considered.
//! - [`Snapshot::price`]: catalog prices for products in one customer context.
//! - [`Snapshot::preview_filter`], [`Snapshot::products_per_segment`], …: what the back office
//!   asks of the compiled catalog (`catalog.rs`).
//! - [`b2b`]: B2B offers in answers: the contract price a line got and the candidates that lost.
//! - [`money`]: exact amounts, rounding, tax splits, largest-remainder allocation.
//! - [`limits`]: the largest amounts and quantities accepted, and why nothing overflows below them.
//!
//! Evaluation never fails for business reasons: a promotion that does not apply comes back in the
//! quote with the condition that failed. [`Error`] is only for input that cannot be used.

pub mod b2b;
pub mod cart;
mod catalog;
mod compile;
mod context;
mod error;
mod evaluate;
pub mod limits;
pub mod money;
mod parse;
mod price;
pub mod quote;
pub mod rules;
mod snapshot;

pub use cart::{Cart, CartLine, Customer, PriceRequest, Voucher};
pub use catalog::Matches;
pub use compile::{
    MAX_CODE_LEN, OfferStore, RuleChange, Targeting, code_problem, compile, offer_problems,
    parse_day, product_problems,
};
pub use error::{Error, FieldError, FieldErrors, Result};
pub use parse::request_from_json;
pub use quote::{ProductPrice, Quote};
pub use rules::RuleSet;
pub use snapshot::Snapshot;
