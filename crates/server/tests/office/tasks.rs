//! Tasks: the own list (open first, overdue first and said so), creating one (with its
//! assignee's e-mail queued, in their language), processing, ignoring, reopening, transferring
//! (with the note and the history; an inactive recipient refused next to the field), who may
//! act, the lists of a campaign, pagination and the attachment search.

use remise_store::{
    Act, Actor, Attachment, Importance, NewTask, Role, Session, Store, Task, TaskQuery, TaskState,
    User, now_millis,
};
use reqwest::StatusCode;
use reqwest::header;
use sha2::{Digest, Sha256};

use crate::support::{OfficeApp, Visitor, spawn};

/// The text of the error shown next to the input `field` (`<p class="error" id="e-field">`),
/// HTML entities decoded.
pub fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"e-{field}\">");
    let at = html.find(&marker)? + marker.len();
    let end = html[at..].find("</p>")?;
    Some(unescape(&html[at..at + end]))
}

/// `html` with the entities askama writes decoded.
pub fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A page's HTML, decoded, after checking its status.
pub async fn page(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "{}", response.url());
    unescape(&response.text().await.unwrap())
}

/// The task's id from a 303 to its page.
fn created_id(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    let rest = location.strip_prefix("/office/tasks/").unwrap();
    rest.split('?').next().unwrap().to_owned()
}

/// A task made straight in the store, by `by` for `to`.
pub async fn make_task(
    store: &dyn Store,
    (by, to): (&User, &User),
    id: &str,
    description: &str,
    deadline: Option<jiff::civil::Date>,
) -> Task {
    let actor = Actor(format!("user:{}", by.email));
    let act = Act {
        actor: &actor,
        user: &by.id,
        at: now_millis(),
    };
    let task = NewTask {
        id: id.to_owned(),
        description: description.to_owned(),
        deadline,
        importance: Importance::Normal,
        assignee: to.id.clone(),
        attachment: None,
    };
    store.create_task(act, &task, None).await.unwrap()
}

/// A session for any user, made in the store (as `OfficeApp::visitor` does for the demo's).
pub async fn visitor_for(app: &OfficeApp, user: &User) -> Visitor {
    let token = hex::encode(random_bytes());
    let csrf = hex::encode(random_bytes());
    let now = now_millis();
    app.store
        .create_session(&Session {
            id_hash: hex::encode(Sha256::digest(token.as_bytes())),
            user_id: user.id.clone(),
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + 3_600_000,
            revoked_at: None,
        })
        .await
        .unwrap();
    Visitor {
        cookie: format!("remise_session={token}"),
        csrf,
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// Today in the demo store's time zone, as the server reads deadlines.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().in_tz("Europe/Paris").unwrap().date()
}

pub fn in_days(days: i64) -> jiff::civil::Date {
    today().checked_add(jiff::Span::new().days(days)).unwrap()
}

/// A new active user of `role` made in the store (the SEO referent, the UX designer).
pub async fn add_user(app: &OfficeApp, email: &str, name: &str, role: Role) -> User {
    let user =
        remise_server::office::new_user::new_user(email, name, role, "a long password", 1).unwrap();
    app.store
        .create_user(&Actor("test".into()), &user)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_list_and_the_form_speak_french_and_english() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let html = page(
        app.get(Some(&marketer), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("<h1>Mes tâches</h1>"), "{html}");
    assert!(html.contains("Aucune tâche ici."));
    assert!(html.contains("Nouvelle tâche"));
    let html = page(
        app.get(Some(&marketer), "/office/tasks")
            .header(header::ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("<h1>My tasks</h1>"), "{html}");
    assert!(html.contains("No tasks here."));

    let form = page(
        app.get(Some(&marketer), "/office/tasks/new")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(form.contains("Date limite") && form.contains("Attribuée à"));
    // Viewers cannot work on tasks: they are not offered as assignees.
    assert!(form.contains("Marc Marketeur") && !form.contains("Louis Lecteur"));
    let form = page(
        app.get(Some(&marketer), "/office/tasks/new")
            .header(header::ACCEPT_LANGUAGE, "en-GB")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(form.contains("Deadline") && form.contains("Assigned to"));
    assert!(form.contains("Create the task"));
}

#[tokio::test]
async fn a_task_is_created_for_someone_and_their_mail_is_queued_in_their_language() {
    let app = spawn().await;
    let approver = app.user(Role::Approver).await;
    app.store
        .set_language(
            &Actor("test".into()),
            &approver.id,
            Some("en"),
            now_millis(),
        )
        .await
        .unwrap();
    let marketer = app.visitor(Role::Marketer).await;
    let deadline = in_days(3).to_string();
    let response = app
        .post_form(
            Some(&marketer),
            "/office/tasks",
            &[
                ("description", "Valider le modèle de page marque"),
                ("deadline", &deadline),
                ("importance", "high"),
                ("assignee", &approver.id),
                ("attachment", "campaign:lancement-marvel"),
            ],
        )
        .send()
        .await
        .unwrap();
    let id = created_id(&response);
    let task = app.store.get_task(&id).await.unwrap().unwrap();
    assert_eq!(task.assignee, approver.id);
    assert_eq!(task.importance, Importance::High);
    assert_eq!(task.deadline, Some(in_days(3)));
    assert_eq!(
        task.attachment,
        Some(Attachment::Campaign("lancement-marvel".into()))
    );
    assert_eq!(task.created_by, app.user(Role::Marketer).await.id);

    let outbox = app.store.list_outbox(None, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let mail = &outbox[0];
    assert_eq!(mail.recipient, approver.email);
    assert_eq!(mail.language, "en");
    let text = mail.text.as_ref().unwrap();
    assert_eq!(text.subject, "New task: Valider le modèle de page marque");
    assert!(
        text.body.contains("Marc Marketeur has given you a task"),
        "{}",
        text.body
    );
    assert!(text.body.contains("Importance: high"), "{}", text.body);
    assert!(
        text.body
            .contains("About: campaign “Lancement de la gamme Marvel”"),
        "{}",
        text.body
    );
    assert!(text.body.contains(&format!("/office/tasks/{id}")));

    // The task's page, and the campaign's list of tasks.
    let html = page(
        app.get(Some(&marketer), &format!("/office/tasks/{id}?done=created"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Tâche créée."), "{html}");
    assert!(html.contains("Valider le modèle de page marque"));
    assert!(
        html.contains("campagne « Lancement de la gamme Marvel »"),
        "{html}"
    );
    assert!(html.contains("La tâche n'a jamais été transférée."));
    let html = page(
        app.get(Some(&marketer), "/office/tasks?campaign=lancement-marvel")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains(&format!("/office/tasks/{id}")), "{html}");
    assert!(html.contains("Tâches : campagne « Lancement de la gamme Marvel »"));
    // Not the marketer's own: their list stays empty; the approver's shows it.
    let html = page(
        app.get(Some(&marketer), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains(&format!("/office/tasks/{id}")));
    let approver_visitor = app.visitor(Role::Approver).await;
    let html = page(
        app.get(Some(&approver_visitor), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains(&format!("/office/tasks/{id}")));
    // Other campaigns' lists do not show it.
    let html = page(
        app.get(Some(&marketer), "/office/tasks?campaign=black-friday-2026")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains(&format!("/office/tasks/{id}")));
}

#[tokio::test]
async fn a_task_for_oneself_sends_no_mail() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let me = app.user(Role::Marketer).await;
    let deadline = in_days(1).to_string();
    let response = app
        .post_form(
            Some(&marketer),
            "/office/tasks",
            &[
                ("description", "Relire les bannières"),
                ("deadline", &deadline),
                ("importance", "normal"),
                ("assignee", &me.id),
            ],
        )
        .send()
        .await
        .unwrap();
    let id = created_id(&response);
    assert!(app.store.get_task(&id).await.unwrap().is_some());
    assert!(app.store.list_outbox(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_task_form_shows_each_error_next_to_its_field_and_stores_nothing() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let viewer = app.user(Role::Viewer).await;
    let yesterday = in_days(-1).to_string();
    let html = page(
        app.post_form(
            Some(&marketer),
            "/office/tasks",
            &[
                ("description", "   "),
                ("deadline", &yesterday),
                ("importance", "urgent"),
                ("assignee", &viewer.id),
                ("attachment", "campaign:no-such-campaign"),
            ],
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "description").as_deref(),
        Some("Décrivez la tâche.")
    );
    assert_eq!(
        field_error(&html, "deadline").as_deref(),
        Some("Cette date est déjà passée.")
    );
    assert!(field_error(&html, "importance").unwrap().contains("basse"));
    assert_eq!(
        field_error(&html, "assignee").as_deref(),
        Some("Louis Lecteur est lecteur : ce rôle ne permet pas de traiter une tâche.")
    );
    assert!(
        field_error(&html, "attachment")
            .unwrap()
            .contains("n'existe pas")
    );
    // What was typed stays.
    assert!(html.contains(&format!("value=\"{yesterday}\"")));

    let html = page(
        app.post_form(
            Some(&marketer),
            "/office/tasks",
            &[
                ("description", "x"),
                ("deadline", "31/12/2026"),
                ("importance", "low"),
                ("assignee", "usr_nobody"),
            ],
        )
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "deadline").as_deref(),
        Some("This is not a valid date (expected: YYYY-MM-DD).")
    );
    assert_eq!(
        field_error(&html, "assignee").as_deref(),
        Some("This user does not exist (any more).")
    );
    assert!(field_error(&html, "description").is_none());

    let all = TaskQuery {
        limit: 100,
        ..TaskQuery::default()
    };
    assert!(app.store.list_tasks(&all).await.unwrap().is_empty());
    assert!(app.store.list_outbox(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_task_is_processed_ignored_and_reopened() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let marketer_user = app.user(Role::Marketer).await;
    make_task(
        app.store.as_ref(),
        (&admin, &marketer_user),
        "task_a",
        "Préparer les visuels",
        Some(in_days(2)),
    )
    .await;
    let marketer = app.visitor(Role::Marketer).await;
    let state = |to: &'static str, next: &'static str| {
        app.post_form(
            Some(&marketer),
            "/office/tasks/task_a/state",
            &[("state", to), ("next", next)],
        )
    };
    // From the list: back to the list, with a notice.
    let done = state("done", "/office/tasks?state=open")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers()[header::LOCATION],
        "/office/tasks?state=open&done=done"
    );
    let stored = app.store.get_task("task_a").await.unwrap().unwrap();
    assert_eq!(stored.state, TaskState::Done);
    let html = page(
        app.get(Some(&marketer), "/office/tasks?state=done&done=done")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Tâche traitée.") && html.contains("Préparer les visuels"));

    // A done task cannot be ignored: refused, the reason said, nothing changed.
    let html = page(
        state("ignored", "").send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        html.contains("Impossible : la tâche est désormais « Traitée »."),
        "{html}"
    );
    assert_eq!(
        app.store.get_task("task_a").await.unwrap().unwrap().state,
        TaskState::Done
    );

    let reopened = state("open", "").send().await.unwrap();
    assert_eq!(
        reopened.headers()[header::LOCATION],
        "/office/tasks/task_a?done=open"
    );
    let ignored = state("ignored", "https://elsewhere.example/")
        .send()
        .await
        .unwrap();
    // Never sent to another site.
    assert_eq!(ignored.headers()[header::LOCATION], "/office?done=ignored");
    assert_eq!(
        app.store.get_task("task_a").await.unwrap().unwrap().state,
        TaskState::Ignored
    );
    let html = page(
        state("sleeping", "").send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(html.contains("Action inconnue sur cette tâche."));
}

#[tokio::test]
async fn a_task_is_transferred_with_a_note_and_the_new_assignee_is_told() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let ux = add_user(&app, "ux@demo.remise.test", "Ursula UX", Role::Marketer).await;
    let seo = add_user(&app, "seo@demo.remise.test", "Serge SEO", Role::Approver).await;
    make_task(
        app.store.as_ref(),
        (&admin, &ux),
        "task_brand",
        "Modèle de page marque",
        Some(in_days(5)),
    )
    .await;
    let ux_visitor = visitor_for(&app, &ux).await;
    let html = page(
        app.get(Some(&ux_visitor), "/office/tasks/task_brand")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Transférer à") && html.contains("Serge SEO"));

    let response = app
        .post_form(
            Some(&ux_visitor),
            "/office/tasks/task_brand/transfer",
            &[("to", &seo.id), ("note", "Pour validation SEO")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/office/tasks/task_brand?done=transferred"
    );
    let task = app.store.get_task("task_brand").await.unwrap().unwrap();
    assert_eq!(task.assignee, seo.id);
    assert_eq!(task.transfers.len(), 1);
    assert_eq!(task.transfers[0].from, ux.id);
    assert_eq!(
        task.transfers[0].note.as_deref(),
        Some("Pour validation SEO")
    );

    let outbox = app.store.list_outbox(None, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "seo@demo.remise.test");
    assert_eq!(outbox[0].language, "fr");
    let text = outbox[0].text.as_ref().unwrap();
    assert_eq!(text.subject, "Tâche transférée : Modèle de page marque");
    assert!(text.body.contains("Bonjour Serge SEO,"), "{}", text.body);
    assert!(text.body.contains("Ursula UX vous a transféré une tâche"));
    assert!(
        text.body
            .contains("Note de Ursula UX : Pour validation SEO")
    );

    // The history, on the task's page; the SEO referent has it in their list.
    let seo_visitor = visitor_for(&app, &seo).await;
    let html = page(
        app.get(
            Some(&seo_visitor),
            "/office/tasks/task_brand?done=transferred",
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Tâche transférée."));
    assert!(
        html.contains(
            "<td>Ursula UX</td><td>Serge SEO</td><td>Ursula UX</td><td>Pour validation SEO</td>"
        ),
        "{html}"
    );
    let html = page(
        app.get(Some(&seo_visitor), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("/office/tasks/task_brand"));
    // The former assignee no longer may change it (neither assignee, creator nor administrator).
    let refused = app
        .post_form(
            Some(&ux_visitor),
            "/office/tasks/task_brand/state",
            &[("state", "done")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_transfer_to_an_inactive_user_is_refused_next_to_the_field() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let marketer_user = app.user(Role::Marketer).await;
    let gone = add_user(
        &app,
        "gone@demo.remise.test",
        "Gaston Parti",
        Role::Marketer,
    )
    .await;
    app.store
        .set_active(&Actor("test".into()), &gone.id, false, now_millis())
        .await
        .unwrap();
    make_task(
        app.store.as_ref(),
        (&admin, &marketer_user),
        "task_b",
        "Mettre à jour les prix",
        None,
    )
    .await;
    let marketer = app.visitor(Role::Marketer).await;
    // Not offered…
    let html = page(
        app.get(Some(&marketer), "/office/tasks/task_b")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains("Gaston Parti"));
    // …and refused when forged.
    let html = page(
        app.post_form(
            Some(&marketer),
            "/office/tasks/task_b/transfer",
            &[("to", &gone.id), ("note", "à toi")],
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "to").as_deref(),
        Some("Gaston Parti est désactivé : on ne peut plus lui attribuer de tâche.")
    );
    // The note typed stays in its field.
    assert!(html.contains(">à toi</textarea>"), "{html}");
    let html = page(
        app.post_form(
            Some(&marketer),
            "/office/tasks/task_b/transfer",
            &[("to", "")],
        )
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "to").as_deref(),
        Some("Choose who the task is for.")
    );
    let task = app.store.get_task("task_b").await.unwrap().unwrap();
    assert_eq!(task.assignee, marketer_user.id);
    assert!(task.transfers.is_empty());
    assert!(app.store.list_outbox(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn viewers_change_no_task_and_others_only_their_own() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let marketer_user = app.user(Role::Marketer).await;
    make_task(
        app.store.as_ref(),
        (&admin, &marketer_user),
        "task_c",
        "Contrôler le budget",
        Some(in_days(1)),
    )
    .await;
    let viewer = app.visitor(Role::Viewer).await;
    // A viewer reads the task, with no control…
    let html = page(
        app.get(Some(&viewer), "/office/tasks/task_c")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Contrôler le budget"));
    assert!(!html.contains("/office/tasks/task_c/state") && !html.contains("Transférer à"));
    let html = page(
        app.get(Some(&viewer), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains("Nouvelle tâche"));
    // …and their forged POSTs are refused.
    for (path, fields) in [
        (
            "/office/tasks",
            vec![("description", "x"), ("deadline", "2099-01-01")],
        ),
        ("/office/tasks/task_c/state", vec![("state", "done")]),
        (
            "/office/tasks/task_c/transfer",
            vec![("to", admin.id.as_str())],
        ),
    ] {
        let response = app
            .post_form(Some(&viewer), path, &fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // An approver who neither has nor created it may not change it either.
    let approver = app.visitor(Role::Approver).await;
    let response = app
        .post_form(
            Some(&approver),
            "/office/tasks/task_c/state",
            &[("state", "done")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Its creator, an administrator, may.
    let admin_visitor = app.visitor(Role::Administrator).await;
    let response = app
        .post_form(
            Some(&admin_visitor),
            "/office/tasks/task_c/state",
            &[("state", "ignored")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let task = app.store.get_task("task_c").await.unwrap().unwrap();
    assert_eq!(task.state, TaskState::Ignored);
    assert!(app.store.list_outbox(None, 10).await.unwrap().is_empty());
    // Unknown tasks are 404.
    let missing = app
        .get(Some(&viewer), "/office/tasks/task_none")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn overdue_tasks_come_first_and_say_so() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let me = app.user(Role::Marketer).await;
    let store = app.store.as_ref();
    make_task(store, (&admin, &me), "t1", "Sans échéance", None).await;
    make_task(
        store,
        (&admin, &me),
        "t2",
        "Pour la semaine prochaine",
        Some(in_days(7)),
    )
    .await;
    make_task(
        store,
        (&admin, &me),
        "t3",
        "En retard de trois jours",
        Some(in_days(-3)),
    )
    .await;
    make_task(store, (&admin, &me), "t4", "Déjà faite", Some(in_days(-10))).await;
    let actor = Actor("test".into());
    let act = Act {
        actor: &actor,
        user: &me.id,
        at: now_millis(),
    };
    store
        .set_task_state(act, "t4", TaskState::Done)
        .await
        .unwrap();
    let marketer = app.visitor(Role::Marketer).await;
    for (lang, overdue) in [("fr", "En retard"), ("en", "Overdue")] {
        let html = page(
            app.get(Some(&marketer), "/office/tasks")
                .header(header::ACCEPT_LANGUAGE, lang)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        let at = |text: &str| html.find(text).unwrap_or_else(|| panic!("{text}: {html}"));
        assert!(at("En retard de trois jours") < at("Pour la semaine prochaine"));
        assert!(at("Pour la semaine prochaine") < at("Sans échéance"));
        assert!(at("Sans échéance") < at("Déjà faite"));
        // Said in words, on the overdue row only (not the done one, past as its deadline is).
        assert_eq!(
            html.matches(&format!("<span class=\"badge bad\">{overdue}</span>"))
                .count(),
            1,
            "{html}"
        );
        let row = &html[at("En retard de trois jours")..at("Pour la semaine prochaine")];
        assert!(row.contains(overdue), "{row}");
    }
    // The filter by state.
    let html = page(
        app.get(Some(&marketer), "/office/tasks?state=done")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Déjà faite") && !html.contains("Sans échéance"));
}

#[tokio::test]
async fn the_list_is_paginated() {
    let app = spawn().await;
    let admin = app.user(Role::Administrator).await;
    let me = app.user(Role::Marketer).await;
    for n in 0..51 {
        make_task(
            app.store.as_ref(),
            (&admin, &me),
            &format!("task_{n:02}"),
            &format!("Tâche numéro {n:02}"),
            Some(in_days(1 + n)),
        )
        .await;
    }
    let marketer = app.visitor(Role::Marketer).await;
    let first = page(
        app.get(Some(&marketer), "/office/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(first.matches("Tâche numéro").count(), 50);
    assert!(first.contains("Tâche numéro 00") && !first.contains("Tâche numéro 50"));
    assert!(
        first.contains("href=\"/office/tasks?page=2\">Page suivante</a>"),
        "{first}"
    );
    let second = page(
        app.get(Some(&marketer), "/office/tasks?page=2")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(second.matches("Tâche numéro").count(), 1);
    assert!(second.contains("Tâche numéro 50"));
    assert!(second.contains("Page précédente") && !second.contains("Page suivante"));
    // A page number that is not one is the first page.
    let odd = app
        .get(Some(&marketer), "/office/tasks?page=abc&state=nothing")
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::OK);
}

#[tokio::test]
async fn campaigns_and_promotions_are_found_to_attach_a_task() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let fragment = page(
        app.get(Some(&marketer), "/office/tasks/attachments?q=noel")
            .header("hx-request", "true")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!fragment.contains("<html"));
    assert!(
        fragment.contains("value=\"campaign:omnicanal-noel\""),
        "{fragment}"
    );
    assert!(
        fragment.contains("value=\"promotion:paliers-noel\""),
        "{fragment}"
    );
    assert!(!fragment.contains("lancement-marvel"));
    let nothing = page(
        app.get(Some(&marketer), "/office/tasks/attachments?q=zzzz")
            .header("hx-request", "true")
            .header(header::ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(nothing.contains("No campaign or promotion matches this search."));
    // Without htmx: the form, with the search done and what was typed kept.
    let redirect = app
        .get(Some(&marketer), "/office/tasks/attachments?q=marvel")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    let form = page(
        app.get(
            Some(&marketer),
            "/office/tasks/new?q=marvel&description=Brief+Marvel&deadline=2099-01-02",
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(form.contains("value=\"campaign:lancement-marvel\""));
    assert!(form.contains("value=\"promotion:marvel-20\""));
    assert!(form.contains(">Brief Marvel</textarea>") && form.contains("value=\"2099-01-02\""));
    // From a campaign's page: attached already.
    let form = page(
        app.get(
            Some(&marketer),
            "/office/tasks/new?campaign=black-friday-2026",
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        form.contains("value=\"campaign:black-friday-2026\" checked"),
        "{form}"
    );
}
