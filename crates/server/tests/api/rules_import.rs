//! `POST /v1/import/rules`: rule files and NDJSON documents, all or nothing, dry runs, and what
//! the storefront sees right after. The scenarios taking a `&TestApp` also run on PostgreSQL.

use reqwest::Method;
use reqwest::header;
use serde_json::{Value, json};

use crate::support::{MANAGEMENT, Reply, TestApp, cart, outcome, spawn_app};

/// A rule import of `body` declared as `content_type`, with the management key.
pub async fn import(app: &TestApp, content_type: &str, body: &str, dry_run: bool) -> Reply {
    let path = if dry_run {
        "/v1/import/rules?dry_run=true"
    } else {
        "/v1/import/rules"
    };
    app.send(
        app.with_key(Method::POST, path, MANAGEMENT)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.to_owned()),
    )
    .await
}

/// `n` promotions on the demo's segments and skus, percent or amount off, ids `bulk-0000`….
pub fn promotions(n: usize) -> Vec<Value> {
    let segments = ["marvel", "dc", "jeux", "construction", "peluches", "livres"];
    let skus = ["GAME-UNO", "PLUSH-GROOT", "FIG-BATMAN", "POSTER-AVENGERS"];
    (0..n)
        .map(|i| {
            let targets = if i % 3 == 0 {
                json!({ "skus": [skus[i % skus.len()]] })
            } else {
                json!({ "segments": [segments[i % segments.len()]] })
            };
            let offer = if i % 2 == 0 {
                json!({ "type": "percent_off", "percent": 1 + i % 30 })
            } else {
                json!({ "type": "amount_off_each", "amount": format!("{}.50", i % 5) })
            };
            json!({
                "id": format!("bulk-{i:04}"),
                "name": format!("Bulk {i}"),
                "priority": i % 7,
                "conditions": { "min_quantity": 2 + i % 3 },
                "targets": targets,
                "offer": offer,
            })
        })
        .collect()
}

/// The store's revision, as `/health` reports it.
pub async fn revision(app: &TestApp) -> i64 {
    let health = app.get("/health", MANAGEMENT).await;
    health.expect(200);
    health.body["snapshot"]["revision"]
        .as_i64()
        .expect("a revision")
}

/// The newest audit entry's sequence number.
async fn last_audit(app: &TestApp) -> i64 {
    let log = app.get("/v1/audit?limit=1", MANAGEMENT).await;
    log.expect(200);
    log.body["items"][0]["seq"].as_i64().expect("an entry")
}

fn counts(reply: &Reply) -> (bool, u64, u64, u64) {
    let count = |name: &str| reply.body[name].as_u64().expect("a count");
    (
        reply.body["dry_run"].as_bool().expect("dry_run"),
        count("created"),
        count("updated"),
        count("unchanged"),
    )
}

/// One bad promotion among 1,000: the whole file is refused with that promotion's path, and
/// nothing is written.
pub async fn one_bad_document_refuses_the_file(app: &TestApp) {
    let before = revision(app).await;
    let mut list = promotions(1_000);
    list[617]["offer"] = json!({ "type": "percent_off", "percent": 120 });
    let file = json!({ "format": "remise.rules/1", "promotions": list }).to_string();
    for dry_run in [true, false] {
        let refused = import(app, "application/json", &file, dry_run).await;
        refused.expect_problem(422, Some("promotions[617].offer.percent"));
        assert_eq!(refused.error_fields(), ["promotions[617].offer.percent"]);
    }
    assert_eq!(app.list_all("promotions").await.len(), 12);
    assert_eq!(revision(app).await, before);
    // The same file without the bad promotion goes through.
    list[617] = promotions(618)[617].clone();
    let file = json!({ "promotions": list }).to_string();
    let imported = import(app, "application/json", &file, false).await;
    imported.expect(200);
    assert_eq!(counts(&imported), (false, 1_000, 0, 0));
    assert_eq!(app.list_all("promotions").await.len(), 1_012);
    assert_eq!(revision(app).await, before + 1);
}

/// Importing the same file again changes nothing: every document is unchanged, no audit entry
/// is added, the revision stays.
pub async fn reimporting_changes_nothing(app: &TestApp) {
    let file = json!({
        "catalog": { "segments": [{ "id": "figurines", "name": "Figurines", "parent": "superheros" }] },
        "promotions": promotions(50),
    })
    .to_string();
    let first = import(app, "application/json", &file, false).await;
    first.expect(200);
    assert_eq!(counts(&first), (false, 51, 0, 0));
    let revision_after = revision(app).await;
    let audit_after = last_audit(app).await;
    let again = import(app, "application/json", &file, false).await;
    again.expect(200);
    assert_eq!(counts(&again), (false, 0, 0, 51));
    let outcomes: Vec<&str> = again.body["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["outcome"].as_str().unwrap_or_default())
        .collect();
    assert!(outcomes.iter().all(|o| *o == "unchanged"), "{outcomes:?}");
    assert_eq!(revision(app).await, revision_after);
    assert_eq!(last_audit(app).await, audit_after);
}

/// Imported promotions are evaluated by the very next request.
pub async fn imported_promotions_apply_at_once(app: &TestApp) {
    let lines = concat!(
        r#"{"segment": {"id": "cartes", "name": "Jeux de cartes", "parent": "jeux"}}"#,
        "\n",
        r#"{"promotion": {"id": "uno-half", "priority": 1000, "targets": {"skus": ["GAME-UNO"]}, "offer": {"type": "percent_off", "percent": 50}}}"#,
        "\n",
    );
    import(app, "application/x-ndjson", lines, false)
        .await
        .expect(200);
    let quote = app.evaluate(&cart(&[("GAME-UNO", 1)])).await;
    quote.expect(200);
    assert_eq!(outcome(&quote.body, "uno-half")["status"], "applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_promotion_among_a_thousand_refuses_the_file() {
    one_bad_document_refuses_the_file(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_file_twice_is_unchanged() {
    reimporting_changes_nothing(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_promotions_are_evaluated_right_after() {
    imported_promotions_apply_at_once(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_and_writes_nothing() {
    let app = spawn_app().await;
    let stored = app.get("/v1/segments/jeux", MANAGEMENT).await;
    let unchanged = stored.body["data"].clone();
    let file = json!({
        "catalog": { "segments": [
            unchanged,
            { "id": "dc", "name": "DC", "parent": "superheros" },
            { "id": "cartes", "name": "Cartes", "parent": "jeux" },
        ] },
        "promotions": promotions(3),
    })
    .to_string();
    let before = revision(&app).await;
    let audit_before = last_audit(&app).await;
    let dry = import(&app, "application/json", &file, true).await;
    dry.expect(200);
    assert_eq!(counts(&dry), (true, 4, 1, 1));
    assert_eq!(
        dry.body["documents"][0],
        json!({ "kind": "segment", "id": "jeux", "outcome": "unchanged" })
    );
    assert_eq!(
        dry.body["documents"][1],
        json!({ "kind": "segment", "id": "dc", "outcome": "updated" })
    );
    assert_eq!(
        dry.body["documents"][2],
        json!({ "kind": "segment", "id": "cartes", "outcome": "created" })
    );
    assert_eq!(
        dry.body["documents"][3],
        json!({ "kind": "promotion", "id": "bulk-0000", "outcome": "created" })
    );
    assert_eq!(revision(&app).await, before);
    assert_eq!(last_audit(&app).await, audit_before);
    app.get("/v1/segments/cartes", MANAGEMENT)
        .await
        .expect_problem(404, None);
    assert_eq!(
        app.get("/v1/segments/dc", MANAGEMENT).await.body["data"]["name"],
        "DC Comics"
    );

    // The import then does what the dry run said: one audit entry per document written.
    let done = import(&app, "application/json", &file, false).await;
    done.expect(200);
    assert_eq!(counts(&done), (false, 4, 1, 1));
    assert_eq!(done.body["documents"], dry.body["documents"]);
    assert_eq!(revision(&app).await, before + 1);
    assert_eq!(last_audit(&app).await, audit_before + 5);
    let dc = app
        .get("/v1/audit?entity=segment&entity_id=dc", MANAGEMENT)
        .await;
    assert_eq!(dc.body["items"][0]["action"], "update");
    assert_eq!(dc.body["items"][0]["actor"], "key:demo management");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_segment_is_named_by_its_path() {
    let app = spawn_app().await;
    let mut list = promotions(20);
    list[7]["targets"] = json!({ "segments": ["jeux", "nowhere"] });
    let file = json!({ "promotions": list }).to_string();
    let refused = import(&app, "application/json", &file, false).await;
    refused.expect_problem(422, Some("promotions[7].targets.segments[1]"));
    assert!(
        refused.text.contains("nowhere"),
        "the message names the segment: {}",
        refused.text
    );
    // In NDJSON, the line and the path within the document.
    let lines = concat!(
        r#"{"segment": {"id": "cartes"}}"#,
        "\n\n",
        r#"{"promotion": {"id": "p", "targets": {"segments": ["nowhere"]}, "offer": {"type": "percent_off", "percent": 5}}}"#,
    );
    let refused = import(&app, "application/x-ndjson", lines, false).await;
    refused.expect_problem(422, Some("line 3: targets.segments[0]"));
    app.get("/v1/segments/cartes", MANAGEMENT)
        .await
        .expect_problem(404, None);
}

/// Changing documents that others depend on, without breaking them, goes through: the demo's
/// `marvel` segment (its products and promotions target it) gets a new name and parent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_breaks_nothing_passes() {
    let app = spawn_app().await;
    let file = json!({ "catalog": { "segments": [
        { "id": "heros", "name": "Héros" },
        { "id": "marvel", "name": "Marvel Comics", "parent": "heros", "star": true },
    ] } })
    .to_string();
    let done = import(&app, "application/json", &file, false).await;
    done.expect(200);
    assert_eq!(counts(&done), (false, 1, 1, 0));
    let quote = app.evaluate(&cart(&[("FIG-SPIDERMAN", 1)])).await;
    quote.expect(200);
    assert_eq!(outcome(&quote.body, "marvel-20")["status"], "applied");
}

/// The demo store's own rule file changes nothing in the demo store: its customer group keeps
/// its stored name, its settings are the store's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_rule_file_matches_the_demo() {
    let app = spawn_app().await;
    let file = include_str!("../../../../examples/toyshop.rules.json");
    let dry = import(&app, "application/json", file, true).await;
    dry.expect(200);
    let (_, created, updated, unchanged) = counts(&dry);
    assert_eq!((created, updated), (0, 0), "{}", dry.text);
    assert!(unchanged > 20);
    assert_eq!(
        dry.body["documents"][0],
        json!({ "kind": "customer_group", "id": "pro", "outcome": "unchanged" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_campaign_life_cycles_are_not_changed_by_an_import() {
    let app = spawn_app().await;
    let file = json!({
        "store": { "currency": "USD", "time_zone": "Europe/Paris" },
        "promotions": promotions(2),
    })
    .to_string();
    let refused = import(&app, "application/json", &file, false).await;
    refused.expect_problem(422, Some("store.currency"));
    assert_eq!(refused.error_fields(), ["store.currency"]);

    // An active campaign cannot go back to draft; a promotion needs a known campaign; a new
    // campaign's dates are read in the store's zone.
    let lines = [
        json!({ "campaign": { "id": "lancement-marvel", "name": "Lancement", "status": "draft" } }),
        json!({ "promotion": { "id": "p", "campaign": "nowhere", "offer": { "type": "free_shipping" } } }),
        json!({ "campaign": { "id": "ete", "starts_at": "2026-08-01T00:00", "ends_at": "2026-07-01T00:00" } }),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let refused = import(&app, "application/x-ndjson", &lines, false).await;
    refused.expect(422);
    assert_eq!(
        refused.error_fields(),
        ["line 1: status", "line 2: campaign", "line 3: ends_at"]
    );
    let campaign = app.get("/v1/campaigns/lancement-marvel", MANAGEMENT).await;
    assert_eq!(campaign.body["data"]["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_must_be_a_rule_file_or_ndjson() {
    let app = spawn_app().await;
    import(&app, "text/csv", "id\n", false)
        .await
        .expect_problem(415, None);
    import(&app, "application/json", "{\"promotions\": [", false)
        .await
        .expect(400);
    app.send(
        app.with_key(Method::POST, "/v1/import/rules?dry_run=maybe", MANAGEMENT)
            .header(header::CONTENT_TYPE, "application/json")
            .body("{}"),
    )
    .await
    .expect_problem(400, Some("query"));
    // An empty file imports nothing.
    let empty = import(&app, "application/json", "{}", false).await;
    empty.expect(200);
    assert_eq!(counts(&empty), (false, 0, 0, 0));
    // A storefront key may not import.
    app.send(
        app.with_key(Method::POST, "/v1/import/rules", crate::support::STOREFRONT)
            .header(header::CONTENT_TYPE, "application/json")
            .body("{}"),
    )
    .await
    .expect_problem(403, None);
}

/// A rule file brings offers like the other documents: upserted by code, each problem at its
/// path in the file; in NDJSON, an `{"offer": …}` line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_come_with_a_rule_file() {
    let app = spawn_app().await;
    let offer = |code: &str, group: &str| {
        json!({
            "code": code,
            "title": format!("Offer {code}"),
            "scope": { "group": group },
            "commitments": [{ "number": 1, "discounts": [
                { "code": "R1", "sku": "GAME-UNO", "price": "7.50" }
            ] }],
        })
    };
    let file = json!({ "offers": [offer("IMPORTA", "cantines"), offer("IMPORTB", "nowhere")] })
        .to_string();
    let refused = import(&app, "application/json", &file, false).await;
    refused.expect_problem(422, Some("offers[1].scope.group"));
    app.get("/v1/offers/IMPORTA", MANAGEMENT)
        .await
        .expect_problem(404, None);
    let file = json!({ "offers": [offer("IMPORTA", "cantines")] }).to_string();
    let imported = import(&app, "application/json", &file, false).await;
    imported.expect(200);
    assert_eq!(counts(&imported), (false, 1, 0, 0));
    let stored = app.get("/v1/offers/IMPORTA", MANAGEMENT).await;
    stored.expect(200);
    assert_eq!(
        stored.body["data"]["commitments"][0]["discounts"][0]["price"],
        "7.50"
    );
    let line = json!({ "offer": offer("IMPORTA", "restaurants") }).to_string();
    let updated = import(&app, "application/x-ndjson", &line, false).await;
    updated.expect(200);
    assert_eq!(counts(&updated), (false, 0, 1, 0));
    let stored = app.get("/v1/offers/IMPORTA", MANAGEMENT).await;
    assert_eq!(stored.body["data"]["scope"]["group"], "restaurants");
}
