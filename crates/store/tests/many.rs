//! Operations on several named documents, on both backends: reading a page of them
//! ([`Store::get_many`]) and restoring many soft-deleted ones at once ([`Store::restore_many`]),
//! all or nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{Action, AuditQuery, ChangeLog, Draft, Error, Kind, Store};
use serde_json::{Value, json};

mod common;

use common::{Backend, actor};

common::on_every_backend!(
    get_many_reads_the_named_documents_in_id_order,
    restore_many_restores_all_in_one_revision,
    restore_many_restores_none_when_one_is_not_deleted,
);

fn draft(id: &str, body: Value) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: None,
        status: None,
    }
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// Creates offers `ids` (body `{"code": id}`) and soft-deletes those in `deleted`.
async fn offers(store: &dyn Store, ids: &[&str], deleted: &[&str]) {
    for id in ids {
        store
            .create(&actor(), Kind::Offer, draft(id, json!({ "code": id })))
            .await
            .unwrap();
    }
    for id in deleted {
        store.delete(&actor(), Kind::Offer, id, 1).await.unwrap();
    }
}

async fn restores_in_log(store: &dyn Store) -> Vec<String> {
    let log = store
        .audit(&AuditQuery {
            limit: 1_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<String> = log
        .into_iter()
        .filter(|e| e.action == Action::Restore)
        .map(|e| e.entity_id)
        .collect();
    ids.sort();
    ids
}

mod scenarios {
    use super::*;

    pub async fn get_many_reads_the_named_documents_in_id_order(b: &Backend) {
        let store = &*b.store;
        offers(store, &["B", "A", "C", "D"], &["C"]).await;
        // Another kind with the same id is not read.
        store
            .create(&actor(), Kind::Promotion, draft("D", json!({})))
            .await
            .unwrap();
        let read = store
            .get_many(Kind::Offer, &strings(&["C", "missing", "A", "D"]))
            .await
            .unwrap();
        let ids: Vec<&str> = read.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["A", "C", "D"]);
        assert!(read.iter().all(|r| r.kind == Kind::Offer));
        assert_eq!(read[0].body, json!({ "code": "A" }));
        assert!(
            read[1].deleted_at.is_some(),
            "soft-deleted ones are read too"
        );
        assert_eq!(read[1].version, 2);
        assert!(store.get_many(Kind::Offer, &[]).await.unwrap().is_empty());
        // More ids than one query takes.
        let many: Vec<String> = (0..1_200).map(|i| format!("X{i:04}")).collect();
        let mut with_known = many.clone();
        with_known.push("B".to_owned());
        let read = store.get_many(Kind::Offer, &with_known).await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].id, "B");
    }

    pub async fn restore_many_restores_all_in_one_revision(b: &Backend) {
        let store = &*b.store;
        offers(store, &["A", "B", "C"], &["A", "B", "C"]).await;
        let revision = store.revision().await.unwrap();
        let restored = store
            .restore_many(&actor(), Kind::Offer, &strings(&["C", "A"]))
            .await
            .unwrap();
        let ids: Vec<&str> = restored.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["C", "A"], "in the order given");
        for record in &restored {
            assert_eq!(record.version, 3);
            assert!(record.deleted_at.is_none());
            assert_eq!(
                store.get(Kind::Offer, &record.id).await.unwrap().as_ref(),
                Some(record)
            );
        }
        assert_eq!(
            store.revision().await.unwrap(),
            revision + 1,
            "one revision"
        );
        assert_eq!(restores_in_log(store).await, ["A", "C"]);
        let after = store.get(Kind::Offer, "B").await.unwrap().unwrap();
        assert!(after.deleted_at.is_some(), "B was not named");
        // Other instances follow the restores through the change log.
        match store.changes_since(revision, 100).await.unwrap() {
            ChangeLog::Changes { documents, .. } => {
                let mut changed: Vec<(&str, bool)> = documents
                    .iter()
                    .map(|d| (d.id.as_str(), d.record.is_some()))
                    .collect();
                changed.sort();
                assert_eq!(changed, [("A", true), ("C", true)]);
            }
            ChangeLog::Reload => panic!("two changes fit"),
        }
        // Nothing to restore: nothing written.
        assert!(
            store
                .restore_many(&actor(), Kind::Offer, &[])
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.revision().await.unwrap(), revision + 1);
    }

    pub async fn restore_many_restores_none_when_one_is_not_deleted(b: &Backend) {
        let store = &*b.store;
        offers(store, &["A", "B", "LIVE"], &["A", "B"]).await;
        let revision = store.revision().await.unwrap();
        for (ids, culprit) in [
            (vec!["A", "LIVE", "B"], "LIVE"),
            (vec!["A", "B", "unknown"], "unknown"),
            (vec!["A", "A"], "A"),
        ] {
            let refused = store
                .restore_many(&actor(), Kind::Offer, &strings(&ids))
                .await;
            match refused {
                Err(Error::NotFound { kind, id }) => {
                    assert_eq!((kind.as_str(), id.as_str()), ("offer", culprit), "{ids:?}");
                }
                other => panic!("{ids:?}: {other:?}"),
            }
        }
        assert_eq!(store.revision().await.unwrap(), revision, "nothing written");
        assert!(restores_in_log(store).await.is_empty());
        for id in ["A", "B"] {
            let record = store.get(Kind::Offer, id).await.unwrap().unwrap();
            assert!(record.deleted_at.is_some(), "{id} is still deleted");
            assert_eq!(record.version, 2);
        }
        // Another kind's deleted document is not an offer.
        store
            .create(&actor(), Kind::Campaign, draft("K", json!({})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "K", 1)
            .await
            .unwrap();
        let other_kind = store
            .restore_many(&actor(), Kind::Offer, &strings(&["A", "K"]))
            .await;
        assert!(
            matches!(&other_kind, Err(Error::NotFound { id, .. }) if id == "K"),
            "{other_kind:?}"
        );
    }
}
