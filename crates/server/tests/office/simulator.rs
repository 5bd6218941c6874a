//! The cart simulator: the same quote as the storefront API, reasons and nudges in French and
//! English, a draft campaign's promotions only when asked for, field errors, product search.

use remise_server::demo::MANAGEMENT_KEY;
use remise_store::Role;
use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;
use serde_json::{Value, json};

use crate::support::{OfficeApp, Visitor, spawn};

/// The toy shop's example cart (`examples/toyshop.cart.json`).
fn toyshop_cart() -> Value {
    serde_json::from_str(include_str!("../../../../examples/toyshop.cart.json")).unwrap()
}

/// The simulator's URL for a cart written as the API's JSON.
fn simulator_url(cart: &Value, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for field in ["channel"] {
        if let Some(value) = cart[field].as_str() {
            pairs.push((field.to_owned(), value.to_owned()));
        }
    }
    if let Some(customer) = cart["customer"]["id"].as_str() {
        pairs.push(("customer".to_owned(), customer.to_owned()));
    }
    if let Some(at) = cart["at"].as_str() {
        pairs.push(("at".to_owned(), at.to_owned()));
    }
    for line in cart["lines"].as_array().into_iter().flatten() {
        pairs.push(("sku".to_owned(), line["sku"].as_str().unwrap().to_owned()));
        pairs.push(("qty".to_owned(), line["quantity"].to_string()));
    }
    let codes: Vec<&str> = cart["codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    pairs.push(("codes".to_owned(), codes.join(" ")));
    let shipping: Vec<String> = cart["shipping_options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            // The rate as a percentage, as the form takes it.
            let rate: rust_decimal::Decimal = o["tax_rate"].as_str().unwrap().parse().unwrap();
            format!(
                "{} {} {}",
                o["method"].as_str().unwrap(),
                o["price"].as_str().unwrap(),
                rate * rust_decimal::Decimal::ONE_HUNDRED
            )
        })
        .collect();
    pairs.push(("shipping".to_owned(), shipping.join("\n")));
    if let Some(method) = cart["shipping_method"].as_str() {
        pairs.push(("method".to_owned(), method.to_owned()));
    }
    for (name, value) in extra {
        pairs.push(((*name).to_owned(), (*value).to_owned()));
    }
    format!(
        "/office/simulator?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    )
}

/// The page at `path` in `lang`: its status and HTML.
pub async fn page(
    app: &OfficeApp,
    visitor: &Visitor,
    path: &str,
    lang: &str,
) -> (StatusCode, String) {
    let response = app
        .get(Some(visitor), path)
        .header(ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn api(app: &OfficeApp, method: reqwest::Method, path: &str, body: &Value) -> Value {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(MANAGEMENT_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn evaluate(app: &OfficeApp, cart: &Value) -> Value {
    api(app, reqwest::Method::POST, "/v1/carts/evaluate", cart).await
}

/// `1234.5` as the page writes it in `lang`.
fn euros(lang: &str, amount: &str) -> String {
    let (whole, cents) = amount.split_once('.').unwrap_or((amount, "00"));
    let cents = format!("{cents:0<2}");
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(if lang == "fr" { '\u{202f}' } else { ',' });
        }
        grouped.push(digit);
    }
    if lang == "fr" {
        format!("{grouped},{cents}\u{a0}€")
    } else {
        format!("€{grouped}.{cents}")
    }
}

/// Text as askama writes it in HTML (quotes and apostrophes escaped).
fn html(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

#[tokio::test]
async fn the_form_renders_in_both_languages() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, fr) = page(&app, &viewer, "/office/simulator", "fr").await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        "Simulateur de panier",
        "Canal de vente",
        "Groupes de clients",
        "Simuler",
        "Europe/Paris",
    ] {
        assert!(fr.contains(words), "{words}");
    }
    // The professional groups are offered as check boxes, no quote yet.
    assert!(fr.contains("value=\"cantines\""));
    assert!(!fr.contains("Promotions examinées"));
    let (status, en) = page(&app, &viewer, "/office/simulator", "en").await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        "Cart simulator",
        "Sales channel",
        "Customer groups",
        "Simulate",
    ] {
        assert!(en.contains(words), "{words}");
    }
}

#[tokio::test]
async fn the_toyshop_cart_gets_the_quote_of_the_api() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let cart = toyshop_cart();
    let quote = evaluate(&app, &cart).await;
    let url = simulator_url(&cart, &[]);
    for lang in ["fr", "en"] {
        let (status, page) = page(&app, &viewer, &url, lang).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let grand = &quote["totals"]["grand"];
        assert!(
            page.contains(&format!(
                "id=\"sim-grand-total\">{}<",
                euros(lang, grand["gross"].as_str().unwrap())
            )),
            "{lang}: gross {grand}"
        );
        for amount in [
            grand["net"].as_str().unwrap(),
            grand["tax"].as_str().unwrap(),
            quote["totals"]["discount"].as_str().unwrap(),
        ] {
            assert!(page.contains(&euros(lang, amount)), "{lang}: {amount}");
        }
        // Every line's amount, and every promotion the API considered, with its discount.
        for line in quote["lines"].as_array().unwrap() {
            assert!(page.contains(&euros(lang, line["amount"].as_str().unwrap())));
        }
        let promotions = quote["promotions"].as_array().unwrap();
        assert!(promotions.len() >= 5, "{quote}");
        for promotion in promotions {
            assert!(
                page.contains(&html(promotion["name"].as_str().unwrap())),
                "{lang}: {promotion}"
            );
        }
    }
    // The code the cart presents is the store's coupon: it unlocked its promotion.
    let (_, fr) = page(&app, &viewer, &url, "fr").await;
    assert!(fr.contains("marvel10"));
    assert!(fr.contains("utilisable"));
}

#[tokio::test]
async fn a_rejected_promotion_says_why_and_nudges_in_both_languages() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let url = "/office/simulator?channel=web&at=2026-12-05T14%3A30&lines=GAME-UNO+1\
               &shipping=standard+4.90+20&method=standard";
    let (status, fr) = page(&app, &marketer, url, "fr").await;
    assert_eq!(status, StatusCode::OK, "{fr}");
    assert!(
        fr.contains("montant du panier 9,99\u{a0}€ &#60; 50,00\u{a0}€"),
        "{fr}"
    );
    assert!(fr.contains("non appliquée"));
    assert!(
        fr.contains("Plus que 40,01\u{a0}€ pour « Livraison standard offerte dès 50 € »"),
        "{fr}"
    );
    let (status, en) = page(&app, &marketer, url, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("cart amount €9.99 &#60; €50.00"), "{en}");
    assert!(en.contains("not applied"));
    assert!(
        en.contains("€40.01 more for &#34;Livraison standard offerte dès 50 €&#34;"),
        "{en}"
    );
}

#[tokio::test]
async fn a_draft_campaign_changes_the_result_only_when_included() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    api(
        &app,
        reqwest::Method::POST,
        "/v1/campaigns",
        &json!({ "id": "soldes-hiver", "name": "Soldes d'hiver", "status": "draft" }),
    )
    .await;
    api(
        &app,
        reqwest::Method::POST,
        "/v1/promotions",
        &json!({
            "id": "uno-moitie-prix",
            "name": "UNO à moitié prix",
            "campaign": "soldes-hiver",
            "targets": { "skus": ["GAME-UNO"] },
            "offer": { "type": "percent_off", "percent": 50 },
        }),
    )
    .await;
    let base = "/office/simulator?at=2026-12-05T14%3A30&lines=GAME-UNO+1";
    let (status, without) = page(&app, &viewer, base, "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!without.contains("UNO à moitié prix"), "{without}");
    assert!(without.contains("id=\"sim-grand-total\">9,99\u{a0}€<"));
    // The draft campaign is offered, and once chosen its promotion halves the price.
    assert!(
        without.contains("<option value=\"soldes-hiver\">Soldes d&#39;hiver (brouillon)</option>"),
        "{without}"
    );
    let (status, with) = page(
        &app,
        &viewer,
        &format!("{base}&campaign=soldes-hiver"),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{with}");
    assert!(with.contains("UNO à moitié prix"));
    assert!(with.contains("campagne non publiée"));
    assert!(
        with.contains("id=\"sim-grand-total\">4,99\u{a0}€<"),
        "{with}"
    );
    assert!(with.contains("Inclut 1 promotion(s) de la campagne « Soldes d&#39;hiver »"));
    // Nothing was published: the shop still pays the full price.
    let quote = evaluate(
        &app,
        &json!({ "at": "2026-12-05T14:30:00+01:00", "lines": [{ "sku": "GAME-UNO", "quantity": 1 }] }),
    )
    .await;
    assert_eq!(quote["totals"]["grand"]["gross"], "9.99");
    // An active campaign is not a draft to add.
    let (status, active) = page(&app, &viewer, &format!("{base}&campaign=permanent"), "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(active.contains("Campaign &#34;permanent&#34; does not exist or is already active."));
}

#[tokio::test]
async fn field_errors_are_shown_next_to_their_fields() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, page_html) = page(
        &app,
        &viewer,
        "/office/simulator?sku=GAME-UNO&qty=deux&at=demain&spent=-3&shipping=standard",
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (id, words) in [
        ("e-lines", "Ligne 1 : la quantité « deux »"),
        ("e-at", "« demain » n&#39;est pas une date"),
        ("e-spent", "« -3 » n&#39;est pas un montant positif"),
        ("e-shipping", "Option 1 : « standard »"),
    ] {
        let at = page_html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id}: {page_html}"));
        assert!(page_html[at..].contains(words), "{id}: {words}");
    }
    // What was typed is shown again.
    assert!(page_html.contains("value=\"deux\""));
    // The engine's own checks: a product the catalog does not know, without its price.
    let (status, unknown) =
        page(&app, &viewer, "/office/simulator?lines=NO-SUCH-SKU+2", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    let at = unknown.find("id=\"e-lines\"").unwrap();
    assert!(unknown[at..].contains("Line 1"), "{unknown}");
    // An empty cart.
    let (status, empty) = page(&app, &viewer, "/office/simulator?lines=", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Add at least one product to the cart."));
}

#[tokio::test]
async fn products_are_found_and_added_as_rows() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, found) = page(&app, &viewer, "/office/simulator/products?q=spider", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        found.contains("FIG-SPIDERMAN") && found.contains("MASK-SPIDERMAN"),
        "{found}"
    );
    assert!(found.contains("24,99\u{a0}€"));
    assert!(!found.contains("LEGO-AVENGERS"));
    // Accents and case aside.
    let (_, found) = page(
        &app,
        &viewer,
        "/office/simulator/products?q=MASQUE+electronique",
        "en",
    )
    .await;
    assert!(found.contains("MASK-SPIDERMAN"), "{found}");
    let (_, none) = page(&app, &viewer, "/office/simulator/products?q=zzz", "en").await;
    assert!(none.contains("No product matches"), "{none}");

    let (status, row) = page(
        &app,
        &viewer,
        "/office/simulator/line?sku=FIG-SPIDERMAN&add_qty=3",
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        row.contains("name=\"sku\" value=\"FIG-SPIDERMAN\""),
        "{row}"
    );
    assert!(
        row.contains("name=\"qty\"") && row.contains("value=\"3\""),
        "{row}"
    );
    let (status, _) = page(&app, &viewer, "/office/simulator/line?sku=NOPE", "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The README's example link is the toy shop's cart: it must keep giving the API's totals.
#[tokio::test]
async fn the_readme_link_simulates_the_example_cart() {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("<http://127.0.0.1:8080/office/simulator?")
        .unwrap();
    let link = &readme[start + "<http://127.0.0.1:8080".len()..];
    let link = &link[..link.find('>').unwrap()];
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let quote = evaluate(&app, &toyshop_cart()).await;
    let (status, html) = page(&app, &viewer, link, "en").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let gross = quote["totals"]["grand"]["gross"].as_str().unwrap();
    assert!(
        html.contains(&format!("id=\"sim-grand-total\">{}<", euros("en", gross))),
        "{gross}"
    );
}
