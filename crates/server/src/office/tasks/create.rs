//! A new task: `/office/tasks/new` (the form, pre-attached with `?campaign=` or `?promotion=`),
//! posted to `/office/tasks` (303 to the task's page, or 422 with each error next to its input).
//! The assignee's e-mail is queued with the task, in its transaction.
//!
//! The attachment is chosen among the campaigns and promotions matching a search: live with htmx
//! (`/office/tasks/attachments`), or without JavaScript by the form's "Search" button, which
//! shows the form again (a GET, nothing saved) with the matches.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use remise_store::{Act, Attachment, Error as StoreError, Importance, NewTask};
use serde::Deserialize;

use super::attach::{self, Choices};
use super::{MAX_DESCRIPTION, Team, new_id, notice, refuse_assignee, today};
use crate::AppState;
use crate::model::Model;
use crate::office::form::FormErrors;
use crate::office::page::{Page, render, server_error};
use crate::office::session::{OfficeUser, see_other};

/// What the form holds, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    importance: String,
    #[serde(default)]
    assignee: String,
    /// `campaign:<id>`, `promotion:<id>`, or empty for none.
    #[serde(default)]
    attachment: String,
    /// The words looked for among campaigns and promotions.
    #[serde(default)]
    q: String,
    /// Pre-attachment from a campaign's or a promotion's page.
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    promotion: String,
}

#[derive(Template)]
#[template(path = "office/tasks/new.html")]
struct NewPage<'a> {
    page: &'a Page,
    form: TaskForm,
    /// `(id, name)` of who the task may be given to.
    assignees: Vec<(String, String)>,
    importances: Vec<(&'static str, String)>,
    choices: Choices,
    errors: FormErrors,
}

impl NewPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

fn new_page<'a>(
    page: &'a Page,
    team: &Team,
    model: &Model,
    form: TaskForm,
    errors: FormErrors,
) -> NewPage<'a> {
    let choices = attach::choices(
        page,
        model,
        &form.attachment,
        &form.q,
        errors.get("attachment").map(str::to_owned),
    );
    NewPage {
        assignees: team
            .assignable()
            .into_iter()
            .map(|u| (u.id.clone(), u.name.clone()))
            .collect(),
        // High first, as people scan for it.
        importances: Importance::ALL
            .into_iter()
            .rev()
            .map(|i| (i.as_str(), super::importance_name(page, i)))
            .collect(),
        choices,
        errors,
        form,
        page,
    }
}

/// The form: empty (assigned to the user, normal importance), attached to the campaign or
/// promotion the link came from, or as it was when "Search" was pressed.
pub async fn form(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Query(mut form): Query<TaskForm>,
) -> Response {
    let team = match Team::load(&state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    if form.assignee.is_empty() {
        form.assignee = user.user.id.clone();
    }
    if form.importance.is_empty() {
        form.importance = "normal".to_owned();
    }
    if form.attachment.is_empty() {
        if !form.campaign.is_empty() {
            form.attachment = format!("campaign:{}", form.campaign);
        } else if !form.promotion.is_empty() {
            form.attachment = format!("promotion:{}", form.promotion);
        }
    }
    let published = state.publisher.current();
    render(
        StatusCode::OK,
        &new_page(&page, &team, &published.model, form, FormErrors::default()),
    )
}

/// The task's fields, checked, each error for its input.
struct Checked {
    description: String,
    deadline: Date,
    importance: Importance,
    attachment: Option<Attachment>,
}

fn check(
    page: &Page,
    team: &Team,
    model: &Model,
    form: &TaskForm,
    errors: &mut FormErrors,
) -> Option<Checked> {
    let description = form.description.trim().to_owned();
    if description.is_empty() {
        errors.add("description", page.t("tasks-description-required"));
    } else if description.chars().count() > MAX_DESCRIPTION {
        errors.add(
            "description",
            page.t1("tasks-description-too-long", "max", MAX_DESCRIPTION),
        );
    }
    let zone = model.time_zone();
    let deadline = match form.deadline.trim() {
        "" => {
            errors.add("deadline", page.t("tasks-deadline-required"));
            None
        }
        text => match text.parse::<Date>() {
            Ok(day) if day < today(&zone) => {
                errors.add("deadline", page.t("tasks-deadline-past"));
                None
            }
            Ok(day) => Some(day),
            Err(_) => {
                errors.add("deadline", page.t("tasks-deadline-invalid"));
                None
            }
        },
    };
    let importance = Importance::parse(&form.importance);
    if importance.is_none() {
        errors.add("importance", page.t("tasks-importance-invalid"));
    }
    if let Some(message) = refuse_assignee(page, team, &form.assignee) {
        errors.add("assignee", message);
    }
    let attachment = match form.attachment.as_str() {
        "" => None,
        text => match attach::parse(text) {
            Some(attachment) if attach::exists(model, &attachment) => Some(attachment),
            _ => {
                errors.add("attachment", page.t("tasks-attachment-unknown"));
                None
            }
        },
    };
    match (deadline, importance) {
        (Some(deadline), Some(importance)) if errors.is_empty() => Some(Checked {
            description,
            deadline,
            importance,
            attachment,
        }),
        _ => None,
    }
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Form(form): Form<TaskForm>,
) -> Response {
    let team = match Team::load(&state).await {
        Ok(team) => team,
        Err(response) => return response,
    };
    let published = state.publisher.current();
    let model = &published.model;
    let mut errors = FormErrors::default();
    let refused = |errors| {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(&page, &team, model, form.clone(), errors),
        )
    };
    let Some(checked) = check(&page, &team, model, &form, &mut errors) else {
        return refused(errors);
    };
    let id = match new_id("task") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let task = NewTask {
        id,
        description: checked.description,
        deadline: Some(checked.deadline),
        importance: checked.importance,
        assignee: form.assignee.clone(),
        attachment: checked.attachment,
    };
    let mail = match notice::created(&team, model, &user.user, &task) {
        Ok(mail) => mail,
        Err(response) => return response,
    };
    let actor = user.actor();
    let act = Act {
        actor: &actor,
        user: &user.user.id,
        at: remise_store::now_millis(),
    };
    match state.store.create_task(act, &task, mail.as_ref()).await {
        Ok(task) => see_other(&format!(
            "/office/tasks/{}?done=created",
            crate::office::session::url_encode(&task.id)
        )),
        // The assignee left (or lost the role) between the check and the write.
        Err(StoreError::WrongState { .. } | StoreError::NotFound { .. }) => {
            errors.add("assignee", page.t("tasks-assignee-unknown"));
            refused(errors)
        }
        Err(error) => server_error(&error),
    }
}
