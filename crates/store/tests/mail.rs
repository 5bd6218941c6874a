//! The behaviour of distributions, the e-mail outbox and usage figures ([`remise_store::Mail`])
//! on every backend. Each test runs on a fresh SQLite file, and on a fresh PostgreSQL database
//! when `REMISE_TEST_POSTGRES_URL` is set (cargo reports that variant as ignored otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use remise_store::{
    Action, AuditEntry, AuditQuery, Batch, CodeState, Coupon, CouponQuery, DayCount,
    DistributeRequest, Distribution, Error, MailState, OutboxMessage, PromotionLimits, Redemption,
    RedemptionQuery, RelayCounts, ReserveRequest, Store,
};
use serde_json::json;
use sqlx::{Connection, Executor};

mod common;

use common::{Backend, T0, TTL, actor};

common::on_every_backend!(
    distribute_codes,
    distribute_thousands_of_codes,
    not_enough_codes_changes_nothing,
    only_unused_codes_are_distributed,
    concurrent_distributions_that_fit,
    concurrent_distributions_that_do_not_fit,
    distributions_lock_their_batch_and_skip_busy_codes,
    claim_and_lease,
    concurrent_claims,
    sent_failed_and_retried,
    relay_counts,
    redemptions_per_day,
    list_redemptions_pages_and_filters,
    corrupt_rows_are_errors,
);

/// 2024-01-01T00:00:00Z.
const JAN_1: i64 = 1_704_067_200_000;
const HOUR: i64 = 3_600_000;

fn batch(id: &str) -> Batch {
    Batch {
        id: id.to_owned(),
        promotion: "promo".to_owned(),
        prefix: "B".to_owned(),
        length: 8,
        pattern: None,
        uses_per_code: 1,
        quota: 10,
        starts_at: None,
        ends_at: None,
        created_at: T0,
    }
}

fn coupon(code: &str) -> Coupon {
    Coupon {
        code: code.to_owned(),
        display: code.to_owned(),
        promotion: "promo".to_owned(),
        batch: None,
        max_uses: None,
        uses_per_customer: None,
        starts_at: None,
        ends_at: None,
        customers: Vec::new(),
        groups: Vec::new(),
        state: CodeState::Available,
        relay: None,
        created_at: T0,
    }
}

/// `n` codes `{prefix}0000`, `{prefix}0001`… shown as `{prefix}-0000`…
fn codes(prefix: &str, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("{prefix}{i:04}"), format!("{prefix}-{i:04}")))
        .collect()
}

/// A batch `id` with `n` codes named after it.
async fn batch_with_codes(store: &dyn Store, id: &str, n: usize) -> Vec<(String, String)> {
    store.create_batch(&actor(), &batch(id)).await.unwrap();
    let codes = codes(&id.to_uppercase(), n);
    assert_eq!(
        store.add_batch_codes(&actor(), id, &codes).await.unwrap(),
        n as u64
    );
    codes
}

fn request(id: &str, batch: &str, relay: &str, count: u32, now: i64) -> DistributeRequest {
    DistributeRequest {
        id: id.to_owned(),
        batch: batch.to_owned(),
        relay: relay.to_owned(),
        count,
        recipient: format!("{relay}@example.com"),
        language: "fr".to_owned(),
        now,
    }
}

/// A reservation of `code` at `now`, lasting `ttl`.
fn reservation(id: &str, code: &str, now: i64, ttl: i64) -> ReserveRequest {
    ReserveRequest {
        id: id.to_owned(),
        code: code.to_owned(),
        customer: None,
        groups: Vec::new(),
        order_id: format!("order-{id}"),
        idempotency_key: format!("key-{id}"),
        api_key: "key_shop".to_owned(),
        now,
        expires_at: now + ttl,
        promotion_limits: PromotionLimits::default(),
    }
}

async fn reserved(store: &dyn Store, request: &ReserveRequest) -> Redemption {
    match store.reserve(request).await.unwrap() {
        Ok(redemption) => redemption,
        Err(refusal) => panic!("{} refused: {refusal:?}", request.id),
    }
}

async fn confirmed(store: &dyn Store, id: &str, now: i64) -> Redemption {
    match store.confirm(id, now).await.unwrap() {
        Ok(redemption) => redemption,
        Err(refusal) => panic!("{id} not confirmed: {refusal:?}"),
    }
}

/// Every coupon of a batch, in code order.
async fn coupons_of(store: &dyn Store, batch: &str) -> Vec<Coupon> {
    store
        .list_coupons(&CouponQuery {
            batch: Some(batch.to_owned()),
            limit: 1_000_000,
            ..CouponQuery::default()
        })
        .await
        .unwrap()
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

async fn outbox(store: &dyn Store, state: Option<MailState>) -> Vec<OutboxMessage> {
    store.list_outbox(state, 1_000).await.unwrap()
}

async fn message(store: &dyn Store, id: &str) -> OutboxMessage {
    outbox(store, None)
        .await
        .into_iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no message {id}"))
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, Error>, kind: &str, id: &str) -> bool {
    matches!(result, Err(Error::NotFound { kind: k, id: i }) if k == kind && i == id)
}

fn ids<'a>(items: impl IntoIterator<Item = &'a Distribution>) -> Vec<&'a str> {
    items.into_iter().map(|d| d.id.as_str()).collect()
}

/// Runs the distributions at once, alternating between the stores.
async fn race(
    stores: &[Arc<dyn Store>],
    requests: Vec<DistributeRequest>,
) -> Vec<Result<Distribution, Error>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let handles: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(n, request)| {
            let store = stores[n % stores.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store.distribute(&actor(), &request).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for handle in handles {
        answers.push(handle.await.unwrap());
    }
    answers
}

mod scenarios {
    use super::*;

    pub async fn distribute_codes(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "b1", 10).await;
        let revision = s.revision().await.unwrap();

        let d1 = s
            .distribute(&actor(), &request("d1", "b1", "alice", 4, T0))
            .await
            .unwrap();
        assert_eq!(
            d1,
            Distribution {
                id: "d1".to_owned(),
                batch: "b1".to_owned(),
                relay: "alice".to_owned(),
                count: 4,
                created_at: T0,
            }
        );
        assert_eq!(s.get_distribution("d1").await.unwrap(), Some(d1.clone()));
        assert_eq!(s.get_distribution("nope").await.unwrap(), None);

        // The first four codes, in code order, are the relay's now.
        let coupons = coupons_of(s, "b1").await;
        for (n, coupon) in coupons.iter().enumerate() {
            if n < 4 {
                assert_eq!(coupon.state, CodeState::Distributed, "{}", coupon.code);
                assert_eq!(coupon.relay.as_deref(), Some("alice"));
            } else {
                assert_eq!(coupon.state, CodeState::Available, "{}", coupon.code);
                assert_eq!(coupon.relay, None);
            }
        }
        let shown: Vec<String> = codes[..4].iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(s.distribution_codes("d1").await.unwrap(), shown);
        assert!(is_not_found(
            &s.distribution_codes("nope").await,
            "distribution",
            "nope"
        ));

        // Its mail is queued, due now.
        assert_eq!(
            outbox(s, None).await,
            vec![OutboxMessage {
                id: "d1".to_owned(),
                distribution: Some("d1".to_owned()),
                text: None,
                recipient: "alice@example.com".to_owned(),
                language: "fr".to_owned(),
                state: MailState::Pending,
                attempts: 0,
                next_attempt_at: T0,
                lease_until: None,
                last_error: None,
                created_at: T0,
                sent_at: None,
            }]
        );

        // One audit entry; the documents' revision does not move.
        let entry = &audit_log(s).await[0];
        assert_eq!(
            (
                entry.action,
                entry.entity.as_str(),
                entry.entity_id.as_str(),
                entry.actor.as_str(),
                entry.at
            ),
            (Action::Create, "distribution", "d1", "tester", T0)
        );
        assert_eq!(entry.before, None);
        assert_eq!(
            entry.after,
            Some(json!({"batch": "b1", "relay": "alice", "count": 4}))
        );
        assert_eq!(s.revision().await.unwrap(), revision);

        // The next distribution takes the next codes.
        s.distribute(&actor(), &request("d2", "b1", "bob", 3, T0 + 1))
            .await
            .unwrap();
        let shown: Vec<String> = codes[4..7].iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(s.distribution_codes("d2").await.unwrap(), shown);
        let counts = s.batch_counts("b1", T0).await.unwrap();
        assert_eq!((counts.available, counts.distributed), (3, 7));

        // Another batch, for the list filters.
        batch_with_codes(s, "b2", 5).await;
        s.distribute(&actor(), &request("d3", "b2", "alice", 1, T0 + 1))
            .await
            .unwrap();
        // Newest first; ties by id, descending.
        assert_eq!(
            ids(&s.list_distributions(None, None).await.unwrap()),
            ["d3", "d2", "d1"]
        );
        assert_eq!(
            ids(&s.list_distributions(Some("b1"), None).await.unwrap()),
            ["d2", "d1"]
        );
        assert_eq!(
            ids(&s.list_distributions(None, Some("alice")).await.unwrap()),
            ["d3", "d1"]
        );
        assert_eq!(
            ids(&s
                .list_distributions(Some("b1"), Some("alice"))
                .await
                .unwrap()),
            ["d1"]
        );
        assert!(
            s.list_distributions(Some("nope"), None)
                .await
                .unwrap()
                .is_empty()
        );

        // An unknown batch; a taken id (nothing changes).
        assert!(is_not_found(
            &s.distribute(&actor(), &request("d4", "nope", "alice", 1, T0))
                .await,
            "batch",
            "nope"
        ));
        let taken = s
            .distribute(&actor(), &request("d1", "b1", "carol", 1, T0))
            .await;
        assert!(
            matches!(&taken, Err(Error::AlreadyExists { kind, id }) if kind == "distribution" && id == "d1"),
            "{taken:?}"
        );
        assert_eq!(s.get_distribution("d1").await.unwrap(), Some(d1));
        assert_eq!(s.distribution_codes("d1").await.unwrap().len(), 4);
        assert_eq!(outbox(s, None).await.len(), 3);
        let counts = s.batch_counts("b1", T0).await.unwrap();
        assert_eq!((counts.available, counts.distributed), (3, 7));
    }

    /// Thousands of codes in one distribution: a few statements, not one per code.
    pub async fn distribute_thousands_of_codes(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "big", 6_000).await;
        let start = Instant::now();
        s.distribute(&actor(), &request("d1", "big", "alice", 5_000, T0))
            .await
            .unwrap();
        let elapsed = start.elapsed();
        eprintln!("{}: 5,000 codes distributed in {elapsed:?}", b.name);
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        let shown = s.distribution_codes("d1").await.unwrap();
        assert_eq!(shown.len(), 5_000);
        assert_eq!(shown[0], codes[0].1);
        assert_eq!(shown[4_999], codes[4_999].1);
        assert_eq!(
            s.relay_counts("alice", T0).await.unwrap().distributed,
            5_000
        );
        let counts = s.batch_counts("big", T0).await.unwrap();
        assert_eq!((counts.available, counts.distributed), (1_000, 5_000));
    }

    pub async fn not_enough_codes_changes_nothing(b: &Backend) {
        let s = &*b.store;
        batch_with_codes(s, "b1", 5).await;
        let before = coupons_of(s, "b1").await;
        let audit = audit_log(s).await.len();

        let answer = s
            .distribute(&actor(), &request("d1", "b1", "alice", 6, T0))
            .await;
        assert!(
            matches!(
                &answer,
                Err(Error::NotEnoughCodes { batch, requested: 6, available: 5 }) if batch == "b1"
            ),
            "{answer:?}"
        );
        assert_eq!(coupons_of(s, "b1").await, before);
        assert_eq!(s.get_distribution("d1").await.unwrap(), None);
        assert!(s.list_distributions(None, None).await.unwrap().is_empty());
        assert!(outbox(s, None).await.is_empty());
        assert_eq!(audit_log(s).await.len(), audit);

        // The id was not used up: the same distribution, smaller, goes through.
        s.distribute(&actor(), &request("d1", "b1", "alice", 5, T0))
            .await
            .unwrap();
        let answer = s
            .distribute(&actor(), &request("d2", "b1", "alice", 1, T0))
            .await;
        assert!(
            matches!(
                &answer,
                Err(Error::NotEnoughCodes {
                    requested: 1,
                    available: 0,
                    ..
                })
            ),
            "{answer:?}"
        );
    }

    /// Codes handed out, switched off, redeemed (even once, whatever became of it), or shared
    /// ones never go into a distribution.
    pub async fn only_unused_codes_are_distributed(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "b1", 12).await;
        let code = |n: usize| codes[n].0.as_str();
        // 0: distributed by hand; 1: available but given a relay; 2: disabled.
        s.set_coupon_state(&actor(), code(0), CodeState::Distributed, Some("x"))
            .await
            .unwrap();
        s.set_coupon_state(&actor(), code(1), CodeState::Available, Some("x"))
            .await
            .unwrap();
        s.set_coupon_state(&actor(), code(2), CodeState::Disabled, None)
            .await
            .unwrap();
        // 3: reserved; 4: confirmed; 5: cancelled; 6: expired.
        reserved(s, &reservation("r3", code(3), T0, TTL)).await;
        reserved(s, &reservation("r4", code(4), T0, TTL)).await;
        confirmed(s, "r4", T0 + 1).await;
        reserved(s, &reservation("r5", code(5), T0, TTL)).await;
        s.cancel("r5", T0 + 1).await.unwrap().unwrap();
        reserved(s, &reservation("r6", code(6), T0, TTL)).await;
        s.expire_reservations(T0 + TTL).await.unwrap();
        // 7: distributed before, then taken back by hand: its distribution's codes stay as
        // they were mailed, so it is not handed out again.
        s.distribute(&actor(), &request("d0", "b1", "y", 1, T0))
            .await
            .unwrap();
        assert_eq!(
            s.distribution_codes("d0").await.unwrap(),
            [codes[7].1.clone()]
        );
        s.set_coupon_state(&actor(), code(7), CodeState::Available, None)
            .await
            .unwrap();
        // A shared code of the same promotion, not of the batch.
        s.create_coupon(&actor(), &coupon("SHARED")).await.unwrap();

        let answer = s
            .distribute(&actor(), &request("d1", "b1", "alice", 5, T0 + TTL))
            .await;
        assert!(
            matches!(
                &answer,
                Err(Error::NotEnoughCodes {
                    requested: 5,
                    available: 4,
                    ..
                })
            ),
            "{answer:?}"
        );
        s.distribute(&actor(), &request("d1", "b1", "alice", 4, T0 + TTL))
            .await
            .unwrap();
        let shown: Vec<String> = codes[8..].iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(s.distribution_codes("d1").await.unwrap(), shown);
        assert_eq!(
            s.distribution_codes("d0").await.unwrap(),
            [codes[7].1.clone()]
        );
        // The others are as they were.
        let coupons = coupons_of(s, "b1").await;
        let states: Vec<(CodeState, Option<&str>)> = coupons[..8]
            .iter()
            .map(|c| (c.state, c.relay.as_deref()))
            .collect();
        assert_eq!(
            states,
            [
                (CodeState::Distributed, Some("x")),
                (CodeState::Available, Some("x")),
                (CodeState::Disabled, None),
                (CodeState::Available, None),
                (CodeState::Available, None),
                (CodeState::Available, None),
                (CodeState::Available, None),
                (CodeState::Available, None),
            ]
        );
        assert_eq!(
            s.get_coupon("SHARED").await.unwrap().unwrap().state,
            CodeState::Available
        );
    }

    pub async fn concurrent_distributions_that_fit(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        for round in 0..3 {
            let batch = format!("b{round}");
            batch_with_codes(&*b.store, &batch, 100).await;
            let requests = vec![
                request(&format!("{batch}-a"), &batch, "alice", 40, T0),
                request(&format!("{batch}-b"), &batch, "bob", 40, T0),
            ];
            for answer in race(&stores, requests).await {
                answer.unwrap();
            }
            let a = b
                .store
                .distribution_codes(&format!("{batch}-a"))
                .await
                .unwrap();
            let bb = b
                .store
                .distribution_codes(&format!("{batch}-b"))
                .await
                .unwrap();
            assert_eq!((a.len(), bb.len()), (40, 40));
            let all: BTreeSet<&String> = a.iter().chain(&bb).collect();
            assert_eq!(all.len(), 80, "no code in both distributions");
            let coupons = coupons_of(&*b.store, &batch).await;
            let relays = |relay: &str| {
                coupons
                    .iter()
                    .filter(|c| c.relay.as_deref() == Some(relay))
                    .count()
            };
            assert_eq!((relays("alice"), relays("bob")), (40, 40));
            assert_eq!(
                coupons
                    .iter()
                    .filter(|c| c.state == CodeState::Distributed)
                    .count(),
                80
            );
            assert_eq!(outbox_len(&*b.store).await, 2 * (round + 1));
        }
    }

    pub async fn concurrent_distributions_that_do_not_fit(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        for round in 0..3 {
            let batch = format!("b{round}");
            batch_with_codes(&*b.store, &batch, 100).await;
            let requests = vec![
                request(&format!("{batch}-a"), &batch, "alice", 60, T0),
                request(&format!("{batch}-b"), &batch, "bob", 60, T0),
            ];
            let answers = race(&stores, requests).await;
            let won: Vec<&Distribution> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
            assert_eq!(won.len(), 1, "{answers:?}");
            let lost: Vec<&Error> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
            assert!(
                matches!(
                    lost[..],
                    [Error::NotEnoughCodes {
                        requested: 60,
                        available: 40,
                        ..
                    }]
                ),
                "{lost:?}"
            );
            let winner = won[0];
            let shown = b.store.distribution_codes(&winner.id).await.unwrap();
            assert_eq!(shown.len(), 60);
            let coupons = coupons_of(&*b.store, &batch).await;
            let distributed: Vec<&Coupon> = coupons
                .iter()
                .filter(|c| c.state == CodeState::Distributed)
                .collect();
            assert_eq!(distributed.len(), 60);
            assert!(
                distributed
                    .iter()
                    .all(|c| c.relay.as_deref() == Some(winner.relay.as_str()))
            );
            // The loser left nothing behind.
            let loser = if winner.id.ends_with("-a") { "b" } else { "a" };
            let loser = format!("{batch}-{loser}");
            assert_eq!(b.store.get_distribution(&loser).await.unwrap(), None);
            assert_eq!(outbox_len(&*b.store).await, round + 1);
        }
    }

    /// PostgreSQL: a distribution waits for another one of the same batch (here a transaction
    /// holding the batch's row and half its codes, as a distribution does), then takes what that
    /// one left; it does not wait for a code another write holds (a reservation), it passes over
    /// it. On SQLite every write shares the one write lock by design.
    pub async fn distributions_lock_their_batch_and_skip_busy_codes(b: &Backend) {
        if !b.is_postgres() {
            return;
        }
        let s = b.store.clone();
        let codes = batch_with_codes(&*s, "b1", 100).await;
        let quick = Duration::from_secs(5);

        let mut other = sqlx::PgConnection::connect(&b.url).await.unwrap();
        other.execute("BEGIN").await.unwrap();
        other
            .execute("SELECT id FROM batches WHERE id = 'b1' FOR UPDATE")
            .await
            .unwrap();
        let odd: Vec<String> = codes
            .iter()
            .skip(1)
            .step_by(2)
            .map(|(code, _)| format!("'{code}'"))
            .collect();
        other
            .execute(
                format!(
                    "SELECT code FROM coupons WHERE code IN ({}) FOR UPDATE",
                    odd.join(", ")
                )
                .as_str(),
            )
            .await
            .unwrap();
        let waiting = tokio::spawn({
            let s = s.clone();
            async move {
                s.distribute(&actor(), &request("d1", "b1", "alice", 60, T0))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "waits for the batch's lock");
        other.execute("ROLLBACK").await.unwrap();
        tokio::time::timeout(quick, waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let shown: Vec<String> = codes[..60].iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(s.distribution_codes("d1").await.unwrap(), shown);

        // A code held by another write is passed over, not waited for.
        let held = &codes[60].0;
        other.execute("BEGIN").await.unwrap();
        other
            .execute(format!("SELECT code FROM coupons WHERE code = '{held}' FOR UPDATE").as_str())
            .await
            .unwrap();
        tokio::time::timeout(
            quick,
            s.distribute(&actor(), &request("d2", "b1", "bob", 5, T0)),
        )
        .await
        .expect("does not wait for a busy code")
        .unwrap();
        let shown: Vec<String> = codes[61..66].iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(s.distribution_codes("d2").await.unwrap(), shown);
        // The busy code is not counted as available meanwhile.
        let answer = tokio::time::timeout(
            quick,
            s.distribute(&actor(), &request("d3", "b1", "bob", 35, T0)),
        )
        .await
        .expect("does not wait for a busy code");
        assert!(
            matches!(
                answer,
                Err(Error::NotEnoughCodes {
                    requested: 35,
                    available: 34,
                    ..
                })
            ),
            "{answer:?}"
        );
        other.execute("ROLLBACK").await.unwrap();
        s.distribute(&actor(), &request("d3", "b1", "bob", 35, T0))
            .await
            .unwrap();
        assert_eq!(
            s.distribution_codes("d3").await.unwrap()[0],
            codes[60].1.clone()
        );
        other.close().await.unwrap();
    }

    pub async fn claim_and_lease(b: &Backend) {
        let s = &*b.store;
        batch_with_codes(s, "b1", 10).await;
        for (n, id) in ["d1", "d2", "d3"].into_iter().enumerate() {
            s.distribute(&actor(), &request(id, "b1", "alice", 1, T0 + n as i64))
                .await
                .unwrap();
        }
        // Not due before it is created.
        s.distribute(&actor(), &request("later", "b1", "alice", 1, T0 + 1_000))
            .await
            .unwrap();

        // Nothing is due yet.
        assert_eq!(s.claim_mail(T0 - 1, T0 + 100).await.unwrap(), None);

        // Oldest first; each claimed message is leased and its attempt counted.
        let now = T0 + 10;
        let lease = T0 + 100;
        let first = s.claim_mail(now, lease).await.unwrap().unwrap();
        assert_eq!(
            (first.id.as_str(), first.attempts, first.lease_until),
            ("d1", 1, Some(lease))
        );
        assert_eq!(first.state, MailState::Pending);
        assert_eq!(message(s, "d1").await, first);
        let second = s.claim_mail(now, lease).await.unwrap().unwrap();
        assert_eq!(second.id, "d2");
        let third = s.claim_mail(now + 50, lease + 50).await.unwrap().unwrap();
        assert_eq!(third.id, "d3");
        // All leased (and `later` not due): nothing until a lease runs out.
        assert_eq!(s.claim_mail(now, lease).await.unwrap(), None);
        assert_eq!(s.claim_mail(lease - 1, lease + 100).await.unwrap(), None);

        // At the end of the lease the message can be taken again (another attempt).
        let again = s.claim_mail(lease, lease + 100).await.unwrap().unwrap();
        assert_eq!(
            (again.id.as_str(), again.attempts, again.lease_until),
            ("d1", 2, Some(lease + 100))
        );
        let again = s.claim_mail(lease, lease + 100).await.unwrap().unwrap();
        assert_eq!((again.id.as_str(), again.attempts), ("d2", 2));
        // d3's lease runs 50 ms longer.
        assert_eq!(s.claim_mail(lease, lease + 100).await.unwrap(), None);
        let again = s
            .claim_mail(lease + 50, lease + 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id.as_str(), again.attempts), ("d3", 2));

        // `later` once due (the others sent by then).
        for id in ["d1", "d2", "d3"] {
            s.mail_sent(id, lease + 60).await.unwrap();
        }
        let later = s.claim_mail(T0 + 1_000, T0 + 2_000).await.unwrap().unwrap();
        assert_eq!((later.id.as_str(), later.attempts), ("later", 1));
    }

    /// Claimers of two instances at once, each taking messages until none is left: each
    /// message is taken exactly once.
    pub async fn concurrent_claims(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        batch_with_codes(&*b.store, "b1", 40).await;
        for n in 0..20 {
            b.store
                .distribute(
                    &actor(),
                    &request(&format!("d{n:02}"), "b1", "alice", 1, T0 + n),
                )
                .await
                .unwrap();
        }
        let claimers = 8;
        let barrier = Arc::new(tokio::sync::Barrier::new(claimers));
        let handles: Vec<_> = (0..claimers)
            .map(|n| {
                let store = stores[n % stores.len()].clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut claimed = Vec::new();
                    while let Some(message) = store.claim_mail(T0 + 100, T0 + 10_000).await.unwrap()
                    {
                        claimed.push(message);
                    }
                    claimed
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for handle in handles {
            claimed.extend(handle.await.unwrap());
        }
        assert_eq!(claimed.len(), 20, "every message claimed once");
        let distinct: BTreeSet<&str> = claimed.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(distinct.len(), 20);
        assert!(claimed.iter().all(|m| m.attempts == 1));
        assert_eq!(
            b.store.claim_mail(T0 + 100, T0 + 10_000).await.unwrap(),
            None
        );

        // One shot each, fewer messages than claimers: distinct messages or None.
        for n in 0..5 {
            b.store
                .distribute(
                    &actor(),
                    &request(&format!("e{n}"), "b1", "bob", 1, T0 + 200 + n),
                )
                .await
                .unwrap();
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(claimers));
        let handles: Vec<_> = (0..claimers)
            .map(|n| {
                let store = stores[n % stores.len()].clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.claim_mail(T0 + 300, T0 + 10_000).await.unwrap()
                })
            })
            .collect();
        let mut answers = Vec::new();
        for handle in handles {
            answers.push(handle.await.unwrap());
        }
        let got: BTreeSet<String> = answers.iter().flatten().map(|m| m.id.clone()).collect();
        assert_eq!(answers.iter().flatten().count(), 5);
        assert_eq!(
            got,
            (0..5).map(|n| format!("e{n}")).collect::<BTreeSet<_>>()
        );
    }

    pub async fn sent_failed_and_retried(b: &Backend) {
        let s = &*b.store;
        batch_with_codes(s, "b1", 10).await;
        for (n, id) in ["ok", "flaky", "dead"].into_iter().enumerate() {
            s.distribute(&actor(), &request(id, "b1", "alice", 1, T0 + n as i64))
                .await
                .unwrap();
        }
        let lease = T0 + 60_000;

        // Sent.
        let ok = s.claim_mail(T0 + 10, lease).await.unwrap().unwrap();
        assert_eq!(ok.id, "ok");
        s.mail_sent("ok", T0 + 20).await.unwrap();
        let ok = message(s, "ok").await;
        assert_eq!(
            (ok.state, ok.sent_at, ok.lease_until, ok.attempts),
            (MailState::Sent, Some(T0 + 20), None, 1)
        );

        // Failed, retried later: pending, not due before `retry_at`, lease cleared.
        let flaky = s.claim_mail(T0 + 10, lease).await.unwrap().unwrap();
        assert_eq!(flaky.id, "flaky");
        s.mail_failed("flaky", "421 try later", Some(T0 + 5_000))
            .await
            .unwrap();
        let flaky = message(s, "flaky").await;
        assert_eq!(
            (
                flaky.state,
                flaky.next_attempt_at,
                flaky.lease_until,
                flaky.last_error.as_deref(),
                flaky.attempts
            ),
            (
                MailState::Pending,
                T0 + 5_000,
                None,
                Some("421 try later"),
                1
            )
        );

        // Failed for good.
        let dead = s.claim_mail(T0 + 10, lease).await.unwrap().unwrap();
        assert_eq!(dead.id, "dead");
        s.mail_failed("dead", "550 no such user", None)
            .await
            .unwrap();
        let dead = message(s, "dead").await;
        assert_eq!(
            (
                dead.state,
                dead.lease_until,
                dead.last_error.as_deref(),
                dead.sent_at
            ),
            (MailState::Failed, None, Some("550 no such user"), None)
        );

        // Only the flaky one comes back, at its time.
        assert_eq!(s.claim_mail(T0 + 4_999, lease).await.unwrap(), None);
        let flaky = s.claim_mail(T0 + 5_000, lease).await.unwrap().unwrap();
        assert_eq!((flaky.id.as_str(), flaky.attempts), ("flaky", 2));
        s.mail_sent("flaky", T0 + 5_001).await.unwrap();
        assert_eq!(s.claim_mail(lease * 2, lease * 3).await.unwrap(), None);

        // A late failure report does not undo a sent message.
        s.mail_failed("flaky", "late", Some(T0 + 9_000))
            .await
            .unwrap();
        s.mail_failed("ok", "late", None).await.unwrap();
        assert_eq!(message(s, "ok").await.state, MailState::Sent);
        assert_eq!(message(s, "flaky").await.state, MailState::Sent);

        // Retried by hand: due now, claimed again.
        let retried = s.retry_mail("dead", T0 + 10_000).await.unwrap();
        assert_eq!(
            (
                retried.state,
                retried.next_attempt_at,
                retried.lease_until,
                retried.attempts
            ),
            (MailState::Pending, T0 + 10_000, None, 0),
            "a fresh round of attempts"
        );
        assert_eq!(message(s, "dead").await, retried);
        assert_eq!(s.claim_mail(T0 + 9_999, lease).await.unwrap(), None);
        let dead = s
            .claim_mail(T0 + 10_000, T0 + 70_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((dead.id.as_str(), dead.attempts), ("dead", 1));
        // A leased pending message retried: its lease is cleared, due now.
        let retried = s.retry_mail("dead", T0 + 10_001).await.unwrap();
        assert_eq!(
            (retried.state, retried.lease_until, retried.next_attempt_at),
            (MailState::Pending, None, T0 + 10_001)
        );
        // A sent message is left as it is.
        let sent = s.retry_mail("ok", T0 + 10_000).await.unwrap();
        assert_eq!(sent, message(s, "ok").await);
        assert_eq!(sent.state, MailState::Sent);

        // Lists: newest first, by state.
        let all: Vec<String> = outbox(s, None).await.into_iter().map(|m| m.id).collect();
        assert_eq!(all, ["dead", "flaky", "ok"]);
        let sent: Vec<String> = outbox(s, Some(MailState::Sent))
            .await
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(sent, ["flaky", "ok"]);
        assert_eq!(s.list_outbox(None, 1).await.unwrap().len(), 1);
        assert!(outbox(s, Some(MailState::Failed)).await.is_empty());

        // Unknown messages.
        assert!(is_not_found(&s.mail_sent("nope", T0).await, "mail", "nope"));
        assert!(is_not_found(
            &s.mail_failed("nope", "x", None).await,
            "mail",
            "nope"
        ));
        assert!(is_not_found(
            &s.mail_failed("nope", "x", Some(T0)).await,
            "mail",
            "nope"
        ));
        assert!(is_not_found(
            &s.retry_mail("nope", T0).await,
            "mail",
            "nope"
        ));
    }

    pub async fn relay_counts(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "b1", 10).await;
        s.distribute(&actor(), &request("d1", "b1", "alice", 6, T0))
            .await
            .unwrap();
        s.distribute(&actor(), &request("d2", "b1", "bob", 2, T0))
            .await
            .unwrap();
        let code = |n: usize| codes[n].0.as_str();
        // alice (codes 0 to 5): 0 reserved, 1 confirmed, 2 reserved but expired at T0, 3
        // cancelled, 4 and 5 unused.
        reserved(s, &reservation("r0", code(0), T0, TTL)).await;
        reserved(s, &reservation("r1", code(1), T0, TTL)).await;
        confirmed(s, "r1", T0 + 1).await;
        reserved(s, &reservation("r2", code(2), T0 - TTL, TTL)).await;
        reserved(s, &reservation("r3", code(3), T0, TTL)).await;
        s.cancel("r3", T0 + 1).await.unwrap().unwrap();
        // bob: 6 confirmed.
        reserved(s, &reservation("r6", code(6), T0, TTL)).await;
        confirmed(s, "r6", T0 + 1).await;

        assert_eq!(
            s.relay_counts("alice", T0).await.unwrap(),
            RelayCounts {
                distributed: 6,
                reserved: 1,
                redeemed: 1,
                expired: 0,
            }
        );
        // Once r0 expires it no longer counts.
        assert_eq!(
            s.relay_counts("alice", T0 + TTL).await.unwrap(),
            RelayCounts {
                distributed: 6,
                reserved: 0,
                redeemed: 1,
                expired: 0,
            }
        );
        assert_eq!(
            s.relay_counts("bob", T0).await.unwrap(),
            RelayCounts {
                distributed: 2,
                reserved: 0,
                redeemed: 1,
                expired: 0,
            }
        );
        assert_eq!(
            s.relay_counts("nobody", T0).await.unwrap(),
            RelayCounts::default()
        );
        // A code given to a relay by hand counts as the relay's.
        s.set_coupon_state(&actor(), code(9), CodeState::Distributed, Some("bob"))
            .await
            .unwrap();
        assert_eq!(s.relay_counts("bob", T0).await.unwrap().distributed, 3);
    }

    pub async fn redemptions_per_day(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "b1", 10).await;
        batch_with_codes(s, "b2", 10).await;
        s.distribute(&actor(), &request("d1", "b1", "alice", 5, T0))
            .await
            .unwrap();
        s.create_coupon(&actor(), &coupon("SHARED")).await.unwrap();
        let code = |n: usize| codes[n].0.as_str();
        let day = 24 * HOUR;

        // 2024-01-01: a reserved at 01:00 and confirmed at 02:00; b reserved at 23:00 and
        // confirmed the next day at 01:00; c (not alice's) reserved at 12:00, never confirmed.
        // 2024-01-02: d reserved at 05:00 (alice), cancelled.
        // 2024-01-04: e confirmed the same day.
        reserved(s, &reservation("a", code(0), JAN_1 + HOUR, day)).await;
        confirmed(s, "a", JAN_1 + 2 * HOUR).await;
        reserved(s, &reservation("b", code(1), JAN_1 + 23 * HOUR, day)).await;
        confirmed(s, "b", JAN_1 + day + HOUR).await;
        reserved(s, &reservation("c", code(7), JAN_1 + 12 * HOUR, TTL)).await;
        reserved(s, &reservation("d", code(2), JAN_1 + day + 5 * HOUR, TTL)).await;
        s.cancel("d", JAN_1 + day + 6 * HOUR)
            .await
            .unwrap()
            .unwrap();
        reserved(s, &reservation("e", code(3), JAN_1 + 3 * day, TTL)).await;
        confirmed(s, "e", JAN_1 + 3 * day + 1).await;
        // Not of the batch: the shared code, and another batch's.
        reserved(s, &reservation("f", "SHARED", JAN_1 + 2 * day, TTL)).await;
        reserved(s, &reservation("g", "B20000", JAN_1, TTL)).await;

        let d = |day: &str, reserved: u64, confirmed: u64| DayCount {
            day: day.to_owned(),
            reserved,
            confirmed,
        };
        assert_eq!(
            s.redemptions_per_day(Some("b1"), None).await.unwrap(),
            [
                d("2024-01-01", 3, 1),
                d("2024-01-02", 1, 1),
                d("2024-01-04", 1, 1),
            ]
        );
        assert_eq!(
            s.redemptions_per_day(None, Some("alice")).await.unwrap(),
            [
                d("2024-01-01", 2, 1),
                d("2024-01-02", 1, 1),
                d("2024-01-04", 1, 1),
            ]
        );
        assert_eq!(
            s.redemptions_per_day(Some("b2"), Some("alice"))
                .await
                .unwrap(),
            Vec::<DayCount>::new()
        );
        assert_eq!(
            s.redemptions_per_day(None, None).await.unwrap(),
            [
                d("2024-01-01", 4, 1),
                d("2024-01-02", 1, 1),
                d("2024-01-03", 1, 0),
                d("2024-01-04", 1, 1),
            ]
        );
        assert_eq!(
            s.redemptions_per_day(Some("b2"), None).await.unwrap(),
            [d("2024-01-01", 1, 0)]
        );
    }

    pub async fn list_redemptions_pages_and_filters(b: &Backend) {
        let s = &*b.store;
        let codes = batch_with_codes(s, "b1", 10).await;
        batch_with_codes(s, "b2", 10).await;
        s.distribute(&actor(), &request("d1", "b1", "alice", 3, T0))
            .await
            .unwrap();
        s.distribute(&actor(), &request("d2", "b1", "bob", 3, T0))
            .await
            .unwrap();
        s.distribute(&actor(), &request("d3", "b2", "alice", 3, T0))
            .await
            .unwrap();
        s.create_coupon(&actor(), &coupon("SHARED")).await.unwrap();
        // Ids out of code order, so the order is the ids'.
        let made = [
            ("r05", codes[0].0.as_str()), // b1, alice
            ("r01", codes[1].0.as_str()), // b1, alice
            ("r04", codes[3].0.as_str()), // b1, bob
            ("r02", codes[8].0.as_str()), // b1, no relay
            ("r03", "B20000"),            // b2, alice
            ("r06", "SHARED"),            // no batch
            ("r07", "SHARED"),
        ];
        for (id, code) in made {
            reserved(s, &reservation(id, code, T0, TTL)).await;
        }
        confirmed(s, "r01", T0 + 1).await;

        let list = |batch: Option<&str>, relay: Option<&str>, after: Option<&str>, limit| {
            let query = RedemptionQuery {
                batch: batch.map(str::to_owned),
                relay: relay.map(str::to_owned),
                after: after.map(str::to_owned),
                limit,
            };
            async move {
                s.list_redemptions(&query)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(None, None, None, 100).await,
            ["r01", "r02", "r03", "r04", "r05", "r06", "r07"]
        );
        // Pages of 3.
        assert_eq!(list(None, None, None, 3).await, ["r01", "r02", "r03"]);
        assert_eq!(
            list(None, None, Some("r03"), 3).await,
            ["r04", "r05", "r06"]
        );
        assert_eq!(list(None, None, Some("r06"), 3).await, ["r07"]);
        assert!(list(None, None, Some("r07"), 3).await.is_empty());
        // Filters.
        assert_eq!(
            list(Some("b1"), None, None, 100).await,
            ["r01", "r02", "r04", "r05"]
        );
        assert_eq!(
            list(None, Some("alice"), None, 100).await,
            ["r01", "r03", "r05"]
        );
        assert_eq!(
            list(Some("b1"), Some("alice"), None, 100).await,
            ["r01", "r05"]
        );
        assert_eq!(
            list(Some("b1"), Some("alice"), Some("r01"), 1).await,
            ["r05"]
        );
        assert_eq!(list(None, Some("bob"), None, 100).await, ["r04"]);
        assert!(list(Some("nope"), None, None, 100).await.is_empty());

        // Whole redemptions, as `get_redemption` returns them.
        let first = s
            .list_redemptions(&RedemptionQuery {
                limit: 1,
                ..RedemptionQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(first, [s.get_redemption("r01").await.unwrap().unwrap()]);
    }

    pub async fn corrupt_rows_are_errors(b: &Backend) {
        let s = &*b.store;
        batch_with_codes(s, "b1", 10).await;
        s.distribute(&actor(), &request("d1", "b1", "alice", 2, T0))
            .await
            .unwrap();
        s.distribute(&actor(), &request("d2", "b1", "alice", 2, T0))
            .await
            .unwrap();
        b.raw("UPDATE outbox SET state = 'lost' WHERE id = 'd1'")
            .await;
        b.raw("UPDATE distributions SET count = -1 WHERE id = 'd2'")
            .await;
        let is_corrupt = |result: &Result<_, Error>, wanted_kind: &str, wanted_id: &str| matches!(result, Err(Error::Corrupt { kind, id, .. }) if kind == wanted_kind && id == wanted_id);
        let outbox = s.list_outbox(None, 10).await;
        assert!(is_corrupt(&outbox.map(|_| ()), "mail", "d1"));
        let retried = s.retry_mail("d1", T0).await;
        assert!(is_corrupt(&retried.map(|_| ()), "mail", "d1"));
        let got = s.get_distribution("d2").await;
        assert!(is_corrupt(&got.map(|_| ()), "distribution", "d2"));
        let listed = s.list_distributions(None, None).await;
        assert!(is_corrupt(&listed.map(|_| ()), "distribution", "d2"));
        // The other rows still read.
        assert_eq!(s.get_distribution("d1").await.unwrap().unwrap().count, 2);
        assert_eq!(s.claim_mail(T0, T0 + 1).await.unwrap().unwrap().id, "d2");
    }
}

/// How many messages the outbox holds.
async fn outbox_len(store: &dyn Store) -> usize {
    store.list_outbox(None, 1_000_000).await.unwrap().len()
}
