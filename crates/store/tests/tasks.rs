//! Back-office tasks, on both backends: each user's list (open first, overdue first), the states
//! (ignore, process, reopen) with illegal changes refused, transfers kept in order and refused to
//! an inactive or unknown user, and the assignee's e-mail queued in the task's own transaction
//! (a standalone outbox message, which the outbox's migration made room for without losing the
//! queued ones).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::{Date, date};
use remise_store::{
    Act, Actor, Attachment, AuditQuery, Error, Importance, MailState, MessageText, NewTask,
    OutgoingMessage, Role, Store, Task, TaskQuery, TaskState, Transfer, User,
};
use remise_test_support::{TestPostgres, TestSqlite};

mod common;

use common::{Backend, T0};

common::on_every_backend!(
    an_assignees_list_puts_open_and_overdue_tasks_first,
    tasks_are_ignored_processed_and_reopened,
    transfers_are_kept_in_order,
    a_transfer_to_an_inactive_or_unknown_user_is_refused,
    the_assignees_mail_is_queued_with_the_task,
    tasks_are_listed_by_attachment,
);

/// 2024-06-10, the day the tests run on.
const TODAY: Date = date(2024, 6, 10);

fn admin() -> Actor {
    Actor("user:admin".to_owned())
}

fn by(actor: &Actor, at: i64) -> Act<'_> {
    Act {
        actor,
        user: actor.0.trim_start_matches("user:"),
        at,
    }
}

/// Users `admin`, `ux`, `seo` and `dev` (active), `gone` (inactive).
async fn team(store: &dyn Store) {
    for id in ["admin", "ux", "seo", "dev", "gone"] {
        let user = User {
            id: id.to_owned(),
            email: format!("{id}@example.com"),
            name: id.to_owned(),
            role: Role::Marketer,
            password_hash: "$argon2id$x".to_owned(),
            language: Some("fr".to_owned()),
            active: true,
            created_at: T0,
            updated_at: T0,
        };
        store.create_user(&admin(), &user).await.unwrap();
    }
    store.set_active(&admin(), "gone", false, T0).await.unwrap();
}

fn new_task(id: &str, assignee: &str, deadline: Option<Date>, importance: Importance) -> NewTask {
    NewTask {
        id: id.to_owned(),
        description: format!("Tâche {id}"),
        deadline,
        importance,
        assignee: assignee.to_owned(),
        attachment: None,
    }
}

fn notice(id: &str, to: &str) -> OutgoingMessage {
    OutgoingMessage {
        id: id.to_owned(),
        recipient: format!("{to}@example.com"),
        language: "fr".to_owned(),
        subject: "Vous avez une nouvelle tâche".to_owned(),
        body: "Bonjour,\n\nUne tâche vous attend.\n".to_owned(),
    }
}

async fn list_of(store: &dyn Store, assignee: &str) -> Vec<String> {
    store
        .list_tasks(&TaskQuery {
            assignee: Some(assignee.to_owned()),
            limit: 100,
            ..TaskQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect()
}

async fn audit_len(store: &dyn Store) -> usize {
    store
        .audit(&AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .len()
}

fn is_wrong_state(error: &Error, kind: &str, action: &str, state: &str) -> bool {
    matches!(error, Error::WrongState { kind: k, action: a, state: s, .. }
        if k == kind && *a == action && *s == state)
}

mod scenarios {
    use super::*;

    pub async fn an_assignees_list_puts_open_and_overdue_tasks_first(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let a = admin();
        use Importance::{High, Low, Normal};
        // Created in an order that is none of the list's.
        let tasks = [
            ("no-deadline-high", None, High),
            ("later-low", Some(date(2024, 7, 1)), Low),
            ("today", Some(TODAY), Normal),
            ("overdue-recent", Some(date(2024, 6, 9)), Low),
            ("later-high", Some(date(2024, 7, 1)), High),
            ("done-overdue", Some(date(2024, 5, 1)), High),
            ("overdue-old", Some(date(2024, 6, 1)), Normal),
            ("no-deadline-low", None, Low),
            ("ignored", Some(date(2024, 6, 2)), High),
        ];
        for (n, (id, deadline, importance)) in tasks.iter().enumerate() {
            store
                .create_task(
                    by(&a, T0 + n as i64),
                    &new_task(id, "ux", *deadline, *importance),
                    None,
                )
                .await
                .unwrap();
        }
        store
            .create_task(
                by(&a, T0),
                &new_task("someone-else", "seo", None, High),
                None,
            )
            .await
            .unwrap();
        store
            .set_task_state(by(&a, T0 + 50), "ignored", TaskState::Ignored)
            .await
            .unwrap();
        store
            .set_task_state(by(&a, T0 + 60), "done-overdue", TaskState::Done)
            .await
            .unwrap();

        assert_eq!(
            list_of(store, "ux").await,
            [
                // Open: overdue first (by deadline), then by deadline and importance, no
                // deadline last.
                "overdue-old",
                "overdue-recent",
                "today",
                "later-high",
                "later-low",
                "no-deadline-high",
                "no-deadline-low",
                // Then the others, last changed first.
                "done-overdue",
                "ignored",
            ]
        );
        let overdue: Vec<String> = store
            .list_tasks(&TaskQuery {
                assignee: Some("ux".to_owned()),
                limit: 100,
                ..TaskQuery::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.overdue(TODAY))
            .map(|t| t.id)
            .collect();
        assert_eq!(overdue, ["overdue-old", "overdue-recent"]);

        // Only open ones, a page at a time.
        let page = |offset| TaskQuery {
            assignee: Some("ux".to_owned()),
            state: Some(TaskState::Open),
            offset,
            limit: 3,
            ..TaskQuery::default()
        };
        let ids = |tasks: Vec<Task>| -> Vec<String> { tasks.into_iter().map(|t| t.id).collect() };
        assert_eq!(
            ids(store.list_tasks(&page(0)).await.unwrap()),
            ["overdue-old", "overdue-recent", "today"]
        );
        assert_eq!(
            ids(store.list_tasks(&page(6)).await.unwrap()),
            ["no-deadline-low"]
        );
        let task = store.get_task("today").await.unwrap().unwrap();
        assert_eq!(task.deadline, Some(TODAY));
        assert_eq!(task.created_by, "admin");
        assert_eq!(task.description, "Tâche today");
        assert_eq!(store.get_task("nope").await.unwrap(), None);
    }

    pub async fn tasks_are_ignored_processed_and_reopened(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let ux = Actor("user:ux".to_owned());
        store
            .create_task(
                by(&admin(), T0),
                &new_task("t1", "ux", None, Importance::Normal),
                None,
            )
            .await
            .unwrap();
        let ignored = store
            .set_task_state(by(&ux, T0 + 1), "t1", TaskState::Ignored)
            .await
            .unwrap();
        assert_eq!(
            (ignored.state, ignored.updated_at),
            (TaskState::Ignored, T0 + 1)
        );

        // Refused, and nothing changes.
        let audit = audit_len(store).await;
        let err = store
            .set_task_state(by(&ux, T0 + 2), "t1", TaskState::Ignored)
            .await
            .unwrap_err();
        assert!(is_wrong_state(&err, "task", "ignore", "ignored"), "{err:?}");
        assert_eq!(err.to_string(), "cannot ignore task `t1`: it is ignored");
        assert_eq!(store.get_task("t1").await.unwrap(), Some(ignored.clone()));
        assert_eq!(audit_len(store).await, audit);

        let done = store
            .set_task_state(by(&ux, T0 + 3), "t1", TaskState::Done)
            .await
            .unwrap();
        assert_eq!(done.state, TaskState::Done);
        for (state, action) in [(TaskState::Done, "process"), (TaskState::Ignored, "ignore")] {
            let err = store
                .set_task_state(by(&ux, T0 + 4), "t1", state)
                .await
                .unwrap_err();
            assert!(is_wrong_state(&err, "task", action, "done"), "{err:?}");
        }
        let reopened = store
            .set_task_state(by(&ux, T0 + 5), "t1", TaskState::Open)
            .await
            .unwrap();
        assert_eq!(reopened.state, TaskState::Open);
        let err = store
            .set_task_state(by(&ux, T0 + 6), "t1", TaskState::Open)
            .await
            .unwrap_err();
        assert!(is_wrong_state(&err, "task", "reopen", "open"), "{err:?}");
        let err = store
            .set_task_state(by(&ux, T0 + 6), "nope", TaskState::Done)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, id } if kind == "task" && id == "nope"),
            "{err:?}"
        );

        // Audited: created, then three changes, each before and after, by whom.
        let log = store
            .audit(&AuditQuery {
                entity: Some("task".to_owned()),
                entity_id: Some("t1".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].actor, "user:ux");
        assert_eq!(log[0].before.as_ref().unwrap()["state"], "done");
        assert_eq!(log[0].after.as_ref().unwrap()["state"], "open");
        assert_eq!(log[3].actor, "user:admin");
        assert_eq!(log[3].after.as_ref().unwrap()["assignee"], "ux");
    }

    pub async fn transfers_are_kept_in_order(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let (ux, seo) = (Actor("user:ux".to_owned()), Actor("user:seo".to_owned()));
        let mut task = new_task(
            "brand-page",
            "ux",
            Some(date(2024, 6, 20)),
            Importance::High,
        );
        task.description = "Modèle de page marque".to_owned();
        task.attachment = Some(Attachment::Campaign("c1".to_owned()));
        store
            .create_task(by(&admin(), T0), &task, None)
            .await
            .unwrap();

        // The seed's example: the UX designer hands it to the SEO referent for validation.
        let moved = store
            .transfer_task(
                by(&ux, T0 + 1),
                "brand-page",
                "seo",
                Some("Pour validation SEO"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(moved.assignee, "seo");
        let moved = store
            .transfer_task(by(&seo, T0 + 2), "brand-page", "dev", None, None)
            .await
            .unwrap();
        let expected = vec![
            Transfer {
                from: "ux".to_owned(),
                to: "seo".to_owned(),
                by: "ux".to_owned(),
                at: T0 + 1,
                note: Some("Pour validation SEO".to_owned()),
            },
            Transfer {
                from: "seo".to_owned(),
                to: "dev".to_owned(),
                by: "seo".to_owned(),
                at: T0 + 2,
                note: None,
            },
        ];
        assert_eq!(moved.transfers, expected);
        let stored = store.get_task("brand-page").await.unwrap().unwrap();
        assert_eq!(stored, moved);
        assert_eq!(stored.state, TaskState::Open);
        assert_eq!(stored.updated_at, T0 + 2);
        assert_eq!(
            stored.attachment,
            Some(Attachment::Campaign("c1".to_owned()))
        );
        assert!(list_of(store, "ux").await.is_empty());
        assert!(list_of(store, "seo").await.is_empty());
        assert_eq!(list_of(store, "dev").await, ["brand-page"]);

        let log = store
            .audit(&AuditQuery {
                entity: Some("task".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(log[1].actor, "user:ux");
        assert_eq!(log[1].before.as_ref().unwrap()["assignee"], "ux");
        assert_eq!(log[1].after.as_ref().unwrap()["assignee"], "seo");
        assert_eq!(
            log[1].after.as_ref().unwrap()["transfers"][0]["note"],
            "Pour validation SEO"
        );
    }

    pub async fn a_transfer_to_an_inactive_or_unknown_user_is_refused(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let ux = Actor("user:ux".to_owned());
        store
            .create_task(
                by(&admin(), T0),
                &new_task("t1", "ux", None, Importance::Low),
                None,
            )
            .await
            .unwrap();
        let task = store.get_task("t1").await.unwrap().unwrap();
        let audit = audit_len(store).await;

        let err = store
            .transfer_task(
                by(&ux, T0 + 1),
                "t1",
                "gone",
                None,
                Some(&notice("m1", "gone")),
            )
            .await
            .unwrap_err();
        assert!(
            is_wrong_state(&err, "user", "assign a task to", "inactive"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "cannot assign a task to user `gone`: it is inactive"
        );
        let err = store
            .transfer_task(
                by(&ux, T0 + 1),
                "t1",
                "nobody",
                None,
                Some(&notice("m1", "nobody")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, id } if kind == "user" && id == "nobody"),
            "{err:?}"
        );
        let err = store
            .transfer_task(by(&ux, T0 + 1), "t1", "ux", None, None)
            .await
            .unwrap_err();
        assert!(
            is_wrong_state(&err, "task", "transfer", "assigned to them"),
            "{err:?}"
        );
        // Nothing changed, no mail queued.
        assert_eq!(store.get_task("t1").await.unwrap(), Some(task));
        assert_eq!(audit_len(store).await, audit);
        assert!(store.list_outbox(None, 100).await.unwrap().is_empty());

        // Nor created for them.
        let err = store
            .create_task(
                by(&admin(), T0),
                &new_task("t2", "gone", None, Importance::Low),
                Some(&notice("m2", "gone")),
            )
            .await
            .unwrap_err();
        assert!(
            is_wrong_state(&err, "user", "assign a task to", "inactive"),
            "{err:?}"
        );
        assert_eq!(store.get_task("t2").await.unwrap(), None);

        // A task that is not open is not transferred.
        store
            .set_task_state(by(&ux, T0 + 2), "t1", TaskState::Done)
            .await
            .unwrap();
        let err = store
            .transfer_task(by(&ux, T0 + 3), "t1", "seo", None, None)
            .await
            .unwrap_err();
        assert!(is_wrong_state(&err, "task", "transfer", "done"), "{err:?}");
        assert_eq!(store.get_task("t1").await.unwrap().unwrap().assignee, "ux");
        assert!(store.list_outbox(None, 100).await.unwrap().is_empty());
    }

    pub async fn the_assignees_mail_is_queued_with_the_task(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let created = store
            .create_task(
                by(&admin(), T0),
                &new_task("t1", "ux", None, Importance::High),
                Some(&notice("task-t1", "ux")),
            )
            .await
            .unwrap();
        let outbox = store.list_outbox(None, 100).await.unwrap();
        assert_eq!(outbox.len(), 1);
        let message = &outbox[0];
        assert_eq!(message.id, "task-t1");
        assert_eq!(message.distribution, None);
        assert_eq!(
            message.text,
            Some(MessageText {
                subject: "Vous avez une nouvelle tâche".to_owned(),
                body: "Bonjour,\n\nUne tâche vous attend.\n".to_owned(),
            })
        );
        assert_eq!(message.recipient, "ux@example.com");
        assert_eq!(
            (message.state, message.next_attempt_at),
            (MailState::Pending, T0)
        );

        // The transfer's mail too.
        store
            .transfer_task(
                by(&admin(), T0 + 1),
                "t1",
                "seo",
                None,
                Some(&notice("task-t1-seo", "seo")),
            )
            .await
            .unwrap();
        assert_eq!(store.list_outbox(None, 100).await.unwrap().len(), 2);

        // One transaction: when the mail cannot be queued (its id is taken), the task is not
        // created, and not transferred.
        let err = store
            .create_task(
                by(&admin(), T0 + 2),
                &new_task("t2", "ux", None, Importance::Low),
                Some(&notice("task-t1", "ux")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, id } if kind == "mail" && id == "task-t1"),
            "{err:?}"
        );
        assert_eq!(store.get_task("t2").await.unwrap(), None);
        let err = store
            .transfer_task(
                by(&admin(), T0 + 3),
                "t1",
                "dev",
                None,
                Some(&notice("task-t1", "dev")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, .. } if kind == "mail"),
            "{err:?}"
        );
        assert_eq!(store.get_task("t1").await.unwrap().unwrap().assignee, "seo");
        // A taken task id, with a free mail id: no mail either.
        let err = store
            .create_task(
                by(&admin(), T0 + 4),
                &new_task("t1", "ux", None, Importance::Low),
                Some(&notice("m-new", "ux")),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, .. } if kind == "task"),
            "{err:?}"
        );
        assert_eq!(store.list_outbox(None, 100).await.unwrap().len(), 2);
        assert_eq!(created.id, "t1");

        // A worker claims and completes a standalone message as it does a distribution's.
        let claimed = store.claim_mail(T0 + 10, T0 + 70).await.unwrap().unwrap();
        assert_eq!(claimed.id, "task-t1");
        assert_eq!(claimed.attempts, 1);
        store.mail_sent("task-t1", T0 + 11).await.unwrap();
        let sent = store.list_outbox(Some(MailState::Sent), 100).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert!(sent[0].text.is_some());

        // Queued on its own.
        let queued = store
            .queue_message(&notice("alone", "dev"), T0 + 20)
            .await
            .unwrap();
        assert_eq!((queued.distribution, queued.created_at), (None, T0 + 20));
        let err = store
            .queue_message(&notice("alone", "dev"), T0 + 21)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, .. } if kind == "mail"),
            "{err:?}"
        );
    }

    pub async fn tasks_are_listed_by_attachment(b: &Backend) {
        let store = &*b.store;
        team(store).await;
        let attached = [
            ("t1", Some(Attachment::Campaign("c1".to_owned()))),
            ("t2", Some(Attachment::Promotion("c1".to_owned()))),
            ("t3", Some(Attachment::Campaign("c1".to_owned()))),
            ("t4", None),
            ("t5", Some(Attachment::Campaign("c2".to_owned()))),
        ];
        for (n, (id, attachment)) in attached.into_iter().enumerate() {
            let mut task = new_task(
                id,
                if n % 2 == 0 { "ux" } else { "seo" },
                None,
                Importance::Normal,
            );
            task.attachment = attachment;
            store
                .create_task(by(&admin(), T0 + n as i64), &task, None)
                .await
                .unwrap();
        }
        let of = |attachment: Attachment| TaskQuery {
            attachment: Some(attachment),
            limit: 100,
            ..TaskQuery::default()
        };
        let ids = |tasks: Vec<Task>| -> Vec<String> { tasks.into_iter().map(|t| t.id).collect() };
        assert_eq!(
            ids(store
                .list_tasks(&of(Attachment::Campaign("c1".to_owned())))
                .await
                .unwrap()),
            ["t1", "t3"]
        );
        assert_eq!(
            ids(store
                .list_tasks(&of(Attachment::Promotion("c1".to_owned())))
                .await
                .unwrap()),
            ["t2"]
        );
        let mut mine = of(Attachment::Campaign("c1".to_owned()));
        mine.assignee = Some("seo".to_owned());
        assert!(store.list_tasks(&mine).await.unwrap().is_empty());
    }
}

/// A database at migration 0009 with a distribution's message in the outbox, migrated on: the
/// message is still there, as it was.
async fn the_outbox_migration_keeps_queued_messages(url: &str) {
    use sqlx::migrate::Migrator;
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let before = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0010" {
            std::fs::copy(&path, before.path().join(name)).unwrap();
        }
    }
    let old = Migrator::new(before.path()).await.unwrap();
    let insert = "INSERT INTO outbox (id, distribution, recipient, language, state, attempts, \
        next_attempt_at, lease_until, last_error, created_at, sent_at) \
        VALUES ('d1', 'd1', 'relay@example.com', 'en', 'failed', 3, 5, NULL, 'refused', 1, NULL)";
    if backend == "postgres" {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        old.run(&pool).await.unwrap();
        sqlx::query(insert).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        old.run(&pool).await.unwrap();
        sqlx::query(insert).execute(&pool).await.unwrap();
        pool.close().await;
    }
    let store = common::migrated(url).await;
    let kept = store.list_outbox(None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    let message = &kept[0];
    assert_eq!(message.distribution.as_deref(), Some("d1"));
    assert_eq!(message.text, None);
    assert_eq!((message.state, message.attempts), (MailState::Failed, 3));
    assert_eq!(message.last_error.as_deref(), Some("refused"));
    assert_eq!((message.next_attempt_at, message.created_at), (5, 1));
}

mod the_outbox_migration_keeps_queued_messages {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        let sqlite = super::TestSqlite::new();
        super::the_outbox_migration_keeps_queued_messages(&sqlite.url).await;
    }

    remise_test_support::postgres_test! {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn postgres() {
            let postgres = super::TestPostgres::create().await;
            super::the_outbox_migration_keeps_queued_messages(&postgres.url).await;
        }
    }
}
