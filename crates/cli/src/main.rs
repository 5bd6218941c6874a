//! `remise`: run the server, manage its database, and evaluate carts and price products against a
//! rule file from the command line.
//!
//! # Layout
//! - `serve`, `database` (`--database`, `migrate`, `demo`), `catalog` (`import`/`export catalog`),
//!   `rules` (`import rules`), `offers` (`import`/`export offers` and `offer-discounts`): the
//!   commands over a store; they wrap the server library.
//! - `input`: reading rule files and requests, with errors that name the file and every field.
//! - `output`: writing to stdout (a closed pipe ends the output quietly).
//! - `check`, `eval` (with `explain`, the readable report), `price`: one module per command, each
//!   with its `Args` and a `run` function.
//!
//! Exit status: 0 on success, 1 when a file cannot be read or output cannot be written, 2 when the
//! input is invalid (every error is listed on stderr with its path) or the command line is wrong.

mod api_keys;
mod catalog;
mod check;
mod codes;
mod database;
mod eval;
mod explain;
mod input;
mod mail_options;
mod offers;
mod output;
mod price;
mod rules;
mod serve;
mod users;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::input::InvalidInput;

#[derive(Debug, Parser)]
#[command(
    name = "remise",
    version,
    about = "Remise, a promotions engine: serve the API, manage its database, evaluate carts",
    after_help = "Exit status: 0 success, 1 unreadable file or unwritable output, \
                  2 invalid input (every error listed on stderr with its path) or bad usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (loads the demo store into an empty database unless --no-demo).
    #[command(
        after_help = "Code look-ups are rate-limited per customer and per visitor: a shop \
                            forwards its visitor's address (IP or any client identifier) in the \
                            `Remise-Client-Address` request header; without it and without a \
                            customer id, a key's anonymous visitors share one allowance \
                            (settings' `code_attempts_per_minute`, counted in the database \
                            across instances)."
    )]
    Serve(serve::Args),
    /// Apply pending database migrations.
    Migrate(database::MigrateArgs),
    /// Load the demo store (the toy shop) into a database.
    Demo(database::DemoArgs),
    /// Import data into a database.
    #[command(subcommand)]
    Import(Import),
    /// Export data from a database.
    #[command(subcommand)]
    Export(Export),
    /// Unique codes: generate a batch, export codes.
    #[command(subcommand)]
    Codes(Codes),
    /// Evaluate a cart: prints the quote as JSON, or a readable report with --explain.
    Eval(eval::Args),
    /// Validate a rule file: lists every error with its path, or prints a summary.
    Check(check::Args),
    /// Print the catalog prices of products for one customer context, as JSON.
    Price(price::Args),
    /// API keys in the database: create one (its secret is printed once), list, revoke.
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeys),
    /// Back-office users: create the first administrator, list them.
    #[command(subcommand)]
    Users(Users),
}

#[derive(Debug, Subcommand)]
enum ApiKeys {
    /// Create a key; its secret alone goes to stdout, shown this once.
    Create(api_keys::CreateArgs),
    /// List the keys (id, scope, state, prefix, name), never their secrets.
    List(api_keys::ListArgs),
    /// Revoke a key by its id.
    Revoke(api_keys::RevokeArgs),
}

#[derive(Debug, Subcommand)]
enum Users {
    /// Create a user (`--email … --role admin`).
    Create(users::CreateArgs),
    /// List the users.
    List(users::ListArgs),
}

#[derive(Debug, Subcommand)]
enum Import {
    /// Products from a CSV or JSON file, all or nothing (errors name their line).
    Catalog(catalog::ImportArgs),
    /// Promotions, campaigns, segments, selections, customer groups and products from a rule
    /// file or NDJSON, all or nothing (errors name their path); --dry-run to see what changes.
    Rules(rules::ImportArgs),
    /// B2B offers from seed 004's CSV (upsert by code), all or nothing (errors name their line
    /// and column); --discounts to import their commitments and discounts with them.
    Offers(offers::ImportOffersArgs),
    /// Commitments and discounts of B2B offers from CSV, all or nothing; --replace to make the
    /// file the named offers' only commitments.
    OfferDiscounts(offers::ImportDiscountsArgs),
}

#[derive(Debug, Subcommand)]
enum Export {
    /// Products as CSV (the import format) or JSON.
    Catalog(catalog::ExportArgs),
    /// B2B offers as seed 004's CSV (`;`, decimal commas, a BOM; --separator comma otherwise).
    Offers(offers::ExportArgs),
    /// The offers' commitments and discounts as CSV, one discount a row.
    OfferDiscounts(offers::ExportArgs),
}

#[derive(Debug, Subcommand)]
enum Codes {
    /// Generate a batch of unique codes for a promotion (with a progress bar).
    Generate(codes::GenerateArgs),
    /// Export codes as CSV, with their state and relay.
    Export(codes::ExportArgs),
    /// Hand codes of a batch to a relay and queue the e-mail that carries them.
    Distribute(codes::DistributeArgs),
}

/// mimalloc rather than glibc's malloc: a start reads and drops a million documents on several
/// threads, and glibc's per-thread arenas kept about twice the live data resident (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => database::migrate(args),
        Command::Demo(args) => database::demo(args),
        Command::Import(Import::Catalog(args)) => catalog::import(args),
        Command::Import(Import::Rules(args)) => rules::import(args),
        Command::Import(Import::Offers(args)) => offers::import_offers_file(args),
        Command::Import(Import::OfferDiscounts(args)) => offers::import_discounts_file(args),
        Command::Export(Export::Catalog(args)) => catalog::export(args),
        Command::Export(Export::Offers(args)) => offers::export_offers_file(args),
        Command::Export(Export::OfferDiscounts(args)) => offers::export_discounts_file(args),
        Command::Codes(Codes::Generate(args)) => codes::generate(args),
        Command::Codes(Codes::Export(args)) => codes::export(args),
        Command::Codes(Codes::Distribute(args)) => codes::distribute_codes(args),
        Command::Eval(args) => eval::run(args),
        Command::Check(args) => check::run(args),
        Command::Price(args) => price::run(args),
        Command::ApiKeys(ApiKeys::Create(args)) => api_keys::create(args),
        Command::ApiKeys(ApiKeys::List(args)) => api_keys::list(args),
        Command::ApiKeys(ApiKeys::Revoke(args)) => api_keys::revoke(args),
        Command::Users(Users::Create(args)) => users::create(args),
        Command::Users(Users::List(args)) => users::list(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// Prints a failure on stderr and chooses the exit status. A stderr that cannot be written to is
/// ignored: the exit status still tells.
fn report(error: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    if let Some(invalid) = error.downcast_ref::<InvalidInput>() {
        let _ = writeln!(stderr, "error: {invalid}");
        for field_error in &invalid.errors {
            let _ = writeln!(stderr, "  {field_error}");
        }
        ExitCode::from(2)
    } else if let Some(usage) = error.downcast_ref::<clap::Error>() {
        // Already "error: …".
        let _ = write!(stderr, "{usage}");
        ExitCode::from(2)
    } else {
        let _ = writeln!(stderr, "error: {error:#}");
        ExitCode::from(1)
    }
}
