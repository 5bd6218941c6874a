//! The generic CRUD of every managed collection: create, read, replace with `If-Match`, list
//! with pages and filters, delete (soft or hard) and restore.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{DEMO_SKUS, MANAGEMENT, TestApp, cart, percent_off, spawn_app};

/// One collection and a document to run through it.
pub struct Spec {
    pub collection: &'static str,
    pub id_field: &'static str,
    pub id: &'static str,
    /// Campaigns, promotions and offers are soft-deleted (and restorable).
    pub soft: bool,
    pub body: Value,
    /// A field to change, and its new value as stored.
    pub change: (&'static str, Value),
}

pub fn spec(collection: &'static str) -> Spec {
    let (id_field, id, soft, body, change) = match collection {
        "products" => (
            "sku",
            "TEST-SKU",
            false,
            json!({ "sku": "TEST-SKU", "name": "Test product", "price": "12.00", "tax_rate": "0.20", "segments": ["jeux"] }),
            ("price", json!("11.50")),
        ),
        "segments" => (
            "id",
            "test-segment",
            false,
            json!({ "id": "test-segment", "name": "Test segment", "parent": "jeux" }),
            ("name", json!("Renamed segment")),
        ),
        "selections" => (
            "id",
            "test-selection",
            false,
            json!({ "id": "test-selection", "name": "Test selection", "skus": ["GAME-UNO", "PILES-AA"] }),
            ("skus", json!(["PILES-AA"])),
        ),
        "customer-groups" => (
            "id",
            "vip",
            false,
            json!({ "id": "vip", "name": "VIP", "display": "gross" }),
            ("display", json!("net")),
        ),
        "campaigns" => (
            "id",
            "test-campaign",
            true,
            json!({
                "id": "test-campaign", "name": "Test campaign", "status": "draft",
                "starts_at": "2026-12-01T00:00:00", "ends_at": "2026-12-31T00:00:00",
            }),
            ("name", json!("Renamed campaign")),
        ),
        "promotions" => (
            "id",
            "test-promotion",
            true,
            percent_off("test-promotion", "GAME-UNO", 5, None),
            ("name", json!("Renamed promotion")),
        ),
        "offers" => (
            "code",
            "TESTOFFER",
            true,
            json!({
                "code": "TESTOFFER", "title": "Test offer", "type": "commercial",
                "scope": { "group": "cantines" },
                "commitments": [{ "number": 1, "discounts": [
                    { "code": "R1", "sku": "GAME-UNO", "price": "7.00" }
                ] }],
            }),
            ("title", json!("Renamed offer")),
        ),
        other => panic!("no collection {other}"),
    };
    Spec {
        collection,
        id_field,
        id,
        soft,
        body,
        change,
    }
}

/// Create, duplicate, read, replace (fresh, stale, without `If-Match`, mismatched id), delete
/// and, for soft-deleted kinds, restore.
pub async fn crud_round_trip(app: &TestApp, spec: &Spec) {
    let base = format!("/v1/{}", spec.collection);
    let item = format!("{base}/{}", spec.id);
    let (field, new_value) = (spec.change.0, &spec.change.1);

    // Create.
    let created = app.post(&base, MANAGEMENT, &spec.body).await;
    created.expect(201);
    assert_eq!(created.header("location"), Some(item.as_str()));
    assert_eq!(created.etag(), 1);
    assert_eq!(created.body["id"], spec.id);
    assert_eq!(created.body["version"], 1);
    assert!(created.body["deleted_at"].is_null());
    assert!(created.body["created_at"].is_string());
    assert_eq!(created.body["data"][spec.id_field], spec.id);
    for (key, value) in spec.body.as_object().expect("an object") {
        // Promotions are stored with every default filled in.
        if key != "offer" && key != "targets" {
            assert_eq!(
                &created.body["data"][key], value,
                "stored {key}: {}",
                created.text
            );
        }
    }
    let conflict = app.post(&base, MANAGEMENT, &spec.body).await;
    conflict.expect(409);
    assert_eq!(conflict.body["type"], "/problems/conflict");

    // Read and list.
    let read = app.get(&item, MANAGEMENT).await;
    read.expect(200);
    assert_eq!(read.etag(), 1);
    assert_eq!(read.body, created.body);
    assert!(
        app.list_all(spec.collection)
            .await
            .contains(&spec.id.to_owned())
    );

    // Replace.
    let mut changed = spec.body.clone();
    changed[field] = new_value.clone();
    let updated = app.put(&item, MANAGEMENT, &changed, Some(1)).await;
    updated.expect(200);
    assert_eq!(updated.etag(), 2);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(&updated.body["data"][field], new_value);
    assert_eq!(updated.body["created_at"], created.body["created_at"]);
    let stale = app.put(&item, MANAGEMENT, &changed, Some(1)).await;
    stale.expect(412);
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(stale.body["type"], "/problems/precondition-failed");
    app.put(&item, MANAGEMENT, &changed, None)
        .await
        .expect_problem(428, None);
    let mut other_id = changed.clone();
    other_id[spec.id_field] = json!("some-other-id");
    app.put(&item, MANAGEMENT, &other_id, Some(2))
        .await
        .expect_problem(422, Some(spec.id_field));
    // The id may be left out of the body; a weak ETag is accepted.
    let mut without_id = changed.clone();
    without_id
        .as_object_mut()
        .expect("an object")
        .remove(spec.id_field);
    let weak = app
        .send(
            app.with_key(Method::PUT, &item, MANAGEMENT)
                .header("if-match", "W/\"2\"")
                .json(&without_id),
        )
        .await;
    weak.expect(200);
    assert_eq!(weak.etag(), 3);
    assert_eq!(weak.body["data"][spec.id_field], spec.id);
    let read = app.get(&item, MANAGEMENT).await;
    assert_eq!(read.etag(), 3);
    assert_eq!(&read.body["data"][field], new_value);

    // Delete.
    app.delete(&item, MANAGEMENT, None).await.expect(428);
    let stale = app.delete(&item, MANAGEMENT, Some(2)).await;
    stale.expect(412);
    assert_eq!(stale.body["current_version"], 3);
    let deleted = app.delete(&item, MANAGEMENT, Some(3)).await;
    if spec.soft {
        deleted.expect(200);
        assert_eq!(deleted.body["version"], 4);
        assert!(deleted.body["deleted_at"].is_string(), "{}", deleted.text);
        assert!(
            !app.list_all(spec.collection)
                .await
                .contains(&spec.id.to_owned())
        );
        let listed = app.get(&format!("{base}?deleted=true"), MANAGEMENT).await;
        listed.expect(200);
        assert_eq!(listed.ids(), [spec.id], "only the deleted one");
        // Still readable, marked deleted; not replaceable; its id is taken.
        let read = app.get(&item, MANAGEMENT).await;
        read.expect(200);
        assert!(read.body["deleted_at"].is_string());
        app.put(&item, MANAGEMENT, &changed, Some(4))
            .await
            .expect(404);
        app.delete(&item, MANAGEMENT, Some(4)).await.expect(404);
        let taken = app.post(&base, MANAGEMENT, &spec.body).await;
        taken.expect(409);
        assert!(taken.text.contains("restore"), "{}", taken.text);

        // Restore.
        let restored = app
            .send(app.with_key(Method::POST, &format!("{item}/restore"), MANAGEMENT))
            .await;
        restored.expect(200);
        assert_eq!(restored.body["version"], 5);
        assert_eq!(restored.etag(), 5);
        assert!(restored.body["deleted_at"].is_null());
        assert_eq!(&restored.body["data"][field], new_value);
        assert!(
            app.list_all(spec.collection)
                .await
                .contains(&spec.id.to_owned())
        );
        let listed = app.get(&format!("{base}?deleted=true"), MANAGEMENT).await;
        assert!(listed.ids().is_empty(), "{}", listed.text);
        app.send(app.with_key(Method::POST, &format!("{item}/restore"), MANAGEMENT))
            .await
            .expect(404);
    } else {
        deleted.expect(204);
        assert!(deleted.text.is_empty(), "{}", deleted.text);
        app.get(&item, MANAGEMENT).await.expect(404);
        assert!(
            !app.list_all(spec.collection)
                .await
                .contains(&spec.id.to_owned())
        );
        app.delete(&item, MANAGEMENT, Some(3)).await.expect(404);
        app.put(&item, MANAGEMENT, &changed, Some(3))
            .await
            .expect(404);
        // Gone for good: the id can be used again, from version 1.
        let again = app.post(&base, MANAGEMENT, &spec.body).await;
        again.expect(201);
        assert_eq!(again.etag(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_crud() {
    crud_round_trip(&spawn_app().await, &spec("products")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_crud() {
    crud_round_trip(&spawn_app().await, &spec("segments")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selections_crud() {
    crud_round_trip(&spawn_app().await, &spec("selections")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_groups_crud() {
    crud_round_trip(&spawn_app().await, &spec("customer-groups")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_crud() {
    crud_round_trip(&spawn_app().await, &spec("campaigns")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotions_crud() {
    crud_round_trip(&spawn_app().await, &spec("promotions")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_crud() {
    crud_round_trip(&spawn_app().await, &spec("offers")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_by_id() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut path = "/v1/products?limit=5".to_owned();
    loop {
        let page = app.get(&path, MANAGEMENT).await;
        page.expect(200);
        let ids = page.ids();
        pages.push(ids.len());
        seen.extend(ids.clone());
        match page.body["next_after"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), ids.last().map(String::as_str));
                path = format!("/v1/products?limit=5&after={next}");
            }
            None => break,
        }
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, [5, 5, 2]);
    assert_eq!(seen, DEMO_SKUS);
    // The default page holds them all, in id order.
    let all = app.get("/v1/products", MANAGEMENT).await;
    assert_eq!(all.ids(), DEMO_SKUS);
    assert!(all.body["next_after"].is_null());
    // `after` an id that sorts last: nothing.
    let empty = app.get("/v1/products?after=ZZZ", MANAGEMENT).await;
    empty.expect(200);
    assert!(empty.ids().is_empty());
    // Envelopes carry the document.
    assert_eq!(all.body["items"][0]["data"]["sku"], "BD-SPIDERMAN");
    assert_eq!(all.body["items"][0]["version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_promotions_by_campaign_and_campaigns_by_status() {
    let app = spawn_app().await;
    let marvel = app
        .get("/v1/promotions?campaign=lancement-marvel", MANAGEMENT)
        .await;
    marvel.expect(200);
    assert_eq!(
        marvel.ids(),
        [
            "lego-prix-choc",
            "marvel-20",
            "marvel10",
            "poster-offert",
            "soiree-exclu-web"
        ]
    );
    let none = app
        .get("/v1/promotions?campaign=no-such-campaign", MANAGEMENT)
        .await;
    none.expect(200);
    assert!(none.ids().is_empty());

    let active = app.get("/v1/campaigns?status=active", MANAGEMENT).await;
    active.expect(200);
    assert_eq!(
        active.ids(),
        [
            "black-friday-2026",
            "lancement-marvel",
            "omnicanal-noel",
            "permanent",
            "pro-permanent"
        ]
    );
    // Pause one: the filter follows the stored status.
    let current = app.get("/v1/campaigns/black-friday-2026", MANAGEMENT).await;
    let mut paused = current.body["data"].clone();
    paused["status"] = json!("paused");
    app.put(
        "/v1/campaigns/black-friday-2026",
        MANAGEMENT,
        &paused,
        Some(current.etag()),
    )
    .await
    .expect(200);
    let paused = app.get("/v1/campaigns?status=paused", MANAGEMENT).await;
    assert_eq!(paused.ids(), ["black-friday-2026"]);
    let active = app.get("/v1/campaigns?status=active", MANAGEMENT).await;
    assert_eq!(active.ids().len(), 4);
    // A promotion moved to another campaign is filtered under it.
    let promotion = app.get("/v1/promotions/lego-semaine", MANAGEMENT).await;
    let mut moved = promotion.body["data"].clone();
    moved["campaign"] = json!("lancement-marvel");
    app.put("/v1/promotions/lego-semaine", MANAGEMENT, &moved, Some(1))
        .await
        .expect(200);
    let marvel = app
        .get("/v1/promotions?campaign=lancement-marvel", MANAGEMENT)
        .await;
    assert!(marvel.ids().contains(&"lego-semaine".to_owned()));
    let noel = app
        .get("/v1/promotions?campaign=omnicanal-noel", MANAGEMENT)
        .await;
    assert!(!noel.ids().contains(&"lego-semaine".to_owned()));

    // Filters that do not apply to a collection are refused.
    app.get("/v1/campaigns?campaign=permanent", MANAGEMENT)
        .await
        .expect_problem(422, Some("campaign"));
    app.get("/v1/promotions?status=active", MANAGEMENT)
        .await
        .expect_problem(422, Some("status"));
    app.get("/v1/products?colour=red", MANAGEMENT)
        .await
        .expect_problem(400, Some("query"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_still_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    let before = app.get("/v1/segments/marvel", MANAGEMENT).await;
    before.expect(200);
    let refused = app.delete("/v1/segments/marvel", MANAGEMENT, Some(1)).await;
    refused.expect(409);
    assert!(refused.text.contains("marvel"), "{}", refused.text);
    // Nothing changed: same document, same version, still priced with it.
    let after = app.get("/v1/segments/marvel", MANAGEMENT).await;
    after.expect(200);
    assert_eq!(after.body, before.body);
    assert_eq!(
        app.promotion_status(&cart(&[("FIG-SPIDERMAN", 1)]), "marvel-20")
            .await
            .as_deref(),
        Some("applied")
    );
    let audit = app
        .get("/v1/audit?entity=segment&entity_id=marvel", MANAGEMENT)
        .await;
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        audit.text
    );

    // An unused segment goes.
    app.delete("/v1/segments/dc", MANAGEMENT, Some(1))
        .await
        .expect(409); // FIG-BATMAN is in it
    app.delete("/v1/segments/livres", MANAGEMENT, Some(1))
        .await
        .expect(409); // BD-SPIDERMAN, paliers-noel
    let fresh = json!({ "id": "unused", "name": "Unused" });
    app.post("/v1/segments", MANAGEMENT, &fresh)
        .await
        .expect(201);
    app.delete("/v1/segments/unused", MANAGEMENT, Some(1))
        .await
        .expect(204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_listed_by_a_landing_page_cannot_be_deleted() {
    let app = spawn_app().await;
    let landing = "/v1/landing/univers-spider-man?channel=web&at=2026-12-05T10:00:00%2B01:00";
    let refused = app
        .delete("/v1/selections/spiderman", MANAGEMENT, Some(1))
        .await;
    refused.expect(409);
    assert!(
        refused.text.contains("lancement-marvel"),
        "{}",
        refused.text
    );
    app.get("/v1/selections/spiderman", MANAGEMENT)
        .await
        .expect(200);
    let page = app.get(landing, crate::support::STOREFRONT).await;
    page.expect(200);
    assert_eq!(page.body["products"].as_array().map(Vec::len), Some(3));
    // The campaign can still be saved.
    let campaign = app.get("/v1/campaigns/lancement-marvel", MANAGEMENT).await;
    app.put(
        "/v1/campaigns/lancement-marvel",
        MANAGEMENT,
        &campaign.body["data"],
        Some(1),
    )
    .await
    .expect(200);

    // Once the page lists another selection, the old one may go.
    let other =
        json!({ "id": "figurines", "name": "Figurines", "skus": ["FIG-IRONMAN", "FIG-SPIDERMAN"] });
    app.post("/v1/selections", MANAGEMENT, &other)
        .await
        .expect(201);
    let mut moved = campaign.body["data"].clone();
    moved["landing_page"]["selection"] = json!("figurines");
    app.put(
        "/v1/campaigns/lancement-marvel",
        MANAGEMENT,
        &moved,
        Some(2),
    )
    .await
    .expect(200);
    app.delete("/v1/selections/spiderman", MANAGEMENT, Some(1))
        .await
        .expect(204);
    let page = app.get(landing, crate::support::STOREFRONT).await;
    let skus: Vec<&str> = page.body["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| p["sku"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(skus, ["FIG-IRONMAN", "FIG-SPIDERMAN"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_must_be_a_version() {
    let app = spawn_app().await;
    let body = app.get("/v1/segments/jeux", MANAGEMENT).await.body["data"].clone();
    let reply = app
        .send(
            app.with_key(Method::PUT, "/v1/segments/jeux", MANAGEMENT)
                .header("if-match", "\"abc\"")
                .json(&body),
        )
        .await;
    reply.expect_problem(400, Some("If-Match"));
    // PUT replaces, it does not create.
    let new = json!({ "id": "brand-new", "name": "Brand new" });
    app.put("/v1/segments/brand-new", MANAGEMENT, &new, Some(1))
        .await
        .expect(404);
    app.get("/v1/segments/brand-new", MANAGEMENT)
        .await
        .expect(404);
    // Restoring a live document, or one that never was, is a 404; products have no restore.
    app.send(app.with_key(Method::POST, "/v1/promotions/marvel-20/restore", MANAGEMENT))
        .await
        .expect(404);
    app.send(app.with_key(Method::POST, "/v1/campaigns/nope/restore", MANAGEMENT))
        .await
        .expect(404);
    app.send(app.with_key(Method::POST, "/v1/products/GAME-UNO/restore", MANAGEMENT))
        .await
        .expect(404);
}
