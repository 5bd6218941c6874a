//! The audit log: filters by entity, actor and dates, pages, and each change's difference.

use remise_server::demo::MANAGEMENT_KEY;
use remise_store::{Actor, AuditQuery, Draft, Kind, Role};
use reqwest::StatusCode;
use serde_json::json;

use crate::simulator::page;
use crate::support::spawn;

/// The entries a page lists (one row header each).
fn rows(html: &str) -> usize {
    html.matches("<th scope=\"row\">").count()
}

#[tokio::test]
async fn the_log_renders_in_both_languages_and_filters_by_entity() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, fr) = page(&app, &viewer, "/office/audit", "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("Journal des modifications"));
    assert!(
        fr.contains("les données de démonstration"),
        "the demo's writes"
    );
    assert!(fr.contains("création"));
    let (status, en) = page(&app, &viewer, "/office/audit", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("Audit log") && en.contains("the demo data") && en.contains("created"));

    let (status, campaigns) = page(&app, &viewer, "/office/audit?entity=campaign", "fr").await;
    assert_eq!(status, StatusCode::OK);
    let stored = app
        .store
        .audit(&AuditQuery {
            entity: Some("campaign".to_owned()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(!stored.is_empty());
    assert_eq!(rows(&campaigns), stored.len());
    assert_eq!(
        campaigns.matches("<th scope=\"row\">Campagne ").count(),
        stored.len()
    );
    assert!(!campaigns.contains("<th scope=\"row\">Produit "));
    assert!(campaigns.contains("<option value=\"campaign\" selected>Campagne</option>"));

    let (status, unknown) = page(&app, &viewer, "/office/audit?entity=nothing", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let at = unknown.find("id=\"e-entity\"").unwrap();
    assert!(unknown[at..].contains("Unknown kind of item: &#34;nothing&#34;."));
}

#[tokio::test]
async fn an_update_shows_what_changed_field_by_field() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let read = app
        .client
        .get(app.url("/v1/promotions/marvel-20"))
        .bearer_auth(MANAGEMENT_KEY)
        .send()
        .await
        .unwrap();
    let version = read.headers()["etag"].to_str().unwrap().to_owned();
    let response = app
        .client
        .patch(app.url("/v1/promotions/marvel-20"))
        .bearer_auth(MANAGEMENT_KEY)
        .header("if-match", version)
        .header("content-type", "application/merge-patch+json")
        .json(
            &json!({ "name": "Marvel : -25 %", "offer": { "type": "percent_off", "percent": 25 } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let path = "/office/audit?entity=promotion&entity_id=marvel-20";
    let (status, fr) = page(&app, &viewer, path, "fr").await;
    assert_eq!(status, StatusCode::OK);
    // The update, then the demo's creation.
    assert_eq!(rows(&fr), 2, "{fr}");
    let action = fr.find("modification</td>").unwrap();
    let update = &fr[fr[..action].rfind("<tr>").unwrap()..];
    let update = &update[..update.find("</tr>").unwrap()];
    assert!(
        update.contains("clé d&#39;API « demo management »"),
        "{update}"
    );
    for change in [
        "<code>name</code> <del><span class=\"visually-hidden\">avant : </span>Lancement Marvel : -20 % sur le segment Marvel</del> → <ins><span class=\"visually-hidden\">après : </span>Marvel : -25 %</ins>",
        "<code>offer.percent</code> <del><span class=\"visually-hidden\">avant : </span>20</del> → <ins><span class=\"visually-hidden\">après : </span>25</ins>",
    ] {
        assert!(update.contains(change), "{change}\n{update}");
    }
    // Fields that did not change are not listed.
    assert!(!update.contains("<code>priority</code>"));
    let (_, en) = page(&app, &viewer, path, "en").await;
    assert!(en.contains("API key &#34;demo management&#34;"));
    assert!(en.contains("<span class=\"visually-hidden\">before: </span>20</del>"));
    assert!(en.contains("updated"));
}

#[tokio::test]
async fn the_log_filters_by_who_and_when_and_pages() {
    let app = spawn().await;
    let viewer = app.visitor(Role::Viewer).await;
    let marketer = app.user(Role::Marketer).await;
    let actor = Actor(format!("user:{}", marketer.email));
    app.store
        .create(
            &actor,
            Kind::Segment,
            Draft {
                id: "jeux-de-societe".to_owned(),
                body: json!({ "id": "jeux-de-societe", "name": "Jeux de société" }),
                parent: None,
                status: None,
            },
        )
        .await
        .unwrap();
    let by_marketer = format!(
        "/office/audit?{}",
        serde_urlencoded::to_string([("actor", actor.0.as_str())]).unwrap()
    );
    let (status, mine) = page(&app, &viewer, &by_marketer, "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&mine), 1, "{mine}");
    assert!(mine.contains("Marc Marketeur"));
    assert!(mine.contains("<span class=\"badge ok\">ajouté</span> <ins>Jeux de société</ins>"));

    // Today holds every entry; tomorrow and yesterday none.
    let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let day = |d: jiff::civil::Date| d.to_string();
    let tomorrow = today.tomorrow().unwrap();
    let yesterday = today.yesterday().unwrap();
    let (_, later) = page(
        &app,
        &viewer,
        &format!("/office/audit?from={}", day(tomorrow)),
        "fr",
    )
    .await;
    assert_eq!(rows(&later), 0);
    assert!(later.contains("Aucune modification ne correspond"));
    let (_, earlier) = page(
        &app,
        &viewer,
        &format!("/office/audit?to={}", day(yesterday)),
        "fr",
    )
    .await;
    assert_eq!(rows(&earlier), 0);
    let (_, mine_today) = page(
        &app,
        &viewer,
        &format!("{by_marketer}&from={0}&to={0}", day(today)),
        "fr",
    )
    .await;
    assert_eq!(rows(&mine_today), 1);
    let (status, bad) = page(&app, &viewer, "/office/audit?from=31%2F12%2F2026", "fr").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let at = bad.find("id=\"e-from\"").unwrap();
    assert!(bad[at..].contains("n&#39;est pas une date"));

    // Fifty a page, the next page from the last one shown.
    let all = app
        .store
        .audit(&AuditQuery {
            limit: 10_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(all.len() > 50, "{} entries", all.len());
    let (_, first) = page(&app, &viewer, "/office/audit", "en").await;
    assert_eq!(rows(&first), 50);
    let older = format!("/office/audit?before={}", all[49].seq);
    assert!(first.contains(&format!("href=\"{older}\"")), "{first}");
    let (_, second) = page(&app, &viewer, &older, "en").await;
    assert_eq!(rows(&second), (all.len() - 50).min(50));
    assert!(second.contains("href=\"/office/audit\">Newest</a>"));
}
