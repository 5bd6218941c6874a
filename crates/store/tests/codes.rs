//! The behaviour of coupon codes and redemptions ([`remise_store::Codes`]) on every backend. Each
//! test runs on a fresh SQLite file, and on a fresh PostgreSQL database when
//! `REMISE_TEST_POSTGRES_URL` is set (cargo reports that variant as ignored otherwise).
//!
//! The 1,000,000-code insert is a release-mode measurement, ignored by default:
//! `cargo test --release -p remise-store --test codes -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use remise_store::{
    Action, AuditEntry, AuditQuery, Batch, BatchCounts, CodeState, Coupon, CouponQuery, Error,
    PromotionLimits, Redemption, RedemptionState, Refusal, ReserveRequest, Store, Usage,
};
use serde_json::json;
use sqlx::{Connection, Executor};

mod common;

use common::{Backend, SHOP_KEY, T0, TTL, actor, request};

common::on_every_backend!(
    every_refusal,
    promotion_limits_count_every_code,
    promotion_limits_hold_under_races,
    checks_run_in_order,
    refusals_write_nothing,
    idempotent_reserve,
    confirm_and_cancel,
    expiry,
    per_customer_limit,
    coupons_create_get_list_and_state,
    batches_create_get_list_and_quota,
    add_batch_codes_skips_collisions,
    disable_unused_spares_used_codes,
    batch_counts_by_state_and_use,
    code_writes_are_audited_but_not_revisions,
    corrupt_rows_are_errors,
    race_for_one_single_use_code,
    race_for_a_thousand_codes,
    race_for_a_customer_limit,
    reservations_lock_only_their_code,
    failed_lookups_count_per_subject_and_window,
);

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

fn batch(id: &str, uses_per_code: u32) -> Batch {
    Batch {
        id: id.to_owned(),
        promotion: "promo".to_owned(),
        prefix: "B".to_owned(),
        length: 8,
        pattern: None,
        uses_per_code,
        quota: 10,
        starts_at: None,
        ends_at: None,
        created_at: T0,
    }
}

/// The request at another time, lasting [`TTL`] from then.
fn at(now: i64, request: ReserveRequest) -> ReserveRequest {
    ReserveRequest {
        now,
        expires_at: now + TTL,
        ..request
    }
}

/// `(code, display)` pairs as a generator makes them.
fn pairs<'a>(codes: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    codes
        .into_iter()
        .map(|c| {
            (
                c.to_owned(),
                format!("{}-{}", &c[..c.len() / 2], &c[c.len() / 2..]),
            )
        })
        .collect()
}

async fn reserved(store: &dyn Store, request: &ReserveRequest) -> Redemption {
    match store.reserve(request).await.unwrap() {
        Ok(redemption) => redemption,
        Err(refusal) => panic!("{} refused: {refusal:?}", request.id),
    }
}

async fn refusal(store: &dyn Store, request: &ReserveRequest) -> Refusal {
    match store.reserve(request).await.unwrap() {
        Ok(redemption) => panic!("{} reserved: {redemption:?}", request.id),
        Err(refusal) => refusal,
    }
}

async fn usage(store: &dyn Store, code: &str, customer: Option<&str>, now: i64) -> Usage {
    store.code_usage(code, customer, now).await.unwrap()
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

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, Error>, kind: &str, id: &str) -> bool {
    matches!(result, Err(Error::NotFound { kind: k, id: i }) if k == kind && i == id)
}

fn codes_of(coupons: &[Coupon]) -> Vec<&str> {
    coupons.iter().map(|c| c.code.as_str()).collect()
}

/// `n` distinct codes of 8 characters that look random: `i` times an odd constant modulo 2^40
/// is a bijection, written in base 32.
fn random_codes(n: usize, salt: u64) -> Vec<(String, String)> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..n as u64)
        .map(|i| {
            let mut x = (i + salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) & ((1 << 40) - 1);
            let mut code = String::with_capacity(8);
            for _ in 0..8 {
                code.push(char::from(ALPHABET[(x & 31) as usize]));
                x >>= 5;
            }
            let display = format!("{}-{}", &code[..4], &code[4..]);
            (code, display)
        })
        .collect()
}

mod scenarios {
    use super::*;

    pub async fn every_refusal(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(&actor(), &coupon("OPEN")).await.unwrap();

        // unknown
        assert_eq!(
            refusal(s, &request("r1", "NOPE", None)).await,
            Refusal::Unknown
        );

        // disabled
        s.create_coupon(
            &actor(),
            &Coupon {
                state: CodeState::Disabled,
                ..coupon("OFF")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(s, &request("r2", "OFF", None)).await,
            Refusal::Disabled
        );

        // not yet valid, expired: starts_at is inclusive, ends_at exclusive.
        s.create_coupon(
            &actor(),
            &Coupon {
                starts_at: Some(T0 + 10),
                ends_at: Some(T0 + 20),
                ..coupon("WINDOW")
            },
        )
        .await
        .unwrap();
        let at = |id: &str, now: i64| ReserveRequest {
            now,
            expires_at: now + TTL,
            ..request(id, "WINDOW", None)
        };
        assert_eq!(refusal(s, &at("r3", T0 + 9)).await, Refusal::NotYetValid);
        reserved(s, &at("r4", T0 + 10)).await;
        reserved(s, &at("r5", T0 + 19)).await;
        assert_eq!(refusal(s, &at("r6", T0 + 20)).await, Refusal::Expired);

        // used up
        s.create_coupon(
            &actor(),
            &Coupon {
                max_uses: Some(1),
                ..coupon("ONCE")
            },
        )
        .await
        .unwrap();
        reserved(s, &request("r7", "ONCE", None)).await;
        assert_eq!(
            refusal(s, &request("r8", "ONCE", None)).await,
            Refusal::UsedUp
        );

        // customer limit
        s.create_coupon(
            &actor(),
            &Coupon {
                uses_per_customer: Some(1),
                ..coupon("ONEEACH")
            },
        )
        .await
        .unwrap();
        reserved(s, &request("r9", "ONEEACH", Some("alice"))).await;
        assert_eq!(
            refusal(s, &request("r10", "ONEEACH", Some("alice"))).await,
            Refusal::CustomerLimitReached
        );
        reserved(s, &request("r11", "ONEEACH", Some("bob"))).await;

        // not for this customer: by customer list (an anonymous customer is not on it)...
        s.create_coupon(
            &actor(),
            &Coupon {
                customers: vec!["alice".to_owned()],
                ..coupon("ALICE")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(s, &request("r12", "ALICE", Some("bob"))).await,
            Refusal::NotForCustomer
        );
        assert_eq!(
            refusal(s, &request("r13", "ALICE", None)).await,
            Refusal::NotForCustomer
        );
        reserved(s, &request("r14", "ALICE", Some("alice"))).await;

        // ...and by groups: one group in common is enough.
        s.create_coupon(
            &actor(),
            &Coupon {
                groups: vec!["vip".to_owned(), "staff".to_owned()],
                ..coupon("VIP")
            },
        )
        .await
        .unwrap();
        let with_groups = |id: &str, groups: &[&str]| ReserveRequest {
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..request(id, "VIP", Some("carol"))
        };
        assert_eq!(
            refusal(s, &with_groups("r15", &[])).await,
            Refusal::NotForCustomer
        );
        assert_eq!(
            refusal(s, &with_groups("r16", &["newsletter"])).await,
            Refusal::NotForCustomer
        );
        reserved(s, &with_groups("r17", &["newsletter", "staff"])).await;

        // idempotency key reused
        let first = request("r18", "OPEN", Some("alice"));
        reserved(s, &first).await;
        let other_order = ReserveRequest {
            id: "r19".to_owned(),
            order_id: "another-order".to_owned(),
            ..first.clone()
        };
        assert_eq!(
            refusal(s, &other_order).await,
            Refusal::IdempotencyKeyReused
        );

        // not reserved: confirm or cancel of an expired reservation, confirm of a cancelled one
        let r = reserved(s, &request("r20", "OPEN", None)).await;
        // r7, r9, r11, r14, r17, r18, r20 (r4 and r5 were made later).
        assert_eq!(s.expire_reservations(T0 + TTL).await.unwrap(), 7);
        assert_eq!(
            s.confirm(&r.id, T0 + TTL).await.unwrap(),
            Err(Refusal::NotReserved)
        );
        assert_eq!(
            s.cancel(&r.id, T0 + TTL).await.unwrap(),
            Err(Refusal::NotReserved)
        );
        let r = reserved(s, &request("r21", "OPEN", None)).await;
        s.cancel(&r.id, T0).await.unwrap().unwrap();
        assert_eq!(
            s.confirm(&r.id, T0).await.unwrap(),
            Err(Refusal::NotReserved)
        );

        // Stable names.
        assert_eq!(
            Refusal::CustomerLimitReached.as_str(),
            "customer_limit_reached"
        );
        assert_eq!(
            serde_json::to_value(Refusal::IdempotencyKeyReused).unwrap(),
            json!("idempotency_key_reused")
        );
    }

    /// Each check wins over the ones after it.
    pub async fn checks_run_in_order(b: &Backend) {
        let s = &*b.store;
        // Everything wrong at once: disabled, not yet valid, for someone else, used up.
        s.create_coupon(
            &actor(),
            &Coupon {
                state: CodeState::Disabled,
                starts_at: Some(T0 + 1),
                ends_at: Some(T0 + 2),
                customers: vec!["alice".to_owned()],
                max_uses: Some(0),
                ..coupon("BAD")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(s, &request("a", "BAD", Some("bob"))).await,
            Refusal::Disabled
        );
        s.set_coupon_state(&actor(), "BAD", CodeState::Available, None)
            .await
            .unwrap();
        assert_eq!(
            refusal(s, &request("b", "BAD", Some("bob"))).await,
            Refusal::NotYetValid
        );
        let late = ReserveRequest {
            now: T0 + 2,
            ..request("c", "BAD", Some("bob"))
        };
        assert_eq!(refusal(s, &late).await, Refusal::Expired);

        s.create_coupon(
            &actor(),
            &Coupon {
                customers: vec!["alice".to_owned()],
                max_uses: Some(0),
                uses_per_customer: Some(0),
                ..coupon("FULL")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            refusal(s, &request("d", "FULL", Some("bob"))).await,
            Refusal::NotForCustomer
        );
        assert_eq!(
            refusal(s, &request("e", "FULL", Some("alice"))).await,
            Refusal::UsedUp
        );

        // A used key is checked first of all, even before the code is looked up.
        s.create_coupon(&actor(), &coupon("OPEN")).await.unwrap();
        let first = request("f", "OPEN", None);
        reserved(s, &first).await;
        let unknown_code = ReserveRequest {
            id: "g".to_owned(),
            code: "NOPE".to_owned(),
            ..first.clone()
        };
        assert_eq!(
            refusal(s, &unknown_code).await,
            Refusal::IdempotencyKeyReused
        );
        // The same request again, after the code was disabled: the first answer.
        s.set_coupon_state(&actor(), "OPEN", CodeState::Disabled, None)
            .await
            .unwrap();
        let again = ReserveRequest {
            id: "h".to_owned(),
            ..first.clone()
        };
        assert_eq!(reserved(s, &again).await.id, "f");
    }

    pub async fn refusals_write_nothing(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(
            &actor(),
            &Coupon {
                max_uses: Some(1),
                ..coupon("ONCE")
            },
        )
        .await
        .unwrap();
        reserved(s, &request("first", "ONCE", None)).await;
        let audit_before = audit_log(s).await.len();
        for id in ["x1", "x2", "x3"] {
            assert_eq!(
                refusal(s, &request(id, "ONCE", None)).await,
                Refusal::UsedUp
            );
            assert_eq!(s.get_redemption(id).await.unwrap(), None);
        }
        assert_eq!(
            refusal(s, &request("x4", "NOPE", None)).await,
            Refusal::Unknown
        );
        assert_eq!(s.get_redemption("x4").await.unwrap(), None);
        // The refused keys stay free: once the first use is cancelled, one of them can be used.
        s.cancel("first", T0).await.unwrap().unwrap();
        reserved(s, &request("x1", "ONCE", None)).await;
        assert_eq!(usage(s, "ONCE", None, T0).await.uses, 1);
        // Redemptions are their own log: no audit entries.
        assert_eq!(audit_log(s).await.len(), audit_before);
    }

    pub async fn idempotent_reserve(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(
            &actor(),
            &Coupon {
                max_uses: Some(1),
                ..coupon("ONCE")
            },
        )
        .await
        .unwrap();
        s.create_coupon(&actor(), &coupon("OTHER")).await.unwrap();
        let first = request("r1", "ONCE", Some("alice"));
        let made = reserved(s, &first).await;
        assert_eq!(
            made,
            Redemption {
                id: "r1".to_owned(),
                code: "ONCE".to_owned(),
                promotion: "promo".to_owned(),
                customer: Some("alice".to_owned()),
                order_id: "order-r1".to_owned(),
                idempotency_key: "key-r1".to_owned(),
                state: RedemptionState::Reserved,
                reserved_at: T0,
                expires_at: T0 + TTL,
                confirmed_at: None,
                cancelled_at: None,
                amount: None,
                api_key: SHOP_KEY.to_owned(),
            }
        );
        assert_eq!(s.get_redemption("r1").await.unwrap(), Some(made.clone()));

        // The same key with the same code, customer and order: the first redemption, not a new
        // one and not `used_up`, even later and with a new id.
        let retry = ReserveRequest {
            id: "r2".to_owned(),
            now: T0 + 5,
            ..first.clone()
        };
        assert_eq!(reserved(s, &retry).await, made);
        assert_eq!(s.get_redemption("r2").await.unwrap(), None);
        assert_eq!(
            usage(s, "ONCE", Some("alice"), T0 + 5).await,
            Usage {
                uses: 1,
                customer_uses: 1
            }
        );

        // The same key for anything else is refused.
        for other in [
            ReserveRequest {
                order_id: "another-order".to_owned(),
                ..retry.clone()
            },
            ReserveRequest {
                customer: Some("bob".to_owned()),
                ..retry.clone()
            },
            ReserveRequest {
                customer: None,
                ..retry.clone()
            },
            ReserveRequest {
                code: "OTHER".to_owned(),
                ..retry.clone()
            },
        ] {
            assert_eq!(refusal(s, &other).await, Refusal::IdempotencyKeyReused);
        }

        // Idempotency keys are scoped per API key: another key's same idempotency key makes a
        // new redemption.
        let other_key = ReserveRequest {
            id: "r3".to_owned(),
            code: "OTHER".to_owned(),
            api_key: "key_kiosk".to_owned(),
            ..retry.clone()
        };
        let theirs = reserved(s, &other_key).await;
        assert_eq!(
            (theirs.id.as_str(), theirs.api_key.as_str()),
            ("r3", "key_kiosk")
        );

        // The replay answers with the redemption as it is now.
        let confirmed = s.confirm("r1", T0 + 1).await.unwrap().unwrap();
        assert_eq!(reserved(s, &retry).await, confirmed);
        let cancelled = s.cancel("r1", T0 + 2).await.unwrap().unwrap();
        assert_eq!(reserved(s, &retry).await, cancelled);
        assert_eq!(cancelled.state, RedemptionState::Cancelled);

        // A new id that is taken (by another key) is the caller's error.
        let taken_id = ReserveRequest {
            id: "r1".to_owned(),
            ..request("fresh", "OTHER", None)
        };
        assert!(matches!(
            s.reserve(&taken_id).await,
            Err(Error::AlreadyExists { kind, id }) if kind == "redemption" && id == "r1"
        ));
    }

    pub async fn failed_lookups_count_per_subject_and_window(b: &Backend) {
        let s = &*b.store;
        let subjects = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let window = T0;
        let next = T0 + 60_000;
        assert_eq!(
            s.failed_lookups(&subjects(&["customer:a"]), window)
                .await
                .unwrap(),
            0
        );
        for _ in 0..3 {
            s.record_failed_lookup(&subjects(&["customer:a", "client:1"]), window)
                .await
                .unwrap();
        }
        s.record_failed_lookup(&subjects(&["client:1"]), window)
            .await
            .unwrap();
        s.record_failed_lookup(&subjects(&["customer:a"]), next)
            .await
            .unwrap();
        // The most of the subjects, in that window only.
        let most = |names: &'static [&'static str], at| async move {
            s.failed_lookups(&subjects(names), at).await.unwrap()
        };
        assert_eq!(most(&["customer:a"], window).await, 3);
        assert_eq!(most(&["customer:a", "client:1"], window).await, 4);
        assert_eq!(most(&["customer:b"], window).await, 0);
        assert_eq!(most(&["customer:a"], next).await, 1);
        // Old windows are forgotten.
        assert_eq!(s.forget_failed_lookups(next).await.unwrap(), 2);
        assert_eq!(most(&["client:1"], window).await, 0);
        assert_eq!(most(&["customer:a"], next).await, 1);
    }

    pub async fn confirm_and_cancel(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(
            &actor(),
            &Coupon {
                max_uses: Some(1),
                ..coupon("ONCE")
            },
        )
        .await
        .unwrap();
        let r = reserved(s, &request("r1", "ONCE", None)).await;

        // confirm, twice: the second returns the first confirmation unchanged.
        let confirmed = s.confirm(&r.id, T0 + 100).await.unwrap().unwrap();
        assert_eq!(confirmed.state, RedemptionState::Confirmed);
        assert_eq!(confirmed.confirmed_at, Some(T0 + 100));
        assert_eq!(
            s.confirm(&r.id, T0 + 200).await.unwrap(),
            Ok(confirmed.clone())
        );
        assert_eq!(
            s.get_redemption(&r.id).await.unwrap(),
            Some(confirmed.clone())
        );
        // A confirmed use counts forever, past the reservation's expiry.
        assert_eq!(usage(s, "ONCE", None, T0 + 10 * TTL).await.uses, 1);
        let late = ReserveRequest {
            now: T0 + 10 * TTL,
            expires_at: T0 + 11 * TTL,
            ..request("r2", "ONCE", None)
        };
        assert_eq!(refusal(s, &late).await, Refusal::UsedUp);
        assert_eq!(s.expire_reservations(T0 + 10 * TTL).await.unwrap(), 0);

        // cancel a confirmed redemption: the use is released; cancel again: unchanged.
        let cancelled = s.cancel(&r.id, T0 + 300).await.unwrap().unwrap();
        assert_eq!(cancelled.state, RedemptionState::Cancelled);
        assert_eq!(cancelled.cancelled_at, Some(T0 + 300));
        assert_eq!(cancelled.confirmed_at, Some(T0 + 100));
        assert_eq!(
            s.cancel(&r.id, T0 + 400).await.unwrap(),
            Ok(cancelled.clone())
        );
        assert_eq!(
            s.confirm(&r.id, T0 + 400).await.unwrap(),
            Err(Refusal::NotReserved)
        );
        assert_eq!(usage(s, "ONCE", None, T0 + 400).await.uses, 0);

        // cancel a reservation.
        let r = reserved(s, &request("r3", "ONCE", None)).await;
        let cancelled = s.cancel(&r.id, T0 + 1).await.unwrap().unwrap();
        assert_eq!(
            (
                cancelled.state,
                cancelled.cancelled_at,
                cancelled.confirmed_at
            ),
            (RedemptionState::Cancelled, Some(T0 + 1), None)
        );
        reserved(s, &request("r4", "ONCE", None)).await;

        // A reservation past its expiry, not yet marked: cannot be confirmed, stays as it is.
        assert_eq!(
            s.confirm("r4", T0 + TTL).await.unwrap(),
            Err(Refusal::NotReserved)
        );
        assert_eq!(
            s.get_redemption("r4").await.unwrap().unwrap().state,
            RedemptionState::Reserved
        );
        assert_eq!(
            s.confirm("r4", T0 + TTL - 1).await.unwrap().unwrap().state,
            RedemptionState::Confirmed
        );

        // Unknown ids.
        assert!(is_not_found(
            &s.confirm("nope", T0).await,
            "redemption",
            "nope"
        ));
        assert!(is_not_found(
            &s.cancel("nope", T0).await,
            "redemption",
            "nope"
        ));
        assert_eq!(s.get_redemption("nope").await.unwrap(), None);
    }

    pub async fn expiry(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(
            &actor(),
            &Coupon {
                max_uses: Some(1),
                ..coupon("ONCE")
            },
        )
        .await
        .unwrap();
        let at = |id: &str, now: i64| ReserveRequest {
            now,
            expires_at: now + TTL,
            ..request(id, "ONCE", None)
        };
        reserved(s, &at("r1", T0)).await;
        assert_eq!(usage(s, "ONCE", None, T0).await.uses, 1);
        assert_eq!(usage(s, "ONCE", None, T0 + TTL - 1).await.uses, 1);
        assert_eq!(refusal(s, &at("r2", T0 + TTL - 1)).await, Refusal::UsedUp);
        // At expires_at the reservation no longer counts, marked expired or not.
        assert_eq!(usage(s, "ONCE", None, T0 + TTL).await.uses, 0);
        let second = reserved(s, &at("r3", T0 + TTL)).await;
        assert_eq!(second.expires_at, T0 + 2 * TTL);

        // The sweep marks the first (expires_at <= now) and not the second.
        assert_eq!(s.expire_reservations(T0 + TTL - 1).await.unwrap(), 0);
        assert_eq!(s.expire_reservations(T0 + TTL).await.unwrap(), 1);
        assert_eq!(s.expire_reservations(T0 + TTL).await.unwrap(), 0);
        let first = s.get_redemption("r1").await.unwrap().unwrap();
        assert_eq!(first.state, RedemptionState::Expired);
        assert_eq!(
            s.get_redemption("r3").await.unwrap().unwrap().state,
            RedemptionState::Reserved
        );
        assert_eq!(
            s.confirm("r1", T0).await.unwrap(),
            Err(Refusal::NotReserved)
        );
        assert_eq!(usage(s, "ONCE", None, T0 + TTL).await.uses, 1);
        assert_eq!(s.expire_reservations(T0 + 2 * TTL).await.unwrap(), 1);
        assert_eq!(usage(s, "ONCE", None, T0 + TTL).await.uses, 0);
    }

    pub async fn promotion_limits_count_every_code(b: &Backend) {
        let s = &*b.store;
        for code in ["P1", "P2", "P3"] {
            s.create_coupon(&actor(), &coupon(code)).await.unwrap();
        }
        let limited = |id: &str, code: &str, customer: &str| ReserveRequest {
            promotion_limits: PromotionLimits {
                total_uses: Some(3),
                uses_per_customer: Some(2),
            },
            ..request(id, code, Some(customer))
        };
        reserved(s, &limited("a1", "P1", "alice")).await;
        reserved(s, &limited("a2", "P2", "alice")).await;
        // Alice's third use of the promotion, through a third code: her limit.
        assert_eq!(
            refusal(s, &limited("a3", "P3", "alice")).await,
            Refusal::PromotionLimitReached
        );
        reserved(s, &limited("b1", "P3", "bob")).await;
        // The promotion's third use was bob's: nobody gets a fourth.
        assert_eq!(
            refusal(s, &limited("c1", "P1", "carol")).await,
            Refusal::PromotionLimitReached
        );
        // Releasing one gives it back.
        s.cancel("b1", T0).await.unwrap().unwrap();
        reserved(s, &limited("c2", "P1", "carol")).await;
        // Without limits (a promotion that has none), the codes' own rules alone apply.
        reserved(s, &request("d1", "P1", Some("dan"))).await;
    }

    /// 24 reservations of one promotion limited to 5 uses, spread over 3 codes and two store
    /// instances: exactly 5 succeed.
    pub async fn promotion_limits_hold_under_races(b: &Backend) {
        for code in ["R1", "R2", "R3"] {
            b.store
                .create_coupon(&actor(), &coupon(code))
                .await
                .unwrap();
        }
        let stores = [b.store.clone(), b.another_instance().await];
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..24 {
            let store = stores[i % 2].clone();
            let code = ["R1", "R2", "R3"][i % 3];
            let request = ReserveRequest {
                promotion_limits: PromotionLimits {
                    total_uses: Some(5),
                    uses_per_customer: None,
                },
                ..request(&format!("r{i}"), code, Some(&format!("cust-{i}")))
            };
            tasks.spawn(async move { store.reserve(&request).await.unwrap() });
        }
        let mut won = 0;
        while let Some(outcome) = tasks.join_next().await {
            match outcome.unwrap() {
                Ok(_) => won += 1,
                Err(refusal) => assert_eq!(refusal, Refusal::PromotionLimitReached),
            }
        }
        assert_eq!(won, 5, "{}", b.name);
    }

    pub async fn per_customer_limit(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(
            &actor(),
            &Coupon {
                uses_per_customer: Some(2),
                max_uses: Some(5),
                ..coupon("TWICE")
            },
        )
        .await
        .unwrap();
        reserved(s, &request("a1", "TWICE", Some("alice"))).await;
        s.confirm("a1", T0).await.unwrap().unwrap();
        reserved(s, &request("a2", "TWICE", Some("alice"))).await;
        assert_eq!(
            refusal(s, &request("a3", "TWICE", Some("alice"))).await,
            Refusal::CustomerLimitReached
        );
        assert_eq!(
            usage(s, "TWICE", Some("alice"), T0).await,
            Usage {
                uses: 2,
                customer_uses: 2
            }
        );
        reserved(s, &request("b1", "TWICE", Some("bob"))).await;
        assert_eq!(
            usage(s, "TWICE", Some("bob"), T0).await,
            Usage {
                uses: 3,
                customer_uses: 1
            }
        );
        // A code limited per customer needs one: anonymous reservations are refused.
        assert_eq!(
            refusal(s, &request("n1", "TWICE", None)).await,
            Refusal::NotForCustomer
        );
        reserved(s, &request("b2", "TWICE", Some("bob"))).await;
        assert_eq!(
            usage(s, "TWICE", None, T0).await,
            Usage {
                uses: 4,
                customer_uses: 0
            }
        );
        // Releasing one of alice's uses lets her use it again.
        s.cancel("a2", T0).await.unwrap().unwrap();
        reserved(s, &request("a4", "TWICE", Some("alice"))).await;
        // Her reservation expires: again.
        let later = ReserveRequest {
            now: T0 + TTL,
            expires_at: T0 + 2 * TTL,
            ..request("a5", "TWICE", Some("alice"))
        };
        reserved(s, &later).await;
        assert_eq!(
            usage(s, "TWICE", Some("alice"), T0 + TTL).await,
            Usage {
                uses: 2,
                customer_uses: 2
            }
        );
        // The total limit (5): a1 and a5 count now, a4, b1 and b2 expired; 3 more fit.
        let later = |id: &str, customer: &str| at(T0 + TTL, request(id, "TWICE", Some(customer)));
        reserved(s, &later("c1", "carol")).await;
        reserved(s, &later("d1", "dan")).await;
        assert_eq!(usage(s, "TWICE", None, T0 + TTL).await.uses, 4);
        reserved(s, &later("e1", "eve")).await;
        assert_eq!(refusal(s, &later("f1", "fay")).await, Refusal::UsedUp);
    }

    pub async fn coupons_create_get_list_and_state(b: &Backend) {
        let s = &*b.store;
        let full = Coupon {
            display: "SUMMER-24".to_owned(),
            max_uses: Some(100),
            uses_per_customer: Some(1),
            starts_at: Some(T0),
            ends_at: Some(T0 + 1_000),
            customers: vec!["alice".to_owned(), "bob".to_owned()],
            groups: vec!["vip".to_owned()],
            relay: Some("newsletter".to_owned()),
            state: CodeState::Distributed,
            ..coupon("SUMMER24")
        };
        s.create_coupon(&actor(), &full).await.unwrap();
        assert_eq!(s.get_coupon("SUMMER24").await.unwrap(), Some(full.clone()));
        assert_eq!(s.get_coupon("NOPE").await.unwrap(), None);
        let duplicate = s.create_coupon(&actor(), &coupon("SUMMER24")).await;
        assert!(
            matches!(&duplicate, Err(Error::AlreadyExists { kind, id }) if kind == "coupon" && id == "SUMMER24"),
            "{duplicate:?}"
        );

        // A batch's code is taken too.
        s.create_batch(&actor(), &batch("b1", 1)).await.unwrap();
        s.add_batch_codes(&actor(), "b1", &pairs(["BATCH001", "BATCH002"]))
            .await
            .unwrap();
        assert!(matches!(
            s.create_coupon(&actor(), &coupon("BATCH001")).await,
            Err(Error::AlreadyExists { .. })
        ));

        for code in ["A1", "C3", "B2"] {
            s.create_coupon(
                &actor(),
                &Coupon {
                    promotion: "other".to_owned(),
                    ..coupon(code)
                },
            )
            .await
            .unwrap();
        }
        let list = |query: CouponQuery| async move { s.list_coupons(&query).await.unwrap() };
        let all = list(CouponQuery {
            limit: 100,
            ..CouponQuery::default()
        })
        .await;
        assert_eq!(
            codes_of(&all),
            ["A1", "B2", "BATCH001", "BATCH002", "C3", "SUMMER24"]
        );
        let page = list(CouponQuery {
            after: Some("B2".to_owned()),
            limit: 2,
            ..CouponQuery::default()
        })
        .await;
        assert_eq!(codes_of(&page), ["BATCH001", "BATCH002"]);
        let shared = list(CouponQuery {
            shared_only: true,
            limit: 100,
            ..CouponQuery::default()
        })
        .await;
        assert_eq!(codes_of(&shared), ["A1", "B2", "C3", "SUMMER24"]);
        let of_batch = list(CouponQuery {
            batch: Some("b1".to_owned()),
            limit: 100,
            ..CouponQuery::default()
        })
        .await;
        assert_eq!(codes_of(&of_batch), ["BATCH001", "BATCH002"]);
        let of_promotion = list(CouponQuery {
            promotion: Some("other".to_owned()),
            after: Some("A1".to_owned()),
            limit: 100,
            ..CouponQuery::default()
        })
        .await;
        assert_eq!(codes_of(&of_promotion), ["B2", "C3"]);

        // State changes, with a relay.
        let handed = s
            .set_coupon_state(&actor(), "A1", CodeState::Distributed, Some("partner"))
            .await
            .unwrap();
        assert_eq!(
            (handed.state, handed.relay.as_deref()),
            (CodeState::Distributed, Some("partner"))
        );
        assert_eq!(s.get_coupon("A1").await.unwrap(), Some(handed.clone()));
        let off = s
            .set_coupon_state(&actor(), "A1", CodeState::Disabled, Some("partner"))
            .await
            .unwrap();
        assert_eq!(off.state, CodeState::Disabled);
        assert_eq!(
            refusal(s, &request("r", "A1", None)).await,
            Refusal::Disabled
        );
        let on = s
            .set_coupon_state(&actor(), "A1", CodeState::Available, None)
            .await
            .unwrap();
        assert_eq!((on.state, on.relay), (CodeState::Available, None));
        reserved(s, &request("r", "A1", None)).await;
        assert!(is_not_found(
            &s.set_coupon_state(&actor(), "NOPE", CodeState::Disabled, None)
                .await,
            "coupon",
            "NOPE"
        ));
    }

    pub async fn batches_create_get_list_and_quota(b: &Backend) {
        let s = &*b.store;
        assert_eq!(s.list_batches().await.unwrap(), []);
        let second = Batch {
            pattern: Some("AAA-999".to_owned()),
            starts_at: Some(T0),
            ends_at: Some(T0 + 5),
            created_at: T0 + 1,
            ..batch("b2", 3)
        };
        s.create_batch(&actor(), &second).await.unwrap();
        s.create_batch(&actor(), &batch("b9", 1)).await.unwrap();
        assert!(matches!(
            s.create_batch(&actor(), &batch("b2", 1)).await,
            Err(Error::AlreadyExists { kind, id }) if kind == "batch" && id == "b2"
        ));
        assert_eq!(s.get_batch("b2").await.unwrap(), Some(second.clone()));
        assert_eq!(s.get_batch("nope").await.unwrap(), None);
        // Oldest first.
        let ids: Vec<String> = s
            .list_batches()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(ids, ["b9", "b2"]);

        let grown = s.set_batch_quota(&actor(), "b2", 500).await.unwrap();
        assert_eq!(
            grown,
            Batch {
                quota: 500,
                ..second.clone()
            }
        );
        assert_eq!(s.get_batch("b2").await.unwrap(), Some(grown));
        assert!(is_not_found(
            &s.set_batch_quota(&actor(), "nope", 1).await,
            "batch",
            "nope"
        ));
        assert!(is_not_found(
            &s.add_batch_codes(&actor(), "nope", &pairs(["X1"])).await,
            "batch",
            "nope"
        ));
        assert!(is_not_found(
            &s.disable_unused(&actor(), "nope", 1).await,
            "batch",
            "nope"
        ));
        assert!(is_not_found(
            &s.batch_counts("nope", T0).await,
            "batch",
            "nope"
        ));

        // A batch's codes take its uses and dates, no other limit.
        assert_eq!(
            s.add_batch_codes(&actor(), "b2", &pairs(["ABC123"]))
                .await
                .unwrap(),
            1
        );
        let code = s.get_coupon("ABC123").await.unwrap().unwrap();
        assert_eq!(
            Coupon {
                created_at: T0,
                ..code
            },
            Coupon {
                display: "ABC-123".to_owned(),
                batch: Some("b2".to_owned()),
                max_uses: Some(3),
                starts_at: Some(T0),
                ends_at: Some(T0 + 5),
                ..coupon("ABC123")
            }
        );
        for id in ["u1", "u2", "u3"] {
            reserved(s, &request(id, "ABC123", Some("alice"))).await;
        }
        assert_eq!(
            refusal(s, &request("u4", "ABC123", None)).await,
            Refusal::UsedUp
        );
        let late = ReserveRequest {
            now: T0 + 5,
            ..request("u5", "ABC123", None)
        };
        assert_eq!(refusal(s, &late).await, Refusal::Expired);
    }

    pub async fn add_batch_codes_skips_collisions(b: &Backend) {
        let s = &*b.store;
        s.create_batch(&actor(), &batch("b1", 1)).await.unwrap();
        s.create_batch(&actor(), &batch("b2", 1)).await.unwrap();
        s.create_coupon(&actor(), &coupon("SHARED01"))
            .await
            .unwrap();
        assert_eq!(
            s.add_batch_codes(&actor(), "b1", &pairs(["FIRST001", "FIRST002"]))
                .await
                .unwrap(),
            2
        );
        // Taken by a shared coupon, by another batch, by this batch, and twice in the input.
        let input = pairs([
            "NEW00001", "SHARED01", "FIRST001", "NEW00002", "FIRST002", "NEW00001",
        ]);
        assert_eq!(s.add_batch_codes(&actor(), "b2", &input).await.unwrap(), 2);
        let of = |batch: &str| CouponQuery {
            batch: Some(batch.to_owned()),
            limit: 100,
            ..CouponQuery::default()
        };
        assert_eq!(
            codes_of(&s.list_coupons(&of("b2")).await.unwrap()),
            ["NEW00001", "NEW00002"]
        );
        // The skipped ones are untouched.
        assert_eq!(
            s.get_coupon("SHARED01").await.unwrap(),
            Some(coupon("SHARED01"))
        );
        assert_eq!(
            s.get_coupon("FIRST001")
                .await
                .unwrap()
                .unwrap()
                .batch
                .as_deref(),
            Some("b1")
        );
        assert_eq!(s.add_batch_codes(&actor(), "b2", &[]).await.unwrap(), 0);

        // Many, across statement boundaries, half of them taken.
        let many = random_codes(60_000, 0);
        let start = Instant::now();
        assert_eq!(
            s.add_batch_codes(&actor(), "b1", &many[..30_000])
                .await
                .unwrap(),
            30_000
        );
        assert_eq!(
            s.add_batch_codes(&actor(), "b2", &many).await.unwrap(),
            30_000
        );
        eprintln!("{}: 90,000 codes offered in {:?}", b.name, start.elapsed());
        let counts = async |batch: &str| s.batch_counts(batch, T0).await.unwrap();
        assert_eq!(counts("b1").await.generated, 30_002);
        assert_eq!(counts("b2").await.generated, 30_002);
        let sample = &many[45_000];
        let stored = s.get_coupon(&sample.0).await.unwrap().unwrap();
        assert_eq!(
            (stored.display.as_str(), stored.batch.as_deref()),
            (sample.1.as_str(), Some("b2"))
        );

        // One audit entry per call.
        let entries: Vec<_> = audit_log(s)
            .await
            .into_iter()
            .filter(|e| e.entity == "batch" && e.action == Action::Update)
            .map(|e| (e.entity_id, e.after))
            .collect();
        assert_eq!(
            entries,
            [
                ("b2".to_owned(), Some(json!({"added": 30_000}))),
                ("b1".to_owned(), Some(json!({"added": 30_000}))),
                ("b2".to_owned(), Some(json!({"added": 0}))),
                ("b2".to_owned(), Some(json!({"added": 2}))),
                ("b1".to_owned(), Some(json!({"added": 2}))),
            ]
        );
    }

    pub async fn disable_unused_spares_used_codes(b: &Backend) {
        let s = &*b.store;
        s.create_batch(&actor(), &batch("b1", 1)).await.unwrap();
        s.create_batch(&actor(), &batch("b2", 1)).await.unwrap();
        let codes: Vec<String> = (0..10).map(|i| format!("CODE{i:04}")).collect();
        s.add_batch_codes(&actor(), "b1", &pairs(codes.iter().map(String::as_str)))
            .await
            .unwrap();
        s.add_batch_codes(&actor(), "b2", &pairs(["OTHER001"]))
            .await
            .unwrap();
        // 0: confirmed, 1: reserved, 2: reservation expired (marked), 3: reservation cancelled,
        // 4: distributed, 5: disabled already. 6..9 never used.
        reserved(s, &request("r0", "CODE0000", None)).await;
        s.confirm("r0", T0).await.unwrap().unwrap();
        reserved(s, &request("r1", "CODE0001", None)).await;
        let short = ReserveRequest {
            expires_at: T0 + 10,
            ..request("r2", "CODE0002", None)
        };
        reserved(s, &short).await;
        assert_eq!(s.expire_reservations(T0 + 10).await.unwrap(), 1);
        reserved(s, &request("r3", "CODE0003", None)).await;
        s.cancel("r3", T0).await.unwrap().unwrap();
        s.set_coupon_state(&actor(), "CODE0004", CodeState::Distributed, Some("x"))
            .await
            .unwrap();
        s.set_coupon_state(&actor(), "CODE0005", CodeState::Disabled, None)
            .await
            .unwrap();

        assert_eq!(s.disable_unused(&actor(), "b1", 2).await.unwrap(), 2);
        let state = async |code: &str| s.get_coupon(code).await.unwrap().unwrap().state;
        // In code order.
        assert_eq!(state("CODE0006").await, CodeState::Disabled);
        assert_eq!(state("CODE0007").await, CodeState::Disabled);
        assert_eq!(state("CODE0008").await, CodeState::Available);
        // Asking for more than there are: the rest.
        assert_eq!(s.disable_unused(&actor(), "b1", 100).await.unwrap(), 2);
        assert_eq!(s.disable_unused(&actor(), "b1", 100).await.unwrap(), 0);
        assert_eq!(s.disable_unused(&actor(), "b1", 0).await.unwrap(), 0);
        for code in &codes[..4] {
            assert_eq!(state(code).await, CodeState::Available, "{code}");
        }
        assert_eq!(state("CODE0004").await, CodeState::Distributed);
        for code in &codes[5..] {
            assert_eq!(state(code).await, CodeState::Disabled, "{code}");
        }
        assert_eq!(state("OTHER001").await, CodeState::Available);
        let after: Vec<_> = audit_log(s)
            .await
            .into_iter()
            .filter_map(|e| e.after.filter(|a| a.get("disabled").is_some()))
            .collect();
        assert_eq!(
            after,
            [
                json!({"disabled": 0}),
                json!({"disabled": 0}),
                json!({"disabled": 2}),
                json!({"disabled": 2})
            ]
        );
    }

    pub async fn batch_counts_by_state_and_use(b: &Backend) {
        let s = &*b.store;
        s.create_batch(&actor(), &batch("b1", 2)).await.unwrap();
        s.create_batch(&actor(), &batch("b2", 1)).await.unwrap();
        assert_eq!(
            s.batch_counts("b1", T0).await.unwrap(),
            BatchCounts::default()
        );
        let codes: Vec<String> = (0..8).map(|i| format!("CODE{i:04}")).collect();
        s.add_batch_codes(&actor(), "b1", &pairs(codes.iter().map(String::as_str)))
            .await
            .unwrap();
        s.add_batch_codes(&actor(), "b2", &pairs(["OTHER001"]))
            .await
            .unwrap();
        reserved(s, &request("o1", "OTHER001", None)).await;
        s.create_coupon(&actor(), &coupon("SHARED01"))
            .await
            .unwrap();
        reserved(s, &request("s1", "SHARED01", None)).await;

        s.set_coupon_state(&actor(), "CODE0006", CodeState::Distributed, Some("x"))
            .await
            .unwrap();
        s.set_coupon_state(&actor(), "CODE0007", CodeState::Disabled, None)
            .await
            .unwrap();
        // 0: two live reservations; 1: one confirmed, one live; 2: confirmed twice;
        // 3: reservation that expires early; 4: cancelled.
        reserved(s, &request("a", "CODE0000", None)).await;
        reserved(s, &request("b", "CODE0000", None)).await;
        reserved(s, &request("c", "CODE0001", None)).await;
        s.confirm("c", T0).await.unwrap().unwrap();
        reserved(s, &request("d", "CODE0001", None)).await;
        for id in ["e", "f"] {
            reserved(s, &request(id, "CODE0002", None)).await;
            s.confirm(id, T0).await.unwrap().unwrap();
        }
        let short = ReserveRequest {
            expires_at: T0 + 10,
            ..request("g", "CODE0003", None)
        };
        reserved(s, &short).await;
        reserved(s, &request("h", "CODE0004", None)).await;
        s.cancel("h", T0).await.unwrap().unwrap();

        assert_eq!(
            s.batch_counts("b1", T0).await.unwrap(),
            BatchCounts {
                generated: 8,
                available: 6,
                distributed: 1,
                disabled: 1,
                reserved: 3,
                redeemed: 2,
                expired: 0,
            }
        );
        // Later, the short reservation no longer counts.
        assert_eq!(s.batch_counts("b1", T0 + 10).await.unwrap().reserved, 2);
        // And past every expiry only confirmed ones are left.
        let late = s.batch_counts("b1", T0 + TTL).await.unwrap();
        assert_eq!((late.reserved, late.redeemed), (0, 2));
        assert_eq!(
            s.batch_counts("b2", T0).await.unwrap(),
            BatchCounts {
                generated: 1,
                available: 1,
                reserved: 1,
                ..BatchCounts::default()
            }
        );

        // Past its end date, a code never redeemed counts as expired; a redeemed one does not.
        let ending = Batch {
            ends_at: Some(T0 + 100),
            ..batch("b3", 1)
        };
        s.create_batch(&actor(), &ending).await.unwrap();
        s.add_batch_codes(&actor(), "b3", &pairs(["ENDS0001", "ENDS0002", "ENDS0003"]))
            .await
            .unwrap();
        reserved(s, &request("x1", "ENDS0001", None)).await;
        s.confirm("x1", T0).await.unwrap().unwrap();
        assert_eq!(s.batch_counts("b3", T0 + 99).await.unwrap().expired, 0);
        assert_eq!(s.batch_counts("b3", T0 + 100).await.unwrap().expired, 2);
    }

    pub async fn code_writes_are_audited_but_not_revisions(b: &Backend) {
        let s = &*b.store;
        let revision = s.revision().await.unwrap();
        let full = Coupon {
            max_uses: Some(3),
            ..coupon("AUDITED")
        };
        s.create_coupon(&actor(), &full).await.unwrap();
        s.set_coupon_state(&actor(), "AUDITED", CodeState::Distributed, Some("relay-1"))
            .await
            .unwrap();
        let made = batch("b1", 1);
        s.create_batch(&actor(), &made).await.unwrap();
        s.set_batch_quota(&actor(), "b1", 20).await.unwrap();
        s.add_batch_codes(&actor(), "b1", &pairs(["CODE0001"]))
            .await
            .unwrap();
        s.disable_unused(&actor(), "b1", 1).await.unwrap();
        reserved(s, &request("r1", "AUDITED", None)).await;
        s.confirm("r1", T0).await.unwrap().unwrap();
        s.cancel("r1", T0).await.unwrap().unwrap();
        s.expire_reservations(T0 + TTL).await.unwrap();
        assert_eq!(s.revision().await.unwrap(), revision);

        let mut log = audit_log(s).await;
        log.reverse();
        let got: Vec<_> = log
            .iter()
            .map(|e| {
                (
                    e.actor.as_str(),
                    e.action,
                    e.entity.as_str(),
                    e.entity_id.as_str(),
                    e.before.clone(),
                    e.after.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "tester",
                    Action::Create,
                    "coupon",
                    "AUDITED",
                    None,
                    Some(serde_json::to_value(&full).unwrap())
                ),
                (
                    "tester",
                    Action::Update,
                    "coupon",
                    "AUDITED",
                    Some(json!({"state": "available", "relay": null})),
                    Some(json!({"state": "distributed", "relay": "relay-1"}))
                ),
                (
                    "tester",
                    Action::Create,
                    "batch",
                    "b1",
                    None,
                    Some(serde_json::to_value(&made).unwrap())
                ),
                (
                    "tester",
                    Action::Update,
                    "batch",
                    "b1",
                    Some(json!({"quota": 10})),
                    Some(json!({"quota": 20}))
                ),
                (
                    "tester",
                    Action::Update,
                    "batch",
                    "b1",
                    None,
                    Some(json!({"added": 1}))
                ),
                (
                    "tester",
                    Action::Update,
                    "batch",
                    "b1",
                    None,
                    Some(json!({"disabled": 1}))
                ),
            ]
        );
    }

    pub async fn corrupt_rows_are_errors(b: &Backend) {
        let s = &*b.store;
        for code in ["LIST1", "LIMIT1", "STATE1"] {
            s.create_coupon(&actor(), &coupon(code)).await.unwrap();
        }
        s.create_coupon(&actor(), &coupon("FINE")).await.unwrap();
        s.create_batch(&actor(), &batch("b1", 1)).await.unwrap();
        reserved(s, &request("r1", "FINE", None)).await;
        b.raw("UPDATE coupons SET customers = 'not json' WHERE code = 'LIST1'")
            .await;
        b.raw("UPDATE coupons SET max_uses = -1 WHERE code = 'LIMIT1'")
            .await;
        b.raw("UPDATE coupons SET state = 'melted' WHERE code = 'STATE1'")
            .await;
        b.raw("UPDATE batches SET quota = 5000000000 WHERE id = 'b1'")
            .await;
        b.raw("UPDATE redemptions SET state = 'lost' WHERE id = 'r1'")
            .await;

        let corrupt = |result: Result<(), Error>, kind: &str, id: &str| match result {
            Err(Error::Corrupt { kind: k, id: i, .. }) => {
                assert_eq!((k.as_str(), i.as_str()), (kind, id));
            }
            other => panic!("{kind} {id}: {other:?}"),
        };
        for code in ["LIST1", "LIMIT1", "STATE1"] {
            corrupt(s.get_coupon(code).await.map(drop), "coupon", code);
            corrupt(
                s.reserve(&request(&format!("x-{code}"), code, None))
                    .await
                    .map(drop),
                "coupon",
                code,
            );
            corrupt(
                s.set_coupon_state(&actor(), code, CodeState::Disabled, None)
                    .await
                    .map(drop),
                "coupon",
                code,
            );
        }
        let listed = s
            .list_coupons(&CouponQuery {
                limit: 100,
                ..CouponQuery::default()
            })
            .await;
        assert!(matches!(listed, Err(Error::Corrupt { .. })), "{listed:?}");
        corrupt(s.get_batch("b1").await.map(drop), "batch", "b1");
        corrupt(s.list_batches().await.map(drop), "batch", "b1");
        corrupt(
            s.add_batch_codes(&actor(), "b1", &pairs(["NEW1"]))
                .await
                .map(drop),
            "batch",
            "b1",
        );
        corrupt(s.get_redemption("r1").await.map(drop), "redemption", "r1");
        corrupt(s.confirm("r1", T0).await.map(drop), "redemption", "r1");
        corrupt(s.cancel("r1", T0).await.map(drop), "redemption", "r1");
        // A replay of its key reads it too.
        corrupt(
            s.reserve(&request("r1", "FINE", None)).await.map(drop),
            "redemption",
            "r1",
        );
        // Nothing was written by the failed calls.
        assert_eq!(s.get_coupon("NEW1").await.unwrap(), None);
    }

    /// Runs `tasks` reservations at once (released together by a barrier), alternating between
    /// `stores`; returns the answers by request id.
    async fn race(
        stores: &[Arc<dyn Store>],
        requests: Vec<ReserveRequest>,
    ) -> Vec<(String, Result<Redemption, Refusal>)> {
        let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
        let handles: Vec<_> = requests
            .into_iter()
            .enumerate()
            .map(|(n, request)| {
                let store = stores[n % stores.len()].clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let answer = store.reserve(&request).await;
                    (request.id, answer)
                })
            })
            .collect();
        let mut answers = Vec::new();
        for handle in handles {
            let (id, answer) = handle.await.unwrap();
            answers.push((id.clone(), answer.unwrap_or_else(|e| panic!("{id}: {e}"))));
        }
        answers
    }

    fn tally(answers: &[(String, Result<Redemption, Refusal>)]) -> (usize, Vec<Refusal>) {
        let won = answers.iter().filter(|(_, a)| a.is_ok()).count();
        let refused = answers
            .iter()
            .filter_map(|(_, a)| a.clone().err())
            .collect();
        (won, refused)
    }

    pub async fn race_for_one_single_use_code(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        b.store
            .create_coupon(
                &actor(),
                &Coupon {
                    max_uses: Some(1),
                    ..coupon("ONLYONE")
                },
            )
            .await
            .unwrap();
        let requests = (0..64)
            .map(|n| request(&format!("r{n}"), "ONLYONE", Some(&format!("c{n}"))))
            .collect();
        let start = Instant::now();
        let answers = race(&stores, requests).await;
        eprintln!(
            "{}: 64 racing reservations in {:?}",
            b.name,
            start.elapsed()
        );
        let (won, refused) = tally(&answers);
        assert_eq!(won, 1);
        assert_eq!(refused, vec![Refusal::UsedUp; 63]);
        assert_eq!(usage(&*b.store, "ONLYONE", None, T0).await.uses, 1);
        // Exactly the winner's redemption is stored.
        for (id, answer) in &answers {
            let stored = stores[1].get_redemption(id).await.unwrap();
            assert_eq!(stored.is_some(), answer.is_ok(), "{id}");
        }
    }

    pub async fn race_for_a_thousand_codes(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        b.store
            .create_batch(&actor(), &batch("b1", 1))
            .await
            .unwrap();
        let codes = random_codes(1_000, 7);
        assert_eq!(
            b.store
                .add_batch_codes(&actor(), "b1", &codes)
                .await
                .unwrap(),
            1_000
        );
        let requests = codes
            .iter()
            .flat_map(|(code, _)| (0..4).map(move |n| request(&format!("{code}-{n}"), code, None)))
            .collect();
        let start = Instant::now();
        let answers = race(&stores, requests).await;
        eprintln!(
            "{}: 4,000 reservations racing for 1,000 codes in {:?}",
            b.name,
            start.elapsed()
        );
        let (won, refused) = tally(&answers);
        assert_eq!(won, 1_000);
        assert_eq!(refused, vec![Refusal::UsedUp; 3_000]);
        let winners: BTreeSet<&str> = answers
            .iter()
            .filter_map(|(_, a)| a.as_ref().ok().map(|r| r.code.as_str()))
            .collect();
        assert_eq!(winners.len(), 1_000, "one winner per code");
        let counts = b.store.batch_counts("b1", T0).await.unwrap();
        assert_eq!((counts.generated, counts.reserved), (1_000, 1_000));
    }

    pub async fn race_for_a_customer_limit(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        b.store
            .create_coupon(
                &actor(),
                &Coupon {
                    uses_per_customer: Some(2),
                    ..coupon("TWICE")
                },
            )
            .await
            .unwrap();
        // Another customer's uses don't count against alice.
        reserved(&*b.store, &request("bob", "TWICE", Some("bob"))).await;
        let requests = (0..16)
            .map(|n| request(&format!("r{n}"), "TWICE", Some("alice")))
            .collect();
        let answers = race(&stores, requests).await;
        let (won, refused) = tally(&answers);
        assert_eq!(won, 2);
        assert_eq!(refused, vec![Refusal::CustomerLimitReached; 14]);
        assert_eq!(
            usage(&*b.store, "TWICE", Some("alice"), T0).await,
            Usage {
                uses: 3,
                customer_uses: 2
            }
        );
    }

    /// PostgreSQL: a reservation waits only for its own code's row, not for document writers
    /// (the revision row) nor for reservations of other codes. On SQLite every write shares the
    /// one write lock by design.
    pub async fn reservations_lock_only_their_code(b: &Backend) {
        if !b.is_postgres() {
            return;
        }
        let s = b.store.clone();
        for code in ["LOCKED", "FREE"] {
            s.create_coupon(&actor(), &coupon(code)).await.unwrap();
        }
        let mut other = sqlx::PgConnection::connect(&b.url).await.unwrap();
        other.execute("BEGIN").await.unwrap();
        other
            .execute("SELECT value FROM revision WHERE id = 1 FOR UPDATE")
            .await
            .unwrap();
        other
            .execute("SELECT code FROM coupons WHERE code = 'LOCKED' FOR UPDATE")
            .await
            .unwrap();
        let quick = Duration::from_secs(5);
        let free = tokio::time::timeout(quick, s.reserve(&request("f1", "FREE", None)))
            .await
            .expect("a reservation of another code does not wait")
            .unwrap();
        assert!(free.is_ok());
        tokio::time::timeout(quick, s.confirm("f1", T0))
            .await
            .expect("a confirmation does not wait for the revision lock")
            .unwrap()
            .unwrap();
        // The locked code's reservation waits for the lock, then goes through.
        let waiting = tokio::spawn({
            let s = s.clone();
            async move { s.reserve(&request("l1", "LOCKED", None)).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "waits for the code's row lock");
        other.execute("ROLLBACK").await.unwrap();
        let locked = tokio::time::timeout(quick, waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(locked.is_ok());
        other.close().await.unwrap();
    }
}

/// The DESIGN target: 1,000,000 codes added to a batch in under 10 s on SQLite, in a release
/// build. Measures PostgreSQL too when configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "release-mode measurement: cargo test --release -p remise-store --test codes -- --ignored --nocapture"]
async fn add_a_million_codes() {
    const N: usize = 1_000_000;
    let codes = random_codes(N, 0);
    for b in common::backends().await {
        let s = &*b.store;
        s.create_batch(&actor(), &batch("big", 1)).await.unwrap();
        s.create_coupon(&actor(), &coupon(&codes[N / 2].0))
            .await
            .unwrap();
        let start = Instant::now();
        let added = s.add_batch_codes(&actor(), "big", &codes).await.unwrap();
        let took = start.elapsed();
        eprintln!("{}: {N} codes added in {took:?}", b.name);
        assert_eq!(added, N as u64 - 1);

        // Offering them again: all collide.
        let start = Instant::now();
        assert_eq!(s.add_batch_codes(&actor(), "big", &codes).await.unwrap(), 0);
        eprintln!(
            "{}: {N} colliding codes offered in {:?}",
            b.name,
            start.elapsed()
        );

        let start = Instant::now();
        let counts = s.batch_counts("big", T0).await.unwrap();
        eprintln!("{}: batch_counts in {:?}", b.name, start.elapsed());
        assert_eq!(counts.generated, N as u64 - 1);
        let start = Instant::now();
        reserved(s, &request("r1", &codes[7].0, None)).await;
        eprintln!("{}: a reservation in {:?}", b.name, start.elapsed());
        let start = Instant::now();
        assert_eq!(
            s.disable_unused(&actor(), "big", 100_000).await.unwrap(),
            100_000
        );
        eprintln!(
            "{}: 100,000 codes disabled in {:?}",
            b.name,
            start.elapsed()
        );
        if b.name == "sqlite" && !cfg!(debug_assertions) {
            assert!(took < Duration::from_secs(10), "{took:?}");
        }
    }
}
