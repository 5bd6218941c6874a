//! Remise's persistence: what the server keeps, behind the [`Store`] trait, on SQLite (embedded, the
//! default) or PostgreSQL (several server instances sharing one database).
//!
//! # Layout
//! - this file: the stored shapes ([`Record`], [`Kind`], [`ApiKey`], [`AuditEntry`]), the
//!   [`Store`] trait and [`open`], which picks the backend from a URL;
//! - `sqlite`, `postgres`: one implementation each, same behaviour, one conformance suite
//!   (`tests/conformance.rs`);
//! - `migrations/{sqlite,postgres}`: versioned schema migrations, applied by [`Store::migrate`].
//!
//! The store is deliberately ignorant of pricing: every entity is a JSON document of a [`Kind`]
//! with an id, a version and timestamps. The server validates documents (with the engine's rule
//! format) before it writes them, and assembles them into a rule set for the engine.
//!
//! Invariants: every write runs in one transaction that also appends to the audit log and bumps the
//! store's revision, so a change is entirely there or not at all, and every server instance can see
//! that something changed by reading one number ([`Store::revision`]).

mod approvals;
mod codes;
mod error;
mod mail;
mod postgres;
mod sql;
mod sqlite;
mod tasks;
mod users;
mod vouchers;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use approvals::{
    Act, Approval, Approvals, ChangeRequest, ChangeRequestQuery, ProposedDocument, RequestState,
};
pub use codes::{
    Batch, BatchCounts, CodeState, Codes, Coupon, CouponQuery, PromotionLimits, Redemption,
    RedemptionState, Refusal, ReserveRequest, Usage, normalize_code, refusal,
};
pub use error::{Error, Result};
pub use mail::{
    DayCount, DistributeRequest, Distribution, Mail, MailState, MessageText, OutboxMessage,
    OutgoingMessage, RedemptionQuery, RelayCounts,
};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use tasks::{Attachment, Importance, NewTask, Task, TaskQuery, TaskState, Tasks, Transfer};
pub use users::{Role, Session, User, Users, normalize_email};
pub use vouchers::{Voucher, VoucherQuery, VoucherUsage, Vouchers, voucher_refusal};

/// What kind of entity a document is. Stored as its [`Kind::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The store settings: one document, id [`SETTINGS_ID`].
    Settings,
    Product,
    Segment,
    Selection,
    CustomerGroup,
    Campaign,
    Promotion,
    /// A partner or a person who hands codes on.
    Relay,
    /// A B2B customer offer with its commitments and discounts; its id is its code.
    Offer,
}

/// The id of the one settings document.
pub const SETTINGS_ID: &str = "store";

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Settings,
        Kind::Product,
        Kind::Segment,
        Kind::Selection,
        Kind::CustomerGroup,
        Kind::Campaign,
        Kind::Promotion,
        Kind::Relay,
        Kind::Offer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Product => "product",
            Kind::Segment => "segment",
            Kind::Selection => "selection",
            Kind::CustomerGroup => "customer_group",
            Kind::Campaign => "campaign",
            Kind::Promotion => "promotion",
            Kind::Relay => "relay",
            Kind::Offer => "offer",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Deleting a campaign, a promotion or an offer only marks it deleted: it can be restored for
    /// [`RESTORE_DAYS`] days, then [`Store::purge_deleted`] removes it. Other kinds are removed at once.
    pub fn soft_deleted(self) -> bool {
        matches!(self, Kind::Campaign | Kind::Promotion | Kind::Offer)
    }
}

/// How long a soft-deleted document can be restored.
pub const RESTORE_DAYS: i64 = 30;

/// Milliseconds since the Unix epoch (UTC). Stored as a 64-bit integer on both backends.
pub type Millis = i64;

/// One stored document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub kind: Kind,
    pub id: String,
    /// Starts at 1, grows by one with every change (update, delete, restore).
    pub version: i64,
    pub body: Value,
    /// An indexed copy of one field, for list filters: a promotion's campaign id.
    pub parent: Option<String>,
    /// An indexed copy of one field, for list filters: a campaign's status.
    pub status: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Set when soft-deleted.
    pub deleted_at: Option<Millis>,
}

/// A document to write: its id, body and the indexed fields the caller extracted from the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub body: Value,
    pub parent: Option<String>,
    pub status: Option<String>,
}

/// A document to write whose body is already JSON text: what a bulk upsert ([`Upsert`]) takes, so
/// that a caller writing many documents renders each one where it makes it, without building a
/// `Value` for it. The text is always JSON: made from a [`Draft`], or by [`TextDraft::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextDraft {
    pub id: String,
    body: String,
    pub parent: Option<String>,
    pub status: Option<String>,
}

impl TextDraft {
    /// `body` serialized as JSON (object keys in the order it serializes them: the store
    /// compares bodies as JSON values, not as text).
    pub fn new(
        id: String,
        body: &impl Serialize,
        parent: Option<String>,
        status: Option<String>,
    ) -> serde_json::Result<TextDraft> {
        Ok(TextDraft {
            id,
            body: serde_json::to_string(body)?,
            parent,
            status,
        })
    }

    /// The body's JSON text.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl From<Draft> for TextDraft {
    fn from(draft: Draft) -> TextDraft {
        TextDraft {
            id: draft.id,
            body: draft.body.to_string(),
            parent: draft.parent,
            status: draft.status,
        }
    }
}

/// Who made a change, for the audit log: an API key's name, `cli`, `demo`, `system`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// Which documents a list returns, in id order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    /// `false`: live documents only; `true`: soft-deleted ones only.
    pub deleted: bool,
    /// Only documents with this `parent`.
    pub parent: Option<String>,
    /// Only documents with this `status`.
    pub status: Option<String>,
    /// Only documents whose id sorts after this one (the previous page's last id).
    pub after: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: u32,
}

/// The result of a bulk upsert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UpsertSummary {
    pub created: u64,
    pub updated: u64,
    /// Documents sent with exactly the stored body: not written, not audited.
    pub unchanged: u64,
}

/// What changed in the store after a revision ([`Store::changes_since`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeLog {
    /// Every document changed after that revision, up to `revision`, each as it is now.
    Changes {
        revision: i64,
        documents: Vec<ChangedDocument>,
    },
    /// More changed than asked for, or some changes predate the change log: load everything.
    Reload,
}

/// A document of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedDocument {
    pub kind: Kind,
    pub id: String,
    /// As stored now; `None` when it was removed or soft-deleted.
    pub record: Option<Record>,
}

/// What a bulk upsert did, or would do, to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    /// Replaced; also a soft-deleted document brought back with the new body.
    Updated,
    /// Sent with exactly the stored body of a live document: not written, not audited.
    Unchanged,
}

/// What [`Store::upsert_documents`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertReport {
    /// Each document's outcome and stored creation time, in the order given.
    pub documents: Vec<Upserted>,
    /// The store's revision once written (as before when nothing was written).
    pub revision: i64,
}

/// What [`Store::upsert_documents`] did to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upserted {
    pub outcome: Outcome,
    /// The document's `created_at` as stored: the write's time for a created one, the stored one
    /// otherwise (a document that is replaced keeps it).
    pub created_at: Millis,
}

impl FromIterator<Outcome> for UpsertSummary {
    fn from_iter<I: IntoIterator<Item = Outcome>>(outcomes: I) -> UpsertSummary {
        let mut summary = UpsertSummary::default();
        for outcome in outcomes {
            match outcome {
                Outcome::Created => summary.created += 1,
                Outcome::Updated => summary.updated += 1,
                Outcome::Unchanged => summary.unchanged += 1,
            }
        }
        summary
    }
}

/// What a change did, as written in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Restore,
    Purge,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::Purge => "purge",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        [
            Action::Create,
            Action::Update,
            Action::Delete,
            Action::Restore,
            Action::Purge,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// One line of the audit log. `entity` is a [`Kind`] name or `api_key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increasing; pages of the log follow it.
    pub seq: i64,
    pub at: Millis,
    pub actor: String,
    pub action: Action,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Which audit entries to return, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Only entries with a `seq` below this one (the previous page's last seq).
    pub before_seq: Option<i64>,
    pub limit: u32,
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Evaluate carts and read prices, badges and landing pages.
    Storefront,
    /// Everything.
    Management,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Storefront => "storefront",
            Scope::Management => "management",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "storefront" => Some(Scope::Storefront),
            "management" => Some(Scope::Management),
            _ => None,
        }
    }
}

/// A stored API key: never the secret, only its SHA-256 hash and a prefix to recognise it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    /// The first characters of the secret, shown in lists.
    pub prefix: String,
    #[serde(skip)]
    pub hash: String,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A bulk upsert under way ([`Store::begin_upsert`]): one transaction, fed chunk by chunk.
/// Nothing is visible to readers before [`Upsert::commit`]; dropped without a commit (an error
/// found late in an import), everything it wrote is rolled back.
#[async_trait]
pub trait Upsert: Send {
    /// Writes `drafts` in order; bodies equal to the stored one are skipped. An id seen before,
    /// in this chunk or an earlier one, is compared with what was written then, as if the
    /// documents were upserted one by one.
    async fn write(&mut self, drafts: &[TextDraft]) -> Result<()>;

    /// The store's revision as this transaction sees it: before any write, the revision the
    /// store is at (it cannot move while the upsert holds the write lock, so a caller that
    /// checked documents at a revision compares it first); after writes, the one they commit.
    async fn revision(&mut self) -> Result<i64>;

    /// Commits every chunk, bumping the revision once if anything was written, and says what was
    /// done.
    async fn commit(self: Box<Self>) -> Result<UpsertSummary>;
}

/// Persistence for the server. Both backends pass `tests/conformance.rs`.
///
/// Errors: [`Error::NotFound`], [`Error::AlreadyExists`], [`Error::VersionMismatch`] (with the
/// current version) are the caller's to report; [`Error::Database`] is an outage.
#[async_trait]
pub trait Store:
    Approvals + Codes + Mail + Tasks + Users + Vouchers + Send + Sync + 'static
{
    /// Applies the pending migrations of this backend (idempotent).
    async fn migrate(&self) -> Result<()>;

    /// A cheap round trip, for `/health`.
    async fn ping(&self) -> Result<()>;

    /// A number that grows with every committed change to documents. Instances compare it to
    /// the one their snapshot was built from.
    async fn revision(&self) -> Result<i64>;

    /// One document, soft-deleted or not.
    async fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>>;

    /// The documents of `kind` with these ids, soft-deleted or not, in id order (unknown ids
    /// are left out), read in one consistent read: a page of a list the server filtered in
    /// memory.
    async fn get_many(&self, kind: Kind, ids: &[String]) -> Result<Vec<Record>>;

    /// A page of documents of one kind, in id order.
    async fn list(&self, kind: Kind, query: &ListQuery) -> Result<Vec<Record>>;

    /// Every live (not deleted) document of every kind, with the revision they were read at, in
    /// one consistent read: what a snapshot is built from.
    async fn load_all(&self) -> Result<(i64, Vec<Record>)>;

    /// The documents changed after revision `since`, as they are now, read in one consistent
    /// read; [`ChangeLog::Reload`] when more than `max` changed. How an instance follows the
    /// others without reloading the store.
    async fn changes_since(&self, since: i64, max: u32) -> Result<ChangeLog>;

    /// Creates a document at version 1. A document with that kind and id, even soft-deleted,
    /// gives [`Error::AlreadyExists`].
    async fn create(&self, actor: &Actor, kind: Kind, draft: Draft) -> Result<Record>;

    /// Replaces a live document's body if its version is `expected_version`.
    async fn update(
        &self,
        actor: &Actor,
        kind: Kind,
        draft: Draft,
        expected_version: i64,
    ) -> Result<Record>;

    /// Creates or replaces many documents in one transaction; bodies equal to the stored one are
    /// skipped. Either all are written or none.
    async fn upsert_many(
        &self,
        actor: &Actor,
        kind: Kind,
        drafts: Vec<Draft>,
    ) -> Result<UpsertSummary> {
        let drafts: Vec<TextDraft> = drafts.into_iter().map(TextDraft::from).collect();
        let mut upsert = self.begin_upsert(actor, kind).await?;
        upsert.write(&drafts).await?;
        upsert.commit().await
    }

    /// Starts creating or replacing documents of `kind` in one transaction, fed in chunks (an
    /// import too large to hold whole): see [`Upsert`]. It holds the store's write lock until it
    /// is committed or dropped (SQLite: the one writer connection; PostgreSQL: the writers' lock
    /// on the revision), so feed it without waiting on anything slow.
    async fn begin_upsert(&self, actor: &Actor, kind: Kind) -> Result<Box<dyn Upsert>>;

    /// Creates or replaces documents of any kinds in one transaction, in order, as
    /// [`Store::upsert_many`] does for one kind: a body equal to a live document's is neither
    /// written nor audited, every other gets one audit entry, and the revision moves once if
    /// anything was written. Returns each document's outcome and creation time, in order, and the
    /// revision the store is at once written (what the caller needs to publish what it wrote
    /// without reading it back). With `at_revision`,
    /// nothing is written unless the store is still at that revision (the caller checked the
    /// documents against it): [`Error::RevisionMoved`]. Either all are written or none.
    async fn upsert_documents(
        &self,
        actor: &Actor,
        documents: Vec<(Kind, Draft)>,
        at_revision: Option<i64>,
    ) -> Result<UpsertReport>;

    /// What [`Store::upsert_documents`] would do to each document now, in order, without writing.
    async fn compare_documents(&self, documents: &[(Kind, Draft)]) -> Result<Vec<Outcome>>;

    /// Deletes a live document if its version is `expected_version`: soft for kinds where
    /// [`Kind::soft_deleted`], otherwise removed. Returns the document as it was at deletion.
    async fn delete(
        &self,
        actor: &Actor,
        kind: Kind,
        id: &str,
        expected_version: i64,
    ) -> Result<Record>;

    /// Brings back a soft-deleted document (a new version). [`Error::NotFound`] when there is no
    /// soft-deleted document with that id.
    async fn restore(&self, actor: &Actor, kind: Kind, id: &str) -> Result<Record>;

    /// Brings back several soft-deleted documents in one transaction, in the order given (each
    /// a new version, one audit entry each, one revision for all). All or nothing: an id that is
    /// not a soft-deleted document of `kind` (or is repeated) is [`Error::NotFound`] naming it,
    /// and none is restored.
    async fn restore_many(&self, actor: &Actor, kind: Kind, ids: &[String]) -> Result<Vec<Record>>;

    /// Removes documents soft-deleted before `deleted_before`; returns how many.
    async fn purge_deleted(&self, deleted_before: Millis) -> Result<u64>;

    /// Audit entries, newest first.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;

    /// Stores a new key (the caller made the secret and its hash).
    async fn create_api_key(&self, actor: &Actor, key: &ApiKey) -> Result<()>;

    /// The key with this hash, revoked or not.
    async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKey>>;

    /// Every key, revoked ones included, oldest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKey>>;

    /// Marks a key revoked; [`Error::NotFound`] when unknown or already revoked.
    async fn revoke_api_key(&self, actor: &Actor, id: &str) -> Result<ApiKey>;
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://…`. Does not
/// migrate.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(std::sync::Arc::new(
            SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    } else {
        Err(Error::BadUrl(url.to_owned()))
    }
}

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    jiff::Timestamp::now().as_millisecond()
}
