//! The home page: campaigns live and starting soon, waiting for approval, my tasks, today's
//! redemptions.

use std::str::FromStr;

use jiff::{Timestamp, ToSpan};
use remise_server::demo::MANAGEMENT_KEY;
use remise_store::{
    Act, Actor, CodeState, Importance, NewTask, PromotionLimits, ReserveRequest, Role, Voucher,
    now_millis,
};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;

use crate::simulator::page;
use crate::support::{OfficeApp, spawn};

/// A campaign whose dates are `starts` and `ends` hours from now.
async fn campaign(app: &OfficeApp, id: &str, status: &str, starts: i64, ends: i64) {
    let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let at = |hours: i64| {
        Timestamp::now()
            .checked_add(hours.hours())
            .unwrap()
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let response = app
        .client
        .post(app.url("/v1/campaigns"))
        .bearer_auth(MANAGEMENT_KEY)
        .json(&json!({
            "id": id,
            "name": format!("Campagne {id}"),
            "status": status,
            "starts_at": at(starts),
            "ends_at": at(ends),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
}

fn reservation(id: &str, code: &str) -> ReserveRequest {
    let now = now_millis();
    ReserveRequest {
        id: id.to_owned(),
        code: code.to_owned(),
        customer: Some(format!("customer-{id}")),
        groups: Vec::new(),
        order_id: format!("order-{id}"),
        idempotency_key: format!("key-{id}"),
        api_key: "key_shop".to_owned(),
        now,
        expires_at: now + 600_000,
        promotion_limits: PromotionLimits::default(),
    }
}

/// The section whose heading has `id`, up to the next one.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

#[tokio::test]
async fn campaigns_live_and_soon_and_todays_redemptions() {
    let app = spawn().await;
    campaign(&app, "en-cours", "active", -24, 72).await;
    campaign(&app, "bientot", "draft", 5 * 24, 10 * 24).await;
    campaign(&app, "bientot-active", "active", 24, 48).await;
    campaign(&app, "plus-tard", "active", 30 * 24, 40 * 24).await;
    campaign(&app, "finie", "active", -72, -24).await;
    // Two redemptions confirmed today, one of them a voucher's; one only reserved.
    let store = &app.store;
    let actor = Actor("tester".to_owned());
    store
        .reserve(&reservation("r1", "MARVEL10"))
        .await
        .unwrap()
        .unwrap();
    store.confirm("r1", now_millis()).await.unwrap().unwrap();
    store
        .create_voucher(
            &actor,
            &Voucher {
                code: "CADEAU50".to_owned(),
                display: "CADEAU50".to_owned(),
                amount: Decimal::from(50),
                balance: Decimal::from(50),
                keeps_balance: true,
                customers: Vec::new(),
                skus: Vec::new(),
                selections: Vec::new(),
                starts_at: None,
                ends_at: None,
                state: CodeState::Available,
                created_at: now_millis(),
            },
        )
        .await
        .unwrap();
    store
        .reserve_voucher(
            &reservation("r2", "CADEAU50"),
            Decimal::from_str("12.50").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    store.confirm("r2", now_millis()).await.unwrap().unwrap();
    store
        .reserve(&reservation("r3", "MARVEL10"))
        .await
        .unwrap()
        .unwrap();

    // A change request waiting for approval, another still being edited.
    let marketer = app.user(Role::Marketer).await;
    let viewer_user = app.user(Role::Viewer).await;
    let by_marketer = Actor(format!("user:{}", marketer.email));
    let act = || Act {
        actor: &by_marketer,
        user: &marketer.id,
        at: now_millis(),
    };
    store
        .open_change_request(act(), "cr-1", "lancement-marvel")
        .await
        .unwrap();
    store.submit_change_request(act(), "cr-1").await.unwrap();
    store
        .open_change_request(act(), "cr-2", "permanent")
        .await
        .unwrap();
    // The viewer's tasks: one overdue, one due later; and someone else's.
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date();
    for (id, description, deadline, assignee, importance) in [
        (
            "t1",
            "Relire la bannière de Noël",
            today.checked_add(3.days()).unwrap(),
            &viewer_user.id,
            Importance::Normal,
        ),
        (
            "t2",
            "Vérifier les prix des figurines",
            today.checked_sub(2.days()).unwrap(),
            &viewer_user.id,
            Importance::High,
        ),
        (
            "t3",
            "Tâche de quelqu'un d'autre",
            today,
            &marketer.id,
            Importance::Low,
        ),
    ] {
        store
            .create_task(
                act(),
                &NewTask {
                    id: id.to_owned(),
                    description: description.to_owned(),
                    deadline: Some(deadline),
                    importance,
                    assignee: assignee.clone(),
                    attachment: None,
                },
                None,
            )
            .await
            .unwrap();
    }

    let viewer = app.visitor(Role::Viewer).await;
    let (status, fr) = page(&app, &viewer, "/office", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("Bonjour, Louis Lecteur"));
    let live = section(&fr, "home-live");
    assert!(
        live.contains("href=\"/office/campaigns/en-cours\""),
        "{live}"
    );
    assert!(
        live.contains("Avantages permanents</a> — permanente"),
        "{live}"
    );
    for absent in ["bientot", "plus-tard", "finie"] {
        assert!(!live.contains(absent), "{absent}: {live}");
    }
    let soon = section(&fr, "home-soon");
    assert!(
        soon.contains("Campagne bientot-active</a> — à partir du"),
        "{soon}"
    );
    assert!(
        soon.contains("Campagne bientot</a> — à partir du"),
        "{soon}"
    );
    assert!(soon.contains("brouillon"));
    // Soonest first.
    assert!(soon.find("bientot-active").unwrap() < soon.find("/bientot\"").unwrap());
    for absent in ["plus-tard", "finie", "en-cours"] {
        assert!(!soon.contains(absent), "{absent}: {soon}");
    }
    let approvals = section(&fr, "home-approvals");
    assert!(
        approvals.contains("<a href=\"/office/campaigns/lancement-marvel\">Lancement de la gamme Marvel</a> — soumise par Marc Marketeur le"),
        "{approvals}"
    );
    assert!(
        !approvals.contains("Avantages permanents"),
        "still being edited"
    );
    let tasks = section(&fr, "home-tasks");
    assert!(!tasks.contains("quelqu&#39;un d&#39;autre"), "{tasks}");
    let overdue = tasks.find("Vérifier les prix des figurines").unwrap();
    assert!(
        overdue < tasks.find("Relire la bannière").unwrap(),
        "overdue first: {tasks}"
    );
    assert!(
        tasks.contains(
            "<li class=\"overdue\"><span class=\"badge bad\">en retard</span> Vérifier les prix"
        ),
        "{tasks}"
    );
    assert!(tasks.contains("importante"));
    let redemptions = section(&fr, "home-redemptions");
    assert!(
        redemptions.contains("2 utilisation(s) confirmée(s)"),
        "{redemptions}"
    );
    assert!(
        redemptions.contains("dont 1 bon(s) d&#39;achat, pour 12,50\u{a0}€"),
        "{redemptions}"
    );

    let (_, en) = page(&app, &viewer, "/office", "en").await;
    assert!(en.contains("Hello, Louis Lecteur"));
    assert!(section(&en, "home-live").contains("Campagne en-cours</a> — until"));
    assert!(section(&en, "home-soon").contains("Campaigns starting in the next 14 days"));
    assert!(section(&en, "home-approvals").contains("submitted by Marc Marketeur on"));
    assert!(section(&en, "home-tasks").contains("overdue</span> Vérifier"));
    assert!(section(&en, "home-redemptions").contains("of which 1 voucher(s), for €12.50"));
}
