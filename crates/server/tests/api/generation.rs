//! Large batches are generated in the background: the request answers 202 at once with the
//! batch's URL, where the generation's state and the codes generated so far can be followed.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{MANAGEMENT, TestApp, percent_off, spawn_app};

/// Polls the batch until its generation is no longer running; returns it.
async fn settled(app: &TestApp, location: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let batch = app.get(location, MANAGEMENT).await;
        batch.expect(200);
        if batch.body["generation"]["state"] != "running" {
            return batch.body;
        }
        assert!(Instant::now() < deadline, "still running: {}", batch.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_generated_in_the_background() {
    let app = spawn_app().await;
    let mut promotion = percent_off("noel-uno", "GAME-UNO", 10, None);
    promotion["conditions"] = json!({ "coupon": { "codes": [] } });
    app.post("/v1/promotions", MANAGEMENT, &promotion)
        .await
        .expect(201);

    // A few codes: generated in the request.
    let small = app
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "small", "promotion": "noel-uno", "quota": 50 }),
        )
        .await;
    small.expect(201);
    assert_eq!(
        small.body["generation"]["state"], "complete",
        "{}",
        small.text
    );
    assert_eq!(small.body["counts"]["generated"], 50);

    // Many: 202 at once, with where to follow it.
    let large = app
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "large", "promotion": "noel-uno", "quota": 30_000 }),
        )
        .await;
    large.expect(202);
    let location = large
        .header("location")
        .expect("a Location header")
        .to_owned();
    assert_eq!(location, "/v1/batches/large");
    assert_eq!(large.body["id"], "large");
    assert_eq!(large.body["quota"], 30_000);
    let done = settled(&app, &location).await;
    assert_eq!(done["generation"]["state"], "complete", "{done}");
    assert_eq!(done["counts"]["generated"], 30_000, "{done}");

    // Growing the quota by many codes goes the same way.
    let grown = app
        .put(
            "/v1/batches/large/quota",
            MANAGEMENT,
            &json!({ "quota": 45_000 }),
            None,
        )
        .await;
    grown.expect(202);
    assert_eq!(grown.header("location"), Some("/v1/batches/large"));
    let done = settled(&app, "/v1/batches/large").await;
    assert_eq!(done["generation"]["state"], "complete", "{done}");
    assert_eq!(done["counts"]["generated"], 45_000, "{done}");

    // Shrinking answers at once.
    let shrunk = app
        .put(
            "/v1/batches/large/quota",
            MANAGEMENT,
            &json!({ "quota": 40_000 }),
            None,
        )
        .await;
    shrunk.expect(200);
    assert_eq!(
        shrunk.body["generation"]["state"], "complete",
        "{}",
        shrunk.text
    );
}
