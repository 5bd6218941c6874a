//! Batches of generated codes through the API: their format, quota, growth and shrinking, and
//! what their codes' states count.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::codes::{
    ALPHABET, add_promotion, all_coupons, assert_not_usable, assert_refused, assert_usable,
    check_code, redeem, reservation, reserve, text,
};
use crate::support::{MANAGEMENT, STOREFRONT, code_only, spawn_app};

/// Whether `display` looks like `OT-XXXXX-XXXX` with each X from [`ALPHABET`].
fn ot_shaped(display: &str) -> bool {
    let random =
        |part: &str, n: usize| part.len() == n && part.chars().all(|c| ALPHABET.contains(c));
    match display.split('-').collect::<Vec<_>>()[..] {
        ["OT", a, b] => random(a, 5) && random(b, 4),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_generate_codes_and_follow_their_quota() {
    let app = spawn_app().await;
    add_promotion(&app, &code_only("giardino", "GAME-UNO", 50)).await;

    // 8 random characters of 31 give 39.6 bits: under the 40 required, with or without a
    // pattern. (README's example uses "XXXX-XXXX"; 9 give 44.6.)
    let short = app
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "ot", "promotion": "giardino", "quota": 350, "prefix": "OT-",
                     "pattern": "XXXX-XXXX" }),
        )
        .await;
    short.expect_problem(422, Some("pattern"));
    app.post(
        "/v1/batches",
        MANAGEMENT,
        &json!({ "id": "ot", "promotion": "giardino", "quota": 350, "length": 8 }),
    )
    .await
    .expect_problem(422, Some("length"));
    for (body, field) in [
        (
            json!({ "id": "ot", "promotion": "nope", "quota": 350 }),
            "promotion",
        ),
        (
            json!({ "id": "ot", "promotion": "giardino", "quota": 0 }),
            "quota",
        ),
        (
            json!({ "id": "o t", "promotion": "giardino", "quota": 1 }),
            "id",
        ),
        (
            json!({ "id": "ot", "promotion": "giardino", "quota": 1, "prefix": "O T" }),
            "prefix",
        ),
        (
            json!({ "id": "ot", "promotion": "giardino", "quota": 1, "uses_per_code": 0 }),
            "uses_per_code",
        ),
    ] {
        app.post("/v1/batches", MANAGEMENT, &body)
            .await
            .expect_problem(422, Some(field));
    }
    app.get("/v1/batches/ot", MANAGEMENT)
        .await
        .expect_problem(404, None);

    let created = app
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "ot", "promotion": "giardino", "quota": 350, "prefix": "OT-",
                     "pattern": "XXXXX-XXXX" }),
        )
        .await;
    created.expect(201);
    assert_eq!(created.body["quota"], 350);
    assert_eq!(created.body["uses_per_code"], 1);
    let counts = &created.body["counts"];
    assert_eq!(counts["generated"], 350, "{}", created.text);
    assert_eq!(counts["available"], 350);
    assert_eq!(counts["disabled"], 0);
    assert_eq!(counts["reserved"], 0);
    assert_eq!(counts["redeemed"], 0);
    app.post(
        "/v1/batches",
        MANAGEMENT,
        &json!({ "id": "ot", "promotion": "giardino", "quota": 1 }),
    )
    .await
    .expect(409);

    let codes = all_coupons(&app, "batch=ot").await;
    assert_eq!(codes.len(), 350);
    let mut distinct = HashSet::new();
    for code in &codes {
        let display = text(&code["code"]);
        assert!(ot_shaped(&display), "{display}");
        assert_eq!(code["normalized"], json!(display.replace('-', "")));
        assert_eq!(code["batch"], "ot");
        assert_eq!(code["max_uses"], 1);
        assert_eq!(code["state"], "available");
        distinct.insert(display);
    }
    assert_eq!(distinct.len(), 350);

    // Grown: 50 more, the first 350 kept.
    let grown = app
        .put(
            "/v1/batches/ot/quota",
            MANAGEMENT,
            &json!({ "quota": 400 }),
            None,
        )
        .await;
    grown.expect(200);
    assert_eq!(grown.body["quota"], 400);
    assert_eq!(grown.body["counts"]["generated"], 400);
    assert_eq!(grown.body["warning"], Value::Null);
    let codes = all_coupons(&app, "batch=ot").await;
    let now: HashSet<String> = codes.iter().map(|c| text(&c["code"])).collect();
    assert_eq!(now.len(), 400);
    assert!(distinct.is_subset(&now));
    assert!(now.iter().all(|c| ot_shaped(c)));

    // One code used (confirmed), one reserved; then shrunk to 100: those two stay enabled,
    // 300 unused ones are disabled.
    let mut displays: Vec<String> = now.into_iter().collect();
    displays.sort();
    let used = displays[0].clone();
    let held = displays[1].clone();
    redeem(&app, &used.to_lowercase(), Some("C-1"), "SO-1").await;
    reserve(&app, &reservation(&held, Some("C-2"), "SO-2", "K-2"))
        .await
        .expect(201);
    assert_refused(
        &reserve(&app, &reservation(&used, Some("C-3"), "SO-3", "K-3")).await,
        "used_up",
    );
    let shrunk = app
        .put(
            "/v1/batches/ot/quota",
            MANAGEMENT,
            &json!({ "quota": 100 }),
            None,
        )
        .await;
    shrunk.expect(200);
    assert_eq!(shrunk.body["quota"], 100);
    assert_eq!(shrunk.body["warning"], Value::Null);
    let counts = &shrunk.body["counts"];
    assert_eq!(counts["generated"], 400, "{}", shrunk.text);
    assert_eq!(counts["disabled"], 300);
    assert_eq!(counts["available"], 100);
    assert_eq!(counts["reserved"], 1);
    assert_eq!(counts["redeemed"], 1);
    let read = app.get("/v1/batches/ot", MANAGEMENT).await;
    read.expect(200);
    assert_eq!(read.body["counts"], *counts);
    let codes = all_coupons(&app, "batch=ot").await;
    let state = |display: &str| {
        codes
            .iter()
            .find(|c| c["code"] == json!(display))
            .map(|c| text(&c["state"]))
    };
    assert_eq!(state(&used).as_deref(), Some("available"));
    assert_eq!(state(&held).as_deref(), Some("available"));
    let by_state = codes.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(text(&c["state"])).or_insert(0) += 1;
        m
    });
    assert_eq!(
        by_state,
        BTreeMap::from([("available".to_owned(), 100), ("disabled".to_owned(), 300)])
    );
    let disabled = codes
        .iter()
        .map(|c| text(&c["code"]))
        .find(|c| state(c).as_deref() == Some("disabled"))
        .expect("a disabled code");
    assert_not_usable(
        &check_code(&app, STOREFRONT, &disabled, "").await,
        "disabled",
    );
    assert_refused(
        &reserve(&app, &reservation(&disabled, None, "SO-4", "K-4")).await,
        "disabled",
    );
    let free = codes
        .iter()
        .map(|c| text(&c["code"]))
        .find(|c| *c != used && *c != held && state(c).as_deref() == Some("available"))
        .expect("an available code");
    assert_usable(&check_code(&app, STOREFRONT, &free, "").await);

    // Below the codes in use: as low as it can go, and the answer says so.
    let floor = app
        .put(
            "/v1/batches/ot/quota",
            MANAGEMENT,
            &json!({ "quota": 1 }),
            None,
        )
        .await;
    floor.expect(200);
    assert_eq!(floor.body["quota"], 2, "{}", floor.text);
    assert_eq!(floor.body["counts"]["disabled"], 398);
    assert_eq!(floor.body["counts"]["available"], 2);
    assert_eq!(
        floor.body["warning"],
        "2 codes are in use or distributed and cannot be disabled: the quota is 2, not 1"
    );
    assert_not_usable(&check_code(&app, STOREFRONT, &free, "").await, "disabled");

    // Quota changes at once (here 4 × 10 from 2): each adds what is missing, once.
    let app = Arc::new(app);
    let mut changes = JoinSet::new();
    for _ in 0..4 {
        let app = Arc::clone(&app);
        changes.spawn(async move {
            app.put(
                "/v1/batches/ot/quota",
                MANAGEMENT,
                &json!({ "quota": 10 }),
                None,
            )
            .await
            .status
            .as_u16()
        });
    }
    while let Some(status) = changes.join_next().await {
        assert_eq!(status.expect("a quota change"), 200);
    }
    let read = app.get("/v1/batches/ot", MANAGEMENT).await;
    assert_eq!(read.body["quota"], 10);
    assert_eq!(read.body["counts"]["available"], 10, "{}", read.text);
    assert_eq!(read.body["counts"]["generated"], 408);

    // A batch's dates and uses are its codes'.
    let old = app
        .post(
            "/v1/batches",
            MANAGEMENT,
            &json!({ "id": "old", "promotion": "giardino", "quota": 2, "uses_per_code": 3,
                     "starts_at": "2020-01-01T00:00", "ends_at": "2021-01-01T00:00" }),
        )
        .await;
    old.expect(201);
    assert_eq!(old.body["ends_at"], "2020-12-31T23:00:00Z");
    for code in all_coupons(&app, "batch=old").await {
        assert_eq!(code["max_uses"], 3);
        assert_eq!(code["ends_at"], "2020-12-31T23:00:00Z");
        assert_not_usable(
            &check_code(&app, STOREFRONT, &text(&code["code"]), "").await,
            "expired",
        );
    }

    let listed = app.get("/v1/batches", MANAGEMENT).await;
    listed.expect(200);
    assert_eq!(listed.body["items"][0]["id"], "ot");
    assert_eq!(listed.body["items"][0]["quota"], 10);
    assert_eq!(listed.body["items"][1]["id"], "old");
    assert_eq!(listed.body["items"][1]["counts"]["generated"], 2);
    app.put(
        "/v1/batches/ot/quota",
        MANAGEMENT,
        &json!({ "quota": 0 }),
        None,
    )
    .await
    .expect_problem(422, Some("quota"));
    app.put(
        "/v1/batches/nope/quota",
        MANAGEMENT,
        &json!({ "quota": 5 }),
        None,
    )
    .await
    .expect_problem(404, None);
    app.put(
        "/v1/batches/ot/quota",
        STOREFRONT,
        &json!({ "quota": 5 }),
        None,
    )
    .await
    .expect(403);
}
