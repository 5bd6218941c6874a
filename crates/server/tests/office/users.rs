//! Users: the list (administrators only), inviting someone (field errors, a typed password, a
//! generated one shown once), changing a role, deactivating (their session stops at once) and
//! reactivating, signing out everywhere, and the last active administrator kept.

use remise_store::{Role, now_millis};
use reqwest::StatusCode;
use reqwest::header;

use crate::support::{demo_user, hidden_field, spawn};
use crate::tasks::{field_error, page};

#[tokio::test]
async fn the_users_are_listed_for_administrators_in_both_languages() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let html = page(
        app.get(Some(&admin), "/office/users").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("<h1>Utilisateurs</h1>"), "{html}");
    for (email, _, _, _) in remise_server::demo::USERS {
        assert!(html.contains(email), "{email}");
    }
    assert!(html.contains("Valérie Valideuse") && html.contains("valideur"));
    assert!(html.contains("admin@demo.remise.test</a> (vous)"));
    // Only the administrator has a session: the others were never seen.
    assert_eq!(html.matches("jamais connecté").count(), 3, "{html}");
    let html = page(
        app.get(Some(&admin), "/office/users?q=valideuse")
            .header(header::ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("<h1>Users</h1>") && html.contains("Last seen"));
    assert!(html.contains("approver@demo.remise.test"));
    assert!(!html.contains("marketer@demo.remise.test"));

    for role in [Role::Marketer, Role::Approver, Role::Viewer] {
        let visitor = app.visitor(role).await;
        let response = app
            .get(Some(&visitor), "/office/users")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let forged = app
            .post_form(
                Some(&visitor),
                "/office/users",
                &[
                    ("email", "intruder@example.com"),
                    ("role", "administrator"),
                    ("password", "a long password"),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    }
    assert!(
        app.store
            .find_user_by_email("intruder@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_wrong_user_form_shows_each_error_next_to_its_field() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let html = page(
        app.post_form(
            Some(&admin),
            "/office/users",
            &[
                ("email", "not an address"),
                ("name", "Nina"),
                ("role", "boss"),
                ("password", "short"),
            ],
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "email").as_deref(),
        Some("Cette adresse e-mail n'est pas valide.")
    );
    assert!(
        field_error(&html, "role")
            .unwrap()
            .contains("Choisissez un rôle")
    );
    assert!(html.contains("value=\"Nina\""), "what was typed stays");
    // The e-mail's error comes first (the password is checked after it).
    let html = page(
        app.post_form(
            Some(&admin),
            "/office/users",
            &[
                ("email", "nina@example.com"),
                ("role", "marketer"),
                ("password", "short"),
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
        field_error(&html, "password").as_deref(),
        Some("The password must have at least 10 characters.")
    );
    // A taken address.
    let html = page(
        app.post_form(
            Some(&admin),
            "/office/users",
            &[
                ("email", "Marketer@Demo.Remise.test"),
                ("role", "marketer"),
                ("password", "a long password"),
            ],
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "email").as_deref(),
        Some("Un utilisateur a déjà l'adresse marketer@demo.remise.test.")
    );
    assert!(
        app.store
            .find_user_by_email("nina@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.store.list_users().await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_user_is_created_with_a_typed_or_a_generated_password() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let response = app
        .post_form(
            Some(&admin),
            "/office/users",
            &[
                ("email", "Ursula@Demo.Remise.test"),
                ("name", "Ursula UX"),
                ("role", "marketer"),
                ("password", "ursula's password"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.ends_with("?done=created"), "{location}");
    let html = page(
        app.get(Some(&admin), location).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Utilisateur créé.") && html.contains("ursula@demo.remise.test"));
    let ursula = app
        .store
        .find_user_by_email("ursula@demo.remise.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ursula.role, Role::Marketer);
    assert!(ursula.active);
    let signed = app
        .sign_in("ursula@demo.remise.test", "ursula's password")
        .await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);

    // Generated: shown once on the answer, never cached, and it works.
    let response = app
        .post_form(
            Some(&admin),
            "/office/users",
            &[
                ("email", "serge@demo.remise.test"),
                ("name", "Serge SEO"),
                ("role", "approver"),
                ("password", ""),
            ],
        )
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let html = page(response, StatusCode::OK).await;
    assert!(html.contains("it will never be shown again"), "{html}");
    let marker = "<code id=\"generated-password\">";
    let at = html.find(marker).unwrap() + marker.len();
    let password = &html[at..at + html[at..].find('<').unwrap()];
    assert_eq!(password.len(), 16);
    let signed = app.sign_in("serge@demo.remise.test", password).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    // Nowhere else: the user's page does not show it.
    let serge = app
        .store
        .find_user_by_email("serge@demo.remise.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serge.role, Role::Approver);
    let html = page(
        app.get(Some(&admin), &format!("/office/users/{}", serge.id))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains(password));
}

#[tokio::test]
async fn a_role_is_changed() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let marketer = app.user(Role::Marketer).await;
    let path = format!("/office/users/{}/role", marketer.id);
    let response = app
        .post_form(Some(&admin), &path, &[("role", "approver")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = app.store.get_user(&marketer.id).await.unwrap().unwrap();
    assert_eq!(stored.role, Role::Approver);
    let html = page(
        app.get(
            Some(&admin),
            &format!("/office/users/{}?done=role", marketer.id),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Rôle enregistré."));
    let html = page(
        app.post_form(Some(&admin), &path, &[("role", "king")])
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(field_error(&html, "role").is_some());
    assert_eq!(
        app.store
            .get_user(&marketer.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Approver
    );
    let missing = app
        .post_form(
            Some(&admin),
            "/office/users/usr_none/role",
            &[("role", "viewer")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_at_once_and_can_come_back() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let (email, password) = demo_user(Role::Viewer);
    let viewer = app.signed_in(email, password).await;
    let viewer_user = app.user(Role::Viewer).await;
    let home = app.get(Some(&viewer), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = page(
        app.get(Some(&admin), &format!("/office/users/{}", viewer_user.id))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        html.contains("Sessions ouvertes en ce moment : 1."),
        "{html}"
    );

    let path = format!("/office/users/{}/active", viewer_user.id);
    let response = app
        .post_form(Some(&admin), &path, &[("active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !app.store
            .get_user(&viewer_user.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // Their very next request goes to the sign-in page; they cannot sign in again.
    let home = app.get(Some(&viewer), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert!(
        home.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/office/sign-in")
    );
    assert_ne!(
        app.sign_in(email, password).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = page(
        app.get(Some(&admin), "/office/users").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("désactivé"));

    // Reactivated: the old session stays ended (it was revoked); a new sign-in works.
    let response = app
        .post_form(Some(&admin), &path, &[("active", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let home = app.get(Some(&viewer), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    let again = app.signed_in(email, password).await;
    let home = app.get(Some(&again), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_administrator_signs_a_user_out_everywhere() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let marketer_user = app.user(Role::Marketer).await;
    let first = app.visitor(Role::Marketer).await;
    let second = app.visitor(Role::Marketer).await;
    let response = app
        .post_form(
            Some(&admin),
            &format!("/office/users/{}/sessions/revoke", marketer_user.id),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    for visitor in [&first, &second] {
        let home = app.get(Some(visitor), "/office").send().await.unwrap();
        assert_eq!(home.status(), StatusCode::SEE_OTHER);
    }
    let html = page(
        app.get(Some(&admin), &location)
            .header(header::ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Sessions ended: 2."), "{html}");
    assert!(html.contains("Sessions open right now: 0."));
    // The user is still active and signs in again.
    let (email, password) = demo_user(Role::Marketer);
    assert_eq!(
        app.sign_in(email, password).await.status(),
        StatusCode::SEE_OTHER
    );
    let sessions = app.store.list_sessions(&marketer_user.id).await.unwrap();
    let now = now_millis();
    assert_eq!(
        sessions
            .iter()
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
            .count(),
        1
    );
}

#[tokio::test]
async fn the_last_active_administrator_cannot_demote_or_deactivate_themself() {
    let app = spawn().await;
    let admin_user = app.user(Role::Administrator).await;
    let (email, password) = demo_user(Role::Administrator);
    let admin = app.signed_in(email, password).await;
    let role_path = format!("/office/users/{}/role", admin_user.id);
    let active_path = format!("/office/users/{}/active", admin_user.id);
    let html = page(
        app.post_form(Some(&admin), &role_path, &[("role", "marketer")])
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        field_error(&html, "role").as_deref(),
        Some(
            "C'est le dernier administrateur actif : nommez d'abord un autre administrateur avant de changer ce rôle."
        )
    );
    let html = page(
        app.post_form(Some(&admin), &active_path, &[("active", "false")])
            .header(header::ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // The signed-in administrator chose no language: the browser's (English) is used.
    assert!(
        field_error(&html, "active")
            .unwrap()
            .starts_with("This is the last active administrator"),
        "{html}"
    );
    let stored = app.store.get_user(&admin_user.id).await.unwrap().unwrap();
    assert_eq!((stored.role, stored.active), (Role::Administrator, true));
    let home = app.get(Some(&admin), "/office").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);

    // With a second administrator, the first may step down.
    let approver = app.user(Role::Approver).await;
    let response = app
        .post_form(
            Some(&admin),
            &format!("/office/users/{}/role", approver.id),
            &[("role", "administrator")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .post_form(Some(&admin), &role_path, &[("role", "marketer")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .get_user(&admin_user.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Marketer
    );
    // No longer an administrator: the users page is closed to them at once.
    let users = app.get(Some(&admin), "/office/users").send().await.unwrap();
    assert_eq!(users.status(), StatusCode::FORBIDDEN);
    // The CSRF token of their page still is theirs (the session lives on).
    let html = app
        .get(Some(&admin), "/office/account")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden_field(&html, "csrf").unwrap(), admin.csrf);
}
