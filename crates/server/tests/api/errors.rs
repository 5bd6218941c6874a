//! Bad requests: each gets the status and the field it deserves, as a problem document (the
//! support module checks the content type and the absence of 500s on every reply).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    MANAGEMENT, STOREFRONT, TestApp, cart, evaluate_raw, spawn_app, toyshop_cart,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_names_its_position() {
    let app = spawn_app().await;
    let reply = evaluate_raw(&app, "{\"lines\": [}").await;
    reply.expect(400);
    assert_eq!(reply.body["type"], "/problems/invalid-json");
    assert_eq!(reply.body["field"], "line 1, column 12");
    let reply = evaluate_raw(&app, "{\n  \"lines\": [],\n  \"at\": \n}").await;
    reply.expect_problem(400, Some("line 4, column 1"));
    let reply = evaluate_raw(&app, "").await;
    reply.expect(400);
    assert!(
        reply.body["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("line 1, column "))
    );
    // Management bodies alike.
    let reply = app
        .send(
            app.with_key(Method::POST, "/v1/segments", MANAGEMENT)
                .header("content-type", "application/json")
                .body("{\"id\": \"x\",}"),
        )
        .await;
    reply.expect(400);
    assert!(
        reply.body["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("line 1, column "))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_shapes_name_the_field() {
    let app = spawn_app().await;
    let mut unknown = toyshop_cart();
    unknown["coupon"] = json!("MARVEL10");
    let reply = app.evaluate(&unknown).await;
    reply.expect_problem(400, Some("coupon"));
    assert!(reply.text.contains("unknown field"), "{}", reply.text);

    // A negative quantity is well-formed: a 422 like zero (`numbers.rs`).
    let mut negative = cart(&[("GAME-UNO", 1)]);
    negative["lines"][0]["quantity"] = json!(-1);
    app.evaluate(&negative)
        .await
        .expect_problem(422, Some("lines[0].quantity"));
    let mut text = cart(&[("GAME-UNO", 1)]);
    text["lines"][0]["quantity"] = json!("two");
    app.evaluate(&text)
        .await
        .expect_problem(400, Some("lines[0].quantity"));
    let mut nested = cart(&[("GAME-UNO", 1), ("PILES-AA", 1)]);
    nested["lines"][1]["qty"] = json!(1);
    app.evaluate(&nested)
        .await
        .expect_problem(400, Some("lines[1].qty"));
    app.evaluate(&json!({ "lines": "GAME-UNO" }))
        .await
        .expect_problem(400, Some("lines"));
    app.evaluate(&json!([1, 2])).await.expect(400);

    // Well-formed but not acceptable: 422, every field.
    let zero = cart(&[("GAME-UNO", 0), ("NO-SUCH-SKU", 1)]);
    let reply = app.evaluate(&zero).await;
    reply.expect(422);
    assert_eq!(reply.error_fields(), ["lines[0].quantity", "lines[1].sku"]);
    let mut at = cart(&[("GAME-UNO", 1)]);
    at["at"] = json!("tomorrow");
    app.evaluate(&at).await.expect_problem(422, Some("at"));

    // Management: a wrong type in a document.
    app.post(
        "/v1/products",
        MANAGEMENT,
        &json!({ "sku": "X", "price": true }),
    )
    .await
    .expect_problem(400, Some("price"));
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &json!({ "id": "x", "offer": { "type": "half_price" } }),
    )
    .await
    .expect(400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_413() {
    let app = spawn_app().await;
    let lines: Vec<(&str, u32)> = vec![("GAME-UNO", 1); 1001];
    let reply = app.evaluate(&cart(&lines)).await;
    reply.expect(413);
    assert_eq!(reply.body["type"], "/problems/payload-too-large");
    assert!(reply.text.contains("1000"), "{}", reply.text);
    // 1000 lines are fine.
    let lines: Vec<(&str, u32)> = vec![("GAME-UNO", 1); 1000];
    app.evaluate(&cart(&lines)).await.expect(200);

    // Over 2 MiB of body, on storefront and management routes.
    let mut big = cart(&[("GAME-UNO", 1)]);
    big["customer"] = json!({ "id": "x".repeat(2 * 1024 * 1024 + 1) });
    app.evaluate(&big).await.expect(413);
    let big = json!({ "id": "big", "name": "y".repeat(2 * 1024 * 1024 + 1) });
    app.post("/v1/segments", MANAGEMENT, &big).await.expect(413);
    // Also when the size is not announced: 2.5 MiB in chunks.
    assert_eq!(chunked_evaluate(&app, 40).await, 413);
    assert_eq!(
        chunked_evaluate(&app, 0).await,
        400,
        "an empty chunked body is malformed JSON"
    );
}

/// Sends `POST /v1/carts/evaluate` with `Transfer-Encoding: chunked` and `chunks` chunks of 64
/// KiB of spaces (reqwest, without its `stream` feature, always announces the length); returns
/// the status code.
async fn chunked_evaluate(app: &TestApp, chunks: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (mut reader, mut socket) = socket.into_split();
    // Read while writing: the answer may come (and the connection close) before the body is sent.
    let reading = tokio::spawn(async move {
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut buffer).await {
            response.extend_from_slice(&buffer[..n]);
        }
        response
    });
    let head = format!(
        "POST /v1/carts/evaluate HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {STOREFRONT}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    socket
        .write_all(head.as_bytes())
        .await
        .expect("write the head");
    let chunk = [
        format!("{:x}\r\n", 64 * 1024).into_bytes(),
        vec![b' '; 64 * 1024],
        b"\r\n".to_vec(),
    ]
    .concat();
    for _ in 0..chunks {
        // The server may answer and close before reading everything.
        if socket.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let response = reading.await.expect("the reader");
    let text = String::from_utf8_lossy(&response);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{text}"
    );
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_are_checked() {
    let app = spawn_app().await;
    for limit in ["0", "501"] {
        app.get(&format!("/v1/promotions?limit={limit}"), MANAGEMENT)
            .await
            .expect_problem(422, Some("limit"));
    }
    app.get("/v1/promotions?limit=500", MANAGEMENT)
        .await
        .expect(200);
    app.get("/v1/promotions?limit=ten", MANAGEMENT)
        .await
        .expect_problem(400, Some("query"));
    app.get("/v1/promotions?deleted=maybe", MANAGEMENT)
        .await
        .expect_problem(400, Some("query"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    for path in [
        "/v1/nothing-here",
        "/v2/carts/evaluate",
        "/v1/promotions/x/y/z",
    ] {
        let reply = app.get(path, MANAGEMENT).await;
        reply.expect(404);
        assert_eq!(reply.body["type"], "/problems/not-found");
    }
    // Without a key too: an unknown route is not a secret.
    app.send(app.request(Method::GET, "/nothing"))
        .await
        .expect(404);

    let reply = app
        .send(app.with_key(Method::POST, "/v1/promotions/marvel-20", MANAGEMENT))
        .await;
    reply.expect(405);
    assert_eq!(reply.body["type"], "/problems/method-not-allowed");
    let allow = reply.header("allow").unwrap_or_default();
    assert!(
        allow.contains("PUT") && allow.contains("PATCH") && allow.contains("DELETE"),
        "{allow}"
    );
    app.send(app.with_key(Method::GET, "/v1/carts/evaluate", STOREFRONT))
        .await
        .expect(405);
    app.send(app.with_key(Method::DELETE, "/v1/promotions", MANAGEMENT))
        .await
        .expect(405);
    app.send(app.request(Method::POST, "/health"))
        .await
        .expect(405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_declared_as_something_else_is_415() {
    let app = spawn_app().await;
    let reply = app
        .send(
            app.with_key(Method::POST, "/v1/carts/evaluate", STOREFRONT)
                .header("content-type", "text/plain")
                .body(toyshop_cart().to_string()),
        )
        .await;
    reply.expect(415);
    // `+json` types and parameters are accepted.
    let reply = app
        .send(
            app.with_key(Method::POST, "/v1/carts/evaluate", STOREFRONT)
                .header("content-type", "application/vnd.remise+json; charset=utf-8")
                .body(toyshop_cart().to_string()),
        )
        .await;
    reply.expect(200);
    let value: &Value = &reply.body;
    assert_eq!(value["format"], "remise.quote/1");
}
