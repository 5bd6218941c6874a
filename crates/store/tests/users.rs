//! Back-office users and sessions, on both backends: e-mails found whatever their case and unique,
//! role and activity changes (audited without the password hash), and sessions kept under their
//! token's hash that stop counting when they expire, are revoked or their user is deactivated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{AuditQuery, Error, Role, Session, User};
use sha2::{Digest, Sha256};

mod common;

use common::{Backend, T0, actor};

common::on_every_backend!(
    users_are_found_by_email_whatever_its_case,
    a_taken_email_is_refused,
    a_role_change_is_stored_and_audited_without_the_hash,
    a_deactivated_users_sessions_no_longer_count,
    a_session_expires,
    sessions_are_revoked_one_or_all,
    a_session_is_stored_under_its_tokens_hash,
);

const HOUR: i64 = 3_600_000;

fn user(id: &str, email: &str) -> User {
    User {
        id: id.to_owned(),
        email: email.to_owned(),
        name: format!("User {id}"),
        role: Role::Marketer,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-{id}$hash-{id}"),
        language: Some("fr".to_owned()),
        active: true,
        created_at: T0,
        updated_at: T0,
    }
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every session's hash, user and csrf, read straight from the database.
async fn stored_sessions(b: &Backend) -> Vec<(String, String, String)> {
    use sqlx::Connection;
    let sql = "SELECT id_hash, user_id, csrf FROM sessions";
    if b.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&b.url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&b.url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    }
}

/// A session of `user_id` for `token`, made at [`T0`], lasting an hour.
fn session(token: &str, user_id: &str) -> Session {
    Session {
        id_hash: token_hash(token),
        user_id: user_id.to_owned(),
        csrf: format!("csrf-{user_id}"),
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0 + HOUR,
        revoked_at: None,
    }
}

mod scenarios {
    use super::*;

    pub async fn users_are_found_by_email_whatever_its_case(b: &Backend) {
        let store = &*b.store;
        let created = store
            .create_user(&actor(), &user("u1", "Alice@Example.COM"))
            .await
            .unwrap();
        assert_eq!(created.email, "alice@example.com");
        store
            .create_user(&actor(), &user("u2", "bob@example.com"))
            .await
            .unwrap();

        let found = store
            .find_user_by_email("ALICE@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, created);
        assert_eq!(found.password_hash, user("u1", "").password_hash);
        assert_eq!(store.get_user("u1").await.unwrap(), Some(created));
        assert_eq!(
            store.find_user_by_email("carol@example.com").await.unwrap(),
            None
        );
        assert_eq!(store.get_user("u3").await.unwrap(), None);
        let emails: Vec<String> = store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.email)
            .collect();
        assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
    }

    pub async fn a_taken_email_is_refused(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        let err = store
            .create_user(&actor(), &user("u2", "ALICE@example.com"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, id } if kind == "user" && id == "alice@example.com"),
            "{err:?}"
        );
        let err = store
            .create_user(&actor(), &user("u1", "other@example.com"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, id } if kind == "user" && id == "u1"),
            "{err:?}"
        );
        // Nothing changed: one user, one audit line.
        assert_eq!(store.list_users().await.unwrap().len(), 1);
        let log = store
            .audit(&AuditQuery {
                entity: Some("user".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
    }

    pub async fn a_role_change_is_stored_and_audited_without_the_hash(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        let changed = store
            .set_role(&actor(), "u1", Role::Approver, T0 + 5)
            .await
            .unwrap();
        assert_eq!(changed.role, Role::Approver);
        assert_eq!(changed.updated_at, T0 + 5);
        assert_eq!(store.get_user("u1").await.unwrap().unwrap(), changed);
        store
            .set_password_hash(&actor(), "u1", "$argon2id$new", T0 + 6)
            .await
            .unwrap();
        assert_eq!(
            store.get_user("u1").await.unwrap().unwrap().password_hash,
            "$argon2id$new"
        );
        let english = store
            .set_language(&actor(), "u1", Some("en"), T0 + 7)
            .await
            .unwrap();
        assert_eq!(english.language.as_deref(), Some("en"));
        let browsers = store
            .set_language(&actor(), "u1", None, T0 + 8)
            .await
            .unwrap();
        assert_eq!(browsers.language, None);
        assert_eq!(store.get_user("u1").await.unwrap().unwrap().language, None);
        let err = store
            .set_role(&actor(), "nobody", Role::Viewer, T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, .. } if kind == "user"),
            "{err:?}"
        );

        let log = store
            .audit(&AuditQuery {
                entity: Some("user".to_owned()),
                entity_id: Some("u1".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 5);
        let role_change = log
            .iter()
            .find(|e| {
                e.after.as_ref().is_some_and(|a| a["role"] == "approver")
                    && e.before.as_ref().is_some_and(|b| b["role"] == "marketer")
            })
            .expect("the role change is audited");
        assert_eq!(role_change.before.as_ref().unwrap()["role"], "marketer");
        assert_eq!(role_change.after.as_ref().unwrap()["role"], "approver");
        for entry in &log {
            let text = format!("{:?} {:?}", entry.before, entry.after);
            assert!(!text.contains("argon2id"), "{text}");
        }
        assert_eq!(Role::parse("approver"), Some(Role::Approver));
        assert_eq!(Role::parse("admin"), None);
    }

    pub async fn a_deactivated_users_sessions_no_longer_count(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        store.create_session(&session("tok1", "u1")).await.unwrap();
        let (found, owner) = store
            .find_session(&token_hash("tok1"), T0 + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, session("tok1", "u1"));
        assert_eq!(owner.id, "u1");

        let user = store
            .set_active(&actor(), "u1", false, T0 + 2)
            .await
            .unwrap();
        assert!(!user.active);
        assert_eq!(
            store
                .find_session(&token_hash("tok1"), T0 + 3)
                .await
                .unwrap(),
            None
        );
        store
            .set_active(&actor(), "u1", true, T0 + 4)
            .await
            .unwrap();
        assert!(
            store
                .find_session(&token_hash("tok1"), T0 + 5)
                .await
                .unwrap()
                .is_some()
        );
        // A session for an unknown user is refused.
        let err = store
            .create_session(&session("tok2", "nobody"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, .. } if kind == "user"),
            "{err:?}"
        );
    }

    pub async fn a_session_expires(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        store.create_session(&session("tok1", "u1")).await.unwrap();
        store
            .touch_session(&token_hash("tok1"), T0 + 10)
            .await
            .unwrap();
        // Never moved back.
        store
            .touch_session(&token_hash("tok1"), T0 + 5)
            .await
            .unwrap();
        let (found, _) = store
            .find_session(&token_hash("tok1"), T0 + HOUR - 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.last_seen_at, T0 + 10);
        assert_eq!(
            store
                .find_session(&token_hash("tok1"), T0 + HOUR)
                .await
                .unwrap(),
            None
        );
        let err = store
            .touch_session(&token_hash("unknown"), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, .. } if kind == "session"),
            "{err:?}"
        );
        let err = store
            .create_session(&session("tok1", "u1"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, .. } if kind == "session"),
            "{err:?}"
        );
    }

    pub async fn sessions_are_revoked_one_or_all(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        store
            .create_user(&actor(), &user("u2", "bob@example.com"))
            .await
            .unwrap();
        for (token, user_id) in [("a", "u1"), ("b", "u1"), ("c", "u1"), ("d", "u2")] {
            store
                .create_session(&session(token, user_id))
                .await
                .unwrap();
        }
        store
            .revoke_session(&token_hash("a"), T0 + 1)
            .await
            .unwrap();
        // Again: the first time stays.
        store
            .revoke_session(&token_hash("a"), T0 + 2)
            .await
            .unwrap();
        assert_eq!(
            store.find_session(&token_hash("a"), T0 + 3).await.unwrap(),
            None
        );
        assert!(
            store
                .find_session(&token_hash("b"), T0 + 3)
                .await
                .unwrap()
                .is_some()
        );

        assert_eq!(store.revoke_user_sessions("u1", T0 + 4).await.unwrap(), 2);
        for token in ["a", "b", "c"] {
            assert_eq!(
                store
                    .find_session(&token_hash(token), T0 + 5)
                    .await
                    .unwrap(),
                None
            );
        }
        // Another user's session is untouched.
        assert!(
            store
                .find_session(&token_hash("d"), T0 + 5)
                .await
                .unwrap()
                .is_some()
        );

        let sessions = store.list_sessions("u1").await.unwrap();
        assert_eq!(sessions.len(), 3);
        let revoked_a = sessions
            .iter()
            .find(|s| s.id_hash == token_hash("a"))
            .unwrap();
        assert_eq!(revoked_a.revoked_at, Some(T0 + 1));
        assert!(
            sessions
                .iter()
                .filter(|s| s.id_hash != token_hash("a"))
                .all(|s| s.revoked_at == Some(T0 + 4))
        );
        let err = store
            .revoke_session(&token_hash("unknown"), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, .. } if kind == "session"),
            "{err:?}"
        );
    }

    pub async fn a_session_is_stored_under_its_tokens_hash(b: &Backend) {
        let store = &*b.store;
        store
            .create_user(&actor(), &user("u1", "alice@example.com"))
            .await
            .unwrap();
        let token = "the-secret-session-token";
        store.create_session(&session(token, "u1")).await.unwrap();
        // Behind the store's back: every stored text of the session, none of them the token.
        let stored = stored_sessions(b).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].0, token_hash(token));
        assert!(
            !format!("{stored:?}").contains(token),
            "the token is stored: {stored:?}"
        );
        let sessions = store.list_sessions("u1").await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].id_hash.len(), 64);
        assert_ne!(sessions[0].id_hash, token);
        assert!(
            store.find_session(token, T0 + 1).await.unwrap().is_none(),
            "the token itself must not find the session"
        );
    }
}
