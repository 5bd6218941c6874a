//! `remise import rules`: a rule file or NDJSON into a database, its dry run, and a bad file's
//! errors with their paths.

#![allow(clippy::expect_used)] // a test that cannot start the binary or write its files should fail loudly

use std::path::PathBuf;

mod support;

use support::{remise, write};

/// A fresh directory for one test's files, with the demo store's database in it.
fn demo_database(test: &str) -> (PathBuf, String) {
    support::demo_database("import-rules-tests", test)
}

const LINES: &str = r#"{"campaign": {"id": "printemps", "name": "Printemps", "status": "draft", "starts_at": "2027-03-20T00:00", "ends_at": "2027-04-20T00:00"}}
{"segment": {"id": "cartes", "name": "Jeux de cartes", "parent": "jeux"}}

{"promotion": {"id": "cartes-10", "campaign": "printemps", "targets": {"segments": ["cartes"]}, "offer": {"type": "percent_off", "percent": 10}}}
"#;

#[test]
fn ndjson_is_imported_then_found_unchanged() {
    let (dir, url) = demo_database("ndjson");
    let file = write(&dir, "spring.ndjson", LINES);
    let run = remise(&["import", "rules", &file, "--database", &url]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("3 documents read; 3 created, 0 updated, 0 unchanged\n"),
        "{}",
        run.stdout
    );
    let again = remise(&["import", "rules", &file, "--database", &url]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again
            .stdout
            .ends_with("3 documents read; 0 created, 0 updated, 3 unchanged\n"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_dry_run_lists_what_would_change_and_writes_nothing() {
    let (dir, url) = demo_database("dry-run");
    // `.jsonl` is NDJSON too.
    let file = write(&dir, "spring.jsonl", LINES);
    let dry = remise(&["import", "rules", &file, "--dry-run", "--database", &url]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    let lines: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "would create campaign printemps",
            "would create segment cartes",
            "would create promotion cartes-10",
        ]
    );
    assert!(
        lines[3].ends_with(
            "3 documents read; 3 to create, 0 to update, 0 unchanged (dry run: nothing written)"
        ),
        "{}",
        dry.stdout
    );
    // Nothing was written: the import still creates all three.
    let run = remise(&["import", "rules", &file, "--database", &url]);
    assert!(run.stdout.contains("; 3 created,"), "{}", run.stdout);
}

#[test]
fn a_bad_rule_file_lists_every_error_with_its_path() {
    let (dir, url) = demo_database("bad-file");
    let rules = r#"{
      "format": "remise.rules/1",
      "catalog": { "segments": [ { "id": "cartes", "parent": "jeux" } ] },
      "promotions": [
        { "id": "ok", "targets": { "segments": ["cartes"] }, "offer": { "type": "percent_off", "percent": 10 } },
        { "id": "too-much", "offer": { "type": "percent_off", "percent": 120 } },
        { "id": "lost", "targets": { "segments": ["nowhere"] }, "offer": { "type": "free_shipping" } }
      ]
    }"#;
    let file = write(&dir, "bad.json", rules);
    let run = remise(&["import", "rules", &file, "--database", &url]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("error: invalid rules in {file} (2 errors):\n")),
        "{}",
        run.stderr
    );
    let errors: Vec<&str> = run.stderr.lines().skip(1).collect();
    assert_eq!(errors.len(), 2, "{}", run.stderr);
    assert!(
        errors[0].starts_with("  promotions[1].offer.percent: "),
        "{}",
        run.stderr
    );
    assert!(
        errors[1].starts_with("  promotions[2].targets.segments[0]: "),
        "{}",
        run.stderr
    );
    // Nothing was written, not even the good documents.
    let dry = remise(&["import", "rules", &file, "--dry-run", "--database", &url]);
    assert_eq!(dry.code, Some(2));
    let fixed = rules.replace("120", "12").replace("nowhere", "cartes");
    let file = write(&dir, "fixed.rules", &fixed);
    let run = remise(&[
        "import",
        "rules",
        &file,
        "--format",
        "rules",
        "--database",
        &url,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("; 4 created,"), "{}", run.stdout);
}

#[test]
fn an_unknown_extension_asks_for_the_format() {
    let (dir, url) = demo_database("extension");
    let file = write(&dir, "rules.txt", LINES);
    let run = remise(&["import", "rules", &file, "--database", &url]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("--format rules|ndjson"),
        "{}",
        run.stderr
    );
}
