//! Change requests and tasks on PostgreSQL. Reads that span several tables run in one
//! REPEATABLE READ snapshot. Writes are plain READ COMMITTED transactions that lock the request's
//! or the task's row before reading what they decide on (see `sql_approvals.rs`,
//! `sql_tasks.rs`); an approval, which writes documents, runs in the documents' write
//! transaction (the revision's row locked first), like every document write.

use async_trait::async_trait;

use super::PostgresStore;
use crate::sql::{Conn, approvals, tasks};
use crate::{
    Act, Approval, Approvals, ChangeRequest, ChangeRequestQuery, Kind, NewTask, OutgoingMessage,
    ProposedDocument, Result, Task, TaskQuery, TaskState, Tasks,
};

/// One snapshot for reads of several tables.
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

#[async_trait]
impl Approvals for PostgresStore {
    async fn open_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        campaign_id: &str,
    ) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request = approvals::open(&mut Conn::Postgres(&mut tx), act, id, campaign_id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn get_change_request(&self, id: &str) -> Result<Option<ChangeRequest>> {
        let mut tx = self.pool.begin_with(SNAPSHOT).await?;
        let request = approvals::get(&mut Conn::Postgres(&mut tx), id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn current_change_request(&self, campaign_id: &str) -> Result<Option<ChangeRequest>> {
        let mut tx = self.pool.begin_with(SNAPSHOT).await?;
        let request = approvals::current(&mut Conn::Postgres(&mut tx), campaign_id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn list_change_requests(&self, query: &ChangeRequestQuery) -> Result<Vec<ChangeRequest>> {
        let mut tx = self.pool.begin_with(SNAPSHOT).await?;
        let requests = approvals::list(&mut Conn::Postgres(&mut tx), query).await?;
        tx.commit().await?;
        Ok(requests)
    }

    async fn put_proposed_document(
        &self,
        act: Act<'_>,
        request_id: &str,
        document: &ProposedDocument,
    ) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request =
            approvals::put_document(&mut Conn::Postgres(&mut tx), act, request_id, document)
                .await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn remove_proposed_document(
        &self,
        act: Act<'_>,
        request_id: &str,
        kind: Kind,
        id: &str,
    ) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request =
            approvals::remove_document(&mut Conn::Postgres(&mut tx), act, request_id, kind, id)
                .await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn submit_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request = approvals::submit(&mut Conn::Postgres(&mut tx), act, id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn withdraw_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request = approvals::withdraw(&mut Conn::Postgres(&mut tx), act, id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn reject_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        comment: &str,
    ) -> Result<ChangeRequest> {
        let mut tx = self.pool.begin().await?;
        let request = approvals::reject(&mut Conn::Postgres(&mut tx), act, id, comment).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn approve_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        comment: Option<&str>,
        at_revision: Option<i64>,
    ) -> Result<Approval> {
        let mut tx = self.write().await?;
        let approval =
            approvals::approve(&mut Conn::Postgres(&mut tx), act, id, comment, at_revision).await?;
        tx.commit().await?;
        Ok(approval)
    }
}

#[async_trait]
impl Tasks for PostgresStore {
    async fn create_task(
        &self,
        act: Act<'_>,
        task: &NewTask,
        mail: Option<&OutgoingMessage>,
    ) -> Result<Task> {
        let mut tx = self.pool.begin().await?;
        let task = tasks::create(&mut Conn::Postgres(&mut tx), act, task, mail).await?;
        tx.commit().await?;
        Ok(task)
    }

    async fn get_task(&self, id: &str) -> Result<Option<Task>> {
        let mut conn = self.pool.acquire().await?;
        tasks::get(&mut Conn::Postgres(&mut conn), id).await
    }

    async fn list_tasks(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        let mut conn = self.pool.acquire().await?;
        tasks::list(&mut Conn::Postgres(&mut conn), query).await
    }

    async fn set_task_state(&self, act: Act<'_>, id: &str, state: TaskState) -> Result<Task> {
        let mut tx = self.pool.begin().await?;
        let task = tasks::set_state(&mut Conn::Postgres(&mut tx), act, id, state).await?;
        tx.commit().await?;
        Ok(task)
    }

    async fn transfer_task(
        &self,
        act: Act<'_>,
        id: &str,
        to: &str,
        note: Option<&str>,
        mail: Option<&OutgoingMessage>,
    ) -> Result<Task> {
        let mut tx = self.pool.begin().await?;
        let task = tasks::transfer(&mut Conn::Postgres(&mut tx), act, id, (to, note), mail).await?;
        tx.commit().await?;
        Ok(task)
    }
}
