//! A real headless Chromium driven over WebDriver, for the back office's tests (feature
//! `browser`).
//!
//! Each [`Browser`] runs its own chromedriver (on a port it picks itself, loopback only) and opens
//! a session in a fresh profile, so that tests running in parallel in one binary never share a
//! browser, a cookie or a port. Chromium is started without network access beyond 127.0.0.1.
//!
//! When chromedriver or Chromium is missing, [`Browser::start`] returns `None` and the test skips
//! with a message, unless `REMISE_REQUIRE_CHROMIUM` is set (`.ci/run` sets it): then it panics,
//! so that CI cannot pass by skipping.
//!
//! ```no_run
//! # async fn example() -> Result<(), remise_test_support::browser::BrowserError> {
//! use std::time::Duration;
//! use remise_test_support::browser::Browser;
//!
//! let Some(browser) = Browser::start().await else { return Ok(()) };
//! let client = browser.client();
//! browser.goto(&client, "http://127.0.0.1:8080/office/login").await?;
//! browser.axe(&client, "login").await?; // panics on a serious accessibility violation
//! browser.fill(&client, "Email", "ada@example.com").await?;
//! browser.fill(&client, "password", "s3cret password").await?; // a label's text or a name
//! browser.click_button(&client, "Sign in").await?;
//! browser.wait_for_text(&client, "Promotions", Duration::from_secs(10)).await?;
//! browser.screenshot(&client, "promotions").await?;
//! # Ok(())
//! # }
//! ```

mod audit;
mod driver;
mod error;
mod page;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

pub use audit::{AxeNode, AxeViolation, screenshot_dir};
pub use error::BrowserError;
pub use fantoccini;

use driver::Driver;

/// Set (to anything) to make a missing chromedriver or Chromium fail the test instead of skipping
/// it.
pub const REQUIRE_VAR: &str = "REMISE_REQUIRE_CHROMIUM";

/// How long [`Browser::wait_for`] and [`Browser::wait_for_text`] usually wait: generous, since
/// the machine may be busy with other tests; a wait returns as soon as the thing appears.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(15);

/// How long opening a session (starting Chromium) may take on a busy machine.
const SESSION_TIMEOUT: Duration = Duration::from_secs(90);

/// The names under which Debian and others install Chromium.
const CHROMIUM_NAMES: [&str; 2] = ["chromium", "chromium-browser"];

/// How a [`Browser`] is started.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The browser's language (`--lang`, and the `Accept-Language` it sends), e.g. `en-US` or
    /// `fr-FR`: the back office speaks French and English.
    pub language: String,
    /// The window's size in pixels, hence the screenshots'.
    pub window: (u32, u32),
    /// chromedriver's path; `None` looks for `chromedriver` on `PATH`.
    pub chromedriver: Option<PathBuf>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            language: "en-US".into(),
            window: (1280, 900),
            chromedriver: None,
        }
    }
}

/// A chromedriver and the headless Chromium sessions it opened for one test. Dropping it quits
/// the browsers, stops chromedriver and deletes the profiles.
pub struct Browser {
    client: Client,
    options: BrowserOptions,
    /// Declared before `dir`: stopped before the profiles it uses are deleted.
    driver: Driver,
    /// The process ids of the sessions' browsers, awaited on drop.
    browser_pids: Mutex<Vec<u32>>,
    /// Sessions opened so far: numbers their profile directories.
    sessions: AtomicUsize,
    /// Holds chromedriver's log and one profile directory per session.
    dir: TempDir,
}

impl Browser {
    /// A browser with the [default options](BrowserOptions::default): English, 1280×900.
    ///
    /// # Panics
    /// When chromedriver or Chromium is missing and `REMISE_REQUIRE_CHROMIUM` is set, and when
    /// they are there but do not start.
    pub async fn start() -> Option<Browser> {
        Browser::start_with(BrowserOptions::default()).await
    }

    /// A browser started with `options`; `None` (after saying so on stderr) when chromedriver or
    /// Chromium is missing and `REMISE_REQUIRE_CHROMIUM` is not set.
    ///
    /// # Panics
    /// When chromedriver or Chromium is missing and `REMISE_REQUIRE_CHROMIUM` is set, and when
    /// they are there but do not start.
    pub async fn start_with(options: BrowserOptions) -> Option<Browser> {
        let chromedriver = match options.chromedriver.clone() {
            Some(path) if path.is_file() => Some(path),
            Some(_) => None,
            None => on_path("chromedriver"),
        };
        let chromium = CHROMIUM_NAMES.into_iter().find_map(on_path);
        let (Some(chromedriver), Some(_)) = (chromedriver, chromium) else {
            let missing = format!(
                "chromedriver ({}) or Chromium ({}) is missing (apt-get install chromium chromium-driver; .ci/run installs them)",
                options
                    .chromedriver
                    .as_ref()
                    .map_or("on PATH".into(), |path| path.display().to_string()),
                CHROMIUM_NAMES.join(" or "),
            );
            if std::env::var_os(REQUIRE_VAR).is_some() {
                panic!("{REQUIRE_VAR} is set: {missing}");
            }
            eprintln!("skipped: {missing}");
            return None;
        };
        match Browser::launch(&chromedriver, options).await {
            Ok(browser) => Some(browser),
            Err(error) => panic!("cannot start the headless browser: {error}"),
        }
    }

    async fn launch(chromedriver: &Path, options: BrowserOptions) -> Result<Browser, BrowserError> {
        let dir = tempfile::Builder::new()
            .prefix("remise-browser-")
            .tempdir()
            .map_err(|error| BrowserError::DriverStart {
                path: chromedriver.to_owned(),
                reason: format!("no temporary directory for its profiles: {error}"),
            })?;
        let driver = Driver::start(chromedriver, &dir.path().join("chromedriver.log")).await?;
        let client = open_session(&driver, &options, &dir.path().join("profile-0")).await?;
        let browser_pids = Mutex::new(browser_pid(&client).into_iter().collect());
        Ok(Browser {
            client,
            options,
            driver,
            browser_pids,
            sessions: AtomicUsize::new(1),
            dir,
        })
    }

    /// The first session: a handle to pass to the helpers (cheap to clone, the same session).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Another session of this browser, in a fresh profile of its own: a second user, with its
    /// own cookies, beside the first.
    pub async fn new_session(&self) -> Result<Client, BrowserError> {
        let number = self.sessions.fetch_add(1, Ordering::Relaxed);
        let profile = self.dir.path().join(format!("profile-{number}"));
        let client = open_session(&self.driver, &self.options, &profile).await?;
        if let Some(pid) = browser_pid(&client) {
            self.browser_pids
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(pid);
        }
        Ok(client)
    }

    /// The options this browser was started with.
    pub fn options(&self) -> &BrowserOptions {
        &self.options
    }
}

impl Drop for Browser {
    /// Stops chromedriver, which quits its browsers, then waits for those to be gone before the
    /// profiles are deleted (a browser still writing would leave files behind).
    fn drop(&mut self) {
        self.driver.stop();
        let pids = std::mem::take(
            &mut *self
                .browser_pids
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|pid| process_runs(*pid)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Opens a WebDriver session: a headless Chromium in `profile`, reaching nothing but loopback.
async fn open_session(
    driver: &Driver,
    options: &BrowserOptions,
    profile: &Path,
) -> Result<Client, BrowserError> {
    let (width, height) = options.window;
    let args = [
        "--headless=new".to_owned(),
        // The machines run tests as root, where Chromium's sandbox cannot start.
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        // Containers give /dev/shm 64 MB, too little for several browsers at once.
        "--disable-dev-shm-usage".into(),
        format!("--window-size={width},{height}"),
        format!("--lang={}", options.language),
        format!("--user-data-dir={}", profile.display()),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-quic".into(),
        "--disable-search-engine-choice-screen".into(),
        // Anything but loopback fails to resolve: a page that needed a CDN would show it.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".into(),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "args": args,
            // --lang alone sets the interface's language, not always the Accept-Language header.
            "prefs": { "intl": { "accept_languages": options.language } },
        },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("json! of an object literal is an object");
    };
    let url = format!("http://127.0.0.1:{}", driver.port);
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
    let failed = |reason: String| BrowserError::Session {
        port: driver.port,
        reason,
        log: driver.log_tail(),
    };
    match tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&url)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => Err(failed(error.to_string())),
        Err(_) => Err(failed(format!("none within {SESSION_TIMEOUT:?}"))),
    }
}

/// The process id chromedriver reports for a session's browser.
fn browser_pid(client: &Client) -> Option<u32> {
    let pid = client.capabilities()?.get("goog:processID")?.as_u64()?;
    u32::try_from(pid).ok()
}

/// Whether process `pid` still runs (a zombie, exited but not reaped yet, does not).
fn process_runs(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The first executable file called `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
