//! The `--database` option shared by the commands that use a store, and `remise migrate`.

use std::sync::Arc;

use anyhow::{Context, Result};
use remise_store::Store;

/// Where the data is: `sqlite://PATH` (created on first use) or `postgres://…`.
#[derive(Debug, Clone, clap::Args)]
pub struct Database {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(
        long = "database",
        env = "REMISE_DATABASE_URL",
        default_value = "sqlite://remise.db"
    )]
    pub url: String,
}

impl Database {
    /// Opens the store and applies pending migrations.
    pub async fn open(&self) -> Result<Arc<dyn Store>> {
        let store = remise_store::open(&self.url)
            .await
            .with_context(|| format!("cannot open the database {}", self.url))?;
        store
            .migrate()
            .await
            .with_context(|| format!("cannot migrate the database {}", self.url))?;
        Ok(store)
    }
}

/// A runtime for the commands that talk to a database or serve.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: Database,
}

/// `remise migrate`: applies pending migrations and says so.
pub fn migrate(args: &MigrateArgs) -> Result<()> {
    runtime()?.block_on(async {
        args.database.open().await?;
        println!("{}: migrations applied", args.database.url);
        Ok(())
    })
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    database: Database,
}

/// `remise demo`: loads the demo store (replacing documents with the same ids).
pub fn demo(args: &DemoArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        remise_server::demo::load(store.as_ref()).await?;
        println!(
            "{}: demo data loaded (the toy shop); demo keys: {} (storefront), {} (management)",
            args.database.url,
            remise_server::demo::STOREFRONT_KEY,
            remise_server::demo::MANAGEMENT_KEY
        );
        Ok(())
    })
}
