//! Bulk writes of documents of several kinds (`Store::upsert_documents`, what a rule import
//! writes) and their dry run (`Store::compare_documents`), on SQLite and, when
//! `REMISE_TEST_POSTGRES_URL` is set, PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{
    Action, AuditEntry, AuditQuery, Draft, Error, Kind, ListQuery, Outcome, Store, UpsertReport,
    UpsertSummary,
};
use serde_json::{Value, json};

mod common;

use common::{Backend, actor};

common::on_every_backend!(
    several_kinds_in_one_transaction,
    unchanged_documents_are_neither_written_nor_audited,
    compare_predicts_without_writing,
    compare_and_write_a_whole_kind,
    a_moved_revision_refuses_the_write,
    a_failure_writes_no_kind,
    a_repeated_id_is_compared_with_the_earlier_draft,
    the_report_gives_the_revision_and_creation_times,
);

fn draft(id: &str, body: Value) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: None,
        status: None,
    }
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

/// The outcomes of a write, in order.
fn outcomes(report: UpsertReport) -> Vec<Outcome> {
    report.documents.into_iter().map(|d| d.outcome).collect()
}

async fn count(store: &dyn Store, kind: Kind) -> usize {
    let all = ListQuery {
        limit: 100_000,
        ..ListQuery::default()
    };
    store.list(kind, &all).await.unwrap().len()
}

/// A segment, a campaign and two promotions of it: what a small rule import writes.
fn documents() -> Vec<(Kind, Draft)> {
    let mut campaign = draft("summer", json!({"id": "summer", "status": "draft"}));
    campaign.status = Some("draft".to_owned());
    let promotion = |id: &str| {
        let mut d = draft(id, json!({"id": id, "targets": {"segments": ["toys"]}}));
        d.parent = Some("summer".to_owned());
        d
    };
    vec![
        (Kind::Segment, draft("toys", json!({"id": "toys"}))),
        (Kind::Campaign, campaign),
        (Kind::Promotion, promotion("p1")),
        (Kind::Promotion, promotion("p2")),
    ]
}

mod scenarios {
    use super::*;

    pub async fn several_kinds_in_one_transaction(b: &Backend) {
        let store = &*b.store;
        let revision = store.revision().await.unwrap();
        let outcomes = outcomes(
            store
                .upsert_documents(&actor(), documents(), None)
                .await
                .unwrap(),
        );
        assert_eq!(outcomes, [Outcome::Created; 4]);
        // One revision for the whole write.
        assert_eq!(store.revision().await.unwrap(), revision + 1);
        // One audit entry per document, in the order given (the log is newest first).
        let log = audit_log(store).await;
        let entries: Vec<(&str, &str, Action)> = log
            .iter()
            .rev()
            .map(|e| (e.entity.as_str(), e.entity_id.as_str(), e.action))
            .collect();
        assert_eq!(
            entries,
            [
                ("segment", "toys", Action::Create),
                ("campaign", "summer", Action::Create),
                ("promotion", "p1", Action::Create),
                ("promotion", "p2", Action::Create),
            ]
        );
        assert!(log.iter().all(|e| e.actor == "tester"));
        // The indexed fields are written: list filters find them.
        let in_summer = ListQuery {
            parent: Some("summer".to_owned()),
            limit: 10,
            ..ListQuery::default()
        };
        assert_eq!(
            store.list(Kind::Promotion, &in_summer).await.unwrap().len(),
            2
        );
        let drafts = ListQuery {
            status: Some("draft".to_owned()),
            limit: 10,
            ..ListQuery::default()
        };
        assert_eq!(store.list(Kind::Campaign, &drafts).await.unwrap().len(), 1);
        let p1 = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
        assert_eq!(p1.version, 1);
        assert_eq!(p1.body["targets"], json!({"segments": ["toys"]}));
    }

    pub async fn unchanged_documents_are_neither_written_nor_audited(b: &Backend) {
        let store = &*b.store;
        outcomes(
            store
                .upsert_documents(&actor(), documents(), None)
                .await
                .unwrap(),
        );
        let revision = store.revision().await.unwrap();
        let log = audit_log(store).await.len();
        let again = outcomes(
            store
                .upsert_documents(&actor(), documents(), None)
                .await
                .unwrap(),
        );
        assert_eq!(again, [Outcome::Unchanged; 4]);
        assert_eq!(store.revision().await.unwrap(), revision);
        assert_eq!(audit_log(store).await.len(), log);

        // One changed, one new, one soft-deleted sent back with its own body: the deleted one
        // is brought back (an update), the others unchanged.
        store
            .delete(&actor(), Kind::Promotion, "p2", 1)
            .await
            .unwrap();
        let mut changed = documents();
        changed[0].1.body = json!({"id": "toys", "name": "Toys"});
        changed.push((Kind::Selection, draft("new", json!({"id": "new"}))));
        let outcomes = outcomes(
            store
                .upsert_documents(&actor(), changed, None)
                .await
                .unwrap(),
        );
        assert_eq!(
            outcomes,
            [
                Outcome::Updated,
                Outcome::Unchanged,
                Outcome::Unchanged,
                Outcome::Updated,
                Outcome::Created,
            ]
        );
        let summary: UpsertSummary = outcomes.into_iter().collect();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 1,
                updated: 2,
                unchanged: 2
            }
        );
        let p2 = store.get(Kind::Promotion, "p2").await.unwrap().unwrap();
        assert_eq!((p2.version, p2.deleted_at), (3, None));
        let toys = store.get(Kind::Segment, "toys").await.unwrap().unwrap();
        assert_eq!((toys.version, &toys.body["name"]), (2, &json!("Toys")));
        let newest = &audit_log(store).await[..3];
        let entries: Vec<(&str, Action)> = newest
            .iter()
            .rev()
            .map(|e| (e.entity_id.as_str(), e.action))
            .collect();
        assert_eq!(
            entries,
            [
                ("toys", Action::Update),
                ("p2", Action::Update),
                ("new", Action::Create)
            ]
        );
        assert_eq!(newest[2].before, Some(json!({"id": "toys"})));
    }

    pub async fn compare_predicts_without_writing(b: &Backend) {
        let store = &*b.store;
        assert_eq!(
            store.compare_documents(&documents()).await.unwrap(),
            [Outcome::Created; 4]
        );
        assert_eq!(store.revision().await.unwrap(), 0);
        assert!(audit_log(store).await.is_empty());
        assert_eq!(count(store, Kind::Promotion).await, 0);

        outcomes(
            store
                .upsert_documents(&actor(), documents(), None)
                .await
                .unwrap(),
        );
        let revision = store.revision().await.unwrap();
        let mut changed = documents();
        changed[3].1.body = json!({"id": "p2"});
        changed.push((Kind::Segment, draft("games", json!({"id": "games"}))));
        let predicted = store.compare_documents(&changed).await.unwrap();
        assert_eq!(
            predicted,
            [
                Outcome::Unchanged,
                Outcome::Unchanged,
                Outcome::Unchanged,
                Outcome::Updated,
                Outcome::Created,
            ]
        );
        assert_eq!(store.revision().await.unwrap(), revision);
        assert_eq!(count(store, Kind::Segment).await, 1);
        // What the write then does is what was predicted.
        let written = outcomes(
            store
                .upsert_documents(&actor(), changed, None)
                .await
                .unwrap(),
        );
        assert_eq!(written, predicted);
    }

    /// Past 5,000 documents of a kind the stored ones are read in one scan rather than by id:
    /// the outcomes are the same.
    pub async fn compare_and_write_a_whole_kind(b: &Backend) {
        let store = &*b.store;
        let promotions = |n: usize, changed: usize| -> Vec<(Kind, Draft)> {
            (0..n)
                .map(|i| {
                    let id = format!("p{i:05}");
                    let v = if i == changed { 2 } else { 1 };
                    (Kind::Promotion, draft(&id, json!({"id": id, "v": v})))
                })
                .collect()
        };
        // Stored documents of the kind that the write does not name stay as they are.
        store
            .create(&actor(), Kind::Promotion, draft("other", json!({})))
            .await
            .unwrap();
        let first = outcomes(
            store
                .upsert_documents(&actor(), promotions(6_000, usize::MAX), None)
                .await
                .unwrap(),
        );
        assert!(first.iter().all(|o| *o == Outcome::Created));
        assert_eq!(count(store, Kind::Promotion).await, 6_001);
        let second = promotions(6_000, 4_321);
        let predicted = store.compare_documents(&second).await.unwrap();
        let summary: UpsertSummary = predicted.iter().copied().collect();
        assert_eq!(
            summary,
            UpsertSummary {
                created: 0,
                updated: 1,
                unchanged: 5_999
            }
        );
        assert_eq!(predicted[4_321], Outcome::Updated);
        let log = audit_log(store).await.len();
        let written = outcomes(
            store
                .upsert_documents(&actor(), second, None)
                .await
                .unwrap(),
        );
        assert_eq!(written, predicted);
        assert_eq!(audit_log(store).await.len(), log + 1);
        let other = store.get(Kind::Promotion, "other").await.unwrap().unwrap();
        assert_eq!(other.version, 1);
    }

    pub async fn a_moved_revision_refuses_the_write(b: &Backend) {
        let store = &*b.store;
        let checked_at = store.revision().await.unwrap();
        // Another instance writes after the check.
        b.another_instance()
            .await
            .create(&actor(), Kind::Segment, draft("elsewhere", json!({})))
            .await
            .unwrap();
        let refused = store
            .upsert_documents(&actor(), documents(), Some(checked_at))
            .await;
        match refused {
            Err(Error::RevisionMoved { expected, current }) => {
                assert_eq!((expected, current), (checked_at, checked_at + 1));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(store, Kind::Promotion).await, 0);
        assert_eq!(audit_log(store).await.len(), 1);
        // Checked again at the current revision, it goes through.
        let now = store.revision().await.unwrap();
        let outcomes = outcomes(
            store
                .upsert_documents(&actor(), documents(), Some(now))
                .await
                .unwrap(),
        );
        assert_eq!(outcomes.len(), 4);
        assert_eq!(store.revision().await.unwrap(), now + 1);
    }

    pub async fn a_failure_writes_no_kind(b: &Backend) {
        let store = &*b.store;
        // A trigger fails the write of one promotion, after the segments' rows went out.
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
        let mut documents: Vec<(Kind, Draft)> = (0..700)
            .map(|i| (Kind::Segment, draft(&format!("s{i}"), json!({}))))
            .collect();
        documents.push((Kind::Promotion, draft("boom", json!({}))));
        let failed = store.upsert_documents(&actor(), documents, None).await;
        assert!(matches!(failed, Err(Error::Database(_))), "{failed:?}");
        assert_eq!(store.revision().await.unwrap(), 0);
        assert!(audit_log(store).await.is_empty());
        assert_eq!(count(store, Kind::Segment).await, 0);
        assert_eq!(count(store, Kind::Promotion).await, 0);
    }

    pub async fn a_repeated_id_is_compared_with_the_earlier_draft(b: &Backend) {
        let store = &*b.store;
        let documents = vec![
            (Kind::Segment, draft("s", json!({"v": 1}))),
            (Kind::Segment, draft("s", json!({"v": 1}))),
            (Kind::Segment, draft("s", json!({"v": 2}))),
            // The same id in another kind is another document.
            (Kind::Selection, draft("s", json!({"v": 1}))),
        ];
        let predicted = store.compare_documents(&documents).await.unwrap();
        let written = outcomes(
            store
                .upsert_documents(&actor(), documents, None)
                .await
                .unwrap(),
        );
        let expected = [
            Outcome::Created,
            Outcome::Unchanged,
            Outcome::Updated,
            Outcome::Created,
        ];
        assert_eq!(predicted, expected);
        assert_eq!(written, expected);
        let s = store.get(Kind::Segment, "s").await.unwrap().unwrap();
        assert_eq!((s.version, s.body), (2, json!({"v": 2})));
        let log = audit_log(store).await;
        assert_eq!(log.len(), 3);
        assert_eq!(log[1].before, Some(json!({"v": 1})));
        assert_eq!(log[1].after, Some(json!({"v": 2})));
    }

    /// What a caller needs to publish what it wrote without reading it back: the revision once
    /// written, and each document's stored creation time.
    pub async fn the_report_gives_the_revision_and_creation_times(b: &Backend) {
        let store = &*b.store;
        let before = remise_store::now_millis();
        let first = store
            .upsert_documents(&actor(), documents(), None)
            .await
            .unwrap();
        assert_eq!(first.revision, store.revision().await.unwrap());
        let p1 = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
        assert!(p1.created_at >= before);
        for (written, (kind, draft)) in first.documents.iter().zip(documents()) {
            let record = store.get(kind, &draft.id).await.unwrap().unwrap();
            assert_eq!(written.created_at, record.created_at, "{}", draft.id);
        }
        // Later writes report the stored creation time of what they keep, replace or bring
        // back, and their own time for what they create.
        store
            .delete(&actor(), Kind::Promotion, "p2", 1)
            .await
            .unwrap();
        let p2 = store.get(Kind::Promotion, "p2").await.unwrap().unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let mut changed = documents();
        changed[2].1.body = json!({"id": "p1", "v": 2});
        changed.push((Kind::Segment, draft("new", json!({}))));
        let second = store
            .upsert_documents(&actor(), changed, None)
            .await
            .unwrap();
        // The deletion was one revision, this write another.
        assert_eq!(second.revision, first.revision + 2);
        let created_at: Vec<i64> = second.documents.iter().map(|d| d.created_at).collect();
        assert_eq!(
            created_at[..4],
            [p1.created_at, p1.created_at, p1.created_at, p2.created_at]
        );
        let new = store.get(Kind::Segment, "new").await.unwrap().unwrap();
        assert_eq!(created_at[4], new.created_at);
        assert!(new.created_at > p1.created_at);
        // Nothing written: the revision stays.
        let third = store
            .upsert_documents(&actor(), documents(), None)
            .await
            .unwrap();
        assert_eq!(third.revision, second.revision + 1);
        let fourth = store
            .upsert_documents(&actor(), documents(), None)
            .await
            .unwrap();
        assert_eq!(fourth.revision, third.revision);
    }
}
