//! `remise serve`: the HTTP API over a database, with the demo store on an empty one.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use remise_server::mail::MailConfig;
use remise_server::{Server, demo};

use crate::database::{Database, runtime};
use crate::mail_options::{self, MailOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "REMISE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    database: Database,
    /// Start with an empty store instead of loading the demo data into an empty database.
    #[arg(long)]
    no_demo: bool,
    #[command(flatten)]
    mail: MailOptions,
}

pub fn run(args: &Args) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REMISE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mail = args
        .mail
        .settings(std::env::var(mail_options::PASSWORD_VAR).ok())?;
    if let MailConfig::Smtp { relay, .. } = &mail.config
        && relay.sends_password_in_clear()
    {
        eprintln!(
            "warning: the SMTP password is sent in clear to {} (--smtp-tls none)",
            relay.describe()
        );
    }
    runtime()?.block_on(async {
        let store = args.database.open().await?;
        let loaded_demo = !args.no_demo && demo::is_empty(store.as_ref()).await?;
        if loaded_demo {
            demo::load(store.as_ref())
                .await
                .context("cannot load the demo data")?;
        }
        let server = Server::bind(store, args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?
            .with_mail(mail.clone());
        print_welcome(&server, &args.database.url, loaded_demo, &mail.config);
        server
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
                eprintln!("shutting down: finishing requests in flight");
            })
            .await
    })
}

fn print_welcome(server: &Server, database: &str, loaded_demo: bool, mail: &MailConfig) {
    let base = format!("http://{}", server.addr);
    println!("Remise is listening on {base} (database: {database})");
    println!("  e-mail:         {}", mail_options::describe(mail));
    println!("  API reference:  {base}/docs   (OpenAPI: {base}/openapi.json)");
    println!("  health:         {base}/health   metrics: {base}/metrics");
    if loaded_demo {
        println!("  demo data loaded (the toy shop). Demo API keys, for trying Remise out only:");
        println!("    storefront  {}", demo::STOREFRONT_KEY);
        println!("    management  {}", demo::MANAGEMENT_KEY);
        println!("  try:");
        println!(
            "    curl -s {base}/v1/carts/evaluate -H 'Authorization: Bearer {}' \\\n      -H 'Content-Type: application/json' -d @examples/toyshop.cart.json",
            demo::STOREFRONT_KEY
        );
    }
    println!("Press Ctrl-C to stop.");
}
