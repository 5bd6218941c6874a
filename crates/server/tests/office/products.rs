//! The catalog screens over HTTP: the products list (search, filters, pages), a product's page
//! (prices per channel and group, every promotion with why it applies or not), and the catalog
//! import (dry run, errors by line, all or nothing, roles), in French and in English.

use std::time::{Duration, Instant};

use remise_server::demo;
use remise_store::{Kind, Role};
use reqwest::header;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::support::{OfficeApp, Visitor, spawn};

/// A page's status and HTML, asked in `lang`.
async fn page(app: &OfficeApp, visitor: &Visitor, path: &str, lang: &str) -> (StatusCode, String) {
    let response = app
        .get(Some(visitor), path)
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, unescape(&response.text().await.unwrap()))
}

/// HTML with askama's escapes turned back into text, for assertions on what a reader sees.
fn unescape(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

/// A management API call with the demo's key; panics unless it succeeds.
async fn manage(app: &OfficeApp, method: reqwest::Method, path: &str, body: Value) -> Value {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(demo::MANAGEMENT_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn create(app: &OfficeApp, collection: &str, body: Value) {
    manage(
        app,
        reqwest::Method::POST,
        &format!("/v1/{collection}"),
        body,
    )
    .await;
}

/// The skus of the list's rows, in order (each row links to its product's page).
fn skus(html: &str) -> Vec<String> {
    html.split("<td><a href=\"/office/products/")
        .skip(1)
        .filter_map(|rest| {
            let text = &rest[rest.find('>')? + 1..];
            Some(text[..text.find('<')?].to_owned())
        })
        .collect()
}

/// The `href` of the link marked `rel="next"`, unescaped.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn the_list_shows_products_with_their_prices_in_both_languages() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, fr) = page(&app, &viewer, "/office/products", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("<h1>Produits</h1>"), "{fr}");
    assert!(fr.contains("Prix affiché aujourd'hui"));
    assert!(fr.contains("24,99\u{a0}€"), "{fr}");
    assert!(fr.contains("FIG-SPIDERMAN"));
    // The demo's twelve products on one page, in sku order, with no next page.
    let rows = skus(&fr);
    assert_eq!(rows.len(), 12, "{rows:?}");
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted);
    assert_eq!(next_link(&fr), None);
    // A viewer changes nothing: no import link.
    assert!(!fr.contains("/office/catalog/import"));

    let (_, en) = page(&app, &viewer, "/office/products", "en").await;
    assert!(en.contains("<h1>Products</h1>"));
    assert!(en.contains("Catalog price now"));
    assert!(en.contains("€24.99"), "{en}");
    let marketer = app.visitor(Role::Marketer).await;
    let (_, en) = page(&app, &marketer, "/office/products", "en").await;
    assert!(en.contains("href=\"/office/catalog/import\""));
}

#[tokio::test]
async fn search_ignores_case_and_accents_and_filters_combine() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let list = |query: &'static str| {
        let (app, viewer) = (&app, &viewer);
        async move {
            let (status, html) =
                page(app, viewer, &format!("/office/products?{query}"), "fr").await;
            assert_eq!(status, StatusCode::OK, "{query}: {html}");
            skus(&html)
        }
    };
    // "Masque électronique Spider-Man", found without its accent and in capitals.
    assert_eq!(list("q=MASQUE+electronique").await, ["MASK-SPIDERMAN"]);
    assert_eq!(list("q=fig-iron").await, ["FIG-IRONMAN"]);
    // A segment counts its sub-segments: Superhéros holds Marvel and DC Comics.
    let heroes = list("segment=superheros").await;
    assert!(heroes.contains(&"FIG-BATMAN".to_owned()), "{heroes:?}");
    assert!(heroes.contains(&"FIG-SPIDERMAN".to_owned()));
    assert!(!heroes.contains(&"GAME-UNO".to_owned()));
    assert_eq!(list("segment=dc").await, ["FIG-BATMAN"]);
    // Brand and tag, whatever their case and accents.
    let hasbro = list("brand=hasbro").await;
    assert_eq!(hasbro.len(), 6, "{hasbro:?}");
    assert_eq!(
        list("tag=EXCLU+WEB").await,
        ["FIG-IRONMAN", "FIG-SPIDERMAN"]
    );
    assert_eq!(list("tag=nouveaute&q=captain").await, ["FIG-CAPTAIN"]);
    assert_eq!(list("segment=marvel&brand=Funko").await, ["PLUSH-GROOT"]);
    assert!(list("q=nothing-like-this").await.is_empty());

    // A filter value the form cannot send: 422, the error next to its field, no rows.
    let (status, html) = page(&app, &viewer, "/office/products?segment=nope", "fr").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-segment\""), "{html}");
    assert!(
        html.contains("Le segment «\u{a0}nope\u{a0}» n'existe pas"),
        "{html}"
    );
    assert!(skus(&html).is_empty());
    let (status, html) = page(&app, &viewer, "/office/products?promoted=maybe", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose promoted, not promoted or any."));

    // htmx's live search gets the results alone.
    let response = app
        .get(Some(&viewer), "/office/products?q=groot")
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let fragment = response.text().await.unwrap();
    assert!(!fragment.contains("<html"), "{fragment}");
    assert_eq!(skus(&fragment), ["PLUSH-GROOT"]);
}

#[tokio::test]
async fn promoted_products_are_those_a_catalog_promotion_reaches_now() {
    let app = spawn().await;
    // No campaign, no channel, no dates: a catalog promotion in the default context.
    create(
        &app,
        "promotions",
        json!({
            "id": "uno-10", "name": "UNO -10 %", "priority": 70,
            "targets": {"skus": ["GAME-UNO"]},
            "offer": {"type": "percent_off", "percent": 10}
        }),
    )
    .await;
    let viewer = app.visitor(Role::Viewer).await;
    let (_, promoted) = page(&app, &viewer, "/office/products?promoted=yes", "fr").await;
    let rows = skus(&promoted);
    assert!(rows.contains(&"GAME-UNO".to_owned()), "{rows:?}");
    assert!(!rows.contains(&"FIG-BATMAN".to_owned()));
    // 9.99 less 10 %, rounded: the price the storefront gives, with the promotion's name.
    assert!(promoted.contains("8,99\u{a0}€"), "{promoted}");
    assert!(promoted.contains("UNO -10 %"));
    assert!(promoted.contains("En promo"));
    let (_, others) = page(&app, &viewer, "/office/products?promoted=no", "fr").await;
    let others = skus(&others);
    assert!(others.contains(&"FIG-BATMAN".to_owned()));
    assert!(!others.contains(&"GAME-UNO".to_owned()));
    assert_eq!(rows.len() + others.len(), 12);
}

#[tokio::test]
async fn pages_of_fifty_follow_the_cursor() {
    let app = spawn().await;
    let products: Vec<Value> = (0..120)
        .map(|i| json!({"sku": format!("PAGE-{i:03}"), "name": format!("Paged {i}"), "price": "1.00"}))
        .collect();
    manage(
        &app,
        reqwest::Method::POST,
        "/v1/products/import",
        json!(products),
    )
    .await;
    let viewer = app.visitor(Role::Viewer).await;
    let mut seen = Vec::new();
    let mut path = "/office/products?q=page-".to_owned();
    let mut pages = 0;
    loop {
        let (status, html) = page(&app, &viewer, &path, "en").await;
        assert_eq!(status, StatusCode::OK);
        let rows = skus(&html);
        pages += 1;
        if pages > 1 {
            assert!(html.contains("First page"));
        }
        seen.extend(rows.clone());
        match next_link(&html) {
            Some(next) => {
                assert_eq!(rows.len(), 50);
                assert!(next.contains("q=page-"), "{next}");
                path = next;
            }
            None => {
                assert_eq!(rows.len(), 20);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..120).map(|i| format!("PAGE-{i:03}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_product_page_explains_its_prices_and_promotions() {
    let app = spawn().await;
    // On the web only: rejected without a channel, shown in the catalog on the web.
    create(
        &app,
        "promotions",
        json!({
            "id": "batman-web", "name": "Batman web -15 %", "priority": 90,
            "targets": {"skus": ["FIG-BATMAN"]}, "audience": {"channels": ["web"]},
            "offer": {"type": "percent_off", "percent": 15}
        }),
    )
    .await;
    // A cart condition: rejected with the amounts compared.
    create(
        &app,
        "promotions",
        json!({
            "id": "batman-100", "name": "Batman dès 100 €",
            "targets": {"brands": ["Mattel"]}, "conditions": {"min_cart_amount": "100.00"},
            "offer": {"type": "cart_amount_off", "amount": "5.00"}
        }),
    )
    .await;
    // In a draft campaign: not served, listed with why.
    create(
        &app,
        "campaigns",
        json!({"id": "soldes-ete", "name": "Soldes d'été", "status": "draft"}),
    )
    .await;
    create(
        &app,
        "promotions",
        json!({
            "id": "batman-soldes", "name": "Soldes Batman", "campaign": "soldes-ete",
            "targets": {"segments": ["superheros"]},
            "offer": {"type": "percent_off", "percent": 40}
        }),
    )
    .await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, fr) = page(&app, &viewer, "/office/products/FIG-BATMAN", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("<h1>Figurine Batman 30 cm</h1>"), "{fr}");
    assert!(fr.contains("Superhéros › DC Comics"));
    assert!(fr.contains("20\u{202f}%"));
    assert!(fr.contains("Mattel"));
    // The price table: a column per channel, a row per customer group.
    assert!(fr.contains("Canal web"));
    assert!(fr.contains("Cantines scolaires (cantines)"));
    // 21.99 less 15 % = 18.69 on the web, struck through from 21.99.
    assert!(fr.contains("18,69\u{a0}€"), "{fr}");
    assert!(fr.contains("<del>"));
    // Every promotion that targets it, with the engine's reason in French.
    assert!(fr.contains("Batman web -15 %"));
    assert!(fr.contains("le canal (aucun) n'est pas parmi web"), "{fr}");
    assert!(
        fr.contains("montant du panier 21,99\u{a0}€ < 100,00\u{a0}€"),
        "{fr}"
    );
    assert!(fr.contains("Soldes Batman"));
    assert!(
        fr.contains("sa campagne «\u{a0}Soldes d'été\u{a0}» est un brouillon"),
        "{fr}"
    );

    // On the web, the promotion applies and is the one the catalog shows.
    let (status, en) = page(
        &app,
        &viewer,
        "/office/products/FIG-BATMAN?channel=web",
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("Promotions that target this product"));
    let row = en
        .split("<tr>")
        .find(|row| row.contains("(batman-web)"))
        .unwrap();
    assert!(row.contains("applies"), "{row}");
    assert!(row.contains("Shown in the catalog"), "{row}");
    assert!(row.contains("€3.30"), "{row}");
    // Amounts are measured at catalog prices: on the web, after the promotion.
    assert!(en.contains("cart amount €18.69 < €100.00"), "{en}");
    assert!(
        en.contains("its campaign “Soldes d'été” is a draft"),
        "{en}"
    );

    // A context the store does not know: 422, the error next to the field.
    let (status, html) = page(
        &app,
        &viewer,
        "/office/products/FIG-BATMAN?group=nobody",
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-group\""));
    assert!(html.contains("There is no customer group “nobody”."));
    let (status, _) = page(&app, &viewer, "/office/products/NO-SUCH-SKU", "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A multipart body with one file field: (content type, body).
fn multipart(file_name: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "remise-test-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

fn upload(app: &OfficeApp, visitor: &Visitor, file_name: &str, content: &str) -> RequestBuilder {
    let (content_type, body) = multipart(file_name, content);
    app.client
        .post(app.url(&format!("/office/catalog/import?csrf={}", visitor.csrf)))
        .header(header::COOKIE, &visitor.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
}

/// Uploads a file and returns its job's address.
async fn start_import(app: &OfficeApp, visitor: &Visitor, content: &str) -> String {
    let response = upload(app, visitor, "catalogue.csv", content)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with("/office/catalog/import/"),
        "{location}"
    );
    location.to_owned()
}

/// The job's page once its phase ended.
async fn finished(app: &OfficeApp, visitor: &Visitor, job: &str, lang: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, html) = page(app, visitor, job, lang).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        if !html.contains("hx-trigger=\"every 1s\"") {
            return html;
        }
        assert!(Instant::now() < deadline, "the import did not end: {html}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const HEADER: &str = "sku,name,price,tax_rate,segments,brand,tags,attr.type";

#[tokio::test]
async fn an_import_with_errors_lists_them_by_line_and_changes_nothing() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let file = format!(
        "{HEADER}\nNEW-1,Nouveau,12.00,0.20,jeux,Mattel,,jeu\nNEW-2,Deux,12.5x,0.20,jeux,,,\nNEW-3,Trois,3.00,0.20,jouets,,,\n"
    );
    let job = start_import(&app, &marketer, &file).await;
    let fr = finished(&app, &marketer, &job, "fr").await;
    assert!(fr.contains("Le fichier contient des erreurs"), "{fr}");
    assert!(fr.contains("Erreurs par ligne"));
    assert!(fr.contains("id=\"line-3\""), "{fr}");
    assert!(
        fr.contains("<th scope=\"row\">ligne 3</th><td>price</td>"),
        "{fr}"
    );
    assert!(fr.contains("n'est pas un nombre décimal"), "{fr}");
    assert!(
        fr.contains("<th scope=\"row\">ligne 4</th><td>segments[0]</td>"),
        "{fr}"
    );
    assert!(fr.contains("segment inconnu"));
    assert!(!fr.contains("/apply"), "no way to apply a file with errors");
    let en = finished(&app, &marketer, &job, "en").await;
    assert!(en.contains("<th scope=\"row\">line 3</th>"), "{en}");
    assert!(en.contains("is not a decimal number"));
    // Forcing the apply changes nothing either.
    let response = app
        .post_form(Some(&marketer), &format!("{job}/apply"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        app.store
            .get(Kind::Product, "NEW-1")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_clean_import_is_checked_then_applied_all_at_once() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    // Two new products, UNO at a new price, the batteries exactly as the demo stores them.
    let file = format!(
        "{HEADER}\nNEW-1,Nouveau jeu,12.00,0.20,jeux,Mattel,nouveauté,jeu\nNEW-2,Deuxième jeu,15.00,0.20,jeux,,,\nGAME-UNO,UNO,8.99,0.20,jeux,Mattel,,jeu\nPILES-AA,Piles AA (lot de 4),5.99,0.20,,,,accessoire\n"
    );
    let job = start_import(&app, &marketer, &file).await;
    let fr = finished(&app, &marketer, &job, "fr").await;
    assert!(fr.contains("Le fichier est correct."), "{fr}");
    let count = |html: &str, label: &str| {
        let at = html
            .find(&format!("<th scope=\"row\">{label}</th>"))
            .unwrap();
        let cell = &html[at..];
        let cell = &cell[cell.find("<td class=\"num\">").unwrap() + 16..];
        cell[..cell.find('<').unwrap()].to_owned()
    };
    assert_eq!(count(&fr, "À créer"), "2");
    assert_eq!(count(&fr, "À mettre à jour"), "1");
    assert_eq!(count(&fr, "Inchangés"), "1");
    // The dry run wrote nothing.
    assert!(
        app.store
            .get(Kind::Product, "NEW-1")
            .await
            .unwrap()
            .is_none()
    );
    // Another user does not see the job.
    let admin = app.visitor(Role::Administrator).await;
    let (status, _) = page(&app, &admin, &job, "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let response = app
        .post_form(Some(&marketer), &format!("{job}/apply"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let en = finished(&app, &marketer, &job, "en").await;
    assert!(en.contains("The catalog was imported."), "{en}");
    assert_eq!(count(&en, "Created"), "2");
    assert_eq!(count(&en, "Updated"), "1");
    assert_eq!(count(&en, "Unchanged"), "1");
    let stored = app
        .store
        .get(Kind::Product, "NEW-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.body["name"], "Deuxième jeu");
    // Published at once: the list finds it.
    let (_, list) = page(&app, &marketer, "/office/products?q=deuxieme", "fr").await;
    assert_eq!(skus(&list), ["NEW-2"]);
    // Applied once only.
    let again = app
        .post_form(Some(&marketer), &format!("{job}/apply"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn only_editors_import_and_a_file_is_required() {
    let app = spawn().await;
    for role in [Role::Viewer, Role::Approver] {
        let visitor = app.visitor(role).await;
        let (status, _) = page(&app, &visitor, "/office/catalog/import", "fr").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        // A forged upload, with the session's own token: refused by role.
        let response = upload(&app, &visitor, "c.csv", "sku,price\nFORGED,1.00\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
    assert!(
        app.store
            .get(Kind::Product, "FORGED")
            .await
            .unwrap()
            .is_none()
    );

    let marketer = app.visitor(Role::Marketer).await;
    let (status, fr) = page(&app, &marketer, "/office/catalog/import", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("Import du catalogue"));
    assert!(fr.contains(&format!(
        "action=\"/office/catalog/import?csrf={}\"",
        marketer.csrf
    )));
    // Without the token in the action: refused.
    let (content_type, body) = multipart("c.csv", "sku,price\nX,1.00\n");
    let response = app
        .client
        .post(app.url("/office/catalog/import"))
        .header(header::COOKIE, &marketer.cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // An empty file: 422 with the error next to the field.
    let response = upload(&app, &marketer, "empty.csv", "")
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"e-file\""), "{html}");
    assert!(html.contains("Choose a file to import."));
    // An unknown job.
    let (status, _) = page(&app, &marketer, "/office/catalog/import/nope", "fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_file_lets_go_of_the_earlier_one() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let first = start_import(
        &app,
        &marketer,
        &format!("{HEADER}\nFIRST-1,Un,1.00,0.20,,,,\n"),
    )
    .await;
    finished(&app, &marketer, &first, "fr").await;
    let second = start_import(
        &app,
        &marketer,
        &format!("{HEADER}\nSECOND-1,Deux,1.00,0.20,,,,\n"),
    )
    .await;
    finished(&app, &marketer, &second, "fr").await;
    // The first job's file is no longer kept: applying it says so and writes nothing.
    let response = app
        .post_form(Some(&marketer), &format!("{first}/apply"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = finished(&app, &marketer, &first, "fr").await;
    assert!(html.contains("le fichier n'est plus conservé"), "{html}");
    assert!(html.contains("L'import n'a pas été fait"), "{html}");
    assert!(
        app.store
            .get(Kind::Product, "FIRST-1")
            .await
            .unwrap()
            .is_none()
    );
    // The second applies.
    let response = app
        .post_form(Some(&marketer), &format!("{second}/apply"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = finished(&app, &marketer, &second, "en").await;
    assert!(html.contains("The catalog was imported."), "{html}");
    assert!(
        app.store
            .get(Kind::Product, "SECOND-1")
            .await
            .unwrap()
            .is_some()
    );
}
