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
