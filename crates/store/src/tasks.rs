//! Back-office tasks (seed 001's "Managez"): a description, a deadline, an importance and an
//! assignee, optionally attached to a campaign or a promotion. The assignee views them, ignores
//! them, processes them (done) or transfers them to someone else; every transfer is kept.
//!
//! The e-mail that tells the assignee goes through the outbox: creating or transferring a task
//! takes an optional [`OutgoingMessage`] that is queued in the same transaction, so the task and
//! its notice are both there or neither is.
//!
//! Errors name their entity as `kind`: `task`, `user`. Task changes are audited (entity `task`,
//! the task before and after). Nothing here bumps the documents' revision.

use async_trait::async_trait;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::approvals::Act;
use crate::mail::OutgoingMessage;
use crate::{Millis, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    Low,
    Normal,
    High,
}

impl Importance {
    pub const ALL: [Importance; 3] = [Importance::Low, Importance::Normal, Importance::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Importance::Low => "low",
            Importance::Normal => "normal",
            Importance::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Importance> {
        Importance::ALL.into_iter().find(|i| i.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// To do.
    Open,
    /// Set aside by its assignee.
    Ignored,
    /// Processed.
    Done,
}

impl TaskState {
    pub const ALL: [TaskState; 3] = [TaskState::Open, TaskState::Ignored, TaskState::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Ignored => "ignored",
            TaskState::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The states a task may be put in this one from: ignored when open, done when open or
    /// ignored, reopened when ignored or done.
    pub fn allowed_from(self) -> &'static [TaskState] {
        match self {
            TaskState::Open => &[TaskState::Ignored, TaskState::Done],
            TaskState::Ignored => &[TaskState::Open],
            TaskState::Done => &[TaskState::Open, TaskState::Ignored],
        }
    }

    /// The name of the action that puts a task in this state, as [`crate::Error::WrongState`]
    /// gives it.
    pub fn action(self) -> &'static str {
        match self {
            TaskState::Open => "reopen",
            TaskState::Ignored => "ignore",
            TaskState::Done => "process",
        }
    }
}

/// What a task is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Attachment {
    Campaign(String),
    Promotion(String),
}

impl Attachment {
    /// The attached document's kind name and id.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Attachment::Campaign(id) => ("campaign", id),
            Attachment::Promotion(id) => ("promotion", id),
        }
    }

    pub fn from_parts(kind: &str, id: String) -> Option<Attachment> {
        match kind {
            "campaign" => Some(Attachment::Campaign(id)),
            "promotion" => Some(Attachment::Promotion(id)),
            _ => None,
        }
    }
}

/// A task handed from one user to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub from: String,
    pub to: String,
    /// Who transferred it (usually `from`).
    pub by: String,
    pub at: Millis,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub description: String,
    /// The day it is due (`YYYY-MM-DD`, in the store's time zone as the caller reads it).
    #[serde(with = "day")]
    pub deadline: Option<Date>,
    pub importance: Importance,
    /// The user it is assigned to now.
    pub assignee: String,
    pub created_by: String,
    pub attachment: Option<Attachment>,
    pub state: TaskState,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Oldest first.
    pub transfers: Vec<Transfer>,
}

impl Task {
    /// Open and past its deadline on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        self.state == TaskState::Open && self.deadline.is_some_and(|deadline| deadline < today)
    }
}

/// A task to create: open, created by the acting user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub id: String,
    pub description: String,
    pub deadline: Option<Date>,
    pub importance: Importance,
    pub assignee: String,
    pub attachment: Option<Attachment>,
}

/// Which tasks a list returns. Order: open tasks first, by deadline (so overdue ones first; no
/// deadline last), then importance (high first), then creation; then the others, the most
/// recently changed first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskQuery {
    pub assignee: Option<String>,
    pub attachment: Option<Attachment>,
    pub state: Option<TaskState>,
    /// Skips this many (the previous pages').
    pub offset: u32,
    /// At most this many (the caller bounds it).
    pub limit: u32,
}

/// Tasks. Both backends pass `tests/tasks.rs`.
///
/// Giving a task to someone (creating or transferring it) needs a user that exists
/// ([`crate::Error::NotFound`], kind `user`) and is active ([`crate::Error::WrongState`], kind
/// `user`, action `assign a task to`, state `inactive`); then nothing changes, the mail included.
#[async_trait]
pub trait Tasks: Send + Sync {
    /// Creates an open task, created by `act.user` at `act.at`, and queues `mail` (for the
    /// assignee) in the same transaction. [`crate::Error::AlreadyExists`] (kind `task`) for a
    /// taken id (kind `mail` for a taken message id).
    async fn create_task(
        &self,
        act: Act<'_>,
        task: &NewTask,
        mail: Option<&OutgoingMessage>,
    ) -> Result<Task>;

    async fn get_task(&self, id: &str) -> Result<Option<Task>>;

    /// A page of tasks (see [`TaskQuery`] for the order).
    async fn list_tasks(&self, query: &TaskQuery) -> Result<Vec<Task>>;

    /// Ignores, processes or reopens a task ([`TaskState::allowed_from`]); from another state
    /// it is [`crate::Error::WrongState`] (kind `task`, action [`TaskState::action`]).
    /// [`crate::Error::NotFound`] (kind `task`) when unknown.
    async fn set_task_state(&self, act: Act<'_>, id: &str, state: TaskState) -> Result<Task>;

    /// Gives an open task to user `to`, recording the transfer (from the assignee, by
    /// `act.user`, with the note), and queues `mail` (for the new assignee) in the same
    /// transaction. A task that is not open is [`crate::Error::WrongState`] (kind `task`, action
    /// `transfer`); so is one `to` already has (state `assigned to them`).
    async fn transfer_task(
        &self,
        act: Act<'_>,
        id: &str,
        to: &str,
        note: Option<&str>,
        mail: Option<&OutgoingMessage>,
    ) -> Result<Task>;
}

/// A day as `YYYY-MM-DD` in JSON (the audit log's copy of a task), without jiff's serde feature.
mod day {
    use jiff::civil::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match day {
            Some(day) => serializer.collect_str(day),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| text.parse::<Date>().map_err(serde::de::Error::custom))
            .transpose()
    }
}
