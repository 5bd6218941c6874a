//! Tasks (seed 001, "Managez"): a description, a deadline, an importance and an assignee,
//! optionally attached to a campaign or a promotion. Each user has their own list, where they view,
//! ignore, process or reopen their tasks and transfer them to someone else with a note; the new
//! assignee gets an e-mail through the outbox, queued in the write's own transaction.
//!
//! Everyone reads tasks (`Need::Read`); working on them needs `Need::Work` (viewers change
//! nothing), and a task is changed by its assignee, its creator or an administrator only.

mod act;
mod attach;
mod create;
mod list;
mod notice;
mod show;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get as get_handler, post as post_handler};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use remise_store::{Attachment, Importance, Millis, Role, Task, TaskState, User};

use super::guard::Need;
use super::i18n;
use super::page::{Page, error_page, render, server_error};
use super::routes::{OfficeRoute, get, post};
use super::session::OfficeUser;
use crate::AppState;
use crate::model::Model;

pub fn routes() -> Vec<OfficeRoute> {
    vec![
        get("/office/tasks", Need::Read, get_handler(list::show)),
        get("/office/tasks/new", Need::Work, get_handler(create::form)),
        post("/office/tasks", Need::Work, post_handler(create::create)),
        get(
            "/office/tasks/attachments",
            Need::Work,
            get_handler(attach::search),
        ),
        get("/office/tasks/{id}", Need::Read, get_handler(show::show)),
        post(
            "/office/tasks/{id}/state",
            Need::Work,
            post_handler(act::set_state),
        ),
        post(
            "/office/tasks/{id}/transfer",
            Need::Work,
            post_handler(act::transfer),
        ),
    ]
}

/// The longest description and transfer note accepted (characters).
pub const MAX_DESCRIPTION: usize = 2000;
pub const MAX_NOTE: usize = 1000;

/// The team as tasks show it: every user, to name assignees, creators and transferrers.
pub struct Team {
    users: Vec<User>,
}

impl Team {
    pub async fn load(state: &AppState) -> Result<Team, Response> {
        match state.store.list_users().await {
            Ok(users) => Ok(Team { users }),
            Err(error) => Err(server_error(&error)),
        }
    }

    pub fn get(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// A user's name, marked when they no longer work here; the id of one deleted from the store.
    pub fn name(&self, page: &Page, id: &str) -> String {
        match self.get(id) {
            Some(user) if user.active => user.name.clone(),
            Some(user) => page.t1("tasks-user-inactive", "name", &user.name),
            None => id.to_owned(),
        }
    }

    /// Who a task may be given to: active users whose role works on tasks (not viewers, who
    /// could not process it), by name.
    pub fn assignable(&self) -> Vec<&User> {
        let mut users: Vec<&User> = self.users.iter().filter(|u| can_take(u)).collect();
        users.sort_by_key(|u| u.name.to_lowercase());
        users
    }
}

/// Whether a task can be given to `user`.
pub fn can_take(user: &User) -> bool {
    user.active && Need::Work.allows(user.role)
}

/// Why a task cannot be given to the user `id`, as a message for the assignee's field.
pub fn refuse_assignee(page: &Page, team: &Team, id: &str) -> Option<String> {
    match team.get(id) {
        None if id.is_empty() => Some(page.t("tasks-assignee-required")),
        None => Some(page.t("tasks-assignee-unknown")),
        Some(user) if !user.active => Some(page.t1("tasks-assignee-inactive", "name", &user.name)),
        Some(user) if user.role == Role::Viewer => {
            Some(page.t1("tasks-assignee-viewer", "name", &user.name))
        }
        Some(_) => None,
    }
}

/// Whether `user` may change `task`: its assignee, its creator, or an administrator.
pub fn may_change(user: &OfficeUser, task: &Task) -> bool {
    let me = &user.user;
    me.role == Role::Administrator || task.assignee == me.id || task.created_by == me.id
}

/// Today in the store's time zone: a task is overdue the day after its deadline.
pub fn today(zone: &TimeZone) -> Date {
    Timestamp::now().to_zoned(zone.clone()).date()
}

/// An instant of the store (milliseconds) in the page's language and the store's zone.
pub fn when(page: &Page, at: Millis, zone: &TimeZone) -> String {
    let at = Timestamp::UNIX_EPOCH
        .checked_add(SignedDuration::from_millis(at))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    i18n::instant(page.lang, at, zone)
}

pub fn state_name(page: &Page, state: TaskState) -> String {
    page.t(&format!("tasks-state-{}", state.as_str()))
}

pub fn importance_name(page: &Page, importance: Importance) -> String {
    page.t(&format!("tasks-importance-{}", importance.as_str()))
}

/// The notice of what was just done (`?done=` after a 303).
pub fn done_notice(page: &Page, done: &str) -> Option<String> {
    match done {
        "created" => Some(page.t("tasks-created")),
        "transferred" => Some(page.t("tasks-transferred")),
        other => TaskState::parse(other).map(|s| page.t(&format!("tasks-done-{}", s.as_str()))),
    }
}

/// What a task is attached to, as a link.
pub struct AttachmentView {
    pub label: String,
    pub href: String,
}

/// The attachment's label (its kind and the document's name, from the served model; the id
/// alone once the document is gone) and the page that shows it.
pub fn attachment_view(page: &Page, model: &Model, attachment: &Attachment) -> AttachmentView {
    let (kind, id) = attachment.parts();
    let name = match attachment {
        Attachment::Campaign(id) => model.campaigns.get(id).map(|c| c.name.clone()),
        Attachment::Promotion(id) => model.promotions.get(id).map(|p| p.name.clone()),
    }
    .filter(|name| !name.is_empty())
    .unwrap_or_else(|| id.to_owned());
    AttachmentView {
        label: page.t1(&format!("tasks-attached-{kind}"), "name", name),
        href: format!(
            "/office/{kind}s/{}",
            super::session::url_encode(id).replace('+', "%20")
        ),
    }
}

/// A task as lists and its page show it.
pub struct TaskView {
    pub id: String,
    pub description: String,
    pub deadline: String,
    pub overdue: bool,
    pub importance: String,
    pub high: bool,
    pub state: TaskState,
    pub state_name: String,
    pub assignee: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub attachment: Option<AttachmentView>,
    /// Whether the signed-in user may change it.
    pub changeable: bool,
}

impl TaskView {
    pub fn new(
        page: &Page,
        user: Option<&OfficeUser>,
        (team, model, zone): (&Team, &Model, &TimeZone),
        task: &Task,
    ) -> TaskView {
        TaskView {
            id: task.id.clone(),
            description: task.description.clone(),
            deadline: task
                .deadline
                .map_or_else(|| page.t("tasks-no-deadline"), |d| i18n::day(page.lang, d)),
            overdue: task.overdue(today(zone)),
            importance: importance_name(page, task.importance),
            high: task.importance == Importance::High,
            state: task.state,
            state_name: state_name(page, task.state),
            assignee: team.name(page, &task.assignee),
            created_by: team.name(page, &task.created_by),
            created_at: when(page, task.created_at, zone),
            updated_at: when(page, task.updated_at, zone),
            attachment: task
                .attachment
                .as_ref()
                .map(|a| attachment_view(page, model, a)),
            changeable: user.is_some_and(|u| page.can_work() && may_change(u, task)),
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == TaskState::Open
    }

    /// The states this task may be put in from the one it is in, with their button's text.
    pub fn moves(&self, page: &Page) -> Vec<(&'static str, String)> {
        TaskState::ALL
            .into_iter()
            .filter(|to| to.allowed_from().contains(&self.state))
            .map(|to| (to.as_str(), page.t(&format!("tasks-do-{}", to.action()))))
            .collect()
    }
}

/// 404 for a task that does not exist.
pub fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "tasks-not-found-title",
        "tasks-not-found",
    )
}

/// 200 with the page.
pub fn ok(template: &impl Template) -> Response {
    render(StatusCode::OK, template)
}

/// A new id with `prefix`: 64 random bits.
pub fn new_id(prefix: &str) -> Result<String, Response> {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => Ok(format!("{prefix}_{}", hex::encode(bytes))),
        Err(error) => Err(server_error(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::i18n::{Lang, message};

    /// Keys built at run time (`tasks-state-…`, `tasks-importance-…`, `tasks-do-…`,
    /// `tasks-attached-…`) exist in both languages.
    #[test]
    fn keys_made_from_names_exist() {
        let mut keys = Vec::new();
        for state in TaskState::ALL {
            keys.push(format!("tasks-state-{}", state.as_str()));
            keys.push(format!("tasks-do-{}", state.action()));
            keys.push(format!("tasks-done-{}", state.as_str()));
        }
        for importance in Importance::ALL {
            keys.push(format!("tasks-importance-{}", importance.as_str()));
        }
        for kind in ["campaign", "promotion"] {
            keys.push(format!("tasks-attached-{kind}"));
        }
        for lang in Lang::ALL {
            for key in &keys {
                assert_ne!(&message(lang, key, None), key, "{} {key}", lang.code());
            }
        }
    }
}
