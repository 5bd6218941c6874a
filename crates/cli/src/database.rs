//! The `--database` option shared by the commands that use a store, and `remise migrate`.

use std::sync::Arc;

use anyhow::{Context, Result};
use remise_store::{Kind, ListQuery, Store};

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
    /// Load the demo even into a database that already holds documents (the demo's replace
    /// those with the same ids).
    #[arg(long)]
    force: bool,
}

/// `remise demo`: loads the demo store, into an empty database unless `--force` (it replaces
/// documents with the same ids).
pub fn demo(args: &DemoArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let held = kinds_held(store.as_ref()).await?;
        if !held.is_empty() && !args.force {
            anyhow::bail!(
                "{} already holds data (documents of kind {}): the demo would replace documents with the same ids; \
                 nothing was changed (use --force to load it anyway)",
                args.database.url,
                held.join(", ")
            );
        }
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

/// The kinds of document the store holds at least one of. The settings do not count: the server
/// writes default ones into any database it opens.
async fn kinds_held(store: &dyn Store) -> Result<Vec<&'static str>> {
    let one = ListQuery {
        limit: 1,
        ..ListQuery::default()
    };
    let mut held = Vec::new();
    for kind in Kind::ALL {
        if kind != Kind::Settings && !store.list(kind, &one).await?.is_empty() {
            held.push(kind.as_str());
        }
    }
    Ok(held)
}
