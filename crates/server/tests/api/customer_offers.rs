//! B2B offers from a customer's or a product's side, on the demo's offers: the offers a customer
//! may filter the shop on, the products of one with their prices, and every offer reaching a
//! product with what it means for one customer.

use serde_json::Value;

use crate::support::{MANAGEMENT, STOREFRONT, spawn_app};

/// A day when the demo's offers CANTINES2026 and CLIDUPONT run, in the store's zone.
const AT: &str = "2026-12-05T10%3A00%3A00%2B01%3A00";

fn codes(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_filters_the_shop_on_the_offers_shown_to_them() {
    let app = spawn_app().await;
    let listed = app
        .get(
            &format!("/v1/customer-offers?groups=cantines&at={AT}"),
            STOREFRONT,
        )
        .await;
    listed.expect(200);
    // CANTINES2026 is shown to customers; TOUSPILES (everyone's) is not.
    assert_eq!(codes(&listed.body["items"], "offer"), ["CANTINES2026"]);
    let outside = app
        .get(
            &format!("/v1/customer-offers?groups=restaurants&at={AT}"),
            STOREFRONT,
        )
        .await;
    outside.expect(200);
    assert_eq!(codes(&outside.body["items"], "offer"), Vec::<String>::new());
    // Before the offer starts (2026-09-01, Paris), it is not offered.
    let before = app
        .get(
            "/v1/customer-offers?groups=cantines&at=2026-08-31T23%3A59%3A59%2B02%3A00",
            STOREFRONT,
        )
        .await;
    assert_eq!(codes(&before.body["items"], "offer"), Vec::<String>::new());

    let products = app
        .get(
            &format!("/v1/customer-offers/CANTINES2026/products?groups=cantines&at={AT}"),
            STOREFRONT,
        )
        .await;
    products.expect(200);
    let items = products.body["items"].as_array().expect("items");
    let uno = items
        .iter()
        .find(|p| p["sku"] == "GAME-UNO")
        .expect("UNO, named by the offer");
    // The group sees net prices: 9.99 with 20 % tax is 8.325 net (8.33 shown). The offer names
    // UNO at 7.50 net, and its sector at 15 % off: 8.325 × 0.85 = 7.07625 → 7.08, the lower.
    assert_eq!(uno["display"], "net");
    assert_eq!(uno["price_source"], "offer");
    assert_eq!(uno["reference_price"], "8.33");
    assert_eq!(uno["offer"]["offer"], "CANTINES2026");
    assert_eq!(uno["offer"]["discount"], "JEUX");
    assert_eq!(uno["offer"]["unit_price"], "7.08");
    let lost = &uno["offer_candidates"][0];
    assert_eq!(lost["discount"], "UNO");
    assert_eq!(lost["unit_price"], "7.50");
    assert_eq!(lost["reason"]["code"], "higher_price");
    // Every product of the `jeux` sector comes too, with 15 % off its net list price.
    let monopoly = items
        .iter()
        .find(|p| p["sku"] == "GAME-MONOPOLY-MARVEL")
        .expect("a product of the sector");
    assert_eq!(monopoly["offer"]["discount"], "JEUX");
    // 39.99 / 1.2 = 33.325 net, less 15 % = 28.32625 → 28.33.
    assert_eq!(monopoly["offer"]["unit_price"], "28.33");
    assert!(
        items.iter().all(|p| p["offer"]["offer"] == "CANTINES2026"),
        "only the offer's products: {items:#?}"
    );

    // Another customer's offer, or one not shown, answers as if it did not exist.
    for path in [
        format!("/v1/customer-offers/CANTINES2026/products?groups=restaurants&at={AT}"),
        format!("/v1/customer-offers/CLIDUPONT/products?customer=C-DUPONT&at={AT}"),
        format!("/v1/customer-offers/NOSUCH/products?groups=cantines&at={AT}"),
    ] {
        app.get(&path, STOREFRONT).await.expect_problem(404, None);
    }
    app.get("/v1/customer-offers?at=yesterday", STOREFRONT)
        .await
        .expect_problem(422, Some("at"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_lists_its_offers_and_what_each_gives_a_customer() {
    let app = spawn_app().await;
    let path =
        format!("/v1/products/PLUSH-GROOT/offers?customer=C-DUPONT&groups=restaurants&at={AT}");
    // Every customer's contracts: management only.
    app.get(&path, STOREFRONT).await.expect_problem(403, None);
    let listed = app.get(&path, MANAGEMENT).await;
    listed.expect(200);
    let items = listed.body["items"].as_array().expect("items");
    let find = |offer: &str, discount: &str| {
        items
            .iter()
            .find(|i| i["offer"] == offer && i["discount"] == discount)
            .unwrap_or_else(|| panic!("{offer}/{discount} in {items:#?}"))
    };
    // The customer's own fixed price wins: 14.00 net.
    let groot = &find("CLIDUPONT", "GROOT")["for_customer"];
    assert_eq!(groot["in_scope"], true);
    assert_eq!(groot["unit_price"], "14.00");
    assert_eq!(groot["wins"], true);
    // Their 10 % on Marvel: 19.99 / 1.2 = 16.658… net, less 10 % = 14.9925 → 14.99.
    let marvel = &find("CLIDUPONT", "MARVEL")["for_customer"];
    assert_eq!(marvel["unit_price"], "14.99");
    assert_eq!(marvel["wins"], false);
    // The group's 12 % on plush toys: 16.658… less 12 % = 14.659… → 14.66, less specific.
    let group = &find("RESTAURANTS", "PELUCHES")["for_customer"];
    assert_eq!(group["in_scope"], true);
    assert_eq!(group["unit_price"], "14.66");
    assert_eq!(group["wins"], false);

    // Without the group, its offer is listed with why it is not theirs.
    let alone = app
        .get(
            &format!("/v1/products/PLUSH-GROOT/offers?customer=C-DUPONT&at={AT}"),
            MANAGEMENT,
        )
        .await;
    alone.expect(200);
    let group = alone.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["offer"] == "RESTAURANTS")
        .expect("listed");
    assert_eq!(group["for_customer"]["in_scope"], false);
    assert_eq!(
        group["for_customer"]["out_of_scope"]["group"],
        "restaurants"
    );

    // Without a customer: every offer reaching the product, nothing about prices.
    let all = app
        .get(
            &format!("/v1/products/PLUSH-GROOT/offers?at={AT}"),
            MANAGEMENT,
        )
        .await;
    all.expect(200);
    let mut offers = codes(&all.body["items"], "offer");
    offers.dedup();
    assert_eq!(offers, ["CLIDUPONT", "RESTAURANTS"]);
    assert!(all.body["items"][0].get("for_customer").is_none());
    app.get("/v1/products/NOSUCH/offers", MANAGEMENT)
        .await
        .expect_problem(404, None);
}

/// With `promotions_on_offer_prices: false`, a product priced by a contract shows none of the
/// promotions that cannot apply on it: its page agrees with its price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_prices_are_net_on_the_product_page_too() {
    let app = spawn_app().await;
    let path = format!(
        "/v1/products/PLUSH-GROOT/promotions?customer=C-DUPONT&groups=restaurants&channel=web&at={AT}"
    );
    let ids = |reply: &crate::support::Reply| codes(&reply.body["promotions"], "id");
    let before = app.get(&path, STOREFRONT).await;
    before.expect(200);
    assert!(
        ids(&before).contains(&"marvel-20".to_owned()),
        "{:#?}",
        before.body
    );
    let settings = app.get("/v1/settings", MANAGEMENT).await;
    app.patch(
        "/v1/settings",
        MANAGEMENT,
        &serde_json::json!({ "promotions_on_offer_prices": false }),
        Some(settings.etag()),
    )
    .await
    .expect(200);
    let after = app.get(&path, STOREFRONT).await;
    after.expect(200);
    assert_eq!(after.body["price"]["price_source"], "offer");
    assert_eq!(after.body["price"]["price"], "14.00");
    assert!(
        !ids(&after).contains(&"marvel-20".to_owned()),
        "{:#?}",
        after.body
    );
}
