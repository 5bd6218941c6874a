//! Reading a rule import: a `remise.rules/1` rule file, or newline-delimited JSON documents, each
//! document with its place in the file and every problem of the file with its path.
//!
//! A rule file brings its `store.groups` (customer groups), `catalog.segments`,
//! `catalog.products`, `catalog.selections`, `promotions` and `offers`; its other `store` fields are not
//! imported, and must agree with the store's settings (checked by [`crate::rules_import`]).
//! NDJSON: one document a line, as an object with one member named after the document's kind:
//! `{"promotion": {…}}`, `{"campaign": {…}}`, `{"segment": {…}}`, `{"selection": {…}}`,
//! `{"customer_group": {…}}`, `{"product": {…}}`, `{"offer": {…}}` (a member rather than a `kind` field, which
//! campaigns already have). Blank lines are skipped.
//!
//! Paths: `promotions[17].offer.percent` in a rule file, `line 12: offer.percent` in NDJSON.

use std::collections::{BTreeMap, HashMap};

use remise_engine::rules::{GroupSettings, RULES_FORMAT};
use remise_store::Kind;
use serde_json::{Map, Value};

use crate::body::{from_value, join_path};
use crate::catalog_file::MAX_LISTED;
use crate::documents::{CustomerGroup, Document, id_field};
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// How the documents are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesFormat {
    /// A `remise.rules/1` rule file (JSON).
    Rules,
    /// One document a line.
    Ndjson,
}

/// The kinds an NDJSON line may hold, by the name of its member.
const LINE_KINDS: [Kind; 7] = [
    Kind::Promotion,
    Kind::Campaign,
    Kind::Segment,
    Kind::Selection,
    Kind::CustomerGroup,
    Kind::Product,
    Kind::Offer,
];

/// Where a document stands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In a rule file: `promotions[17]`, `store.groups.pro`.
    Path(String),
    /// In NDJSON: the line, counted from 1.
    Line(usize),
}

impl Place {
    /// The path in the file of `field`, a path within the document (empty: the document).
    pub fn field(&self, field: &str) -> String {
        match self {
            Place::Path(path) => join_path(path, field),
            Place::Line(n) if field.is_empty() => format!("line {n}"),
            Place::Line(n) => format!("line {n}: {field}"),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.field(""))
    }
}

/// A document read from the file.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub document: Document,
    pub place: Place,
    /// Its position among the file's elements, to report problems in the file's order.
    pub order: usize,
    /// A customer group of a rule file's `store.groups`, which has no name: it keeps the
    /// stored group's.
    pub keeps_stored_name: bool,
}

/// The problems of an import, each with its position in the file (0 for the file itself).
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<(usize, FieldProblem)>);

impl Problems {
    pub fn push(&mut self, order: usize, field: String, message: impl Into<String>) {
        self.0.push((order, FieldProblem::new(field, message)));
    }

    /// `Ok` when there is no problem; otherwise the first [`MAX_LISTED`] in the file's order (a
    /// document's own in the order they were found), and the count of the others.
    pub fn finish(mut self) -> ApiResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.0.sort_by_key(|(order, _)| *order);
        let more = self.0.len().saturating_sub(MAX_LISTED);
        let mut listed: Vec<FieldProblem> = self
            .0
            .into_iter()
            .take(MAX_LISTED)
            .map(|(_, p)| p)
            .collect();
        if more > 0 {
            listed.push(FieldProblem::new("", format!("and {more} more errors")));
        }
        Err(ApiError::Validation(listed))
    }
}

/// The documents of a file, the store settings it states, and the problems found in it alone.
#[derive(Debug, Default)]
pub struct RulesFile {
    pub(crate) entries: Vec<Entry>,
    /// The rule file's `store` fields other than `groups`: they must agree with the store's.
    pub(crate) settings: Map<String, Value>,
    pub(crate) problems: Problems,
}

impl RulesFile {
    /// How many documents could be read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Reads a file of at most `max_documents` documents. Malformed JSON (of a rule file) or too
/// many documents fail at once; the problems of single documents (a wrong shape, an id used twice,
/// what [`Document::check`] finds) are kept in the result, to be reported with those the store
/// finds.
pub fn read_rules(bytes: &[u8], format: RulesFormat, max_documents: usize) -> ApiResult<RulesFile> {
    let mut file = match format {
        RulesFormat::Rules => read_rule_file(bytes, max_documents)?,
        RulesFormat::Ndjson => read_lines(bytes, max_documents)?,
    };
    let mut seen: HashMap<(Kind, &str), &Place> = HashMap::with_capacity(file.entries.len());
    for entry in &file.entries {
        let document = &entry.document;
        for problem in document.check() {
            file.problems.push(
                entry.order,
                entry.place.field(&problem.field),
                problem.message,
            );
        }
        if let Some(first) = seen.insert((document.kind(), document.id()), &entry.place) {
            file.problems.push(
                entry.order,
                entry.place.field(id_field(document.kind())),
                format!(
                    "{} `{}` is already at {first}",
                    kind_name(document.kind()),
                    document.id()
                ),
            );
        }
    }
    Ok(file)
}

/// `customer group` for `customer_group`.
pub(crate) fn kind_name(kind: Kind) -> String {
    kind.as_str().replace('_', " ")
}

fn too_many(count: usize, max: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("{count} documents, at most {max} per import"))
}

/// Reads one document; a wrong shape becomes a problem at its path.
fn read_document(
    kind: Kind,
    value: Value,
    place: &Place,
    order: usize,
    file: &mut RulesFile,
) -> Option<Document> {
    let prefix = match place {
        Place::Path(path) => path.as_str(),
        Place::Line(_) => "",
    };
    match Document::read(kind, value, prefix) {
        Ok(document) => Some(document),
        Err(error) => {
            let (field, message) = as_problem(error, prefix);
            let field = match place {
                Place::Path(_) => field,
                Place::Line(_) => place.field(&field),
            };
            file.problems.push(order, field, message);
            None
        }
    }
}

/// A reading error as a field (`fallback` when it names none) and a message.
fn as_problem(error: ApiError, fallback: &str) -> (String, String) {
    match error {
        ApiError::InvalidJson { field, detail } => {
            let field = field.unwrap_or_else(|| fallback.to_owned());
            // The detail starts with the field, which the problem already names.
            let message = detail
                .strip_prefix(&format!("{field}: "))
                .map_or_else(|| detail.clone(), str::to_owned);
            (field, message)
        }
        other => (fallback.to_owned(), other.to_string()),
    }
}

fn read_rule_file(bytes: &[u8], max_documents: usize) -> ApiResult<RulesFile> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| crate::body::malformed(&e))?;
    let Value::Object(mut top) = value else {
        return Err(ApiError::validation(
            "",
            format!("expected a rule file: a JSON object ({RULES_FORMAT})"),
        ));
    };
    let mut file = RulesFile::default();
    match top.remove("format") {
        None => {}
        Some(Value::String(format)) if format == RULES_FORMAT => {}
        Some(other) => file.problems.push(
            0,
            "format".to_owned(),
            format!("unsupported format {other}, expected `{RULES_FORMAT}`"),
        ),
    }
    // Each list, with the kind of its elements and its path, in the order documents are written.
    let mut lists: Vec<(Kind, String, Value)> = Vec::new();
    let mut groups = Map::new();
    match top.remove("store") {
        None => {}
        Some(Value::Object(store)) => {
            for (key, value) in store {
                if key == "groups" {
                    match value {
                        Value::Object(map) => groups = map,
                        _ => file.problems.push(
                            0,
                            "store.groups".to_owned(),
                            "must be an object".to_owned(),
                        ),
                    }
                } else {
                    file.settings.insert(key, value);
                }
            }
        }
        Some(_) => file
            .problems
            .push(0, "store".to_owned(), "must be an object"),
    }
    match top.remove("catalog") {
        None => {}
        Some(Value::Object(mut catalog)) => {
            for (key, kind) in [
                ("segments", Kind::Segment),
                ("products", Kind::Product),
                ("selections", Kind::Selection),
            ] {
                if let Some(list) = catalog.remove(key) {
                    lists.push((kind, format!("catalog.{key}"), list));
                }
            }
            for key in catalog.keys() {
                file.problems.push(
                    0,
                    format!("catalog.{key}"),
                    "unknown field (segments, products, selections)",
                );
            }
        }
        Some(_) => file
            .problems
            .push(0, "catalog".to_owned(), "must be an object"),
    }
    if let Some(list) = top.remove("promotions") {
        lists.push((Kind::Promotion, "promotions".to_owned(), list));
    }
    if let Some(list) = top.remove("offers") {
        lists.push((Kind::Offer, "offers".to_owned(), list));
    }
    for key in top.keys() {
        file.problems.push(
            0,
            key.clone(),
            "unknown field (format, store, catalog, promotions, offers)",
        );
    }
    let count = groups.len()
        + lists
            .iter()
            .map(|(_, _, v)| v.as_array().map_or(0, Vec::len))
            .sum::<usize>();
    if count > max_documents {
        return Err(too_many(count, max_documents));
    }

    let mut order = 0;
    for (id, value) in groups {
        order += 1;
        let place = Place::Path(format!("store.groups.{id}"));
        match from_value::<GroupSettings>(value, &place.field("")) {
            Ok(group) => file.entries.push(Entry {
                document: Document::CustomerGroup(CustomerGroup {
                    id,
                    name: String::new(),
                    display: group.display,
                }),
                place,
                order,
                keeps_stored_name: true,
            }),
            Err(error) => {
                let (field, message) = as_problem(error, &place.field(""));
                file.problems.push(order, field, message);
            }
        }
    }
    for (kind, path, list) in lists {
        let Value::Array(items) = list else {
            file.problems.push(order, path, "must be an array");
            continue;
        };
        for (i, item) in items.into_iter().enumerate() {
            order += 1;
            let place = Place::Path(format!("{path}[{i}]"));
            if let Some(document) = read_document(kind, item, &place, order, &mut file) {
                file.entries.push(Entry {
                    document,
                    place,
                    order,
                    keeps_stored_name: false,
                });
            }
        }
    }
    Ok(file)
}

/// What a line must be.
fn line_shape() -> String {
    let kinds: Vec<&str> = LINE_KINDS.iter().map(|k| k.as_str()).collect();
    format!(
        "expected an object with one member naming the document's kind ({}), e.g. {{\"promotion\": {{…}}}}",
        kinds.join(", ")
    )
}

fn read_lines(bytes: &[u8], max_documents: usize) -> ApiResult<RulesFile> {
    let mut file = RulesFile::default();
    let mut count = 0;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        count += 1;
        if count > max_documents {
            return Err(too_many(count, max_documents));
        }
        let place = Place::Line(number);
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(e) => {
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                file.problems.push(
                    number,
                    place.field(""),
                    format!("malformed JSON at column {}: {message}", e.column()),
                );
                continue;
            }
        };
        let member = match value {
            Value::Object(map) if map.len() == 1 => map.into_iter().next(),
            _ => None,
        };
        let Some((name, body)) = member else {
            file.problems.push(number, place.field(""), line_shape());
            continue;
        };
        let Some(kind) = LINE_KINDS.into_iter().find(|k| k.as_str() == name) else {
            file.problems.push(
                number,
                place.field(""),
                format!("unknown kind `{name}`: {}", line_shape()),
            );
            continue;
        };
        if let Some(document) = read_document(kind, body, &place, number, &mut file) {
            file.entries.push(Entry {
                document,
                place,
                order: number,
                keeps_stored_name: false,
            });
        }
    }
    Ok(file)
}

/// The `store` fields of a rule file that differ from the store's settings (`settings`, as
/// stored), each as a problem: the import does not change settings.
pub(crate) fn settings_problems(
    stated: &Map<String, Value>,
    settings: &crate::documents::Settings,
) -> Vec<FieldProblem> {
    if stated.is_empty() {
        return Vec::new();
    }
    let Ok(Value::Object(current)) = serde_json::to_value(settings) else {
        return vec![FieldProblem::new(
            "store",
            "the store's settings do not read",
        )];
    };
    // The rule format's settings are the store's, less the server's own.
    let known: Vec<&str> = current
        .keys()
        .map(String::as_str)
        .filter(|k| {
            !matches!(
                *k,
                "reservation_minutes" | "code_attempts_per_minute" | "approval_required"
            )
        })
        .collect();
    let mut problems = Vec::new();
    let mut merged = current.clone();
    for (key, value) in stated {
        if known.contains(&key.as_str()) {
            merged.insert(key.clone(), value.clone());
        } else {
            problems.push(FieldProblem::new(
                format!("store.{key}"),
                format!("unknown field ({}, groups)", known.join(", ")),
            ));
        }
    }
    // Read as the store's settings, so that `{}` and defaults compare as what they mean.
    let read: crate::documents::Settings = match from_value(Value::Object(merged), "store") {
        Ok(read) => read,
        Err(error) => {
            let (field, message) = as_problem(error, "store");
            problems.push(FieldProblem::new(field, message));
            return problems;
        }
    };
    let read = serde_json::to_value(read).unwrap_or_default();
    let ordered: BTreeMap<&String, &Value> = stated.iter().collect();
    for key in ordered.keys() {
        if let (Some(wanted), Some(now)) = (read.get(key.as_str()), current.get(key.as_str()))
            && wanted != now
        {
            problems.push(FieldProblem::new(
                format!("store.{key}"),
                format!(
                    "the store's is {now}, this file's {wanted}: an import does not change settings (leave the field out, or change the store's with PUT /v1/settings)"
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem of a read file, as `field: message`.
    fn problems(file: RulesFile) -> Vec<String> {
        match file.problems.finish() {
            Ok(()) => Vec::new(),
            Err(ApiError::Validation(problems)) => problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    fn places(file: &RulesFile) -> Vec<String> {
        file.entries.iter().map(|e| e.place.to_string()).collect()
    }

    #[test]
    fn a_rule_file_names_every_problem_by_its_path_in_file_order() {
        let text = r#"{
          "format": "remise.rules/1",
          "store": { "currency": "EUR", "groups": { "pro": { "display": "net" }, "bad": { "display": "sideways" } } },
          "catalog": {
            "segments": [ { "id": "toys" }, { "id": "toys" } ],
            "products": [ { "sku": "A", "price": "1.00" } ],
            "tags": []
          },
          "promotions": [
            { "id": "p0", "offer": { "type": "percent_off", "percent": 10 } },
            { "id": "p1", "offer": { "type": "percent_off", "percent": 10 }, "colour": "red" },
            { "id": "p 2", "offer": { "type": "free_shipping" } }
          ]
        }"#;
        let file = read_rules(text.as_bytes(), RulesFormat::Rules, 100).unwrap();
        assert_eq!(
            places(&file),
            [
                "store.groups.pro",
                "catalog.segments[0]",
                "catalog.segments[1]",
                "catalog.products[0]",
                "promotions[0]",
                "promotions[2]",
            ]
        );
        assert_eq!(file.settings.keys().collect::<Vec<_>>(), ["currency"]);
        let problems = problems(file);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert_eq!(
            problems[0],
            "catalog.tags: unknown field (segments, products, selections)"
        );
        assert!(
            problems[1].starts_with("store.groups.bad.display: unknown variant `sideways`"),
            "{problems:#?}"
        );
        assert_eq!(
            problems[2],
            "catalog.segments[1].id: segment `toys` is already at catalog.segments[0]"
        );
        assert!(
            problems[3].starts_with("promotions[1].colour: unknown field `colour`"),
            "{problems:#?}"
        );
        assert_eq!(
            problems[4],
            "promotions[2].id: must not contain spaces, control characters or '/'"
        );
    }

    #[test]
    fn ndjson_lines_name_their_line() {
        let text = concat!(
            "{\"segment\": {\"id\": \"toys\"}}\n",
            "\n",
            "{\"promotion\": {\"id\": \"p1\", \"offer\": {\"type\": \"percent_off\", \"percent\": \"ten\"}}}\r\n",
            "{\"kind\": \"promotion\", \"id\": \"p2\"}\n",
            "{\"coupon\": {}}\n",
            "not json\n",
            "{\"campaign\": {\"id\": \"bf\", \"kind\": \"normal\", \"status\": \"draft\"}}",
        );
        let file = read_rules(text.as_bytes(), RulesFormat::Ndjson, 100).unwrap();
        assert_eq!(places(&file), ["line 1", "line 7"]);
        let problems = problems(file);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].starts_with("line 3: offer"), "{problems:#?}");
        assert!(
            problems[1].starts_with("line 4: expected an object with one member"),
            "{problems:#?}"
        );
        assert!(
            problems[2].starts_with("line 5: unknown kind `coupon`"),
            "{problems:#?}"
        );
        assert!(
            problems[3].starts_with("line 6: malformed JSON at column 2"),
            "{problems:#?}"
        );
    }

    #[test]
    fn too_many_documents_are_refused_at_once() {
        let text = "{\"segment\": {\"id\": \"a\"}}\n{\"segment\": {\"id\": \"b\"}}\n";
        assert!(matches!(
            read_rules(text.as_bytes(), RulesFormat::Ndjson, 1),
            Err(ApiError::PayloadTooLarge(_))
        ));
        let text = r#"{"promotions": [{"id": "a"}, {"id": "b"}]}"#;
        assert!(matches!(
            read_rules(text.as_bytes(), RulesFormat::Rules, 1),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }

    #[test]
    fn only_more_than_a_hundred_problems_are_counted() {
        let lines: String = (0..150).map(|_| "[]\n").collect();
        let problems = problems(read_rules(lines.as_bytes(), RulesFormat::Ndjson, 1000).unwrap());
        assert_eq!(problems.len(), 101);
        assert!(problems[0].starts_with("line 1: "));
        assert!(problems[99].starts_with("line 100: "));
        assert_eq!(problems[100], ": and 50 more errors");
    }

    #[test]
    fn stated_settings_must_be_the_stores() {
        let settings = crate::documents::Settings::default();
        let stated = |json: Value| match json {
            Value::Object(map) => settings_problems(&map, &settings),
            _ => unreachable!("an object"),
        };
        // The same values, written otherwise (defaults, an empty object), agree.
        assert!(
            stated(
                serde_json::json!({"currency": "EUR", "semantics": {}, "prices_include_tax": true})
            )
            .is_empty()
        );
        let problems = stated(
            serde_json::json!({"currency": "USD", "reservation_minutes": 5, "strategy": "sideways"}),
        );
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["store.reservation_minutes", "store.strategy"]);
        let problems = stated(serde_json::json!({"currency": "USD", "time_zone": "Europe/Paris"}));
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["store.currency", "store.time_zone"]);
        assert!(
            problems[0]
                .message
                .starts_with("the store's is \"EUR\", this file's \"USD\"")
        );
    }
}
