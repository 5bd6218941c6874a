//! `remise eval`: evaluates a cart against a rule file.

use std::path::PathBuf;

use anyhow::Result;
use remise_engine::Cart;

use crate::input::{self, InvalidInput};
use crate::{explain, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule file (`remise.rules/1`); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Cart file (`remise.cart/1`); `-` reads standard input. Without `at`, the cart is evaluated
    /// at the current time.
    #[arg(long, value_name = "FILE")]
    cart: PathBuf,
    /// Evaluate at this instant instead of the cart's `at` (RFC 3339 with an offset).
    #[arg(long, value_name = "INSTANT", value_parser = input::instant)]
    at: Option<String>,
    /// Print a readable report (lines, shipping, totals, every promotion with its reason, nudges)
    /// instead of the JSON quote.
    #[arg(long)]
    explain: bool,
}

pub fn run(args: &Args) -> Result<()> {
    input::stdin_at_most_once(&[&args.rules, &args.cart])?;
    let snapshot = input::load_rules(&args.rules)?;
    let mut cart: Cart = input::read_request(&args.cart, "cart", args.at.as_deref())?;
    // The report shows what the other strategy would save.
    cart.compare_strategies |= args.explain;
    let quote = snapshot
        .evaluate(&cart)
        .map_err(|e| InvalidInput::new(&args.cart, "cart", &e))?;
    let text = if args.explain {
        explain::report(&cart, &quote)
    } else {
        output::json(&quote)?
    };
    output::print(&text)
}
