//! Test helpers: a fresh SQLite file or a fresh PostgreSQL database per test, removed afterwards;
//! an SMTP sink ([`smtp`]); with the feature `browser`, a headless Chromium over WebDriver for the
//! back office's tests (`browser`).
//!
//! PostgreSQL tests run only when `REMISE_TEST_POSTGRES_URL` names a server (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`, whose user may create databases) when the tests
//! are built: they are declared with [`postgres_test!`], which marks them `#[ignore]` otherwise, so
//! that cargo reports them as ignored rather than passed.

#[cfg(feature = "browser")]
pub mod browser;
pub mod smtp;
pub mod tls;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

/// The environment variable holding the PostgreSQL admin URL.
pub const POSTGRES_URL_VAR: &str = "REMISE_TEST_POSTGRES_URL";

/// Whether `REMISE_TEST_POSTGRES_URL` was set when the tests were built (PostgreSQL tests run).
pub const POSTGRES_TESTS: bool = cfg!(postgres_tests);

/// Declares a PostgreSQL test (an `async fn` with its attributes, such as `#[tokio::test]`): an
/// ordinary test when `REMISE_TEST_POSTGRES_URL` was set at build time, else one marked
/// `#[ignore]`, which cargo counts as ignored. (`cargo test -- --include-ignored` runs it anyway,
/// and it fails for want of the variable rather than passing.)
#[cfg(postgres_tests)]
#[macro_export]
macro_rules! postgres_test {
    ($(#[$attr:meta])* $vis:vis async fn $name:ident() $body:block) => {
        $(#[$attr])* $vis async fn $name() $body
    };
}

/// Declares a PostgreSQL test (an `async fn` with its attributes, such as `#[tokio::test]`): an
/// ordinary test when `REMISE_TEST_POSTGRES_URL` was set at build time, else one marked
/// `#[ignore]`, which cargo counts as ignored. (`cargo test -- --include-ignored` runs it anyway,
/// and it fails for want of the variable rather than passing.)
#[cfg(not(postgres_tests))]
#[macro_export]
macro_rules! postgres_test {
    ($(#[$attr:meta])* $vis:vis async fn $name:ident() $body:block) => {
        $(#[$attr])*
        #[ignore = "needs PostgreSQL: set REMISE_TEST_POSTGRES_URL when building the tests"]
        $vis async fn $name() $body
    };
}

/// Prefix of every test database's name.
const DATABASE_PREFIX: &str = "remise_test_";

/// Test databases older than this are leftovers (of a run that was killed before dropping them)
/// and are dropped when a new one is created.
const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

/// A path for a new SQLite database in a temporary directory, deleted with this value.
pub struct TestSqlite {
    /// Deletes the directory and the database files in it when dropped.
    dir: TempDir,
    /// The database file (not created yet).
    pub path: PathBuf,
    /// `sqlite://` followed by [`TestSqlite::path`].
    pub url: String,
}

impl TestSqlite {
    /// A fresh temporary directory and a database path in it.
    ///
    /// # Panics
    /// If the temporary directory cannot be created.
    pub fn new() -> TestSqlite {
        let dir = match tempfile::Builder::new().prefix("remise-test-").tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("cannot create a temporary directory: {error}"),
        };
        let path = dir.path().join("remise.db");
        let url = format!("sqlite://{}", path.display());
        TestSqlite { dir, path, url }
    }

    /// The temporary directory holding the database (and its `-wal` and `-shm` files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for TestSqlite {
    fn default() -> Self {
        TestSqlite::new()
    }
}

/// A new, empty PostgreSQL database, dropped with this value.
pub struct TestPostgres {
    /// The database's name: `remise_test_`, its creation time (Unix seconds), `_` and 16 random
    /// hex digits. The time is in the name so that the leftover sweep never needs a second
    /// statement to know it (a comment written after CREATE left a window in which a parallel
    /// run could take the new database for a leftover).
    pub name: String,
    /// The URL of the new database (the admin URL with its database replaced).
    pub url: String,
    admin_url: String,
}

impl TestPostgres {
    /// Creates a fresh database on the server named by `REMISE_TEST_POSTGRES_URL`, for a test
    /// declared with [`postgres_test!`]. Also drops test databases left over by runs that ended
    /// more than an hour ago without dropping theirs.
    ///
    /// # Panics
    /// When the variable is not set, or the server cannot be reached or refuses to create the
    /// database: a test asked to run on PostgreSQL must not pass silently without it.
    pub async fn create() -> TestPostgres {
        match TestPostgres::if_configured().await {
            Some(database) => database,
            None => panic!(
                "this test runs on PostgreSQL: set {POSTGRES_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
            ),
        }
    }

    /// [`TestPostgres::create`], or `None` when `REMISE_TEST_POSTGRES_URL` is not set (for
    /// measurements that cover PostgreSQL when they can).
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached or refuses to create the
    /// database.
    pub async fn if_configured() -> Option<TestPostgres> {
        let admin_url = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|url| !url.is_empty())?;
        let mut random = [0u8; 8];
        if let Err(error) = getrandom::fill(&mut random) {
            panic!("no random bytes for a database name: {error}");
        }
        let name = format!(
            "{DATABASE_PREFIX}{}_{}",
            unix_seconds(),
            hex::encode(random)
        );
        let url = match database_url(&admin_url, &name) {
            Some(url) => url,
            None => panic!("{POSTGRES_URL_VAR} is not a postgres:// URL: {admin_url}"),
        };
        if let Err(error) = create_database(&admin_url, &name).await {
            panic!(
                "cannot create the test database {name} with {POSTGRES_URL_VAR}={admin_url}: {error}"
            );
        }
        Some(TestPostgres {
            name,
            url,
            admin_url,
        })
    }
}

impl Drop for TestPostgres {
    /// Drops the database, forcibly closing connections a test's pool may still hold. `Drop`
    /// cannot await and may run inside a runtime, so this runs on a thread with its own runtime.
    /// Failures are ignored: the next run's [`TestPostgres::create`] drops leftovers.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropper = thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin.execute(drop_sql(&name).as_str()).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

fn drop_sql(name: &str) -> String {
    // WITH (FORCE): PostgreSQL 13 and later.
    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
}

async fn create_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut admin = PgConnection::connect(admin_url).await?;
    drop_leftovers(&mut admin).await?;
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    admin.close().await
}

/// Drops test databases created more than [`LEFTOVER_AGE`] ago (their name says when), which a
/// killed run did not drop; names without a time are from older versions of this helper.
async fn drop_leftovers(admin: &mut PgConnection) -> Result<(), sqlx::Error> {
    let databases: Vec<(String,)> = sqlx::query_as(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'remise\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await?;
    let cutoff = unix_seconds().saturating_sub(LEFTOVER_AGE.as_secs());
    for (name,) in databases {
        let created_at = name
            .strip_prefix(DATABASE_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(time, _)| time.parse::<u64>().ok());
        if created_at.is_none_or(|t| t < cutoff) {
            // Best effort: another run may be dropping it at the same time.
            let _ = admin.execute(drop_sql(&name).as_str()).await;
        }
    }
    Ok(())
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `url` with its database (the path) replaced by `name`, query parameters kept.
fn database_url(url: &str, name: &str) -> Option<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let scheme = &url[..url.len() - rest.len()];
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    let mut out = format!("{scheme}{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{POSTGRES_TESTS, POSTGRES_URL_VAR, database_url};

    /// The PostgreSQL tests were built for the environment they run in: a binary built without
    /// the variable but run with it would ignore them while the run expects them.
    #[test]
    fn postgres_tests_are_built_as_the_environment_asks() {
        let configured = std::env::var(POSTGRES_URL_VAR).is_ok_and(|url| !url.is_empty());
        assert_eq!(
            POSTGRES_TESTS,
            configured,
            "{POSTGRES_URL_VAR} was {} when the tests were built and is {} now: rebuild them",
            if POSTGRES_TESTS { "set" } else { "not set" },
            if configured { "set" } else { "not set" },
        );
    }

    #[test]
    fn replaces_the_database() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgresql://u:p@h/db?sslmode=disable",
                "postgresql://u:p@h/x?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/x"),
            (
                "postgres://h?sslmode=disable",
                "postgres://h/x?sslmode=disable",
            ),
        ];
        for (admin, expected) in cases {
            assert_eq!(
                database_url(admin, "x").as_deref(),
                Some(expected),
                "{admin}"
            );
        }
        assert_eq!(database_url("mysql://h/db", "x"), None);
    }
}
