//! Relays, distributions and their e-mail through the API, with a real SMTP server on loopback;
//! usage figures and CSV exports.

use std::time::Duration;

use remise_server::mail::{MailConfig, MailSettings};
use remise_test_support::smtp::SmtpSink;
use serde_json::{Value, json};

use crate::support::{MANAGEMENT, STOREFRONT, spawn_app_with_mail};

async fn setup(app: &crate::support::TestApp) {
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &json!({
            "id": "giardino", "name": "Giardino", "conditions": {"coupon": {"codes": []}},
            "targets": {"all": true}, "offer": {"type": "cart_amount_off", "amount": "20.00"}
        }),
    )
    .await
    .expect(201);
    app.post(
        "/v1/batches",
        MANAGEMENT,
        &json!({ "id": "ot", "promotion": "giardino", "quota": 30, "prefix": "OT-" }),
    )
    .await
    .expect(201);
    app.post(
        "/v1/relays",
        MANAGEMENT,
        &json!({ "id": "ot-annecy", "name": "Office du Tourisme d'Annecy",
                 "email": "codes@ot-annecy.example", "language": "fr" }),
    )
    .await
    .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_codes_are_mailed_to_the_relay_and_counted() {
    let sink = SmtpSink::start().await.expect("an SMTP sink");
    let config = MailConfig::from_options(
        Some("127.0.0.1".to_owned()),
        Some(sink.port()),
        None,
        Some("Remise <codes@remise.example>".to_owned()),
    );
    let app = spawn_app_with_mail(MailSettings::new(config)).await;
    setup(&app).await;

    // A bad relay, a bad count, too many codes: refused, nothing distributed.
    app.post(
        "/v1/relays",
        MANAGEMENT,
        &json!({ "id": "x", "name": "X", "email": "not-an-address" }),
    )
    .await
    .expect_problem(422, Some("email"));
    app.post(
        "/v1/batches/ot/distributions",
        MANAGEMENT,
        &json!({ "relay": "nobody", "count": 5 }),
    )
    .await
    .expect_problem(422, Some("relay"));
    app.post(
        "/v1/batches/ot/distributions",
        MANAGEMENT,
        &json!({ "relay": "ot-annecy", "count": 31 }),
    )
    .await
    .expect(409);
    app.post(
        "/v1/batches/ot/distributions",
        STOREFRONT,
        &json!({ "relay": "ot-annecy", "count": 5 }),
    )
    .await
    .expect(403);

    let created = app
        .post(
            "/v1/batches/ot/distributions",
            MANAGEMENT,
            &json!({ "relay": "ot-annecy", "count": 12 }),
        )
        .await;
    created.expect(201);
    let distribution = created.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(created.body["count"], 12);

    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1, "one mail per distribution");
    let mail = &mails[0];
    assert_eq!(mail.recipients, vec!["codes@ot-annecy.example".to_owned()]);
    let text = mail.text();
    assert!(text.contains(&format!("<{distribution}@remise>")), "{text}");
    assert!(text.contains("codes-ot.csv"), "{text}");

    // The codes marked distributed to the relay are the ones in the mail.
    let codes = app.get("/v1/coupons?batch=ot&limit=100", MANAGEMENT).await;
    codes.expect(200);
    let distributed: Vec<&Value> = codes.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["state"] == "distributed")
        .collect();
    assert_eq!(distributed.len(), 12);
    for code in &distributed {
        assert_eq!(code["relay"], "ot-annecy");
    }

    // The outbox says sent; another distribution of the rest works, then none is left.
    let mut sent = false;
    for _ in 0..50 {
        let outbox = app.get("/v1/outbox?state=sent", MANAGEMENT).await;
        outbox.expect(200);
        if outbox.body["items"]
            .as_array()
            .is_some_and(|i| i.len() == 1)
        {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sent, "the outbox shows the mail sent");
    app.post(
        "/v1/batches/ot/distributions",
        MANAGEMENT,
        &json!({ "relay": "ot-annecy", "count": 18 }),
    )
    .await
    .expect(201);
    app.post(
        "/v1/batches/ot/distributions",
        MANAGEMENT,
        &json!({ "relay": "ot-annecy", "count": 1 }),
    )
    .await
    .expect(409);
    assert_eq!(sink.wait_for(2, Duration::from_secs(10)).await.len(), 2);

    // Usage: a distributed code reserved and confirmed counts for the batch and the relay.
    let code = distributed[0]["code"].as_str().expect("a code").to_owned();
    let reserved = app
        .post(
            "/v1/redemptions",
            STOREFRONT,
            &json!({ "code": code, "customer": "C-1", "order_id": "SO-1", "idempotency_key": "K-1" }),
        )
        .await;
    reserved.expect(201);
    let id = reserved.body["id"].as_str().expect("an id").to_owned();
    app.post(
        &format!("/v1/redemptions/{id}/confirm"),
        STOREFRONT,
        &json!({}),
    )
    .await
    .expect(200);
    let usage = app.get("/v1/batches/ot/usage", MANAGEMENT).await;
    usage.expect(200);
    assert_eq!(usage.body["counts"]["generated"], 30);
    assert_eq!(usage.body["counts"]["distributed"], 30);
    assert_eq!(usage.body["counts"]["redeemed"], 1);
    assert_eq!(usage.body["per_day"].as_array().map(Vec::len), Some(1));
    assert_eq!(usage.body["per_day"][0]["confirmed"], 1);
    assert_eq!(
        usage.body["distributions"].as_array().map(Vec::len),
        Some(2)
    );
    let relay = app.get("/v1/relays/ot-annecy/usage", MANAGEMENT).await;
    relay.expect(200);
    assert_eq!(relay.body["counts"]["distributed"], 30);
    assert_eq!(relay.body["counts"]["redeemed"], 1);

    // CSV exports.
    let export = app.get("/v1/exports/codes?batch=ot", MANAGEMENT).await;
    export.expect(200);
    assert!(
        export.content_type().starts_with("text/csv"),
        "{}",
        export.content_type()
    );
    assert_eq!(export.text.lines().count(), 31, "a header and 30 codes");
    assert!(
        export
            .text
            .starts_with("code,promotion,batch,state,relay,created_at")
    );
    assert_eq!(export.text.matches(",distributed,ot-annecy,").count(), 30);
    let redemptions = app
        .get("/v1/exports/redemptions?relay=ot-annecy", MANAGEMENT)
        .await;
    redemptions.expect(200);
    assert_eq!(redemptions.text.lines().count(), 2, "{}", redemptions.text);
    assert!(
        redemptions.text.contains(",confirmed,"),
        "{}",
        redemptions.text
    );
}
