//! `remise api-keys create|list|revoke`: API keys straight in the database, so that a store
//! started without the demo (`serve --no-demo`) can get its first key.

use anyhow::{Result, bail};
use remise_store::{Actor, Scope};

use crate::database::{Database, runtime};

/// Who the audit log says made a change from the command line.
fn actor() -> Actor {
    Actor("cli".to_owned())
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScopeArg {
    /// Every route (the back office, imports, settings, keys).
    Management,
    /// The shop's routes: carts, prices, codes and redemptions.
    Storefront,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// A name saying who uses the key (1 to 100 characters).
    #[arg(long)]
    name: String,
    #[arg(long, value_enum)]
    scope: ScopeArg,
    #[command(flatten)]
    database: Database,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: Database,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The key's id (`key_…`, as `remise api-keys list` shows it).
    id: String,
    #[command(flatten)]
    database: Database,
}

/// Creates a key: the secret alone on stdout (for scripts), what it is on stderr. It is shown
/// this once; the database keeps only its hash.
pub fn create(args: &CreateArgs) -> Result<()> {
    let scope = match args.scope {
        ScopeArg::Management => Scope::Management,
        ScopeArg::Storefront => Scope::Storefront,
    };
    let (key, secret) = remise_server::new_key(&args.name, scope).map_err(|_| {
        clap::Error::raw(
            clap::error::ErrorKind::InvalidValue,
            "error: --name must be 1 to 100 characters\n",
        )
    })?;
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        store.create_api_key(&actor(), &key).await?;
        eprintln!(
            "created the {} key `{}` ({}); its secret, shown this once:",
            scope.as_str(),
            key.name,
            key.id
        );
        println!("{secret}");
        Ok(())
    })
}

/// Lists the keys, revoked ones included, without their secrets.
pub fn list(args: &ListArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let keys = store.list_api_keys().await?;
        if keys.is_empty() {
            eprintln!("no API key: create one with `remise api-keys create --name NAME --scope management`");
        }
        for key in keys {
            let state = if key.revoked_at.is_some() { "revoked" } else { "active" };
            println!(
                "{}\t{}\t{}\t{}…\t{}",
                key.id,
                key.scope.as_str(),
                state,
                key.prefix,
                key.name
            );
        }
        Ok(())
    })
}

/// Revokes a key: it stops working on every instance within a poll.
pub fn revoke(args: &RevokeArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        match store.revoke_api_key(&actor(), &args.id).await {
            Ok(key) => {
                eprintln!("revoked the key `{}` ({})", key.name, key.id);
                Ok(())
            }
            Err(remise_store::Error::NotFound { .. }) => bail!("no API key `{}`", args.id),
            Err(error) => Err(error.into()),
        }
    })
}
