//! `remise codes generate` and `remise codes export`: batches of unique codes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use remise_server::{AppState, Limits, NewBatch, distribute, generate_batch, write_codes};
use remise_store::Actor;

use crate::database::{Database, runtime};
use crate::output::Stdout;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The new batch's id.
    #[arg(long)]
    batch: String,
    /// The promotion the codes unlock.
    #[arg(long)]
    promotion: String,
    /// How many codes.
    #[arg(long)]
    count: u32,
    /// Put before every code (e.g. NOEL-).
    #[arg(long, default_value = "")]
    prefix: String,
    /// Random characters per code (at least 9: 44 bits).
    #[arg(long, default_value_t = 10)]
    length: u32,
    /// X for a random character, anything else kept (XXXX-XXXX-XX); overrides --length.
    #[arg(long)]
    pattern: Option<String>,
    /// Uses allowed per code.
    #[arg(long, default_value_t = 1)]
    uses_per_code: u32,
    #[command(flatten)]
    database: Database,
}

pub fn generate(args: &GenerateArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let state = AppState::new(store, Limits::default()).await?;
        let progress = ProgressBar::new(u64::from(args.count)).with_style(
            ProgressStyle::with_template("generating [{bar:40}] {pos}/{len} codes ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let request = NewBatch {
            id: args.batch.clone(),
            promotion: args.promotion.clone(),
            quota: args.count,
            prefix: args.prefix.clone(),
            length: args.length,
            pattern: args.pattern.clone(),
            uses_per_code: args.uses_per_code,
            starts_at: None,
            ends_at: None,
        };
        let shown = progress.clone();
        let (batch, counts) =
            generate_batch(&state, &Actor("cli".to_owned()), request, &move |n| {
                shown.set_position(n)
            })
            .await
            .map_err(|e| {
                crate::catalog::invalid(std::path::Path::new("the command line"), "arguments", e)
            })?;
        progress.finish_and_clear();
        println!(
            "batch {}: {} codes generated for promotion {}",
            batch.id, counts.generated, batch.promotion
        );
        Ok(())
    })
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Only this batch's codes (default: every code).
    #[arg(long)]
    batch: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    database: Database,
}

/// CSV: code, promotion, batch, state, relay, created_at (the API's export).
pub fn export(args: &ExportArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let mut stdout = Stdout::new();
        let out: Box<dyn Write + '_> = match &args.output {
            Some(path) => Box::new(
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            ),
            None => Box::new(&mut stdout),
        };
        let written = write_codes(
            store.as_ref(),
            args.batch.as_deref(),
            None,
            BufWriter::new(out),
        )
        .await;
        // `remise codes export | head`: the reader had what it wanted.
        Ok(stdout.quietly(written)?)
    })
}

#[derive(Debug, clap::Args)]
pub struct DistributeArgs {
    /// The batch whose codes are handed out.
    #[arg(long)]
    batch: String,
    /// The relay that receives them (its id).
    #[arg(long)]
    relay: String,
    /// How many codes.
    #[arg(long)]
    count: u32,
    #[command(flatten)]
    database: Database,
}

/// Assigns codes to a relay and queues their e-mail (sent by `remise serve`'s mail worker).
pub fn distribute_codes(args: &DistributeArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let state = AppState::new(store, Limits::default()).await?;
        let distribution = distribute(
            &state,
            &Actor("cli".to_owned()),
            &args.batch,
            &args.relay,
            args.count,
        )
        .await
        .map_err(|e| {
            crate::catalog::invalid(std::path::Path::new("the command line"), "arguments", e)
        })?;
        println!(
            "distribution {}: {} codes of batch {} assigned to relay {}; their e-mail is queued",
            distribution.id, distribution.count, distribution.batch, distribution.relay
        );
        Ok(())
    })
}
