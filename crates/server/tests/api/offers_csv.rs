//! Offers in CSV (seed 004), beside the demo store's offers and customer groups: `POST /v1/import/offers`, `POST /v1/import/offer-discounts`,
//! `GET /v1/exports/offers`, `GET /v1/exports/offer-discounts`. The scenarios taking a `&TestApp`
//! also run on PostgreSQL.

use reqwest::Method;
use reqwest::header;
use serde_json::{Value, json};

use crate::rules_import::revision;
use crate::support::{MANAGEMENT, Reply, STOREFRONT, TestApp, spawn_app};

/// The header of seed 004's offers file.
pub const OFFERS_HEADER: &str = "Code;Type;Libelle type;Intitulé;Type de périmètre;Code périmètre;Libellé périmètre;Date début;Date fin;Afficher l'offre sur la boutique virtuelle";

/// The header of the commitments and discounts file.
pub const DISCOUNTS_HEADER: &str = "Code offre;Numéro engagement;Début engagement;Fin engagement;Code remise;Référence produit;Code secteur;Prix;Pourcentage;Quantité minimum;Paliers";

/// Offers written as the seed describes them: one of each scope, a public procurement with its
/// dates, the optional labels given or left empty. As French Excel saves it: a BOM, `;`, CRLF.
pub fn seed_offers() -> String {
    let rows = [
        OFFERS_HEADER,
        "CANTINES;0;Offre commerciale;Tarifs cantines;GROUPE;ecoles;Écoles primaires;;;1",
        "LYCEES2023;1;Marché public;Marché des lycées de la région;GROUPE;colleges;;01/10/2023;30/09/2024;0",
        "TOUSCLIENTS;0;;Remise pour tous;TOUS;;Tous les clients;01/10/2023;;0",
        "DUPONT42;0;Offre commerciale;Conditions du restaurant Dupont;CLIENT;C0042;Restaurant Dupont;;31/12/2024;1",
    ];
    format!("\u{feff}{}\r\n", rows.join("\r\n"))
}

/// Commitments and discounts of the seed's offers: product and sector discounts, a fixed price
/// with quantity breaks, percentages, a minimum quantity, a public procurement with two
/// commitments (one without discounts), decimal commas.
pub fn seed_discounts() -> String {
    let rows = [
        DISCOUNTS_HEADER,
        "CANTINES;1;;;UNO;GAME-UNO;;4,10;;;10=3,90|50=3,50",
        "CANTINES;1;;;JEUX;;jeux;;5;;",
        "LYCEES2023;1;01/10/2023;31/12/2023;GROOT;PLUSH-GROOT;;12,5;;2;",
        "LYCEES2023;2;01/01/2024;30/09/2024;;;;;;;",
        "TOUSCLIENTS;1;;;MARVEL;;marvel;;2,5;;10=5|20=7,5",
        "DUPONT42;1;;;BATMAN;FIG-BATMAN;;9,99;;;",
    ];
    format!("{}\n", rows.join("\n"))
}

/// The same files with `,` and decimal points, without a BOM, in LF.
fn comma_files() -> (String, String) {
    let offers = seed_offers()
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace(';', ",");
    let discounts = seed_discounts()
        .lines()
        .map(|line| {
            // Decimal commas become points, then the separators commas.
            let cells: Vec<String> = line.split(';').map(|c| c.replace(',', ".")).collect();
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    (offers, discounts)
}

/// Posts a CSV file to `route` (`offers` or `offer-discounts`) with the management key.
pub async fn import(app: &TestApp, route: &str, query: &str, body: &str) -> Reply {
    app.send(
        app.with_key(
            Method::POST,
            &format!("/v1/import/{route}{query}"),
            MANAGEMENT,
        )
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .body(body.to_owned()),
    )
    .await
}

/// An export, as text.
pub async fn export(app: &TestApp, route: &str, query: &str) -> String {
    let reply = app
        .send(app.with_key(
            Method::GET,
            &format!("/v1/exports/{route}{query}"),
            MANAGEMENT,
        ))
        .await;
    reply.expect(200);
    assert_eq!(reply.content_type(), "text/csv; charset=utf-8");
    reply.text.clone()
}

/// The customer groups the seed's offers name.
pub async fn groups(app: &TestApp) {
    for (id, name) in [("ecoles", "Écoles primaires"), ("colleges", "Collèges")] {
        app.post(
            "/v1/customer-groups",
            MANAGEMENT,
            &json!({ "id": id, "name": name, "display": "net" }),
        )
        .await
        .expect(201);
    }
}

fn counts(reply: &Reply) -> (u64, u64, u64) {
    let count = |name: &str| reply.body[name].as_u64().expect("a count");
    (count("created"), count("updated"), count("unchanged"))
}

/// The newest audit entry's sequence number.
async fn last_audit(app: &TestApp) -> i64 {
    let log = app.get("/v1/audit?limit=1", MANAGEMENT).await;
    log.expect(200);
    log.body["items"][0]["seq"].as_i64().expect("an entry")
}

/// The offers these tests import (the demo store has others).
const CODES: [&str; 8] = [
    "CANTINES",
    "LYCEES2023",
    "TOUSCLIENTS",
    "DUPONT42",
    "BON1",
    "TYPE2",
    "MINUSC",
    "ISO",
];

/// The data rows of an export (without the BOM and the header) of the offers these tests
/// import.
fn rows(export: &str) -> Vec<String> {
    export
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .filter(|row| {
            let code = row.split([';', ',']).next().unwrap_or_default();
            CODES.contains(&code)
        })
        .map(str::to_owned)
        .collect()
}

/// The seed's rows go in, come out as the export writes them (labels filled in from what the
/// store knows, in code order), and each offer's audit entry says it was created.
pub async fn seed_rows_round_trip(app: &TestApp) {
    groups(app).await;
    let offers = import(app, "offers", "", &seed_offers()).await;
    offers.expect(200);
    assert_eq!(counts(&offers), (4, 0, 0));
    assert_eq!(offers.body["rows"], 4);
    assert_eq!(
        offers.body["offers"][1],
        json!({ "code": "LYCEES2023", "outcome": "created" })
    );
    let discounts = import(app, "offer-discounts", "", &seed_discounts()).await;
    discounts.expect(200);
    assert_eq!(counts(&discounts), (0, 4, 0), "{}", discounts.text);

    let exported = export(app, "offers", "").await;
    assert!(exported.starts_with("\u{feff}Code;Type;"), "{exported}");
    assert!(exported.contains("\r\n"));
    assert_eq!(
        rows(&exported),
        [
            "CANTINES;0;Offre commerciale;Tarifs cantines;GROUPE;ecoles;Écoles primaires;;;1",
            "DUPONT42;0;Offre commerciale;Conditions du restaurant Dupont;CLIENT;C0042;;;31/12/2024;1",
            "LYCEES2023;1;Marché public;Marché des lycées de la région;GROUPE;colleges;Collèges;01/10/2023;30/09/2024;0",
            "TOUSCLIENTS;0;Offre commerciale;Remise pour tous;TOUS;;Tous les clients;01/10/2023;;0",
        ]
    );
    assert_eq!(
        rows(&export(app, "offer-discounts", "").await),
        [
            "CANTINES;1;;;UNO;GAME-UNO;;4,10;;;10=3,90|50=3,50",
            "CANTINES;1;;;JEUX;;jeux;;5;;",
            "DUPONT42;1;;;BATMAN;FIG-BATMAN;;9,99;;;",
            "LYCEES2023;1;01/10/2023;31/12/2023;GROOT;PLUSH-GROOT;;12,5;;2;",
            "LYCEES2023;2;01/01/2024;30/09/2024;;;;;;;",
            "TOUSCLIENTS;1;;;MARVEL;;marvel;;2,5;;10=5|20=7,5",
        ]
    );
    let audit = app
        .get("/v1/audit?entity=offer&entity_id=LYCEES2023", MANAGEMENT)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    // Newest first: the discounts, then the offer.
    assert_eq!(actions, ["update", "create"]);
    let created = &audit.body["items"][1]["after"];
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "the server dates a new offer: {created}"
    );
}

/// Importing the same files again writes nothing: no new revision, no audit entry; the same
/// offers written with `,` and decimal points (no BOM, LF) are the same offers.
pub async fn reimport_and_comma_files_change_nothing(app: &TestApp) {
    groups(app).await;
    import(app, "offers", "", &seed_offers()).await.expect(200);
    import(app, "offer-discounts", "", &seed_discounts())
        .await
        .expect(200);
    let revision_after = revision(app).await;
    let audit_after = last_audit(app).await;
    let again = import(app, "offers", "", &seed_offers()).await;
    again.expect(200);
    assert_eq!(counts(&again), (0, 0, 4));
    let again = import(app, "offer-discounts", "", &seed_discounts()).await;
    assert_eq!(counts(&again), (0, 0, 4));
    let (offers, discounts) = comma_files();
    let comma = import(app, "offers", "", &offers).await;
    comma.expect(200);
    assert_eq!(counts(&comma), (0, 0, 4), "{}", comma.text);
    let comma = import(app, "offer-discounts", "", &discounts).await;
    comma.expect(200);
    assert_eq!(counts(&comma), (0, 0, 4), "{}", comma.text);
    assert_eq!(revision(app).await, revision_after);
    assert_eq!(last_audit(app).await, audit_after);
}

/// One good row among bad ones: the whole file is refused, with one error per bad row naming
/// its line, column and value; nothing is written, in a dry run or not.
pub async fn bad_rows_refuse_the_file(app: &TestApp) {
    groups(app).await;
    let file = [
        OFFERS_HEADER,
        "BON1;0;Offre commerciale;La bonne;TOUS;;;;;0",
        "TYPE2;2;;Mauvais type;TOUS;;;;;0",
        "MINUSC;0;;Scope en minuscules;groupe;ecoles;;;;0",
        "ISO;0;;Date ISO;TOUS;;;2023-10-01;;0",
        "MARCHE;1;Marché public;Marché sans dates;TOUS;;;;;0",
        "AVEC ESPACE;0;;Code avec espace;TOUS;;;;;0",
        "ENVERS;0;;Fin avant début;TOUS;;;01/10/2023;30/09/2023;0",
        "SANSCODE;0;;Groupe sans code;GROUPE;;;;;0",
        "INCONNU;0;;Groupe inconnu;GROUPE;nulle-part;;;;0",
    ]
    .join("\r\n");
    let before = revision(app).await;
    for query in ["?dry_run=true", ""] {
        let refused = import(app, "offers", query, &file).await;
        refused.expect_problem(422, Some("line 3: Type"));
        let errors = refused.body["errors"].as_array().expect("errors");
        let lines: Vec<u64> = errors
            .iter()
            .map(|e| e["line"].as_u64().expect("a line"))
            .collect();
        // Public procurement without dates: both dates are named.
        assert_eq!(lines, [3, 4, 5, 6, 6, 7, 8, 9, 10], "{}", refused.text);
        let cell = |i: usize| {
            (
                errors[i]["column"].as_str().unwrap_or_default(),
                errors[i]["value"].as_str().unwrap_or_default(),
            )
        };
        assert_eq!(cell(0), ("Type", "2"));
        assert_eq!(cell(1), ("Type de périmètre", "groupe"));
        assert_eq!(cell(2), ("Date début", "2023-10-01"));
        assert_eq!(cell(3), ("Date début", ""));
        assert_eq!(cell(4), ("Date fin", ""));
        assert_eq!(cell(5), ("Code", "AVEC ESPACE"));
        assert_eq!(cell(6), ("Date fin", "30/09/2023"));
        assert_eq!(cell(7), ("Code périmètre", ""));
        assert_eq!(cell(8), ("Code périmètre", "nulle-part"));
        assert!(
            errors[1]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("GROUPE"),
            "{}",
            refused.text
        );
    }
    assert_eq!(revision(app).await, before);
    assert!(rows(&export(app, "offers", "").await).is_empty());
}

/// An update file changes only what it names: an offers row keeps its offer's commitments, a
/// discounts row changes one discount and names a new commitment, the rest stays.
pub async fn updates_change_only_what_they_name(app: &TestApp) {
    groups(app).await;
    import(app, "offers", "", &seed_offers()).await.expect(200);
    import(app, "offer-discounts", "", &seed_discounts())
        .await
        .expect(200);
    let offers_before = rows(&export(app, "offers", "").await);
    let discounts_before = rows(&export(app, "offer-discounts", "").await);

    let retitled =
        format!("{OFFERS_HEADER}\nCANTINES;0;Offre commerciale;Cantines 2025;GROUPE;ecoles;;;;1\n");
    let updated = import(app, "offers", "", &retitled).await;
    updated.expect(200);
    assert_eq!(counts(&updated), (0, 1, 0));
    let discounts = format!(
        "{DISCOUNTS_HEADER}\nCANTINES;1;;;UNO;GAME-UNO;;3,95;;;10=3,90|50=3,50\nDUPONT42;2;01/01/2024;30/06/2024;;;;;;;\n"
    );
    let updated = import(app, "offer-discounts", "", &discounts).await;
    updated.expect(200);
    assert_eq!(counts(&updated), (0, 2, 0), "{}", updated.text);

    let mut offers_expected = offers_before.clone();
    offers_expected[0] = offers_expected[0].replace("Tarifs cantines", "Cantines 2025");
    assert_eq!(rows(&export(app, "offers", "").await), offers_expected);
    let mut discounts_expected = discounts_before.clone();
    discounts_expected[0] = discounts_expected[0].replace("4,10", "3,95");
    discounts_expected.insert(3, "DUPONT42;2;01/01/2024;30/06/2024;;;;;;;".to_owned());
    assert_eq!(
        rows(&export(app, "offer-discounts", "").await),
        discounts_expected
    );

    // With `replace`, the named offer's commitments are the file's: CANTINES keeps only JEUX.
    let replacing = format!("{DISCOUNTS_HEADER}\nCANTINES;1;;;JEUX;;jeux;;5;;\n");
    import(app, "offer-discounts", "?replace=true", &replacing)
        .await
        .expect(200);
    discounts_expected.remove(0);
    assert_eq!(
        rows(&export(app, "offer-discounts", "").await),
        discounts_expected
    );
}

/// Exports read back to the same offers, in both separators: nothing changes, and exporting
/// again gives the same bytes.
pub async fn exports_read_back(app: &TestApp) {
    groups(app).await;
    import(app, "offers", "", &seed_offers()).await.expect(200);
    import(app, "offer-discounts", "", &seed_discounts())
        .await
        .expect(200);
    let before = revision(app).await;
    for query in ["", "?separator=comma"] {
        let offers = export(app, "offers", query).await;
        let discounts = export(app, "offer-discounts", query).await;
        assert_eq!(offers.starts_with('\u{feff}'), query.is_empty());
        // Every offer of the store, the demo's too, reads back unchanged.
        let offers_count = offers.lines().count() as u64 - 1;
        let back = import(app, "offers", "", &offers).await;
        assert_eq!(counts(&back), (0, 0, offers_count), "{}", back.text);
        let back = import(app, "offer-discounts", "", &discounts).await;
        let (created, updated, unchanged) = counts(&back);
        assert_eq!((created, updated), (0, 0), "{}", back.text);
        assert!(unchanged >= 4, "{}", back.text);
        assert_eq!(export(app, "offers", query).await, offers);
        assert_eq!(export(app, "offer-discounts", query).await, discounts);
    }
    let comma = export(app, "offer-discounts", "?separator=comma").await;
    assert!(
        comma.contains("CANTINES,1,,,UNO,GAME-UNO,,4.10,,,10=3.90|50=3.50"),
        "{comma}"
    );
    assert_eq!(revision(app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_rows_are_imported_and_exported() {
    seed_rows_round_trip(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_offers_again_or_with_commas_change_nothing() {
    reimport_and_comma_files_change_nothing(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_good_row_among_bad_ones_is_refused_with_every_bad_row() {
    bad_rows_refuse_the_file(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_file_changes_only_what_it_names() {
    updates_change_only_what_they_name(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imports_back_unchanged() {
    exports_read_back(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_and_writes_nothing() {
    let app = spawn_app().await;
    groups(&app).await;
    let before = revision(&app).await;
    let audit_before = last_audit(&app).await;
    let dry = import(&app, "offers", "?dry_run=true", &seed_offers()).await;
    dry.expect(200);
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(counts(&dry), (4, 0, 0));
    assert_eq!(revision(&app).await, before);
    assert_eq!(last_audit(&app).await, audit_before);
    assert!(rows(&export(&app, "offers", "").await).is_empty());
    // The discounts of offers that do not exist yet are refused, and named by their line.
    let refused = import(&app, "offer-discounts", "?dry_run=true", &seed_discounts()).await;
    refused.expect_problem(422, Some("line 2: Code offre"));
    assert_eq!(refused.error_fields().len(), 6, "{}", refused.text);

    let done = import(&app, "offers", "", &seed_offers()).await;
    assert_eq!(counts(&done), (4, 0, 0));
    assert_eq!(done.body["offers"], dry.body["offers"]);
    assert_eq!(revision(&app).await, before + 1);
    assert_eq!(last_audit(&app).await, audit_before + 4);
    let dry = import(&app, "offer-discounts", "?dry_run=true", &seed_discounts()).await;
    assert_eq!(counts(&dry), (0, 4, 0));
    assert_eq!(
        rows(&export(&app, "offer-discounts", "").await),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_management_keys_import_and_export_and_only_csv() {
    let app = spawn_app().await;
    let refused = app
        .send(
            app.with_key(Method::POST, "/v1/import/offers", STOREFRONT)
                .header(header::CONTENT_TYPE, "text/csv")
                .body(seed_offers()),
        )
        .await;
    refused.expect_problem(403, None);
    app.send(app.with_key(Method::GET, "/v1/exports/offers", STOREFRONT))
        .await
        .expect_problem(403, None);
    app.send(
        app.with_key(Method::POST, "/v1/import/offers", MANAGEMENT)
            .header(header::CONTENT_TYPE, "application/json")
            .body("{}"),
    )
    .await
    .expect_problem(415, None);
    app.send(app.with_key(Method::GET, "/v1/exports/offers?separator=tab", MANAGEMENT))
        .await
        .expect_problem(400, Some("query"));
    // A header that is not the seed's is named, column by column.
    let wrong = import(&app, "offers", "", "Code;Kind;Intitulé\nA;0;B\n").await;
    wrong.expect_problem(422, None);
    let fields: Vec<String> = wrong.error_fields();
    assert!(fields.contains(&"line 1: Kind".to_owned()), "{fields:?}");
    assert!(fields.contains(&"line 1: Type".to_owned()), "{fields:?}");
    let value: &Value = &wrong.body["errors"][0];
    assert_eq!(value["line"], 1);
}

/// A soft-deleted offer named by an offers file is brought back with its commitments; a
/// discounts file cannot name it until then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_offer_comes_back_with_its_commitments() {
    let app = spawn_app().await;
    groups(&app).await;
    import(&app, "offers", "", &seed_offers()).await.expect(200);
    import(&app, "offer-discounts", "", &seed_discounts())
        .await
        .expect(200);
    let discounts_before = rows(&export(&app, "offer-discounts", "").await);
    let stored = app.get("/v1/offers/CANTINES", MANAGEMENT).await;
    stored.expect(200);
    app.delete("/v1/offers/CANTINES", MANAGEMENT, Some(stored.etag()))
        .await
        .expect(200);
    assert!(
        !rows(&export(&app, "offers", "").await)
            .iter()
            .any(|r| r.starts_with("CANTINES;"))
    );
    let refused = import(&app, "offer-discounts", "", &seed_discounts()).await;
    refused.expect_problem(422, Some("line 2: Code offre"));
    assert!(refused.text.contains("is deleted"), "{}", refused.text);

    let back = import(&app, "offers", "", &seed_offers()).await;
    back.expect(200);
    assert_eq!(counts(&back), (0, 1, 3), "{}", back.text);
    assert_eq!(
        rows(&export(&app, "offer-discounts", "").await),
        discounts_before
    );
}
