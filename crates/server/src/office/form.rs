//! Form errors: what a screen shows next to each field, from its own checks or from the
//! checks a write goes through (the same as the management API's, with the same field paths).

use axum::response::Response;

use super::page::{Page, server_error};
use crate::problem::ApiError;

/// A form's errors: per field (its path, as the checks name it), and about the form as a whole.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub fields: Vec<(String, String)>,
    pub general: Vec<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.fields.push((field.to_owned(), message));
    }

    /// The first error of `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The errors of fields no input of the form shows (so that none is lost).
    pub fn others<'a>(&'a self, shown: &'a [&str]) -> impl Iterator<Item = &'a (String, String)> {
        self.fields
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
    }

    /// The errors a refused write carries, or the error page when the failure is not the
    /// input's (the store is down).
    pub fn from_api(page: &Page, error: ApiError) -> Result<FormErrors, Response> {
        let mut errors = FormErrors::default();
        match error {
            ApiError::Validation(problems) => {
                for problem in problems {
                    let message = super::i18n::problem(page.lang, &problem.message);
                    errors.fields.push((problem.field, message));
                }
            }
            ApiError::InvalidJson {
                field: Some(field),
                detail,
            } => {
                errors
                    .fields
                    .push((field, super::i18n::problem(page.lang, &detail)));
            }
            ApiError::Conflict(detail)
            | ApiError::NotFound(detail)
            | ApiError::InvalidJson { detail, .. }
            | ApiError::PreconditionFailed { detail, .. } => {
                errors
                    .general
                    .push(super::i18n::problem(page.lang, &detail));
            }
            other @ (ApiError::Internal(_) | ApiError::Unavailable(_)) => {
                return Err(server_error(&other));
            }
            other => errors.general.push(other.to_string()),
        }
        Ok(errors)
    }
}
