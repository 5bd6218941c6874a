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

use crate::sql::{self, Conn};
use crate::{
    Actor, ApiKey, AuditEntry, AuditQuery, Draft, Kind, ListQuery, Millis, Record, Result, Store,
    UpsertSummary, now_millis,
};

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
        let summary = sql::upsert_many(
            &mut Conn::Sqlite(&mut tx),
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
