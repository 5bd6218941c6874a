//! The behaviour of vouchers ([`remise_store::Vouchers`]) and of their redemptions on every
//! backend: a fresh SQLite file, and a fresh PostgreSQL database when `REMISE_TEST_POSTGRES_URL`
//! is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use remise_store::{
    CodeState, Coupon, Error, Redemption, RedemptionState, RedemptionTotals, Refusal,
    ReserveRequest, Store, Voucher, VoucherQuery,
};
use rust_decimal::Decimal;

mod common;

use common::{Backend, T0, TTL, actor, request};

common::on_every_backend!(
    create_get_list_and_state,
    codes_are_unique_across_coupons_and_vouchers,
    every_refusal,
    keeping_a_balance,
    used_up_whole,
    idempotent_reserve,
    expired_reservations_release_the_amount,
    race_for_a_balance,
    confirmed_redemptions_of_a_period,
);

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn voucher(code: &str, amount: &str, keeps_balance: bool) -> Voucher {
    Voucher {
        code: code.to_owned(),
        display: code.to_owned(),
        amount: dec(amount),
        balance: dec(amount),
        keeps_balance,
        customers: Vec::new(),
        skus: Vec::new(),
        selections: Vec::new(),
        starts_at: None,
        ends_at: None,
        state: CodeState::Available,
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

async fn reserved(store: &dyn Store, request: &ReserveRequest, amount: &str) -> Redemption {
    match store.reserve_voucher(request, dec(amount)).await.unwrap() {
        Ok(redemption) => redemption,
        Err(refusal) => panic!("{} refused: {refusal:?}", request.id),
    }
}

async fn refusal(store: &dyn Store, request: &ReserveRequest, amount: &str) -> Refusal {
    match store.reserve_voucher(request, dec(amount)).await.unwrap() {
        Ok(redemption) => panic!("{} reserved: {redemption:?}", request.id),
        Err(refusal) => refusal,
    }
}

async fn balance(store: &dyn Store, code: &str) -> Decimal {
    store.get_voucher(code).await.unwrap().unwrap().balance
}

async fn available(store: &dyn Store, code: &str, now: i64) -> Decimal {
    store.voucher_usage(code, now).await.unwrap().available
}

mod scenarios {
    use super::*;

    pub async fn create_get_list_and_state(b: &Backend) {
        let s = &*b.store;
        let mut first = voucher("GIFT1", "50.00", true);
        first.customers = vec!["alice".to_owned()];
        first.selections = vec!["shoes".to_owned()];
        s.create_voucher(&actor(), &first).await.unwrap();
        s.create_voucher(&actor(), &voucher("GIFT2", "10", false))
            .await
            .unwrap();
        assert_eq!(s.get_voucher("GIFT1").await.unwrap(), Some(first.clone()));
        // Amounts keep their scale.
        assert_eq!(
            s.get_voucher("GIFT1")
                .await
                .unwrap()
                .unwrap()
                .amount
                .to_string(),
            "50.00"
        );
        assert_eq!(s.get_voucher("NOPE").await.unwrap(), None);
        assert!(matches!(
            s.create_voucher(&actor(), &voucher("GIFT1", "5", true))
                .await,
            Err(Error::AlreadyExists { .. })
        ));
        let all = s
            .list_vouchers(&VoucherQuery {
                after: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|v| v.code.as_str()).collect::<Vec<_>>(),
            ["GIFT1", "GIFT2"]
        );
        let page = s
            .list_vouchers(&VoucherQuery {
                after: Some("GIFT1".to_owned()),
                limit: 1,
            })
            .await
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].code, "GIFT2");
        let disabled = s
            .set_voucher_state(&actor(), "GIFT2", CodeState::Disabled)
            .await
            .unwrap();
        assert_eq!(disabled.state, CodeState::Disabled);
        assert_eq!(
            s.get_voucher("GIFT2").await.unwrap().unwrap().state,
            CodeState::Disabled
        );
        assert!(matches!(
            s.set_voucher_state(&actor(), "NOPE", CodeState::Disabled)
                .await,
            Err(Error::NotFound { .. })
        ));
    }

    pub async fn codes_are_unique_across_coupons_and_vouchers(b: &Backend) {
        let s = &*b.store;
        s.create_coupon(&actor(), &coupon("SAME")).await.unwrap();
        assert!(matches!(
            s.create_voucher(&actor(), &voucher("SAME", "5", true))
                .await,
            Err(Error::AlreadyExists { .. })
        ));
        s.create_voucher(&actor(), &voucher("OTHER", "5", true))
            .await
            .unwrap();
        assert!(matches!(
            s.create_coupon(&actor(), &coupon("OTHER")).await,
            Err(Error::AlreadyExists { .. })
        ));
        // A coupon's code is unknown to voucher reservations, and a voucher's to coupon ones.
        assert_eq!(
            refusal(s, &request("r1", "SAME", None), "1").await,
            Refusal::Unknown
        );
        assert_eq!(
            s.reserve(&request("r2", "OTHER", None))
                .await
                .unwrap()
                .unwrap_err(),
            Refusal::Unknown
        );
    }

    pub async fn every_refusal(b: &Backend) {
        let s = &*b.store;
        let mut later = voucher("LATER", "10", true);
        later.starts_at = Some(T0 + 1);
        let mut over = voucher("OVER", "10", true);
        over.ends_at = Some(T0);
        let mut alices = voucher("ALICES", "10", true);
        alices.customers = vec!["alice".to_owned()];
        let mut off = voucher("OFF", "10", true);
        off.state = CodeState::Disabled;
        for v in [later, over, alices, off, voucher("TEN", "10.00", true)] {
            s.create_voucher(&actor(), &v).await.unwrap();
        }
        for (code, customer, amount, expected) in [
            ("NOPE", None, "1", Refusal::Unknown),
            ("OFF", None, "1", Refusal::Disabled),
            ("LATER", None, "1", Refusal::NotYetValid),
            ("OVER", None, "1", Refusal::Expired),
            ("ALICES", None, "1", Refusal::NotForCustomer),
            ("ALICES", Some("bob"), "1", Refusal::NotForCustomer),
            ("TEN", None, "10.01", Refusal::AmountTooLarge),
            ("TEN", None, "0", Refusal::AmountTooLarge),
        ] {
            let id = format!("{code}-{customer:?}-{amount}");
            assert_eq!(
                refusal(s, &request(&id, code, customer), amount).await,
                expected,
                "{id}"
            );
            // A refusal writes nothing.
            assert_eq!(s.get_redemption(&id).await.unwrap(), None);
        }
        assert_eq!(Refusal::AmountTooLarge.as_str(), "amount_too_large");
        let made = reserved(s, &request("a", "ALICES", Some("alice")), "10").await;
        assert_eq!(made.amount, Some(dec("10")));
        assert_eq!(made.promotion, "");
        assert_eq!(s.get_redemption("a").await.unwrap(), Some(made));
        // All of it is held: nothing left for another order.
        assert_eq!(
            refusal(s, &request("b", "ALICES", Some("alice")), "0.01").await,
            Refusal::UsedUp
        );
    }

    pub async fn keeping_a_balance(b: &Backend) {
        let s = &*b.store;
        s.create_voucher(&actor(), &voucher("KEEP", "50.00", true))
            .await
            .unwrap();
        let r1 = reserved(s, &request("r1", "KEEP", None), "30.00").await;
        assert_eq!(available(s, "KEEP", T0).await, dec("20.00"));
        // A reservation holds the amount, the balance moves only on confirmation.
        assert_eq!(balance(s, "KEEP").await, dec("50.00"));
        assert_eq!(
            refusal(s, &request("r2", "KEEP", None), "20.01").await,
            Refusal::AmountTooLarge
        );
        let confirmed = s.confirm(&r1.id, T0 + 1).await.unwrap().unwrap();
        assert_eq!(confirmed.state, RedemptionState::Confirmed);
        assert_eq!(balance(s, "KEEP").await, dec("20.00"));
        assert_eq!(available(s, "KEEP", T0 + 1).await, dec("20.00"));
        // Confirming again changes nothing.
        s.confirm(&r1.id, T0 + 2).await.unwrap().unwrap();
        assert_eq!(balance(s, "KEEP").await, dec("20.00"));
        let r2 = reserved(s, &request("r2", "KEEP", None), "20.00").await;
        assert_eq!(available(s, "KEEP", T0).await, Decimal::ZERO);
        assert_eq!(
            refusal(s, &request("r3", "KEEP", None), "1").await,
            Refusal::UsedUp
        );
        // Cancelling a reservation releases what it held; the balance never moved.
        s.cancel(&r2.id, T0 + 3).await.unwrap().unwrap();
        assert_eq!(balance(s, "KEEP").await, dec("20.00"));
        assert_eq!(available(s, "KEEP", T0 + 3).await, dec("20.00"));
        // Cancelling a confirmed one gives its amount back, once.
        s.cancel(&r1.id, T0 + 4).await.unwrap().unwrap();
        s.cancel(&r1.id, T0 + 5).await.unwrap().unwrap();
        assert_eq!(balance(s, "KEEP").await, dec("50.00"));
    }

    pub async fn used_up_whole(b: &Backend) {
        let s = &*b.store;
        s.create_voucher(&actor(), &voucher("WHOLE", "50.00", false))
            .await
            .unwrap();
        let r1 = reserved(s, &request("r1", "WHOLE", None), "30.00").await;
        // One live use and it is used up, whatever is left.
        assert_eq!(
            refusal(s, &request("r2", "WHOLE", None), "5").await,
            Refusal::UsedUp
        );
        s.confirm(&r1.id, T0 + 1).await.unwrap().unwrap();
        assert_eq!(balance(s, "WHOLE").await, Decimal::ZERO);
        assert_eq!(
            refusal(s, &request("r3", "WHOLE", None), "5").await,
            Refusal::UsedUp
        );
        // Cancelling the confirmed use restores the full amount.
        s.cancel(&r1.id, T0 + 2).await.unwrap().unwrap();
        assert_eq!(balance(s, "WHOLE").await, dec("50.00"));
        reserved(s, &request("r4", "WHOLE", None), "50.00").await;
    }

    pub async fn idempotent_reserve(b: &Backend) {
        let s = &*b.store;
        s.create_voucher(&actor(), &voucher("IDEM", "50", true))
            .await
            .unwrap();
        let first = reserved(s, &request("r1", "IDEM", Some("alice")), "30").await;
        let retry = ReserveRequest {
            id: "r2".to_owned(),
            now: T0 + 5,
            ..request("r1", "IDEM", Some("alice"))
        };
        // The same key, code, customer and order: the first redemption, not `amount_too_large`.
        assert_eq!(reserved(s, &retry, "30").await, first);
        assert_eq!(s.get_redemption("r2").await.unwrap(), None);
        let other_order = ReserveRequest {
            id: "r3".to_owned(),
            order_id: "another".to_owned(),
            ..request("r1", "IDEM", Some("alice"))
        };
        assert_eq!(
            refusal(s, &other_order, "1").await,
            Refusal::IdempotencyKeyReused
        );
        assert_eq!(available(s, "IDEM", T0).await, dec("20"));
    }

    pub async fn expired_reservations_release_the_amount(b: &Backend) {
        let s = &*b.store;
        s.create_voucher(&actor(), &voucher("EXP", "50", true))
            .await
            .unwrap();
        let r1 = reserved(s, &request("r1", "EXP", None), "50").await;
        assert_eq!(available(s, "EXP", T0).await, Decimal::ZERO);
        assert_eq!(available(s, "EXP", T0 + TTL).await, dec("50"));
        assert_eq!(
            s.confirm(&r1.id, T0 + TTL).await.unwrap().unwrap_err(),
            Refusal::NotReserved
        );
        assert_eq!(balance(s, "EXP").await, dec("50"));
    }

    pub async fn race_for_a_balance(b: &Backend) {
        let stores = [b.store.clone(), b.another_instance().await];
        b.store
            .create_voucher(&actor(), &voucher("RACE", "100.00", true))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for n in 0..16 {
            let store: Arc<dyn Store> = stores[n % 2].clone();
            tasks.push(tokio::spawn(async move {
                let request = request(&format!("r{n}"), "RACE", Some(&format!("c{n}")));
                store.reserve_voucher(&request, dec("20.00")).await.unwrap()
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(refusal) => assert!(
                    matches!(refusal, Refusal::UsedUp | Refusal::AmountTooLarge),
                    "{refusal:?}"
                ),
            }
        }
        assert_eq!(won, 5);
        assert_eq!(available(&*b.store, "RACE", T0).await, Decimal::ZERO);
    }

    /// The home page's figures: redemptions confirmed in a period and still confirmed, coupons'
    /// and vouchers' together, with the vouchers' amounts summed exactly.
    pub async fn confirmed_redemptions_of_a_period(b: &Backend) {
        let s = &*b.store;
        // Shorter than a reservation's life, so every reservation can still be confirmed.
        let period = TTL / 2;
        for code in ["C1", "C2", "C3", "C4"] {
            s.create_coupon(&actor(), &coupon(code)).await.unwrap();
        }
        s.create_voucher(&actor(), &voucher("V1", "50.00", true))
            .await
            .unwrap();
        s.create_voucher(&actor(), &voucher("V2", "10.00", true))
            .await
            .unwrap();
        let confirm = |id: &'static str, at: i64| async move {
            s.confirm(id, at).await.unwrap().unwrap();
        };
        // In the period: a coupon's, and two vouchers' (12.50 and 7.25).
        s.reserve(&request("c1", "C1", None))
            .await
            .unwrap()
            .unwrap();
        confirm("c1", T0 + 10).await;
        reserved(s, &request("v1", "V1", None), "12.50").await;
        confirm("v1", T0 + 20).await;
        reserved(s, &request("v2", "V2", None), "7.25").await;
        confirm("v2", T0 + period - 1).await;
        // Confirmed in the period, then cancelled: no longer counts.
        s.reserve(&request("c2", "C2", None))
            .await
            .unwrap()
            .unwrap();
        confirm("c2", T0 + 30).await;
        s.cancel("c2", T0 + 40).await.unwrap().unwrap();
        // Confirmed at the end of the period (excluded), and only reserved.
        s.reserve(&request("c3", "C3", None))
            .await
            .unwrap()
            .unwrap();
        confirm("c3", T0 + period).await;
        s.reserve(&request("c4", "C4", None))
            .await
            .unwrap()
            .unwrap();

        assert_eq!(
            s.confirmed_redemptions(T0, T0 + period).await.unwrap(),
            RedemptionTotals {
                count: 3,
                vouchers: 2,
                voucher_amount: dec("19.75"),
            }
        );
        assert_eq!(
            s.confirmed_redemptions(T0 + period, T0 + 2 * period)
                .await
                .unwrap(),
            RedemptionTotals {
                count: 1,
                vouchers: 0,
                voucher_amount: Decimal::ZERO,
            }
        );
        assert_eq!(
            s.confirmed_redemptions(T0 - period, T0).await.unwrap(),
            RedemptionTotals::default()
        );
    }
}
