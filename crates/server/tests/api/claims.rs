//! What only the store knows, a caller cannot claim nor read: what a code unlocks, usage, another
//! key's redemptions, the codes promotions list.

use serde_json::{Value, json};

use crate::codes::{add_coupon, add_promotion};
use crate::support::{
    MANAGEMENT, STOREFRONT, TestApp, cart, code_only, outcome, spawn_app, storefront_key,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_cannot_claim_what_a_code_unlocks_nor_its_uses() {
    let app = spawn_app().await;
    app.post(
        "/v1/promotions",
        MANAGEMENT,
        &code_only("uno-code", "GAME-UNO", 50),
    )
    .await
    .expect(201);

    // The engine's detailed form of a code, inventing what it unlocks.
    let mut claimed = cart(&[("GAME-UNO", 1)]);
    claimed["codes"] = json!([
        "WELCOME",
        { "code": "INVENTED", "promotions": ["uno-code"], "usable": true }
    ]);
    app.evaluate(&claimed)
        .await
        .expect_problem(422, Some("codes[1]"));

    // The code as a string is looked up, and the store does not know it.
    let mut plain = cart(&[("GAME-UNO", 1)]);
    plain["codes"] = json!(["INVENTED"]);
    let quote = app.evaluate(&plain).await;
    quote.expect(200);
    assert_eq!(outcome(&quote.body, "uno-code")["status"], "rejected");
    assert_eq!(quote.body["codes"][0]["usable"], false, "{}", quote.text);
}

/// The reason of promotion `id` in the quote of a cart without codes, as `key` sees it.
async fn reason_without_code(app: &TestApp, key: &str, id: &str) -> Value {
    let quote = app
        .post("/v1/carts/evaluate", key, &cart(&[("FIG-SPIDERMAN", 5)]))
        .await;
    quote.expect(200);
    outcome(&quote.body, id)["reason"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_named_in_reasons_to_management_callers_only() {
    let app = spawn_app().await;
    let storefront = reason_without_code(&app, STOREFRONT, "marvel10").await;
    assert_eq!(storefront["code"], "coupon_not_presented", "{storefront}");
    assert!(
        !storefront.to_string().to_uppercase().contains("MARVEL10"),
        "a storefront caller sees the code: {storefront}"
    );
    assert_eq!(
        storefront["message"], "no code for this promotion presented",
        "{storefront}"
    );

    let management = reason_without_code(&app, MANAGEMENT, "marvel10").await;
    assert_eq!(management["code"], "coupon_not_presented");
    assert_eq!(management["codes"], json!(["MARVEL10"]), "{management}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redemptions_belong_to_the_key_that_made_them() {
    let app = spawn_app().await;
    let kiosk = storefront_key(&app, "kiosk").await;
    let reserved = app
        .post(
            "/v1/redemptions",
            STOREFRONT,
            &json!({ "code": "marvel10", "customer": "c1", "order_id": "o1",
                     "idempotency_key": "order-1" }),
        )
        .await;
    reserved.expect(201);
    let id = reserved.body["id"].as_str().expect("an id").to_owned();
    // Whatever was typed, the redemption names the code in its normalised form.
    assert_eq!(reserved.body["code"], "MARVEL10", "{}", reserved.text);

    // Another storefront key neither sees nor changes it: it does not exist for that key.
    let path = format!("/v1/redemptions/{id}");
    app.get(&path, &kiosk).await.expect(404);
    for step in ["confirm", "cancel"] {
        app.post(&format!("{path}/{step}"), &kiosk, &json!({}))
            .await
            .expect(404);
    }
    app.get(&path, STOREFRONT).await.expect(200);
    assert_eq!(
        app.get(&path, MANAGEMENT).await.body["state"],
        "reserved",
        "the other key's attempts changed nothing"
    );

    // Idempotency keys are each key's own: the kiosk's "order-1" is another reservation, not
    // a replay of the web shop's nor a reuse refused.
    let theirs = app
        .post(
            "/v1/redemptions",
            &kiosk,
            &json!({ "code": "MARVEL10", "customer": "c2", "order_id": "k1",
                     "idempotency_key": "order-1" }),
        )
        .await;
    theirs.expect(201);
    assert_ne!(theirs.body["id"], json!(id));

    // The owner and management keys may confirm and cancel.
    app.post(&format!("{path}/confirm"), STOREFRONT, &json!({}))
        .await
        .expect(200);
    let other = theirs.body["id"].as_str().expect("an id");
    let cancelled = app
        .post(
            &format!("/v1/redemptions/{other}/cancel"),
            MANAGEMENT,
            &json!({}),
        )
        .await;
    cancelled.expect(200);
    assert_eq!(cancelled.body["state"], "cancelled");
}

/// The uses of a promotion the store counts (its codes' redemptions) are the store's, whatever
/// the cart says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_cannot_claim_a_promotion_was_not_used() {
    let app = spawn_app().await;
    let mut promotion = code_only("uno-once", "GAME-UNO", 50);
    promotion["limits"] = json!({ "total_uses": 1 });
    add_promotion(&app, &promotion).await;
    add_coupon(
        &app,
        &json!({ "code": "UNO-ONCE", "promotion": "uno-once" }),
    )
    .await
    .expect(201);
    let reserved = app
        .post(
            "/v1/redemptions",
            STOREFRONT,
            &json!({ "code": "UNO-ONCE", "order_id": "o1", "idempotency_key": "o1" }),
        )
        .await;
    reserved.expect(201);

    let mut claimed = cart(&[("GAME-UNO", 1)]);
    claimed["codes"] = json!(["uno-once"]);
    claimed["usage"] = json!({ "uno-once": { "uses": 0, "customer_uses": 0 } });
    let quote = app.evaluate(&claimed).await;
    quote.expect(200);
    let uno = outcome(&quote.body, "uno-once");
    assert_eq!(uno["status"], "rejected", "{}", quote.text);
    assert_eq!(
        uno["reason"]["code"], "usage_limit_reached",
        "{}",
        quote.text
    );
}
