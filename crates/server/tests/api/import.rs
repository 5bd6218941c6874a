//! `POST /v1/products/import`: catalog files in JSON and CSV, all or nothing.

use reqwest::{Method, header};
use serde_json::json;

use crate::support::{MANAGEMENT, STOREFRONT, TestApp, import_products, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_a_json_array_then_finds_it_unchanged() {
    let app = spawn_app().await;
    let products = json!([
        { "sku": "IMP-1", "name": "Imported one", "price": "10.00", "tax_rate": "0.20", "segments": ["jeux"] },
        { "sku": "IMP-2", "name": "Imported two", "price": "20.00", "tax_rate": "0.20", "segments": ["marvel"], "brand": "Hasbro" },
    ]);
    let text = products.to_string();
    let first = import_products(&app, "application/json", &text).await;
    first.expect(200);
    assert_eq!(
        first.body,
        json!({ "created": 2, "updated": 0, "unchanged": 0 })
    );
    let again = import_products(&app, "application/json", &text).await;
    assert_eq!(
        again.body,
        json!({ "created": 0, "updated": 0, "unchanged": 2 })
    );
    assert_eq!(app.list_all("products").await.len(), 14);

    // One changed, one not; the `{ "products": [...] }` form.
    let mut changed = products.clone();
    changed[0]["price"] = json!("9.00");
    let wrapped = json!({ "products": changed }).to_string();
    let third = import_products(&app, "application/json", &wrapped).await;
    assert_eq!(
        third.body,
        json!({ "created": 0, "updated": 1, "unchanged": 1 })
    );
    let one = app.get("/v1/products/IMP-1", MANAGEMENT).await;
    assert_eq!(one.body["data"]["price"], "9.00");
    assert_eq!(one.etag(), 2);

    // Imported products are priced at once: IMP-2 is in the Marvel segment (-20 % on the web).
    let prices = app
        .post(
            "/v1/prices",
            STOREFRONT,
            &json!({ "channel": "web", "at": crate::support::AT, "skus": ["IMP-1", "IMP-2"] }),
        )
        .await;
    prices.expect(200);
    assert_eq!(prices.body["prices"][0]["price"], "9.00");
    assert_eq!(prices.body["prices"][1]["price"], "16.00");
    assert_eq!(prices.body["prices"][1]["promotion"], "marvel-20");

    // Audited as the key that imported them.
    let audit = app
        .get("/v1/audit?entity=product&entity_id=IMP-1", MANAGEMENT)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(audit.body["items"][0]["actor"], "key:demo management");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_csv_with_attribute_columns() {
    let app = spawn_app().await;
    let csv = "sku,name,price,tax_rate,segments,brand,tags,attr.colour,attr.age\n\
               CSV-1,Puzzle 500 pièces,12.50,0.20,jeux|peluches,Ravensburger,noël|promo,rouge,8+\n\
               CSV-2, Dés ,3.00,0.20,,,,,\n";
    let reply = import_products(&app, "text/csv; charset=utf-8", csv).await;
    reply.expect(200);
    assert_eq!(
        reply.body,
        json!({ "created": 2, "updated": 0, "unchanged": 0 })
    );
    let one = app.get("/v1/products/CSV-1", MANAGEMENT).await;
    one.expect(200);
    let data = &one.body["data"];
    assert_eq!(data["name"], "Puzzle 500 pièces");
    assert_eq!(data["price"], "12.50");
    assert_eq!(data["segments"], json!(["jeux", "peluches"]));
    assert_eq!(data["tags"], json!(["noël", "promo"]));
    assert_eq!(data["brand"], "Ravensburger");
    assert_eq!(
        data["attributes"],
        json!({ "colour": "rouge", "age": "8+" })
    );
    let two = app.get("/v1/products/CSV-2", MANAGEMENT).await;
    assert_eq!(two.body["data"]["name"], "Dés", "cells are trimmed");
    assert_eq!(two.body["data"]["attributes"], json!({}));
    assert!(two.body["data"]["brand"].is_null());

    let again = import_products(&app, "text/csv", csv).await;
    assert_eq!(
        again.body,
        json!({ "created": 0, "updated": 0, "unchanged": 2 })
    );
}

/// A dry run reads and checks the file as the import does, counts what it would do (comparing
/// bodies as the store does: `9.990` is not the stored `9.99`) and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_counts_and_writes_nothing() {
    let app = spawn_app().await;
    let dry_run = |body: &'static str| {
        let app = &app;
        async move {
            app.send(
                app.with_key(Method::POST, "/v1/products/import?dry_run=true", MANAGEMENT)
                    .header(header::CONTENT_TYPE, "text/csv")
                    .body(body),
            )
            .await
        }
    };
    let csv = "sku,name,price,tax_rate,segments,brand,tags,attr.type\n\
               DRY-1,Dry,1.00,0.20,,,,\n\
               GAME-UNO,UNO,9.99,0.20,jeux,Mattel,,jeu\n\
               GAME-MONOPOLY-MARVEL,Monopoly Marvel Avengers,39.99,0.20,jeux,Hasbro,,jeu\n";
    let reply = dry_run(csv).await;
    reply.expect(200);
    // Monopoly's row lacks its `licence` attribute: an update.
    assert_eq!(
        reply.body,
        json!({ "created": 1, "updated": 1, "unchanged": 1 })
    );
    app.get("/v1/products/DRY-1", MANAGEMENT).await.expect(404);
    let same_value = dry_run("sku,name,price,tax_rate,segments,brand,tags,attr.type\nGAME-UNO,UNO,9.990,0.20,jeux,Mattel,,jeu\n").await;
    assert_eq!(
        same_value.body,
        json!({ "created": 0, "updated": 1, "unchanged": 0 })
    );
    // The import's own errors, with their lines.
    let bad = dry_run("sku,price\nDRY-2,abc\nDRY-2,1.00\n").await;
    bad.expect(422);
    assert_eq!(bad.error_fields(), ["line 2: price", "line 3: sku"]);
    app.get("/v1/products/DRY-2", MANAGEMENT).await.expect(404);
    // The import agrees with its dry run.
    let real = import_products(&app, "text/csv", csv).await;
    assert_eq!(
        real.body,
        json!({ "created": 1, "updated": 1, "unchanged": 1 })
    );
    let bad_flag = app
        .send(
            app.with_key(
                Method::POST,
                "/v1/products/import?dry_run=maybe",
                MANAGEMENT,
            )
            .header(header::CONTENT_TYPE, "text/csv")
            .body("sku,price\nDRY-3,1.00\n"),
        )
        .await;
    bad_flag.expect(400);
    app.get("/v1/products/DRY-3", MANAGEMENT).await.expect(404);
}

/// As a French spreadsheet saves CSV: `;` between cells, decimal commas, commas inside names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_semicolon_csv_with_decimal_commas() {
    let app = spawn_app().await;
    let csv = "\u{feff}sku;name;price;tax_rate;segments\r\n\
               FR-1;Puzzle, 500 pièces;12,50;0,055;jeux|peluches\r\n\
               FR-2;Dés;3.00;;\r\n";
    let reply = import_products(&app, "text/csv", csv).await;
    reply.expect(200);
    let one = app.get("/v1/products/FR-1", MANAGEMENT).await;
    one.expect(200);
    let data = &one.body["data"];
    assert_eq!(data["name"], "Puzzle, 500 pièces");
    assert_eq!(data["price"], "12.50");
    assert_eq!(data["tax_rate"], "0.055");
    assert_eq!(data["segments"], json!(["jeux", "peluches"]));
    let two = app.get("/v1/products/FR-2", MANAGEMENT).await;
    assert_eq!(two.body["data"]["price"], "3.00");

    // A bad amount names its line and says what is accepted; a comma-separated file keeps
    // reading a comma as a column separator.
    let reply = import_products(&app, "text/csv", "sku;price\nX;1,2,3\n").await;
    reply.expect(422);
    assert_eq!(reply.body["errors"][0]["field"], "line 2: price");
    assert_eq!(
        reply.body["errors"][0]["message"],
        "`1,2,3` is not a decimal number (12.50 or 12,50)"
    );
    let reply = import_products(&app, "text/csv", "sku,price\nX,\"1,5\"\n").await;
    reply.expect(422);
    assert_eq!(reply.body["errors"][0]["field"], "line 2: price");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_is_refused_whole_with_every_line_named() {
    let app = spawn_app().await;
    let before = app.list_all("products").await;
    let audit_before =
        app.get("/v1/audit?limit=1", MANAGEMENT).await.body["items"][0]["seq"].clone();

    // Line 3: a price that does not read; line 5: a segment that does not exist.
    let csv = "sku,name,price,segments\n\
               BAD-1,One,10.00,jeux\n\
               BAD-2,Two,douze,jeux\n\
               BAD-3,Three,3.00,\n\
               BAD-4,Four,4.00,no-such-segment\n";
    let reply = import_products(&app, "text/csv", csv).await;
    reply.expect(422);
    assert_eq!(
        reply.error_fields(),
        ["line 3: price", "line 5: segments[0]"]
    );
    assert!(reply.text.contains("douze"), "{}", reply.text);
    assert!(reply.text.contains("no-such-segment"), "{}", reply.text);

    // A price that reads but is not valid, the same way.
    let csv = csv.replace("douze", "-3");
    let reply = import_products(&app, "text/csv", &csv).await;
    reply.expect(422);
    assert_eq!(
        reply.error_fields(),
        ["line 3: price", "line 5: segments[0]"]
    );

    // JSON: items named by their index.
    let json = json!([
        { "sku": "BAD-1", "name": "One", "price": "oops" },
        { "sku": "BAD-2", "name": "Two", "price": "2.00", "segments": ["no-such-segment"] },
        { "sku": "BAD-3", "name": "Three", "price": "2.00", "colour": "red" },
    ]);
    let reply = import_products(&app, "application/json", &json.to_string()).await;
    reply.expect(422);
    assert_eq!(
        reply.error_fields(),
        ["[0].price", "[1]: segments[0]", "[2].colour"],
        "in the order of the file, though found in two passes"
    );
    // Each message says what is wrong, without repeating the field.
    let messages: Vec<&str> = reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or(""))
        .collect();
    assert!(messages[0].starts_with("invalid value"), "{messages:?}");
    assert_eq!(messages[1], "unknown segment `no-such-segment`");
    assert!(
        messages[2].starts_with("unknown field `colour`"),
        "{messages:?}"
    );

    // Duplicates and a missing column.
    let duplicate = "sku,price\nDUP,1.00\nDUP,2.00\n";
    let reply = import_products(&app, "text/csv", duplicate).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["line 3: sku"]);
    let reply = import_products(&app, "text/csv", "sku,name\nX,Y\n").await;
    reply.expect_problem(422, Some("line 1"));
    let reply = import_products(&app, "text/csv", "sku,price,colour\nX,1.00,red\n").await;
    reply.expect_problem(422, Some("line 1, column 3"));

    // Nothing was written.
    assert_eq!(app.list_all("products").await, before);
    app.get("/v1/products/BAD-1", MANAGEMENT).await.expect(404);
    let audit_after =
        app.get("/v1/audit?limit=1", MANAGEMENT).await.body["items"][0]["seq"].clone();
    assert_eq!(audit_after, audit_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_may_be_larger_than_other_bodies() {
    let app = spawn_app().await;
    // 3 MiB (over the 2 MiB of other routes), mostly padding that cells lose when trimmed.
    let padding = " ".repeat(3 * 1024 * 1024);
    let csv = format!("sku,name,price\nBIG-1,{padding}Big one{padding},1.00\n");
    let reply = import_products(&app, "text/csv", &csv).await;
    reply.expect(200);
    assert_eq!(reply.body["created"], 1);
    let big = app.get("/v1/products/BIG-1", MANAGEMENT).await;
    assert_eq!(big.body["data"]["name"], "Big one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_needs_csv_or_json() {
    let app = spawn_app().await;
    let reply = import_products(&app, "text/plain", "sku,price\nX,1.00\n").await;
    reply.expect(415);
    assert_eq!(reply.body["type"], "/problems/unsupported-media-type");
    import_products(&app, "application/xml", "<products/>")
        .await
        .expect(415);
    import_products(&app, "application/json", "{ not json")
        .await
        .expect(400);
    import_products(&app, "application/json", "{ \"sku\": \"X\" }")
        .await
        .expect(422);
    app.get("/v1/products/X", MANAGEMENT).await.expect(404);
    // Storefront keys cannot import.
    let reply = app
        .send(
            app.with_key(Method::POST, "/v1/products/import", STOREFRONT)
                .header("content-type", "text/csv")
                .body("sku,price\nX,1.00\n"),
        )
        .await;
    reply.expect(403);
}

/// A CSV of `rows` valid products `GEN-00000`… in the demo's `jeux` segment, priced `price`;
/// line `n` of the file (the header is line 1) is `lines[n - 1]`.
fn generated(rows: usize, price: &str) -> Vec<String> {
    let mut lines = vec!["sku,name,price,tax_rate,segments".to_owned()];
    lines.extend((0..rows).map(|i| format!("GEN-{i:05},Generated {i},{price},0.20,jeux")));
    lines
}

/// Where the store stands, to see that a refused import changed nothing: every product, and the
/// newest audit entry.
async fn store_state(app: &TestApp) -> (Vec<String>, serde_json::Value) {
    let audit = app.get("/v1/audit?limit=1", MANAGEMENT).await;
    (
        app.list_all("products").await,
        audit.body["items"][0].clone(),
    )
}

/// Problems on lines far apart in a file of 20,000 rows are all reported, by line, and nothing is
/// written; past 100 problems the rest are counted.
pub async fn check_far_apart_errors(app: &TestApp) {
    let before = store_state(app).await;
    let mut lines = generated(20_000, "1.00");
    lines[1] = "GEN-00000,First,douze,0.20,jeux".to_owned();
    lines[10_000] = "GEN-09999,Middle,1.00,0.20,no-such-segment".to_owned();
    lines[20_000] = "GEN-00001,Last,1.00,0.20,jeux".to_owned();
    let reply = import_products(app, "text/csv", &(lines.join("\n") + "\n")).await;
    reply.expect(422);
    assert_eq!(
        reply.error_fields(),
        [
            "line 2: price",
            "line 10001: segments[0]",
            "line 20001: sku"
        ]
    );
    let messages: Vec<&str> = reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        messages,
        [
            "`douze` is not a decimal number (use a point: 12.50)",
            "unknown segment `no-such-segment`",
            "`GEN-00001` is already at line 3",
        ]
    );

    // Every 80th row refused: 250 problems, the first 100 listed in the file's order.
    let mut lines = generated(20_000, "1.00");
    for line in lines.iter_mut().skip(1).step_by(80) {
        *line = line.replace(",1.00,", ",-1,");
    }
    let reply = import_products(app, "text/csv", &(lines.join("\n") + "\n")).await;
    reply.expect(422);
    let fields = reply.error_fields();
    assert_eq!(fields.len(), 101);
    assert_eq!(fields[0], "line 2: price");
    assert_eq!(fields[99], "line 7922: price");
    assert_eq!(fields[100], "");
    assert_eq!(reply.body["errors"][100]["message"], "and 150 more errors");
    assert_eq!(store_state(app).await, before, "nothing was written");
}

/// A valid import, then one that fails on its last line: the second changes nothing of what the
/// first wrote.
pub async fn check_failed_import_keeps_the_previous(app: &TestApp) {
    let first = generated(2_500, "1.00");
    let reply = import_products(app, "text/csv", &(first.join("\n") + "\n")).await;
    reply.expect(200);
    assert_eq!(reply.body["created"], 2_500);
    let before = store_state(app).await;

    let mut second = generated(3_000, "2.00");
    second[3_000] = "GEN-02999,Late,2.00,1.5,jeux".to_owned();
    let reply = import_products(app, "text/csv", &(second.join("\n") + "\n")).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["line 3001: tax_rate"]);
    assert_eq!(store_state(app).await, before);
    let one = app.get("/v1/products/GEN-01234", MANAGEMENT).await;
    one.expect(200);
    assert_eq!(one.body["data"]["price"], "1.00");
    assert_eq!(one.etag(), 1);
    app.get("/v1/products/GEN-02600", MANAGEMENT)
        .await
        .expect(404);
}

/// An error on the last line of a file read in many chunks, some already written into the
/// transaction when it is found, in CSV and in JSON: nothing is written.
pub async fn check_late_error_rolls_back(app: &TestApp) {
    let before = store_state(app).await;
    let mut lines = generated(5_000, "3.00");
    lines[5_000] = "GEN-04999,Late,3.001,0.20,jeux".to_owned();
    let reply = import_products(app, "text/csv", &(lines.join("\n") + "\n")).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["line 5001: price"]);
    assert_eq!(store_state(app).await, before);

    let mut products: Vec<serde_json::Value> = (0..5_000)
        .map(|i| json!({ "sku": format!("JSON-{i:05}"), "price": "3.00", "segments": ["jeux"] }))
        .collect();
    products[4_999]["price"] = json!("-3.00");
    let reply = import_products(app, "application/json", &json!(products).to_string()).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["[4999]: price"]);
    assert_eq!(store_state(app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_far_apart_in_a_large_file_are_all_reported() {
    check_far_apart_errors(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_leaves_the_previous_one_intact() {
    check_failed_import_keeps_the_previous(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_on_the_last_line_rolls_the_import_back() {
    check_late_error_rolls_back(&spawn_app().await).await;
}
