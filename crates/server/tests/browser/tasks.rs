//! Seed 001's example in a browser: a marketer creates a task for the UX designer, attached to a
//! campaign found by the live search (after a field error); the UX designer transfers it to the
//! SEO referent with a note; the SEO referent processes it. Each signs in in turn; in French and
//! in English, axe on every screen, screenshots.

use remise_store::{Act, Actor, Importance, NewTask, Role, TaskState, User, now_millis};
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

const PASSWORD: &str = "a long password";

async fn add_user(j: &Journey, email: &str, name: &str, role: Role) -> User {
    let user = remise_server::office::new_user::new_user(email, name, role, PASSWORD, 1).unwrap();
    j.app
        .store
        .create_user(&Actor("test".into()), &user)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_task_is_created_transferred_and_processed() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        let ux = add_user(&j, "ux@demo.remise.test", "Ursula UX", Role::Marketer).await;
        let seo = add_user(&j, "seo@demo.remise.test", "Serge SEO", Role::Approver).await;
        let today = jiff::Timestamp::now().in_tz("Europe/Paris").unwrap().date();
        let deadline = today
            .checked_add(jiff::Span::new().days(7))
            .unwrap()
            .to_string();

        // The marketer creates the task; a missing description is said next to its field.
        j.sign_in(Role::Marketer).await;
        j.open("/office/tasks").await;
        j.check_screen("tasks", "empty").await;
        b.click_link(c, j.say("Nouvelle tâche", "New task"))
            .await
            .unwrap();
        b.wait_for(c, "#f-description", DEFAULT_WAIT).await.unwrap();
        j.check_screen("tasks", "form").await;
        b.fill(c, j.say("Date limite", "Deadline"), &deadline)
            .await
            .unwrap();
        b.fill(c, j.say("Importance", "Importance"), j.say("haute", "high"))
            .await
            .unwrap();
        b.fill(c, j.say("Attribuée à", "Assigned to"), "Ursula UX")
            .await
            .unwrap();
        b.click_button(c, j.say("Créer la tâche", "Create the task"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Décrivez la tâche.", "Describe the task."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("tasks", "form-error").await;

        b.fill(
            c,
            j.say("Description", "Description"),
            "Créer le modèle de page marque",
        )
        .await
        .unwrap();
        // The campaign, found as the words are typed (htmx).
        b.fill(
            c,
            j.say(
                "Chercher une campagne ou une promotion",
                "Search for a campaign or a promotion",
            ),
            "marvel",
        )
        .await
        .unwrap();
        let campaign = j.say(
            "campagne « Lancement de la gamme Marvel » (lancement-marvel)",
            "campaign “Lancement de la gamme Marvel” (lancement-marvel)",
        );
        b.wait_for_text(c, campaign, DEFAULT_WAIT).await.unwrap();
        b.check(c, campaign, true).await.unwrap();
        j.check_screen("tasks", "form-attached").await;
        b.click_button(c, j.say("Créer la tâche", "Create the task"))
            .await
            .unwrap();
        b.wait_for_text(c, j.say("Tâche créée.", "Task created."), DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(c, "Lancement de la gamme Marvel", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("tasks", "created").await;
        j.sign_out().await;

        // The UX designer finds it in their list, below an overdue task of theirs (said in
        // words), and transfers it to the SEO referent.
        let admin = j.app.user(Role::Administrator).await;
        let actor = Actor("test".into());
        let late = NewTask {
            id: "task_late".into(),
            description: "Relire les mentions légales".into(),
            deadline: Some(today.checked_sub(jiff::Span::new().days(2)).unwrap()),
            importance: Importance::Normal,
            assignee: ux.id.clone(),
            attachment: None,
        };
        let act = Act {
            actor: &actor,
            user: &admin.id,
            at: now_millis(),
        };
        j.app.store.create_task(act, &late, None).await.unwrap();
        j.sign_in_as("ux@demo.remise.test", PASSWORD).await;
        j.open("/office/tasks").await;
        b.wait_for_text(c, "Créer le modèle de page marque", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(c, j.say("En retard", "Overdue"), DEFAULT_WAIT)
            .await
            .unwrap();
        let text = b.page_text(c).await.unwrap();
        assert!(
            text.find("Relire les mentions légales") < text.find("Créer le modèle de page marque"),
            "{text}"
        );
        j.check_screen("tasks", "list-ux").await;
        b.click_link(c, "Créer le modèle de page marque")
            .await
            .unwrap();
        b.wait_for(c, "#f-to", DEFAULT_WAIT).await.unwrap();
        b.fill(c, j.say("Transférer à", "Transfer to"), "Serge SEO")
            .await
            .unwrap();
        b.fill(
            c,
            j.say(
                "Note pour la personne (facultatif)",
                "Note for them (optional)",
            ),
            "Pour validation SEO",
        )
        .await
        .unwrap();
        b.click_button(c, j.say("Transférer", "Transfer"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Tâche transférée.", "Task transferred."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, "Pour validation SEO", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("tasks", "transferred").await;
        j.sign_out().await;

        // The SEO referent processes it.
        j.sign_in_as("seo@demo.remise.test", PASSWORD).await;
        j.open("/office/tasks").await;
        b.click_link(c, "Créer le modèle de page marque")
            .await
            .unwrap();
        b.wait_for_text(c, "Ursula UX", DEFAULT_WAIT).await.unwrap();
        j.check_screen("tasks", "task-seo").await;
        b.click_button(c, j.say("Traiter", "Mark as done"))
            .await
            .unwrap();
        b.wait_for_text(c, j.say("Tâche traitée.", "Task done."), DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("tasks", "done").await;

        // Stored as seen, and each assignee was told by e-mail.
        let tasks = j
            .app
            .store
            .list_tasks(&remise_store::TaskQuery {
                assignee: Some(seo.id.clone()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].state, TaskState::Done);
        assert_eq!(tasks[0].assignee, seo.id);
        assert_eq!(tasks[0].transfers[0].from, ux.id);
        let mut recipients: Vec<String> = j
            .app
            .store
            .list_outbox(None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.recipient)
            .collect();
        recipients.sort();
        assert_eq!(recipients, ["seo@demo.remise.test", "ux@demo.remise.test"]);
    }
}
