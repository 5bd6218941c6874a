//! The chromedriver process: started on a port of its own choosing, stopped with its browsers.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::BrowserError;

/// How long chromedriver may take to say its port and then to answer `/status` as ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stop waits for chromedriver to quit its browsers and exit before killing it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What chromedriver prints once it listens, followed by the port and a full stop.
const STARTED: &str = "started successfully on port ";

/// A running chromedriver, listening on loopback only (its default: "Only local connections are
/// allowed"). Stopped on drop.
pub(super) struct Driver {
    child: Child,
    path: PathBuf,
    pub(super) port: u16,
    log: PathBuf,
    stopped: bool,
}

impl Driver {
    /// Runs `path` with `--port=0`: chromedriver picks a free port and prints it, so parallel
    /// tests never race for one (binding `127.0.0.1:0` first and passing that port on would leave
    /// a window in which another test takes it). Its log goes to `log`, warnings and errors only:
    /// at the default level it would copy every script sent, axe's 500 kB included.
    pub(super) async fn start(path: &Path, log: &Path) -> Result<Driver, BrowserError> {
        let failed = |reason: String| BrowserError::DriverStart {
            path: path.to_owned(),
            reason,
        };
        let mut child = Command::new(path)
            .arg("--port=0")
            .arg(format!("--log-path={}", log.display()))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| failed(error.to_string()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            // Both were asked piped: spawn gives them.
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed("no standard output to read its port from".into()));
        };
        let port = watch_output(stdout, stderr);
        let mut driver = Driver {
            child,
            path: path.to_owned(),
            port: 0,
            log: log.to_owned(),
            stopped: false,
        };
        // On a timeout the driver is dropped, hence killed, which closes its output and ends the
        // reading thread.
        driver.port = match tokio::time::timeout(START_TIMEOUT, port).await {
            Ok(Ok(Ok(port))) => port,
            Ok(Ok(Err(output))) => return Err(failed(format!("it exited, saying:\n{output}"))),
            Ok(Err(_)) => return Err(failed("its output thread ended".into())),
            Err(_) => {
                return Err(failed(format!(
                    "it did not print its port within {START_TIMEOUT:?}"
                )));
            }
        };
        driver.wait_until_ready().await?;
        Ok(driver)
    }

    /// Polls `GET /status` until chromedriver says it is ready for new sessions.
    async fn wait_until_ready(&self) -> Result<(), BrowserError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let port = self.port;
        let mut last = String::new();
        while Instant::now() < deadline {
            let status = tokio::task::spawn_blocking(move || {
                http_get(port, "/status", Duration::from_secs(2))
            })
            .await;
            match status {
                Ok(Ok(body)) if body.contains(r#""ready":true"#) => return Ok(()),
                Ok(Ok(body)) => last = body,
                Ok(Err(error)) => last = error.to_string(),
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(BrowserError::DriverStart {
            path: self.path.clone(),
            reason: format!(
                "port {port} not ready within {START_TIMEOUT:?}; last answer to /status: {last}"
            ),
        })
    }

    /// The last lines of chromedriver's log, for an error message.
    pub(super) fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        if tail.is_empty() {
            "(chromedriver's log is empty)".into()
        } else {
            format!("chromedriver's log ends with:\n{tail}")
        }
    }

    /// Asks chromedriver to quit every browser it started and exit (`GET /shutdown`), then waits
    /// for it; kills it if it has not exited in time. Killing it first would leave its Chromium
    /// processes running, orphaned. Blocking: it runs from `Drop`.
    pub(super) fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.port != 0 {
            let _ = http_get(self.port, "/shutdown", Duration::from_secs(5));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => thread::sleep(Duration::from_millis(20)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads chromedriver's standard output on a thread until it prints its port, which the
/// receiver gets (or, when it exits first, everything it printed). The thread then drains both
/// outputs to their end, so that chromedriver never blocks on a full pipe.
fn watch_output(
    stdout: impl Read + Send + 'static,
    mut stderr: impl Read + Send + 'static,
) -> oneshot::Receiver<Result<u16, String>> {
    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || {
        let errors = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut sender = Some(sender);
        let mut printed = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.is_some() {
                if let Some(port) = port_in(&line) {
                    if let Some(sender) = sender.take() {
                        let _ = sender.send(Ok(port));
                    }
                } else {
                    printed.push_str(&line);
                    printed.push('\n');
                }
            }
        }
        if let Some(sender) = sender {
            printed.push_str(&errors.join().unwrap_or_default());
            let _ = sender.send(Err(printed));
        }
    });
    receiver
}

/// The port in chromedriver's "ChromeDriver was started successfully on port 41231." line.
fn port_in(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once(STARTED)?;
    rest.trim_end().trim_end_matches('.').parse().ok()
}

/// A plain `GET` on `127.0.0.1:port`, the body of the answer as text. Blocking, with `timeout`
/// on connecting, writing and each read. The body is read by its `Content-Length`:
/// chromedriver keeps the connection open whatever the request says.
fn http_get(port: u16, path: &str, timeout: Duration) -> io::Result<String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        &stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().map_err(io::Error::other)?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::port_in;

    #[test]
    fn the_port_is_read_from_chromedriver_s_line() {
        assert_eq!(
            port_in("ChromeDriver was started successfully on port 42611."),
            Some(42611)
        );
        assert_eq!(port_in("Starting ChromeDriver 156.0 on port 0"), None);
        assert_eq!(port_in("Only local connections are allowed."), None);
    }
}
