//! `remise import catalog FILE` and `remise export catalog`: products in CSV or JSON.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use remise_server::catalog_file::{FileFormat, import_into_store, write_products};
use remise_server::{ApiError, Limits};
use remise_store::{Actor, Kind, ListQuery};

use crate::database::{Database, runtime};
use crate::input::InvalidInput;
use crate::output::Stdout;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

impl From<Format> for FileFormat {
    fn from(format: Format) -> FileFormat {
        match format {
            Format::Csv => FileFormat::Csv,
            Format::Json => FileFormat::Json,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The catalog file: CSV (header sku,name,price,tax_rate,segments,brand,tags,attr.<key>;
    /// `;`-separated files, as French spreadsheets write them, may use decimal commas) or JSON
    /// (an array of products). Every bad line is reported, all at once.
    file: PathBuf,
    /// The file's format; by default, from its extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    database: Database,
}

fn format_of(args: &ImportArgs) -> Result<FileFormat> {
    if let Some(format) = args.format {
        return Ok(format.into());
    }
    match args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(FileFormat::Csv),
        Some("json") => Ok(FileFormat::Json),
        _ => anyhow::bail!(
            "cannot tell the format of {} from its extension: use --format csv|json",
            args.file.display()
        ),
    }
}

/// Turns the server's validation errors into the CLI's invalid-input report (exit status 2);
/// `what` is what the file should have held (`catalog`, `rules`).
pub fn invalid(file: &std::path::Path, what: &'static str, error: ApiError) -> anyhow::Error {
    match error {
        ApiError::Validation(problems) => InvalidInput {
            file: file.display().to_string(),
            what,
            errors: problems
                .into_iter()
                .map(|p| {
                    // A cell's value, where the message does not quote it already.
                    let message = match p.value {
                        Some(value) if !p.message.contains(&format!("`{value}`")) => {
                            format!("{} (found `{value}`)", p.message)
                        }
                        _ => p.message,
                    };
                    remise_engine::FieldError::new(p.field, message)
                })
                .collect(),
        }
        .into(),
        ApiError::InvalidJson { field, detail } => InvalidInput {
            file: file.display().to_string(),
            what,
            errors: vec![remise_engine::FieldError::new(
                field.unwrap_or_default(),
                detail,
            )],
        }
        .into(),
        other => anyhow::anyhow!("{other}"),
    }
}

pub fn import(args: &ImportArgs) -> Result<()> {
    let format = format_of(args)?;
    let file =
        File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        // The file is read, checked and written as one stream: the bar follows all three.
        let progress = ProgressBar::new(size).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        progress.set_message("importing");
        let imported = import_into_store(
            store.as_ref(),
            &Actor("cli".to_owned()),
            progress.wrap_read(file),
            format,
            Limits::default().import_rows,
        )
        .await;
        progress.finish_and_clear();
        let summary = imported.map_err(|e| invalid(&args.file, "catalog", e))?;
        println!(
            "{}: {} products read; {} created, {} updated, {} unchanged",
            args.file.display(),
            summary.created + summary.updated + summary.unchanged,
            summary.created,
            summary.updated,
            summary.unchanged
        );
        Ok(())
    })
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    database: Database,
}

pub fn export(args: &ExportArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let mut products = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list(
                    Kind::Product,
                    &ListQuery {
                        after: after.take(),
                        limit: 1000,
                        ..ListQuery::default()
                    },
                )
                .await?;
            let last = page.last().map(|r| r.id.clone());
            for record in page {
                products.push(serde_json::from_value(record.body)?);
            }
            match last {
                Some(id) => after = Some(id),
                None => break,
            }
        }
        let mut stdout = Stdout::new();
        let out: Box<dyn Write + '_> = match &args.output {
            Some(path) => Box::new(
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            ),
            None => Box::new(&mut stdout),
        };
        let mut out = BufWriter::new(out);
        let written =
            write_products(&products, args.format.into(), &mut out).and_then(|()| out.flush());
        drop(out);
        // `remise export catalog | head`: the reader had what it wanted.
        Ok(stdout.quietly(written)?)
    })
}
