//! Routes for operators and developers: health, metrics, the API description, the reference page.

use reqwest::Method;
use serde_json::Value;

use crate::support::{MANAGEMENT, percent_off, spawn_app, toyshop_cart};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_database_and_the_snapshot() {
    let app = spawn_app().await;
    let health = app.send(app.request(Method::GET, "/health")).await;
    health.expect(200);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["database"], "ok");
    let snapshot = &health.body["snapshot"];
    assert_eq!(snapshot["products"], 12);
    assert_eq!(snapshot["promotions"], 12);
    assert!(snapshot["revision"].is_i64());
    assert!(snapshot["compiled_at"].is_string());
    let revision = snapshot["revision"].as_i64().unwrap_or_default();

    // A change moves the revision and the counts.
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &percent_off("extra", "GAME-UNO", 5, None),
    )
    .await
    .expect(201);
    let health = app.send(app.request(Method::GET, "/health")).await;
    assert_eq!(health.body["snapshot"]["promotions"], 13);
    assert!(
        health.body["snapshot"]["revision"]
            .as_i64()
            .unwrap_or_default()
            > revision
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_evaluations() {
    let app = spawn_app().await;
    app.evaluate(&toyshop_cart()).await.expect(200);
    app.evaluate(&toyshop_cart()).await.expect(200);
    app.get("/v1/promotions/marvel-20", MANAGEMENT)
        .await
        .expect(200);
    app.get("/v1/promotions/nope", MANAGEMENT).await.expect(404);
    let metrics = app.send(app.request(Method::GET, "/metrics")).await;
    metrics.expect(200);
    assert!(
        metrics
            .content_type()
            .starts_with("application/openmetrics-text")
    );
    let text = &metrics.text;
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has(
            r#"remise_http_requests_total{method="POST",route="/v1/carts/evaluate",status="200"} 2"#
        ),
        "{text}"
    );
    // Ids do not become series: the route template is the label.
    assert!(
        has(
            r#"remise_http_requests_total{method="GET",route="/v1/promotions/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        has(
            r#"remise_http_requests_total{method="GET",route="/v1/promotions/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(!text.contains("marvel-20"), "{text}");
    assert!(has("remise_cart_evaluations_total 2"), "{text}");
    assert!(
        text.contains("remise_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(has("remise_snapshot_promotions 12"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_describes_itself() {
    let app = spawn_app().await;
    let openapi = app.send(app.request(Method::GET, "/openapi.json")).await;
    openapi.expect(200);
    assert_eq!(openapi.content_type(), "application/json");
    let document: &Value = &openapi.body;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/v1/carts/evaluate",
        "/v1/prices",
        "/v1/promotions/{id}",
        "/v1/products/import",
    ] {
        assert!(paths.contains_key(path), "{path} is not described");
    }

    let docs = app.send(app.request(Method::GET, "/docs")).await;
    docs.expect(200);
    assert!(
        docs.content_type().starts_with("text/html"),
        "{}",
        docs.content_type()
    );
    assert!(docs.text.contains("/v1/carts/evaluate"));

    let root = app.send(app.request(Method::GET, "/")).await;
    assert!(root.status.is_redirection(), "{}", root.status);
    assert_eq!(root.header("location"), Some("/docs"));
}

/// The reference page in a real headless Chromium, started without network access beyond
/// loopback: it renders every operation from the served document. `.ci/run` installs Chromium
/// and requires it; elsewhere, without Chromium, the test says it was skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_page_renders_in_a_browser_without_internet() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        // CI must not pass by skipping: `.ci/run` installs Chromium and sets this.
        assert!(
            std::env::var_os("REMISE_REQUIRE_CHROMIUM").is_none(),
            "Chromium is required (REMISE_REQUIRE_CHROMIUM) but missing"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium); .ci/run installs it");
        return;
    };
    let app = spawn_app().await;
    let profile = tempfile_dir();
    let url = app.url("/docs");
    let chromium = chromium.to_owned();
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Anything but loopback fails, so a page that needed a CDN would show it.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                &profile_arg,
                "--dump-dom",
                &url,
            ])
            .output()
    })
    .await
    .expect("join")
    .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    let document: Value =
        serde_json::from_str(include_str!("../../src/openapi.json")).expect("openapi.json");
    assert!(
        dom.contains("<title>"),
        "no title in:\n{}",
        &dom[..dom.len().min(500)]
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in paths.keys() {
        assert!(
            dom.contains(path.as_str()),
            "{path} is not on the rendered page"
        );
    }
}

/// A fresh directory for a browser profile.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "remise-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("profile dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_can_add_metric_series() {
    let app = spawn_app().await;
    let before = app.send(app.request(Method::GET, "/metrics")).await.text;
    for i in 0..50 {
        let invented = format!("INVENTED{i}{}", "X".repeat(200));
        let method = Method::from_bytes(invented.as_bytes()).expect("a valid method token");
        let reply = app
            .send(app.request(method, &format!("/v1/nowhere/{i}")))
            .await;
        assert!(reply.status.is_client_error(), "{}", reply.status);
    }
    let after = app.send(app.request(Method::GET, "/metrics")).await.text;
    assert!(!after.contains("INVENTED"), "{after}");
    assert!(
        after.lines().any(|l| l
            .starts_with(r#"remise_http_requests_total{method="OTHER",route="unmatched",status="#)
            && l.ends_with(" 50")),
        "{after}"
    );
    // Fifty requests added one request series (and its latency histogram), not fifty.
    assert!(
        after.len() < before.len() + 4_000,
        "{} bytes before, {} after",
        before.len(),
        after.len()
    );
    assert!(after.contains("remise_http_panics_total 0"), "{after}");
}
