//! The browser harness itself, against tiny pages served on 127.0.0.1 by the test: axe passes an
//! accessible page and fails one with known serious violations, screenshots are PNG files in the
//! target directory, a form filled by labels and names reaches the server, the helpers' errors
//! say what they missed and where, and browsers started at once are independent.
//!
//! Each test starts its own browser, and cargo runs them in parallel: that is part of what is
//! tested. Without Chromium they skip (and fail under `REMISE_REQUIRE_CHROMIUM`, as in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test whose server cannot start should fail loudly

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Form, Router};
use remise_test_support::browser::{
    Browser, BrowserError, BrowserOptions, DEFAULT_WAIT, REQUIRE_VAR, screenshot_dir,
};

/// The forms the test server received, each as its fields in order.
type Received = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// Serves the test pages on a free port of 127.0.0.1; returns its base URL and what it receives.
async fn serve() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/accessible", get(Html(ACCESSIBLE)))
        .route("/inaccessible", get(Html(INACCESSIBLE)))
        .route("/moderate", get(Html(MODERATE)))
        .route("/form", get(Html(FORM)))
        .route("/submit", post(submit))
        .route("/echo", get(echo))
        .route("/remember", get(remember))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

async fn submit(
    State(received): State<Received>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Html<String> {
    let count = fields.len();
    received.lock().unwrap().push(fields);
    Html(page("Saved", &format!("<p>Saved {count} fields.</p>")))
}

/// The request's language and cookies, as page text.
async fn echo(headers: HeaderMap) -> Html<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("none")
            .to_owned()
    };
    let body = format!(
        "<p>language: {}</p><p>cookie: {}</p>",
        header("accept-language"),
        header("cookie")
    );
    Html(page("Echo", &body))
}

/// Sets a cookie, to tell sessions apart.
async fn remember() -> impl IntoResponse {
    (
        [("set-cookie", "who=first; Path=/")],
        Html(page("Remembered", "<p>Remembered.</p>")),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"#
    )
}

const ACCESSIBLE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Promotions</title></head>
<body><main><h1>Promotions</h1>
<form><label for="search">Search</label> <input id="search" name="q"> <button>Find</button></form>
</main></body></html>"#;

/// An image without alternative text (`image-alt`, critical) and an input without a label
/// (`label`, critical).
const INACCESSIBLE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken</h1>
<img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input id="code" name="code">
</main></body></html>"#;

/// No level-one heading (`page-has-heading-one`, moderate): reported, not failing.
const MODERATE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Moderate</title></head>
<body><main><p>A page without a heading.</p></main></body></html>"#;

const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>New promotion</title></head>
<body><main><h1>New promotion</h1>
<form method="post" action="/submit">
  <label for="title">Promotion name *</label> <input id="title" name="title" required>
  <label>Discount (%) <input type="number" name="percent" step="0.01"></label>
  <label for="starts">Starts on</label> <input type="date" id="starts" name="starts">
  <label for="channel">Channel</label>
  <select id="channel" name="channel"><option value="web">Web shop</option><option value="kiosk">Kiosk</option></select>
  <label><input type="checkbox" name="stackable" value="yes"> Stackable</label>
  <label for="code">Code</label> <input id="code" name="code" value="OLD">
  <textarea name="note" aria-label="Note"></textarea>
  <button type="submit">Save</button>
  <button type="button" disabled>Archive</button>
</form>
<table><tbody>
  <tr id="row-1"><td>Summer</td><td><button type="button" onclick="this.textContent='Deleted'">Delete</button></td></tr>
  <tr id="row-2"><td>Winter</td><td><button type="button">Delete</button></td></tr>
</tbody></table>
</main></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_passes_an_accessible_page_and_reports_moderate_violations_without_failing() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = browser.client();
    let (base, _) = serve().await;

    browser
        .goto(&client, &format!("{base}/accessible"))
        .await
        .unwrap();
    let violations = browser.axe(&client, "accessible").await.unwrap();
    assert_eq!(violations, vec![], "the accessible page has violations");

    browser
        .goto(&client, &format!("{base}/moderate"))
        .await
        .unwrap();
    let violations = browser.axe(&client, "moderate").await.unwrap();
    let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    assert!(ids.contains(&"page-has-heading-one"), "{violations:#?}");
    assert!(
        violations.iter().all(|v| !v.is_serious()),
        "{violations:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_fails_a_page_with_serious_violations_naming_rules_and_elements() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let browser = Arc::new(browser);
    let client = browser.client();
    let (base, _) = serve().await;
    let url = format!("{base}/inaccessible");
    browser.goto(&client, &url).await.unwrap();

    // Without panicking: both violations, critical.
    let violations = browser
        .axe_violations(&client, "inaccessible")
        .await
        .unwrap();
    let mut serious: Vec<&str> = violations
        .iter()
        .filter(|v| v.is_serious())
        .map(|v| v.id.as_str())
        .collect();
    serious.sort_unstable();
    assert_eq!(serious, ["image-alt", "label"], "{violations:#?}");

    // The check panics, and its message says what to fix and where; it saves a screenshot
    // (a previous run's removed first, so that the file proves this run wrote it).
    let shot = screenshot_dir().join("harness-inaccessible-axe.png");
    let _ = std::fs::remove_file(&shot);
    let audit = tokio::spawn({
        let browser = browser.clone();
        let client = client.clone();
        async move { browser.axe(&client, "harness-inaccessible").await }
    });
    let panic = audit
        .await
        .expect_err("axe passed a page with serious violations");
    let message = match panic.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default(),
        Err(error) => panic!("the audit did not panic: {error}"),
    };
    for expected in [
        "2 serious or critical",
        "\"harness-inaccessible\"",
        &url,
        "image-alt (critical)",
        "#logo",
        "label (critical)",
        "#code",
        "harness-inaccessible-axe.png",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from:\n{message}"
        );
    }
    assert!(shot.is_file(), "no {}", shot.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_is_a_png_of_the_window_in_the_target_directory() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = browser.client();
    let (base, _) = serve().await;
    browser
        .goto(&client, &format!("{base}/accessible"))
        .await
        .unwrap();

    // A previous run's file removed first, so that the file proves this run wrote it.
    let _ = std::fs::remove_file(screenshot_dir().join("harness-accessible.png"));
    let path = browser
        .screenshot(&client, "harness/accessible")
        .await
        .unwrap();
    assert_eq!(path, screenshot_dir().join("harness-accessible.png"));
    assert!(
        path.ends_with("target/office-screenshots/harness-accessible.png")
            || std::env::var_os("CARGO_TARGET_DIR").is_some(),
        "{}",
        path.display()
    );
    let png = std::fs::read(&path).unwrap();
    assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n", "not a PNG");
    // The IHDR chunk: the image is as wide as the window asked for.
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, browser.options().window.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_filled_by_labels_and_names_reaches_the_server() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = browser.client();
    let (base, received) = serve().await;
    browser
        .goto(&client, &format!("{base}/form"))
        .await
        .unwrap();

    // By the label's text (the asterisk left out), a nested label, a date, a select's text, a
    // checkbox, a pre-filled field (replaced), a name.
    browser
        .fill(&client, "Promotion name", "Été -20 % « soldes »")
        .await
        .unwrap();
    browser
        .fill(&client, "Discount (%)", "12.50")
        .await
        .unwrap();
    browser
        .fill(&client, "Starts on", "2025-06-21")
        .await
        .unwrap();
    browser.fill(&client, "Channel", "Kiosk").await.unwrap();
    browser.check(&client, "Stackable", true).await.unwrap();
    browser.fill(&client, "Code", "SUMMER25").await.unwrap();
    browser.fill(&client, "note", "two\nlines").await.unwrap();
    browser.click_button(&client, "Save").await.unwrap();

    browser
        .wait_for_text(&client, "Saved 7 fields.", DEFAULT_WAIT)
        .await
        .unwrap();
    let url = browser.current_url(&client).await.unwrap();
    assert_eq!(url, format!("{base}/submit"));
    assert!(browser.page_text(&client).await.unwrap().contains("Saved"));
    let received = received.lock().unwrap().clone();
    let expected: Vec<(String, String)> = [
        ("title", "Été -20 % « soldes »"),
        ("percent", "12.50"),
        ("starts", "2025-06-21"),
        ("channel", "kiosk"),
        ("stackable", "yes"),
        ("code", "SUMMER25"),
        ("note", "two\r\nlines"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    assert_eq!(received, vec![expected]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_say_what_they_missed_and_on_which_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let client = browser.client();
    let (base, received) = serve().await;
    let url = format!("{base}/form");
    browser.goto(&client, &url).await.unwrap();
    let says = |error: BrowserError, expected: &[&str]| {
        let message = error.to_string();
        for part in expected.iter().chain([&url.as_str()]) {
            assert!(message.contains(part), "{part:?} missing from: {message}");
        }
    };

    let error = browser.fill(&client, "Price", "3").await.unwrap_err();
    says(
        error,
        &["\"Price\"", "no field", "\"Promotion name *\"", "name=note"],
    );
    let error = browser.fill(&client, "Stackable", "yes").await.unwrap_err();
    says(error, &["checkbox", "check()"]);
    let error = browser.fill(&client, "Channel", "Email").await.unwrap_err();
    says(error, &["no option", "\"Web shop\"", "\"Kiosk\""]);
    let error = browser
        .fill(&client, "Starts on", "21/06/2025")
        .await
        .unwrap_err();
    says(error, &["date input refused it"]);

    let error = browser.click_button(&client, "Publish").await.unwrap_err();
    says(error, &["\"Publish\"", "no visible button", "\"Save\""]);
    let error = browser.click_button(&client, "Archive").await.unwrap_err();
    says(error, &["disabled"]);
    let error = browser.click_button(&client, "Delete").await.unwrap_err();
    says(error, &["2 visible buttons"]);
    // Scoped to a row, the same text names one button.
    browser
        .click_button_within(&client, "#row-1", "Delete")
        .await
        .unwrap();
    browser
        .wait_for_text(&client, "Deleted", DEFAULT_WAIT)
        .await
        .unwrap();

    let error = browser
        .wait_for(&client, "#never", Duration::from_millis(200))
        .await
        .unwrap_err();
    says(error, &["\"#never\"", "still not there", "New promotion"]);
    let error = browser
        .wait_for_text(&client, "Published", Duration::from_millis(200))
        .await
        .unwrap_err();
    says(error, &["\"Published\"", "the page reads", "Summer"]);
    let found = browser
        .wait_for(&client, "#row-2", DEFAULT_WAIT)
        .await
        .unwrap();
    assert!(found.text().await.unwrap().contains("Winter"));

    // Nothing was submitted by the failed attempts.
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_started_at_once_and_their_sessions_are_independent() {
    let french = BrowserOptions {
        language: "fr-FR".into(),
        ..BrowserOptions::default()
    };
    let (english, french) = tokio::join!(Browser::start(), Browser::start_with(french));
    let (Some(english), Some(french)) = (english, french) else {
        return;
    };
    let (base, _) = serve().await;
    let (en, fr) = (english.client(), french.client());

    english
        .goto(&en, &format!("{base}/remember"))
        .await
        .unwrap();
    english.goto(&en, &format!("{base}/echo")).await.unwrap();
    french.goto(&fr, &format!("{base}/echo")).await.unwrap();
    let en_text = english.page_text(&en).await.unwrap();
    let fr_text = french.page_text(&fr).await.unwrap();
    assert!(en_text.contains("language: en-US"), "{en_text}");
    assert!(en_text.contains("cookie: who=first"), "{en_text}");
    assert!(fr_text.contains("language: fr-FR"), "{fr_text}");
    assert!(fr_text.contains("cookie: none"), "{fr_text}");

    // A second session of the same browser is a second user: a profile of its own.
    let second = english.new_session().await.unwrap();
    english
        .goto(&second, &format!("{base}/echo"))
        .await
        .unwrap();
    let second_text = english.page_text(&second).await.unwrap();
    assert!(second_text.contains("cookie: none"), "{second_text}");
    english.goto(&en, &format!("{base}/echo")).await.unwrap();
    let en_text = english.page_text(&en).await.unwrap();
    assert!(en_text.contains("cookie: who=first"), "{en_text}");
}

/// A chromedriver that is not there: skipped (`None`), or a failure under
/// `REMISE_REQUIRE_CHROMIUM`, whichever this run is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_chromedriver_skips_or_fails_as_the_environment_says() {
    let options = BrowserOptions {
        chromedriver: Some("/nonexistent/chromedriver".into()),
        ..BrowserOptions::default()
    };
    let started = tokio::spawn(async move { Browser::start_with(options).await.is_some() }).await;
    if std::env::var_os(REQUIRE_VAR).is_some() {
        let panic = started.expect_err("started without chromedriver");
        let payload = panic.try_into_panic().expect("a panic");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains(REQUIRE_VAR), "{message}");
        assert!(message.contains("/nonexistent/chromedriver"), "{message}");
    } else {
        assert!(!started.expect("no panic"), "started without chromedriver");
    }
}
