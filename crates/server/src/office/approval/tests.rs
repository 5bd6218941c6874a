//! `approval::save` as the promotions screens call it: which changes are written at once and
//! which wait in their campaign's request, and that what waits is not served until approved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use remise_engine::PriceRequest;
use remise_engine::cart::Customer;
use remise_engine::rules::{Offer, Promotion};
use remise_store::{Act, Actor, Kind, Session, Store, now_millis};
use rust_decimal_macros::dec;

use super::*;
use crate::documents::Settings;

async fn state_requiring_approval() -> (
    remise_test_support::TestSqlite,
    std::sync::Arc<AppState>,
    OfficeUser,
) {
    let sqlite = remise_test_support::TestSqlite::new();
    let store = remise_store::open(&sqlite.url).await.unwrap();
    store.migrate().await.unwrap();
    crate::demo::load(store.as_ref()).await.unwrap();
    let state = AppState::new(store.clone(), crate::Limits::default())
        .await
        .unwrap();
    let settings = store
        .get(Kind::Settings, remise_store::SETTINGS_ID)
        .await
        .unwrap()
        .unwrap();
    let mut body: Settings = serde_json::from_value(settings.body).unwrap();
    body.approval_required = true;
    crate::routes::write(
        &state,
        &Actor("test".into()),
        Change::Update(Document::Settings(body), settings.version),
    )
    .await
    .unwrap();
    let user = store
        .find_user_by_email("marketer@demo.remise.test")
        .await
        .unwrap()
        .unwrap();
    let session = Session {
        id_hash: "test".into(),
        user_id: user.id.clone(),
        csrf: "test".into(),
        created_at: 0,
        last_seen_at: 0,
        expires_at: i64::MAX,
        revoked_at: None,
    };
    (sqlite, state, OfficeUser { user, session })
}

/// The served price of one figurine on the web during the Marvel launch.
fn figurine_price(state: &AppState) -> rust_decimal::Decimal {
    let request = PriceRequest {
        customer: Customer::default(),
        channel: Some("web".into()),
        at: "2026-12-02T10:00:00+01:00".into(),
        display: None,
        skus: vec!["FIG-SPIDERMAN".into()],
    };
    let published = state.publisher.current();
    published.snapshot.price(&request).unwrap()[0].price
}

fn with_percent(promotion: &Promotion, percent: rust_decimal::Decimal) -> Promotion {
    let mut promotion = promotion.clone();
    promotion.created_at = None;
    if let Offer::PercentOff { percent: p, .. } = &mut promotion.offer {
        *p = percent;
    }
    promotion
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_changes_wait_for_their_campaigns_approval() {
    let (_sqlite, state, user) = state_requiring_approval().await;
    assert_eq!(figurine_price(&state), dec!(19.99));
    let stored = state
        .store
        .get(Kind::Promotion, "marvel-20")
        .await
        .unwrap()
        .unwrap();
    let served = state.publisher.current().model.promotions["marvel-20"].clone();

    // A live campaign's promotion: kept in the campaign's request, not served.
    let change = Change::Update(
        Document::Promotion(Box::new(with_percent(&served, dec!(30)))),
        stored.version,
    );
    let Saved::Proposed(request) = save(&state, &user, change).await.unwrap() else {
        panic!("written at once");
    };
    assert_eq!(request.campaign_id, "lancement-marvel");
    assert_eq!(figurine_price(&state), dec!(19.99));
    let proposal = proposed(&state, "lancement-marvel", Kind::Promotion, "marvel-20")
        .await
        .unwrap()
        .expect("the proposal");
    assert_eq!(proposal.base_version, Some(stored.version));
    assert_eq!(proposal.body.as_ref().unwrap()["offer"]["percent"], "30");

    // Edited again from the proposal (the version it was made from), and a new promotion.
    let change = Change::Update(
        Document::Promotion(Box::new(with_percent(&served, dec!(40)))),
        stored.version,
    );
    assert!(matches!(
        save(&state, &user, change).await.unwrap(),
        Saved::Proposed(_)
    ));
    let mut new = with_percent(&served, dec!(5));
    new.id = "marvel-5".into();
    let saved = save(
        &state,
        &user,
        Change::Create(Document::Promotion(Box::new(new.clone()))),
    )
    .await
    .unwrap();
    let Saved::Proposed(request) = saved else {
        panic!("written at once");
    };
    assert_eq!(request.documents.len(), 2);
    // A stale version and a bad document are refused as a write would refuse them.
    let stale = Change::Update(
        Document::Promotion(Box::new(with_percent(&served, dec!(10)))),
        stored.version + 7,
    );
    assert!(matches!(
        save(&state, &user, stale).await,
        Err(ApiError::PreconditionFailed { .. })
    ));
    let bad = Change::Update(
        Document::Promotion(Box::new(with_percent(&served, dec!(140)))),
        stored.version,
    );
    assert!(matches!(
        save(&state, &user, bad).await,
        Err(ApiError::Validation(_))
    ));
    // Deleting what only the request creates takes it out of the request.
    let Saved::Proposed(request) = save(
        &state,
        &user,
        Change::Delete(Kind::Promotion, "marvel-5".into(), 0),
    )
    .await
    .unwrap() else {
        panic!("written at once");
    };
    assert_eq!(request.documents.len(), 1);
    assert!(
        state
            .store
            .get(Kind::Promotion, "marvel-5")
            .await
            .unwrap()
            .is_none()
    );

    // A promotion without a campaign is written at once.
    let mut loose = new.clone();
    loose.id = "sans-campagne".into();
    loose.campaign = None;
    assert!(matches!(
        save(
            &state,
            &user,
            Change::Create(Document::Promotion(Box::new(loose)))
        )
        .await
        .unwrap(),
        Saved::Written(_)
    ));
    // Served at once: its 5 % after the launch's 20 %, 19.99 → 18.99.
    assert_eq!(figurine_price(&state), dec!(18.99));

    // Approved: served.
    let actor = Actor("user:approver".into());
    let at = now_millis();
    let act = |user: &'static str| Act {
        actor: &actor,
        user,
        at,
    };
    state
        .store
        .submit_change_request(act("someone"), &request.id)
        .await
        .unwrap();
    state
        .store
        .approve_change_request(act("approver"), &request.id, None, None)
        .await
        .unwrap();
    crate::routes::refresh(&state).await.unwrap();
    // 24.99 − 40 % = 14.99, then − 5 % = 14.24.
    assert_eq!(figurine_price(&state), dec!(14.24));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_campaign_and_its_promotions_are_written_at_once() {
    let (_sqlite, state, user) = state_requiring_approval().await;
    let campaign = Campaign {
        id: "brouillon".into(),
        name: "Brouillon".into(),
        kind: crate::documents::CampaignKind::Normal,
        status: CampaignStatus::Draft,
        starts_at: None,
        ends_at: None,
        channels: Vec::new(),
        season: None,
        budget: None,
        banners: Vec::new(),
        labels: Vec::new(),
        landing_page: None,
    };
    let saved = save(
        &state,
        &user,
        Change::Create(Document::Campaign(campaign.clone())),
    )
    .await
    .unwrap();
    assert!(matches!(saved, Saved::Written(_)));
    let mut promotion = with_percent(
        &state.publisher.current().model.promotions["marvel-20"],
        dec!(50),
    );
    promotion.id = "brouillon-50".into();
    promotion.campaign = Some("brouillon".into());
    let saved = save(
        &state,
        &user,
        Change::Create(Document::Promotion(Box::new(promotion))),
    )
    .await
    .unwrap();
    assert!(matches!(saved, Saved::Written(_)));
    // Making it active is going live: that waits.
    let mut live = campaign.clone();
    live.status = CampaignStatus::Active;
    let saved = save(&state, &user, Change::Update(Document::Campaign(live), 1))
        .await
        .unwrap();
    assert!(matches!(saved, Saved::Proposed(_)));
    let stored = state
        .store
        .get(Kind::Campaign, "brouillon")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_deref(), Some("draft"));
    // A new campaign created active: a draft written, its going live proposed.
    let mut active = campaign;
    active.id = "directe".into();
    active.status = CampaignStatus::Active;
    let saved = save(&state, &user, Change::Create(Document::Campaign(active)))
        .await
        .unwrap();
    let Saved::Proposed(request) = saved else {
        panic!("written live");
    };
    assert_eq!(request.campaign_id, "directe");
    let stored = state
        .store
        .get(Kind::Campaign, "directe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_deref(), Some("draft"));
    let _: &dyn Store = state.store.as_ref();
}
