//! `/office/catalog/import`: a catalog file (CSV or JSON) is uploaded, checked in a dry run
//! whose counts and errors by line the job's page shows, then applied, all or nothing. The file
//! is read by the API's import code (`catalog_file`): the same columns, checks and messages.
//!
//! The upload is `multipart/form-data`, which the guard does not read: the form carries its
//! CSRF token in its action's query (`?csrf=…`).

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remise_store::UpsertSummary;

use super::import_jobs::{ImportJob, Outcome, Phase, Refused};
use super::import_messages::{line_number, message, place, split_field};
use crate::AppState;
use crate::catalog_file::FileFormat;
use crate::office::catalog_structure::CatalogTab;
use crate::office::page::{Page, error_page, render, server_error};
use crate::office::session::{OfficeUser, see_other};

#[derive(Template)]
#[template(path = "office/products/import.html")]
struct ImportForm<'a> {
    page: &'a Page,
    error: Option<String>,
}

fn form_page(page: &Page, status: StatusCode, error: Option<String>) -> Response {
    render(status, &ImportForm { page, error })
}

pub async fn form(page: Page) -> Response {
    form_page(&page, StatusCode::OK, None)
}

/// A problem of the file, as the job's page lists it.
struct ProblemRow {
    /// `line 12` in the page's language, or a JSON path.
    place: String,
    /// The line, for sorting and for people who scan for it; none for JSON paths.
    line: Option<u64>,
    column: String,
    message: String,
}

/// The job as its page shows it.
struct JobView {
    id: String,
    file_name: String,
    format: &'static str,
    size: String,
    /// Still running: the page polls.
    running: bool,
    /// The running phase's label and progress.
    progress: Option<(String, u64)>,
    /// The dry run's or the import's counts.
    summary: Option<UpsertSummary>,
    /// The counts are those of the import (not of the dry run).
    applied: bool,
    /// The dry run found changes to apply.
    can_apply: bool,
    problems: Vec<ProblemRow>,
    general: Vec<String>,
    failed: bool,
}

#[derive(Template)]
#[template(path = "office/products/job.html")]
struct JobPage<'a> {
    page: &'a Page,
    job: JobView,
}

#[derive(Template)]
#[template(path = "office/products/job_state.html")]
struct JobFragment<'a> {
    page: &'a Page,
    job: JobView,
}

/// Receives the file and starts its dry run; 303 to the job's page.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let missing = || {
        form_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(page.t("products-import-no-file")),
        )
    };
    let Ok(mut multipart) = multipart else {
        return missing();
    };
    let mut upload = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let content_type = field.content_type().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(bytes) => upload = Some((name, content_type, bytes)),
                    Err(error) => return unreadable(&page, &error),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(error) => return unreadable(&page, &error),
        }
    }
    let Some((name, content_type, bytes)) = upload.filter(|(_, _, b)| !b.is_empty()) else {
        return missing();
    };
    let format = detect(&name, &content_type, &bytes);
    match state
        .office_catalog
        .imports
        .start(&state, &user, name, format, bytes)
    {
        Ok(job) => see_other(&format!("/office/catalog/import/{}", job.id)),
        Err(error) => server_error(&error),
    }
}

/// A body that could not be read: too large (413), or cut short or malformed (400).
fn unreadable(page: &Page, error: &axum::extract::multipart::MultipartError) -> Response {
    let status = error.status();
    let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "products-import-too-large"
    } else {
        "products-import-unreadable"
    };
    let status = if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    form_page(page, status, Some(page.t(key)))
}

/// The file's format: by its name, else its declared type, else its first character (JSON
/// starts with `[` or `{`, a CSV file with its header).
fn detect(name: &str, content_type: &str, bytes: &[u8]) -> FileFormat {
    let name = name.to_ascii_lowercase();
    if name.ends_with(".json") || content_type.contains("json") {
        return FileFormat::Json;
    }
    if name.ends_with(".csv") || content_type.contains("csv") {
        return FileFormat::Csv;
    }
    let first = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[' | b'{') => FileFormat::Json,
        _ => FileFormat::Csv,
    }
}

/// The job's page (or, for htmx's poll, its state alone).
pub async fn status(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = state.office_catalog.imports.get(&id, &user) else {
        return not_found(&page);
    };
    let view = view(&page, &job);
    if headers.contains_key("hx-request") {
        render(
            StatusCode::OK,
            &JobFragment {
                page: &page,
                job: view,
            },
        )
    } else {
        render(
            StatusCode::OK,
            &JobPage {
                page: &page,
                job: view,
            },
        )
    }
}

/// Applies a job whose dry run found no problem; 303 to its page, which follows the import.
pub async fn apply(
    State(state): State<Arc<AppState>>,
    page: Page,
    user: OfficeUser,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = state.office_catalog.imports.get(&id, &user) else {
        return not_found(&page);
    };
    let location = format!("/office/catalog/import/{}", job.id);
    match state.office_catalog.imports.apply(&state, &user, &job) {
        Ok(()) => see_other(&location),
        // Applied already, or not checked clean: the page says where the job is.
        Err(_) => render(
            StatusCode::CONFLICT,
            &JobPage {
                page: &page,
                job: JobView {
                    general: vec![page.t("products-import-not-applicable")],
                    ..view(&page, &job)
                },
            },
        ),
    }
}

fn not_found(page: &Page) -> Response {
    error_page(
        page,
        StatusCode::NOT_FOUND,
        "products-import-job-not-found-title",
        "products-import-job-not-found",
    )
}

fn view(page: &Page, job: &ImportJob) -> JobView {
    let mut view = JobView {
        id: job.id.clone(),
        file_name: job.file_name.clone(),
        format: match job.format {
            FileFormat::Csv => "CSV",
            FileFormat::Json => "JSON",
        },
        size: size(page, job.size),
        running: false,
        progress: None,
        summary: None,
        applied: false,
        can_apply: false,
        problems: Vec::new(),
        general: Vec::new(),
        failed: false,
    };
    let (outcome, applied) = match job.phase() {
        Phase::Checking => {
            view.running = true;
            view.progress = Some((page.t("products-import-checking"), job.percent()));
            return view;
        }
        Phase::Applying => {
            view.running = true;
            let percent = job.percent();
            // Read whole, the rows are being committed and the catalog published.
            let label = if percent == 100 {
                page.t("products-import-publishing")
            } else {
                page.t("products-import-applying")
            };
            view.progress = Some((label, percent));
            return view;
        }
        Phase::Checked(outcome) => (outcome, false),
        Phase::Applied(outcome) => (outcome, true),
    };
    view.applied = applied;
    match outcome {
        Outcome::Done(summary) => {
            view.can_apply = !applied && summary.created + summary.updated > 0;
            view.summary = Some(summary);
        }
        Outcome::Refused(refused) => refusal(page, refused, &mut view),
    }
    view
}

fn refusal(page: &Page, refused: Refused, view: &mut JobView) {
    view.failed = refused.failed;
    view.general = refused
        .general
        .iter()
        .map(|m| message(page.lang, m))
        .collect();
    for problem in refused.rows {
        let (at, column) = split_field(&problem.field);
        if at.is_empty() {
            // A problem of no row: the count of those not listed.
            view.general.push(message(page.lang, &problem.message));
            continue;
        }
        view.problems.push(ProblemRow {
            place: place(page.lang, at),
            line: problem.line.or_else(|| line_number(at)),
            column: column.to_owned(),
            message: message(page.lang, &problem.message),
        });
    }
}

/// A file size in the locale (`1,5 Mo`, `1.5 MB`).
fn size(page: &Page, bytes: u64) -> String {
    let (value, unit) = if bytes >= 1024 * 1024 {
        (bytes * 10 / (1024 * 1024), "products-size-mb")
    } else if bytes >= 1024 {
        (bytes * 10 / 1024, "products-size-kb")
    } else {
        return page.t1("products-size-bytes", "value", bytes);
    };
    let separator = match page.lang {
        crate::office::i18n::Lang::Fr => ',',
        crate::office::i18n::Lang::En => '.',
    };
    let number = format!("{}{separator}{}", value / 10, value % 10);
    page.t1(unit, "value", number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_name_type_or_content() {
        assert_eq!(detect("catalog.JSON", "", b"sku"), FileFormat::Json);
        assert_eq!(detect("x", "application/json", b"sku"), FileFormat::Json);
        assert_eq!(detect("catalog.csv", "", b"[1]"), FileFormat::Csv);
        assert_eq!(
            detect("export", "", b"\xEF\xBB\xBF  [{}]"),
            FileFormat::Json
        );
        assert_eq!(detect("export", "", b"sku;price"), FileFormat::Csv);
    }
}
