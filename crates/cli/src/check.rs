//! `remise check`: validates a rule file.

use std::path::PathBuf;

use anyhow::Result;

use crate::{input, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule file (`remise.rules/1`); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
}

/// Lists every error of the file with its path (exit status 2), or prints a one-line summary.
pub fn run(args: &Args) -> Result<()> {
    let snapshot = input::load_rules(&args.rules)?;
    let products = snapshot.product_count();
    let promotions = snapshot.promotion_count();
    output::print(&format!(
        "{}: ok, {products} product{}, {promotions} promotion{}, currency {}\n",
        args.rules.display(),
        plural(products),
        plural(promotions),
        snapshot.currency(),
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
