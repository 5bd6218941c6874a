//! `remise price`: catalog prices of products for one customer context.

use std::path::PathBuf;

use anyhow::Result;
use remise_engine::PriceRequest;

use crate::input::{self, InvalidInput};
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule file (`remise.rules/1`); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Price request: `customer`, `channel`, `at`, `display`, `skus`; `-` reads standard input.
    /// Without `at`, prices are those of now.
    #[arg(long, value_name = "FILE")]
    request: PathBuf,
    /// Price at this instant instead of the request's `at` (RFC 3339 with an offset).
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    at: Option<String>,
}

/// Prints, for each requested sku, the reference price, the catalog price and the catalog
/// promotion that gives it, as JSON.
pub fn run(args: &Args) -> Result<()> {
    input::stdin_at_most_once(&[&args.rules, &args.request])?;
    let snapshot = input::load_rules(&args.rules)?;
    let request: PriceRequest =
        input::read_request(&args.request, "price request", args.at.as_deref())?;
    let prices = snapshot
        .price(&request)
        .map_err(|e| InvalidInput::new(&args.request, "price request", &e))?;
    output::print(&output::json(&prices)?)
}
