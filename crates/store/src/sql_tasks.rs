//! Back-office tasks: the SQL both backends share, and the semantics of [`crate::Tasks`], written
//! once (see the parent module for how transactions are handed in).
//!
//! Locking: on SQLite every write runs in the one `BEGIN IMMEDIATE` writer. On PostgreSQL a change
//! locks the task's row (`FOR UPDATE`) before it reads the state and assignee it decides on, so
//! changes of one task, from any instance, run one after the other. A task's mail is queued in
//! its transaction. Nothing here touches the documents' revision.

use jiff::civil::Date;

use super::Conn;
use super::codes::{already_exists, audit_json, audit_one, for_update, not_found};
use crate::approvals::Act;
use crate::mail::OutgoingMessage;
use crate::tasks::{Attachment, Importance, NewTask, Task, TaskQuery, TaskState, Transfer};
use crate::{Action, Error, Result};

/// The `kind` of errors and the `entity` of audit entries.
const TASK: &str = "task";
const USER: &str = "user";

macro_rules! task_columns {
    () => {
        "id, description, deadline, importance, assignee, created_by, attachment_kind, \
         attachment_id, state, transfers, created_at, updated_at"
    };
}

/// Open tasks first: by deadline (overdue ones, whose deadlines are the earliest, come first; no
/// deadline last), importance (high first), creation; then the others, last changed first. Each
/// key but the first is constant outside its group, so NULLs (ordered differently by the two
/// backends) never meet a value.
const ORDER: &str = "CASE WHEN state = 'open' THEN 0 ELSE 1 END, \
    CASE WHEN state = 'open' AND deadline IS NULL THEN 1 ELSE 0 END, \
    CASE WHEN state = 'open' THEN deadline ELSE '' END, \
    CASE WHEN state <> 'open' THEN 0 WHEN importance = 'high' THEN 0 \
         WHEN importance = 'normal' THEN 1 ELSE 2 END, \
    CASE WHEN state = 'open' THEN 0 ELSE -updated_at END, \
    created_at, id";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    description: String,
    deadline: Option<String>,
    importance: String,
    assignee: String,
    created_by: String,
    attachment_kind: Option<String>,
    attachment_id: Option<String>,
    state: String,
    transfers: String,
    created_at: i64,
    updated_at: i64,
}

impl TaskRow {
    fn into_task(self) -> Result<Task> {
        let bad = |message: String| super::corrupt(TASK, &self.id, message);
        let deadline = self
            .deadline
            .as_deref()
            .map(|text| {
                text.parse::<Date>()
                    .map_err(|e| bad(format!("deadline `{text}`: {e}")))
            })
            .transpose()?;
        let importance = Importance::parse(&self.importance)
            .ok_or_else(|| bad(format!("unknown importance `{}`", self.importance)))?;
        let state = TaskState::parse(&self.state)
            .ok_or_else(|| bad(format!("unknown state `{}`", self.state)))?;
        let attachment = match (self.attachment_kind.as_deref(), self.attachment_id.clone()) {
            (None, None) => None,
            (Some(kind), Some(id)) => Some(
                Attachment::from_parts(kind, id)
                    .ok_or_else(|| bad(format!("unknown attachment kind `{kind}`")))?,
            ),
            _ => return Err(bad("an attachment without its kind or id".to_owned())),
        };
        let transfers: Vec<Transfer> =
            serde_json::from_str(&self.transfers).map_err(|e| bad(format!("transfers: {e}")))?;
        Ok(Task {
            id: self.id,
            description: self.description,
            deadline,
            importance,
            assignee: self.assignee,
            created_by: self.created_by,
            attachment,
            state,
            created_at: self.created_at,
            updated_at: self.updated_at,
            transfers,
        })
    }
}

async fn fetch(conn: &mut Conn<'_>, id: &str, lock: bool) -> Result<Option<Task>> {
    let sql = format!(
        "SELECT {} FROM tasks WHERE id = $1{}",
        task_columns!(),
        if lock { for_update(conn) } else { "" }
    );
    let row = on!(conn, |c| sqlx::query_as::<_, TaskRow>(&sql)
        .bind(id)
        .fetch_optional(c)
        .await)?;
    row.map(TaskRow::into_task).transpose()
}

/// A user a task may be given to: one that exists and is active.
async fn check_assignee(conn: &mut Conn<'_>, user_id: &str) -> Result<()> {
    match super::users::get_user(conn, user_id).await? {
        None => Err(not_found(USER, user_id)),
        Some(user) if !user.active => Err(Error::WrongState {
            kind: USER.to_owned(),
            id: user_id.to_owned(),
            action: "assign a task to",
            state: "inactive",
        }),
        Some(_) => Ok(()),
    }
}

/// Writes every column of a task, new or changed.
async fn write(conn: &mut Conn<'_>, task: &Task, insert: bool) -> Result<u64> {
    let sql = if insert {
        concat!(
            "INSERT INTO tasks (",
            task_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
        )
    } else {
        "UPDATE tasks SET description = $2, deadline = $3, importance = $4, assignee = $5, \
         created_by = $6, attachment_kind = $7, attachment_id = $8, state = $9, transfers = $10, \
         created_at = $11, updated_at = $12 WHERE id = $1"
    };
    let deadline = task.deadline.map(|day| day.to_string());
    let (attachment_kind, attachment_id) = match &task.attachment {
        Some(attachment) => {
            let (kind, id) = attachment.parts();
            (Some(kind), Some(id))
        }
        None => (None, None),
    };
    let transfers = audit_json(TASK, &task.id, &task.transfers)?;
    let rows = on!(conn, |c| sqlx::query(sql)
        .bind(task.id.as_str())
        .bind(task.description.as_str())
        .bind(deadline.as_deref())
        .bind(task.importance.as_str())
        .bind(task.assignee.as_str())
        .bind(task.created_by.as_str())
        .bind(attachment_kind)
        .bind(attachment_id)
        .bind(task.state.as_str())
        .bind(transfers.as_str())
        .bind(task.created_at)
        .bind(task.updated_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(rows)
}

/// Queues the task's mail, if any, in the caller's transaction.
async fn queue(conn: &mut Conn<'_>, mail: Option<&OutgoingMessage>, act: Act<'_>) -> Result<()> {
    if let Some(message) = mail {
        super::mail::queue_message(conn, message, act.at).await?;
    }
    Ok(())
}

/// Writes a changed task and audits the change.
async fn update(conn: &mut Conn<'_>, act: Act<'_>, before: &Task, after: &Task) -> Result<()> {
    write(conn, after, false).await?;
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Update,
        (TASK, &after.id),
        (
            Some(audit_json(TASK, &before.id, before)?),
            Some(audit_json(TASK, &after.id, after)?),
        ),
    )
    .await
}

pub(crate) async fn create(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    new: &NewTask,
    mail: Option<&OutgoingMessage>,
) -> Result<Task> {
    check_assignee(conn, &new.assignee).await?;
    let task = Task {
        id: new.id.clone(),
        description: new.description.clone(),
        deadline: new.deadline,
        importance: new.importance,
        assignee: new.assignee.clone(),
        created_by: act.user.to_owned(),
        attachment: new.attachment.clone(),
        state: TaskState::Open,
        created_at: act.at,
        updated_at: act.at,
        transfers: Vec::new(),
    };
    if write(conn, &task, true).await? == 0 {
        return Err(already_exists(TASK, &task.id));
    }
    queue(conn, mail, act).await?;
    audit_one(
        conn,
        act.actor,
        act.at,
        Action::Create,
        (TASK, &task.id),
        (None, Some(audit_json(TASK, &task.id, &task)?)),
    )
    .await?;
    Ok(task)
}

pub(crate) async fn get(conn: &mut Conn<'_>, id: &str) -> Result<Option<Task>> {
    fetch(conn, id, false).await
}

pub(crate) async fn list(conn: &mut Conn<'_>, query: &TaskQuery) -> Result<Vec<Task>> {
    let mut sql = String::from(concat!(
        "SELECT ",
        task_columns!(),
        " FROM tasks WHERE 1 = 1"
    ));
    let mut texts: Vec<&str> = Vec::new();
    if let Some(assignee) = &query.assignee {
        texts.push(assignee);
        sql.push_str(&format!(" AND assignee = ${}", texts.len()));
    }
    if let Some(attachment) = &query.attachment {
        let (kind, id) = attachment.parts();
        texts.push(kind);
        texts.push(id);
        sql.push_str(&format!(
            " AND attachment_kind = ${} AND attachment_id = ${}",
            texts.len() - 1,
            texts.len()
        ));
    }
    if let Some(state) = query.state {
        texts.push(state.as_str());
        sql.push_str(&format!(" AND state = ${}", texts.len()));
    }
    sql.push_str(&format!(
        " ORDER BY {ORDER} LIMIT ${} OFFSET ${}",
        texts.len() + 1,
        texts.len() + 2
    ));
    let rows = on!(conn, |c| {
        let mut q = sqlx::query_as::<_, TaskRow>(&sql);
        for text in &texts {
            q = q.bind(*text);
        }
        q.bind(i64::from(query.limit))
            .bind(i64::from(query.offset))
            .fetch_all(c)
            .await
    })?;
    rows.into_iter().map(TaskRow::into_task).collect()
}

pub(crate) async fn set_state(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    id: &str,
    state: TaskState,
) -> Result<Task> {
    let before = fetch(conn, id, true)
        .await?
        .ok_or_else(|| not_found(TASK, id))?;
    if !state.allowed_from().contains(&before.state) {
        return Err(Error::WrongState {
            kind: TASK.to_owned(),
            id: id.to_owned(),
            action: state.action(),
            state: before.state.as_str(),
        });
    }
    let after = Task {
        state,
        updated_at: act.at,
        ..before.clone()
    };
    update(conn, act, &before, &after).await?;
    Ok(after)
}

pub(crate) async fn transfer(
    conn: &mut Conn<'_>,
    act: Act<'_>,
    id: &str,
    (to, note): (&str, Option<&str>),
    mail: Option<&OutgoingMessage>,
) -> Result<Task> {
    let before = fetch(conn, id, true)
        .await?
        .ok_or_else(|| not_found(TASK, id))?;
    let refused = |state: &'static str| Error::WrongState {
        kind: TASK.to_owned(),
        id: id.to_owned(),
        action: "transfer",
        state,
    };
    if before.state != TaskState::Open {
        return Err(refused(before.state.as_str()));
    }
    if before.assignee == to {
        return Err(refused("assigned to them"));
    }
    check_assignee(conn, to).await?;
    let mut after = Task {
        assignee: to.to_owned(),
        updated_at: act.at,
        ..before.clone()
    };
    after.transfers.push(Transfer {
        from: before.assignee.clone(),
        to: to.to_owned(),
        by: act.user.to_owned(),
        at: act.at,
        note: note.map(str::to_owned),
    });
    update(conn, act, &before, &after).await?;
    queue(conn, mail, act).await?;
    Ok(after)
}
