//! The segment tree: both languages, create under a parent, rename, star, keywords, move, a
//! cycle refused with the field named, a viewer's forged POST refused.

use remise_store::{Kind, Role};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{OfficeApp, Visitor, spawn};

async fn html(app: &OfficeApp, visitor: &Visitor, path: &str) -> (StatusCode, String) {
    let response = app.get(Some(visitor), path).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn stored(app: &OfficeApp, id: &str) -> Option<Value> {
    app.store
        .get(Kind::Segment, id)
        .await
        .unwrap()
        .map(|r| r.body)
}

async fn version(app: &OfficeApp, id: &str) -> String {
    let record = app.store.get(Kind::Segment, id).await.unwrap().unwrap();
    record.version.to_string()
}

#[tokio::test]
async fn the_tree_shows_the_demo_segments_with_counts_in_both_languages() {
    let app = spawn().await;
    let visitor = app.visitor(Role::Viewer).await;
    let (status, page) = html(&app, &visitor, "/office/segments").await;
    assert_eq!(status, StatusCode::OK);
    // Marvel (4 figurines and a mask in the demo) sits under Superhéros, which counts it.
    assert!(page.contains("Arborescence"), "{page}");
    assert!(page.contains("Superhéros") && page.contains("Marvel"));
    assert!(page.contains("segment star"));
    assert!(page.contains("mots clés : Avengers, Spider-Man"));
    let marvel_at = page.find(">Marvel<").unwrap();
    let heroes_at = page.find(">Superhéros<").unwrap();
    assert!(heroes_at < marvel_at);
    // Nested lists: Marvel's <li> is inside a <ul> opened in Superhéros' <li>.
    let between = &page[heroes_at..marvel_at];
    assert!(between.contains("<ul>"), "{between}");
    // A viewer sees no form.
    assert!(!page.contains("Créer le segment"));
    let english = app.visitor(Role::Marketer).await;
    app.post_form(
        Some(&english),
        "/office/account/language",
        &[("language", "en")],
    )
    .send()
    .await
    .unwrap();
    let (_, page) = html(&app, &english, "/office/segments").await;
    assert!(page.contains("Tree") && page.contains("star segment"));
    assert!(page.contains("Create the segment"));
    let (status, page) = html(&app, &english, "/office/segments/marvel").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Move the segment") && page.contains("Superhéros"));
    let (status, _) = html(&app, &english, "/office/segments/no-such").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_marketer_creates_renames_stars_and_moves_a_segment() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let created = app
        .post_form(
            Some(&marketer),
            "/office/segments",
            &[
                ("name", "Avengers"),
                ("parent", "marvel"),
                ("keywords", "Iron Man, Hulk, Iron Man"),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/office/segments/avengers?done=created"
    );
    let body = stored(&app, "avengers").await.unwrap();
    assert_eq!(body["parent"], "marvel");
    assert_eq!(body["keywords"], serde_json::json!(["Iron Man", "Hulk"]));
    assert_eq!(body["star"], false);

    let saved = app
        .post_form(
            Some(&marketer),
            "/office/segments/avengers",
            &[
                ("name", "Avengers Assemble"),
                ("star", "on"),
                ("keywords", "Thor"),
                ("version", &version(&app, "avengers").await),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let body = stored(&app, "avengers").await.unwrap();
    assert_eq!(body["name"], "Avengers Assemble");
    assert_eq!(body["star"], true);
    assert_eq!(body["keywords"], serde_json::json!(["Thor"]));

    let moved = app
        .post_form(
            Some(&marketer),
            "/office/segments/avengers/move",
            &[
                ("parent", "dc"),
                ("version", &version(&app, "avengers").await),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, "avengers").await.unwrap()["parent"], "dc");
    let (_, page) = html(&app, &marketer, "/office/segments/avengers?done=moved").await;
    assert!(page.contains("Le segment a été déplacé."));
    assert!(page.contains(">DC Comics</a>"), "the breadcrumb: {page}");

    // To the root.
    let moved = app
        .post_form(
            Some(&marketer),
            "/office/segments/avengers/move",
            &[
                ("parent", ""),
                ("version", &version(&app, "avengers").await),
            ],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&app, "avengers").await.unwrap()["parent"],
        Value::Null
    );
}

#[tokio::test]
async fn field_errors_are_shown_next_to_their_field_and_nothing_is_stored() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let before = crate::support::count(app.store.as_ref(), Kind::Segment).await;
    let refused = app
        .post_form(
            Some(&marketer),
            "/office/segments",
            &[("name", ""), ("parent", "nowhere")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"id="e-name""#) && page.contains("Indiquez un nom."));
    assert!(page.contains(r#"id="e-parent""#) && page.contains("Ce segment parent n"));
    // A taken id, and a keyword the API refuses (too long), located on the keywords field.
    let long = "x".repeat(101);
    let refused = app
        .post_form(
            Some(&marketer),
            "/office/segments",
            &[("name", "Marvel"), ("id", "marvel")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("est déjà pris"));
    let refused = app
        .post_form(
            Some(&marketer),
            "/office/segments",
            &[("name", "Long"), ("keywords", &long)],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains(r#"id="e-keywords""#), "{page}");
    assert!(page.contains("100 caractères au plus"));
    let after = crate::support::count(app.store.as_ref(), Kind::Segment).await;
    assert_eq!(before, after);
    // A stale version is refused as a whole.
    let stale = app
        .post_form(
            Some(&marketer),
            "/office/segments/marvel",
            &[("name", "Marvel Studios"), ("version", "999")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&app, "marvel").await.unwrap()["name"], "Marvel");
}

#[tokio::test]
async fn a_segment_cannot_move_under_itself_or_a_descendant() {
    let app = spawn().await;
    let marketer = app.visitor(Role::Marketer).await;
    let version = version(&app, "superheros").await;
    for (parent, message) in [
        ("marvel", "se trouve déjà à l"),
        ("superheros", "ne peut pas être son propre parent"),
    ] {
        let refused = app
            .post_form(
                Some(&marketer),
                "/office/segments/superheros/move",
                &[("parent", parent), ("version", &version)],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{parent}"
        );
        let page = refused.text().await.unwrap();
        assert!(page.contains(r#"id="e-parent""#), "{page}");
        assert!(page.contains(message), "{message}: {page}");
    }
    assert_eq!(
        stored(&app, "superheros").await.unwrap()["parent"],
        Value::Null
    );
    // The choices offered leave out the segment and what is under it.
    let (_, page) = html(&app, &marketer, "/office/segments/superheros").await;
    let select = &page[page.find(r#"<select id="f-parent""#).unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(!select.contains(r#"value="marvel""#) && !select.contains(r#"value="superheros""#));
    assert!(select.contains(r#"value="jeux""#));
}

#[tokio::test]
async fn a_viewer_cannot_change_segments_even_with_a_forged_form() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    for (path, fields) in [
        ("/office/segments", vec![("name", "Forged")]),
        (
            "/office/segments/marvel",
            vec![("name", "Forged"), ("version", "1")],
        ),
        (
            "/office/segments/marvel/move",
            vec![("parent", "jeux"), ("version", "1")],
        ),
    ] {
        let response = app
            .post_form(Some(&viewer), path, &fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(stored(&app, "forged").await.is_none());
    assert_eq!(
        stored(&app, "marvel").await.unwrap()["parent"],
        "superheros"
    );
}
