//! Change requests and tasks on SQLite: reads on the readers (in one read transaction when they
//! read several tables), every write in the writer's `BEGIN IMMEDIATE` transaction, which
//! serialises it with all other writers of the file: a request's or a task's state cannot change
//! between the read that checks it and the write.

use async_trait::async_trait;

use super::SqliteStore;
use crate::sql::{Conn, approvals, tasks};
use crate::{
    Act, Approval, Approvals, ChangeRequest, ChangeRequestQuery, Kind, NewTask, OutgoingMessage,
    ProposedDocument, Result, Task, TaskQuery, TaskState, Tasks,
};

#[async_trait]
impl Approvals for SqliteStore {
    async fn open_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        campaign_id: &str,
    ) -> Result<ChangeRequest> {
        let mut tx = self.write().await?;
        let request = approvals::open(&mut Conn::Sqlite(&mut tx), act, id, campaign_id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn get_change_request(&self, id: &str) -> Result<Option<ChangeRequest>> {
        // One snapshot for the request and its documents.
        let mut tx = self.reader.begin().await?;
        let request = approvals::get(&mut Conn::Sqlite(&mut tx), id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn current_change_request(&self, campaign_id: &str) -> Result<Option<ChangeRequest>> {
        let mut tx = self.reader.begin().await?;
        let request = approvals::current(&mut Conn::Sqlite(&mut tx), campaign_id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn list_change_requests(&self, query: &ChangeRequestQuery) -> Result<Vec<ChangeRequest>> {
        let mut tx = self.reader.begin().await?;
        let requests = approvals::list(&mut Conn::Sqlite(&mut tx), query).await?;
        tx.commit().await?;
        Ok(requests)
    }

    async fn put_proposed_document(
        &self,
        act: Act<'_>,
        request_id: &str,
        document: &ProposedDocument,
    ) -> Result<ChangeRequest> {
        let mut tx = self.write().await?;
        let request =
            approvals::put_document(&mut Conn::Sqlite(&mut tx), act, request_id, document).await?;
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
        let mut tx = self.write().await?;
        let request =
            approvals::remove_document(&mut Conn::Sqlite(&mut tx), act, request_id, kind, id)
                .await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn submit_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
        let mut tx = self.write().await?;
        let request = approvals::submit(&mut Conn::Sqlite(&mut tx), act, id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn withdraw_change_request(&self, act: Act<'_>, id: &str) -> Result<ChangeRequest> {
        let mut tx = self.write().await?;
        let request = approvals::withdraw(&mut Conn::Sqlite(&mut tx), act, id).await?;
        tx.commit().await?;
        Ok(request)
    }

    async fn reject_change_request(
        &self,
        act: Act<'_>,
        id: &str,
        comment: &str,
    ) -> Result<ChangeRequest> {
        let mut tx = self.write().await?;
        let request = approvals::reject(&mut Conn::Sqlite(&mut tx), act, id, comment).await?;
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
            approvals::approve(&mut Conn::Sqlite(&mut tx), act, id, comment, at_revision).await?;
        tx.commit().await?;
        Ok(approval)
    }
}

#[async_trait]
impl Tasks for SqliteStore {
    async fn create_task(
        &self,
        act: Act<'_>,
        task: &NewTask,
        mail: Option<&OutgoingMessage>,
    ) -> Result<Task> {
        let mut tx = self.write().await?;
        let task = tasks::create(&mut Conn::Sqlite(&mut tx), act, task, mail).await?;
        tx.commit().await?;
        Ok(task)
    }

    async fn get_task(&self, id: &str) -> Result<Option<Task>> {
        let mut conn = self.reader.acquire().await?;
        tasks::get(&mut Conn::Sqlite(&mut conn), id).await
    }

    async fn list_tasks(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        let mut conn = self.reader.acquire().await?;
        tasks::list(&mut Conn::Sqlite(&mut conn), query).await
    }

    async fn set_task_state(&self, act: Act<'_>, id: &str, state: TaskState) -> Result<Task> {
        let mut tx = self.write().await?;
        let task = tasks::set_state(&mut Conn::Sqlite(&mut tx), act, id, state).await?;
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
        let mut tx = self.write().await?;
        let task = tasks::transfer(&mut Conn::Sqlite(&mut tx), act, id, (to, note), mail).await?;
        tx.commit().await?;
        Ok(task)
    }
}
