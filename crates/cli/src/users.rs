//! `remise users create|list`: back-office users straight in the database, so that a store
//! started without the demo can get its first administrator.

use anyhow::{Result, bail};
use remise_store::{Actor, Role, now_millis};

use crate::database::{Database, runtime};

/// The environment variable a script can set to give the new user's password without it
/// showing in the process list or the shell's history.
const PASSWORD_ENV: &str = "REMISE_USER_PASSWORD";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// Everything: users, API keys, settings.
    Admin,
    /// Catalog, campaigns, promotions, codes, offers.
    Marketer,
    /// Approves or rejects campaigns; reads everything.
    Approver,
    /// Reads everything, changes nothing.
    Viewer,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Admin => Role::Administrator,
            RoleArg::Marketer => Role::Marketer,
            RoleArg::Approver => Role::Approver,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The password comes from the REMISE_USER_PASSWORD environment variable \
                        when it is set (at least 10 characters); otherwise a random one is made \
                        and printed once on stdout."
)]
pub struct CreateArgs {
    /// The user's e-mail address, with which they sign in.
    #[arg(long)]
    email: String,
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The name the back office shows (default: the e-mail's local part).
    #[arg(long, default_value = "")]
    name: String,
    #[command(flatten)]
    database: Database,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: Database,
}

/// Creates a user; prints a generated password on stdout (shown once; only its hash is kept).
pub fn create(args: &CreateArgs) -> Result<()> {
    let (password, generated) = match std::env::var(PASSWORD_ENV) {
        Ok(password) => (password, false),
        Err(_) => {
            let mut bytes = [0u8; 12];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
            (hex::encode(bytes), true)
        }
    };
    let role = args.role.role();
    let user = match remise_server::office::new_user::new_user(
        &args.email,
        &args.name,
        role,
        &password,
        now_millis(),
    ) {
        Ok(user) => user,
        Err(error) => bail!(error),
    };
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        match store.create_user(&Actor("cli".to_owned()), &user).await {
            Ok(user) => {
                eprintln!(
                    "created the {} `{}` ({})",
                    role.as_str(),
                    user.email,
                    user.id
                );
                if generated {
                    eprintln!("their password, shown this once:");
                    println!("{password}");
                }
                Ok(())
            }
            Err(remise_store::Error::AlreadyExists { .. }) => {
                bail!("a user with the e-mail `{}` already exists", user.email)
            }
            Err(error) => Err(error.into()),
        }
    })
}

/// Lists the users: id, e-mail, role, active or not, name.
pub fn list(args: &ListArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        for user in store.list_users().await? {
            let state = if user.active { "active" } else { "inactive" };
            println!(
                "{}\t{}\t{}\t{}\t{}",
                user.id,
                user.email,
                user.role.as_str(),
                state,
                user.name
            );
        }
        Ok(())
    })
}
