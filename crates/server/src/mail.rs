//! The e-mail side of code distribution: renders the outbox's messages and sends them.
//!
//! The store queues one [`OutboxMessage`] per distribution, in the transaction that assigns the
//! codes (see `remise_store::Mail`), and standalone messages whose text the caller wrote (a
//! task's notice to its assignee: [`render_text`]). This module is the sender: [`send_due`] claims the due
//! messages one at a time (a lease keeps other workers, in this instance or another, off a message
//! while it is being sent), renders each from its distribution ([`render`]: subject and body in
//! French or English, the codes one per line and as a CSV attachment), hands it to the configured
//! relay over SMTP (plain, STARTTLS or TLS, with or without a password: [`SmtpRelay`]) or writes
//! it as an `.eml` file into a directory ([`MailConfig`]), and
//! records the outcome: sent, retried later with an exponential back-off, or given up after
//! [`RetryPolicy::max_attempts`] (a person can put it back with `retry_mail`). [`spawn_worker`]
//! runs it every [`WORKER_INTERVAL`].
//!
//! Delivery is at least once: a worker that dies after the relay accepted a message but before it
//! was marked sent leaves it leased, and it is sent again when the lease runs out. The
//! `Message-ID` is the outbox id (`<id@remise>`), so a receiver can recognise the copy.
//!
//! A relay that refuses the password or presents a certificate that is not trusted ends the
//! run at the first message (recorded on it, retried later like an outage): the other messages
//! would meet the same refusal, and relays count failed logins.

mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::Address;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use remise_store::{Distribution, Kind, MessageText, Millis, OutboxMessage, Store, now_millis};
use tokio::task::JoinHandle;

use transport::Sender;
pub use transport::{CaCertificates, SmtpCredentials, SmtpRelay, TlsMode};

/// How often the worker looks for due messages.
pub const WORKER_INTERVAL: Duration = Duration::from_secs(1);

/// Where mail is written when no SMTP relay is configured.
pub const DEFAULT_DIRECTORY: &str = "./outbox-mail";

/// The sender's address when none is configured.
pub const DEFAULT_FROM: &str = "Remise <remise@localhost>";

/// The most messages one [`send_due`] call handles; the rest wait for the next call.
const MAX_PER_RUN: usize = 100;

/// Where the messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailConfig {
    /// An SMTP relay.
    Smtp {
        relay: SmtpRelay,
        /// The `From` address, e.g. `Remise <codes@example.com>`.
        from: String,
    },
    /// One `.eml` file per message in `path` (created when needed), for development and for
    /// installations that hand the files on themselves.
    Directory { path: PathBuf, from: String },
}

impl MailConfig {
    /// Plain SMTP when a host is given (port 25 unless told; [`MailConfig::smtp`] for TLS and
    /// authentication), otherwise a directory ([`DEFAULT_DIRECTORY`] unless told); `from`
    /// defaults to [`DEFAULT_FROM`].
    pub fn from_options(
        smtp_host: Option<String>,
        smtp_port: Option<u16>,
        directory: Option<PathBuf>,
        from: Option<String>,
    ) -> MailConfig {
        let from = from.unwrap_or_else(|| DEFAULT_FROM.to_owned());
        match smtp_host {
            Some(host) => MailConfig::Smtp {
                relay: SmtpRelay::plain(host, smtp_port.unwrap_or(TlsMode::None.default_port())),
                from,
            },
            None => MailConfig::Directory {
                path: directory.unwrap_or_else(|| PathBuf::from(DEFAULT_DIRECTORY)),
                from,
            },
        }
    }

    /// Through `relay`, from `from` ([`DEFAULT_FROM`] when `None`).
    pub fn smtp(relay: SmtpRelay, from: Option<String>) -> MailConfig {
        MailConfig::Smtp {
            relay,
            from: from.unwrap_or_else(|| DEFAULT_FROM.to_owned()),
        }
    }

    /// What can be checked before sending: the `From` address, and the relay's settings
    /// ([`SmtpRelay::check`]).
    pub fn check(&self) -> Result<(), MailError> {
        self.from()
            .parse::<Mailbox>()
            .map_err(|error| MailError::Address {
                address: self.from().to_owned(),
                message: format!("{error}"),
            })?;
        match self {
            MailConfig::Smtp { relay, .. } => relay.check(),
            MailConfig::Directory { .. } => Ok(()),
        }
    }

    /// The `From` address.
    pub fn from(&self) -> &str {
        match self {
            MailConfig::Smtp { from, .. } | MailConfig::Directory { from, .. } => from,
        }
    }
}

impl Default for MailConfig {
    /// The directory [`DEFAULT_DIRECTORY`], from [`DEFAULT_FROM`].
    fn default() -> MailConfig {
        MailConfig::from_options(None, None, None, None)
    }
}

/// When to try a message again, and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts (the first one included) before the message is given up (state failed).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with every further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
    /// How long a worker holds a message it claimed; a worker that dies leaves it to others
    /// after that. Sending one message is cut off at half of it.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    /// 16 attempts, 2 s doubling up to 1 h, a 60 s lease: a mail server may be down for about
    /// five hours (2 s + 4 s + … + 34 min, then hourly) before a message is given up.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 16,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(3600),
            lease: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1 for the first): `base × 2^(attempts−1)`,
    /// at most `cap`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(63);
        let factor = 1u64 << doublings;
        let millis = u64::try_from(self.base.as_millis())
            .unwrap_or(u64::MAX)
            .saturating_mul(factor);
        Duration::from_millis(millis).min(self.cap)
    }

    /// When to try again after the `attempts`-th attempt failed at `now`; `None` once
    /// `max_attempts` attempts were made.
    pub fn retry_at(&self, attempts: u32, now: Millis) -> Option<Millis> {
        (attempts < self.max_attempts).then(|| now.saturating_add(millis(self.backoff(attempts))))
    }

    /// How long one send may take: half the lease, so that it ends before another worker may
    /// claim the message.
    fn send_timeout(&self) -> Duration {
        (self.lease / 2).max(Duration::from_millis(100))
    }
}

/// Everything the sender needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailSettings {
    pub config: MailConfig,
    pub retry: RetryPolicy,
}

impl MailSettings {
    /// `config` with the default [`RetryPolicy`].
    pub fn new(config: MailConfig) -> MailSettings {
        MailSettings {
            config,
            retry: RetryPolicy::default(),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("`{address}` is not a valid e-mail address: {message}")]
    Address { address: String, message: String },
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("distribution `{0}` does not exist")]
    MissingDistribution(String),
    #[error("{0}")]
    Store(#[from] remise_store::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("{}", authentication_refused(relay, user, message))]
    Authentication {
        relay: String,
        /// Empty when no user was configured and the relay asked for one.
        user: String,
        message: String,
    },
    #[error(
        "the certificate of the SMTP relay {relay} is not trusted ({reason}){}",
        if *with_ca_file { ": it is not signed by the configured CA file" } else {
            ": for a relay with a private CA, configure its CA certificate file"
        }
    )]
    Certificate {
        relay: String,
        reason: String,
        with_ca_file: bool,
    },
    #[error("the CA certificate file {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("SMTP settings: {0}")]
    Config(String),
    #[error("writing the message into {path}: {message}")]
    File { path: String, message: String },
    #[error("no answer from the mail server within {0:?}")]
    Timeout(Duration),
}

fn authentication_refused(relay: &str, user: &str, message: &str) -> String {
    if user.is_empty() {
        format!(
            "the SMTP relay {relay} requires authentication (configure a user and password): {message}"
        )
    } else {
        format!("the SMTP relay {relay} refused the password of user `{user}`: {message}")
    }
}

impl MailError {
    /// Whether trying again cannot help (the message itself is wrong): it is given up at once.
    /// Outages (store, relay, disk) are retried.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MailError::Address { .. } | MailError::Build(_) | MailError::MissingDistribution(_)
        )
    }

    /// Whether every message would meet it (the relay's settings are wrong: password,
    /// certificate, TLS parameters): the run stops at the first.
    pub fn is_relay_wide(&self) -> bool {
        matches!(
            self,
            MailError::Authentication { .. }
                | MailError::Certificate { .. }
                | MailError::CaFile { .. }
                | MailError::Config(_)
        )
    }
}

/// Builds the e-mail of an outbox message: to `message.recipient` (named `relay_name`), from
/// `from`, in French when `message.language` is `fr` (or `fr-…`) and in English otherwise. The
/// body greets the relay, says how many codes of which promotion, and lists the codes one per
/// line; they are also attached as `codes-<batch>.csv` (UTF-8, header `code`). The `Message-ID`
/// is `<message.id@remise>`, the same every time the message is rendered.
pub fn render(
    message: &OutboxMessage,
    relay_name: &str,
    batch: &str,
    promotion_name: &str,
    codes: &[String],
    from: &str,
) -> Result<lettre::Message, MailError> {
    let language = Language::of(&message.language);
    let (from, to) = mailboxes(message, relay_name, from)?;
    let content_type = ContentType::parse("text/csv; charset=utf-8")
        .map_err(|error| MailError::Build(format!("{error}")))?;
    let attachment = Attachment::new(attachment_name(batch)).body(csv(codes)?, content_type);
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject(language, codes.len(), promotion_name))
        .message_id(Some(message_id(&message.id)))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body(
                    language,
                    relay_name,
                    batch,
                    promotion_name,
                    codes,
                )))
                .singlepart(attachment),
        )
        .map_err(|error| MailError::Build(format!("{error}")))
}

/// Builds the e-mail of a standalone outbox message (a task's notice): its own subject and
/// plain-text body, as whoever queued it wrote them in the recipient's language, to
/// `message.recipient`, from `from`, with the `Message-ID` `<message.id@remise>`.
pub fn render_text(
    message: &OutboxMessage,
    text: &MessageText,
    from: &str,
) -> Result<lettre::Message, MailError> {
    let (from, to) = mailboxes(message, "", from)?;
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(text.subject.as_str())
        .message_id(Some(message_id(&message.id)))
        .singlepart(SinglePart::plain(text.body.clone()))
        .map_err(|error| MailError::Build(format!("{error}")))
}

/// The sender's and the recipient's mailboxes (the recipient named `name` unless it is empty).
fn mailboxes(
    message: &OutboxMessage,
    name: &str,
    from: &str,
) -> Result<(Mailbox, Mailbox), MailError> {
    let from: Mailbox = from.parse().map_err(|error| MailError::Address {
        address: from.to_owned(),
        message: format!("{error}"),
    })?;
    let address: Address = message
        .recipient
        .parse()
        .map_err(|error| MailError::Address {
            address: message.recipient.clone(),
            message: format!("{error}"),
        })?;
    let to = Mailbox::new(Some(name.to_owned()).filter(|n| !n.is_empty()), address);
    Ok((from, to))
}

/// The language of a message's template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    French,
    English,
}

impl Language {
    fn of(code: &str) -> Language {
        let code = code.trim();
        let primary = code.split(['-', '_']).next().unwrap_or(code);
        if primary.eq_ignore_ascii_case("fr") {
            Language::French
        } else {
            Language::English
        }
    }
}

fn subject(language: Language, count: usize, promotion: &str) -> String {
    match (language, count) {
        (Language::French, 1) => format!("Votre code pour « {promotion} »"),
        (Language::French, n) => format!("Vos {n} codes pour « {promotion} »"),
        (Language::English, 1) => format!("Your code for \"{promotion}\""),
        (Language::English, n) => format!("Your {n} codes for \"{promotion}\""),
    }
}

fn body(language: Language, relay: &str, batch: &str, promotion: &str, codes: &[String]) -> String {
    let count = codes.len();
    let file = attachment_name(batch);
    let mut list = String::new();
    for code in codes {
        list.push_str(code);
        list.push('\n');
    }
    match language {
        Language::French => {
            let intro = if count == 1 {
                format!("Voici 1 code de la promotion « {promotion} » (lot {batch}) à distribuer :")
            } else {
                format!(
                    "Voici {count} codes de la promotion « {promotion} » (lot {batch}) à distribuer :"
                )
            };
            format!(
                "Bonjour {relay},\n\n{intro}\n\n{list}\nVous les retrouverez dans le fichier joint {file}.\n\nChaque code s'utilise dans les conditions de la promotion.\n\nCordialement,\nRemise\n"
            )
        }
        Language::English => {
            let intro = if count == 1 {
                format!(
                    "Here is 1 code of the promotion \"{promotion}\" (batch {batch}) to hand out:"
                )
            } else {
                format!(
                    "Here are {count} codes of the promotion \"{promotion}\" (batch {batch}) to hand out:"
                )
            };
            format!(
                "Hello {relay},\n\n{intro}\n\n{list}\nThey are also in the attached file {file}.\n\nEach code is subject to the terms of the promotion.\n\nBest regards,\nRemise\n"
            )
        }
    }
}

/// `codes-<batch>.csv`, with characters other than letters, digits, `-`, `_` and `.` replaced by
/// `-` so that the name is a safe file name everywhere.
fn attachment_name(batch: &str) -> String {
    let safe: String = batch
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("codes-{safe}.csv")
}

/// The attachment: a `code` header, then one code per line (CRLF, RFC 4180).
fn csv(codes: &[String]) -> Result<String, MailError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let build = |error: &dyn std::fmt::Display| MailError::Build(format!("CSV: {error}"));
    writer.write_record(["code"]).map_err(|e| build(&e))?;
    for code in codes {
        writer.write_record([code]).map_err(|e| build(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| build(&e))?;
    String::from_utf8(bytes).map_err(|e| build(&e))
}

/// `<id@remise>`, with characters a message id may not hold replaced by `_`.
fn message_id(id: &str) -> String {
    let left: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("<{left}@remise>")
}

fn millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)
}

/// What a message needs from the store besides itself.
struct Content {
    distribution: Distribution,
    relay_name: String,
    promotion_name: String,
    codes: Vec<String>,
}

/// Reads the distribution, its codes, the relay's name and the promotion's name. A relay or a
/// promotion that is gone (or has no name) is named by its id.
async fn content(store: &dyn Store, message: &OutboxMessage) -> Result<Content, MailError> {
    // The store holds a message with either a distribution or its own text.
    let id = message.distribution.as_deref().unwrap_or(&message.id);
    let distribution = store
        .get_distribution(id)
        .await?
        .ok_or_else(|| MailError::MissingDistribution(id.to_owned()))?;
    let codes = store.distribution_codes(&distribution.id).await?;
    let relay_name = name_of(store, Kind::Relay, &distribution.relay).await?;
    let promotion_name = match store.get_batch(&distribution.batch).await? {
        Some(batch) => name_of(store, Kind::Promotion, &batch.promotion).await?,
        None => distribution.batch.clone(),
    };
    Ok(Content {
        distribution,
        relay_name,
        promotion_name,
        codes,
    })
}

/// The `name` of a document's body, or its id.
async fn name_of(store: &dyn Store, kind: Kind, id: &str) -> Result<String, MailError> {
    let record = store.get(kind, id).await?;
    Ok(record
        .as_ref()
        .and_then(|r| r.body.get("name"))
        .and_then(|name| name.as_str())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(id)
        .to_owned())
}

/// Renders and sends one claimed message.
async fn deliver(
    store: &dyn Store,
    settings: &MailSettings,
    sender: &Result<Sender, MailError>,
    message: &OutboxMessage,
) -> Result<(), MailError> {
    let sender = sender
        .as_ref()
        .map_err(|error| MailError::Config(error.to_string()))?;
    let email = match &message.text {
        Some(text) => render_text(message, text, settings.config.from())?,
        None => {
            let content = content(store, message).await?;
            render(
                message,
                &content.relay_name,
                &content.distribution.batch,
                &content.promotion_name,
                &content.codes,
                settings.config.from(),
            )?
        }
    };
    sender.send(email, settings.retry.send_timeout()).await
}

/// Sends the messages that are due, one at a time, until none is left (or [`MAX_PER_RUN`] were
/// handled); returns how many were sent. Each is claimed with a lease of
/// [`RetryPolicy::lease`], then marked sent, or failed with the time of its next attempt (none
/// when it reached [`RetryPolicy::max_attempts`] or cannot succeed). A message that fails does
/// not stop the others, unless the relay's settings are wrong ([`MailError::is_relay_wide`]: the
/// failure is recorded on the first message and the others wait for the next run); an error of
/// the store while claiming or recording does (the message then waits for its lease to run out).
pub async fn send_due(
    store: &dyn Store,
    settings: &MailSettings,
) -> Result<usize, remise_store::Error> {
    // Built at the first due message: building TLS parameters reads the system's certificates,
    // which the worker's idle ticks should not do every second.
    let mut sender: Option<Result<Sender, MailError>> = None;
    let lease = millis(settings.retry.lease);
    let mut sent = 0;
    for _ in 0..MAX_PER_RUN {
        let now = now_millis();
        let Some(message) = store.claim_mail(now, now.saturating_add(lease)).await? else {
            break;
        };
        let sender = sender.get_or_insert_with(|| Sender::new(settings));
        match deliver(store, settings, sender, &message).await {
            Ok(()) => {
                store.mail_sent(&message.id, now_millis()).await?;
                sent += 1;
                tracing::info!(
                    message = %message.id,
                    recipient = %message.recipient,
                    attempts = message.attempts,
                    "mail sent"
                );
            }
            Err(error) => {
                let text = error.to_string();
                let retry_at = if error.is_permanent() {
                    None
                } else {
                    settings.retry.retry_at(message.attempts, now_millis())
                };
                store.mail_failed(&message.id, &text, retry_at).await?;
                let stop = error.is_relay_wide();
                match retry_at {
                    Some(at) => tracing::warn!(
                        message = %message.id,
                        recipient = %message.recipient,
                        attempts = message.attempts,
                        retry_in_ms = at.saturating_sub(now_millis()),
                        "mail not sent, will retry: {text}"
                    ),
                    None => tracing::error!(
                        message = %message.id,
                        recipient = %message.recipient,
                        attempts = message.attempts,
                        "mail given up: {text}"
                    ),
                }
                if stop {
                    break;
                }
            }
        }
    }
    Ok(sent)
}

/// Runs [`send_due`] at once and then every [`WORKER_INTERVAL`], until the task is aborted.
/// Aborting it in the middle of a send is safe: the message stays leased and is sent again when
/// the lease runs out.
pub fn spawn_worker(store: Arc<dyn Store>, settings: MailSettings) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(WORKER_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The first tick completes at once.
            ticks.tick().await;
            match send_due(store.as_ref(), &settings).await {
                Ok(0) => {}
                Ok(sent) => tracing::debug!("{sent} mails sent"),
                Err(error) => tracing::error!("the mail outbox could not be processed: {error}"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use remise_store::MailState;

    use super::*;

    fn outbox(language: &str) -> OutboxMessage {
        OutboxMessage {
            id: "dist-1".to_owned(),
            distribution: Some("dist-1".to_owned()),
            text: None,
            recipient: "relais@example.com".to_owned(),
            language: language.to_owned(),
            state: MailState::Pending,
            attempts: 1,
            next_attempt_at: 0,
            lease_until: None,
            last_error: None,
            created_at: 0,
            sent_at: None,
        }
    }

    fn codes() -> Vec<String> {
        vec!["AB12-CD34".to_owned(), "EF56-GH78".to_owned()]
    }

    fn formatted(message: &lettre::Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn renders_in_french() {
        let message = render(
            &outbox("fr"),
            "Boutique Étoile",
            "noel",
            "Code MARVEL10 : 10 € offerts",
            &codes(),
            DEFAULT_FROM,
        )
        .unwrap();
        let headers = message.headers();
        assert_eq!(
            headers.get_raw("Subject"),
            Some("Vos 2 codes pour « Code MARVEL10 : 10 € offerts »")
        );
        assert_eq!(headers.get_raw("Message-ID"), Some("<dist-1@remise>"));
        let to = headers.get_raw("To").unwrap();
        assert!(to.contains("relais@example.com"), "{to}");
        let text = formatted(&message);
        assert!(text.contains("multipart/mixed"), "{text}");
        assert!(
            text.contains("filename=\"codes-noel.csv\""),
            "the attachment: {text}"
        );
        assert!(text.contains("text/csv; charset=utf-8"), "{text}");
        // The CSV is ASCII, so it travels as is.
        assert!(
            text.contains("code\r\nAB12-CD34\r\nEF56-GH78\r\n"),
            "{text}"
        );

        let body = body(
            Language::French,
            "Boutique Étoile",
            "noel",
            "Code MARVEL10 : 10 € offerts",
            &codes(),
        );
        assert!(body.starts_with("Bonjour Boutique Étoile,\n"), "{body}");
        assert!(
            body.contains(
                "Voici 2 codes de la promotion « Code MARVEL10 : 10 € offerts » (lot noel)"
            ),
            "{body}"
        );
        assert!(body.contains("\nAB12-CD34\nEF56-GH78\n"), "{body}");
        assert!(body.contains("codes-noel.csv"), "{body}");
    }

    #[test]
    fn renders_in_english_for_any_other_language() {
        for language in ["en", "de", "", "english"] {
            let message = render(
                &outbox(language),
                "Shop",
                "b1",
                "Spring sale",
                &codes()[..1],
                "codes@example.com",
            )
            .unwrap();
            assert_eq!(
                message.headers().get_raw("Subject"),
                Some("Your code for \"Spring sale\""),
                "{language}"
            );
            assert_eq!(message.headers().get_raw("From"), Some("codes@example.com"));
        }
        let body = body(Language::English, "Shop", "b1", "Spring sale", &codes());
        assert!(body.starts_with("Hello Shop,\n"), "{body}");
        assert!(
            body.contains("Here are 2 codes of the promotion \"Spring sale\" (batch b1)"),
            "{body}"
        );
        assert!(body.contains("\nAB12-CD34\nEF56-GH78\n"), "{body}");
        assert_eq!(subject(Language::English, 3, "P"), "Your 3 codes for \"P\"");
        assert_eq!(subject(Language::French, 1, "P"), "Votre code pour « P »");
    }

    #[test]
    fn a_standalone_message_keeps_its_own_text() {
        let mut message = outbox("fr");
        message.id = "task-t1".to_owned();
        message.distribution = None;
        let text = MessageText {
            subject: "Nouvelle tâche : page marque".to_owned(),
            body: "Bonjour,\n\nUne tâche vous attend.\n".to_owned(),
        };
        let email = render_text(&message, &text, DEFAULT_FROM).unwrap();
        let headers = email.headers();
        assert_eq!(
            headers.get_raw("Subject"),
            Some("Nouvelle tâche : page marque")
        );
        assert_eq!(headers.get_raw("Message-ID"), Some("<task-t1@remise>"));
        assert_eq!(headers.get_raw("To"), Some("relais@example.com"));
        let formatted = formatted(&email);
        assert!(
            formatted.contains("text/plain; charset=utf-8"),
            "{formatted}"
        );
        assert!(!formatted.contains("multipart"), "{formatted}");
        message.recipient = "nobody".to_owned();
        let error = render_text(&message, &text, DEFAULT_FROM).unwrap_err();
        assert!(error.is_permanent(), "{error}");
    }

    #[test]
    fn french_variants_are_french() {
        for code in ["fr", "FR", "fr-CA", "fr_BE", " fr "] {
            assert_eq!(Language::of(code), Language::French, "{code}");
        }
        for code in ["en", "fra", "", "f"] {
            assert_eq!(Language::of(code), Language::English, "{code}");
        }
    }

    #[test]
    fn bad_addresses_are_permanent_errors() {
        let mut message = outbox("fr");
        message.recipient = "not an address".to_owned();
        let error = render(&message, "R", "b", "P", &codes(), DEFAULT_FROM).unwrap_err();
        assert!(error.is_permanent(), "{error}");
        let error = render(&outbox("fr"), "R", "b", "P", &codes(), "nobody").unwrap_err();
        assert!(matches!(error, MailError::Address { .. }), "{error}");
        assert!(!MailError::Timeout(Duration::from_secs(1)).is_permanent());
    }

    #[test]
    fn csv_has_a_header_and_quotes_when_needed() {
        assert_eq!(csv(&[]).unwrap(), "code\r\n");
        assert_eq!(
            csv(&["A,B".to_owned(), "ÉTÉ".to_owned()]).unwrap(),
            "code\r\n\"A,B\"\r\nÉTÉ\r\n"
        );
        assert_eq!(attachment_name("lot 1/2"), "codes-lot-1-2.csv");
        assert_eq!(message_id("a b<c>"), "<a_b_c_@remise>");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_secs(2));
        assert_eq!(policy.backoff(2), Duration::from_secs(4));
        assert_eq!(policy.backoff(3), Duration::from_secs(8));
        assert_eq!(policy.backoff(11), Duration::from_secs(2048));
        assert_eq!(policy.backoff(12), Duration::from_secs(3600));
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(3600));
        // Attempt 0 does not happen (the claim counts the attempt), but is not an error.
        assert_eq!(policy.backoff(0), Duration::from_secs(2));
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.retry_at(1, 1_000), Some(3_000));
        assert_eq!(policy.retry_at(7, 0), Some(128_000));
        assert_eq!(policy.retry_at(15, 0), Some(3_600_000));
        assert_eq!(policy.retry_at(16, 0), None);
        assert_eq!(policy.retry_at(17, 0), None);
        assert_eq!(policy.send_timeout(), Duration::from_secs(30));
    }

    #[test]
    fn defaults_to_a_directory() {
        assert_eq!(
            MailConfig::default(),
            MailConfig::Directory {
                path: PathBuf::from("./outbox-mail"),
                from: DEFAULT_FROM.to_owned()
            }
        );
        assert_eq!(
            MailConfig::from_options(Some("relay".to_owned()), None, None, None),
            MailConfig::Smtp {
                relay: SmtpRelay::plain("relay", 25),
                from: DEFAULT_FROM.to_owned()
            }
        );
        assert_eq!(MailSettings::default().retry.max_attempts, 16);
    }
}
