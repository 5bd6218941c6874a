//! `remise import rules FILE`: a rule file or NDJSON documents into the database, all or nothing,
//! through the same library function as `POST /v1/import/rules`.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use remise_server::rules_file::{RulesFormat, read_rules};
use remise_server::rules_import::{Stage, import_rules};
use remise_server::{AppState, Limits};
use remise_store::{Actor, Outcome};

use crate::catalog::invalid;
use crate::database::{Database, runtime};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A `remise.rules/1` rule file.
    Rules,
    /// One `{"<kind>": {document}}` object a line.
    Ndjson,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A rule file (`.json`: its customer groups, segments, products, selections and
    /// promotions) or NDJSON (`.ndjson`, `.jsonl`: one `{"promotion": {…}}`, `{"campaign": {…}}`,
    /// `{"segment": {…}}`, `{"selection": {…}}`, `{"customer_group": {…}}` or `{"product": {…}}`
    /// a line). Every error is reported, all at once, with its path in the file.
    file: PathBuf,
    /// The file's format; by default, from its extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Check the file and print what would be created or updated; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    database: Database,
}

fn format_of(args: &ImportArgs) -> Result<RulesFormat> {
    match args.format {
        Some(Format::Rules) => return Ok(RulesFormat::Rules),
        Some(Format::Ndjson) => return Ok(RulesFormat::Ndjson),
        None => {}
    }
    match args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Ok(RulesFormat::Rules),
        Some("ndjson" | "jsonl") => Ok(RulesFormat::Ndjson),
        _ => anyhow::bail!(
            "cannot tell the format of {} from its extension: use --format rules|ndjson",
            args.file.display()
        ),
    }
}

pub fn import(args: &ImportArgs) -> Result<()> {
    let format = format_of(args)?;
    let file =
        File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("reading");
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    progress
        .wrap_read(file)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    progress.finish_and_clear();
    let limits = Limits::default();
    // The documents' own problems are reported with those found against the store, all at once.
    let rules = read_rules(&bytes, format, limits.import_rows)
        .map_err(|e| invalid(&args.file, "rules", e))?;
    drop(bytes);
    let count = rules.len();
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let state = AppState::new(store, limits).await?;
        let spinner = ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(100));
        let shown = spinner.clone();
        let dry_run = args.dry_run;
        let on_stage = move |stage: Stage| {
            shown.set_message(match stage {
                Stage::Checking => format!("checking {count} documents"),
                Stage::Writing if dry_run => format!("comparing {count} documents"),
                Stage::Writing => format!("writing {count} documents"),
            })
        };
        let report = import_rules(
            &state,
            &Actor("cli".to_owned()),
            rules,
            args.dry_run,
            &on_stage,
        )
        .await
        .map_err(|e| invalid(&args.file, "rules", e))?;
        spinner.finish_and_clear();
        if report.dry_run {
            // What the import would change, one document a line.
            for document in &report.documents {
                let verb = match document.outcome {
                    Outcome::Created => "create",
                    Outcome::Updated => "update",
                    Outcome::Unchanged => continue,
                };
                println!(
                    "would {verb} {} {}",
                    document.kind.as_str().replace('_', " "),
                    document.id
                );
            }
        }
        println!(
            "{}: {count} documents read; {}",
            args.file.display(),
            crate::output::outcomes(
                report.created,
                report.updated,
                report.unchanged,
                report.dry_run,
            )
        );
        Ok(())
    })
}
