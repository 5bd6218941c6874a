//! `remise import offers`, `remise import offer-discounts`, `remise export offers` and
//! `remise export offer-discounts` with the real binary: both files in one import, a dry run, a
//! bad file's errors by line and column, exports to stdout and to a file that read back, and an
//! import killed while it writes, which leaves the store as it was.

#![allow(clippy::expect_used)] // a test that cannot start the binary or write its files should fail loudly

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const OFFERS_HEADER: &str = "Code;Type;Libelle type;Intitulé;Type de périmètre;Code périmètre;Libellé périmètre;Date début;Date fin;Afficher l'offre sur la boutique virtuelle";
const DISCOUNTS_HEADER: &str = "Code offre;Numéro engagement;Début engagement;Fin engagement;Code remise;Référence produit;Code secteur;Prix;Pourcentage;Quantité minimum;Paliers";

mod support;

use support::{remise, write};

/// A fresh directory for one test's files, with the demo store's database in it.
fn demo_database(test: &str) -> (PathBuf, String) {
    support::demo_database("offers-csv-tests", test)
}

/// Offers of the demo's `pro` group and of everyone, with their discounts.
fn files(dir: &Path) -> (String, String) {
    let offers = write(
        dir,
        "offres.csv",
        &format!(
            "\u{feff}{OFFERS_HEADER}\r\nPRO;0;Offre commerciale;Tarifs pros;GROUPE;pro;;;;1\r\n\
             MARCHE;1;Marché public;Marché 2027;TOUS;;;01/01/2027;31/12/2027;0\r\n"
        ),
    );
    let discounts = write(
        dir,
        "remises.csv",
        &format!(
            "{DISCOUNTS_HEADER}\nPRO;1;;;UNO;GAME-UNO;;4,10;;;10=3,90|50=3,50\n\
             MARCHE;1;01/01/2027;30/06/2027;JEUX;;jeux;;7,5;;\nMARCHE;2;01/07/2027;31/12/2027;;;;;;;\n"
        ),
    );
    (offers, discounts)
}

#[test]
fn both_files_are_imported_together_then_found_unchanged_and_exported() {
    let (dir, url) = demo_database("together");
    let (offers, discounts) = files(&dir);
    let dry = remise(&[
        "import",
        "offers",
        &offers,
        "--discounts",
        &discounts,
        "--dry-run",
        "--database",
        &url,
    ]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(
        dry.stdout.contains("would create offer PRO\n"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .ends_with("5 rows read, 2 offers; 2 to create, 0 to update, 0 unchanged (dry run: nothing written)\n"),
        "{}",
        dry.stdout
    );
    let before = remise(&["export", "offers", "--database", &url]);
    assert!(!before.stdout.contains("\nPRO;"), "{}", before.stdout);

    let run = remise(&[
        "import",
        "offers",
        &offers,
        "--discounts",
        &discounts,
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("5 rows read, 2 offers; 2 created, 0 updated, 0 unchanged\n"),
        "{}",
        run.stdout
    );
    // The discounts file alone, naming offers that now exist: nothing changes.
    let again = remise(&["import", "offer-discounts", &discounts, "--database", &url]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again
            .stdout
            .ends_with("3 rows read, 2 offers; 0 created, 0 updated, 2 unchanged\n"),
        "{}",
        again.stdout
    );

    let exported = remise(&["export", "offers", "--database", &url]);
    assert_eq!(exported.code, Some(0), "{}", exported.stderr);
    assert!(
        exported
            .stdout
            .starts_with(&format!("\u{feff}{OFFERS_HEADER}\r\n")),
        "{}",
        exported.stdout
    );
    // In code order, beside the demo's offers.
    let marche =
        "\r\nMARCHE;1;Marché public;Marché 2027;TOUS;;Tous les clients;01/01/2027;31/12/2027;0\r\n";
    let pro = "\r\nPRO;0;Offre commerciale;Tarifs pros;GROUPE;pro;Professionnels;;;1\r\n";
    let at = |row: &str| exported.stdout.find(row).expect("the offer's row");
    assert!(at(marche) < at(pro), "{}", exported.stdout);
    let out = dir.join("export.csv");
    let out = out.to_str().expect("a UTF-8 path");
    let exported = remise(&[
        "export",
        "offer-discounts",
        "--separator",
        "comma",
        "--output",
        out,
        "--database",
        &url,
    ]);
    assert_eq!(exported.code, Some(0), "{}", exported.stderr);
    let text = std::fs::read_to_string(out).expect("the export");
    assert!(
        text.contains("\r\nPRO,1,,,UNO,GAME-UNO,,4.10,,,10=3.90|50=3.50\r\n"),
        "{text}"
    );
    let back = remise(&["import", "offer-discounts", out, "--database", &url]);
    assert_eq!(back.code, Some(0), "{}", back.stderr);
    assert!(
        back.stdout.contains(" offers; 0 created, 0 updated, "),
        "{}",
        back.stdout
    );
}

#[test]
fn a_bad_file_lists_every_bad_row_and_changes_nothing() {
    let (dir, url) = demo_database("bad-rows");
    let file = write(
        &dir,
        "bad.csv",
        &format!(
            "{OFFERS_HEADER}\nBON;0;;Bonne;TOUS;;;;;0\nMAUVAIS;3;;Type 3;TOUS;;;;;0\n\
             MINUS;0;;Minuscules;client;C1;;;;0\nDATES;0;;Dates;TOUS;;;01/02/2027;01/01/2027;0\n"
        ),
    );
    let run = remise(&["import", "offers", &file, "--database", &url]);
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    let errors: Vec<&str> = run.stderr.lines().skip(1).map(str::trim).collect();
    assert_eq!(errors.len(), 3, "{}", run.stderr);
    assert!(
        errors[0].starts_with("line 3: Type: `3` is not a type"),
        "{}",
        run.stderr
    );
    assert!(
        errors[1].starts_with("line 4: Type de périmètre: `client`"),
        "{}",
        run.stderr
    );
    assert!(
        errors[2].starts_with("line 5: Date fin: "),
        "{}",
        run.stderr
    );
    assert!(
        errors[2].ends_with("(found `01/01/2027`)"),
        "{}",
        run.stderr
    );
    let exported = remise(&["export", "offers", "--database", &url]);
    assert_eq!(exported.code, Some(0), "{}", exported.stderr);
    assert!(!exported.stdout.contains("\nBON;"), "{}", exported.stdout);
}

/// Offers `OFF00000`… with `per_offer` discounts each, for a large import.
fn large_files(dir: &Path, offers: usize, per_offer: usize) -> (String, String) {
    let mut offer_rows = format!("{OFFERS_HEADER}\n");
    let mut discount_rows = format!("{DISCOUNTS_HEADER}\n");
    for i in 0..offers {
        offer_rows.push_str(&format!(
            "OFF{i:05};0;;Grande offre {i};CLIENT;C{i:05};;;;0\n"
        ));
        for j in 0..per_offer {
            discount_rows.push_str(&format!(
                "OFF{i:05};1;;;R{j};SKU{j:04};;{},50;;;\n",
                1 + j % 50
            ));
        }
    }
    (
        write(dir, "large-offres.csv", &offer_rows),
        write(dir, "large-remises.csv", &discount_rows),
    )
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// An import killed (SIGKILL) while it writes leaves the offers as they were: the transaction
/// never committed. It is caught writing by SQLite's write-ahead log, which grows while the
/// transaction spills its pages, before the commit.
#[test]
fn an_import_killed_while_writing_leaves_the_old_offers() {
    let (dir, url) = demo_database("killed");
    let small = write(
        &dir,
        "small.csv",
        &format!("{OFFERS_HEADER}\nOFF00000;0;;Avant;CLIENT;C00000;;;;0\n"),
    );
    let small_discounts = write(
        &dir,
        "small-remises.csv",
        &format!("{DISCOUNTS_HEADER}\nOFF00000;1;;;R0;SKU0000;;9,99;;;\n"),
    );
    let run = remise(&[
        "import",
        "offers",
        &small,
        "--discounts",
        &small_discounts,
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let offers_before = remise(&["export", "offers", "--database", &url]).stdout;
    let discounts_before = remise(&["export", "offer-discounts", "--database", &url]).stdout;

    let (offers, discounts) = large_files(&dir, 2_000, 100);
    let wal = dir.join("remise.db-wal");
    let wal_before = file_size(&wal);
    let mut child = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["import", "offers", &offers, "--discounts", &discounts])
        .args(["--database", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the import");
    let start = Instant::now();
    loop {
        if file_size(&wal) > wal_before + 4 * 1024 * 1024 {
            break;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the import ended ({status}) before it was seen writing");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the import never wrote"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL the import");
    let status = child.wait().expect("the killed import");
    assert_eq!(status.code(), None, "killed by a signal");

    assert_eq!(
        remise(&["export", "offers", "--database", &url]).stdout,
        offers_before
    );
    assert_eq!(
        remise(&["export", "offer-discounts", "--database", &url]).stdout,
        discounts_before
    );
    // The store is whole: the same import, run to its end, goes through.
    let run = remise(&[
        "import",
        "offers",
        &offers,
        "--discounts",
        &discounts,
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("2000 offers; 1999 created, 1 updated, 0 unchanged\n"),
        "{}",
        run.stdout
    );
}
