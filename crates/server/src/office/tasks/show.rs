//! A task's page: its facts, its history of transfers, and what the user may do with it
//! (process, ignore, reopen, transfer with a note).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::Task;
use serde::Deserialize;

use super::{TaskView, Team, not_found, when};
use crate::AppState;
use crate::model::Model;
use crate::office::form::FormErrors;
use crate::office::page::{Page, render, server_error};
use crate::office::session::OfficeUser;

/// A transfer as the history shows it.
pub struct TransferView {
    pub at: String,
    pub from: String,
    pub to: String,
    pub by: String,
    pub note: String,
}

/// The transfer form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "office/tasks/show.html")]
struct TaskPage<'a> {
    page: &'a Page,
    task: TaskView,
    transfers: Vec<TransferView>,
    /// `(id, name)` of who it may be transferred to.
    recipients: Vec<(String, String)>,
    transfer: TransferForm,
    errors: FormErrors,
    notice: Option<String>,
    /// This page, for the state buttons to come back to.
    here: String,
}

impl TaskPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

/// The task's page; `errors` (with `status` 422) when a transfer was refused.
pub fn task_page(
    (page, user): (&Page, &OfficeUser),
    (team, model): (&Team, &Model),
    task: &Task,
    (transfer, errors): (TransferForm, FormErrors),
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let zone = model.time_zone();
    let view = TaskView::new(page, Some(user), (team, model, &zone), task);
    let transfers = task
        .transfers
        .iter()
        .rev()
        .map(|t| TransferView {
            at: when(page, t.at, &zone),
            from: team.name(page, &t.from),
            to: team.name(page, &t.to),
            by: team.name(page, &t.by),
            note: t.note.clone().unwrap_or_default(),
        })
        .collect();
    let recipients = team
        .assignable()
        .into_iter()
        .filter(|u| u.id != task.assignee)
        .map(|u| (u.id.clone(), u.name.clone()))
        .collect();
    render(
        status,
        &TaskPage {
            page,
            here: format!("/office/tasks/{}", task.id),
            task: view,
            transfers,
            recipients,
            transfer,
            errors,
            notice,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let task = match state.store.get_task(&id).await {
        Ok(Some(task)) => task,
        Ok(None) => return not_found(&page),
        Err(error) => return server_error(&error),
    };
    let team = match Team::load(&state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    let notice = super::done_notice(&page, &notice.done);
    let published = state.publisher.current();
    task_page(
        (&page, &user),
        (&team, &published.model),
        &task,
        (TransferForm::default(), FormErrors::default()),
        notice,
        StatusCode::OK,
    )
}
