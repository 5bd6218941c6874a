//! What shops call: cart evaluation, prices, a product's promotions and labels, landing pages.

use std::collections::BTreeMap;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{AT, STOREFRONT, TOYSHOP_PRICES, TestApp, dec, line, spawn_app, toyshop_cart};

/// The example cart's quote, figure by figure (shared with the PostgreSQL run).
pub async fn check_toyshop_quote(app: &TestApp) {
    let reply = app.evaluate(&toyshop_cart()).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), "application/json");
    let quote = &reply.body;
    assert_eq!(quote["format"], "remise.quote/1");
    assert_eq!(quote["currency"], "EUR");
    assert_eq!(quote["strategy"], "priority");

    // L1: two Spider-Man figurines, -20 % in the catalog price, then the coupon and the tiers.
    let l1 = line(quote, "L1");
    assert_eq!(l1["reference_unit_price"], "24.99");
    assert_eq!(l1["catalog_unit_price"], "19.99");
    assert_eq!(l1["catalog_promotion"], "marvel-20");
    assert_eq!(l1["subtotal"], "49.98");
    assert_eq!(l1["discount"], "21.50");
    assert_eq!(l1["amount"], "28.48");
    let l1_discounts: Vec<(&str, &str)> = l1["discounts"]
        .as_array()
        .expect("discounts")
        .iter()
        .map(|d| {
            (
                d["promotion"].as_str().unwrap_or(""),
                d["amount"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        l1_discounts,
        [
            ("marvel-20", "10.00"),
            ("marvel10", "10.00"),
            ("paliers-noel", "1.50")
        ]
    );
    // L2: the LEGO tower at its shock price, which stops the LEGO week.
    let l2 = line(quote, "L2");
    assert_eq!(l2["catalog_unit_price"], "69.99");
    assert_eq!(l2["catalog_promotion"], "lego-prix-choc");
    assert_eq!(l2["amount"], "69.99");
    assert_eq!(line(quote, "L3")["amount"], "9.49");
    assert_eq!(line(quote, "L4")["amount"], "5.69");

    let statuses: BTreeMap<&str, &str> = quote["promotions"]
        .as_array()
        .expect("promotions")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or(""),
                p["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let expected: BTreeMap<&str, &str> = [
        ("lego-prix-choc", "applied"),
        ("black-friday-hasbro", "rejected"),
        ("marvel-20", "applied"),
        ("soiree-exclu-web", "rejected"),
        ("borne-hasbro", "rejected"),
        ("marvel10", "applied"),
        ("lego-semaine", "rejected"),
        ("paliers-noel", "applied"),
        ("pro-remise", "rejected"),
        ("poster-offert", "applied"),
        ("catalogue-noel", "applied"),
        ("livraison-offerte-50", "applied"),
    ]
    .into_iter()
    .collect();
    assert_eq!(statuses, expected);
    let reason = |id: &str| -> Value {
        quote["promotions"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == json!(id)))
            .map(|p| p["reason"]["code"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(reason("black-friday-hasbro"), "ended");
    assert_eq!(reason("soiree-exclu-web"), "outside_window");
    assert_eq!(reason("borne-hasbro"), "channel_not_allowed");
    assert_eq!(reason("lego-semaine"), "blocked_by");
    assert_eq!(reason("pro-remise"), "not_in_audience");

    assert_eq!(quote["gifts"][0]["sku"], "POSTER-AVENGERS");
    assert_eq!(quote["gifts"][0]["promotion"], "poster-offert");
    assert_eq!(quote["parcel_inserts"][0]["item"], "CATALOGUE-NOEL-2026");
    assert_eq!(quote["codes"][0]["code"], "marvel10");
    assert_eq!(quote["codes"][0]["usable"], true);
    let standard = &quote["shipping"][0];
    assert_eq!(standard["method"], "standard");
    assert_eq!(standard["selected"], true);
    assert_eq!(standard["amount"], "0.00");

    // Totals, and their consistency with the lines.
    let totals = &quote["totals"];
    assert_eq!(totals["subtotal"], "155.95");
    assert_eq!(totals["discount"], "42.30");
    assert_eq!(totals["merchandise"]["gross"], "113.65");
    assert_eq!(totals["grand"]["gross"], "113.65");
    assert_eq!(totals["shipping_discount"], "4.90");
    let lines = quote["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 4);
    let sum = |field: &str| -> Decimal { lines.iter().map(|l| dec(&l[field])).sum() };
    assert_eq!(sum("subtotal"), dec(&totals["subtotal"]));
    assert_eq!(sum("discount"), dec(&totals["discount"]));
    assert_eq!(sum("amount"), dec(&totals["merchandise"]["gross"]));
    assert_eq!(
        dec(&totals["subtotal"]) - dec(&totals["discount"]),
        dec(&totals["merchandise"]["gross"])
    );
    for l in lines {
        assert_eq!(
            dec(&l["subtotal"]) - dec(&l["discount"]),
            dec(&l["amount"]),
            "{l}"
        );
        let total = &l["total"];
        assert_eq!(
            dec(&total["net"]) + dec(&total["tax"]),
            dec(&total["gross"]),
            "{l}"
        );
    }
    let grand = &totals["grand"];
    assert_eq!(
        dec(&grand["net"]) + dec(&grand["tax"]),
        dec(&grand["gross"])
    );
    assert_eq!(
        dec(&grand["gross"]),
        dec(&totals["merchandise"]["gross"]) + dec(&totals["shipping"]["gross"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluates_the_toyshop_cart() {
    let app = spawn_app().await;
    check_toyshop_quote(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluates_now_when_the_cart_has_no_instant() {
    let app = spawn_app().await;
    let mut cart = toyshop_cart();
    cart.as_object_mut().expect("an object").remove("at");
    let reply = app.evaluate(&cart).await;
    reply.expect(200);
    let skus: Vec<&str> = reply.body["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["sku"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        skus,
        ["FIG-SPIDERMAN", "LEGO-AVENGERS", "GAME-UNO", "PILES-AA"]
    );
    // Whatever the date, the grand total is the merchandise plus the shipping.
    let totals = &reply.body["totals"];
    assert_eq!(
        dec(&totals["grand"]["gross"]),
        dec(&totals["merchandise"]["gross"]) + dec(&totals["shipping"]["gross"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_several_skus_in_request_order() {
    let app = spawn_app().await;
    let request: Value = serde_json::from_str(TOYSHOP_PRICES).expect("JSON");
    let reply = app.post("/v1/prices", STOREFRONT, &request).await;
    reply.expect(200);
    let prices = reply.body["prices"].as_array().expect("prices");
    let got: Vec<(&str, &str, &str, Option<&str>)> = prices
        .iter()
        .map(|p| {
            (
                p["sku"].as_str().unwrap_or(""),
                p["price"].as_str().unwrap_or(""),
                p["reference_price"].as_str().unwrap_or(""),
                p["promotion"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("FIG-SPIDERMAN", "19.99", "24.99", Some("marvel-20")),
            ("MASK-SPIDERMAN", "27.99", "34.99", Some("marvel-20")),
            ("LEGO-AVENGERS", "69.99", "89.99", Some("lego-prix-choc")),
            ("PLUSH-GROOT", "15.99", "19.99", Some("marvel-20")),
            ("FIG-BATMAN", "21.99", "21.99", None),
            ("BD-SPIDERMAN", "15.00", "15.00", None),
        ]
    );
    // The book's reduced VAT rate (5.5 %).
    assert_eq!(prices[5]["net"], "14.22");
    assert_eq!(prices[5]["tax"], "0.78");
    for p in prices {
        assert_eq!(p["currency"], "EUR");
        assert_eq!(dec(&p["net"]) + dec(&p["tax"]), dec(&p["gross"]), "{p}");
    }

    // The `pro` group sees prices without tax.
    let pro = json!({ "customer": { "groups": ["pro"] }, "channel": "web", "at": AT, "skus": ["FIG-SPIDERMAN"] });
    let reply = app.post("/v1/prices", STOREFRONT, &pro).await;
    reply.expect(200);
    let price = &reply.body["prices"][0];
    assert_eq!(price["display"], "net", "{}", reply.text);
    assert_eq!(price["price"], price["net"]);
    assert_eq!(price["gross"], "19.99");

    // On the kiosk channel, the web-only -20 % is not in the catalog price.
    let kiosk = json!({ "channel": "kiosk", "at": AT, "skus": ["FIG-SPIDERMAN"] });
    let reply = app.post("/v1/prices", STOREFRONT, &kiosk).await;
    reply.expect(200);
    assert_eq!(reply.body["prices"][0]["price"], "24.99");
    assert!(
        reply.body["prices"][0]["promotion"].is_null(),
        "{}",
        reply.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_promotions_show_labels_banners_and_the_catalog_promotion() {
    let app = spawn_app().await;
    let reply = app
        .get(
            "/v1/products/FIG-SPIDERMAN/promotions?channel=web&at=2026-12-05T10:00:00%2B01:00",
            STOREFRONT,
        )
        .await;
    reply.expect(200);
    let body = &reply.body;
    assert_eq!(body["sku"], "FIG-SPIDERMAN");
    assert_eq!(body["price"]["price"], "19.99");
    assert_eq!(body["labels"], json!(["nouveauté", "exclu web"]));
    let placements: Vec<&str> = body["banners"]
        .as_array()
        .expect("banners")
        .iter()
        .map(|b| b["placement"].as_str().unwrap_or(""))
        .collect();
    assert!(placements.contains(&"home_top"), "{placements:?}");
    let promotions = body["promotions"].as_array().expect("promotions");
    let marvel = promotions
        .iter()
        .find(|p| p["id"] == "marvel-20")
        .expect("marvel-20 is listed");
    assert_eq!(marvel["catalog"], true);
    assert_eq!(marvel["campaign"], "lancement-marvel");
    // Only the catalog promotion is flagged; out-of-context ones are left out.
    assert_eq!(
        promotions.iter().filter(|p| p["catalog"] == true).count(),
        1
    );
    for absent in ["black-friday-hasbro", "borne-hasbro", "pro-remise"] {
        assert!(
            promotions.iter().all(|p| p["id"] != absent),
            "{absent} is out of context: {}",
            reply.text
        );
    }
    // A coupon promotion is still the product's (the shopper may type the code).
    assert!(promotions.iter().any(|p| p["id"] == "marvel10"));

    // Before the Marvel launch, no launch label.
    let reply = app
        .get(
            "/v1/products/FIG-SPIDERMAN/promotions?channel=web&at=2026-10-01T10:00:00%2B02:00",
            STOREFRONT,
        )
        .await;
    reply.expect(200);
    assert_eq!(reply.body["price"]["price"], "24.99");
    assert!(
        reply.body["labels"]
            .as_array()
            .is_some_and(|l| !l.iter().any(|l| l == "nouveauté")),
        "{}",
        reply.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_product_or_landing_page_is_404() {
    let app = spawn_app().await;
    app.get("/v1/products/NO-SUCH-SKU/promotions", STOREFRONT)
        .await
        .expect(404);
    let reply = app.get("/v1/landing/no-such-page", STOREFRONT).await;
    reply.expect(404);
    assert_eq!(reply.body["type"], "/problems/not-found");
    // A query parameter the route does not know is refused, not ignored.
    app.get("/v1/products/GAME-UNO/promotions?chanel=web", STOREFRONT)
        .await
        .expect_problem(400, Some("query"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_page_lists_its_selection_in_order() {
    let app = spawn_app().await;
    let reply = app
        .get(
            "/v1/landing/univers-spider-man?channel=web&at=2026-12-05T10:00:00%2B01:00",
            STOREFRONT,
        )
        .await;
    reply.expect(200);
    let body = &reply.body;
    assert_eq!(body["slug"], "univers-spider-man");
    assert_eq!(body["title"], "L'univers Spider-Man");
    assert_eq!(body["campaign"]["id"], "lancement-marvel");
    let products: Vec<(&str, &str)> = body["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| {
            (
                p["sku"].as_str().unwrap_or(""),
                p["price"]["price"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        products,
        [
            ("FIG-SPIDERMAN", "19.99"),
            ("MASK-SPIDERMAN", "27.99"),
            ("BD-SPIDERMAN", "15.00")
        ]
    );
    assert_eq!(
        body["products"][0]["name"],
        "Figurine Spider-Man Titan Hero 30 cm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storefront_routes_answer_json() {
    let app = spawn_app().await;
    // A body without a content type is read as JSON.
    let reply = app
        .send(
            app.with_key(Method::POST, "/v1/carts/evaluate", STOREFRONT)
                .body(toyshop_cart().to_string()),
        )
        .await;
    reply.expect(200);
    assert_eq!(line(&reply.body, "L1")["catalog_unit_price"], "19.99");
}
