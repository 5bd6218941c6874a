//! The engine's one error type. Business outcomes (a promotion that does not apply) are never errors:
//! they come back in the quote. Errors are for input that cannot be read or does not make sense.

use std::fmt;

/// One problem in a rule file or a request, with the path of the offending field
/// (`promotions[3].offer.percent`) or a position (`line 4, column 7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid rules ({n} errors):\n{0}", n = .0.0.len())]
    InvalidRules(FieldErrors),
    #[error("invalid request ({n} errors):\n{0}", n = .0.0.len())]
    InvalidRequest(FieldErrors),
}

impl Error {
    pub fn errors(&self) -> &[FieldError] {
        match self {
            Error::InvalidRules(errors) | Error::InvalidRequest(errors) => &errors.0,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
