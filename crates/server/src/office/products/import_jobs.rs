//! Catalog imports run in the background on the instance that received the file: first a dry
//! run (every row read and checked, compared with the catalog), then, when the user applies
//! it, the import itself, all or nothing. Each phase reads the file through a counter, so the
//! page can show how far it went; the file stays in memory between the two phases.
//!
//! The jobs live in this instance's memory (`AppState`): a page polling a job must reach the
//! instance that runs it (sticky sessions behind a load balancer). A finished job is forgotten
//! an hour after it ended, and a user's new file lets go of their earlier one.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use remise_store::UpsertSummary;

use crate::AppState;
use crate::catalog_file::{FileFormat, dry_run, import_read};
use crate::office::session::{OfficeUser, random_token};
use crate::problem::{ApiError, FieldProblem};

/// How long a finished job (and its file) is kept.
const KEPT: Duration = Duration::from_secs(60 * 60);

/// The catalog imports of this instance, by id.
#[derive(Default)]
pub struct CatalogImports(Mutex<HashMap<String, Arc<ImportJob>>>);

/// A phase's result.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// What was (or would be) created, updated and left unchanged.
    Done(UpsertSummary),
    /// Why nothing was (or would be) written.
    Refused(Refused),
}

/// Why nothing was written: the file's problems (in the checks' words, translated when shown),
/// or a failure that is not the file's.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    /// Problems of rows (or of the header), each with its place (`line 12: price`).
    pub rows: Vec<FieldProblem>,
    /// Problems of the file as a whole.
    pub general: Vec<String>,
    /// The store or the server failed (logged); the file may be fine.
    pub failed: bool,
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Refused {
        let mut refused = Refused::default();
        match error {
            ApiError::Validation(problems) => refused.rows = problems,
            ApiError::InvalidJson {
                field: Some(field),
                detail,
            } => refused.rows.push(FieldProblem::new(field, detail)),
            ApiError::Internal(_) | ApiError::Unavailable(_) => {
                tracing::error!("a catalog import failed: {error}");
                refused.failed = true;
            }
            other => refused.general.push(other.to_string()),
        }
        refused
    }
}

#[derive(Debug, Clone)]
pub enum Phase {
    Checking,
    Checked(Outcome),
    Applying,
    Applied(Outcome),
}

pub struct ImportJob {
    pub id: String,
    /// The user who sent the file: the only one who sees the job.
    pub owner: String,
    pub file_name: String,
    pub format: FileFormat,
    pub size: u64,
    /// Bytes of the file the running phase has read.
    read: Arc<AtomicU64>,
    /// Kept until the import is applied (or the job forgotten).
    file: Mutex<Option<Bytes>>,
    phase: Mutex<Phase>,
    /// When the last phase ended.
    ended: Mutex<Option<Instant>>,
}

/// Why a job cannot be applied.
#[derive(Debug, PartialEq, Eq)]
pub enum NotApplicable {
    /// Its dry run is running or refused the file, or it was applied already.
    NotReady,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A phase's state is a plain value: one left by a panicking thread is still whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ImportJob {
    pub fn phase(&self) -> Phase {
        lock(&self.phase).clone()
    }

    /// How far the running phase read the file, in percent.
    pub fn percent(&self) -> u64 {
        let read = self.read.load(Ordering::Relaxed).min(self.size);
        (read * 100).checked_div(self.size).unwrap_or(100)
    }

    fn finish(&self, phase: Phase) {
        *lock(&self.phase) = phase;
        *lock(&self.ended) = Some(Instant::now());
    }

    fn forgotten(&self, now: Instant) -> bool {
        lock(&self.ended).is_some_and(|ended| now.duration_since(ended) > KEPT)
    }

    /// A reader of the file that counts what it read.
    fn reader(&self, file: Bytes) -> Counting {
        self.read.store(0, Ordering::Relaxed);
        Counting {
            inner: std::io::Cursor::new(file),
            read: self.read.clone(),
        }
    }
}

/// Counts the bytes read into a shared counter.
struct Counting {
    inner: std::io::Cursor<Bytes>,
    read: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl CatalogImports {
    /// The job `id` if `user` started it.
    pub fn get(&self, id: &str, user: &OfficeUser) -> Option<Arc<ImportJob>> {
        lock(&self.0)
            .get(id)
            .filter(|job| job.owner == user.user.id)
            .cloned()
    }

    /// Keeps `job`; the files of its user's earlier jobs are let go (one file a user at a time
    /// stays in memory: applying an earlier job asks for its file again).
    fn insert(&self, job: Arc<ImportJob>) {
        let now = Instant::now();
        let mut jobs = lock(&self.0);
        jobs.retain(|_, job| !job.forgotten(now));
        for earlier in jobs.values().filter(|j| j.owner == job.owner) {
            lock(&earlier.file).take();
        }
        jobs.insert(job.id.clone(), job);
    }

    /// Starts the dry run of `file` for `user`; returns the job.
    pub fn start(
        &self,
        state: &Arc<AppState>,
        user: &OfficeUser,
        file_name: String,
        format: FileFormat,
        file: Bytes,
    ) -> Result<Arc<ImportJob>, getrandom::Error> {
        let job = Arc::new(ImportJob {
            id: random_token()?,
            owner: user.user.id.clone(),
            file_name,
            format,
            size: file.len() as u64,
            read: Arc::new(AtomicU64::new(0)),
            file: Mutex::new(Some(file.clone())),
            phase: Mutex::new(Phase::Checking),
            ended: Mutex::new(None),
        });
        self.insert(job.clone());
        let reader = job.reader(file);
        let limit = state.limits.import_rows;
        let (state, running) = (state.clone(), job.clone());
        run(job.clone(), async move {
            let outcome = dry_run(&state, reader, running.format, limit).await;
            Phase::Checked(outcome_of(outcome))
        });
        Ok(job)
    }

    /// Applies a job whose dry run found no problem: the import, all or nothing, as `user`.
    pub fn apply(
        &self,
        state: &Arc<AppState>,
        user: &OfficeUser,
        job: &Arc<ImportJob>,
    ) -> Result<(), NotApplicable> {
        {
            let mut phase = lock(&job.phase);
            if !matches!(*phase, Phase::Checked(Outcome::Done(_))) {
                return Err(NotApplicable::NotReady);
            }
            *phase = Phase::Applying;
        }
        let Some(file) = lock(&job.file).take() else {
            job.finish(Phase::Applied(Outcome::Refused(
                ApiError::Conflict("the file is no longer here: send it again".to_owned()).into(),
            )));
            return Ok(());
        };
        let reader = job.reader(file);
        let limit = state.limits.import_rows;
        let (state, actor, running) = (state.clone(), user.actor(), job.clone());
        run(job.clone(), async move {
            let outcome = import_read(&state, &actor, reader, running.format, limit).await;
            Phase::Applied(outcome_of(outcome))
        });
        Ok(())
    }
}

fn outcome_of(result: Result<UpsertSummary, ApiError>) -> Outcome {
    match result {
        Ok(summary) => Outcome::Done(summary),
        Err(error) => Outcome::Refused(error.into()),
    }
}

/// Runs a phase in the background and records its end; a phase that panicked ends as failed.
fn run(job: Arc<ImportJob>, phase: impl Future<Output = Phase> + Send + 'static) {
    let work = tokio::spawn(phase);
    tokio::spawn(async move {
        let next = match work.await {
            Ok(next) => next,
            Err(error) => {
                tracing::error!("a catalog import stopped: {error}");
                let failed = Outcome::Refused(Refused {
                    failed: true,
                    ..Refused::default()
                });
                match job.phase() {
                    Phase::Applying => Phase::Applied(failed),
                    _ => Phase::Checked(failed),
                }
            }
        };
        job.finish(next);
    });
}
