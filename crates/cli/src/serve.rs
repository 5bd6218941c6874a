//! `remise serve`: the HTTP API over a database, with the demo store on an empty one.
//!
//! Start-up binds the port before it opens (and perhaps creates) the database, so that a failed
//! start leaves nothing behind. SIGTERM (systemd, Docker, Kubernetes) and SIGINT (Ctrl-C) stop the
//! server gracefully: no new connections, requests in flight finish, within a deadline; a second
//! signal stops it at once.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Duration;

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
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish, in seconds; past
    /// it the process exits (status 1) even if some are still running. A second signal exits
    /// at once.
    #[arg(
        long,
        env = "REMISE_SHUTDOWN_TIMEOUT",
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    shutdown_timeout: u64,
    /// Log lines on stderr: `text` (coloured only on a terminal) or `json` (one object per
    /// line). The level is set by REMISE_LOG (e.g. `info`, `remise_server=debug`).
    #[arg(long, env = "REMISE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn run(args: &Args) -> Result<()> {
    init_logs(args.log_format);
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
    let deadline = Duration::from_secs(args.shutdown_timeout);
    let runtime = runtime()?;
    let outcome = runtime.block_on(async {
        // Before the database: a port already taken must not leave a new database behind.
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let mut signals = Signals::new()?;
        let store = args.database.open().await?;
        let loaded_demo = !args.no_demo && demo::is_empty(store.as_ref()).await?;
        if loaded_demo {
            demo::load(store.as_ref())
                .await
                .context("cannot load the demo data")?;
        }
        let server = Server::on_listener(store, listener)
            .await?
            .with_mail(mail.clone());
        print_welcome(&server, &args.database.url, loaded_demo, &mail.config);
        let keys = server.state.store.list_api_keys().await?;
        if keys.iter().all(|k| k.revoked_at.is_some()) {
            println!(
                "  no API key yet: create the first one with\n    \
                 remise api-keys create --name admin --scope management --database {}",
                args.database.url
            );
        }
        tracing::info!(addr = %server.addr, "listening");
        serve_until_stopped(server, &mut signals, deadline).await
    })?;
    match outcome {
        Stopped::Gracefully => Ok(()),
        Stopped::Cut(why) => {
            // Requests still running (and their blocking work) are abandoned, not awaited.
            runtime.shutdown_background();
            anyhow::bail!("{why}: requests still in flight were cut")
        }
    }
}

/// How the server stopped.
enum Stopped {
    /// Every request in flight finished.
    Gracefully,
    /// The deadline passed or a second signal came first; says which.
    Cut(String),
}

/// Serves until a signal, then lets requests in flight finish within `deadline`.
async fn serve_until_stopped(
    server: Server,
    signals: &mut Signals,
    deadline: Duration,
) -> Result<Stopped> {
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let serving = server.run(async {
        let _ = stopping.await;
    });
    tokio::pin!(serving);
    let signal = tokio::select! {
        served = &mut serving => return served.map(|()| Stopped::Gracefully),
        signal = signals.next() => signal,
    };
    tracing::info!(
        signal,
        deadline_seconds = deadline.as_secs(),
        "shutting down: finishing requests in flight (a second signal stops at once)"
    );
    let _ = stop.send(());
    tokio::select! {
        // A server that has finished wins over a deadline that passes at the same time.
        biased;
        served = &mut serving => {
            served?;
            tracing::info!("stopped: every request in flight finished");
            Ok(Stopped::Gracefully)
        }
        () = tokio::time::sleep(deadline) => Ok(Stopped::Cut(format!(
            "the shutdown deadline ({} s) passed",
            deadline.as_secs()
        ))),
        signal = signals.next() => Ok(Stopped::Cut(format!("{signal} again"))),
    }
}

/// SIGTERM and SIGINT (Ctrl-C), received as many times as they come.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    /// Listens from now on: a signal received while the database opens is not lost.
    fn new() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Logs on stderr, coloured only when it is a terminal (and NO_COLOR is not set), or as JSON.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REMISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            logs.with_ansi(colour).init();
        }
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
}

fn print_welcome(server: &Server, database: &str, loaded_demo: bool, mail: &MailConfig) {
    let base = format!("http://{}", server.addr);
    println!("Remise is listening on {base} (database: {database})");
    println!("  e-mail:         {}", mail_options::describe(mail));
    println!("  API reference:  {base}/docs   (OpenAPI: {base}/openapi.json)");
    println!("  health:         {base}/health   metrics: {base}/metrics");
    println!(
        "  back office:    {base}/office   (sign in; no user yet? `remise users create --email … --role admin`)"
    );
    if loaded_demo {
        println!("  demo back-office users (change these passwords on a real store):");
        for (email, _, role, password) in demo::USERS {
            println!("    {:<14} {email:<28} {password}", role.as_str());
        }
        println!("  demo data loaded (the toy shop). Demo API keys, for trying Remise out only:");
        println!("    storefront  {}", demo::STOREFRONT_KEY);
        println!("    management  {}", demo::MANAGEMENT_KEY);
        println!("  try:");
        println!(
            "    curl -s {base}/v1/carts/evaluate -H 'Authorization: Bearer {}' \\\n      -H 'Content-Type: application/json' -d @examples/toyshop.cart.json",
            demo::STOREFRONT_KEY
        );
    }
    println!("Press Ctrl-C to stop (or send SIGTERM).");
}
