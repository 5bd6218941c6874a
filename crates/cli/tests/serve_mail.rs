//! `remise serve` with a relay that wants STARTTLS and a password: the options as an operator
//! gives them (flags, the password in the environment or a file, the relay's CA file), the codes
//! of a distribution delivered encrypted and authenticated to a real SMTP server on loopback, and
//! the password never shown. Mistakes in the options are refused before anything starts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use remise_test_support::TestSqlite;
use remise_test_support::smtp::{SinkOptions, SinkTls, SmtpSink};
use serde_json::{Value, json};

const USER: &str = "mailer";
const PASSWORD: &str = "pa55-w0rd-never-shown";
const MANAGEMENT: &str = "rk_demo_management";

fn remise() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_remise"));
    // The test's own environment must not configure the server.
    for (name, _) in std::env::vars() {
        if name.starts_with("REMISE_") && name != "REMISE_TEST_POSTGRES_URL" {
            command.env_remove(name);
        }
    }
    command
}

/// A running `remise serve`, killed when dropped.
struct Served {
    child: Child,
    base: String,
    welcome: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `remise serve` on a free port and waits for its welcome text.
fn serve(db: &TestSqlite, args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut child = remise()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &db.url])
        .args(["--mail-dir", &db.dir().join("mail").display().to_string()])
        .args(args)
        .envs(envs.iter().copied())
        .env("REMISE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start remise serve");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut welcome = String::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no complete welcome text: {welcome}"));
        welcome.push_str(&line);
        welcome.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let base = welcome
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .expect("the address in the welcome text")
        .to_owned();
    Served {
        child,
        base,
        welcome,
    }
}

async fn post(client: &reqwest::Client, base: &str, path: &str, body: Value) -> Value {
    let response = client
        .post(format!("{base}{path}"))
        .bearer_auth(MANAGEMENT)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON answer");
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a file");
    path
}

async fn distribute_and_receive(served: &Served, sink: &SmtpSink) {
    let client = reqwest::Client::new();
    let base = served.base.as_str();
    post(
        &client,
        base,
        "/v1/promotions",
        json!({ "id": "giardino", "name": "Giardino", "conditions": {"coupon": {"codes": []}},
                "targets": {"all": true}, "offer": {"type": "cart_amount_off", "amount": "20.00"} }),
    )
    .await;
    post(
        &client,
        base,
        "/v1/batches",
        json!({ "id": "ot", "promotion": "giardino", "quota": 5, "prefix": "OT-" }),
    )
    .await;
    post(
        &client,
        base,
        "/v1/relays",
        json!({ "id": "ot-annecy", "name": "Office du Tourisme d'Annecy",
                "email": "codes@ot-annecy.example", "language": "fr" }),
    )
    .await;
    post(
        &client,
        base,
        "/v1/batches/ot/distributions",
        json!({ "relay": "ot-annecy", "count": 3 }),
    )
    .await;
    let received = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 1, "the worker delivered the codes");
    assert!(received[0].encrypted, "over TLS");
    assert_eq!(received[0].user.as_deref(), Some(USER));
    assert_eq!(received[0].recipients, ["codes@ot-annecy.example"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_over_starttls_with_the_password_from_the_environment() {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::StartTls,
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await
    .expect("start the sink");
    let db = TestSqlite::new();
    let ca = write(db.dir(), "relay-ca.pem", sink.ca_pem().expect("a CA"));
    let relay = format!("127.0.0.1:{}", sink.port());
    let ca = ca.display().to_string();
    let served = serve(
        &db,
        &["--smtp", &relay, "--smtp-user", USER, "--smtp-ca-file", &ca],
        &[("REMISE_SMTP_PASSWORD", PASSWORD)],
    );
    assert!(
        served
            .welcome
            .contains(&format!("SMTP {relay}, STARTTLS, as {USER} (CA file {ca})")),
        "{}",
        served.welcome
    );
    assert!(!served.welcome.contains(PASSWORD), "{}", served.welcome);
    distribute_and_receive(&served, &sink).await;
    sink.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_over_implicit_tls_with_the_password_from_a_file() {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit,
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await
    .expect("start the sink");
    let db = TestSqlite::new();
    let ca = write(db.dir(), "relay-ca.pem", sink.ca_pem().expect("a CA"));
    let password = write(db.dir(), "password", &format!("{PASSWORD}\n"));
    let relay = format!("127.0.0.1:{}", sink.port());
    let served = serve(
        &db,
        &[
            "--smtp",
            &relay,
            "--smtp-tls",
            "tls",
            "--smtp-user",
            USER,
            "--smtp-password-file",
            &password.display().to_string(),
        ],
        // The CA file through the environment, as a container would set it.
        &[("REMISE_SMTP_CA_FILE", &ca.display().to_string())],
    );
    assert!(
        served
            .welcome
            .contains(&format!("SMTP {relay}, TLS, as {USER}")),
        "{}",
        served.welcome
    );
    distribute_and_receive(&served, &sink).await;
    sink.stop().await;
}

/// `remise serve` with `args` and `envs` is refused with exit status 2 and `message` on stderr,
/// and leaves no database behind.
fn refused(args: &[&str], envs: &[(&str, &str)], message: &str) {
    let db = TestSqlite::new();
    let output = remise()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &db.url])
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run remise serve");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    assert!(!db.path.exists(), "{args:?}: no database is created");
}

#[test]
fn mistakes_in_the_mail_options_are_refused_before_starting() {
    let dir = TestSqlite::new();
    let junk = write(dir.dir(), "junk.pem", "not a certificate");
    let junk = junk.display().to_string();
    let password = [("REMISE_SMTP_PASSWORD", PASSWORD)];
    refused(
        &["--smtp", "relay.example", "--smtp-user", USER],
        &[],
        "--smtp-user is given without a password: set REMISE_SMTP_PASSWORD",
    );
    refused(
        &["--smtp", "relay.example"],
        &password,
        "without --smtp-user",
    );
    refused(
        &["--smtp", "relay.example", "--smtp-tls", "ssl"],
        &[],
        "`ssl` is not a TLS mode: expected one of none, starttls, tls",
    );
    refused(
        &[
            "--smtp",
            "relay.example",
            "--smtp-user",
            USER,
            "--smtp-ca-file",
            &junk,
        ],
        &password,
        "junk.pem: no PEM certificate",
    );
    refused(
        &["--smtp", "relay.example:smtp"],
        &[],
        "the port is not a number",
    );
    refused(
        &["--smtp-user", USER],
        &password,
        "--smtp-user is given without --smtp",
    );
    let file = write(dir.dir(), "password", PASSWORD);
    refused(
        &[
            "--smtp",
            "relay.example",
            "--smtp-user",
            USER,
            "--smtp-password-file",
            &file.display().to_string(),
        ],
        &password,
        "both REMISE_SMTP_PASSWORD and --smtp-password-file are given",
    );
}
