//! What can go wrong while driving the browser, each saying what was attempted and on which page,
//! so that a failing journey says where it failed.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::error::CmdError;

/// An error of the browser harness.
#[derive(thiserror::Error)]
pub enum BrowserError {
    /// chromedriver could not be run, or did not say on which port it listens.
    #[error("chromedriver ({path}) did not start: {reason}")]
    DriverStart { path: PathBuf, reason: String },
    /// chromedriver runs but opened no browser session (Chromium did not start, usually); its
    /// log's last lines follow.
    #[error("chromedriver on 127.0.0.1:{port} opened no browser session: {reason}\n{log}")]
    Session {
        port: u16,
        reason: String,
        log: String,
    },
    /// A WebDriver command failed (no such element, click intercepted, script error, …).
    #[error("{action} on {url}: {error}")]
    Command {
        action: String,
        url: String,
        error: CmdError,
    },
    /// The page is not as the journey expects: no such field or button, several, a disabled one.
    #[error("{action} on {url}: {message}")]
    Page {
        action: String,
        url: String,
        message: String,
    },
    /// What was awaited did not appear in time; `seen` tells what the page showed instead.
    #[error("{action} on {url}: still not there after {waited:?}{seen}")]
    Timeout {
        action: String,
        url: String,
        waited: Duration,
        seen: String,
    },
    /// A file (a screenshot) could not be written.
    #[error("cannot write {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// The message itself: a test returning `Result<(), BrowserError>` prints its error with `Debug`,
/// and the derived form would bury the page's URL in struct syntax.
impl fmt::Debug for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
