//! The PostgreSQL backend, for several server instances sharing one database.
//!
//! Document writes run at READ COMMITTED and first lock the one row of `revision` (which they
//! bump at the end): writers of every instance queue there in one order, so multi-row writes
//! (upsert, purge) can't deadlock with each other, and the revision's order is the commits'
//! order. The row a write changes is also read `FOR UPDATE`. API-key writes touch no document
//! and skip that lock.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::sql::{self, Conn};
use crate::{
    Actor, ApiKey, AuditEntry, AuditQuery, Draft, Kind, ListQuery, Millis, Record, Result, Store,
    UpsertSummary, now_millis,
};

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
        let summary = sql::upsert_many(
            &mut Conn::Postgres(&mut tx),
            actor,
            kind,
            &drafts,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
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
