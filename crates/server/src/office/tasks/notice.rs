//! The e-mail that tells a user a task was given to them (created for them, or transferred to
//! them), in their language (their preference, else French), from the `tasks-mail-…` messages.
//! The caller hands it to the store with the write, which queues it in the same transaction.
//!
//! Nobody is told of a task they gave themselves.

use axum::response::Response;
use remise_store::{Importance, NewTask, OutgoingMessage, Task, User};

use super::{Team, attachment_view, importance_name, new_id};
use crate::model::Model;
use crate::office::i18n::{self, Lang};
use crate::office::page::Page;

/// How much of the description a subject quotes (characters).
const SUBJECT_CHARS: usize = 60;

/// The notice of a new task for its assignee; `None` when they created it themselves.
pub fn created(
    team: &Team,
    model: &Model,
    by: &User,
    task: &NewTask,
) -> Result<Option<OutgoingMessage>, Response> {
    let Some(to) = team.get(&task.assignee).filter(|to| to.id != by.id) else {
        return Ok(None);
    };
    let about = About {
        id: &task.id,
        description: &task.description,
        deadline: task.deadline,
        importance: task.importance,
        attachment: task.attachment.as_ref(),
    };
    message(model, by, to, &about, None).map(Some)
}

/// The notice of a transfer for the new assignee; `None` when they transferred it to themselves.
pub fn transferred(
    model: &Model,
    by: &User,
    to: &User,
    task: &Task,
    note: Option<&str>,
) -> Result<Option<OutgoingMessage>, Response> {
    if to.id == by.id {
        return Ok(None);
    }
    let about = About {
        id: &task.id,
        description: &task.description,
        deadline: task.deadline,
        importance: task.importance,
        attachment: task.attachment.as_ref(),
    };
    message(model, by, to, &about, Some(note.unwrap_or_default())).map(Some)
}

/// What the notice says of the task.
struct About<'a> {
    id: &'a str,
    description: &'a str,
    deadline: Option<jiff::civil::Date>,
    importance: Importance,
    attachment: Option<&'a remise_store::Attachment>,
}

/// `note` is `Some` for a transfer (possibly empty), `None` for a new task.
fn message(
    model: &Model,
    by: &User,
    to: &User,
    about: &About<'_>,
    note: Option<&str>,
) -> Result<OutgoingMessage, Response> {
    let lang = to
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(Lang::Fr);
    // A page in the recipient's language, for the shared labels (importance, attachment).
    let page = Page {
        lang,
        user: None,
        csrf: String::new(),
    };
    let one_line: String = about
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut short: String = one_line.chars().take(SUBJECT_CHARS).collect();
    if short.len() < one_line.len() {
        short.push('…');
    }
    let (subject_key, intro_key) = match note {
        None => ("tasks-mail-new-subject", "tasks-mail-new-intro"),
        Some(_) => (
            "tasks-mail-transferred-subject",
            "tasks-mail-transferred-intro",
        ),
    };
    let mut lines = vec![
        page.t1("tasks-mail-hello", "name", &to.name),
        String::new(),
        page.t1(intro_key, "by", &by.name),
        String::new(),
        about.description.to_owned(),
        String::new(),
    ];
    if let Some(deadline) = about.deadline {
        lines.push(page.t1("tasks-mail-deadline", "day", i18n::day(lang, deadline)));
    }
    lines.push(page.t1(
        "tasks-mail-importance",
        "importance",
        importance_name(&page, about.importance),
    ));
    if let Some(attachment) = about.attachment {
        let what = attachment_view(&page, model, attachment).label;
        lines.push(page.t1("tasks-mail-attachment", "what", what));
    }
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        lines.push(String::new());
        lines.push(page.t2("tasks-mail-note", "by", &by.name, "note", note));
    }
    lines.push(String::new());
    lines.push(page.t1(
        "tasks-mail-where",
        "path",
        format!("/office/tasks/{}", about.id),
    ));
    Ok(OutgoingMessage {
        id: new_id("mail")?,
        recipient: to.email.clone(),
        language: lang.code().to_owned(),
        subject: page.t1(subject_key, "description", short),
        body: lines.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use remise_store::Role;

    fn user(id: &str, language: Option<&str>) -> User {
        User {
            id: id.to_owned(),
            email: format!("{id}@example.com"),
            name: format!("Name {id}"),
            role: Role::Marketer,
            password_hash: String::new(),
            language: language.map(str::to_owned),
            active: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_notice_is_in_the_assignees_language_else_french() {
        let by = user("ux", Some("en"));
        let task = NewTask {
            id: "task_1".to_owned(),
            description: "Modèle de page marque".to_owned(),
            deadline: Some(jiff::civil::date(2026, 12, 5)),
            importance: Importance::High,
            assignee: "seo".to_owned(),
            attachment: None,
        };
        for (language, subject, words) in [
            (
                None,
                "Nouvelle tâche : Modèle de page marque",
                "Échéance : 5 déc. 2026",
            ),
            (
                Some("fr"),
                "Nouvelle tâche : Modèle de page marque",
                "Importance : haute",
            ),
            (
                Some("en"),
                "New task: Modèle de page marque",
                "Deadline: 5 Dec 2026",
            ),
        ] {
            let team = Team {
                users: vec![by.clone(), user("seo", language)],
            };
            let mail = created(&team, &Model::default(), &by, &task)
                .unwrap()
                .unwrap();
            assert_eq!(mail.recipient, "seo@example.com");
            assert_eq!(mail.language, language.unwrap_or("fr"));
            assert_eq!(mail.subject, subject);
            assert!(mail.body.contains(words), "{}", mail.body);
            assert!(mail.body.contains("/office/tasks/task_1"), "{}", mail.body);
        }
        // Nobody is told of a task they gave themselves.
        let team = Team {
            users: vec![by.clone()],
        };
        let mine = NewTask {
            assignee: "ux".to_owned(),
            ..task
        };
        assert!(
            created(&team, &Model::default(), &by, &mine)
                .unwrap()
                .is_none()
        );
    }
}
