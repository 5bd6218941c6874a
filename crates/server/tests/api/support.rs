//! A real server per test: bound on `127.0.0.1:0` over a fresh database, served on the test's
//! runtime, stopped when the handle is dropped. Every response goes through [`TestApp::send`],
//! which checks the API-wide error contract (problem+json, never a 500) on every test's requests.

use std::str::FromStr;
use std::sync::Arc;

use remise_server::{Server, demo};
use remise_store::Store;
use remise_test_support::TestSqlite;
use reqwest::header::{self, HeaderMap};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The demo keys (documented, printed by `remise serve`).
pub const STOREFRONT: &str = demo::STOREFRONT_KEY;
pub const MANAGEMENT: &str = demo::MANAGEMENT_KEY;

/// The toy shop's example cart and price request, as the README uses them.
pub const TOYSHOP_CART: &str = include_str!("../../../../examples/toyshop.cart.json");
pub const TOYSHOP_PRICES: &str = include_str!("../../../../examples/toyshop.prices.json");

/// The instant of the example cart: every demo campaign is running then (Black Friday has ended).
pub const AT: &str = "2026-12-05T14:30:00+01:00";

/// The twelve products and twelve promotions of the demo, sorted by id.
pub const DEMO_SKUS: [&str; 12] = [
    "BD-SPIDERMAN",
    "FIG-BATMAN",
    "FIG-CAPTAIN",
    "FIG-IRONMAN",
    "FIG-SPIDERMAN",
    "GAME-MONOPOLY-MARVEL",
    "GAME-UNO",
    "LEGO-AVENGERS",
    "MASK-SPIDERMAN",
    "PILES-AA",
    "PLUSH-GROOT",
    "POSTER-AVENGERS",
];

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Does not follow redirects (so `/` can be checked).
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    /// Keeps the SQLite file of [`spawn_app`] until the server is gone.
    _sqlite: Option<TestSqlite>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A server over a fresh SQLite file holding the demo store.
pub async fn spawn_app() -> TestApp {
    let sqlite = TestSqlite::new();
    let store = open_migrated(&sqlite.url).await;
    demo::load(store.as_ref())
        .await
        .expect("load the demo data");
    let mut app = start(store).await;
    app._sqlite = Some(sqlite);
    app
}

/// A server over the database at `url` (migrated here; the caller loads what it needs, e.g.
/// with [`load_demo`]). Several may share one database.
pub async fn spawn_app_on(url: &str) -> TestApp {
    start(open_migrated(url).await).await
}

/// Migrates the database at `url` and loads the demo store into it.
pub async fn load_demo(url: &str) {
    let store = open_migrated(url).await;
    demo::load(store.as_ref())
        .await
        .expect("load the demo data");
}

async fn open_migrated(url: &str) -> Arc<dyn Store> {
    let store = remise_store::open(url).await.expect("open the store");
    store.migrate().await.expect("migrate the store");
    store
}

/// A server over a fresh SQLite file holding the demo store, with an e-mail worker.
pub async fn spawn_app_with_mail(mail: remise_server::mail::MailSettings) -> TestApp {
    let sqlite = TestSqlite::new();
    let store = open_migrated(&sqlite.url).await;
    demo::load(store.as_ref())
        .await
        .expect("load the demo data");
    let mut app = start_with(store, Some(mail)).await;
    app._sqlite = Some(sqlite);
    app
}

async fn start(store: Arc<dyn Store>) -> TestApp {
    start_with(store, None).await
}

async fn start_with(
    store: Arc<dyn Store>,
    mail: Option<remise_server::mail::MailSettings>,
) -> TestApp {
    let mut server = Server::bind(store, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("bind the server");
    if let Some(mail) = mail {
        server = server.with_mail(mail);
    }
    let base = format!("http://{}", server.addr);
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = server
            .run(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            eprintln!("the test server failed: {error:#}");
        }
    });
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    TestApp {
        base,
        client,
        shutdown: Some(shutdown),
        _sqlite: None,
    }
}

/// A response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header(header::CONTENT_TYPE.as_str()).unwrap_or("")
    }

    /// Panics with the body unless the status is `expected`.
    #[track_caller]
    pub fn expect(&self, expected: u16) -> &Reply {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "expected {expected}, got {}: {}",
            self.status,
            self.text
        );
        self
    }

    /// Checks a problem: its status, and its `field` (the first one) when given.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, field: Option<&str>) -> &Reply {
        self.expect(status);
        if let Some(field) = field {
            assert_eq!(
                self.body["field"],
                json!(field),
                "problem field: {}",
                self.text
            );
        }
        self
    }

    /// The fields of a validation problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The version in the `ETag` header (`"3"` → 3).
    #[track_caller]
    pub fn etag(&self) -> i64 {
        let etag = self.header("etag").expect("an ETag header");
        etag.trim_matches('"').parse().expect("a numeric ETag")
    }

    /// The ids of a list page's items.
    pub fn ids(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request without a key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with `key` as its bearer token.
    pub fn with_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(key)
    }

    /// Sends a request and reads the response. Every error must be a problem document
    /// (`application/problem+json`, with the response's status in it) and no request may fail
    /// with a 500.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let reply = Reply {
            status,
            headers,
            text,
            body,
        };
        assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR,
            "a 500: {}",
            reply.text
        );
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                reply.content_type(),
                "application/problem+json",
                "an error that is not a problem ({status}): {}",
                reply.text
            );
            assert_eq!(
                reply.body["status"],
                json!(status.as_u16()),
                "{}",
                reply.text
            );
            let kind = reply.body["type"].as_str().unwrap_or_default();
            assert!(
                kind.starts_with("/problems/"),
                "problem type: {}",
                reply.text
            );
            assert!(
                reply.body["title"].is_string(),
                "problem title: {}",
                reply.text
            );
            assert!(
                reply.body["detail"].is_string(),
                "problem detail: {}",
                reply.text
            );
        }
        reply
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.send(self.with_key(Method::GET, path, key)).await
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Reply {
        self.send(self.with_key(Method::POST, path, key).json(body))
            .await
    }

    /// A PUT, with `If-Match: "<version>"` when a version is given.
    pub async fn put(&self, path: &str, key: &str, body: &Value, if_match: Option<i64>) -> Reply {
        let mut request = self.with_key(Method::PUT, path, key).json(body);
        if let Some(version) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{version}\""));
        }
        self.send(request).await
    }

    /// A PATCH (JSON Merge Patch), with `If-Match: "<version>"` when a version is given.
    pub async fn patch(&self, path: &str, key: &str, body: &Value, if_match: Option<i64>) -> Reply {
        let mut request = self
            .with_key(Method::PATCH, path, key)
            .header(header::CONTENT_TYPE, "application/merge-patch+json")
            .body(body.to_string());
        if let Some(version) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{version}\""));
        }
        self.send(request).await
    }

    /// A DELETE, with `If-Match: "<version>"` when a version is given.
    pub async fn delete(&self, path: &str, key: &str, if_match: Option<i64>) -> Reply {
        let mut request = self.with_key(Method::DELETE, path, key);
        if let Some(version) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{version}\""));
        }
        self.send(request).await
    }

    /// Evaluates a cart with the storefront key.
    pub async fn evaluate(&self, cart: &Value) -> Reply {
        self.post("/v1/carts/evaluate", STOREFRONT, cart).await
    }

    /// The status of promotion `id` in the quote of `cart` (`None` when the quote does not list
    /// it: not live). The evaluation must succeed.
    pub async fn promotion_status(&self, cart: &Value, id: &str) -> Option<String> {
        let reply = self.evaluate(cart).await;
        reply.expect(200);
        promotion_status(&reply.body, id)
    }

    /// Every live document of a collection, following `next_after`.
    pub async fn list_all(&self, collection: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(after) => format!("/v1/{collection}?limit=500&after={after}"),
                None => format!("/v1/{collection}?limit=500"),
            };
            let page = self.get(&path, MANAGEMENT).await;
            page.expect(200);
            ids.extend(page.ids());
            match page.body["next_after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

/// The example cart of the toy shop.
pub fn toyshop_cart() -> Value {
    serde_json::from_str(TOYSHOP_CART).expect("the example cart is JSON")
}

/// A web cart at [`AT`] with one line per `(sku, quantity)`, ids `L1`, `L2`, …
pub fn cart(lines: &[(&str, u32)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (sku, quantity))| json!({ "id": format!("L{}", i + 1), "sku": sku, "quantity": quantity }))
        .collect();
    json!({ "channel": "web", "at": AT, "lines": lines })
}

/// The status of promotion `id` in a quote, `None` when not listed.
pub fn promotion_status(quote: &Value, id: &str) -> Option<String> {
    quote["promotions"]
        .as_array()?
        .iter()
        .find(|p| p["id"] == json!(id))
        .and_then(|p| p["status"].as_str())
        .map(str::to_owned)
}

/// The outcome of promotion `id` in a quote (its status, discount, reason).
#[track_caller]
pub fn outcome<'a>(quote: &'a Value, id: &str) -> &'a Value {
    quote["promotions"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["id"] == json!(id)))
        .unwrap_or_else(|| panic!("no promotion {id} in {quote}"))
}

/// The quote line with id `id`.
#[track_caller]
pub fn line<'a>(quote: &'a Value, id: &str) -> &'a Value {
    quote["lines"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["id"] == json!(id)))
        .unwrap_or_else(|| panic!("no line {id} in {quote}"))
}

/// A decimal string of a response.
#[track_caller]
pub fn dec(value: &Value) -> Decimal {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {value}"));
    Decimal::from_str(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// A promotion body: `percent` % off `sku`, optionally in `campaign`.
pub fn percent_off(id: &str, sku: &str, percent: u32, campaign: Option<&str>) -> Value {
    let mut body = json!({
        "id": id,
        "name": format!("{percent} % off {sku}"),
        "priority": 70,
        "targets": { "skus": [sku] },
        "offer": { "type": "percent_off", "percent": percent },
    });
    if let Some(campaign) = campaign {
        body["campaign"] = json!(campaign);
    }
    body
}

/// A new storefront key named `name`; returns its secret.
pub async fn storefront_key(app: &TestApp, name: &str) -> String {
    let created = app
        .post(
            "/v1/api-keys",
            MANAGEMENT,
            &json!({ "name": name, "scope": "storefront" }),
        )
        .await;
    created.expect(201);
    created.body["secret"]
        .as_str()
        .expect("the secret")
        .to_owned()
}

/// Waits, if needed, until at least 25 s are left in the current wall-clock minute: failed code
/// look-ups are counted per minute, and a test that counts some must not see the window end.
pub async fn fresh_window() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let into = (now % 60_000) as u64;
    if into > 35_000 {
        tokio::time::sleep(std::time::Duration::from_millis(60_000 - into + 100)).await;
    }
}

/// A promotion that only a code unlocks: `percent` % off `sku`.
///
/// The engine checks codes only for promotions with `conditions.coupon`: a promotion without it
/// applies whatever codes the cart holds (see `a_promotion_without_a_coupon_condition_…` below),
/// so a stored coupon "unlocking" it would change nothing. `"coupon": {"codes": []}` lists no code
/// of the promotion's own; the promotion is then unlocked only by a presented code whose details
/// name it (`CodeDetails::promotions`, which the server fills in for a stored coupon), and without
/// one the quote rejects it with `coupon_not_presented`.
pub fn code_only(id: &str, sku: &str, percent: u32) -> Value {
    let mut body = percent_off(id, sku, percent, None);
    body["conditions"] = json!({ "coupon": { "codes": [] } });
    body
}

/// A cart evaluation of a raw body, with the storefront key.
pub async fn evaluate_raw(app: &TestApp, body: &str) -> Reply {
    app.send(
        app.with_key(Method::POST, "/v1/carts/evaluate", STOREFRONT)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// A product import of `body` declared as `content_type`, with the management key.
pub async fn import_products(app: &TestApp, content_type: &str, body: &str) -> Reply {
    app.send(
        app.with_key(Method::POST, "/v1/products/import", MANAGEMENT)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.to_owned()),
    )
    .await
}
