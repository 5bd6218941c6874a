//! Management beyond plain CRUD: changes reaching the storefront, campaign life cycles,
//! references between documents, settings, and evaluations running alongside writes.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::support::{
    MANAGEMENT, STOREFRONT, TestApp, cart, dec, line, percent_off, spawn_app, toyshop_cart,
};

/// Sets a campaign's status through the API (read, change, replace with its version).
async fn set_campaign_status(app: &TestApp, id: &str, status: &str) -> crate::support::Reply {
    let path = format!("/v1/campaigns/{id}");
    let current = app.get(&path, MANAGEMENT).await;
    current.expect(200);
    let mut body = current.body["data"].clone();
    body["status"] = json!(status);
    app.put(&path, MANAGEMENT, &body, Some(current.etag()))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_promotion_applies_until_deleted_and_again_once_restored() {
    let app = spawn_app().await;
    let uno = cart(&[("GAME-UNO", 1)]);
    assert_eq!(app.promotion_status(&uno, "uno-half").await, None);

    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off("uno-half", "GAME-UNO", 50, None),
    )
    .await
    .expect(201);
    let quote = app.evaluate(&uno).await;
    quote.expect(200);
    let l1 = line(&quote.body, "L1");
    assert_eq!(l1["catalog_promotion"], "uno-half", "{}", quote.text);
    // 50 % of 9.99 is 4.995: the discount rounds to 5.00.
    assert_eq!(l1["catalog_unit_price"], "4.99");
    assert_eq!(dec(&l1["amount"]), dec(&json!("4.99")));
    assert_eq!(
        crate::support::promotion_status(&quote.body, "uno-half").as_deref(),
        Some("applied")
    );

    app.delete("/v1/promotions/uno-half", MANAGEMENT, Some(1))
        .await
        .expect(200);
    let quote = app.evaluate(&uno).await;
    assert_eq!(
        crate::support::promotion_status(&quote.body, "uno-half"),
        None
    );
    assert_eq!(line(&quote.body, "L1")["amount"], "9.99");

    app.send(app.with_key(
        reqwest::Method::POST,
        "/v1/promotions/uno-half/restore",
        MANAGEMENT,
    ))
    .await
    .expect(200);
    assert_eq!(
        app.promotion_status(&uno, "uno-half").await.as_deref(),
        Some("applied")
    );

    // An update reaches the next evaluation too.
    let mut quarter = percent_off("uno-half", "GAME-UNO", 25, None);
    quarter["name"] = json!("UNO -25 %");
    app.put("/v1/promotions/uno-half", MANAGEMENT, &quarter, Some(3))
        .await
        .expect(200);
    let quote = app.evaluate(&uno).await;
    assert_eq!(line(&quote.body, "L1")["catalog_unit_price"], "7.49");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_a_campaign_withdraws_its_promotions_and_its_landing_page() {
    let app = spawn_app().await;
    let piles = cart(&[("PILES-AA", 1)]);
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off("piles-half", "PILES-AA", 50, Some("permanent")),
    )
    .await
    .expect(201);
    assert_eq!(
        app.promotion_status(&piles, "piles-half").await.as_deref(),
        Some("applied")
    );

    set_campaign_status(&app, "permanent", "paused")
        .await
        .expect(200);
    assert_eq!(app.promotion_status(&piles, "piles-half").await, None);
    assert_eq!(
        app.promotion_status(&piles, "livraison-offerte-50").await,
        None
    );
    set_campaign_status(&app, "permanent", "active")
        .await
        .expect(200);
    assert_eq!(
        app.promotion_status(&piles, "piles-half").await.as_deref(),
        Some("applied")
    );

    // The Marvel launch: its prices and its landing page go with it.
    let spiderman = cart(&[("FIG-SPIDERMAN", 1)]);
    let landing = "/v1/landing/univers-spider-man?channel=web&at=2026-12-05T10:00:00%2B01:00";
    app.get(landing, STOREFRONT).await.expect(200);
    set_campaign_status(&app, "lancement-marvel", "paused")
        .await
        .expect(200);
    let quote = app.evaluate(&spiderman).await;
    assert_eq!(line(&quote.body, "L1")["catalog_unit_price"], "24.99");
    assert_eq!(
        crate::support::promotion_status(&quote.body, "marvel-20"),
        None
    );
    app.get(landing, STOREFRONT).await.expect(404);
    set_campaign_status(&app, "lancement-marvel", "active")
        .await
        .expect(200);
    let quote = app.evaluate(&spiderman).await;
    assert_eq!(line(&quote.body, "L1")["catalog_unit_price"], "19.99");
    app.get(landing, STOREFRONT).await.expect(200);

    // Deleting the campaign withdraws them too; restoring brings them back.
    let current = app.get("/v1/campaigns/lancement-marvel", MANAGEMENT).await;
    app.delete(
        "/v1/campaigns/lancement-marvel",
        MANAGEMENT,
        Some(current.etag()),
    )
    .await
    .expect(200);
    assert_eq!(app.promotion_status(&spiderman, "marvel-20").await, None);
    // A promotion of a deleted campaign cannot come back before its campaign.
    app.delete("/v1/promotions/marvel-20", MANAGEMENT, Some(1))
        .await
        .expect(200);
    let refused = app
        .send(app.with_key(
            reqwest::Method::POST,
            "/v1/promotions/marvel-20/restore",
            MANAGEMENT,
        ))
        .await;
    refused.expect(409);
    assert!(
        refused.text.contains("lancement-marvel"),
        "{}",
        refused.text
    );
    app.send(app.with_key(
        reqwest::Method::POST,
        "/v1/campaigns/lancement-marvel/restore",
        MANAGEMENT,
    ))
    .await
    .expect(200);
    app.send(app.with_key(
        reqwest::Method::POST,
        "/v1/promotions/marvel-20/restore",
        MANAGEMENT,
    ))
    .await
    .expect(200);
    assert_eq!(
        app.promotion_status(&spiderman, "marvel-20")
            .await
            .as_deref(),
        Some("applied")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_status_follows_its_life_cycle() {
    let app = spawn_app().await;
    let refused = set_campaign_status(&app, "black-friday-2026", "draft").await;
    refused.expect_problem(422, Some("status"));
    assert!(refused.text.contains("paused or ended"), "{}", refused.text);
    assert_eq!(
        app.get("/v1/campaigns/black-friday-2026", MANAGEMENT)
            .await
            .etag(),
        1
    );

    for (status, allowed) in [
        ("paused", true),
        ("draft", false),
        ("active", true),
        ("ended", true),
        ("active", false),
        ("paused", false),
        ("archived", true),
        ("active", false),
        ("ended", false),
        ("draft", false),
    ] {
        let reply = set_campaign_status(&app, "black-friday-2026", status).await;
        if allowed {
            reply.expect(200);
            assert_eq!(reply.body["data"]["status"], status);
        } else {
            reply.expect_problem(422, Some("status"));
        }
    }
    let archived = app.get("/v1/campaigns?status=archived", MANAGEMENT).await;
    assert_eq!(archived.ids(), ["black-friday-2026"]);

    // A draft may start or be archived, not pause.
    let draft = json!({ "id": "next-season", "name": "Next season", "status": "draft" });
    app.post("/v1/campaigns", MANAGEMENT, &draft)
        .await
        .expect(201);
    set_campaign_status(&app, "next-season", "paused")
        .await
        .expect_problem(422, Some("status"));
    set_campaign_status(&app, "next-season", "active")
        .await
        .expect(200);
    // Keeping the status is always allowed.
    set_campaign_status(&app, "next-season", "active")
        .await
        .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_and_campaign_fields_are_checked() {
    let app = spawn_app().await;
    let mut promotion = percent_off("orphan", "GAME-UNO", 10, Some("no-such-campaign"));
    app.post("/v1/promotions", MANAGEMENT, &promotion)
        .await
        .expect_problem(422, Some("campaign"));
    promotion = percent_off("orphan", "GAME-UNO", 10, None);
    promotion["targets"] = json!({ "segments": ["no-such-segment"] });
    app.post("/v1/promotions", MANAGEMENT, &promotion)
        .await
        .expect_problem(422, Some("targets.segments[0]"));
    promotion["campaign"] = json!("no-such-campaign");
    let both = app.post("/v1/promotions", MANAGEMENT, &promotion).await;
    both.expect(422);
    assert_eq!(both.error_fields(), ["campaign", "targets.segments[0]"]);
    app.get("/v1/promotions/orphan", MANAGEMENT)
        .await
        .expect(404);

    // The same checks on a replacement, which leaves the stored version alone.
    let current = app.get("/v1/promotions/marvel-20", MANAGEMENT).await;
    let mut broken = current.body["data"].clone();
    broken["campaign"] = json!("no-such-campaign");
    app.put("/v1/promotions/marvel-20", MANAGEMENT, &broken, Some(1))
        .await
        .expect_problem(422, Some("campaign"));
    assert_eq!(
        app.get("/v1/promotions/marvel-20", MANAGEMENT).await.body,
        current.body
    );

    let product = json!({ "sku": "NEW-1", "name": "New", "price": "5.00", "segments": ["nope"] });
    app.post("/v1/products", MANAGEMENT, &product)
        .await
        .expect_problem(422, Some("segments[0]"));

    let campaigns = [
        (
            json!({ "id": "c1", "kind": "permanent", "ends_at": "2027-01-01T00:00:00" }),
            "ends_at",
        ),
        (
            json!({ "id": "c2", "starts_at": "2027-01-02T00:00:00", "ends_at": "2027-01-01T00:00:00" }),
            "ends_at",
        ),
        (
            json!({ "id": "c3", "starts_at": "next tuesday" }),
            "starts_at",
        ),
        (
            json!({ "id": "c4", "landing_page": { "slug": "x", "title": "X", "selection": "nope" } }),
            "landing_page.selection",
        ),
        (
            json!({ "id": "c5", "landing_page": { "slug": "univers-spider-man", "title": "X", "selection": "spiderman" } }),
            "landing_page.slug",
        ),
        (
            json!({ "id": "c6", "landing_page": { "slug": "Not A Slug", "title": "X", "selection": "spiderman" } }),
            "landing_page.slug",
        ),
        (json!({ "id": "c7", "budget": "-1" }), "budget"),
        (json!({ "id": "has space" }), "id"),
    ];
    for (body, field) in campaigns {
        let reply = app.post("/v1/campaigns", MANAGEMENT, &body).await;
        reply.expect(422);
        assert!(
            reply.error_fields().iter().any(|f| f == field),
            "{body} should fail on {field}: {}",
            reply.text
        );
    }
    let campaigns = app.get("/v1/campaigns", MANAGEMENT).await;
    assert_eq!(
        campaigns.ids().len(),
        5,
        "nothing was created: {}",
        campaigns.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_read_and_replaced() {
    let app = spawn_app().await;
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    settings.expect(200);
    assert_eq!(settings.etag(), 1);
    assert_eq!(settings.body["id"], "store");
    let data = &settings.body["data"];
    assert_eq!(data["currency"], "EUR");
    assert_eq!(data["time_zone"], "Europe/Paris");
    assert_eq!(data["strategy"], "priority");
    assert_eq!(data["prices_include_tax"], true);

    let mut best = data.clone();
    best["strategy"] = json!("best_for_customer");
    app.put("/v1/settings", MANAGEMENT, &best, None)
        .await
        .expect(428);
    let replaced = app.put("/v1/settings", MANAGEMENT, &best, Some(1)).await;
    replaced.expect(200);
    assert_eq!(replaced.etag(), 2);
    assert_eq!(replaced.body["data"]["strategy"], "best_for_customer");
    let quote = app.evaluate(&toyshop_cart()).await;
    quote.expect(200);
    assert_eq!(quote.body["strategy"], "best_for_customer");
    app.put("/v1/settings", MANAGEMENT, &best, Some(1))
        .await
        .expect(412);

    // Refused changes leave the settings as they are.
    let mut bad = best.clone();
    bad["currency"] = json!("XYZ");
    app.put("/v1/settings", MANAGEMENT, &bad, Some(2))
        .await
        .expect_problem(422, Some("currency"));
    let mut bad = best.clone();
    bad["time_zone"] = json!("Mars/Olympus_Mons");
    app.put("/v1/settings", MANAGEMENT, &bad, Some(2))
        .await
        .expect_problem(422, Some("time_zone"));
    let mut bad = best.clone();
    bad["colour"] = json!("blue");
    app.put("/v1/settings", MANAGEMENT, &bad, Some(2))
        .await
        .expect_problem(400, Some("colour"));
    let mut bad = best.clone();
    bad["strategy"] = json!("cheapest");
    app.put("/v1/settings", MANAGEMENT, &bad, Some(2))
        .await
        .expect_problem(400, Some("strategy"));
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    assert_eq!(settings.etag(), 2);
    assert_eq!(settings.body["data"]["currency"], "EUR");

    // The envelope's id may be sent back with the data.
    let mut with_id = best.clone();
    with_id["id"] = json!("store");
    with_id["strategy"] = json!("priority");
    app.put("/v1/settings", MANAGEMENT, &with_id, Some(2))
        .await
        .expect(200);
    let quote = app.evaluate(&toyshop_cart()).await;
    assert_eq!(quote.body["strategy"], "priority");
    // There is one settings document: no list, no delete.
    app.delete("/v1/settings", MANAGEMENT, Some(3))
        .await
        .expect(405);
}

/// Evaluations running while a promotion is rewritten all succeed, and each sees one version of
/// it, never a mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluations_run_on_whole_snapshots_while_writes_go_on() {
    let app = std::sync::Arc::new(spawn_app().await);
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off("flip", "GAME-UNO", 10, None),
    )
    .await
    .expect(201);
    let uno = cart(&[("GAME-UNO", 1)]);

    let mut evaluations = JoinSet::new();
    for _ in 0..200 {
        let app = app.clone();
        let uno = uno.clone();
        evaluations.spawn(async move {
            let reply = app.evaluate(&uno).await;
            reply.expect(200);
            line(&reply.body, "L1")["catalog_unit_price"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
    }
    let writer = {
        let app = app.clone();
        tokio::spawn(async move {
            for version in 1..=20_i64 {
                let percent = if version % 2 == 1 { 20 } else { 10 };
                let body = percent_off("flip", "GAME-UNO", percent, None);
                let reply = app
                    .put("/v1/promotions/flip", MANAGEMENT, &body, Some(version))
                    .await;
                reply.expect(200);
                assert_eq!(reply.etag(), version + 1);
            }
        })
    };
    let mut prices = BTreeSet::new();
    while let Some(result) = evaluations.join_next().await {
        prices.insert(result.expect("an evaluation task"));
    }
    writer.await.expect("the writer");
    // 10 % or 20 % off 9.99: nothing else.
    let allowed: BTreeSet<String> = ["8.99", "7.99"].iter().map(|s| (*s).to_owned()).collect();
    assert!(prices.is_subset(&allowed), "{prices:?}");
    // The last write (version 20 → 21, 10 %) is what is served now.
    let quote = app.evaluate(&uno).await;
    assert_eq!(line(&quote.body, "L1")["catalog_unit_price"], "8.99");
    let reply: Value = app.get("/v1/promotions/flip", MANAGEMENT).await.body;
    assert_eq!(reply["version"], 21);
}
