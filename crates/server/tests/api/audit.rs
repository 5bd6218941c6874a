//! The audit log: every change with who made it and the document before and after, newest first.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{MANAGEMENT, TestApp, percent_off, spawn_app};

/// Create, update, delete and restore a promotion, then read its history (shared with the
/// PostgreSQL run).
pub async fn check_audit(app: &TestApp) {
    let id = "audited";
    let path = format!("/v1/promotions/{id}");
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off(id, "GAME-UNO", 10, None),
    )
    .await
    .expect(201);
    let mut renamed = percent_off(id, "GAME-UNO", 10, None);
    renamed["name"] = json!("Renamed");
    app.put(&path, MANAGEMENT, &renamed, Some(1))
        .await
        .expect(200);
    // A refused change is not audited.
    app.put(&path, MANAGEMENT, &renamed, Some(1))
        .await
        .expect(412);
    app.delete(&path, MANAGEMENT, Some(2)).await.expect(200);
    app.send(app.with_key(Method::POST, &format!("{path}/restore"), MANAGEMENT))
        .await
        .expect(200);

    let log = app
        .get(
            &format!("/v1/audit?entity=promotion&entity_id={id}"),
            MANAGEMENT,
        )
        .await;
    log.expect(200);
    let items = log.body["items"].as_array().expect("items");
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        ["restore", "delete", "update", "create"],
        "newest first"
    );
    let seqs: Vec<i64> = items
        .iter()
        .map(|e| e["seq"].as_i64().unwrap_or(0))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    for entry in items {
        assert_eq!(entry["actor"], "key:demo management");
        assert_eq!(entry["entity"], "promotion");
        assert_eq!(entry["entity_id"], id);
        assert!(entry["at"].is_string());
    }
    let update = &items[2];
    assert_eq!(update["before"]["name"], "10 % off GAME-UNO");
    assert_eq!(update["after"]["name"], "Renamed");
    let create = &items[3];
    assert!(create["before"].is_null(), "{create}");
    assert_eq!(create["after"]["name"], "10 % off GAME-UNO");
    assert_eq!(create["after"]["targets"]["skus"], json!(["GAME-UNO"]));
    assert!(log.body["next_before"].is_null());

    // Page by page with `before`.
    let mut seen = Vec::new();
    let mut path = format!("/v1/audit?entity=promotion&entity_id={id}&limit=1");
    loop {
        let page = app.get(&path, MANAGEMENT).await;
        page.expect(200);
        let items = page.body["items"].as_array().expect("items").clone();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|e| e["seq"].as_i64().unwrap_or(0)));
        match page.body["next_before"].as_i64() {
            Some(before) => {
                assert_eq!(Some(before), items.last().and_then(|e| e["seq"].as_i64()));
                path = format!("/v1/audit?entity=promotion&entity_id={id}&limit=1&before={before}");
            }
            None => break,
        }
        assert!(seen.len() <= 5, "paging does not end");
    }
    assert_eq!(seen, seqs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_shows_each_change_newest_first() {
    let app = spawn_app().await;
    check_audit(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_by_entity() {
    let app = spawn_app().await;
    // The demo load: twelve products, by the `demo` actor.
    let products = app
        .get("/v1/audit?entity=product&limit=500", MANAGEMENT)
        .await;
    products.expect(200);
    let items = products.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 12);
    assert!(
        items
            .iter()
            .all(|e| e["actor"] == "demo" && e["action"] == "create")
    );
    assert!(items.iter().all(|e| e["entity"] == "product"));

    // Everything, newest first: the latest change is on top.
    app.post(
        "/v1/segments",
        MANAGEMENT,
        &json!({ "id": "latest", "name": "Latest" }),
    )
    .await
    .expect(201);
    let all = app.get("/v1/audit?limit=2", MANAGEMENT).await;
    all.expect(200);
    let first: &Value = &all.body["items"][0];
    assert_eq!(first["entity"], "segment");
    assert_eq!(first["entity_id"], "latest");
    assert!(all.body["next_before"].is_i64());

    app.get("/v1/audit?entity=unicorn", MANAGEMENT)
        .await
        .expect_problem(422, Some("entity"));
    app.get("/v1/audit?limit=0", MANAGEMENT)
        .await
        .expect_problem(422, Some("limit"));
    app.get("/v1/audit?before=yesterday", MANAGEMENT)
        .await
        .expect_problem(400, Some("query"));
}
