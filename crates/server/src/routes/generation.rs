//! Generating many codes takes time (ten million: over a minute). Above [`IN_REQUEST`] codes, a
//! batch's codes are generated in the background and the request answers 202 at once, with the
//! batch's URL; the batch's `generation` says how far it went. Codes are added in chunks, so
//! `counts.generated` grows while it runs, on every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use remise_store::{Actor, Batch, BatchCounts};
use serde_json::{Value, json};

use super::codes::add_codes;
use crate::AppState;
use crate::problem::{ApiError, ApiResult};

/// The most codes a request generates before it answers.
pub const IN_REQUEST: u64 = 10_000;

/// The generations this instance runs or ran: a batch id, and the failure if it failed.
#[derive(Default)]
pub struct Generations(Mutex<HashMap<String, Option<String>>>);

enum Status {
    Running,
    Failed(String),
    Unknown,
}

impl Generations {
    fn status(&self, batch: &str) -> Status {
        let Ok(jobs) = self.0.lock() else {
            return Status::Unknown;
        };
        match jobs.get(batch) {
            Some(None) => Status::Running,
            Some(Some(error)) => Status::Failed(error.clone()),
            None => Status::Unknown,
        }
    }

    /// Refuses a change to a batch whose codes are being generated here.
    pub fn check_idle(&self, batch: &str) -> ApiResult<()> {
        match self.status(batch) {
            Status::Running => Err(ApiError::Conflict(format!(
                "the codes of batch `{batch}` are being generated; try again when its \
                 `generation.state` is `complete`"
            ))),
            _ => Ok(()),
        }
    }

    fn set(&self, batch: &str, failure: Option<String>) {
        if let Ok(mut jobs) = self.0.lock() {
            jobs.insert(batch.to_owned(), failure);
        }
    }

    fn finish(&self, batch: &str, outcome: ApiResult<()>) {
        match outcome {
            Ok(()) => {
                if let Ok(mut jobs) = self.0.lock() {
                    jobs.remove(batch);
                }
            }
            Err(error) => self.set(batch, Some(error.to_string())),
        }
    }
}

/// Adds `count` codes to `batch`: in the request when they are few (`true`), else in the
/// background (`false`).
pub async fn generate(
    state: &Arc<AppState>,
    actor: &Actor,
    batch: &Batch,
    count: u64,
) -> ApiResult<bool> {
    if count <= IN_REQUEST {
        add_codes(state, actor, batch, count, &|_| {}).await?;
        // A failure recorded earlier is over.
        state.generations.finish(&batch.id, Ok(()));
        return Ok(true);
    }
    state.generations.set(&batch.id, None);
    let (state, actor, id) = (state.clone(), actor.clone(), batch.id.clone());
    let running = Running {
        state: state.clone(),
        batch: id.clone(),
        ended: false,
    };
    tokio::spawn(async move {
        let mut running = running;
        let outcome = top_up(&state, &actor, &id).await;
        if let Err(error) = &outcome {
            tracing::error!(batch = %id, "code generation failed: {error}");
        }
        state.generations.finish(&id, outcome);
        running.end();
    });
    Ok(false)
}

/// Adds codes to the batch, a chunk at a time, until it holds its quota as the store has it
/// now: a quota changed meanwhile (through another instance) is followed, not overshot by more
/// than the chunk in flight.
async fn top_up(state: &AppState, actor: &Actor, id: &str) -> ApiResult<()> {
    const CHUNK: u64 = 100_000;
    loop {
        let Some(batch) = state.store.get_batch(id).await? else {
            return Ok(());
        };
        let counts = state
            .store
            .batch_counts(id, remise_store::now_millis())
            .await?;
        let enabled = counts.generated - counts.disabled;
        let missing = u64::from(batch.quota).saturating_sub(enabled);
        if missing == 0 {
            return Ok(());
        }
        add_codes(state, actor, &batch, missing.min(CHUNK), &|_| {}).await?;
    }
}

/// Marks a generation failed if its task ends without saying how (a panic): it would otherwise
/// stay `running`, and its batch's quota locked, on this instance.
struct Running {
    state: Arc<AppState>,
    batch: String,
    ended: bool,
}

impl Running {
    fn end(&mut self) {
        self.ended = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        self.state.generations.set(
            &self.batch,
            Some(
                "the generation stopped unexpectedly; set the quota again to complete it"
                    .to_owned(),
            ),
        );
    }
}

/// `{state, generated, quota[, error]}`: `running` here, `failed` here (with why), else
/// `complete` when the batch holds its quota and `incomplete` when it does not (a generation
/// stopped with its instance, or running on another one; setting the quota again completes it).
pub fn view(state: &AppState, batch: &Batch, counts: &BatchCounts) -> Value {
    let enabled = counts.generated - counts.disabled;
    let complete = enabled >= u64::from(batch.quota);
    let (status, error) = match state.generations.status(&batch.id) {
        Status::Running => ("running", None),
        _ if complete => ("complete", None),
        Status::Failed(error) => ("failed", Some(error)),
        Status::Unknown => ("incomplete", None),
    };
    let mut view = json!({ "state": status, "generated": enabled, "quota": batch.quota });
    if let Some(error) = error {
        view["error"] = json!(error);
    }
    view
}
