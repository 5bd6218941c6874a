//! The PostgreSQL backend, for several server instances sharing one database.
//!
//! Document writes run at READ COMMITTED and first lock the one row of `revision` (which they
//! bump at the end): writers of every instance queue there in one order, so multi-row writes
//! (upsert, purge) can't deadlock with each other, and the revision's order is the commits'
//! order. The row a write changes is also read `FOR UPDATE`. API-key writes touch no document
//! and skip that lock; so do writes of codes and redemptions, which lock the rows they decide on
//! instead (a reservation, its coupon's row: see `sql_codes.rs`), and distributions and the outbox
//! (a distribution, its batch's row and the codes it takes; a claim, its message: see
//! `sql_mail.rs`).

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

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
#[path = "postgres_team.rs"]
mod team;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A [`Store`] in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://…`). Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            // Writers queued behind a bulk upsert hold their connections while they wait.
            .acquire_timeout(Duration::from_secs(60))
            .connect(url)
            .await?;
        Ok(PostgresStore { pool })
    }

    /// A transaction for a document write, holding the writers' lock (see the module docs).
    async fn write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT value FROM revision WHERE id = 1 FOR UPDATE")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn revision(&self) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        sql::revision(&mut Conn::Postgres(&mut conn)).await
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>> {
        let mut conn = self.pool.acquire().await?;
        sql::get(&mut Conn::Postgres(&mut conn), kind, id).await
    }

    async fn get_many(&self, kind: Kind, ids: &[String]) -> Result<Vec<Record>> {
        // One snapshot for every chunk of ids.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let records = many::get_many(&mut Conn::Postgres(&mut tx), kind, ids).await?;
        tx.commit().await?;
        Ok(records)
    }

    async fn list(&self, kind: Kind, query: &ListQuery) -> Result<Vec<Record>> {
        let mut conn = self.pool.acquire().await?;
        sql::list(&mut Conn::Postgres(&mut conn), kind, query).await
    }

    async fn load_all(&self) -> Result<(i64, Vec<Record>)> {
        // One snapshot for both reads, so the revision matches the documents.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let all = sql::load_all(&mut Conn::Postgres(&mut tx)).await?;
        tx.commit().await?;
        Ok(all)
    }

    async fn changes_since(&self, since: i64, max: u32) -> Result<ChangeLog> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let changes = sql::changes_since(&mut Conn::Postgres(&mut tx), since, max).await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn create(&self, actor: &Actor, kind: Kind, draft: Draft) -> Result<Record> {
        let mut tx = self.write().await?;
        let record = sql::create(
            &mut Conn::Postgres(&mut tx),
            actor,
            kind,
            draft,
            now_millis(),
        )
        .await?;
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
            &mut Conn::Postgres(&mut tx),
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
            &mut Conn::Postgres(&mut tx),
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
            &mut Conn::Postgres(&mut tx),
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
        // One snapshot for every kind's read.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let outcomes =
            sql::upsert::compare_documents(&mut Conn::Postgres(&mut tx), documents).await?;
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
            &mut Conn::Postgres(&mut tx),
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
            sql::restore(&mut Conn::Postgres(&mut tx), actor, kind, id, now_millis()).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn restore_many(&self, actor: &Actor, kind: Kind, ids: &[String]) -> Result<Vec<Record>> {
        let mut tx = self.write().await?;
        let records =
            many::restore_many(&mut Conn::Postgres(&mut tx), actor, kind, ids, now_millis())
                .await?;
        tx.commit().await?;
        Ok(records)
    }

    async fn purge_deleted(&self, deleted_before: Millis) -> Result<u64> {
        let mut tx = self.write().await?;
        let count =
            sql::purge_deleted(&mut Conn::Postgres(&mut tx), deleted_before, now_millis()).await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut conn = self.pool.acquire().await?;
        sql::audit(&mut Conn::Postgres(&mut conn), query).await
    }

    async fn create_api_key(&self, actor: &Actor, key: &ApiKey) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sql::create_api_key(&mut Conn::Postgres(&mut tx), actor, key, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_api_key(&self, hash: &str) -> Result<Option<ApiKey>> {
        let mut conn = self.pool.acquire().await?;
        sql::find_api_key(&mut Conn::Postgres(&mut conn), hash).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
        let mut conn = self.pool.acquire().await?;
        sql::list_api_keys(&mut Conn::Postgres(&mut conn)).await
    }

    async fn revoke_api_key(&self, actor: &Actor, id: &str) -> Result<ApiKey> {
        let mut tx = self.pool.begin().await?;
        let key =
            sql::revoke_api_key(&mut Conn::Postgres(&mut tx), actor, id, now_millis()).await?;
        tx.commit().await?;
        Ok(key)
    }
}

/// Codes: plain transactions at READ COMMITTED, without the documents' revision lock; the rows
/// a write decides on are locked `FOR UPDATE` (a reservation locks its code's row), see
/// `sql_codes.rs`.
#[async_trait]
impl Codes for PostgresStore {
    async fn create_coupon(&self, actor: &Actor, coupon: &Coupon) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        codes::create_coupon(&mut Conn::Postgres(&mut tx), actor, coupon, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_coupon(&self, code: &str) -> Result<Option<Coupon>> {
        let mut conn = self.pool.acquire().await?;
        codes::get_coupon(&mut Conn::Postgres(&mut conn), code).await
    }

    async fn list_coupons(&self, query: &CouponQuery) -> Result<Vec<Coupon>> {
        let mut conn = self.pool.acquire().await?;
        codes::list_coupons(&mut Conn::Postgres(&mut conn), query).await
    }

    async fn set_coupon_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
        relay: Option<&str>,
    ) -> Result<Coupon> {
        let mut tx = self.pool.begin().await?;
        let coupon = codes::set_coupon_state(
            &mut Conn::Postgres(&mut tx),
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
        let mut tx = self.pool.begin().await?;
        codes::create_batch(&mut Conn::Postgres(&mut tx), actor, batch, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_batch(&self, id: &str) -> Result<Option<Batch>> {
        let mut conn = self.pool.acquire().await?;
        codes::get_batch(&mut Conn::Postgres(&mut conn), id).await
    }

    async fn list_batches(&self) -> Result<Vec<Batch>> {
        let mut conn = self.pool.acquire().await?;
        codes::list_batches(&mut Conn::Postgres(&mut conn)).await
    }

    async fn set_batch_quota(&self, actor: &Actor, id: &str, quota: u32) -> Result<Batch> {
        let mut tx = self.pool.begin().await?;
        let batch =
            codes::set_batch_quota(&mut Conn::Postgres(&mut tx), actor, id, quota, now_millis())
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
        let mut tx = self.pool.begin().await?;
        let added = codes::add_batch_codes(
            &mut Conn::Postgres(&mut tx),
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
        let mut tx = self.pool.begin().await?;
        let disabled = codes::disable_unused(
            &mut Conn::Postgres(&mut tx),
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
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let counts = codes::batch_counts(&mut Conn::Postgres(&mut tx), batch, now).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn reserve(
        &self,
        request: &ReserveRequest,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.pool.begin().await?;
        let answer = codes::reserve(&mut Conn::Postgres(&mut tx), request).await?;
        // A refusal wrote nothing: committing it only releases the coupon's lock.
        tx.commit().await?;
        Ok(answer)
    }

    async fn confirm(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.pool.begin().await?;
        let answer = codes::confirm(&mut Conn::Postgres(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn cancel(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.pool.begin().await?;
        let answer = codes::cancel(&mut Conn::Postgres(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn get_redemption(&self, id: &str) -> Result<Option<Redemption>> {
        let mut conn = self.pool.acquire().await?;
        codes::get_redemption(&mut Conn::Postgres(&mut conn), id).await
    }

    async fn expire_reservations(&self, now: Millis) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let expired = codes::expire_reservations(&mut Conn::Postgres(&mut tx), now).await?;
        tx.commit().await?;
        Ok(expired)
    }

    async fn record_failed_lookup(&self, subjects: &[String], window: Millis) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        lookups::record(&mut Conn::Postgres(&mut conn), subjects, window).await
    }

    async fn failed_lookups(&self, subjects: &[String], window: Millis) -> Result<u32> {
        let mut conn = self.pool.acquire().await?;
        lookups::most(&mut Conn::Postgres(&mut conn), subjects, window).await
    }

    async fn forget_failed_lookups(&self, before: Millis) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        lookups::forget(&mut Conn::Postgres(&mut conn), before).await
    }

    async fn code_usage(&self, code: &str, customer: Option<&str>, now: Millis) -> Result<Usage> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let usage = codes::code_usage(&mut Conn::Postgres(&mut tx), code, customer, now).await?;
        tx.commit().await?;
        Ok(usage)
    }

    async fn promotion_usage(
        &self,
        promotion: &str,
        customer: Option<&str>,
        now: Millis,
    ) -> Result<Usage> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let usage =
            codes::promotion_usage(&mut Conn::Postgres(&mut tx), promotion, customer, now).await?;
        tx.commit().await?;
        Ok(usage)
    }
}

/// Vouchers: reads on the pool, writes in plain READ COMMITTED transactions (see `sql_vouchers.rs` for the locks).
#[async_trait]
impl Vouchers for PostgresStore {
    async fn create_voucher(&self, actor: &Actor, voucher: &Voucher) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        vouchers::create_voucher(&mut Conn::Postgres(&mut tx), actor, voucher, now_millis())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_voucher(&self, code: &str) -> Result<Option<Voucher>> {
        let mut conn = self.pool.acquire().await?;
        vouchers::get_voucher(&mut Conn::Postgres(&mut conn), code).await
    }

    async fn list_vouchers(&self, query: &VoucherQuery) -> Result<Vec<Voucher>> {
        let mut conn = self.pool.acquire().await?;
        vouchers::list_vouchers(&mut Conn::Postgres(&mut conn), query).await
    }

    async fn set_voucher_state(
        &self,
        actor: &Actor,
        code: &str,
        state: CodeState,
    ) -> Result<Voucher> {
        let mut tx = self.pool.begin().await?;
        let voucher = vouchers::set_voucher_state(
            &mut Conn::Postgres(&mut tx),
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
        let mut tx = self.pool.begin().await?;
        let usage = vouchers::voucher_usage(&mut Conn::Postgres(&mut tx), code, now).await?;
        tx.commit().await?;
        Ok(usage)
    }

    async fn reserve_voucher(
        &self,
        request: &ReserveRequest,
        amount: Decimal,
    ) -> Result<std::result::Result<Redemption, Refusal>> {
        let mut tx = self.pool.begin().await?;
        let answer =
            vouchers::reserve_voucher(&mut Conn::Postgres(&mut tx), request, amount).await?;
        // A refusal wrote nothing.
        tx.commit().await?;
        Ok(answer)
    }
}

/// Distributions and the outbox: plain transactions at READ COMMITTED, without the documents'
/// revision lock; a distribution locks the codes it takes and a claim the message it takes, both
/// `FOR UPDATE SKIP LOCKED`, so concurrent ones (of any instance) take different rows without
/// waiting for each other (see `sql_mail.rs`).
#[async_trait]
impl Mail for PostgresStore {
    async fn distribute(&self, actor: &Actor, request: &DistributeRequest) -> Result<Distribution> {
        let mut tx = self.pool.begin().await?;
        let distribution = mail::distribute(&mut Conn::Postgres(&mut tx), actor, request).await?;
        tx.commit().await?;
        Ok(distribution)
    }

    async fn get_distribution(&self, id: &str) -> Result<Option<Distribution>> {
        let mut conn = self.pool.acquire().await?;
        mail::get_distribution(&mut Conn::Postgres(&mut conn), id).await
    }

    async fn list_distributions(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<Distribution>> {
        let mut conn = self.pool.acquire().await?;
        mail::list_distributions(&mut Conn::Postgres(&mut conn), batch, relay).await
    }

    async fn distribution_codes(&self, id: &str) -> Result<Vec<String>> {
        // One snapshot for the distribution and its codes.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let codes = mail::distribution_codes(&mut Conn::Postgres(&mut tx), id).await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn queue_message(&self, message: &OutgoingMessage, now: Millis) -> Result<OutboxMessage> {
        let mut tx = self.pool.begin().await?;
        let queued = mail::queue_message(&mut Conn::Postgres(&mut tx), message, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn claim_mail(&self, now: Millis, lease_until: Millis) -> Result<Option<OutboxMessage>> {
        let mut tx = self.pool.begin().await?;
        let message = mail::claim_mail(&mut Conn::Postgres(&mut tx), now, lease_until).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn mail_sent(&self, id: &str, now: Millis) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        mail::mail_sent(&mut Conn::Postgres(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mail_failed(&self, id: &str, error: &str, retry_at: Option<Millis>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        mail::mail_failed(&mut Conn::Postgres(&mut tx), id, error, retry_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retry_mail(&self, id: &str, now: Millis) -> Result<OutboxMessage> {
        let mut tx = self.pool.begin().await?;
        let message = mail::retry_mail(&mut Conn::Postgres(&mut tx), id, now).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn list_outbox(
        &self,
        state: Option<MailState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let mut conn = self.pool.acquire().await?;
        mail::list_outbox(&mut Conn::Postgres(&mut conn), state, limit).await
    }

    async fn relay_counts(&self, relay: &str, now: Millis) -> Result<RelayCounts> {
        // One snapshot for the two counting queries.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let counts = mail::relay_counts(&mut Conn::Postgres(&mut tx), relay, now).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn redemptions_per_day(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<DayCount>> {
        // One snapshot for the reservations' and the confirmations' days.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let days = mail::redemptions_per_day(&mut Conn::Postgres(&mut tx), batch, relay).await?;
        tx.commit().await?;
        Ok(days)
    }

    async fn list_redemptions(&self, query: &RedemptionQuery) -> Result<Vec<Redemption>> {
        let mut conn = self.pool.acquire().await?;
        mail::list_redemptions(&mut Conn::Postgres(&mut conn), query).await
    }
}

/// Users and sessions: plain transactions at READ COMMITTED, without the documents' revision
/// lock (each write changes one row, which its UPDATE locks).
#[async_trait]
impl Users for PostgresStore {
    async fn create_user(&self, actor: &Actor, user: &User) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let user = users::create_user(&mut Conn::Postgres(&mut tx), actor, user).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        users::get_user(&mut Conn::Postgres(&mut conn), id).await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        users::find_user_by_email(&mut Conn::Postgres(&mut conn), email).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let mut conn = self.pool.acquire().await?;
        users::list_users(&mut Conn::Postgres(&mut conn)).await
    }

    async fn set_role(&self, actor: &Actor, id: &str, role: Role, now: Millis) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let user = users::set_role(&mut Conn::Postgres(&mut tx), actor, id, role, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_active(&self, actor: &Actor, id: &str, active: bool, now: Millis) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let user = users::set_active(&mut Conn::Postgres(&mut tx), actor, id, active, now).await?;
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
            users::set_language(&mut Conn::Postgres(&mut tx), actor, id, language, now).await?;
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
        let mut tx = self.pool.begin().await?;
        users::set_password_hash(&mut Conn::Postgres(&mut tx), actor, id, password_hash, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        users::create_session(&mut Conn::Postgres(&mut tx), session).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &str, now: Millis) -> Result<Option<(Session, User)>> {
        // One snapshot for the session and its user.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let found = users::find_session(&mut Conn::Postgres(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn touch_session(&self, id_hash: &str, now: Millis) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        users::touch_session(&mut Conn::Postgres(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_session(&self, id_hash: &str, now: Millis) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        users::revoke_session(&mut Conn::Postgres(&mut tx), id_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_user_sessions(&self, user_id: &str, now: Millis) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let revoked =
            users::revoke_user_sessions(&mut Conn::Postgres(&mut tx), user_id, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        let mut conn = self.pool.acquire().await?;
        users::list_sessions(&mut Conn::Postgres(&mut conn), user_id).await
    }
}
