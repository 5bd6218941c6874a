//! Distribution of codes to relays, and the e-mail outbox (which also carries standalone
//! messages, such as a task's notice to its assignee).
//!
//! Invariant: distributing codes and queueing the e-mail that carries them are one transaction,
//! so a code is never marked distributed without its mail, nor a mail queued for codes that were
//! not assigned. The mail's body is rendered by the sender from the distribution's codes, which do
//! not change, so a retried send carries the same codes: a code records the distribution that
//! handed it out, once, and a code that was ever distributed is never distributed again (even if
//! put back to `available` by hand).
//!
//! Delivery is at least once: a worker claims a message for a lease, sends it and reports; if the
//! lease runs out first (a slow or dead worker), another worker may claim and send it again.
//!
//! Errors name their entity as `kind`: `batch`, `distribution`, `mail` (an outbox message).
//! Distributions are audited (entity `distribution`); the outbox is not. Nothing here bumps the
//! documents' revision ([`crate::Store::revision`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Actor, Millis, Result};

/// N codes of a batch handed to a relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub id: String,
    pub batch: String,
    pub relay: String,
    pub count: u32,
    pub created_at: Millis,
}

/// What a distribution asks.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributeRequest {
    /// The new distribution's id (the caller makes it); the outbox message gets the same id.
    pub id: String,
    pub batch: String,
    pub relay: String,
    pub count: u32,
    /// Where the mail goes (the relay's address).
    pub recipient: String,
    /// `fr` or `en`: which template the sender uses.
    pub language: String,
    pub now: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    /// Waiting to be sent (or to be retried at `next_attempt_at`).
    Pending,
    Sent,
    /// Given up after too many attempts; can be retried by hand.
    Failed,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<MailState> {
        [MailState::Pending, MailState::Sent, MailState::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One queued e-mail: the codes of a distribution, or a standalone message with its own text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    /// The distribution whose codes it carries; `None` for a standalone message.
    pub distribution: Option<String>,
    /// A standalone message's text ([`Mail::queue_message`]); `None` for a distribution's, which
    /// the sender renders from its codes.
    pub text: Option<MessageText>,
    pub recipient: String,
    pub language: String,
    pub state: MailState,
    pub attempts: u32,
    pub next_attempt_at: Millis,
    /// A worker holding the message until then; others leave it alone.
    pub lease_until: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub sent_at: Option<Millis>,
}

/// The text of a standalone message, rendered by whoever queued it in the recipient's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageText {
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// A standalone e-mail to queue: a task's "you have a new task", say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The outbox message's id (the caller makes it); also its `Message-ID`.
    pub id: String,
    pub recipient: String,
    /// `fr` or `en`: the language the text is in.
    pub language: String,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// Counts of the codes handed to one relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RelayCounts {
    pub distributed: u64,
    /// Codes with a live reservation.
    pub reserved: u64,
    /// Codes with a confirmed redemption.
    pub redeemed: u64,
    /// Codes past their end date that were never redeemed.
    pub expired: u64,
}

/// Redemptions of one day (UTC), for the usage dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Reservations made that day (whatever became of them).
    pub reserved: u64,
    /// Redemptions confirmed that day (whatever became of them since).
    pub confirmed: u64,
}

/// Which redemptions a list returns, in id order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RedemptionQuery {
    /// Only redemptions of this batch's codes.
    pub batch: Option<String>,
    /// Only redemptions of codes this relay holds.
    pub relay: Option<String>,
    /// Only redemptions whose id sorts after this one (the previous page's last id).
    pub after: Option<String>,
    /// At most this many (the caller bounds it).
    pub limit: u32,
}

/// Distributions, the outbox and usage figures. Both backends pass `tests/mail.rs`.
#[async_trait]
pub trait Mail: Send + Sync {
    /// Assigns `count` codes of the batch that are available (state available, no relay, never
    /// distributed before, never redeemed: no redemption at all, whatever its state), in code
    /// order, to the relay (state distributed, relay and distribution set), records the
    /// distribution and queues its mail (pending, due at `now`, with the distribution's id), in
    /// one transaction. One audit entry (entity `distribution`, action create, after
    /// `{batch, relay, count}`).
    ///
    /// Errors, and then nothing changes: [`crate::Error::NotFound`] for an unknown batch;
    /// [`crate::Error::AlreadyExists`] (kind `distribution`) for a taken id;
    /// [`crate::Error::NotEnoughCodes`] with fewer such codes than asked, `available` saying how
    /// many there are (on PostgreSQL, not counting codes another write, such as a reservation,
    /// holds at that moment: they are passed over, not waited for).
    ///
    /// Concurrent distributions (even from several instances) never hand out one code twice;
    /// those of one batch run one after the other, so of two that do not both fit, exactly one
    /// succeeds.
    async fn distribute(&self, actor: &Actor, request: &DistributeRequest) -> Result<Distribution>;

    async fn get_distribution(&self, id: &str) -> Result<Option<Distribution>>;

    /// Newest first; filtered by batch and/or relay.
    async fn list_distributions(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<Distribution>>;

    /// The codes of a distribution as they are shown (`display`), in code order.
    /// [`crate::Error::NotFound`] (kind `distribution`) when there is no such distribution.
    async fn distribution_codes(&self, id: &str) -> Result<Vec<String>>;

    /// Queues a standalone message, pending and due at `now` (not audited, as the outbox is
    /// not). [`crate::Error::AlreadyExists`] (kind `mail`) for a taken id. To queue a message
    /// with another write in one transaction, that write takes it (`Tasks::create_task`).
    async fn queue_message(&self, message: &OutgoingMessage, now: Millis) -> Result<OutboxMessage>;

    /// Takes the oldest (by creation, then id) pending message due at `now`
    /// (`next_attempt_at <= now`) whose lease, if any, has run out (`lease_until <= now`), and
    /// leases it until `lease_until`: another worker, in this instance or another, does not get it
    /// meanwhile. Counts the attempt. Returns the message as updated; `None` when none is due.
    async fn claim_mail(&self, now: Millis, lease_until: Millis) -> Result<Option<OutboxMessage>>;

    /// The message was accepted by the mail server: state sent, `sent_at` = `now`, lease cleared
    /// (whatever its state was). [`crate::Error::NotFound`] (kind `mail`) when unknown.
    async fn mail_sent(&self, id: &str, now: Millis) -> Result<()>;

    /// Sending failed: `last_error` = `error`, lease cleared, and the message stays pending, due at
    /// `retry_at`, or is given up (state failed) when `None`. Only a pending message changes: a
    /// late report (a worker whose lease ran out) leaves a sent or failed one as it is.
    /// [`crate::Error::NotFound`] (kind `mail`) when unknown.
    async fn mail_failed(&self, id: &str, error: &str, retry_at: Option<Millis>) -> Result<()>;

    /// Puts a failed (or pending) message back in the queue: pending, due at `now`, lease cleared
    /// (a worker still holding it may send it too), attempts back to 0 (a full round again),
    /// last error kept. A sent message is returned as it is. [`crate::Error::NotFound`] (kind
    /// `mail`) when unknown.
    async fn retry_mail(&self, id: &str, now: Millis) -> Result<OutboxMessage>;

    /// Newest first (by creation, then id), optionally only one state; at most `limit`.
    async fn list_outbox(&self, state: Option<MailState>, limit: u32)
    -> Result<Vec<OutboxMessage>>;

    /// Counts of the codes the relay holds (`relay` set, by a distribution or by hand, whatever
    /// their state), at `now` for live reservations.
    async fn relay_counts(&self, relay: &str, now: Millis) -> Result<RelayCounts>;

    /// Per day (UTC), oldest first, only days with something, for the codes of one batch and/or
    /// held by one relay (every code when both are `None`): a redemption counts in `reserved` on
    /// the day of its `reserved_at` and in `confirmed` on the day of its `confirmed_at`, which may
    /// be another day.
    async fn redemptions_per_day(
        &self,
        batch: Option<&str>,
        relay: Option<&str>,
    ) -> Result<Vec<DayCount>>;

    /// Redemptions for an export, in id order, a page at a time (see [`RedemptionQuery`]).
    async fn list_redemptions(&self, query: &RedemptionQuery) -> Result<Vec<crate::Redemption>>;
}
