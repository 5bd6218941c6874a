use crate::Kind;

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no {kind} `{id}`", kind = kind_name(.kind))]
    NotFound { kind: String, id: String },
    #[error("a {kind} `{id}` already exists", kind = kind_name(.kind))]
    AlreadyExists { kind: String, id: String },
    #[error("{kind} `{id}` is at version {current}, not {expected}", kind = kind_name(.kind))]
    VersionMismatch {
        kind: String,
        id: String,
        expected: i64,
        current: i64,
    },
    /// A write checked against one revision found the store at another (another instance wrote
    /// in between): nothing was written.
    #[error(
        "the store changed while the documents were checked (revision {expected}, now {current}): nothing was written, try again"
    )]
    RevisionMoved { expected: i64, current: i64 },
    #[error("batch `{batch}` has {available} codes available to distribute, not {requested}")]
    NotEnoughCodes {
        batch: String,
        requested: u32,
        available: u64,
    },
    /// An operation the entity's state does not allow (approving a change request that is not
    /// pending, transferring a task that is done, giving a task to an inactive user): nothing
    /// changed. `action` and `state` come from small fixed vocabularies (the operations' and the
    /// states' names), so a caller can translate them.
    #[error("cannot {action} {kind} `{id}`: it is {state}", kind = kind_name(.kind))]
    WrongState {
        kind: String,
        id: String,
        action: &'static str,
        state: &'static str,
    },
    /// A change request's document changed after the request was made from it (another edit, or
    /// another request approved first): nothing was approved. A version of `None` means no such
    /// document (then: a new one; now: removed).
    #[error(
        "{kind} `{id}` changed since change request `{request}` was made from it ({}): nothing was approved",
        stale_versions(*.base_version, *.current_version),
        kind = kind_name(.kind)
    )]
    Stale {
        request: String,
        kind: String,
        id: String,
        base_version: Option<i64>,
        current_version: Option<i64>,
    },
    #[error("not a database URL (expected sqlite://PATH or postgres://…): `{0}`")]
    BadUrl(String),
    #[error("stored document {kind} `{id}` is not valid JSON: {message}")]
    Corrupt {
        kind: String,
        id: String,
        message: String,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

fn kind_name(kind: &str) -> String {
    kind.replace('_', " ")
}

fn stale_versions(base: Option<i64>, current: Option<i64>) -> String {
    let then = match base {
        Some(version) => format!("version {version} then"),
        None => "not there then".to_owned(),
    };
    let now = match current {
        Some(version) => format!("version {version} now"),
        None => "not there now".to_owned(),
    };
    format!("{then}, {now}")
}

impl Error {
    pub fn not_found(kind: Kind, id: &str) -> Error {
        Error::NotFound {
            kind: kind.as_str().to_owned(),
            id: id.to_owned(),
        }
    }

    pub fn already_exists(kind: Kind, id: &str) -> Error {
        Error::AlreadyExists {
            kind: kind.as_str().to_owned(),
            id: id.to_owned(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
