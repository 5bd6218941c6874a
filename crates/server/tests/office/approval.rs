//! Approval over HTTP: with `approval_required`, a marketer's changes to a live campaign wait
//! in its change request while the approved version keeps being served; submitted, they are
//! approved (then served) or rejected with a comment (never served) by an approver who did not
//! take part; a draft campaign submitted and approved becomes active.

use remise_store::{Kind, RequestState, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::campaigns::{api, field_error, page, prices, redirect, stored};
use crate::support::{OfficeApp, Visitor, hidden_field, spawn};

/// Black Friday's 30 % on Hasbro, served on the 28th of November.
const DURING_BLACK_FRIDAY: &str = "2026-11-28T10:00:00+01:00";

async fn require_approval(app: &OfficeApp) {
    let settings = api(app, Method::GET, "/v1/settings").send().await.unwrap();
    let etag = settings.headers()["etag"].to_str().unwrap().to_owned();
    let response = api(app, Method::PATCH, "/v1/settings")
        .header("if-match", etag)
        .json(&json!({"approval_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
}

/// Posts the edit form of Black Friday with its stored fields and `status`.
async fn edit_black_friday(
    app: &OfficeApp,
    visitor: &Visitor,
    name: &str,
    status: &str,
) -> reqwest::Response {
    let (_, form) = page(
        app.get(Some(visitor), "/office/campaigns/black-friday-2026/edit"),
        "fr",
    )
    .await;
    let version = hidden_field(&form, "version").unwrap();
    app.post_form(
        Some(visitor),
        "/office/campaigns/black-friday-2026/edit",
        &[
            ("version", &version),
            ("name", name),
            ("kind", "normal"),
            ("status", status),
            ("starts_at", "2026-11-27T00:00"),
            ("ends_at", "2026-12-01T00:00"),
            ("season", "Noël 2026"),
            ("labels", "Black Friday"),
        ],
    )
    .send()
    .await
    .unwrap()
}

async fn request_of(app: &OfficeApp, campaign: &str) -> remise_store::ChangeRequest {
    app.store
        .current_change_request(campaign)
        .await
        .unwrap()
        .expect("a request under way")
}

async fn black_friday_served(app: &OfficeApp) -> bool {
    prices(app, "GAME-MONOPOLY-MARVEL", DURING_BLACK_FRIDAY)
        .await
        .contains("black-friday-hasbro")
}

#[tokio::test]
async fn a_change_to_a_live_campaign_waits_and_is_served_once_approved() {
    let app = spawn().await;
    require_approval(&app).await;
    let marketer = app.visitor(Role::Marketer).await;
    assert!(black_friday_served(&app).await);

    let response = edit_black_friday(&app, &marketer, "Black Friday 2026", "paused").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/office/campaigns/black-friday-2026?done=proposed"
    );
    // Not written, still served.
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!(
        (record.version, record.body["status"].clone()),
        (1, json!("active"))
    );
    assert!(black_friday_served(&app).await);
    let request = request_of(&app, "black-friday-2026").await;
    assert_eq!(request.state, RequestState::Open);
    // The form shows what the request proposes; the page, what is served and the request.
    let (_, form) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026/edit"),
        "fr",
    )
    .await;
    assert!(
        form.contains("<option value=\"paused\" selected>"),
        "{form}"
    );
    let (_, html) = page(
        app.get(
            Some(&marketer),
            "/office/campaigns/black-friday-2026?done=proposed",
        ),
        "fr",
    )
    .await;
    assert!(html.contains("Votre modification a été ajoutée à la demande"));
    assert!(html.contains("modifications en cours"));
    assert!(html.contains("Soumettre à validation"));

    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/black-friday-2026?done=submitted"
    );
    assert_eq!(
        request_of(&app, "black-friday-2026").await.state,
        RequestState::Pending
    );
    // Waiting: no more changes, and still the approved version served.
    let response = edit_black_friday(&app, &marketer, "Autre nom", "paused").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("attendent une validation"), "{html}");
    assert!(black_friday_served(&app).await);
    // A marketer does not approve.
    let forged = app
        .post_form(
            Some(&marketer),
            &format!("/office/approvals/{}/approve", request.id),
            &[],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let approver = app.visitor(Role::Approver).await;
    let (status, list) = page(app.get(Some(&approver), "/office/approvals"), "fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Black Friday 2026") && list.contains("en attente de validation"));
    assert!(list.contains("Soumise par Marc Marketeur"));
    let detail_path = format!("/office/approvals/{}", request.id);
    let (status, detail) = page(app.get(Some(&approver), &detail_path), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("Changes to “Black Friday 2026”"));
    assert!(
        detail.contains(
            "<th scope=\"row\">Status</th>\n        <td class=\"before\">Active</td>\n        <td class=\"after\">Paused</td>"
        ),
        "{detail}"
    );
    assert!(detail.contains("Approve and publish") && detail.contains("Reject"));

    let location = redirect(app.post_form(
        Some(&approver),
        &format!("{detail_path}/approve"),
        &[("comment", "OK pour la pause")],
    ))
    .await;
    assert_eq!(location, format!("{detail_path}?done=approved"));
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!(
        (record.version, record.body["status"].clone()),
        (2, json!("paused"))
    );
    assert!(!black_friday_served(&app).await, "the pause is served");
    let decided = app
        .store
        .get_change_request(&request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.state, RequestState::Approved);
    assert_eq!(decided.comment.as_deref(), Some("OK pour la pause"));
    // The audit names the approver as the one who wrote it.
    let audit: Value = api(
        &app,
        Method::GET,
        "/v1/audit?entity=campaign&entity_id=black-friday-2026",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        audit.to_string().contains("approver@demo.remise.test"),
        "{audit}"
    );
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026"),
        "fr",
    )
    .await;
    assert!(html.contains("Validée par Valérie Valideuse"));
}

#[tokio::test]
async fn whoever_took_part_does_not_decide() {
    let app = spawn().await;
    require_approval(&app).await;
    let admin = app.visitor(Role::Administrator).await;
    let response = edit_black_friday(&app, &admin, "Black Friday 2026 (prolongé)", "active").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    redirect(app.post_form(
        Some(&admin),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "black-friday-2026").await;
    let path = format!("/office/approvals/{}", request.id);
    let (_, html) = page(app.get(Some(&admin), &path), "fr").await;
    assert!(html.contains("Vous avez participé à cette demande"));
    assert!(!html.contains("Valider et publier"));
    for decision in ["approve", "reject"] {
        let (status, html) = page(
            app.post_form(
                Some(&admin),
                &format!("{path}/{decision}"),
                &[("comment", "moi")],
            ),
            "fr",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{decision}");
        assert!(html.contains("un autre valideur doit se prononcer"));
    }
    assert_eq!(
        request_of(&app, "black-friday-2026").await.state,
        RequestState::Pending
    );
    // Someone else can.
    let approver = app.visitor(Role::Approver).await;
    redirect(app.post_form(Some(&approver), &format!("{path}/approve"), &[])).await;
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!(record.body["name"], json!("Black Friday 2026 (prolongé)"));
}

#[tokio::test]
async fn a_rejected_change_is_never_served() {
    let app = spawn().await;
    require_approval(&app).await;
    let marketer = app.visitor(Role::Marketer).await;
    edit_black_friday(&app, &marketer, "Black Friday 2026", "ended").await;
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "black-friday-2026").await;
    let path = format!("/office/approvals/{}", request.id);
    let approver = app.visitor(Role::Approver).await;
    // A rejection says why.
    let (status, html) = page(
        app.post_form(
            Some(&approver),
            &format!("{path}/reject"),
            &[("comment", "  ")],
        ),
        "fr",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&html, "reject-comment").as_deref(),
        Some("Indiquez le motif du refus : le marketeur le lira.")
    );
    assert_eq!(
        request_of(&app, "black-friday-2026").await.state,
        RequestState::Pending
    );
    let location = redirect(app.post_form(
        Some(&approver),
        &format!("{path}/reject"),
        &[("comment", "Trop tôt pour arrêter Black Friday")],
    ))
    .await;
    assert_eq!(location, format!("{path}?done=rejected"));
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!(
        (record.version, record.body["status"].clone()),
        (1, json!("active"))
    );
    assert!(black_friday_served(&app).await);
    // The marketer reads the comment on the campaign's page, and may change it again.
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026"),
        "en",
    )
    .await;
    assert!(html.contains("Rejected by Valérie Valideuse"));
    assert!(html.contains("Trop tôt pour arrêter Black Friday"));
    let response = edit_black_friday(&app, &marketer, "Black Friday 2026", "paused").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A decided request is decided once.
    let (status, html) = page(
        app.post_form(Some(&approver), &format!("{path}/approve"), &[]),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The request is rejected: it can no longer be decided."));
}

#[tokio::test]
async fn a_draft_campaign_submitted_and_approved_goes_live_with_its_promotions() {
    let app = spawn().await;
    require_approval(&app).await;
    let marketer = app.visitor(Role::Marketer).await;
    // A draft never approved is not served: written at once.
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/new",
        &[
            ("name", "Noël des jeux"),
            ("starts_at", "2026-12-01T00:00"),
            ("ends_at", "2026-12-25T00:00"),
            ("channels", "web"),
        ],
    ))
    .await;
    assert_eq!(location, "/office/campaigns/noel-des-jeux?done=saved");
    let response = api(&app, Method::POST, "/v1/promotions")
        .json(&json!({
            "id": "uno-moitie-prix", "name": "UNO à moitié prix", "campaign": "noel-des-jeux",
            "targets": {"skus": ["GAME-UNO"]}, "offer": {"type": "percent_off", "percent": 50}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let at = "2026-12-10T10:00:00+01:00";
    assert!(
        !prices(&app, "GAME-UNO", at)
            .await
            .contains("uno-moitie-prix")
    );

    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns/noel-des-jeux"),
        "en",
    )
    .await;
    assert!(html.contains("Submit for approval"));
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/noel-des-jeux/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "noel-des-jeux").await;
    assert_eq!(request.state, RequestState::Pending);
    assert_eq!(
        stored(&app, Kind::Campaign, "noel-des-jeux")
            .await
            .unwrap()
            .body["status"],
        json!("draft")
    );
    let approver = app.visitor(Role::Approver).await;
    let path = format!("/office/approvals/{}", request.id);
    let (_, detail) = page(app.get(Some(&approver), &path), "fr").await;
    assert!(
        detail.contains(
            "<th scope=\"row\">Statut <span class=\"badge warn\">modifié</span></th>\n        <td class=\"before\">Brouillon</td>\n        <td class=\"after\">Active</td>"
        ),
        "{detail}"
    );
    // Going live, the whole campaign is shown, its unchanged fields too.
    assert!(detail.contains(
        "<th scope=\"row\">Nom</th>\n        <td>Noël des jeux</td>\n        <td>Noël des jeux</td>"
    ));
    assert!(detail.contains("Promotion « UNO à moitié prix » (uno-moitie-prix)"));
    assert!(detail.contains("mise en ligne avec la campagne"));
    assert!(
        !prices(&app, "GAME-UNO", at)
            .await
            .contains("uno-moitie-prix")
    );

    redirect(app.post_form(Some(&approver), &format!("{path}/approve"), &[])).await;
    assert_eq!(
        stored(&app, Kind::Campaign, "noel-des-jeux")
            .await
            .unwrap()
            .body["status"],
        json!("active")
    );
    assert!(
        prices(&app, "GAME-UNO", at)
            .await
            .contains("uno-moitie-prix")
    );
    // Live now: the next change waits for approval.
    let (_, form) = page(
        app.get(Some(&marketer), "/office/campaigns/noel-des-jeux/edit"),
        "fr",
    )
    .await;
    let version = hidden_field(&form, "version").unwrap();
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/noel-des-jeux/edit",
        &[
            ("version", &version),
            ("name", "Noël des jeux"),
            ("status", "paused"),
            ("channels", "web"),
        ],
    ))
    .await;
    assert!(location.ends_with("done=proposed"), "{location}");
}

#[tokio::test]
async fn withdrawn_changes_are_dropped_and_stale_ones_cannot_be_approved() {
    let app = spawn().await;
    require_approval(&app).await;
    let marketer = app.visitor(Role::Marketer).await;
    edit_black_friday(&app, &marketer, "Black Friday XXL", "active").await;
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/withdraw",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/black-friday-2026?done=withdrawn"
    );
    assert!(
        app.store
            .current_change_request("black-friday-2026")
            .await
            .unwrap()
            .is_none()
    );
    let (_, form) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026/edit"),
        "fr",
    )
    .await;
    assert!(form.contains("value=\"Black Friday 2026\""));

    // Proposed, then the campaign changed through the API: the approval is refused.
    edit_black_friday(&app, &marketer, "Black Friday XXL", "active").await;
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let response = api(&app, Method::PATCH, "/v1/campaigns/black-friday-2026")
        .header("if-match", "\"1\"")
        .json(&json!({"season": "Hiver"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let request = request_of(&app, "black-friday-2026").await;
    let approver = app.visitor(Role::Approver).await;
    let path = format!("/office/approvals/{}", request.id);
    let (_, detail) = page(app.get(Some(&approver), &path), "en").await;
    assert!(detail.contains("the request can no longer be approved"));
    let (status, html) = page(
        app.post_form(Some(&approver), &format!("{path}/approve"), &[]),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("was changed since the request was made from it"),
        "{html}"
    );
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert_eq!(record.body["name"], json!("Black Friday 2026"));
    assert_eq!(
        request_of(&app, "black-friday-2026").await.state,
        RequestState::Pending
    );
}

#[tokio::test]
async fn the_approvals_list_in_both_languages_and_for_viewers() {
    let app = spawn().await;
    require_approval(&app).await;
    let viewer = app.visitor(Role::Viewer).await;
    let (status, html) = page(app.get(Some(&viewer), "/office/approvals"), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<h1>Approvals</h1>") && html.contains("No change request in this state.")
    );
    let marketer = app.visitor(Role::Marketer).await;
    edit_black_friday(&app, &marketer, "Black Friday 2026", "paused").await;
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "black-friday-2026").await;
    let (_, html) = page(app.get(Some(&viewer), "/office/approvals"), "fr").await;
    assert!(html.contains("<h1>Validations</h1>") && html.contains("Black Friday 2026"));
    // A viewer reads the request, without the approver's forms, and cannot decide it.
    let path = format!("/office/approvals/{}", request.id);
    let (_, html) = page(app.get(Some(&viewer), &path), "fr").await;
    assert!(html.contains("Ce qui change") && !html.contains("Valider et publier"));
    let forged = app
        .post_form(Some(&viewer), &format!("{path}/approve"), &[])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // The other states.
    let (_, html) = page(
        app.get(Some(&viewer), "/office/approvals?state=approved"),
        "en",
    )
    .await;
    assert!(html.contains("No change request in this state."));
    let (_, html) = page(app.get(Some(&viewer), "/office/approvals?state=all"), "en").await;
    assert!(html.contains("awaiting approval"));
    let response = app
        .get(Some(&viewer), "/office/approvals/no-such")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_live_campaign_is_deleted_and_restored_through_approval() {
    let app = spawn().await;
    require_approval(&app).await;
    let marketer = app.visitor(Role::Marketer).await;
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/delete",
        &[("version", "1")],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/black-friday-2026?done=proposed"
    );
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert!(record.deleted_at.is_none());
    assert!(black_friday_served(&app).await);
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "black-friday-2026").await;
    let approver = app.visitor(Role::Approver).await;
    let path = format!("/office/approvals/{}", request.id);
    let (_, detail) = page(app.get(Some(&approver), &path), "en").await;
    assert!(
        detail.contains("<span class=\"badge\">deleted</span>"),
        "{detail}"
    );
    redirect(app.post_form(Some(&approver), &format!("{path}/approve"), &[])).await;
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert!(record.deleted_at.is_some());
    assert!(!black_friday_served(&app).await);

    // Its restoration waits too, submitted from the deleted campaign's page.
    let location = redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/restore",
        &[],
    ))
    .await;
    assert_eq!(
        location,
        "/office/campaigns/black-friday-2026?done=proposed"
    );
    let (_, html) = page(
        app.get(Some(&marketer), "/office/campaigns/black-friday-2026"),
        "en",
    )
    .await;
    assert!(html.contains("Submit for approval") && html.contains("This campaign was deleted"));
    redirect(app.post_form(
        Some(&marketer),
        "/office/campaigns/black-friday-2026/submit",
        &[],
    ))
    .await;
    let request = request_of(&app, "black-friday-2026").await;
    let (_, detail) = page(
        app.get(
            Some(&approver),
            &format!("/office/approvals/{}", request.id),
        ),
        "en",
    )
    .await;
    assert!(
        detail.contains("<span class=\"badge\">restored</span>"),
        "{detail}"
    );
    redirect(app.post_form(
        Some(&approver),
        &format!("/office/approvals/{}/approve", request.id),
        &[],
    ))
    .await;
    let record = stored(&app, Kind::Campaign, "black-friday-2026")
        .await
        .unwrap();
    assert!(record.deleted_at.is_none());
    assert!(black_friday_served(&app).await);
}
