//! `remise serve`: the HTTP API over a database, with the demo store on an empty one.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use remise_server::mail::{MailConfig, MailSettings};
use remise_server::{Server, demo};

use crate::database::{Database, runtime};

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
    /// The SMTP server that sends distributed codes: HOST or HOST:PORT (plain SMTP, port 25 by
    /// default). Without it, e-mails are written as .eml files into --mail-dir.
    #[arg(long, env = "REMISE_SMTP", value_name = "HOST[:PORT]")]
    smtp: Option<String>,
    /// The From address of e-mails.
    #[arg(long, env = "REMISE_MAIL_FROM")]
    mail_from: Option<String>,
    /// Where e-mails go when no SMTP server is given.
    #[arg(long, env = "REMISE_MAIL_DIR", default_value = "outbox-mail")]
    mail_dir: PathBuf,
}

impl Args {
    fn mail(&self) -> Result<MailSettings> {
        let (host, port) = match self.smtp.as_deref() {
            None => (None, None),
            Some(text) => match text.rsplit_once(':') {
                Some((host, port)) => {
                    let port = port
                        .parse()
                        .with_context(|| format!("--smtp {text}: the port is not a number"))?;
                    (Some(host.to_owned()), Some(port))
                }
                None => (Some(text.to_owned()), None),
            },
        };
        let config = MailConfig::from_options(
            host,
            port,
            Some(self.mail_dir.clone()),
            self.mail_from.clone(),
        );
        Ok(MailSettings::new(config))
    }
}

pub fn run(args: &Args) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REMISE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mail = args.mail()?;
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
    match mail {
        MailConfig::Smtp { host, port, .. } => println!("  e-mail:         SMTP {host}:{port}"),
        MailConfig::Directory { path, .. } => println!(
            "  e-mail:         written to {} (no SMTP server: --smtp HOST:PORT)",
            path.display()
        ),
    }
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
