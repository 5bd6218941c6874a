//! The behaviour every [`Store`] backend must have. Each test runs on a fresh SQLite file, and on
//! a fresh PostgreSQL database when `REMISE_TEST_POSTGRES_URL` is set (cargo reports that
//! variant as ignored otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use remise_store::{
    Action, Actor, ApiKey, AuditEntry, AuditQuery, Draft, Error, Kind, ListQuery, Record, Scope,
    Store, UpsertSummary, now_millis,
};
use serde_json::{Value, json};

mod common;

use common::{Backend, actor};

common::on_every_backend!(
    migrate_twice_and_start_empty,
    create_and_get,
    create_over_soft_deleted,
    update_checks_version,
    delete_soft_and_hard,
    restore_soft_deleted,
    purge_with_cutoff,
    list_pages_and_filters,
    load_all_reads_live_documents,
    upsert_counts,
    upsert_brings_back_soft_deleted,
    upsert_is_all_or_nothing,
    readers_see_all_or_nothing_of_an_upsert,
    upsert_100k_products,
    revision_bumps_once_per_change,
    audit_content_and_paging,
    api_keys,
    concurrent_writers,
    reopen_keeps_data,
    corrupt_json_is_an_error,
);

#[tokio::test]
async fn open_rejects_unknown_urls() {
    for url in ["mysql://localhost/db", "/tmp/remise.db", ""] {
        match remise_store::open(url).await {
            Err(Error::BadUrl(bad)) => assert_eq!(bad, url),
            Err(other) => panic!("{url}: {other}"),
            Ok(_) => panic!("{url}: opened"),
        }
    }
}

fn draft(id: &str, body: Value) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: None,
        status: None,
    }
}

fn all(limit: u32) -> ListQuery {
    ListQuery {
        limit,
        ..ListQuery::default()
    }
}

fn ids(records: &[Record]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

/// The whole audit log, newest first.
async fn audit_log(store: &dyn Store) -> Vec<AuditEntry> {
    store
        .audit(&AuditQuery {
            limit: 1_000_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

fn is_not_found(result: &Result<Record, Error>, kind: Kind, id: &str) -> bool {
    matches!(result, Err(Error::NotFound { kind: k, id: i }) if k == kind.as_str() && i == id)
}

fn mismatch(result: &Result<Record, Error>) -> Option<(i64, i64)> {
    match result {
        Err(Error::VersionMismatch {
            expected, current, ..
        }) => Some((*expected, *current)),
        _ => None,
    }
}

mod scenarios {
    use super::*;

    pub async fn migrate_twice_and_start_empty(b: &Backend) {
        let store = &*b.store;
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.revision().await.unwrap(), 0);
        assert_eq!(store.load_all().await.unwrap(), (0, vec![]));
        assert!(audit_log(store).await.is_empty());
        assert!(store.list_api_keys().await.unwrap().is_empty());
        for kind in Kind::ALL {
            assert!(store.list(kind, &all(100)).await.unwrap().is_empty());
        }
    }

    pub async fn create_and_get(b: &Backend) {
        let store = &*b.store;
        let start = now_millis();
        let body = json!({"name": "Pen", "price": "1.50", "tags": ["a", "b"], "n": 1.25});
        let created = store
            .create(
                &actor(),
                Kind::Promotion,
                Draft {
                    id: "p1".to_owned(),
                    body: body.clone(),
                    parent: Some("c1".to_owned()),
                    status: Some("active".to_owned()),
                },
            )
            .await
            .unwrap();
        let end = now_millis();
        assert_eq!(created.kind, Kind::Promotion);
        assert_eq!(created.id, "p1");
        assert_eq!(created.version, 1);
        assert_eq!(created.body, body);
        assert_eq!(created.parent.as_deref(), Some("c1"));
        assert_eq!(created.status.as_deref(), Some("active"));
        assert!(start <= created.created_at && created.created_at <= end);
        assert_eq!(created.updated_at, created.created_at);
        assert_eq!(created.deleted_at, None);
        assert_eq!(
            store.get(Kind::Promotion, "p1").await.unwrap(),
            Some(created.clone())
        );

        // Numbers keep their exact text (arbitrary precision) through the store.
        let stored = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
        assert_eq!(stored.body["n"].to_string(), "1.25");

        let duplicate = store
            .create(&actor(), Kind::Promotion, draft("p1", json!({})))
            .await;
        assert!(
            matches!(&duplicate, Err(Error::AlreadyExists { kind, id }) if kind == "promotion" && id == "p1"),
            "{duplicate:?}"
        );
        // Ids are per kind.
        store
            .create(&actor(), Kind::Campaign, draft("p1", json!({"x": 1})))
            .await
            .unwrap();
        assert_eq!(store.get(Kind::Product, "p1").await.unwrap(), None);
        assert_eq!(store.get(Kind::Promotion, "nope").await.unwrap(), None);
        assert_eq!(
            store.get(Kind::Promotion, "p1").await.unwrap(),
            Some(created),
            "the failed create changed nothing"
        );
        assert_eq!(store.revision().await.unwrap(), 2);

        let log = audit_log(store).await;
        assert_eq!(log.len(), 2);
        let entry = &log[1];
        assert_eq!(entry.action, Action::Create);
        assert_eq!(entry.actor, "tester");
        assert_eq!(entry.entity, "promotion");
        assert_eq!(entry.entity_id, "p1");
        assert_eq!(entry.before, None);
        assert_eq!(entry.after, Some(body));
        assert!(start <= entry.at && entry.at <= end);
    }

    pub async fn create_over_soft_deleted(b: &Backend) {
        let store = &*b.store;
        store
            .create(&actor(), Kind::Campaign, draft("c1", json!({"v": 1})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "c1", 1)
            .await
            .unwrap();
        let again = store
            .create(&actor(), Kind::Campaign, draft("c1", json!({"v": 2})))
            .await;
        assert!(
            matches!(again, Err(Error::AlreadyExists { .. })),
            "{again:?}"
        );
        let stored = store.get(Kind::Campaign, "c1").await.unwrap().unwrap();
        assert_eq!(stored.body, json!({"v": 1}));
        assert!(stored.deleted_at.is_some());
    }

    pub async fn update_checks_version(b: &Backend) {
        let store = &*b.store;
        let created = store
            .create(&actor(), Kind::Product, draft("sku", json!({"price": "1"})))
            .await
            .unwrap();
        let updated = store
            .update(
                &actor(),
                Kind::Product,
                Draft {
                    id: "sku".to_owned(),
                    body: json!({"price": "2"}),
                    parent: Some("brand".to_owned()),
                    status: Some("listed".to_owned()),
                },
                1,
            )
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.body, json!({"price": "2"}));
        assert_eq!(updated.parent.as_deref(), Some("brand"));
        assert_eq!(updated.status.as_deref(), Some("listed"));
        assert_eq!(updated.created_at, created.created_at);
        assert!(updated.updated_at >= created.updated_at);
        assert_eq!(
            store.get(Kind::Product, "sku").await.unwrap(),
            Some(updated.clone())
        );

        let stale = store
            .update(
                &actor(),
                Kind::Product,
                draft("sku", json!({"price": "3"})),
                1,
            )
            .await;
        assert_eq!(mismatch(&stale), Some((1, 2)), "{stale:?}");
        let ahead = store
            .update(
                &actor(),
                Kind::Product,
                draft("sku", json!({"price": "3"})),
                7,
            )
            .await;
        assert_eq!(mismatch(&ahead), Some((7, 2)), "{ahead:?}");
        assert_eq!(
            store.get(Kind::Product, "sku").await.unwrap(),
            Some(updated),
            "failed updates changed nothing"
        );

        let missing = store
            .update(&actor(), Kind::Product, draft("other", json!({})), 1)
            .await;
        assert!(
            is_not_found(&missing, Kind::Product, "other"),
            "{missing:?}"
        );

        // A soft-deleted document can't be updated, whatever the version.
        store
            .create(&actor(), Kind::Campaign, draft("c", json!({})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "c", 1)
            .await
            .unwrap();
        for version in [1, 2] {
            let deleted = store
                .update(
                    &actor(),
                    Kind::Campaign,
                    draft("c", json!({"x": 1})),
                    version,
                )
                .await;
            assert!(is_not_found(&deleted, Kind::Campaign, "c"), "{deleted:?}");
        }

        let log = audit_log(store).await;
        let update = log
            .iter()
            .find(|e| e.action == Action::Update)
            .expect("an update entry");
        assert_eq!(update.entity, "product");
        assert_eq!(update.entity_id, "sku");
        assert_eq!(update.before, Some(json!({"price": "1"})));
        assert_eq!(update.after, Some(json!({"price": "2"})));
        assert_eq!(log.len(), 4, "create, update, create, delete");
    }

    pub async fn delete_soft_and_hard(b: &Backend) {
        let store = &*b.store;
        // Hard: products are removed at once.
        let product = store
            .create(&actor(), Kind::Product, draft("sku", json!({"p": 1})))
            .await
            .unwrap();
        let stale = store.delete(&actor(), Kind::Product, "sku", 2).await;
        assert_eq!(mismatch(&stale), Some((2, 1)), "{stale:?}");
        let deleted = store
            .delete(&actor(), Kind::Product, "sku", 1)
            .await
            .unwrap();
        assert_eq!(deleted, product, "a removed document is returned as it was");
        assert_eq!(store.get(Kind::Product, "sku").await.unwrap(), None);
        let again = store.delete(&actor(), Kind::Product, "sku", 1).await;
        assert!(is_not_found(&again, Kind::Product, "sku"), "{again:?}");
        let recreated = store
            .create(&actor(), Kind::Product, draft("sku", json!({"p": 2})))
            .await
            .unwrap();
        assert_eq!(recreated.version, 1);

        // Soft: campaigns and promotions are marked.
        for kind in [Kind::Campaign, Kind::Promotion] {
            store
                .create(&actor(), kind, draft("x", json!({"k": kind.as_str()})))
                .await
                .unwrap();
            let v2 = store
                .update(&actor(), kind, draft("x", json!({"k": 2})), 1)
                .await
                .unwrap();
            let before = now_millis();
            let deleted = store.delete(&actor(), kind, "x", 2).await.unwrap();
            assert_eq!(deleted.version, 3);
            assert_eq!(deleted.body, v2.body);
            assert_eq!(deleted.created_at, v2.created_at);
            let at = deleted.deleted_at.expect("soft-deleted");
            assert!(at >= before && at <= now_millis());
            assert_eq!(
                store.get(kind, "x").await.unwrap(),
                Some(deleted.clone()),
                "get returns soft-deleted documents"
            );
            assert!(store.list(kind, &all(10)).await.unwrap().is_empty());
            let listed = store
                .list(
                    kind,
                    &ListQuery {
                        deleted: true,
                        limit: 10,
                        ..ListQuery::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(listed, vec![deleted]);
            let again = store.delete(&actor(), kind, "x", 3).await;
            assert!(is_not_found(&again, kind, "x"), "{again:?}");
        }
        let (_, live) = store.load_all().await.unwrap();
        assert_eq!(live.len(), 1, "only the product is live: {live:?}");

        let log = audit_log(store).await;
        let deletes: Vec<&AuditEntry> = log.iter().filter(|e| e.action == Action::Delete).collect();
        assert_eq!(deletes.len(), 3);
        for entry in deletes {
            assert!(entry.before.is_some());
            assert_eq!(entry.after, None);
        }
        assert_eq!(log.last().unwrap().after, Some(json!({"p": 1})));
    }

    pub async fn restore_soft_deleted(b: &Backend) {
        let store = &*b.store;
        let created = store
            .create(
                &actor(),
                Kind::Campaign,
                draft("c", json!({"name": "Sale"})),
            )
            .await
            .unwrap();
        let live = store.restore(&actor(), Kind::Campaign, "c").await;
        assert!(
            is_not_found(&live, Kind::Campaign, "c"),
            "a live document: {live:?}"
        );
        store
            .delete(&actor(), Kind::Campaign, "c", 1)
            .await
            .unwrap();
        let restored = store.restore(&actor(), Kind::Campaign, "c").await.unwrap();
        assert_eq!(restored.version, 3);
        assert_eq!(restored.deleted_at, None);
        assert_eq!(restored.body, created.body);
        assert_eq!(restored.created_at, created.created_at);
        assert_eq!(
            store.get(Kind::Campaign, "c").await.unwrap(),
            Some(restored.clone())
        );
        assert_eq!(
            ids(&store.list(Kind::Campaign, &all(10)).await.unwrap()),
            ["c"]
        );
        let twice = store.restore(&actor(), Kind::Campaign, "c").await;
        assert!(is_not_found(&twice, Kind::Campaign, "c"), "{twice:?}");
        let missing = store.restore(&actor(), Kind::Campaign, "nope").await;
        assert!(
            is_not_found(&missing, Kind::Campaign, "nope"),
            "{missing:?}"
        );
        // A hard-deleted product is gone for good.
        store
            .create(&actor(), Kind::Product, draft("sku", json!({})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Product, "sku", 1)
            .await
            .unwrap();
        let gone = store.restore(&actor(), Kind::Product, "sku").await;
        assert!(is_not_found(&gone, Kind::Product, "sku"), "{gone:?}");
        // The restored document goes on from its new version.
        store
            .update(
                &actor(),
                Kind::Campaign,
                draft("c", json!({"name": "Sale 2"})),
                3,
            )
            .await
            .unwrap();

        let log = audit_log(store).await;
        let restore = log
            .iter()
            .find(|e| e.action == Action::Restore)
            .expect("a restore entry");
        assert_eq!(restore.entity, "campaign");
        assert_eq!(restore.entity_id, "c");
        assert_eq!(restore.before, None);
        assert_eq!(restore.after, Some(json!({"name": "Sale"})));
    }

    pub async fn purge_with_cutoff(b: &Backend) {
        let store = &*b.store;
        for (kind, id) in [
            (Kind::Campaign, "old"),
            (Kind::Promotion, "newer"),
            (Kind::Campaign, "live"),
        ] {
            store
                .create(&actor(), kind, draft(id, json!({"id": id})))
                .await
                .unwrap();
        }
        let old = store
            .delete(&actor(), Kind::Campaign, "old", 1)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let newer = store
            .delete(&actor(), Kind::Promotion, "newer", 1)
            .await
            .unwrap();
        let old_at = old.deleted_at.unwrap();
        let newer_at = newer.deleted_at.unwrap();
        assert!(old_at < newer_at);

        let revision = store.revision().await.unwrap();
        let log_len = audit_log(store).await.len();
        // Strictly before the cut-off.
        assert_eq!(store.purge_deleted(old_at).await.unwrap(), 0);
        assert_eq!(
            store.revision().await.unwrap(),
            revision,
            "no purge, no bump"
        );
        assert_eq!(audit_log(store).await.len(), log_len);

        assert_eq!(store.purge_deleted(newer_at).await.unwrap(), 1);
        assert_eq!(store.revision().await.unwrap(), revision + 1);
        assert_eq!(store.get(Kind::Campaign, "old").await.unwrap(), None);
        assert!(store.get(Kind::Promotion, "newer").await.unwrap().is_some());
        let log = audit_log(store).await;
        assert_eq!(log.len(), log_len + 1);
        let purge = &log[0];
        assert_eq!(purge.action, Action::Purge);
        assert_eq!(purge.actor, "system");
        assert_eq!(purge.entity, "campaign");
        assert_eq!(purge.entity_id, "old");
        assert_eq!(purge.before, Some(json!({"id": "old"})));
        assert_eq!(purge.after, None);
        let gone = store.restore(&actor(), Kind::Campaign, "old").await;
        assert!(is_not_found(&gone, Kind::Campaign, "old"), "{gone:?}");

        assert_eq!(store.purge_deleted(now_millis() + 1).await.unwrap(), 1);
        assert_eq!(store.purge_deleted(now_millis() + 1).await.unwrap(), 0);
        assert_eq!(store.revision().await.unwrap(), revision + 2);
        // Live documents are never purged.
        assert!(store.get(Kind::Campaign, "live").await.unwrap().is_some());
        // The id can be used again.
        store
            .create(&actor(), Kind::Campaign, draft("old", json!({})))
            .await
            .unwrap();
    }

    pub async fn list_pages_and_filters(b: &Backend) {
        let store = &*b.store;
        let mut expected: BTreeSet<String> = BTreeSet::new();
        for i in 0..30 {
            let id = format!("p{i:02}");
            expected.insert(id.clone());
            store
                .create(
                    &actor(),
                    Kind::Product,
                    Draft {
                        id,
                        body: json!({"i": i}),
                        parent: Some(if i % 3 == 0 { "c1" } else { "c2" }.to_owned()),
                        status: Some(if i % 2 == 0 { "active" } else { "draft" }.to_owned()),
                    },
                )
                .await
                .unwrap();
        }
        // Ids compare bytewise on both backends, whatever PostgreSQL's locale.
        for id in ["alpha", "Zeta", "a_b", "a-b", "é", "e"] {
            expected.insert(id.to_owned());
            store
                .create(&actor(), Kind::Product, draft(id, json!({})))
                .await
                .unwrap();
        }
        let expected: Vec<String> = expected.into_iter().collect();
        assert_eq!(&expected[..6], ["Zeta", "a-b", "a_b", "alpha", "e", "p00"]);
        assert_eq!(expected.last().unwrap(), "é");

        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list(
                    Kind::Product,
                    &ListQuery {
                        after: after.clone(),
                        limit: 7,
                        ..ListQuery::default()
                    },
                )
                .await
                .unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            after = Some(page.last().unwrap().id.clone());
            seen.extend(page.into_iter().map(|r| r.id));
        }
        assert_eq!(seen, expected);

        let filtered = |parent: Option<&str>, status: Option<&str>, after: Option<&str>| {
            let query = ListQuery {
                deleted: false,
                parent: parent.map(str::to_owned),
                status: status.map(str::to_owned),
                after: after.map(str::to_owned),
                limit: 100,
            };
            async move { store.list(Kind::Product, &query).await.unwrap() }
        };
        let by_parent = filtered(Some("c1"), None, None).await;
        assert_eq!(
            ids(&by_parent),
            [
                "p00", "p03", "p06", "p09", "p12", "p15", "p18", "p21", "p24", "p27"
            ]
        );
        let by_status = filtered(None, Some("draft"), None).await;
        assert_eq!(by_status.len(), 15);
        assert!(
            by_status
                .iter()
                .all(|r| r.status.as_deref() == Some("draft"))
        );
        let both = filtered(Some("c1"), Some("active"), None).await;
        assert_eq!(ids(&both), ["p00", "p06", "p12", "p18", "p24"]);
        let both_after = filtered(Some("c1"), Some("active"), Some("p06")).await;
        assert_eq!(ids(&both_after), ["p12", "p18", "p24"]);
        assert!(filtered(Some("c3"), None, None).await.is_empty());

        assert!(store.list(Kind::Product, &all(0)).await.unwrap().is_empty());
        assert_eq!(
            ids(&store.list(Kind::Product, &all(2)).await.unwrap()),
            ["Zeta", "a-b"]
        );
        assert!(
            store
                .list(Kind::Segment, &all(100))
                .await
                .unwrap()
                .is_empty()
        );

        // Live and deleted lists are disjoint.
        for id in ["k1", "k2", "k3"] {
            store
                .create(&actor(), Kind::Campaign, draft(id, json!({})))
                .await
                .unwrap();
        }
        store
            .delete(&actor(), Kind::Campaign, "k2", 1)
            .await
            .unwrap();
        let deleted = ListQuery {
            deleted: true,
            limit: 100,
            ..ListQuery::default()
        };
        assert_eq!(
            ids(&store.list(Kind::Campaign, &all(100)).await.unwrap()),
            ["k1", "k3"]
        );
        assert_eq!(
            ids(&store.list(Kind::Campaign, &deleted).await.unwrap()),
            ["k2"]
        );
        assert!(
            store
                .list(Kind::Product, &deleted)
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn load_all_reads_live_documents(b: &Backend) {
        let store = &*b.store;
        store
            .create(
                &actor(),
                Kind::Settings,
                draft(remise_store::SETTINGS_ID, json!({"currency": "EUR"})),
            )
            .await
            .unwrap();
        for (kind, id) in [
            (Kind::Product, "sku"),
            (Kind::Segment, "s"),
            (Kind::Selection, "sel"),
            (Kind::CustomerGroup, "vip"),
            (Kind::Campaign, "c"),
            (Kind::Campaign, "gone"),
            (Kind::Promotion, "p"),
        ] {
            store
                .create(&actor(), kind, draft(id, json!({"id": id})))
                .await
                .unwrap();
        }
        store
            .delete(&actor(), Kind::Campaign, "gone", 1)
            .await
            .unwrap();
        let (revision, records) = store.load_all().await.unwrap();
        assert_eq!(revision, store.revision().await.unwrap());
        assert_eq!(revision, 9);
        assert_eq!(records.len(), 7);
        assert!(records.iter().all(|r| r.deleted_at.is_none()));
        let kinds: BTreeSet<Kind> = records.iter().map(|r| r.kind).collect();
        assert_eq!(kinds.len(), 7, "every kind: {kinds:?}");
        for record in &records {
            assert_eq!(
                store.get(record.kind, &record.id).await.unwrap().as_ref(),
                Some(record)
            );
        }
    }

    pub async fn upsert_counts(b: &Backend) {
        let store = &*b.store;
        let revision = store.revision().await.unwrap();
        assert_eq!(
            store
                .upsert_many(&actor(), Kind::Product, vec![])
                .await
                .unwrap(),
            UpsertSummary::default()
        );
        assert_eq!(store.revision().await.unwrap(), revision);

        let first = vec![
            Draft {
                id: "a".to_owned(),
                body: json!({"v": 1}),
                parent: Some("brand".to_owned()),
                status: Some("listed".to_owned()),
            },
            draft("b", json!({"v": 1})),
            draft("c", json!({"v": 1})),
        ];
        let summary = store
            .upsert_many(&actor(), Kind::Product, first)
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 3,
                updated: 0,
                unchanged: 0
            }
        );
        assert_eq!(store.revision().await.unwrap(), revision + 1, "one bump");
        let a = store.get(Kind::Product, "a").await.unwrap().unwrap();
        assert_eq!(a.version, 1);
        assert_eq!(a.parent.as_deref(), Some("brand"));
        assert_eq!(a.status.as_deref(), Some("listed"));
        assert_eq!(a.created_at, a.updated_at);
        let log = audit_log(store).await;
        assert_eq!(log.len(), 3);
        assert!(
            log.iter()
                .all(|e| e.action == Action::Create && e.before.is_none())
        );
        // Newest first: the drafts' order, reversed.
        assert_eq!(
            log.iter().map(|e| e.entity_id.as_str()).collect::<Vec<_>>(),
            ["c", "b", "a"]
        );

        let second = vec![
            Draft {
                id: "a".to_owned(),
                body: json!({"v": 1}),
                parent: Some("brand".to_owned()),
                status: Some("listed".to_owned()),
            },
            draft("b", json!({"v": 2})),
            draft("d", json!({"v": 1})),
        ];
        let summary = store
            .upsert_many(&actor(), Kind::Product, second.clone())
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 1,
                updated: 1,
                unchanged: 1
            }
        );
        assert_eq!(store.revision().await.unwrap(), revision + 2);
        assert_eq!(
            store.get(Kind::Product, "a").await.unwrap().unwrap(),
            a,
            "an unchanged document is not written"
        );
        let updated = store.get(Kind::Product, "b").await.unwrap().unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.body, json!({"v": 2}));
        let log = audit_log(store).await;
        assert_eq!(log.len(), 5);
        let b_entry = log.iter().find(|e| e.entity_id == "b").unwrap();
        assert_eq!(b_entry.action, Action::Update);
        assert_eq!(b_entry.before, Some(json!({"v": 1})));
        assert_eq!(b_entry.after, Some(json!({"v": 2})));

        // The same again: nothing written, audited or bumped.
        let summary = store
            .upsert_many(&actor(), Kind::Product, second)
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 0,
                updated: 0,
                unchanged: 3
            }
        );
        assert_eq!(store.revision().await.unwrap(), revision + 2);
        assert_eq!(audit_log(store).await.len(), 5);

        // Bodies compare as JSON values, not as text.
        b.raw(r#"UPDATE documents SET body = '{ "w": [1, 2],   "v": 1 }' WHERE id = 'c'"#)
            .await;
        let summary = store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![draft("c", json!({"v": 1, "w": [1, 2]}))],
            )
            .await
            .unwrap();
        assert_eq!(summary.unchanged, 1, "{summary:?}");

        // A repeated id is taken in order, as if upserted one after the other.
        let summary = store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![
                    draft("e", json!({"v": 1})),
                    draft("e", json!({"v": 2})),
                    draft("e", json!({"v": 2})),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 1,
                updated: 1,
                unchanged: 1
            }
        );
        let e = store.get(Kind::Product, "e").await.unwrap().unwrap();
        assert_eq!((e.version, e.body), (2, json!({"v": 2})));

        // Other kinds are apart.
        let summary = store
            .upsert_many(&actor(), Kind::Segment, vec![draft("a", json!({"v": 1}))])
            .await
            .unwrap();
        assert_eq!(summary.created, 1);
        let listed = store
            .list(
                Kind::Product,
                &ListQuery {
                    parent: Some("brand".to_owned()),
                    limit: 10,
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(ids(&listed), ["a"]);
    }

    pub async fn upsert_brings_back_soft_deleted(b: &Backend) {
        let store = &*b.store;
        let created = store
            .create(&actor(), Kind::Campaign, draft("c", json!({"v": 1})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "c", 1)
            .await
            .unwrap();
        // Even with the same body: a deleted document isn't what the import asks for.
        let summary = store
            .upsert_many(&actor(), Kind::Campaign, vec![draft("c", json!({"v": 1}))])
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 0,
                updated: 1,
                unchanged: 0
            }
        );
        let back = store.get(Kind::Campaign, "c").await.unwrap().unwrap();
        assert_eq!(back.version, 3);
        assert_eq!(back.deleted_at, None);
        assert_eq!(back.created_at, created.created_at);
        let entry = &audit_log(store).await[0];
        assert_eq!(entry.action, Action::Update);
        assert_eq!(entry.before, Some(json!({"v": 1})));
        assert_eq!(entry.after, Some(json!({"v": 1})));
        assert!(store.list(Kind::Campaign, &all(10)).await.unwrap().len() == 1);
    }

    pub async fn upsert_is_all_or_nothing(b: &Backend) {
        let store = &*b.store;
        store
            .create(&actor(), Kind::Product, draft("p0000", json!({"v": 0})))
            .await
            .unwrap();
        let revision = store.revision().await.unwrap();
        let log_len = audit_log(store).await.len();
        // A trigger fails the write of one document, late in the batch: after the store has
        // already written earlier chunks of it.
        if b.is_postgres() {
            b.raw(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.id = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER boom BEFORE INSERT OR UPDATE ON documents \
                 FOR EACH ROW EXECUTE FUNCTION boom();",
            )
            .await;
        } else {
            b.raw(
                "CREATE TRIGGER boom BEFORE INSERT ON documents WHEN NEW.id = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .await;
        }
        let mut drafts: Vec<Draft> = (0..1500)
            .map(|i| draft(&format!("p{i:04}"), json!({"v": 1})))
            .collect();
        drafts.insert(1200, draft("boom", json!({})));
        let failed = store
            .upsert_many(&actor(), Kind::Product, drafts.clone())
            .await;
        assert!(matches!(failed, Err(Error::Database(_))), "{failed:?}");
        assert_eq!(store.revision().await.unwrap(), revision);
        assert_eq!(audit_log(store).await.len(), log_len);
        let products = store.list(Kind::Product, &all(10_000)).await.unwrap();
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].body, json!({"v": 0}));
        assert_eq!(products[0].version, 1);

        b.raw(if b.is_postgres() {
            "DROP TRIGGER boom ON documents"
        } else {
            "DROP TRIGGER boom"
        })
        .await;
        drafts.remove(1200);
        let summary = store
            .upsert_many(&actor(), Kind::Product, drafts)
            .await
            .unwrap();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 1499,
                updated: 1,
                unchanged: 0
            }
        );
        assert_eq!(store.revision().await.unwrap(), revision + 1);
    }

    pub async fn readers_see_all_or_nothing_of_an_upsert(b: &Backend) {
        const N: usize = 5000;
        let revision = b.store.revision().await.unwrap();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let store = b.store.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let (rev, records) = store.load_all().await.unwrap();
                    seen.push((rev, records.len()));
                    if finished {
                        return seen;
                    }
                }
            })
        };
        let drafts: Vec<Draft> = (0..N)
            .map(|i| draft(&format!("p{i:05}"), json!({"i": i})))
            .collect();
        let summary = b
            .store
            .upsert_many(&actor(), Kind::Product, drafts)
            .await
            .unwrap();
        assert_eq!(summary.created, N as u64);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reader.await.unwrap();
        for &(rev, count) in &seen {
            let expected = if rev == revision { 0 } else { N };
            assert_eq!(rev.min(revision + 1), rev, "one bump");
            assert_eq!(count, expected, "at revision {rev}: {seen:?}");
        }
        assert_eq!(seen.last().unwrap(), &(revision + 1, N));
    }

    pub async fn upsert_100k_products(b: &Backend) {
        const N: usize = 100_000;
        let drafts: Vec<Draft> = (0..N)
            .map(|i| Draft {
                id: format!("sku-{i:06}"),
                body: json!({
                    "sku": format!("sku-{i:06}"),
                    "name": format!("Product {i}"),
                    "price": format!("{}.{:02}", i % 500, i % 100),
                    "categories": ["shoes", format!("brand-{}", i % 40)],
                    "attributes": {"color": "red", "size": i % 12},
                }),
                parent: Some(format!("brand-{}", i % 40)),
                status: None,
            })
            .collect();
        let start = Instant::now();
        let summary = b
            .store
            .upsert_many(&actor(), Kind::Product, drafts.clone())
            .await
            .unwrap();
        let created_in = start.elapsed();
        assert_eq!(summary.created, N as u64);

        let start = Instant::now();
        let summary = b
            .store
            .upsert_many(&actor(), Kind::Product, drafts.clone())
            .await
            .unwrap();
        let unchanged_in = start.elapsed();
        assert_eq!(summary.unchanged, N as u64);

        let changed: Vec<Draft> = drafts
            .into_iter()
            .map(|mut d| {
                d.body["name"] = json!("renamed");
                d
            })
            .collect();
        let start = Instant::now();
        let summary = b
            .store
            .upsert_many(&actor(), Kind::Product, changed)
            .await
            .unwrap();
        let updated_in = start.elapsed();
        assert_eq!(summary.updated, N as u64);
        eprintln!(
            "{}: 100k products created in {created_in:?}, unchanged in {unchanged_in:?}, \
             updated in {updated_in:?}",
            b.name
        );
        let (_, all) = b.store.load_all().await.unwrap();
        assert_eq!(all.len(), N);
        assert_eq!(
            audit_log(&*b.store).await.len(),
            2 * N,
            "one entry per created or updated document"
        );
        // Generous: this also runs unoptimised; an optimised build takes a few seconds.
        let limit = Duration::from_secs(if cfg!(debug_assertions) { 90 } else { 15 });
        assert!(created_in < limit && updated_in < limit);
    }

    pub async fn revision_bumps_once_per_change(b: &Backend) {
        let store = &*b.store;
        let mut expected = store.revision().await.unwrap();
        let check = |expected: i64, what: &'static str| async move {
            assert_eq!(store.revision().await.unwrap(), expected, "after {what}");
        };
        store
            .create(&actor(), Kind::Campaign, draft("c", json!({})))
            .await
            .unwrap();
        expected += 1;
        check(expected, "create").await;
        let _ = store
            .create(&actor(), Kind::Campaign, draft("c", json!({})))
            .await
            .unwrap_err();
        check(expected, "a failed create").await;
        store
            .update(&actor(), Kind::Campaign, draft("c", json!({"v": 2})), 1)
            .await
            .unwrap();
        expected += 1;
        check(expected, "update").await;
        let _ = store
            .update(&actor(), Kind::Campaign, draft("c", json!({"v": 3})), 1)
            .await
            .unwrap_err();
        check(expected, "a stale update").await;
        store
            .upsert_many(&actor(), Kind::Campaign, vec![draft("c", json!({"v": 2}))])
            .await
            .unwrap();
        check(expected, "an upsert that changed nothing").await;
        store
            .upsert_many(
                &actor(),
                Kind::Campaign,
                vec![draft("d", json!({})), draft("e", json!({}))],
            )
            .await
            .unwrap();
        expected += 1;
        check(expected, "an upsert of two").await;
        store
            .delete(&actor(), Kind::Campaign, "c", 2)
            .await
            .unwrap();
        expected += 1;
        check(expected, "delete").await;
        let _ = store
            .delete(&actor(), Kind::Campaign, "c", 3)
            .await
            .unwrap_err();
        check(expected, "a failed delete").await;
        store.restore(&actor(), Kind::Campaign, "c").await.unwrap();
        expected += 1;
        check(expected, "restore").await;
        assert_eq!(store.purge_deleted(now_millis() + 1).await.unwrap(), 0);
        check(expected, "an empty purge").await;
        store
            .delete(&actor(), Kind::Campaign, "c", 4)
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "d", 1)
            .await
            .unwrap();
        expected += 2;
        assert_eq!(store.purge_deleted(now_millis() + 1).await.unwrap(), 2);
        expected += 1;
        check(expected, "a purge of two").await;
        store
            .create_api_key(&actor(), &key("k", "h", Scope::Storefront, 1))
            .await
            .unwrap();
        store.revoke_api_key(&actor(), "k").await.unwrap();
        check(expected, "API key changes").await;
    }

    pub async fn audit_content_and_paging(b: &Backend) {
        let store = &*b.store;
        let start = now_millis();
        store
            .create(&actor(), Kind::Product, draft("p1", json!({"v": 1})))
            .await
            .unwrap();
        store
            .update(&actor(), Kind::Product, draft("p1", json!({"v": 2})), 1)
            .await
            .unwrap();
        store
            .create(
                &Actor("cli".to_owned()),
                Kind::Product,
                draft("p2", json!({"v": 1})),
            )
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Product, "p1", 2)
            .await
            .unwrap();
        store
            .create(&actor(), Kind::Campaign, draft("c1", json!({"c": 1})))
            .await
            .unwrap();
        store
            .delete(&actor(), Kind::Campaign, "c1", 1)
            .await
            .unwrap();
        store.restore(&actor(), Kind::Campaign, "c1").await.unwrap();
        let end = now_millis();

        let log = audit_log(store).await;
        let summary: Vec<(Action, &str, &str)> = log
            .iter()
            .map(|e| (e.action, e.entity.as_str(), e.entity_id.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Action::Restore, "campaign", "c1"),
                (Action::Delete, "campaign", "c1"),
                (Action::Create, "campaign", "c1"),
                (Action::Delete, "product", "p1"),
                (Action::Create, "product", "p2"),
                (Action::Update, "product", "p1"),
                (Action::Create, "product", "p1"),
            ]
        );
        assert!(log.windows(2).all(|w| w[0].seq > w[1].seq));
        assert!(log.iter().all(|e| start <= e.at && e.at <= end));
        assert_eq!(log[4].actor, "cli");
        assert!(
            log.iter()
                .filter(|e| e.entity_id != "p2")
                .all(|e| e.actor == "tester")
        );
        assert_eq!(log[3].before, Some(json!({"v": 2})));
        assert_eq!(log[3].after, None);
        assert_eq!(log[5].before, Some(json!({"v": 1})));
        assert_eq!(log[5].after, Some(json!({"v": 2})));

        // Pages of 3, each below the previous page's last seq.
        let mut pages = Vec::new();
        let mut before_seq = None;
        loop {
            let page = store
                .audit(&AuditQuery {
                    before_seq,
                    limit: 3,
                    ..AuditQuery::default()
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            before_seq = Some(page.last().unwrap().seq);
            pages.push(page);
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(pages.concat(), log);

        let query = |entity: Option<&str>, entity_id: Option<&str>, before_seq, limit| AuditQuery {
            entity: entity.map(str::to_owned),
            entity_id: entity_id.map(str::to_owned),
            before_seq,
            limit,
            ..AuditQuery::default()
        };
        let products = store
            .audit(&query(Some("product"), None, None, 100))
            .await
            .unwrap();
        assert_eq!(products.len(), 4);
        let p1 = store
            .audit(&query(Some("product"), Some("p1"), None, 100))
            .await
            .unwrap();
        assert_eq!(
            p1.iter().map(|e| e.action).collect::<Vec<_>>(),
            [Action::Delete, Action::Update, Action::Create]
        );
        let p1_older = store
            .audit(&query(Some("product"), Some("p1"), Some(p1[0].seq), 1))
            .await
            .unwrap();
        assert_eq!(p1_older, vec![p1[1].clone()]);
        let c1 = store
            .audit(&query(None, Some("c1"), None, 100))
            .await
            .unwrap();
        assert_eq!(c1.len(), 3);
        assert!(
            store
                .audit(&query(Some("segment"), None, None, 100))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .audit(&query(None, None, None, 0))
                .await
                .unwrap()
                .is_empty()
        );

        // By actor, alone and with an entity, paged.
        let by = |actor: &str, entity: Option<&str>, before_seq, limit| AuditQuery {
            actor: Some(actor.to_owned()),
            entity: entity.map(str::to_owned),
            before_seq,
            limit,
            ..AuditQuery::default()
        };
        let cli = store.audit(&by("cli", None, None, 100)).await.unwrap();
        assert_eq!(cli, vec![log[4].clone()]);
        let tester = store.audit(&by("tester", None, None, 100)).await.unwrap();
        assert_eq!(tester.len(), 6);
        assert!(tester.iter().all(|e| e.actor == "tester"));
        let tester_products = store
            .audit(&by("tester", Some("product"), None, 100))
            .await
            .unwrap();
        assert_eq!(
            tester_products.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [log[3].seq, log[5].seq, log[6].seq]
        );
        let older = store
            .audit(&by("tester", Some("product"), Some(log[3].seq), 1))
            .await
            .unwrap();
        assert_eq!(older, vec![log[5].clone()]);
        assert!(
            store
                .audit(&by("nobody", None, None, 100))
                .await
                .unwrap()
                .is_empty()
        );

        // By instant: `from` included, `to` excluded.
        let between = |from: Option<i64>, to: Option<i64>| AuditQuery {
            from,
            to,
            limit: 100,
            ..AuditQuery::default()
        };
        assert_eq!(
            store
                .audit(&between(Some(start), Some(end + 1)))
                .await
                .unwrap(),
            log
        );
        assert!(
            store
                .audit(&between(Some(end + 1), None))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .audit(&between(None, Some(start)))
                .await
                .unwrap()
                .is_empty()
        );
        let at = log[2].at;
        let from_at = store.audit(&between(Some(at), None)).await.unwrap();
        assert!(from_at.iter().all(|e| e.at >= at));
        assert!(from_at.contains(&log[2]));
        let before_at = store.audit(&between(None, Some(at))).await.unwrap();
        assert!(before_at.iter().all(|e| e.at < at));
        assert!(!before_at.contains(&log[2]));
        assert_eq!(from_at.len() + before_at.len(), log.len());
    }

    pub async fn api_keys(b: &Backend) {
        let store = &*b.store;
        let k1 = key("k1", "hash-1", Scope::Storefront, 1_000);
        let k2 = key("k2", "hash-2", Scope::Management, 2_000);
        store.create_api_key(&actor(), &k2).await.unwrap();
        store.create_api_key(&actor(), &k1).await.unwrap();
        let duplicate_id = store
            .create_api_key(&actor(), &key("k1", "hash-3", Scope::Storefront, 3_000))
            .await;
        assert!(
            matches!(&duplicate_id, Err(Error::AlreadyExists { kind, id }) if kind == "api_key" && id == "k1"),
            "{duplicate_id:?}"
        );
        let duplicate_hash = store
            .create_api_key(&actor(), &key("k3", "hash-1", Scope::Storefront, 3_000))
            .await;
        assert!(
            matches!(duplicate_hash, Err(Error::AlreadyExists { .. })),
            "{duplicate_hash:?}"
        );

        assert_eq!(
            store.find_api_key("hash-1").await.unwrap(),
            Some(k1.clone())
        );
        assert_eq!(
            store.find_api_key("hash-2").await.unwrap(),
            Some(k2.clone())
        );
        assert_eq!(store.find_api_key("nope").await.unwrap(), None);
        assert_eq!(
            store.list_api_keys().await.unwrap(),
            vec![k1.clone(), k2.clone()],
            "oldest first"
        );

        let before = now_millis();
        let revoked = store.revoke_api_key(&actor(), "k1").await.unwrap();
        let at = revoked.revoked_at.expect("revoked");
        assert!(before <= at && at <= now_millis());
        assert_eq!(
            ApiKey {
                revoked_at: None,
                ..revoked.clone()
            },
            k1
        );
        assert_eq!(
            store.find_api_key("hash-1").await.unwrap(),
            Some(revoked.clone())
        );
        for id in ["k1", "nope"] {
            let result = store.revoke_api_key(&actor(), id).await;
            assert!(
                matches!(&result, Err(Error::NotFound { kind, id: i }) if kind == "api_key" && i == id),
                "{result:?}"
            );
        }
        assert_eq!(store.list_api_keys().await.unwrap(), vec![revoked, k2]);

        let log = store
            .audit(&AuditQuery {
                entity: Some("api_key".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let summary: Vec<(Action, &str)> = log
            .iter()
            .map(|e| (e.action, e.entity_id.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Action::Delete, "k1"),
                (Action::Create, "k1"),
                (Action::Create, "k2")
            ]
        );
        let shown = json!({"id": "k1", "name": "key k1", "scope": "storefront", "prefix": "rk_k1"});
        assert_eq!(log[1].before, None);
        assert_eq!(log[1].after, Some(shown.clone()));
        assert_eq!(log[0].before, Some(shown));
        assert_eq!(log[0].after, None);
        let text = serde_json::to_string(&audit_log(store).await).unwrap();
        assert!(!text.contains("hash-"), "no hash in the audit log: {text}");
        assert_eq!(store.revision().await.unwrap(), 0);
    }

    pub async fn concurrent_writers(b: &Backend) {
        const TASKS: usize = 16;
        let store = b.store.clone();
        store
            .create(&actor(), Kind::Promotion, draft("p", json!({"n": -1})))
            .await
            .unwrap();
        let revision = store.revision().await.unwrap();

        // Same document, same expected version: one wins.
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|n| {
                let store = store.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let result = store
                        .update(&actor(), Kind::Promotion, draft("p", json!({"n": n})), 1)
                        .await;
                    (n, result)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (n, result) = task.await.unwrap();
            match result {
                Ok(record) => {
                    assert_eq!(record.version, 2);
                    winners.push(n);
                }
                Err(error) => assert!(
                    matches!(
                        error,
                        Error::VersionMismatch {
                            expected: 1,
                            current: 2,
                            ..
                        }
                    ),
                    "{error:?}"
                ),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one update wins");
        let stored = store.get(Kind::Promotion, "p").await.unwrap().unwrap();
        assert_eq!((stored.version, stored.body), (2, json!({"n": winners[0]})));
        assert_eq!(store.revision().await.unwrap(), revision + 1);

        // Same new id: one create wins.
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|n| {
                let store = store.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store
                        .create(&actor(), Kind::Campaign, draft("race", json!({"n": n})))
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => created += 1,
                Err(error) => assert!(matches!(error, Error::AlreadyExists { .. }), "{error:?}"),
            }
        }
        assert_eq!(created, 1);

        // Different documents, with bulk writes and purges in between: all succeed, none
        // deadlocks, every change bumps once.
        let revision = store.revision().await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|n| {
                let store = store.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    match n % 4 {
                        0 => {
                            let drafts = (0..200)
                                .rev()
                                .map(|i| draft(&format!("bulk{i:03}"), json!({"by": n})))
                                .collect();
                            store
                                .upsert_many(&actor(), Kind::Product, drafts)
                                .await
                                .map(|_| ())
                        }
                        1 => store.purge_deleted(now_millis()).await.map(|_| ()),
                        _ => store
                            .create(
                                &actor(),
                                Kind::Segment,
                                draft(&format!("s{n}"), json!({"n": n})),
                            )
                            .await
                            .map(|_| ()),
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let segments = store.list(Kind::Segment, &all(100)).await.unwrap();
        assert_eq!(segments.len(), TASKS / 2);
        // 8 creates and 4 upserts (each changes the 200 documents: each task's body differs,
        // except that the first writes them), purges of nothing don't bump.
        assert_eq!(store.revision().await.unwrap(), revision + 8 + 4);
    }

    pub async fn reopen_keeps_data(b: &Backend) {
        let record = b
            .store
            .create(&actor(), Kind::Product, draft("sku", json!({"kept": true})))
            .await
            .unwrap();
        b.store
            .create_api_key(&actor(), &key("k", "h", Scope::Management, 5))
            .await
            .unwrap();
        let revision = b.store.revision().await.unwrap();
        let reopened = common::migrated(&b.url).await;
        reopened.migrate().await.unwrap();
        assert_eq!(
            reopened.get(Kind::Product, "sku").await.unwrap(),
            Some(record)
        );
        assert_eq!(reopened.revision().await.unwrap(), revision);
        assert_eq!(reopened.list_api_keys().await.unwrap().len(), 1);
        assert_eq!(audit_log(&*reopened).await.len(), 2);
        // Both stores work on the same database at once.
        reopened
            .update(&actor(), Kind::Product, draft("sku", json!({"kept": 2})), 1)
            .await
            .unwrap();
        let seen = b.store.get(Kind::Product, "sku").await.unwrap().unwrap();
        assert_eq!(seen.version, 2);
        drop(reopened);
        if !b.is_postgres() {
            // A file that doesn't exist yet is created.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("new.db");
            let store = remise_store::SqliteStore::open(&path).await.unwrap();
            store.migrate().await.unwrap();
            assert!(path.exists());
            assert_eq!(store.revision().await.unwrap(), 0);
        }
    }

    pub async fn corrupt_json_is_an_error(b: &Backend) {
        let store = &*b.store;
        for id in ["bad", "good"] {
            store
                .create(&actor(), Kind::Product, draft(id, json!({"id": id})))
                .await
                .unwrap();
        }
        b.raw("UPDATE documents SET body = 'not json {' WHERE id = 'bad'")
            .await;
        let is_corrupt = |error: &Error| matches!(error, Error::Corrupt { kind, id, .. } if kind == "product" && id == "bad");
        let get = store.get(Kind::Product, "bad").await.unwrap_err();
        assert!(is_corrupt(&get), "{get:?}");
        assert!(store.get(Kind::Product, "good").await.unwrap().is_some());
        let list = store.list(Kind::Product, &all(10)).await.unwrap_err();
        assert!(is_corrupt(&list), "{list:?}");
        let load = store.load_all().await.unwrap_err();
        assert!(is_corrupt(&load), "{load:?}");
        let delete = store
            .delete(&actor(), Kind::Product, "bad", 1)
            .await
            .unwrap_err();
        assert!(is_corrupt(&delete), "{delete:?}");

        // An update repairs it; the audit log keeps the bad text as a JSON string.
        let repaired = store
            .update(
                &actor(),
                Kind::Product,
                draft("bad", json!({"id": "fixed"})),
                1,
            )
            .await
            .unwrap();
        assert_eq!(repaired.version, 2);
        assert_eq!(audit_log(store).await[0].before, Some(json!("not json {")));
        assert_eq!(store.list(Kind::Product, &all(10)).await.unwrap().len(), 2);
        // So does an upsert.
        b.raw("UPDATE documents SET body = '[' WHERE id = 'bad'")
            .await;
        let summary = store
            .upsert_many(
                &actor(),
                Kind::Product,
                vec![draft("bad", json!({"id": "fixed"}))],
            )
            .await
            .unwrap();
        assert_eq!(summary.updated, 1);
        assert_eq!(
            store.get(Kind::Product, "bad").await.unwrap().unwrap().body,
            json!({"id": "fixed"})
        );

        // Unknown kinds, actions and scopes are corrupt rows too.
        b.raw("UPDATE documents SET kind = 'gadget' WHERE id = 'good'")
            .await;
        let load = store.load_all().await.unwrap_err();
        assert!(
            matches!(&load, Error::Corrupt { kind, .. } if kind == "gadget"),
            "{load:?}"
        );
        b.raw("UPDATE audit_log SET after = '{' WHERE entity_id = 'good'")
            .await;
        let audit = store
            .audit(&AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap_err();
        assert!(matches!(audit, Error::Corrupt { .. }), "{audit:?}");
        store
            .create_api_key(&actor(), &key("k", "h", Scope::Storefront, 1))
            .await
            .unwrap();
        b.raw("UPDATE api_keys SET scope = 'root'").await;
        let keys = store.list_api_keys().await.unwrap_err();
        assert!(matches!(keys, Error::Corrupt { .. }), "{keys:?}");
    }
}

fn key(id: &str, hash: &str, scope: Scope, created_at: i64) -> ApiKey {
    ApiKey {
        id: id.to_owned(),
        name: format!("key {id}"),
        scope,
        prefix: format!("rk_{id}"),
        hash: hash.to_owned(),
        created_at,
        revoked_at: None,
    }
}
