//! API keys: bearer tokens, scopes, keys created and revoked through the API.

use reqwest::Method;
use serde_json::json;

use crate::support::{MANAGEMENT, STOREFRONT, TestApp, percent_off, spawn_app, toyshop_cart};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_key_is_401_with_a_challenge() {
    let app = spawn_app().await;
    let cart = toyshop_cart();
    let no_key = app
        .send(app.request(Method::POST, "/v1/carts/evaluate").json(&cart))
        .await;
    no_key.expect(401);
    assert_eq!(no_key.body["type"], "/problems/unauthorized");
    assert_eq!(
        no_key.header("www-authenticate"),
        Some("Bearer realm=\"remise\"")
    );

    let unknown = app.post("/v1/carts/evaluate", "rk_not_a_key", &cart).await;
    unknown.expect(401);
    assert_eq!(
        unknown.header("www-authenticate"),
        Some("Bearer realm=\"remise\"")
    );

    let basic = app
        .send(
            app.request(Method::GET, "/v1/promotions")
                .header("authorization", "Basic dXNlcjpwYXNz"),
        )
        .await;
    basic.expect(401);

    // Management routes too, and before anything else is looked at.
    app.send(app.request(Method::GET, "/v1/settings"))
        .await
        .expect(401);
    app.send(app.request(Method::POST, "/v1/promotions").body("not json"))
        .await
        .expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_separate_storefront_and_management() {
    let app = spawn_app().await;
    let forbidden = app.get("/v1/promotions", STOREFRONT).await;
    forbidden.expect(403);
    assert_eq!(forbidden.body["type"], "/problems/forbidden");
    // A storefront key cannot write either, and nothing is written.
    let body = percent_off("sneaky", "GAME-UNO", 90, None);
    app.post("/v1/promotions", STOREFRONT, &body)
        .await
        .expect(403);
    app.get("/v1/promotions/sneaky", MANAGEMENT)
        .await
        .expect(404);
    app.get("/v1/api-keys", STOREFRONT).await.expect(403);

    // A management key may do what a storefront key does.
    evaluate_with(&app, MANAGEMENT).await;
    app.get("/v1/landing/univers-spider-man", MANAGEMENT)
        .await
        .expect(200);

    // Operations need no key.
    app.send(app.request(Method::GET, "/health"))
        .await
        .expect(200);
}

/// Evaluates the example cart with `key`, which must be allowed to.
async fn evaluate_with(app: &TestApp, key: &str) {
    app.post("/v1/carts/evaluate", key, &toyshop_cart())
        .await
        .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_created_shown_once_and_revoked() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/v1/api-keys",
            MANAGEMENT,
            &json!({ "name": "shop front", "scope": "storefront" }),
        )
        .await;
    created.expect(201);
    let secret = created.body["secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    assert!(secret.starts_with("rk_"), "{secret}");
    assert_eq!(secret.len(), 3 + 64, "{secret}");
    let key = &created.body["key"];
    let id = key["id"].as_str().expect("an id").to_owned();
    assert_eq!(key["name"], "shop front");
    assert_eq!(key["scope"], "storefront");
    assert!(key["revoked_at"].is_null());
    assert!(secret.starts_with(key["prefix"].as_str().expect("a prefix")));
    assert!(key.get("hash").is_none(), "{}", created.text);

    // It works, with its scope.
    evaluate_with(&app, &secret).await;
    app.get("/v1/promotions", &secret).await.expect(403);

    // The list shows it, never its secret.
    let list = app.get("/v1/api-keys", MANAGEMENT).await;
    list.expect(200);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["id"].as_str().unwrap_or(""))
        .collect();
    assert!(ids.contains(&id.as_str()), "{ids:?}");
    assert_eq!(ids.len(), 3, "the two demo keys and the new one");
    assert!(
        !list.text.contains(&secret),
        "the secret is listed: {}",
        list.text
    );
    assert!(
        !list.text.contains(&secret[3..]),
        "the secret is listed: {}",
        list.text
    );

    // Revoked: 401 at once, listed as revoked, and cannot be revoked twice.
    let revoked = app
        .delete(&format!("/v1/api-keys/{id}"), MANAGEMENT, None)
        .await;
    revoked.expect(200);
    assert!(revoked.body["revoked_at"].is_string(), "{}", revoked.text);
    let after = app
        .post("/v1/carts/evaluate", &secret, &toyshop_cart())
        .await;
    after.expect(401);
    let list = app.get("/v1/api-keys", MANAGEMENT).await;
    let listed = list.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|k| k["id"] == json!(id)).cloned())
        .expect("still listed");
    assert!(listed["revoked_at"].is_string());
    app.delete(&format!("/v1/api-keys/{id}"), MANAGEMENT, None)
        .await
        .expect(404);
    app.delete("/v1/api-keys/key_unknown", MANAGEMENT, None)
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_management_key_can_manage_and_is_the_audited_actor() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/v1/api-keys",
            MANAGEMENT,
            &json!({ "name": "ops-bot", "scope": "management" }),
        )
        .await;
    created.expect(201);
    let secret = created.body["secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    app.post(
        "/v1/promotions",
        &secret,
        &percent_off("by-bot", "GAME-UNO", 5, None),
    )
    .await
    .expect(201);
    let audit = app
        .get("/v1/audit?entity=promotion&entity_id=by-bot", MANAGEMENT)
        .await;
    audit.expect(200);
    assert_eq!(audit.body["items"][0]["actor"], "key:ops-bot");
    // The key's own creation is audited, by the key that made it, without the secret.
    let audit = app.get("/v1/audit?entity=api_key", MANAGEMENT).await;
    audit.expect(200);
    let entry = audit.body["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|e| e["after"]["name"] == "ops-bot")
                .cloned()
        })
        .expect("the key's creation is audited");
    assert_eq!(entry["actor"], "key:demo management");
    assert_eq!(entry["action"], "create");
    assert!(!audit.text.contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_needs_a_name_and_a_known_scope() {
    let app = spawn_app().await;
    app.post(
        "/v1/api-keys",
        MANAGEMENT,
        &json!({ "name": "  ", "scope": "storefront" }),
    )
    .await
    .expect_problem(422, Some("name"));
    app.post(
        "/v1/api-keys",
        MANAGEMENT,
        &json!({ "name": "x", "scope": "root" }),
    )
    .await
    .expect_problem(400, Some("scope"));
    app.post("/v1/api-keys", MANAGEMENT, &json!({ "name": "x" }))
        .await
        .expect(400);
}
