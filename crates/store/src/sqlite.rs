//! The embedded backend: one SQLite file in WAL mode.
//!
//! Writes go through a pool of one connection, so writers of this process queue in order rather
//! than spin on SQLite's busy handler; each write transaction starts with `BEGIN IMMEDIATE`, so it
//! holds the file's write lock from its first statement and never fails half-way on a lock upgrade
//! (another process, such as the CLI, may write the same file: the 5 s busy timeout covers it).
//! Reads use a separate small pool and run alongside the writer, as WAL allows.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::sql::{self, Conn, codes, lookups, mail, many, stream, users, vouchers};
use crate::{
    Actor, ApiKey, AuditEntry, AuditQuery, Batch, BatchCounts, ChangeLog, CodeState, Codes, Coupon,
    CouponQuery, DayCount, DistributeRequest, Distribution, Draft, Kind, ListQuery, Mail,
    MailState, Millis, OutboxMessage, Outcome, OutgoingMessage, Record, Redemption,
    RedemptionQuery, Refusal, RelayCounts, ReserveRequest, Result, Store, Upsert, UpsertReport,
    UpsertSummary, Usage, Voucher, VoucherQuery, VoucherUsage, Vouchers, now_millis,
};
use crate::{Role, Session, User, Users};
use rust_decimal::Decimal;

// Change requests and tasks, in their own file; a child module, so it reaches this one's
// transactions.
#[path = "sqlite_team.rs"]
mod team;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Readers: a few, on a 2-core machine more would only contend.
const READERS: u32 = 4;

/// A [`Store`] in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path`. Does not migrate.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL is still safe against corruption; a power loss may only lose
            // the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // A bulk upsert grows the WAL to tens of megabytes; past this size it is truncated
            // once checkpointed, instead of staying that large on disk.
            .pragma("journal_size_limit", "67108864");
        // The writer first: it creates the file and switches it to WAL before readers connect.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A bulk upsert holds the writer for seconds; queued writers wait for it.
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.writer).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn revision(&self) -> Result<i64> {
        let mut conn = self.reader.acquire().await?;
        sql::revision(&mut Conn::Sqlite(&mut conn)).await
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>> {
        let mut conn = self.reader.acquire().await?;
        sql::get(&mut Conn::Sqlite(&mut conn), kind, id).await
    }

    async fn get_many(&self, kind: Kind, ids: &[String]) -> Result<Vec<Record>> {
        // One snapshot for every chunk of ids.
        let mut tx = self.reader.begin().await?;
        let records = many::get_many(&mut Conn::Sqlite(&mut tx), kind, ids).await?;
        tx.commit().await?;
        Ok(records)
    }

    async fn list(&self, kind: Kind, query: &ListQuery) -> Result<Vec<Record>> {
        let mut conn = self.reader.acquire().await?;
        sql::list(&mut Conn::Sqlite(&mut conn), kind, query).await
    }

    async fn load_all(&self) -> Result<(i64, Vec<Record>)> {
        // A (deferred) read transaction reads one WAL snapshot from its first statement on.
        let mut tx = self.reader.begin().await?;
        let all = sql::load_all(&mut Conn::Sqlite(&mut tx)).await?;
        tx.commit().await?;
        Ok(all)
    }

    async fn changes_since(&self, since: i64, max: u32) -> Result<ChangeLog> {
        let mut tx = self.reader.begin().await?;
        let changes = sql::changes_since(&mut Conn::Sqlite(&mut tx), since, max).await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn create(&self, actor: &Actor, kind: Kind, draft: Draft) -> Result<Record> {
        let mut tx = self.write().await?;
        let record =
            sql::create(&mut Conn::Sqlite(&mut tx), actor, kind, draft, now_millis()).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn update(
        &self,
        actor: &Actor,
        kind: Kind,
        draft: Draft,
        expected_version: i64,
    ) -> Result<Record> {
        let mut tx = self.write().await?;
        let record = sql::update(
            &mut Conn::Sqlite(&mut tx),
            actor,
            kind,
            draft,
            expected_version,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn upsert_many(
        &self,
        actor: &Actor,
        kind: Kind,
        drafts: Vec<Draft>,
    ) -> Result<UpsertSummary> {
        let mut tx = self.write().await?;
        let summary = sql::upsert::upsert_many(
            &mut Conn::Sqlite(&mut tx),
            actor,
            kind,
            drafts,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn begin_upsert(&self, actor: &Actor, kind: Kind) -> Result<Box<dyn Upsert>> {
        let tx = self.write().await?;
        let upserting = stream::Upserting::new(actor, kind, now_millis());
        Ok(Box::new(stream::InTransaction::new(tx, upserting)))
    }

    async fn upsert_documents(
        &self,
        actor: &Actor,
        documents: Vec<(Kind, Draft)>,
        at_revision: Option<i64>,
    ) -> Result<UpsertReport> {
        let mut tx = self.write().await?;
        let report = sql::upsert::upsert_documents(
            &mut Conn::Sqlite(&mut tx),
            actor,
            &documents,
            at_revision,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn compare_documents(&self, documents: &[(Kind, Draft)]) -> Result<Vec<Outcome>> {
        // A (deferred) read transaction reads one WAL snapshot from its first statement on.
        let mut tx = self.reader.begin().await?;
        let outcomes =
            sql::upsert::compare_documents(&mut Conn::Sqlite(&mut tx), documents).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn delete(
        &self,
        actor: &Actor,
        kind: Kind,
        id: &str,
        expected_version: i64,
    ) -> Result<Record> {
        let mut tx = self.write().await?;
        let record = sql::delete(
            &mut Conn::Sqlite(&mut tx),
            actor,
            kind,
            id,
            expected_version,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn restore(&self, actor: &Actor, kind: Kind, id: &str) -> Result<Record> {
        let mut tx = self.write().await?;
        let record =
            sql::restore(&mut Conn::Sqlite(&mut tx), actor, kind, id, now_millis()).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn restore_many(&self, actor: &Actor, kind: Kind, ids: &[String]) -> Result<Vec<Record>> {
        let mut tx = self.write().await?;
        let records =
            many::restore_many(&mut Conn::Sqlite(&mut tx), actor, kind, ids, now_millis()).await?;
        tx.commit().await?;
        Ok(records)
    }

    async fn purge_deleted(&self, deleted_before: Millis) -> Result<u64> {
        let mut tx = self.write().await?;
        let count =
            sql::purge_deleted(&mut Conn::Sqlite(&mut tx), deleted_before, now_millis()).await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut conn = self.reader.acquire().await?;
        sql::audit(&mut Conn::Sqlite(&mut conn), query).await
    }

    async fn create_api_key(&self, actor: &Actor, key: &ApiKey) -> Result<()> {
        let mut tx = self.write().await?;
        sql::create_api_key(&mut Conn::Sqlite(&mut tx), actor, key, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKey>> {
        let mut conn = self.reader.acquire().await?;
        sql::find_api_key(&mut Conn::Sqlite(&mut conn), hash).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
        let mut conn = self.reader.acquire().await?;
        sql::list_api_keys(&mut Conn::Sqlite(&mut conn)).await
    }

    async fn revoke_api_key(&self, actor: &Actor, id: &str) -> Result<ApiKey> {
        let mut tx = self.write().await?;
        let key = sql::revoke_api_key(&mut Conn::Sqlite(&mut tx), actor, id, now_millis()).await?;
        tx.commit().await?;
        Ok(key)
    }
}

/// Codes: reads on the readers, every write in the writer's `BEGIN IMMEDIATE` transaction, which
/// serialises them with all other writers of the file (see the module docs), so a reservation's
/// counts cannot change before it commits.
#[async_trait]
impl Codes for SqliteStore {
    async fn create_coupon(&self, actor: &Actor, coupon: &Coupon) -> Result<()> {
        let mut tx = self.write().await?;
        codes::create_coupon(&mut Conn::Sqlite(&mut tx), actor, coupon, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_coupon(&self, code: &str) -> Result<Option<Coupon>> {
        let mut conn = self.reader.acquire().await?;
        codes::get_coupon(&mut Conn::Sqlite(&mut conn), code).await
    }

    async fn list_coupons(&self, query: &CouponQuery) -> Result<Vec<Coupon>> {
        let mut conn = self.reader.acquire().await?;
        codes::list_coupons(&mut Conn::Sqlite(&mut conn), query).await
    }

    async fn set_coupon_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
        relay: Option<&str>,
    ) -> Result<Coupon> {
        let mut tx = self.write().await?;
        let coupon = codes::set_coupon_state(
            &mut Conn::Sqlite(&mut tx),
            actor,
            code,
            state,
            relay,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(coupon)
    }

    async fn create_batch(&self, actor: &Actor, batch: &Batch) -> Result<()> {
        let mut tx = self.write().await?;
        codes::create_batch(&mut Conn::Sqlite(&mut tx), actor, batch, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_batch(&self, id: &str) -> Result<Option<Batch>> {
        let mut conn = self.reader.acquire().await?;
        codes::get_batch(&mut Conn::Sqlite(&mut conn), id).await
    }

    async fn list_batches(&self) -> Result<Vec<Batch>> {
        let mut conn = self.reader.acquire().await?;
        codes::list_batches(&mut Conn::Sqlite(&mut conn)).await
    }

    async fn set_batch_quota(&self, actor: &Actor, id: &str, quota: u32) -> Result<Batch> {
        let mut tx = self.write().await?;
        let batch =
            codes::set_batch_quota(&mut Conn::Sqlite(&mut tx), actor, id, quota, now_millis())
                .await?;
        tx.commit().await?;
        Ok(batch)
    }

    async fn add_batch_codes(
        &self,
        actor: &Actor,
        batch: &str,
        codes: &[(String, String)],
    ) -> Result<u64> {
        let mut tx = self.write().await?;
        let added = codes::add_batch_codes(
            &mut Conn::Sqlite(&mut tx),
            actor,
            batch,
            codes,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn disable_unused(&self, actor: &Actor, batch: &str, count: u64) -> Result<u64> {
        let mut tx = self.write().await?;
        let disabled = codes::disable_unused(
            &mut Conn::Sqlite(&mut tx),
            actor,
            batch,
            count,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(disabled)
    }

    async fn batch_counts(&self, batch: &str, now: Millis) -> Result<BatchCounts> {
        // One snapshot for the two counting queries.
        let mut tx = self.reader.begin().await?;
        let counts = codes::batch_counts(&mut Conn::Sqlite(&mut tx), batch, now).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn reserve(
        &self,
        request: &ReserveRequest,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.write().await?;
        let answer = codes::reserve(&mut Conn::Sqlite(&mut tx), request).await?;
        // A refusal wrote nothing: committing it is as cheap as rolling it back.
        tx.commit().await?;
        Ok(answer)
    }

    async fn confirm(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.write().await?;
        let answer = codes::confirm(&mut Conn::Sqlite(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn cancel(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.write().await?;
        let answer = codes::cancel(&mut Conn::Sqlite(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn get_redemption(&self, id: &str) -> Result<Option<Redemption>> {
        let mut conn = self.reader.acquire().await?;
        codes::get_redemption(&mut Conn::Sqlite(&mut conn), id).await
    }

    async fn expire_reservations(&self, now: Millis) -> Result<u64> {
        let mut tx = self.write().await?;
        let expired = codes::expire_reservations(&mut Conn::Sqlite(&mut tx), now).await?;
        tx.commit().await?;
        Ok(expired)
    }

    async fn record_failed_lookup(&self, subjects: &[String], window: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        lookups::record(&mut Conn::Sqlite(&mut tx), subjects, window).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn failed_lookups(&self, subjects: &[String], window: Millis) -> Result<u32> {
        let mut conn = self.reader.acquire().await?;
        lookups::most(&mut Conn::Sqlite(&mut conn), subjects, window).await
    }

    async fn forget_failed_lookups(&self, before: Millis) -> Result<u64> {
        let mut tx = self.write().await?;
        let forgotten = lookups::forget(&mut Conn::Sqlite(&mut tx), before).await?;
        tx.commit().await?;
        Ok(forgotten)
    }

    async fn code_usage(&self, code: &str, customer: Option<&str>, now: Millis) -> Result<Usage> {
        let mut tx = self.reader.begin().await?;
        let usage = codes::code_usage(&mut Conn::Sqlite(&mut tx), code, customer, now).await?;
        tx.commit().await?;
        Ok(usage)
    }

    async fn promotion_usage(
        &self,
        promotion: &str,
        customer: Option<&str>,
        now: Millis,
    ) -> Result<Usage> {
        let mut tx = self.reader.begin().await?;
        let usage =
            codes::promotion_usage(&mut Conn::Sqlite(&mut tx), promotion, customer, now).await?;
        tx.commit().await?;
        Ok(usage)
    }
}

/// Vouchers: reads on the readers, writes in the writer's `BEGIN IMMEDIATE` transaction (see `sql_vouchers.rs` for the locks).
#[async_trait]
impl Vouchers for SqliteStore {
    async fn create_voucher(&self, actor: &Actor, voucher: &Voucher) -> Result<()> {
        let mut tx = self.write().await?;
        vouchers::create_voucher(&mut Conn::Sqlite(&mut tx), actor, voucher, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_voucher(&self, code: &str) -> Result<Option<Voucher>> {
        let mut conn = self.reader.acquire().await?;
        vouchers::get_voucher(&mut Conn::Sqlite(&mut conn), code).await
    }

    async fn list_vouchers(&self, query: &VoucherQuery) -> Result<Vec<Voucher>> {
        let mut conn = self.reader.acquire().await?;
        vouchers::list_vouchers(&mut Conn::Sqlite(&mut conn), query).await
    }

    async fn set_voucher_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
    ) -> Result<Voucher> {
        let mut tx = self.write().await?;
        let voucher = vouchers::set_voucher_state(
            &mut Conn::Sqlite(&mut tx),
            actor,
            code,
            state,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(voucher)
    }

    async fn voucher_usage(&self, code: &str, now: Millis) -> Result<VoucherUsage> {
        // One snapshot for the voucher and its redemptions.
        let mut tx = self.reader.begin().await?;
        let usage = vouchers::voucher_usage(&mut Conn::Sqlite(&mut tx), code, now).await?;
        tx.commit().await?;
        Ok(usage)
    }

    async fn reserve_voucher(
        &self,
        request: &ReserveRequest,
        amount: Decimal,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.write().await?;
        let answer = vouchers::reserve_voucher(&mut Conn::Sqlite(&mut tx), request, amount).await?;
        // A refusal wrote nothing.
        tx.commit().await?;
        Ok(answer)
    }
}

/// Distributions and the outbox: reads on the readers, every write in the writer's
/// `BEGIN IMMEDIATE` transaction, which serialises them with all other writers of the file (see
/// the module docs): a distribution's codes, and a claimed message, are no one else's.
#[async_trait]
impl Mail for SqliteStore {
    async fn distribute(&self, actor: &Actor, request: &DistributeRequest) -> Result<Distribution> {
        let mut tx = self.write().await?;
        let distribution = mail::distribute(&mut Conn::Sqlite(&mut tx), actor, request).await?;
        tx.commit().await?;
        Ok(distribution)
    }

    async fn get_distribution(&self, id: &str) -> Result<Option<Distribution>> {
        let mut conn = self.reader.acquire().await?;
        mail::get_distribution(&mut Conn::Sqlite(&mut conn), id).await
    }

    async fn list_distributions(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<Distribution>> {
        let mut conn = self.reader.acquire().await?;
        mail::list_distributions(&mut Conn::Sqlite(&mut conn), batch, relay).await
    }

    async fn distribution_codes(&self, id: &str) -> Result<Vec<String>> {
        // One snapshot for the distribution and its codes.
        let mut tx = self.reader.begin().await?;
        let codes = mail::distribution_codes(&mut Conn::Sqlite(&mut tx), id).await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn queue_message(&self, message: &OutgoingMessage, now: Millis) -> Result<OutboxMessage> {
        let mut tx = self.write().await?;
        let queued = mail::queue_message(&mut Conn::Sqlite(&mut tx), message, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn claim_mail(&self, now: Millis, lease_until: Millis) -> Result<Option<OutboxMessage>> {
        let mut tx = self.write().await?;
        let message = mail::claim_mail(&mut Conn::Sqlite(&mut tx), now, lease_until).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn mail_sent(&self, id: &str, now: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        mail::mail_sent(&mut Conn::Sqlite(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mail_failed(&self, id: &str, error: &str, retry_at: Option<Millis>) -> Result<()> {
        let mut tx = self.write().await?;
        mail::mail_failed(&mut Conn::Sqlite(&mut tx), id, error, retry_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retry_mail(&self, id: &str, now: Millis) -> Result<OutboxMessage> {
        let mut tx = self.write().await?;
        let message = mail::retry_mail(&mut Conn::Sqlite(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn list_outbox(
        &self,
        state: Option<MailState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let mut conn = self.reader.acquire().await?;
        mail::list_outbox(&mut Conn::Sqlite(&mut conn), state, limit).await
    }

    async fn relay_counts(&self, relay: &str, now: Millis) -> Result<RelayCounts> {
        // One snapshot for the two counting queries.
        let mut tx = self.reader.begin().await?;
        let counts = mail::relay_counts(&mut Conn::Sqlite(&mut tx), relay, now).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn redemptions_per_day(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<DayCount>> {
        // One snapshot for the reservations' and the confirmations' days.
        let mut tx = self.reader.begin().await?;
        let days = mail::redemptions_per_day(&mut Conn::Sqlite(&mut tx), batch, relay).await?;
        tx.commit().await?;
        Ok(days)
    }

    async fn list_redemptions(&self, query: &RedemptionQuery) -> Result<Vec<Redemption>> {
        let mut conn = self.reader.acquire().await?;
        mail::list_redemptions(&mut Conn::Sqlite(&mut conn), query).await
    }
}

/// Users and sessions: reads on the readers, writes in the writer's `BEGIN IMMEDIATE`
/// transaction.
#[async_trait]
impl Users for SqliteStore {
    async fn create_user(&self, actor: &Actor, user: &User) -> Result<User> {
        let mut tx = self.write().await?;
        let user = users::create_user(&mut Conn::Sqlite(&mut tx), actor, user).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>> {
        let mut conn = self.reader.acquire().await?;
        users::get_user(&mut Conn::Sqlite(&mut conn), id).await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let mut conn = self.reader.acquire().await?;
        users::find_user_by_email(&mut Conn::Sqlite(&mut conn), email).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let mut conn = self.reader.acquire().await?;
        users::list_users(&mut Conn::Sqlite(&mut conn)).await
    }

    async fn set_role(&self, actor: &Actor, id: &str, role: Role, now: Millis) -> Result<User> {
        let mut tx = self.write().await?;
        let user = users::set_role(&mut Conn::Sqlite(&mut tx), actor, id, role, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_active(&self, actor: &Actor, id: &str, active: bool, now: Millis) -> Result<User> {
        let mut tx = self.write().await?;
        let user = users::set_active(&mut Conn::Sqlite(&mut tx), actor, id, active, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_language(
        &self,
        actor: &Actor,
        id: &str,
        language: Option<&str>,
        now: Millis,
    ) -> Result<User> {
        let mut tx = self.write().await?;
        let user =
            users::set_language(&mut Conn::Sqlite(&mut tx), actor, id, language, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_password_hash(
        &self,
        actor: &Actor,
        id: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        users::set_password_hash(&mut Conn::Sqlite(&mut tx), actor, id, password_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut tx = self.write().await?;
        users::create_session(&mut Conn::Sqlite(&mut tx), session).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &str, now: Millis) -> Result<Option<(Session, User)>> {
        // One snapshot for the session and its user.
        let mut tx = self.reader.begin().await?;
        let found = users::find_session(&mut Conn::Sqlite(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn touch_session(&self, id_hash: &str, now: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        users::touch_session(&mut Conn::Sqlite(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_session(&self, id_hash: &str, now: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        users::revoke_session(&mut Conn::Sqlite(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_user_sessions(&self, user_id: &str, now: Millis) -> Result<u64> {
        let mut tx = self.write().await?;
        let revoked = users::revoke_user_sessions(&mut Conn::Sqlite(&mut tx), user_id, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        let mut conn = self.reader.acquire().await?;
        users::list_sessions(&mut Conn::Sqlite(&mut conn), user_id).await
    }
}
