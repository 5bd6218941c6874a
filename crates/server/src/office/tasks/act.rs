//! Working on a task: process it, ignore it, reopen it (`/office/tasks/{id}/state`), or transfer
//! it to someone else with a note (`/office/tasks/{id}/transfer`, which queues the new assignee's
//! e-mail with the transfer). Only its assignee, its creator or an administrator may.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_store::{Act, Error as StoreError, Task, TaskState};
use serde::Deserialize;

use super::show::{TransferForm, task_page};
use super::{MAX_NOTE, Team, may_change, not_found, notice, refuse_assignee};
use crate::AppState;
use crate::office::form::FormErrors;
use crate::office::page::{Page, forbidden, server_error};
use crate::office::session::{OfficeUser, safe_next, see_other, url_encode};

/// The task `id`, if the user may change it; else the 404 or 403 page.
async fn changeable(
    state: &AppState,
    page: &Page,
    user: &OfficeUser,
    id: &str,
) -> Result<Task, Response> {
    match state.store.get_task(id).await {
        Ok(Some(task)) if may_change(user, &task) => Ok(task),
        Ok(Some(_)) => Err(forbidden(page, "tasks-not-yours")),
        Ok(None) => Err(not_found(page)),
        Err(error) => Err(server_error(&error)),
    }
}

/// The task's page again, with `errors` (422).
async fn refused(
    state: &AppState,
    (page, user): (&Page, &OfficeUser),
    task: &Task,
    transfer: TransferForm,
    errors: FormErrors,
) -> Response {
    let team = match Team::load(state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    let published = state.publisher.current();
    task_page(
        (page, user),
        (&team, &published.model),
        task,
        (transfer, errors),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct StateForm {
    /// `open`, `ignored` or `done`.
    #[serde(default)]
    state: String,
    /// Where to go back to (the list or the task's page).
    #[serde(default)]
    next: String,
}

pub async fn set_state(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(form): Form<StateForm>,
) -> Response {
    let task = match changeable(&state, &page, &user, &id).await {
        Ok(task) => task,
        Err(response) => return response,
    };
    let Some(to) = TaskState::parse(&form.state) else {
        let mut errors = FormErrors::default();
        errors.general.push(page.t("tasks-state-invalid"));
        let form = TransferForm::default();
        return refused(&state, (&page, &user), &task, form, errors).await;
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: remise_store::now_millis(),
    };
    match state.store.set_task_state(act, &id, to).await {
        Ok(_) => {
            let default = format!("/office/tasks/{}", url_encode(&id));
            let next = match form.next.as_str() {
                "" => default.as_str(),
                next => safe_next(Some(next)),
            };
            let joint = if next.contains('?') { '&' } else { '?' };
            see_other(&format!("{next}{joint}done={}", to.as_str()))
        }
        // Someone else changed it first (processed it, say).
        Err(StoreError::WrongState { .. }) => {
            let task = match state.store.get_task(&id).await {
                Ok(Some(now)) => now,
                Ok(None) => return not_found(&page),
                Err(error) => return server_error(&error),
            };
            let mut errors = FormErrors::default();
            errors.general.push(page.t1(
                "tasks-state-refused",
                "state",
                super::state_name(&page, task.state),
            ));
            refused(
                &state,
                (&page, &user),
                &task,
                TransferForm::default(),
                errors,
            )
            .await
        }
        Err(StoreError::NotFound { .. }) => not_found(&page),
        Err(error) => server_error(&error),
    }
}

pub async fn transfer(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> Response {
    let task = match changeable(&state, &page, &user, &id).await {
        Ok(task) => task,
        Err(response) => return response,
    };
    let team = match Team::load(&state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    let mut errors = FormErrors::default();
    if task.state != TaskState::Open {
        errors.general.push(page.t("tasks-transfer-not-open"));
    }
    if form.to == task.assignee {
        errors.add("to", page.t("tasks-transfer-same"));
    } else if let Some(message) = refuse_assignee(&page, &team, &form.to) {
        errors.add("to", message);
    }
    let note = form.note.trim();
    if note.chars().count() > MAX_NOTE {
        errors.add("note", page.t1("tasks-note-too-long", "max", MAX_NOTE));
    }
    let Some(to) = team.get(&form.to).filter(|_| errors.is_empty()) else {
        return refused(&state, (&page, &user), &task, form, errors).await;
    };
    let note = (!note.is_empty()).then_some(note);
    let published = state.publisher.current();
    let mail = match notice::transferred(&published.model, &user.user, to, &task, note) {
        Ok(mail) => mail,
        Err(response) => return response,
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: remise_store::now_millis(),
    };
    let done = state
        .store
        .transfer_task(act, &id, &to.id, note, mail.as_ref())
        .await;
    match done {
        Ok(_) => see_other(&format!(
            "/office/tasks/{}?done=transferred",
            url_encode(&id)
        )),
        // The recipient was deactivated (or removed) between the check and the write.
        Err(StoreError::WrongState { kind, .. } | StoreError::NotFound { kind, .. })
            if kind == "user" =>
        {
            errors.add("to", page.t1("tasks-assignee-inactive", "name", &to.name));
            refused(&state, (&page, &user), &task, form, errors).await
        }
        // The task changed first (processed, or transferred by someone else).
        Err(StoreError::WrongState { .. }) => {
            errors.general.push(page.t("tasks-transfer-not-open"));
            refused(&state, (&page, &user), &task, form, errors).await
        }
        Err(StoreError::NotFound { .. }) => not_found(&page),
        Err(error) => server_error(&error),
    }
}
