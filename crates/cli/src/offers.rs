//! `remise import offers FILE`, `remise import offer-discounts FILE` and `remise export offers`,
//! `remise export offer-discounts`: B2B offers in seed 004's CSV and their commitments and
//! discounts, through the same library functions as `POST /v1/import/offers` and
//! `GET /v1/exports/offers` (docs/offers-csv.md).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use remise_server::offers_file::{
    ExportFile, ImportOptions, OfferFiles, Separator, Stage, export_store, import_offers,
};
use remise_server::{AppState, Limits};
use remise_store::{Actor, Outcome};

use crate::catalog::invalid;
use crate::database::{Database, runtime};
use crate::output::Stdout;

#[derive(Debug, clap::Args)]
pub struct ImportOffersArgs {
    /// The offers file (seed 004's columns: Code;Type;Libelle type;Intitulé;Type de
    /// périmètre;Code périmètre;Libellé périmètre;Date début;Date fin;Afficher l'offre sur la
    /// boutique virtuelle), `;` or `,` separated, UTF-8 with or without a BOM. Offers are
    /// created or updated by code; every bad row is reported, all at once.
    file: PathBuf,
    /// A file of commitments and discounts imported with it, in the same transaction (its rows
    /// may name the offers this file creates).
    #[arg(long)]
    discounts: Option<PathBuf>,
    /// Check the file and print what would be created or updated; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    database: Database,
}

#[derive(Debug, clap::Args)]
pub struct ImportDiscountsArgs {
    /// The commitments and discounts file (Code offre;Numéro engagement;Début engagement;Fin
    /// engagement;Code remise;Référence produit;Code secteur;Prix;Pourcentage;Quantité
    /// minimum;Paliers), one discount a row, upserted by offer, commitment number and code.
    file: PathBuf,
    /// An offers file imported with it, in the same transaction.
    #[arg(long)]
    offers: Option<PathBuf>,
    /// The commitments of each offer the file names become the file's only (the others are
    /// removed); by default the file changes only what it names.
    #[arg(long)]
    replace: bool,
    /// Check the file and print what would be created or updated; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    database: Database,
}

/// Reads a file whole, with a progress bar.
fn read(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message(format!("reading {}", path.display()));
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    progress
        .wrap_read(file)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    progress.finish_and_clear();
    Ok(bytes)
}

pub fn import_offers_file(args: &ImportOffersArgs) -> Result<()> {
    let files = OfferFiles {
        offers: Some(read(&args.file)?),
        discounts: args.discounts.as_deref().map(read).transpose()?,
    };
    let options = ImportOptions {
        dry_run: args.dry_run,
        replace: false,
    };
    import(&args.file, files, options, &args.database)
}

pub fn import_discounts_file(args: &ImportDiscountsArgs) -> Result<()> {
    let files = OfferFiles {
        offers: args.offers.as_deref().map(read).transpose()?,
        discounts: Some(read(&args.file)?),
    };
    let options = ImportOptions {
        dry_run: args.dry_run,
        replace: args.replace,
    };
    import(&args.file, files, options, &args.database)
}

fn import(
    path: &Path,
    files: OfferFiles<Vec<u8>>,
    options: ImportOptions,
    database: &Database,
) -> Result<()> {
    runtime()?.block_on(async {
        let store = database.open().await?;
        let limits = Limits::default();
        let spinner = ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(100));
        spinner.set_message("loading the store");
        let state = AppState::new(store, limits).await?;
        let shown = spinner.clone();
        let dry_run = options.dry_run;
        let on_stage = move |stage: Stage| {
            shown.set_message(match stage {
                Stage::Reading => "reading the rows",
                Stage::Checking => "checking the offers",
                Stage::Writing if dry_run => "comparing",
                Stage::Writing => "writing the offers",
            })
        };
        let report = import_offers(
            &state,
            &Actor("cli".to_owned()),
            files,
            options,
            limits.import_rows,
            &on_stage,
        )
        .await;
        spinner.finish_and_clear();
        let report = report.map_err(|e| invalid(path, "offers", e))?;
        if report.dry_run {
            for offer in &report.offers {
                let verb = match offer.outcome {
                    Outcome::Created => "create",
                    Outcome::Updated => "update",
                    Outcome::Unchanged => continue,
                };
                println!("would {verb} offer {}", offer.code);
            }
        }
        println!(
            "{}: {} rows read, {} offers; {}",
            path.display(),
            report.rows,
            report.offers.len(),
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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SeparatorArg {
    /// `;`, decimal commas, a BOM: what French Excel opens.
    Semicolon,
    /// `,`, decimal points, no BOM.
    Comma,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "semicolon")]
    separator: SeparatorArg,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    database: Database,
}

pub fn export_offers_file(args: &ExportArgs) -> Result<()> {
    export(args, ExportFile::Offers)
}

pub fn export_discounts_file(args: &ExportArgs) -> Result<()> {
    export(args, ExportFile::Discounts)
}

fn export(args: &ExportArgs, file: ExportFile) -> Result<()> {
    let separator = match args.separator {
        SeparatorArg::Semicolon => Separator::Semicolon,
        SeparatorArg::Comma => Separator::Comma,
    };
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let mut stdout = Stdout::new();
        let out: Box<dyn Write + '_> = match &args.output {
            Some(path) => Box::new(
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            ),
            None => Box::new(&mut stdout),
        };
        let spinner = ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(100));
        let shown = spinner.clone();
        let on_page = move |count: u64| shown.set_message(format!("{count} offers written"));
        let written = export_store(
            store.as_ref(),
            file,
            separator,
            BufWriter::new(out),
            &on_page,
        )
        .await;
        spinner.finish_and_clear();
        // `remise export offers | head`: the reader had what it wanted.
        stdout.quietly(written)
    })
}
