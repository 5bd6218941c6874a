//! B2B offers through the API (seed 004): generated codes, the server's `created_at`, the
//! engine's checks landing on the offer's fields, the store's settings and customer groups they
//! depend on, audit entries and authorisation. The CRUD round trip is `documents::offers_crud`;
//! lists, filters, restore and purge are in `offer_lists`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{MANAGEMENT, Reply, STOREFRONT, TestApp, spawn_app};

/// The demo's offers, in code order.
pub const DEMO_OFFERS: [&str; 6] = [
    "CANTINES2026",
    "CLIDUPONT",
    "MPLYCEES",
    "POINTLYON",
    "RESTAURANTS",
    "TOUSPILES",
];

/// A commercial offer `code` with one commitment holding `discounts`.
pub fn offer(code: &str, scope: Value, discounts: Value) -> Value {
    json!({
        "code": code,
        "title": format!("Offer {code}"),
        "type": "commercial",
        "scope": scope,
        "commitments": [{ "number": 1, "discounts": discounts }],
    })
}

/// One fixed-price discount `R1` on `sku`.
pub fn fixed(sku: &str, price: &str) -> Value {
    json!([{ "code": "R1", "sku": sku, "price": price }])
}

pub async fn create(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/offers", MANAGEMENT, body).await
}

async fn version(app: &TestApp, path: &str) -> i64 {
    let read = app.get(path, MANAGEMENT).await;
    read.expect(200);
    read.etag()
}

/// A store-settings change, with the current version.
async fn patch_settings(app: &TestApp, change: &Value) -> Reply {
    let current = version(app, "/v1/settings").await;
    app.patch("/v1/settings", MANAGEMENT, change, Some(current))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_one_offer_of_each_scope() {
    let app = spawn_app().await;
    assert_eq!(app.list_all("offers").await, DEMO_OFFERS);
    let procurement = app.get("/v1/offers/MPLYCEES", MANAGEMENT).await;
    procurement.expect(200);
    let data = &procurement.body["data"];
    assert_eq!(data["type"], "public_procurement");
    assert_eq!(data["commitments"][1]["starts_on"], "2027-01-01");
    let scopes: Vec<Value> = {
        let page = app.get("/v1/offers", MANAGEMENT).await;
        page.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["data"]["scope"].clone())
            .collect()
    };
    for scope in [
        json!("all"),
        json!({ "group": "cantines" }),
        json!({ "customer": "C-DUPONT" }),
        json!({ "collection_point": "LYON-PART-DIEU" }),
    ] {
        assert!(scopes.contains(&scope), "{scope} in {scopes:?}");
    }
    let lycees = app.get("/v1/customer-groups/lycees", MANAGEMENT).await;
    lycees.expect(200);
    assert_eq!(lycees.body["data"]["display"], "net");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_offer_without_a_code_gets_one() {
    let app = spawn_app().await;
    let mut codes = Vec::new();
    // Missing, empty, null.
    for given in [None, Some(json!("")), Some(Value::Null)] {
        let mut body = offer("X", json!("all"), fixed("GAME-UNO", "8.00"));
        match given {
            None => drop(body.as_object_mut().expect("an object").remove("code")),
            Some(code) => body["code"] = code,
        }
        let created = create(&app, &body).await;
        created.expect(201);
        let code = created.body["id"].as_str().expect("the code").to_owned();
        assert_eq!(created.body["data"]["code"], code.as_str());
        assert_eq!(code.len(), 10, "{code}");
        assert!(code.starts_with("OF"), "{code}");
        assert!(
            code[2..]
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
            "{code}"
        );
        assert!(
            !code[2..].contains(['0', '1', 'O', 'I', 'L']),
            "no look-alikes: {code}"
        );
        assert_eq!(
            created.header("location"),
            Some(format!("/v1/offers/{code}").as_str())
        );
        app.get(&format!("/v1/offers/{code}"), MANAGEMENT)
            .await
            .expect(200);
        codes.push(code);
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 3, "{codes:?}");
}

/// `created_at` decides ties between equal prices: the server sets it (the store's creation
/// time, the envelope's `created_at`) and ignores what a caller sends, on create and replace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_at_is_the_servers() {
    let app = spawn_app().await;
    let mut body = offer("EARLY", json!("all"), fixed("GAME-UNO", "8.00"));
    body["created_at"] = json!("2000-01-01T00:00:00Z");
    let created = create(&app, &body).await;
    created.expect(201);
    assert!(
        created.body["data"].get("created_at").is_none(),
        "{}",
        created.text
    );
    let stamped = created.body["created_at"].as_str().expect("created_at");
    assert!(
        stamped.starts_with("20") && !stamped.starts_with("2000"),
        "{stamped}"
    );
    let replaced = app
        .put("/v1/offers/EARLY", MANAGEMENT, &body, Some(1))
        .await;
    replaced.expect(200);
    assert!(replaced.body["data"].get("created_at").is_none());
    assert_eq!(replaced.body["created_at"], created.body["created_at"]);
    let patched = app
        .patch(
            "/v1/offers/EARLY",
            MANAGEMENT,
            &json!({ "created_at": "1999-01-01T00:00:00Z", "title": "Patched" }),
            Some(2),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.body["data"]["title"], "Patched");
    assert!(patched.body["data"].get("created_at").is_none());
    assert_eq!(patched.body["created_at"], created.body["created_at"]);
    // Not an instant at all: still the server's to set, so not refused either.
    body["created_at"] = json!("yesterday");
    body["code"] = json!("LATE");
    create(&app, &body).await.expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engines_checks_name_the_offers_fields() {
    let app = spawn_app().await;
    // Public procurement without its dates.
    let mut procurement = offer("MP1", json!({ "group": "lycees" }), fixed("GAME-UNO", "7"));
    procurement["type"] = json!("public_procurement");
    let refused = create(&app, &procurement).await;
    refused.expect(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["ends_on", "starts_on"]);
    // An unknown group.
    let unknown = create(
        &app,
        &offer("G1", json!({ "group": "ecoles" }), fixed("GAME-UNO", "7")),
    )
    .await;
    unknown.expect_problem(422, Some("scope.group"));
    assert!(unknown.text.contains("ecoles"), "{}", unknown.text);
    // A commitment outside its offer's dates.
    let mut outside = offer("D1", json!("all"), fixed("GAME-UNO", "7"));
    outside["starts_on"] = json!("2026-09-01");
    outside["ends_on"] = json!("2027-06-30");
    outside["commitments"]
        .as_array_mut()
        .expect("commitments")
        .push(
            json!({ "number": 2, "starts_on": "2027-01-01", "ends_on": "2027-07-31",
            "discounts": fixed("PILES-AA", "4") }),
        );
    create(&app, &outside)
        .await
        .expect_problem(422, Some("commitments[1].ends_on"));
    // Two discounts of one commitment with the same code.
    let twice = offer(
        "R1",
        json!("all"),
        json!([
            { "code": "UNO", "sku": "GAME-UNO", "price": "7" },
            { "code": "UNO", "sku": "PILES-AA", "percent": "10" },
        ]),
    );
    create(&app, &twice)
        .await
        .expect_problem(422, Some("commitments[0].discounts[1].code"));
    // A code that is not letters and digits; the reserved `restore`.
    for code in ["CODE-1", "restore"] {
        create(&app, &offer(code, json!("all"), fixed("GAME-UNO", "7")))
            .await
            .expect_problem(422, Some("code"));
    }
    // A body whose code is not the URL's.
    let good = offer("GOOD", json!("all"), fixed("GAME-UNO", "7"));
    create(&app, &good).await.expect(201);
    let mut moved = good.clone();
    moved["code"] = json!("OTHER");
    app.put("/v1/offers/GOOD", MANAGEMENT, &moved, Some(1))
        .await
        .expect_problem(422, Some("code"));
    // A replacement's own problems are named the same way.
    let mut negative = good.clone();
    negative["commitments"][0]["discounts"][0]["price"] = json!("-1");
    app.put("/v1/offers/GOOD", MANAGEMENT, &negative, Some(1))
        .await
        .expect_problem(422, Some("commitments[0].discounts[0].price"));
    // Nothing was written by the refusals.
    let mut expected: Vec<String> = DEMO_OFFERS.iter().map(|c| (*c).to_owned()).collect();
    expected.push("GOOD".to_owned());
    expected.sort();
    assert_eq!(app.list_all("offers").await, expected);
}

/// Public procurement exists only where the store sells to professionals, collection points only
/// where it sells to consumers: in a new offer (422), and in the settings while an offer needs
/// them (409, naming the offer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_follow_whom_the_store_sells_to() {
    let app = spawn_app().await;
    let refused = patch_settings(&app, &json!({ "sells_to": "consumers" })).await;
    refused.expect(409);
    assert!(refused.text.contains("MPLYCEES"), "{}", refused.text);
    let refused = patch_settings(&app, &json!({ "sells_to": "professionals" })).await;
    refused.expect(409);
    assert!(refused.text.contains("POINTLYON"), "{}", refused.text);

    // A consumer-only store: no public procurement.
    let procurement = version(&app, "/v1/offers/MPLYCEES").await;
    app.delete("/v1/offers/MPLYCEES", MANAGEMENT, Some(procurement))
        .await
        .expect(200);
    patch_settings(&app, &json!({ "sells_to": "consumers" }))
        .await
        .expect(200);
    let mut body = offer("MP2", json!({ "group": "lycees" }), fixed("GAME-UNO", "7"));
    body["type"] = json!("public_procurement");
    body["starts_on"] = json!("2026-09-01");
    body["ends_on"] = json!("2027-06-30");
    create(&app, &body).await.expect_problem(422, Some("type"));
    // Nor can the deleted one come back.
    let restored = app
        .send(app.with_key(Method::POST, "/v1/offers/MPLYCEES/restore", MANAGEMENT))
        .await;
    restored.expect(409);
    assert!(restored.text.contains("type"), "{}", restored.text);

    // A professional-only store: no collection point.
    let point = version(&app, "/v1/offers/POINTLYON").await;
    app.delete("/v1/offers/POINTLYON", MANAGEMENT, Some(point))
        .await
        .expect(200);
    patch_settings(&app, &json!({ "sells_to": "professionals" }))
        .await
        .expect(200);
    create(&app, &body).await.expect(201);
    let at_point = offer(
        "PT2",
        json!({ "collection_point": "LYON-2" }),
        fixed("GAME-UNO", "7"),
    );
    create(&app, &at_point)
        .await
        .expect_problem(422, Some("scope.collection_point"));
}

/// A customer group that an offer names cannot be deleted, like a segment a promotion targets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_named_by_an_offer_cannot_be_deleted() {
    let app = spawn_app().await;
    let group = version(&app, "/v1/customer-groups/cantines").await;
    let refused = app
        .delete("/v1/customer-groups/cantines", MANAGEMENT, Some(group))
        .await;
    refused.expect(409);
    assert!(refused.text.contains("CANTINES2026"), "{}", refused.text);
    assert!(refused.text.contains("scope.group"), "{}", refused.text);
    app.get("/v1/customer-groups/cantines", MANAGEMENT)
        .await
        .expect(200);
    // Once the offer is gone, the group can go; the offer cannot come back without it.
    let offer_version = version(&app, "/v1/offers/CANTINES2026").await;
    app.delete("/v1/offers/CANTINES2026", MANAGEMENT, Some(offer_version))
        .await
        .expect(200);
    app.delete("/v1/customer-groups/cantines", MANAGEMENT, Some(group))
        .await
        .expect(204);
    let restored = app
        .send(app.with_key(Method::POST, "/v1/offers/CANTINES2026/restore", MANAGEMENT))
        .await;
    restored.expect(409);
    assert!(restored.text.contains("cantines"), "{}", restored.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_of_an_offer_is_audited() {
    let app = spawn_app().await;
    let body = offer("AUDITED", json!("all"), fixed("GAME-UNO", "8.00"));
    create(&app, &body).await.expect(201);
    let mut renamed = body.clone();
    renamed["title"] = json!("Renamed");
    app.put("/v1/offers/AUDITED", MANAGEMENT, &renamed, Some(1))
        .await
        .expect(200);
    // Refused changes are not audited.
    app.put("/v1/offers/AUDITED", MANAGEMENT, &renamed, Some(1))
        .await
        .expect(412);
    app.put("/v1/offers/AUDITED", MANAGEMENT, &renamed, None)
        .await
        .expect(428);
    app.delete("/v1/offers/AUDITED", MANAGEMENT, Some(2))
        .await
        .expect(200);
    app.send(app.with_key(Method::POST, "/v1/offers/AUDITED/restore", MANAGEMENT))
        .await
        .expect(200);
    let log = app
        .get("/v1/audit?entity=offer&entity_id=AUDITED", MANAGEMENT)
        .await;
    log.expect(200);
    let entries = log.body["items"].as_array().expect("items");
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        ["restore", "delete", "update", "create"],
        "newest first"
    );
    assert!(entries.iter().all(|e| e["actor"] == "key:demo management"));
    assert_eq!(entries[2]["before"]["title"], "Offer AUDITED");
    assert_eq!(entries[2]["after"]["title"], "Renamed");
}

/// Offers are managed with a management key: a storefront key gets 403 on every offer route,
/// no key 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_need_a_management_key() {
    let app = spawn_app().await;
    let body = offer("KEYED", json!("all"), fixed("GAME-UNO", "8.00"));
    let restore_many = json!({ "codes": ["CLIDUPONT"] });
    for (method, path, body) in [
        (Method::GET, "/v1/offers", None),
        (Method::GET, "/v1/offers?customer=C-DUPONT", None),
        (Method::POST, "/v1/offers", Some(&body)),
        (Method::GET, "/v1/offers/CLIDUPONT", None),
        (Method::PUT, "/v1/offers/CLIDUPONT", Some(&body)),
        (Method::PATCH, "/v1/offers/CLIDUPONT", Some(&body)),
        (Method::DELETE, "/v1/offers/CLIDUPONT", None),
        (Method::POST, "/v1/offers/CLIDUPONT/restore", None),
        (Method::POST, "/v1/offers/restore", Some(&restore_many)),
    ] {
        for (key, status) in [(Some(STOREFRONT), 403), (None, 401)] {
            let mut request = match key {
                Some(key) => app.with_key(method.clone(), path, key),
                None => app.request(method.clone(), path),
            };
            request = request.header("if-match", "\"1\"");
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = app.send(request).await;
            assert_eq!(
                reply.status.as_u16(),
                status,
                "{method} {path}: {}",
                reply.text
            );
        }
    }
    assert_eq!(app.list_all("offers").await, DEMO_OFFERS, "nothing changed");
}
