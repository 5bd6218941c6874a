//! Runs the built `remise` binary as an operator would: `remise serve` stopped by signals, a start
//! that fails, its logs, and the commands that must not surprise (`demo` on a shop's database,
//! imports with many bad lines or French spreadsheets, exports into a pipe that closes early).

#![allow(clippy::expect_used)] // a test that cannot start the binary or write its files should fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The workspace root: example paths are relative to it, as in the README.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("operations-tests")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("remise.db").display())
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn remise(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("run remise");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

fn success(run: &Run) {
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
}

/// A `remise serve` process on a free loopback port, its stderr collected as it comes.
struct Serve {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
    _dir: PathBuf,
}

impl Serve {
    fn start(test: &str, extra: &[&str]) -> Serve {
        let dir = temp_dir(test);
        let url = sqlite_url(&dir);
        let mail = dir.join("mail");
        let mut child = Command::new(env!("CARGO_BIN_EXE_remise"))
            .args(["serve", "--addr", "127.0.0.1:0", "--database", &url])
            .arg("--mail-dir")
            .arg(&mail)
            .args(extra)
            .env_remove("REMISE_LOG")
            .env_remove("NO_COLOR")
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start remise serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let collected = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                collected.lock().expect("stderr lock").push_str(&text);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the welcome line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| {
                panic!(
                    "no address in {line:?}; stderr: {}",
                    stderr.lock().expect("lock")
                )
            })
            .to_owned();
        // The rest of stdout is drained, so that the server never blocks on a full pipe.
        thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        Serve {
            child,
            addr,
            stderr,
            _dir: dir,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Waits until stderr contains `text`.
    fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no {text:?} on stderr:\n{}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The exit status, if the process ends within `limit`.
    fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader thread take the last lines.
                thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            if start.elapsed() > limit {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// A cart evaluation whose body is only half sent: a request in flight until `finish`.
    fn request_in_flight(&self) -> InFlight {
        let body = std::fs::read_to_string(root().join("examples/toyshop.cart.json"))
            .expect("the example cart");
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        let head = format!(
            "POST /v1/carts/evaluate HTTP/1.1\r\nHost: {}\r\n\
             Authorization: Bearer rk_demo_storefront\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        let (first, rest) = body.split_at(body.len() / 2);
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(first.as_bytes()))
            .expect("send half a request");
        // Time for the server to start handling it (generous: the machine may be busy).
        thread::sleep(Duration::from_secs(1));
        InFlight {
            stream,
            rest: rest.to_owned(),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct InFlight {
    stream: TcpStream,
    rest: String,
}

impl InFlight {
    /// Sends the rest of the body and returns the whole response.
    fn finish(mut self) -> String {
        self.stream
            .write_all(self.rest.as_bytes())
            .expect("send the rest");
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut response = String::new();
        self.stream
            .read_to_string(&mut response)
            .expect("read the response");
        response
    }
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let mut serve = Serve::start("sigterm", &[]);
    let request = serve.request_in_flight();
    serve.signal("TERM");
    serve.wait_for("shutting down");
    assert_eq!(
        serve.exit_within(Duration::from_millis(500)),
        None,
        "the server stopped with a request in flight:\n{}",
        serve.stderr()
    );
    let response = request.finish();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let status = serve
        .exit_within(Duration::from_secs(10))
        .expect("the server stops once the request is done");
    let stderr = serve.stderr();
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    // stderr is a pipe here, not a terminal: no colour codes.
    assert!(!stderr.contains('\x1b'), "ANSI codes in:\n{stderr:?}");
}

#[test]
fn the_shutdown_deadline_cuts_requests_still_running() {
    let mut serve = Serve::start("deadline", &["--shutdown-timeout", "1"]);
    let _request = serve.request_in_flight();
    let start = Instant::now();
    serve.signal("TERM");
    let status = serve
        .exit_within(Duration::from_secs(10))
        .expect("the deadline ends the wait");
    let stderr = serve.stderr();
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "stopped before the deadline"
    );
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("the shutdown deadline (1 s) passed: requests still in flight were cut"),
        "{stderr}"
    );
}

#[test]
fn a_second_signal_exits_at_once() {
    let mut serve = Serve::start("second-signal", &["--shutdown-timeout", "300"]);
    let _request = serve.request_in_flight();
    serve.signal("TERM");
    serve.wait_for("shutting down");
    serve.signal("INT");
    let status = serve
        .exit_within(Duration::from_secs(5))
        .expect("a second signal stops the server at once");
    let stderr = serve.stderr();
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("SIGINT again: requests still in flight were cut"),
        "{stderr}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let mut serve = Serve::start("json-logs", &["--log-format", "json"]);
    serve.signal("TERM");
    let status = serve.exit_within(Duration::from_secs(10)).expect("stops");
    let stderr = serve.stderr();
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect();
    assert!(
        lines.iter().any(|l| l["level"] == "INFO"
            && l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("shutting down"))
            && l["fields"]["signal"] == "SIGTERM"),
        "{stderr}"
    );
}

#[test]
fn a_taken_port_fails_the_start_and_creates_no_database() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let dir = temp_dir("port-taken");
    let db = dir.join("x.db");
    let url = format!("sqlite://{}", db.display());
    let run = remise(&["serve", "--addr", &addr, "--database", &url]);
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("error: cannot listen on {addr}")),
        "{}",
        run.stderr
    );
    assert!(!db.exists(), "a failed start created {}", db.display());
    let left: Vec<_> = std::fs::read_dir(&dir).expect("read dir").collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn demo_refuses_a_database_that_holds_data_unless_forced() {
    let dir = temp_dir("demo-force");
    let url = sqlite_url(&dir);
    let csv = dir.join("one.csv");
    std::fs::write(&csv, "sku,name,price\nTHE-ONE,Ours,7.00\n").expect("write");
    let csv = csv.to_str().expect("utf-8 path");
    success(&remise(&["import", "catalog", csv, "--database", &url]));

    let refused = remise(&["demo", "--database", &url]);
    assert_eq!(refused.code, Some(1), "stderr:\n{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("already holds data (documents of kind product)")
            && refused.stderr.contains("nothing was changed (use --force"),
        "{}",
        refused.stderr
    );
    let export = remise(&["export", "catalog", "--database", &url]);
    success(&export);
    assert_eq!(export.stdout.lines().count(), 2, "{}", export.stdout);

    success(&remise(&["demo", "--database", &url, "--force"]));
    let export = remise(&["export", "catalog", "--database", &url]);
    success(&export);
    assert!(export.stdout.contains("THE-ONE"), "{}", export.stdout);
    assert!(export.stdout.lines().count() > 2, "{}", export.stdout);
}

#[test]
fn a_catalog_import_reports_every_bad_line_at_once() {
    let dir = temp_dir("import-every-line");
    let url = sqlite_url(&dir);
    // One line the file reader refuses, two that only the check against the store refuses.
    let csv = "sku,name,price,segments\n\
               OK-1,Fine,1.00,\n\
               BAD-PRICE,Oops,abc,\n\
               NEGATIVE,Less,-2.00,\n\
               OK-2,Fine,2.00,\n\
               LOST,Lost,3.00,nowhere\n";
    let file = dir.join("bad.csv");
    std::fs::write(&file, csv).expect("write");
    let run = remise(&[
        "import",
        "catalog",
        file.to_str().expect("utf-8 path"),
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    // In the order of the file, though found in two passes.
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("  line "))
        .collect();
    assert_eq!(
        errors,
        [
            "  line 3: price: `abc` is not a decimal number (use a point: 12.50)",
            "  line 4: price: must not be negative (got -2.00)",
            "  line 6: segments[0]: unknown segment `nowhere`",
        ],
        "{}",
        run.stderr
    );
}

/// A large file is read, checked and written as one stream: problems on lines far apart are all
/// reported, and nothing was written, though earlier chunks were already in the transaction.
#[test]
fn a_large_catalog_with_errors_far_apart_is_refused_whole() {
    let dir = temp_dir("import-large");
    let url = sqlite_url(&dir);
    let mut lines = vec!["sku,name,price,segments".to_owned()];
    lines.extend((0..20_000).map(|i| format!("BIG-{i:05},Big {i},1.00,")));
    lines[2] = "BIG-00001,Big 1,abc,".to_owned();
    lines[12_345] = "BIG-12344,Big 12344,1.00,nowhere".to_owned();
    lines[20_000] = "BIG-00002,Again,1.00,".to_owned();
    let file = dir.join("big.csv");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let file = file.to_str().expect("utf-8 path");
    let run = remise(&["import", "catalog", file, "--database", &url]);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("  line "))
        .collect();
    assert_eq!(
        errors,
        [
            "  line 3: price: `abc` is not a decimal number (use a point: 12.50)",
            "  line 12346: segments[0]: unknown segment `nowhere`",
            "  line 20001: sku: `BIG-00002` is already at line 4",
        ],
        "{}",
        run.stderr
    );
    let export = remise(&["export", "catalog", "--database", &url]);
    success(&export);
    assert_eq!(export.stdout.lines().count(), 1, "{}", export.stdout);

    // Without them, the same file is written whole.
    lines[2] = "BIG-00001,Big 1,1.00,".to_owned();
    lines[12_345] = "BIG-12344,Big 12344,1.00,".to_owned();
    lines[20_000] = "BIG-19999,Big 19999,1.00,".to_owned();
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
    let run = remise(&["import", "catalog", file, "--database", &url]);
    success(&run);
    assert!(
        run.stdout
            .contains("20000 products read; 20000 created, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_semicolon_catalog_with_decimal_commas_imports_exact_amounts() {
    let dir = temp_dir("import-semicolon");
    let url = sqlite_url(&dir);
    // As a French spreadsheet writes it: a byte-order mark, `;` between cells, decimal commas,
    // and a name holding a comma.
    let csv = "\u{feff}sku;name;price;tax_rate;cost\r\n\
               TASSE;Tasse, bleue;12,50;0,2;3.10\r\n\
               THE;Thé;7;;\r\n";
    let file = dir.join("fr.csv");
    std::fs::write(&file, csv).expect("write");
    let import = remise(&[
        "import",
        "catalog",
        file.to_str().expect("utf-8 path"),
        "--database",
        &url,
    ]);
    success(&import);
    assert!(
        import.stdout.contains("2 products read"),
        "{}",
        import.stdout
    );
    let export = remise(&["export", "catalog", "--format", "json", "--database", &url]);
    success(&export);
    let products: serde_json::Value = serde_json::from_str(&export.stdout).expect("JSON");
    let tasse = &products[0];
    assert_eq!(tasse["sku"], "TASSE");
    assert_eq!(tasse["name"], "Tasse, bleue");
    assert_eq!(tasse["price"], "12.50");
    assert_eq!(tasse["tax_rate"], "0.2");
    assert_eq!(tasse["cost"], "3.10");

    // In a comma-separated file a comma is a column separator, never a decimal one.
    let comma = dir.join("comma.csv");
    std::fs::write(&comma, "sku,name,price\nX,x,\"1,5\"\n").expect("write");
    let run = remise(&[
        "import",
        "catalog",
        comma.to_str().expect("utf-8 path"),
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(2), "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 2: price: `1,5` is not a decimal number (use a point: 12.50)"),
        "{}",
        run.stderr
    );
}

#[test]
fn codes_export_into_a_pipe_closed_early_ends_quietly() {
    let dir = temp_dir("export-pipe");
    let url = sqlite_url(&dir);
    success(&remise(&["demo", "--database", &url]));
    // Far more than a pipe holds (64 KiB), so that the export meets the closed pipe.
    success(&remise(&[
        "codes",
        "generate",
        "--batch",
        "many",
        "--promotion",
        "marvel10",
        "--count",
        "5000",
        "--database",
        &url,
    ]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["codes", "export", "--database", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start remise codes export");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).expect("the first bytes");
    assert!(head.starts_with(b"code,promotion,batch"));
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "", "stderr");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn serve_help_documents_the_shutdown_deadline_the_log_format_and_the_limiter_header() {
    let help = remise(&["serve", "--help"]);
    success(&help);
    for text in [
        "--shutdown-timeout <SECONDS>",
        "REMISE_SHUTDOWN_TIMEOUT",
        "A second signal exits at once",
        "--log-format <LOG_FORMAT>",
        "REMISE_LOG_FORMAT",
        "[possible values: text, json]",
        "Remise-Client-Address",
    ] {
        assert!(
            help.stdout.contains(text),
            "{text} not in:\n{}",
            help.stdout
        );
    }
}

/// The status line of `GET path` with `key`, over a plain connection.
fn get_status(addr: &str, path: &str, key: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_first_key_is_made_from_the_command_line() {
    let serve = Serve::start("api-keys", &["--no-demo"]);
    let url = sqlite_url(&serve._dir);
    let list = remise(&["api-keys", "list", "--database", &url]);
    success(&list);
    assert!(list.stdout.is_empty(), "{}", list.stdout);
    assert!(
        list.stderr.contains("remise api-keys create"),
        "{}",
        list.stderr
    );

    let created = remise(&[
        "api-keys",
        "create",
        "--name",
        "admin",
        "--scope",
        "management",
        "--database",
        &url,
    ]);
    success(&created);
    let secret = created.stdout.trim().to_owned();
    assert!(
        secret.starts_with("rk_") && secret.len() == 67,
        "the secret alone on stdout: {secret:?}"
    );
    assert!(
        created.stderr.contains("shown this once"),
        "{}",
        created.stderr
    );

    // The running server accepts it (it reloads keys on its poll).
    let start = Instant::now();
    while get_status(&serve.addr, "/v1/settings", &secret) != "HTTP/1.1 200 OK" {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the key is not accepted"
        );
        thread::sleep(Duration::from_millis(50));
    }

    let list = remise(&["api-keys", "list", "--database", &url]);
    let line = list.stdout.lines().next().expect("one key").to_owned();
    assert!(
        line.contains("\tmanagement\tactive\t") && line.ends_with("\tadmin"),
        "{line}"
    );
    assert!(!list.stdout.contains(&secret), "a list never shows secrets");
    let id = line.split('\t').next().expect("the id").to_owned();

    success(&remise(&["api-keys", "revoke", &id, "--database", &url]));
    let start = Instant::now();
    while get_status(&serve.addr, "/v1/settings", &secret) != "HTTP/1.1 401 Unauthorized" {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the key still works"
        );
        thread::sleep(Duration::from_millis(50));
    }

    // Mistakes are refused, and change nothing.
    let unnamed = remise(&[
        "api-keys",
        "create",
        "--name",
        " ",
        "--scope",
        "storefront",
        "--database",
        &url,
    ]);
    assert_eq!(unnamed.code, Some(2), "{}", unnamed.stderr);
    let unknown = remise(&["api-keys", "revoke", "key_nope", "--database", &url]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown.stderr.contains("no API key `key_nope`"),
        "{}",
        unknown.stderr
    );
    let list = remise(&["api-keys", "list", "--database", &url]);
    assert_eq!(list.stdout.lines().count(), 1, "{}", list.stdout);
}
