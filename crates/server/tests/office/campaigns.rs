//! The campaigns screens over HTTP: the list and its filters, the calendar, the form with its
//! errors next to their fields, edit, duplicate, delete and restore, the landing page preview,
//! in French and English, and what each role may do.

use remise_server::demo::MANAGEMENT_KEY;
use remise_store::{Kind, Role};
use reqwest::header::{ACCEPT_LANGUAGE, LOCATION};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::support::{OfficeApp, Visitor, hidden_field, spawn};

/// Sends `request` in `lang` and returns the status and the page.
pub async fn page(request: RequestBuilder, lang: &str) -> (StatusCode, String) {
    let response = request.header(ACCEPT_LANGUAGE, lang).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The `Location` of a 303.
pub async fn redirect(request: RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    location.unwrap()
}

/// The error shown next to input `name` (`<p class="error" id="e-NAME">`), checking it sits in
/// the same field as the input.
pub fn field_error(html: &str, name: &str) -> Option<String> {
    let input = html.find(&format!("id=\"f-{name}\""))?;
    let start = html.find(&format!("id=\"e-{name}\">"))?;
    let field_start = html[..input].rfind("<div class=\"field")?;
    assert!(
        !html[field_start..start].contains("</div>"),
        "the error of {name} is not in its field"
    );
    let text = &html[start + name.len() + 8..];
    Some(text[..text.find("</p>")?].to_owned())
}

/// A management API request.
pub fn api(app: &OfficeApp, method: reqwest::Method, path: &str) -> RequestBuilder {
    app.client
        .request(method, app.url(path))
        .bearer_auth(MANAGEMENT_KEY)
}

pub async fn stored(app: &OfficeApp, kind: Kind, id: &str) -> Option<remise_store::Record> {
    app.store.get(kind, id).await.unwrap()
}

fn fields<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs.to_vec()
}

#[tokio::test]
async fn the_list_filters_by_status_and_name_in_both_languages() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let (status, html) = page(app.get(Some(&marketer), "/office/campaigns"), "fr").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<h1>Campagnes</h1>",
        "Nouvelle campagne",
        "Black Friday 2026",
        "Lancement de la gamme Marvel",
        "Tous les statuts",
        "Brouillon",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let (_, html) = page(app.get(Some(&marketer), "/office/campaigns"), "en").await;
    for text in [
        "<h1>Campaigns</h1>",
        "New campaign",
        "Any status",
        "Permanent",
    ] {
        assert!(html.contains(text), "{text}");
    }
    // By name, ignoring case and accents.
    let (_, html) = page(app.get(Some(&marketer), "/office/campaigns?q=NOEL"), "fr").await;
    assert!(html.contains("Noël omnicanal"), "{html}");
    assert!(!html.contains("Black Friday 2026"));
    // By status: every demo campaign is active.
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns?status=draft"),
        "fr",
    )
    .await;
    assert!(html.contains("Aucune campagne ne correspond."));
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns?status=active&q=black"),
        "en",
    )
    .await;
    assert!(html.contains("Black Friday 2026"));
    assert!(!html.contains("Marvel"));
    // A viewer sees the list without the button to create one.
    let viewer = app.visitor(Role::Viewer).await;
    let (status, html) = page(app.get(Some(&viewer), "/office/campaigns"), "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Black Friday 2026"));
    assert!(!html.contains("Nouvelle campagne"));
}

#[tokio::test]
async fn the_list_is_paginated_by_fifty() {
    let app = spawn().await;
    for i in 0..60 {
        let response = api(&app, reqwest::Method::POST, "/v1/campaigns")
            .json(&json!({"id": format!("zz-{i:02}"), "name": format!("Opération {i:02}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let viewer = app.visitor(Role::Viewer).await;
    let (_, first) = page(
        app.get(Some(&viewer), "/office/campaigns?status=draft"),
        "fr",
    )
    .await;
    assert_eq!(first.matches("<tr>").count(), 51, "a header and 50 rows");
    assert!(first.contains("Opération 49"));
    assert!(!first.contains("Opération 50"));
    let next = first
        .split("<a href=\"")
        .find(|s| s.starts_with("/office/campaigns?status=draft&#38;after="))
        .map(|s| s[..s.find('"').unwrap()].replace("&#38;", "&"))
        .unwrap_or_else(|| panic!("a link to the next page: {first}"));
    assert!(next.ends_with("after=zz-49"), "{next}");
    let (_, second) = page(app.get(Some(&viewer), &next), "fr").await;
    assert_eq!(second.matches("<tr>").count(), 11);
    assert!(second.contains("Opération 50") && second.contains("Opération 59"));
    assert!(!second.contains("Opération 49"));
    assert!(second.contains("Première page"));
    assert!(!second.contains("Page suivante"));
}

#[tokio::test]
async fn a_new_campaign_with_errors_is_refused_field_by_field_then_saved() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let (status, html) = page(app.get(Some(&marketer), "/office/campaigns/new"), "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nouvelle campagne") && html.contains("Bannière 1"));

    let bad = fields(&[
        ("name", "Soldes d'hiver"),
        ("kind", "permanent"),
        ("status", "draft"),
        ("starts_at", "2027-01-07T08:00"),
        ("ends_at", "2027-02-03T20:00"),
        ("budget", "12 euros"),
        ("banners[0].placement", "home_top"),
        ("banners[0].image", ""),
        ("banners[0].link", "/soldes"),
        ("landing_page.slug", "univers-spider-man"),
        ("landing_page.title", "Les soldes"),
        ("landing_page.selection", "spiderman"),
        ("action", "save"),
    ]);
    let (status, html) = page(
        app.post_form(Some(&marketer), "/office/campaigns/new", &bad),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("La campagne n’a pas été enregistrée"));
    assert_eq!(
        field_error(&html, "budget").as_deref(),
        Some("Saisissez un montant, par exemple 1 234,50.")
    );
    assert_eq!(
        field_error(&html, "ends_at").as_deref(),
        Some("une campagne permanente n’a pas de date de fin")
    );
    assert_eq!(
        field_error(&html, "banners[0].image").as_deref(),
        Some("ne doit pas être vide")
    );
    // What was typed comes back.
    assert!(html.contains("value=\"12 euros\""));
    assert!(html.contains("value=\"/soldes\""));
    assert!(
        stored(&app, Kind::Campaign, "soldes-d-hiver")
            .await
            .is_none()
    );

    // The amount and the kind fixed, the checks that need the store speak: a slug already used.
    let mut fixed = bad.clone();
    fixed.retain(|(k, _)| !matches!(*k, "budget" | "kind" | "banners[0].image"));
    fixed.extend([
        ("budget", "1 234,50"),
        ("kind", "normal"),
        ("banners[0].image", "/img/soldes.jpg"),
    ]);
    let (status, html) = page(
        app.post_form(Some(&marketer), "/office/campaigns/new", &fixed),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "landing_page.slug").as_deref(),
        Some("déjà utilisée par la campagne « lancement-marvel »")
    );
    assert_eq!(field_error(&html, "budget"), None);
    assert!(
        stored(&app, Kind::Campaign, "soldes-d-hiver")
            .await
            .is_none()
    );

    fixed.retain(|(k, _)| *k != "landing_page.slug");
    fixed.push(("landing_page.slug", "soldes-hiver"));
    let location = redirect(app.post_form(Some(&marketer), "/office/campaigns/new", &fixed)).await;
    assert_eq!(location, "/office/campaigns/soldes-d-hiver?done=saved");
    let record = stored(&app, Kind::Campaign, "soldes-d-hiver")
        .await
        .unwrap();
    assert_eq!(record.body["budget"], json!("1234.50"));
    assert_eq!(record.body["starts_at"], json!("2027-01-07T08:00:00"));
    assert_eq!(record.body["status"], json!("draft"));
    assert_eq!(
        record.body["banners"],
        json!([{"placement": "home_top", "image": "/img/soldes.jpg", "link": "/soldes", "alt": null}])
    );
    assert_eq!(record.body["landing_page"]["slug"], json!("soldes-hiver"));

    let (status, html) = page(app.get(Some(&marketer), &location), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The campaign was saved."));
    assert!(html.contains("€1,234.50"), "the budget in English");
    let (_, html) = page(app.get(Some(&marketer), &location), "fr").await;
    assert!(
        html.contains("1\u{202f}234,50\u{a0}€"),
        "the budget in French"
    );
    assert!(html.contains("7 janv. 2027 08:00 → 3 févr. 2027 20:00"));
}

#[tokio::test]
async fn english_errors_and_amounts() {
    let app = spawn().await;
    let admin = app.visitor(Role::Administrator).await;
    let form = fields(&[
        ("name", "Summer"),
        ("starts_at", "2027-07-01T00:00"),
        ("ends_at", "2027-06-01T00:00"),
        ("budget", "2,500.75"),
        ("landing_page.title", "Summer"),
        ("landing_page.slug", "Summer Sale"),
        ("landing_page.selection", "no-such-selection"),
    ]);
    let (status, html) = page(
        app.post_form(Some(&admin), "/office/campaigns/new", &form),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("The campaign was not saved."));
    assert_eq!(
        field_error(&html, "landing_page.slug").as_deref(),
        Some("1 to 100 characters among a-z, 0-9 and &#39;-&#39;")
    );
    let (status, html) = page(
        app.post_form(
            Some(&admin),
            "/office/campaigns/new",
            &[
                ("name", "Summer"),
                ("starts_at", "2027-07-01T00:00"),
                ("ends_at", "2027-06-01T00:00"),
                ("budget", "2,500.75"),
                ("landing_page.title", "Summer"),
                ("landing_page.slug", "summer"),
                ("landing_page.selection", "no-such-selection"),
            ],
        ),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "ends_at").as_deref(),
        Some("must be after starts_at")
    );
    assert_eq!(
        field_error(&html, "landing_page.selection").as_deref(),
        Some("unknown selection `no-such-selection`")
    );
    assert!(html.contains("value=\"2,500.75\""));
    assert!(stored(&app, Kind::Campaign, "summer").await.is_none());
}

#[tokio::test]
async fn banners_are_added_and_removed_without_javascript() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    // "Add a banner" gives the form back with one more empty row, and saves nothing.
    let (status, html) = page(
        app.post_form(
            Some(&marketer),
            "/office/campaigns/lancement-marvel/edit",
            &[
                ("name", "Lancement"),
                ("banners[0].placement", "home_top"),
                ("banners[0].image", "/a.jpg"),
                ("action", "add-banner"),
            ],
        ),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Banner 3") && !html.contains("Banner 4"));
    assert_eq!(
        stored(&app, Kind::Campaign, "lancement-marvel")
            .await
            .unwrap()
            .version,
        1
    );

    let (_, form) = page(
        app.get(Some(&marketer), "/office/campaigns/lancement-marvel/edit"),
        "fr",
    )
    .await;
    let version = hidden_field(&form, "version").unwrap();
    assert!(form.contains("value=\"/images/marvel-hero.jpg\""));
    // The demo's banner removed, another one added, in one save.
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/lancement-marvel/edit",
        &[
            ("version", &version),
            ("name", "Lancement de la gamme Marvel"),
            ("kind", "normal"),
            ("status", "active"),
            ("starts_at", "2026-11-20T00:00"),
            ("ends_at", "2027-01-05T00:00"),
            ("season", "Noël 2026"),
            ("labels", "nouveauté, exclu web"),
            ("banners[0].placement", "home_top"),
            ("banners[0].image", "/images/marvel-hero.jpg"),
            ("banners[0].remove", "on"),
            ("banners[1].placement", "category_header"),
            ("banners[1].image", "/images/marvel-strip.jpg"),
            ("landing_page.slug", "univers-spider-man"),
            ("landing_page.title", "L'univers Spider-Man"),
            ("landing_page.selection", "spiderman"),
            ("action", "save"),
        ],
    ))
    .await;
    assert_eq!(location, "/office/campaigns/lancement-marvel?done=saved");
    let record = stored(&app, Kind::Campaign, "lancement-marvel")
        .await
        .unwrap();
    assert_eq!(
        record.body["banners"],
        json!([{"placement": "category_header", "image": "/images/marvel-strip.jpg", "link": null, "alt": null}])
    );
    assert_eq!(record.body["labels"], json!(["nouveauté", "exclu web"]));

    // The same version again: someone (this form) changed it since.
    let (status, html) = page(
        app.post_form(
            Some(&marketer),
            "/office/campaigns/lancement-marvel/edit",
            &[
                ("version", &version),
                ("name", "Autre nom"),
                ("status", "active"),
            ],
        ),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Quelqu’un a modifié cette campagne"));
    assert_eq!(
        stored(&app, Kind::Campaign, "lancement-marvel")
            .await
            .unwrap()
            .body["name"],
        json!("Lancement de la gamme Marvel")
    );
}

#[tokio::test]
async fn statuses_follow_the_life_cycle() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let (_, form) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026/edit"),
        "fr",
    )
    .await;
    // Active: it may be paused or ended, not go back to draft.
    assert!(form.contains("<option value=\"paused\""));
    assert!(form.contains("<option value=\"ended\""));
    assert!(!form.contains("<option value=\"draft\""));
    let version = hidden_field(&form, "version").unwrap();
    let (status, html) = page(
        app.post_form(
            Some(&marketer),
            "/office/campaigns/black-friday-2026/edit",
            &[
                ("version", &version),
                ("name", "Black Friday 2026"),
                ("status", "draft"),
            ],
        ),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "status").as_deref(),
        Some("the campaign is active: it can become paused or ended, not draft")
    );
}

#[tokio::test]
async fn a_campaign_is_duplicated_as_a_draft_with_its_promotions() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/lancement-marvel/duplicate",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/lancement-marvel-copy?done=duplicated"
    );
    let copy = stored(&app, Kind::Campaign, "lancement-marvel-copy")
        .await
        .unwrap();
    assert_eq!(copy.body["status"], json!("draft"));
    assert_eq!(
        copy.body["name"],
        json!("Copie de Lancement de la gamme Marvel")
    );
    assert_eq!(
        copy.body["landing_page"]["slug"],
        json!("univers-spider-man-copy")
    );
    let promotions = |campaign: &str| {
        let query = remise_store::ListQuery {
            parent: Some(campaign.to_owned()),
            limit: 100,
            ..Default::default()
        };
        let store = app.store.clone();
        async move { store.list(Kind::Promotion, &query).await.unwrap() }
    };
    let originals = promotions("lancement-marvel").await;
    let copies = promotions("lancement-marvel-copy").await;
    assert!(!originals.is_empty());
    assert_eq!(copies.len(), originals.len());
    for original in &originals {
        let copy = copies
            .iter()
            .find(|c| c.id == format!("{}-copy", original.id))
            .unwrap_or_else(|| panic!("no copy of {}", original.id));
        assert_eq!(copy.body["offer"], original.body["offer"]);
        assert_eq!(copy.body["campaign"], json!("lancement-marvel-copy"));
    }
    // A second copy takes the next ids.
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/lancement-marvel/duplicate",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/lancement-marvel-copy-2?done=duplicated"
    );
    let (status, html) = page(app.get(Some(&marketer), &location), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Copy of Lancement") || html.contains("Copie de Lancement"));
    assert!(html.contains("This is the copy, as a draft"));
    // A draft's promotions are not served.
    let served = prices(&app, "LEGO-AVENGERS", "2026-12-02T10:00:00+01:00").await;
    assert!(served.contains("lego-prix-choc"), "{served}");
    assert!(!served.contains("-copy"), "{served}");
}

/// `POST /v1/prices` for one product on the web, as text.
pub async fn prices(app: &OfficeApp, sku: &str, at: &str) -> String {
    let response = api(app, reqwest::Method::POST, "/v1/prices")
        .json(&json!({"skus": [sku], "at": at, "channel": "web"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_campaign_is_deleted_then_restored() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026"),
        "fr",
    )
    .await;
    let version = hidden_field(&html, "version").unwrap();
    // A stale version changes nothing.
    let (status, html) = page(
        app.post_form(
            Some(&marketer),
            "/office/campaigns/black-friday-2026/delete",
            &[("version", "99")],
        ),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Quelqu’un a modifié cette campagne"));
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/delete",
        &[("version", &version)],
    ))
    .await;
    assert_eq!(location, "/office/campaigns/black-friday-2026?done=deleted");
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert!(record.deleted_at.is_some());
    // Gone from the live list, in the deleted one.
    let (_, html) = page(app.get(Some(&marketer), "/office/campaigns"), "fr").await;
    assert!(!html.contains("Black Friday 2026"));
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns?status=deleted"),
        "en",
    )
    .await;
    assert!(html.contains("Black Friday 2026"));
    let (_, html) = page(app.get(Some(&marketer), &location), "en").await;
    assert!(html.contains("This campaign was deleted on"));
    assert!(html.contains("/office/campaigns/black-friday-2026/restore"));
    assert!(!html.contains("/office/campaigns/black-friday-2026/edit"));

    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/restore",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/black-friday-2026?done=restored"
    );
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert!(record.deleted_at.is_none());
    // Restoring what is not deleted: nothing to restore.
    let response = app
        .post_form(
            Some(&marketer),
            "/office/campaigns/black-friday-2026/restore",
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn viewers_and_approvers_change_nothing() {
    let app = spawn().await;
    for role in [Role::Viewer, Role::Approver] {
        let visitor = app.visitor(role).await;
        let (status, html) = page(
            app.get(Some(&visitor), "/office/campaigns/black-friday-2026"),
            "fr",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Black Friday 2026"));
        for control in ["/edit\"", "/duplicate\"", "/delete\"", "Nouvelle promotion"] {
            assert!(!html.contains(control), "{role:?} sees {control}");
        }
        let forged = [
            ("/office/campaigns/new", vec![("name", "Pirate")]),
            (
                "/office/campaigns/black-friday-2026/delete",
                vec![("version", "1")],
            ),
            ("/office/campaigns/black-friday-2026/duplicate", vec![]),
        ];
        for (path, form) in forged {
            let response = app
                .post_form(Some(&visitor), path, &form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?} {path}");
        }
    }
    assert!(stored(&app, Kind::Campaign, "pirate").await.is_none());
    assert!(
        stored(&app, Kind::Campaign, "black-friday-2026-copy")
            .await
            .is_none()
    );
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!((record.version, record.deleted_at), (1, None));
}

#[tokio::test]
async fn the_calendar_shows_the_months_ahead() {
    let app = spawn().await;
    let response = api(&app, reqwest::Method::POST, "/v1/campaigns")
        .json(&json!({"id": "ete-2027", "name": "Été 2027", "starts_at": "2027-06-20T00:00:00", "ends_at": "2027-07-20T00:00:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let viewer = app.visitor(Role::Viewer).await;
    let (status, html) = page(
        app.get(
            Some(&viewer),
            "/office/campaigns/calendar?from=2026-11&months=3",
        ),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Calendrier des campagnes",
        "nov. 2026",
        "déc. 2026",
        "janv. 2027",
        "Black Friday 2026",
        "Lancement de la gamme Marvel",
        // Permanent campaigns run through every window.
        "Avantages permanents",
        "27 nov. 2026 00:00 → 1 déc. 2026 00:00",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains("Été 2027"));
    // Black Friday: 26 of 92 days in, 4 days long.
    assert!(html.contains("left:28.2%;width:4.4%"), "{html}");
    // Rows in the order they start; the timeline repeats the dates for the eye only.
    assert!(html.find("Noël omnicanal").unwrap() < html.find("Black Friday 2026").unwrap());
    assert!(html.contains("class=\"track\" aria-hidden=\"true\""));

    let (_, html) = page(
        app.get(
            Some(&viewer),
            "/office/campaigns/calendar?from=2027-05&months=3",
        ),
        "en",
    )
    .await;
    assert!(html.contains("Campaign calendar") && html.contains("Jun 2027"));
    assert!(html.contains("Été 2027"));
    assert!(!html.contains("Black Friday 2026"));
}

#[tokio::test]
async fn the_landing_page_preview_prices_as_the_api_does() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let at = "2026-12-02T10:00";
    let (status, html) = page(
        app.get(
            Some(&viewer),
            &format!("/office/campaigns/lancement-marvel/landing?at={at}&channel=web"),
        ),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("L&#39;univers Spider-Man"));
    assert!(!html.contains("n’est pas active"));
    let served: Value = api(
        &app,
        reqwest::Method::GET,
        "/v1/landing/univers-spider-man?at=2026-12-02T10:00:00%2B01:00&channel=web",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let products = served["products"].as_array().unwrap();
    assert_eq!(products.len(), 3);
    for product in products {
        let price = product["price"]["price"]
            .as_str()
            .unwrap()
            .replace('.', ",");
        assert!(html.contains(&format!("{price}\u{a0}€")), "{price}");
        assert!(html.contains(product["name"].as_str().unwrap()));
    }
    // The Marvel launch's 20 % on the figurine: 24,99 € → 19,99 €.
    assert!(html.contains("<del>24,99\u{a0}€</del>") && html.contains("19,99\u{a0}€"));

    // A draft copy is previewed as if active.
    redirect(app.post_form(
        Some(&app.visitor(Role::Marketer).await),
        "/office/campaigns/lancement-marvel/duplicate",
        &[],
    ))
    .await;
    let (status, html) = page(
        app.get(
            Some(&viewer),
            &format!("/office/campaigns/lancement-marvel-copy/landing?at={at}&channel=web"),
        ),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This campaign is not active"));
    // Its 20 % on top of the original campaign's: 24.99 → 19.99 → 15.99.
    assert!(html.contains("€15.99"), "{html}");
    // A campaign without a landing page says so; an unknown one is not found.
    let (_, html) = page(
        app.get(Some(&viewer), "/office/campaigns/black-friday-2026/landing"),
        "en",
    )
    .await;
    assert!(html.contains("No landing page."));
    let response = app
        .get(Some(&viewer), "/office/campaigns/no-such/landing")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Used by other test modules.
#[allow(dead_code)]
pub fn visitor_csrf(visitor: &Visitor) -> &str {
    &visitor.csrf
}
