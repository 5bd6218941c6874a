//! Bulk upserts fed in chunks ([`Store::begin_upsert`]) on every backend: a fresh SQLite file,
//! and a fresh PostgreSQL database when `REMISE_TEST_POSTGRES_URL` is set. (`upsert_many`, which
//! is one chunk, is covered by `conformance.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{Action, AuditQuery, Draft, Kind, ListQuery, Store, TextDraft, UpsertSummary};
use serde_json::{Value, json};

mod common;

use common::{Backend, actor};

common::on_every_backend!(
    chunks_commit_together,
    a_dropped_upsert_writes_nothing,
    readers_see_nothing_before_the_commit,
    the_revision_is_the_transactions,
);

fn stored(id: &str, body: Value) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: None,
        status: None,
    }
}

fn draft(id: &str, body: Value) -> TextDraft {
    TextDraft::from(stored(id, body))
}

async fn products(store: &dyn Store) -> Vec<(String, i64, Value)> {
    let query = ListQuery {
        limit: 10_000,
        ..ListQuery::default()
    };
    let records = store.list(Kind::Product, &query).await.unwrap();
    records
        .into_iter()
        .map(|r| (r.id, r.version, r.body))
        .collect()
}

async fn audit_len(store: &dyn Store) -> usize {
    let query = AuditQuery {
        limit: 1_000_000,
        ..AuditQuery::default()
    };
    store.audit(&query).await.unwrap().len()
}

mod scenarios {
    use super::*;

    /// Before writing, an upsert sees the revision the store is at (what a caller that checked
    /// its documents compares); after writing, the one it commits; nothing moves for readers
    /// before the commit.
    pub async fn the_revision_is_the_transactions(b: &Backend) {
        let store = &*b.store;
        store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![stored("old", json!({"v": 1}))],
            )
            .await
            .unwrap();
        let before = store.revision().await.unwrap();
        let mut upsert = store.begin_upsert(&actor(), Kind::Product).await.unwrap();
        assert_eq!(upsert.revision().await.unwrap(), before);
        // Unchanged: the revision stays.
        upsert
            .write(&[draft("old", json!({"v": 1}))])
            .await
            .unwrap();
        assert_eq!(upsert.revision().await.unwrap(), before);
        upsert
            .write(&[draft("new", json!({"v": 1}))])
            .await
            .unwrap();
        upsert
            .write(&[draft("newer", json!({"v": 1}))])
            .await
            .unwrap();
        assert_eq!(upsert.revision().await.unwrap(), before + 1);
        assert_eq!(store.revision().await.unwrap(), before);
        upsert.commit().await.unwrap();
        assert_eq!(store.revision().await.unwrap(), before + 1);
    }

    pub async fn chunks_commit_together(b: &Backend) {
        let store = &*b.store;
        store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![stored("old", json!({"v": 1}))],
            )
            .await
            .unwrap();
        let revision = store.revision().await.unwrap();
        let mut upsert = store.begin_upsert(&actor(), Kind::Product).await.unwrap();
        upsert
            .write(&[draft("a", json!({"v": 1})), draft("old", json!({"v": 1}))])
            .await
            .unwrap();
        // A later chunk sees what an earlier one wrote: `a` again is an update, `old` again the
        // same (in another key order) is unchanged.
        upsert
            .write(&[draft("a", json!({"v": 2})), draft("b", json!({"v": 1}))])
            .await
            .unwrap();
        let text = TextDraft::new("old".to_owned(), &json!({"v": 1}), None, None).unwrap();
        upsert.write(&[text]).await.unwrap();
        let summary = upsert.commit().await.unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 2,
                updated: 1,
                unchanged: 2
            }
        );
        assert_eq!(store.revision().await.unwrap(), revision + 1, "one bump");
        assert_eq!(
            products(store).await,
            [
                ("a".to_owned(), 2, json!({"v": 2})),
                ("b".to_owned(), 1, json!({"v": 1})),
                ("old".to_owned(), 1, json!({"v": 1})),
            ]
        );
        let log = store
            .audit(&AuditQuery {
                entity_id: Some("a".to_owned()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let actions: Vec<Action> = log.iter().map(|e| e.action).collect();
        assert_eq!(actions, [Action::Update, Action::Create]);
        assert_eq!(log[0].before, Some(json!({"v": 1})));

        // Nothing changed: nothing bumped.
        let mut upsert = store.begin_upsert(&actor(), Kind::Product).await.unwrap();
        upsert.write(&[draft("b", json!({"v": 1}))]).await.unwrap();
        assert_eq!(upsert.commit().await.unwrap().unchanged, 1);
        assert_eq!(store.revision().await.unwrap(), revision + 1);
    }

    pub async fn a_dropped_upsert_writes_nothing(b: &Backend) {
        let store = &*b.store;
        store
            .upsert_many(&actor(), Kind::Product, vec![stored("p0", json!({"v": 0}))])
            .await
            .unwrap();
        let revision = store.revision().await.unwrap();
        let before = products(store).await;
        let audit_before = audit_len(store).await;
        {
            let mut upsert = store.begin_upsert(&actor(), Kind::Product).await.unwrap();
            // Several statements' worth, and an update of a stored document.
            for chunk in 0..3 {
                let drafts: Vec<TextDraft> = (0..700)
                    .map(|i| draft(&format!("p{chunk}-{i:03}"), json!({"v": i})))
                    .chain([draft("p0", json!({"v": chunk + 1}))])
                    .collect();
                upsert.write(&drafts).await.unwrap();
            }
            // Dropped here without a commit: an error found late in an import.
        }
        assert_eq!(products(store).await, before);
        assert_eq!(store.revision().await.unwrap(), revision);
        assert_eq!(audit_len(store).await, audit_before);
        // The write lock went with it: the next write goes through.
        store
            .upsert_many(&actor(), Kind::Product, vec![stored("p1", json!({"v": 1}))])
            .await
            .unwrap();
        assert_eq!(store.revision().await.unwrap(), revision + 1);
    }

    pub async fn readers_see_nothing_before_the_commit(b: &Backend) {
        let store = &*b.store;
        let other = b.another_instance().await;
        let revision = store.revision().await.unwrap();
        let mut upsert = store.begin_upsert(&actor(), Kind::Product).await.unwrap();
        let drafts: Vec<TextDraft> = (0..1200)
            .map(|i| draft(&format!("p{i:04}"), json!({"i": i})))
            .collect();
        upsert.write(&drafts).await.unwrap();
        for reader in [store, other.as_ref()] {
            assert_eq!(reader.revision().await.unwrap(), revision);
            assert!(reader.get(Kind::Product, "p0000").await.unwrap().is_none());
            let (at, records) = reader.load_all().await.unwrap();
            assert_eq!(at, revision);
            assert!(records.iter().all(|r| r.kind != Kind::Product));
        }
        assert_eq!(upsert.commit().await.unwrap().created, 1200);
        for reader in [store, other.as_ref()] {
            assert_eq!(reader.revision().await.unwrap(), revision + 1);
            assert_eq!(products(reader).await.len(), 1200);
        }
    }
}
