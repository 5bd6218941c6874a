//! The change log: what an instance reads to follow the others' writes without reloading the
//! store ([`Store::changes_since`]), on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{ChangeLog, ChangedDocument, Draft, Kind, Store};
use serde_json::{Value, json};

mod common;

use common::{Backend, actor};

common::on_every_backend!(
    every_kind_of_write_is_logged,
    too_many_changes_ask_for_a_reload,
    a_revision_missing_from_the_log_asks_for_a_reload,
    another_instance_reads_what_one_wrote,
);

fn draft(id: &str, body: Value) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: None,
        status: None,
    }
}

/// The changes after `since`, as (kind, id, body or None), sorted.
async fn changes(store: &dyn Store, since: i64) -> (i64, Vec<(Kind, String, Option<Value>)>) {
    match store.changes_since(since, 1_000).await.unwrap() {
        ChangeLog::Changes {
            revision,
            documents,
        } => {
            let mut seen: Vec<_> = documents
                .into_iter()
                .map(|ChangedDocument { kind, id, record }| (kind, id, record.map(|r| r.body)))
                .collect();
            seen.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            (revision, seen)
        }
        ChangeLog::Reload => panic!("a reload was asked for"),
    }
}

mod scenarios {
    use super::*;

    pub async fn every_kind_of_write_is_logged(b: &Backend) {
        let store = &*b.store;
        let start = store.revision().await.unwrap();
        assert_eq!(changes(store, start).await, (start, vec![]));

        store
            .create(&actor(), Kind::Promotion, draft("p1", json!({"v": 1})))
            .await
            .unwrap();
        store
            .create(&actor(), Kind::Product, draft("A", json!({"price": 1})))
            .await
            .unwrap();
        let after_creates = store.revision().await.unwrap();
        assert_eq!(
            changes(store, start).await,
            (
                after_creates,
                vec![
                    (Kind::Product, "A".into(), Some(json!({"price": 1}))),
                    (Kind::Promotion, "p1".into(), Some(json!({"v": 1}))),
                ]
            )
        );

        store
            .update(&actor(), Kind::Promotion, draft("p1", json!({"v": 2})), 1)
            .await
            .unwrap();
        store.delete(&actor(), Kind::Product, "A", 1).await.unwrap();
        store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![draft("B", json!({"price": 2})), draft("C", json!({}))],
            )
            .await
            .unwrap();
        let (revision, seen) = changes(store, after_creates).await;
        assert_eq!(revision, store.revision().await.unwrap());
        assert_eq!(
            seen,
            vec![
                // Removed: only its kind and id remain.
                (Kind::Product, "A".into(), None),
                (Kind::Product, "B".into(), Some(json!({"price": 2}))),
                (Kind::Product, "C".into(), Some(json!({}))),
                // Changed twice since `start`, read once, as it is now.
                (Kind::Promotion, "p1".into(), Some(json!({"v": 2}))),
            ]
        );

        // A soft deletion reads as gone; a restore brings the document back.
        let before_delete = store.revision().await.unwrap();
        store
            .delete(&actor(), Kind::Promotion, "p1", 2)
            .await
            .unwrap();
        assert_eq!(
            changes(store, before_delete).await.1,
            vec![(Kind::Promotion, "p1".into(), None)]
        );
        let before_restore = store.revision().await.unwrap();
        store
            .restore(&actor(), Kind::Promotion, "p1")
            .await
            .unwrap();
        assert_eq!(
            changes(store, before_restore).await.1,
            vec![(Kind::Promotion, "p1".into(), Some(json!({"v": 2})))]
        );

        // Writes that are not documents (API keys) move nothing.
        let now = store.revision().await.unwrap();
        assert_eq!(changes(store, now).await, (now, vec![]));
    }

    pub async fn too_many_changes_ask_for_a_reload(b: &Backend) {
        let store = &*b.store;
        let start = store.revision().await.unwrap();
        let drafts = (0..20)
            .map(|i| draft(&format!("sku-{i}"), json!({"price": i})))
            .collect();
        store
            .upsert_many(&actor(), Kind::Product, drafts)
            .await
            .unwrap();
        assert_eq!(
            store.changes_since(start, 19).await.unwrap(),
            ChangeLog::Reload
        );
        let ChangeLog::Changes { documents, .. } = store.changes_since(start, 20).await.unwrap()
        else {
            panic!("20 changes fit a limit of 20");
        };
        assert_eq!(documents.len(), 20);
    }

    pub async fn a_revision_missing_from_the_log_asks_for_a_reload(b: &Backend) {
        let store = &*b.store;
        let start = store.revision().await.unwrap();
        store
            .create(&actor(), Kind::Segment, draft("toys", json!({})))
            .await
            .unwrap();
        // As a write of a version without the change log would leave it.
        b.raw("UPDATE audit_log SET revision = NULL").await;
        assert_eq!(
            store.changes_since(start, 1_000).await.unwrap(),
            ChangeLog::Reload
        );
    }

    pub async fn another_instance_reads_what_one_wrote(b: &Backend) {
        let other = b.another_instance().await;
        let start = other.revision().await.unwrap();
        b.store
            .create(
                &actor(),
                Kind::Selection,
                draft("picks", json!({"skus": ["A"]})),
            )
            .await
            .unwrap();
        assert_eq!(
            changes(&*other, start).await.1,
            vec![(
                Kind::Selection,
                "picks".into(),
                Some(json!({"skus": ["A"]}))
            )]
        );
    }
}
