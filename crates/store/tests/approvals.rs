//! Change requests (approval), on both backends: one open or pending request per campaign, the
//! state machine (an illegal change refused and nothing changed), and the approval that writes
//! the proposed documents in its own transaction (versions, audit with the approver, the change
//! log), refused whole when a document moved since the request was made, and done once when two
//! instances approve at the same time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_store::{
    Act, Actor, AuditEntry, AuditQuery, ChangeLog, ChangeRequest, ChangeRequestQuery, Draft, Error,
    Kind, ProposedDocument, RequestState, Store,
};
use serde_json::{Value, json};

mod common;

use common::{Backend, T0};

common::on_every_backend!(
    one_open_or_pending_request_per_campaign,
    illegal_changes_of_state_are_refused_and_change_nothing,
    documents_are_put_into_an_open_request_and_removed,
    approval_writes_the_documents_once_and_audits_them,
    an_approval_of_deletions_only_moves_the_revision_once,
    a_stale_base_version_fails_the_approval_and_changes_nothing,
    concurrent_approvals_approve_once,
    requests_are_listed_newest_first_by_page,
);

fn marketer() -> Actor {
    Actor("user:marketer".to_owned())
}

fn approver() -> Actor {
    Actor("user:approver".to_owned())
}

/// `actor`'s user (`marketer` or `approver`, the part after `user:`), at `at`.
fn by(actor: &Actor, at: i64) -> Act<'_> {
    Act {
        actor,
        user: actor.0.trim_start_matches("user:"),
        at,
    }
}

fn draft(id: &str, body: Value, parent: Option<&str>) -> Draft {
    Draft {
        id: id.to_owned(),
        body,
        parent: parent.map(str::to_owned),
        status: None,
    }
}

fn proposed(
    kind: Kind,
    id: &str,
    body: Option<Value>,
    base_version: Option<i64>,
) -> ProposedDocument {
    let parent = (kind == Kind::Promotion).then(|| "c1".to_owned());
    ProposedDocument {
        kind,
        id: id.to_owned(),
        body,
        parent,
        status: None,
        base_version,
    }
}

async fn audit_of(store: &dyn Store, entity: &str) -> Vec<AuditEntry> {
    store
        .audit(&AuditQuery {
            entity: Some(entity.to_owned()),
            limit: 1_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

async fn whole_audit(store: &dyn Store) -> Vec<AuditEntry> {
    store
        .audit(&AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

/// A live campaign `c1` (version 1) with two promotions `p1`, `p2` (version 1 each).
async fn live_campaign(store: &dyn Store) {
    let a = common::actor();
    store
        .create(
            &a,
            Kind::Campaign,
            draft("c1", json!({"name": "Soldes"}), None),
        )
        .await
        .unwrap();
    for id in ["p1", "p2"] {
        store
            .create(
                &a,
                Kind::Promotion,
                draft(id, json!({"name": id, "percent": 10}), Some("c1")),
            )
            .await
            .unwrap();
    }
}

/// Request `id` for campaign `c1`, holding `documents`, submitted.
async fn pending_request(store: &dyn Store, id: &str, documents: &[ProposedDocument]) {
    let m = marketer();
    store
        .open_change_request(by(&m, T0), id, "c1")
        .await
        .unwrap();
    for document in documents {
        store
            .put_proposed_document(by(&m, T0 + 1), id, document)
            .await
            .unwrap();
    }
    store
        .submit_change_request(by(&m, T0 + 2), id)
        .await
        .unwrap();
}

fn is_wrong_state(error: &Error, action: &str, state: &str) -> bool {
    matches!(error, Error::WrongState { kind, action: a, state: s, .. }
        if kind == "change_request" && *a == action && *s == state)
}

/// The changes after `since` as (kind, id, body if live), sorted, and the revision.
async fn changes(store: &dyn Store, since: i64) -> (i64, Vec<(Kind, String, Option<Value>)>) {
    match store.changes_since(since, 1_000).await.unwrap() {
        ChangeLog::Changes {
            revision,
            documents,
        } => {
            let mut seen: Vec<_> = documents
                .into_iter()
                .map(|d| (d.kind, d.id, d.record.map(|r| r.body)))
                .collect();
            seen.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            (revision, seen)
        }
        ChangeLog::Reload => panic!("a reload was asked for"),
    }
}

mod scenarios {
    use super::*;

    pub async fn one_open_or_pending_request_per_campaign(b: &Backend) {
        let store = &*b.store;
        let m = marketer();
        let opened = store
            .open_change_request(by(&m, T0), "cr1", "c1")
            .await
            .unwrap();
        assert_eq!(opened.state, RequestState::Open);
        assert_eq!(opened.created_by, "marketer");
        assert_eq!(opened.created_at, T0);
        assert_eq!(
            store.get_change_request("cr1").await.unwrap(),
            Some(opened.clone())
        );

        // A second one for the campaign, open or once the first is pending, names the first.
        let err = store
            .open_change_request(by(&m, T0 + 1), "cr2", "c1")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { kind, id } if kind == "change_request" && id == "cr1"),
            "{err:?}"
        );
        store
            .submit_change_request(by(&m, T0 + 2), "cr1")
            .await
            .unwrap();
        let err = store
            .open_change_request(by(&m, T0 + 3), "cr2", "c1")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { id, .. } if id == "cr1"),
            "{err:?}"
        );
        // A taken id, for another campaign.
        let err = store
            .open_change_request(by(&m, T0 + 3), "cr1", "c2")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { id, .. } if id == "cr1"),
            "{err:?}"
        );
        // Another campaign has its own.
        store
            .open_change_request(by(&m, T0 + 4), "cr3", "c2")
            .await
            .unwrap();
        assert_eq!(
            store.get_change_request("cr2").await.unwrap(),
            None,
            "a refused request is not stored"
        );
        assert_eq!(
            store
                .current_change_request("c1")
                .await
                .unwrap()
                .map(|r| r.id),
            Some("cr1".to_owned())
        );

        // Once the first is decided, the campaign may have a new one.
        store
            .reject_change_request(by(&approver(), T0 + 5), "cr1", "Pas maintenant")
            .await
            .unwrap();
        assert_eq!(store.current_change_request("c1").await.unwrap(), None);
        store
            .open_change_request(by(&m, T0 + 6), "cr2", "c1")
            .await
            .unwrap();
        assert_eq!(
            store
                .current_change_request("c1")
                .await
                .unwrap()
                .map(|r| r.id),
            Some("cr2".to_owned())
        );
        let created: Vec<String> = audit_of(store, "change_request")
            .await
            .into_iter()
            .filter(|e| e.action == remise_store::Action::Create)
            .map(|e| e.entity_id)
            .collect();
        assert_eq!(created, ["cr2", "cr3", "cr1"]);
    }

    pub async fn illegal_changes_of_state_are_refused_and_change_nothing(b: &Backend) {
        let store = &*b.store;
        let (m, a) = (marketer(), approver());
        store
            .open_change_request(by(&m, T0), "cr1", "c1")
            .await
            .unwrap();
        let document = proposed(Kind::Campaign, "c1", Some(json!({"name": "Soldes"})), None);
        store
            .put_proposed_document(by(&m, T0 + 1), "cr1", &document)
            .await
            .unwrap();

        /// Every refused change leaves the request and the audit log as they were.
        async fn refused(
            store: &dyn Store,
            before: &ChangeRequest,
            audit: usize,
            error: Error,
            action: &str,
        ) {
            assert!(
                is_wrong_state(&error, action, before.state.as_str()),
                "{action}: {error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!(
                    "cannot {action} change request `{}`: it is {}",
                    before.id,
                    before.state.as_str()
                )
            );
            assert_eq!(
                &store.get_change_request(&before.id).await.unwrap().unwrap(),
                before
            );
            assert_eq!(whole_audit(store).await.len(), audit);
        }

        // Open: may not be approved nor rejected.
        let open = store.get_change_request("cr1").await.unwrap().unwrap();
        let audit = whole_audit(store).await.len();
        let err = store
            .approve_change_request(by(&a, T0 + 2), "cr1", None, None)
            .await
            .unwrap_err();
        refused(store, &open, audit, err, "approve").await;
        let err = store
            .reject_change_request(by(&a, T0 + 2), "cr1", "non")
            .await
            .unwrap_err();
        refused(store, &open, audit, err, "reject").await;

        // Pending: not submitted again, not edited.
        let pending = store
            .submit_change_request(by(&m, T0 + 3), "cr1")
            .await
            .unwrap();
        assert_eq!(pending.state, RequestState::Pending);
        assert_eq!(pending.submitted_by.as_deref(), Some("marketer"));
        assert_eq!(pending.submitted_at, Some(T0 + 3));
        assert_eq!(pending.documents, vec![document.clone()]);
        let audit = whole_audit(store).await.len();
        let err = store
            .submit_change_request(by(&m, T0 + 4), "cr1")
            .await
            .unwrap_err();
        refused(store, &pending, audit, err, "submit").await;
        let err = store
            .put_proposed_document(by(&m, T0 + 4), "cr1", &document)
            .await
            .unwrap_err();
        refused(store, &pending, audit, err, "change").await;
        let err = store
            .remove_proposed_document(by(&m, T0 + 4), "cr1", Kind::Campaign, "c1")
            .await
            .unwrap_err();
        refused(store, &pending, audit, err, "change").await;

        // Rejected: final.
        let rejected = store
            .reject_change_request(by(&a, T0 + 5), "cr1", "Les dates sont fausses")
            .await
            .unwrap();
        assert_eq!(rejected.state, RequestState::Rejected);
        assert_eq!(rejected.decided_by.as_deref(), Some("approver"));
        assert_eq!(rejected.decided_at, Some(T0 + 5));
        assert_eq!(rejected.comment.as_deref(), Some("Les dates sont fausses"));
        let audit = whole_audit(store).await.len();
        for action in ["approve", "reject", "withdraw", "submit"] {
            let act = by(&a, T0 + 6);
            let err = match action {
                "approve" => store
                    .approve_change_request(act, "cr1", None, None)
                    .await
                    .map(|_| ()),
                "reject" => store
                    .reject_change_request(act, "cr1", "encore")
                    .await
                    .map(|_| ()),
                "withdraw" => store.withdraw_change_request(act, "cr1").await.map(|_| ()),
                _ => store.submit_change_request(act, "cr1").await.map(|_| ()),
            }
            .unwrap_err();
            refused(store, &rejected, audit, err, action).await;
        }

        // Withdrawn, from open or pending; then final too.
        store
            .open_change_request(by(&m, T0 + 7), "cr2", "c1")
            .await
            .unwrap();
        let withdrawn = store
            .withdraw_change_request(by(&m, T0 + 8), "cr2")
            .await
            .unwrap();
        assert_eq!(withdrawn.state, RequestState::Withdrawn);
        assert_eq!(withdrawn.decided_by.as_deref(), Some("marketer"));
        let audit = whole_audit(store).await.len();
        let err = store
            .withdraw_change_request(by(&m, T0 + 9), "cr2")
            .await
            .unwrap_err();
        refused(store, &withdrawn, audit, err, "withdraw").await;
        store
            .open_change_request(by(&m, T0 + 10), "cr3", "c1")
            .await
            .unwrap();
        store
            .submit_change_request(by(&m, T0 + 11), "cr3")
            .await
            .unwrap();
        let withdrawn = store
            .withdraw_change_request(by(&m, T0 + 12), "cr3")
            .await
            .unwrap();
        assert_eq!(withdrawn.state, RequestState::Withdrawn);

        // Unknown.
        let err = store
            .submit_change_request(by(&m, T0), "nope")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, id } if kind == "change_request" && id == "nope"),
            "{err:?}"
        );

        // Each change of state has its line: before and after.
        let lines = audit_of(store, "change_request").await;
        let submitted = lines
            .iter()
            .find(|e| {
                e.entity_id == "cr1"
                    && e.after
                        .as_ref()
                        .is_some_and(|after| after["state"] == "pending")
            })
            .unwrap();
        assert_eq!(submitted.before.as_ref().unwrap()["state"], "open");
        assert_eq!(submitted.actor, "user:marketer");
        assert_eq!(submitted.at, T0 + 3);
    }

    pub async fn documents_are_put_into_an_open_request_and_removed(b: &Backend) {
        let store = &*b.store;
        live_campaign(store).await;
        let m = marketer();
        store
            .open_change_request(by(&m, T0), "cr1", "c1")
            .await
            .unwrap();
        let first = proposed(Kind::Promotion, "p1", Some(json!({"percent": 20})), Some(1));
        let again = proposed(Kind::Promotion, "p1", Some(json!({"percent": 25})), Some(1));
        let campaign = proposed(
            Kind::Campaign,
            "c1",
            Some(json!({"name": "Soldes d'été"})),
            Some(1),
        );
        let deletion = proposed(Kind::Promotion, "p2", None, Some(1));
        for document in [&first, &campaign, &deletion] {
            store
                .put_proposed_document(by(&m, T0 + 1), "cr1", document)
                .await
                .unwrap();
        }
        // The same kind and id again replaces it.
        let request = store
            .put_proposed_document(by(&m, T0 + 2), "cr1", &again)
            .await
            .unwrap();
        assert_eq!(
            request.documents,
            vec![campaign.clone(), again.clone(), deletion.clone()]
        );
        assert_eq!(request.updated_at, T0 + 2);

        let request = store
            .remove_proposed_document(by(&m, T0 + 3), "cr1", Kind::Promotion, "p2")
            .await
            .unwrap();
        assert_eq!(request.documents, vec![campaign.clone(), again.clone()]);
        assert_eq!(
            store.get_change_request("cr1").await.unwrap(),
            Some(request)
        );
        let err = store
            .remove_proposed_document(by(&m, T0 + 3), "cr1", Kind::Promotion, "p2")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { kind, id } if kind == "promotion" && id == "p2"),
            "{err:?}"
        );

        // Nothing reached the documents.
        let p1 = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
        assert_eq!(
            (p1.version, &p1.body),
            (1, &json!({"name": "p1", "percent": 10}))
        );
        assert!(
            store
                .get(Kind::Promotion, "p2")
                .await
                .unwrap()
                .unwrap()
                .deleted_at
                .is_none()
        );

        // Each edit is audited: the entry before and after.
        let lines = audit_of(store, "change_request").await;
        let replaced = lines.iter().find(|e| e.at == T0 + 2).unwrap();
        assert_eq!(replaced.before.as_ref().unwrap()["body"]["percent"], 20);
        assert_eq!(replaced.after.as_ref().unwrap()["body"]["percent"], 25);
        let removed = lines.iter().find(|e| e.at == T0 + 3).unwrap();
        assert_eq!(removed.before.as_ref().unwrap()["id"], "p2");
        assert_eq!(removed.after, None);
    }

    pub async fn approval_writes_the_documents_once_and_audits_them(b: &Backend) {
        let store = &*b.store;
        live_campaign(store).await;
        let before = store.revision().await.unwrap();
        let documents = [
            proposed(
                Kind::Campaign,
                "c1",
                Some(json!({"name": "Soldes d'été"})),
                Some(1),
            ),
            proposed(
                Kind::Promotion,
                "p1",
                Some(json!({"name": "p1", "percent": 20})),
                Some(1),
            ),
            proposed(Kind::Promotion, "p2", None, Some(1)),
            proposed(
                Kind::Promotion,
                "p3",
                Some(json!({"name": "p3", "percent": 5})),
                None,
            ),
        ];
        pending_request(store, "cr1", &documents).await;

        // Waiting: the approved documents are still the ones served.
        assert_eq!(store.revision().await.unwrap(), before);
        assert_eq!(store.get(Kind::Promotion, "p3").await.unwrap(), None);
        assert_eq!(
            store
                .get(Kind::Promotion, "p1")
                .await
                .unwrap()
                .unwrap()
                .body["percent"],
            10
        );

        let a = approver();
        let approval = store
            .approve_change_request(by(&a, T0 + 100), "cr1", Some("OK pour moi"), None)
            .await
            .unwrap();
        assert_eq!(approval.request.state, RequestState::Approved);
        assert_eq!(approval.request.decided_by.as_deref(), Some("approver"));
        assert_eq!(approval.request.decided_at, Some(T0 + 100));
        assert_eq!(approval.request.comment.as_deref(), Some("OK pour moi"));
        assert_eq!(approval.request.documents.len(), 4);
        assert_eq!(
            store.get_change_request("cr1").await.unwrap(),
            Some(approval.request.clone())
        );
        // One revision for the whole approval.
        assert_eq!(approval.revision, before + 1);
        assert_eq!(store.revision().await.unwrap(), before + 1);

        let c1 = store.get(Kind::Campaign, "c1").await.unwrap().unwrap();
        assert_eq!((c1.version, c1.updated_at), (2, T0 + 100));
        assert_eq!(c1.body, json!({"name": "Soldes d'été"}));
        let p1 = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
        assert_eq!((p1.version, p1.body["percent"].clone()), (2, json!(20)));
        assert_eq!(p1.parent.as_deref(), Some("c1"));
        let p2 = store.get(Kind::Promotion, "p2").await.unwrap().unwrap();
        assert_eq!(
            (p2.version, p2.deleted_at),
            (2, Some(T0 + 100)),
            "soft-deleted"
        );
        let p3 = store.get(Kind::Promotion, "p3").await.unwrap().unwrap();
        assert_eq!((p3.version, p3.created_at), (1, T0 + 100));

        // Another instance following the change log sees all four.
        let (revision, seen) = changes(&*b.another_instance().await, before).await;
        assert_eq!(revision, before + 1);
        assert_eq!(
            seen,
            vec![
                (
                    Kind::Campaign,
                    "c1".to_owned(),
                    Some(json!({"name": "Soldes d'été"}))
                ),
                (
                    Kind::Promotion,
                    "p1".to_owned(),
                    Some(json!({"name": "p1", "percent": 20}))
                ),
                (Kind::Promotion, "p2".to_owned(), None),
                (
                    Kind::Promotion,
                    "p3".to_owned(),
                    Some(json!({"name": "p3", "percent": 5}))
                ),
            ]
        );

        // Audited with the approver as actor, each document once.
        let log = whole_audit(store).await;
        let written: Vec<(&str, &str, remise_store::Action)> = log
            .iter()
            .filter(|e| e.actor == "user:approver" && e.entity != "change_request")
            .map(|e| (e.entity.as_str(), e.entity_id.as_str(), e.action))
            .collect();
        use remise_store::Action::{Create, Delete, Update};
        let mut written = written;
        written.sort_by_key(|w| (w.0, w.1));
        assert_eq!(
            written,
            vec![
                ("campaign", "c1", Update),
                ("promotion", "p1", Update),
                ("promotion", "p2", Delete),
                ("promotion", "p3", Create),
            ]
        );
        let decided = &audit_of(store, "change_request").await[0];
        assert_eq!(decided.actor, "user:approver");
        assert_eq!(decided.before.as_ref().unwrap()["state"], "pending");
        assert_eq!(decided.after.as_ref().unwrap()["state"], "approved");
        assert_eq!(decided.after.as_ref().unwrap()["comment"], "OK pour moi");
    }

    pub async fn an_approval_of_deletions_only_moves_the_revision_once(b: &Backend) {
        let store = &*b.store;
        live_campaign(store).await;
        let before = store.revision().await.unwrap();
        pending_request(
            store,
            "cr1",
            &[
                proposed(Kind::Promotion, "p1", None, Some(1)),
                proposed(Kind::Promotion, "p2", None, Some(1)),
                // Unchanged: neither written nor audited.
                proposed(
                    Kind::Campaign,
                    "c1",
                    Some(json!({"name": "Soldes"})),
                    Some(1),
                ),
            ],
        )
        .await;
        let approval = store
            .approve_change_request(by(&approver(), T0 + 100), "cr1", None, None)
            .await
            .unwrap();
        assert_eq!(approval.revision, before + 1);
        assert_eq!(
            store
                .get(Kind::Campaign, "c1")
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        let (_, seen) = changes(store, before).await;
        assert_eq!(
            seen,
            vec![
                (Kind::Promotion, "p1".to_owned(), None),
                (Kind::Promotion, "p2".to_owned(), None),
            ]
        );
    }

    pub async fn a_stale_base_version_fails_the_approval_and_changes_nothing(b: &Backend) {
        let store = &*b.store;
        live_campaign(store).await;
        pending_request(
            store,
            "cr1",
            &[
                proposed(
                    Kind::Campaign,
                    "c1",
                    Some(json!({"name": "Soldes d'été"})),
                    Some(1),
                ),
                proposed(
                    Kind::Promotion,
                    "p1",
                    Some(json!({"name": "p1", "percent": 20})),
                    Some(1),
                ),
                proposed(Kind::Promotion, "p9", Some(json!({"name": "p9"})), None),
            ],
        )
        .await;
        // Meanwhile, p1 changes (another path, or another request approved first).
        store
            .update(
                &common::actor(),
                Kind::Promotion,
                draft("p1", json!({"name": "p1", "percent": 15}), Some("c1")),
                1,
            )
            .await
            .unwrap();
        let revision = store.revision().await.unwrap();
        let audit = whole_audit(store).await.len();
        let pending = store.get_change_request("cr1").await.unwrap().unwrap();

        let a = approver();
        let err = store
            .approve_change_request(by(&a, T0 + 100), "cr1", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Stale { request, kind, id, base_version: Some(1), current_version: Some(2) }
                if request == "cr1" && kind == "promotion" && id == "p1"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "promotion `p1` changed since change request `cr1` was made from it (version 1 then, version 2 now): nothing was approved"
        );
        // Nothing changed: not even the campaign, checked before p1.
        assert_eq!(
            store.get_change_request("cr1").await.unwrap(),
            Some(pending.clone())
        );
        assert_eq!(store.revision().await.unwrap(), revision);
        assert_eq!(whole_audit(store).await.len(), audit);
        assert_eq!(
            store
                .get(Kind::Campaign, "c1")
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        assert_eq!(store.get(Kind::Promotion, "p9").await.unwrap(), None);
        assert_eq!(
            store
                .get(Kind::Promotion, "p1")
                .await
                .unwrap()
                .unwrap()
                .body["percent"],
            15
        );

        // A new document that someone created meanwhile is stale too.
        let m = marketer();
        store
            .withdraw_change_request(by(&m, T0 + 101), "cr1")
            .await
            .unwrap();
        pending_request(
            store,
            "cr2",
            &[proposed(
                Kind::Promotion,
                "p2",
                Some(json!({"name": "p2"})),
                None,
            )],
        )
        .await;
        let err = store
            .approve_change_request(by(&a, T0 + 102), "cr2", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Stale {
                    base_version: None,
                    current_version: Some(1),
                    ..
                }
            ),
            "{err:?}"
        );

        // A revision the caller checked against, that moved: refused, nothing changed.
        store
            .withdraw_change_request(by(&m, T0 + 103), "cr2")
            .await
            .unwrap();
        pending_request(
            store,
            "cr3",
            &[proposed(
                Kind::Promotion,
                "p2",
                Some(json!({"name": "p2"})),
                Some(1),
            )],
        )
        .await;
        let revision = store.revision().await.unwrap();
        let err = store
            .approve_change_request(by(&a, T0 + 104), "cr3", None, Some(revision - 1))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::RevisionMoved { expected, current } if *expected == revision - 1 && *current == revision),
            "{err:?}"
        );
        assert_eq!(
            store
                .get_change_request("cr3")
                .await
                .unwrap()
                .unwrap()
                .state,
            RequestState::Pending
        );
        let approval = store
            .approve_change_request(by(&a, T0 + 105), "cr3", None, Some(revision))
            .await
            .unwrap();
        assert_eq!(approval.revision, revision + 1);
    }

    pub async fn concurrent_approvals_approve_once(b: &Backend) {
        let store = &*b.store;
        live_campaign(store).await;
        let other = b.another_instance().await;
        // Several rounds, each a new request raising p1's percent by one.
        for round in 0..6_i64 {
            let id = format!("cr{round}");
            let version = 1 + round;
            let percent = 11 + round;
            pending_request(
                store,
                &id,
                &[proposed(
                    Kind::Promotion,
                    "p1",
                    Some(json!({"name": "p1", "percent": percent})),
                    Some(version),
                )],
            )
            .await;
            let before = store.revision().await.unwrap();
            let approve = |store: std::sync::Arc<dyn Store>, id: String, who: &'static str| {
                tokio::spawn(async move {
                    let actor = Actor(format!("user:{who}"));
                    store
                        .approve_change_request(by(&actor, T0 + 100), &id, None, None)
                        .await
                })
            };
            let first = approve(b.store.clone(), id.clone(), "alice");
            let second = approve(other.clone(), id.clone(), "bob");
            let outcomes = [first.await.unwrap(), second.await.unwrap()];
            let approved: Vec<_> = outcomes.iter().filter(|o| o.is_ok()).collect();
            assert_eq!(approved.len(), 1, "round {round}: {outcomes:?}");
            let refused = outcomes.iter().find_map(|o| o.as_ref().err()).unwrap();
            assert!(
                is_wrong_state(refused, "approve", "approved"),
                "{refused:?}"
            );

            // Written once: one version more, one revision more, one audit line.
            let p1 = store.get(Kind::Promotion, "p1").await.unwrap().unwrap();
            assert_eq!(
                (p1.version, p1.body["percent"].clone()),
                (version + 1, json!(percent))
            );
            assert_eq!(store.revision().await.unwrap(), before + 1);
            let decided_by = store
                .get_change_request(&id)
                .await
                .unwrap()
                .unwrap()
                .decided_by
                .unwrap();
            let lines: Vec<AuditEntry> = audit_of(store, "promotion")
                .await
                .into_iter()
                .filter(|e| e.entity_id == "p1" && e.actor == format!("user:{decided_by}"))
                .filter(|e| {
                    e.after
                        .as_ref()
                        .is_some_and(|after| after["percent"] == percent)
                })
                .collect();
            assert_eq!(lines.len(), 1, "round {round}");
        }
    }

    pub async fn requests_are_listed_newest_first_by_page(b: &Backend) {
        let store = &*b.store;
        let m = marketer();
        // Five campaigns' requests, one a millisecond; the even ones submitted.
        for n in 0..5_i64 {
            let id = format!("cr{n}");
            store
                .open_change_request(by(&m, T0 + n), &id, &format!("c{n}"))
                .await
                .unwrap();
            store
                .put_proposed_document(
                    by(&m, T0 + n),
                    &id,
                    &proposed(
                        Kind::Campaign,
                        &format!("c{n}"),
                        Some(json!({"n": n})),
                        None,
                    ),
                )
                .await
                .unwrap();
            if n % 2 == 0 {
                store
                    .submit_change_request(by(&m, T0 + 10), &id)
                    .await
                    .unwrap();
            }
        }
        let ids = |requests: Vec<ChangeRequest>| -> Vec<String> {
            requests.into_iter().map(|r| r.id).collect()
        };
        let first = store
            .list_change_requests(&ChangeRequestQuery {
                limit: 2,
                ..ChangeRequestQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(first[0].documents.len(), 1, "listed with their documents");
        assert_eq!(first[0].documents[0].body, Some(json!({"n": 4})));
        let last = first.last().unwrap();
        let cursor = (last.created_at, last.id.clone());
        assert_eq!(ids(first), ["cr4", "cr3"]);
        let next = store
            .list_change_requests(&ChangeRequestQuery {
                before: Some(cursor),
                limit: 10,
                ..ChangeRequestQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(next), ["cr2", "cr1", "cr0"]);
        let pending = store
            .list_change_requests(&ChangeRequestQuery {
                state: Some(RequestState::Pending),
                limit: 10,
                ..ChangeRequestQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(pending), ["cr4", "cr2", "cr0"]);
        let of_c1 = store
            .list_change_requests(&ChangeRequestQuery {
                campaign_id: Some("c1".to_owned()),
                limit: 10,
                ..ChangeRequestQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(of_c1), ["cr1"]);
    }
}
