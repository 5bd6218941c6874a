//! The mail sender end to end: a real SQLite store holding the demo shop, a batch of codes and
//! relays, distributions queued through the store, and the sender delivering to the test SMTP
//! sink (or into a directory). The received messages are parsed as MIME to check what a relay
//! would read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use remise_server::mail::{self, MailConfig, MailSettings, RetryPolicy, SmtpRelay};
use remise_store::{
    Actor, Batch, DistributeRequest, Distribution, Draft, Kind, MailState, OutboxMessage,
    OutgoingMessage, Store, now_millis,
};
use remise_test_support::TestSqlite;
use remise_test_support::smtp::SmtpSink;
use serde_json::json;

const FROM: &str = "Remise <codes@remise.test>";
/// The demo promotion the batch belongs to.
const PROMOTION: &str = "marvel10";
const PROMOTION_NAME: &str = "Code MARVEL10 : 10 € offerts sur Marvel dès 40 €";
const BATCH: &str = "noel-2026";

/// A French relay and an English one.
const ETOILE: (&str, &str, &str, &str) =
    ("etoile", "Boutique Étoile", "contact@etoile.example", "fr");
const CORNER: (&str, &str, &str, &str) = ("corner", "Corner Shop", "hello@corner.example", "en");

struct Shop {
    db: TestSqlite,
    store: Arc<dyn Store>,
}

/// The demo shop with a batch of 10 codes (`NOEL-0000` to `NOEL-0009`) and two relays.
async fn shop() -> Shop {
    let db = TestSqlite::new();
    let store = remise_store::open(&db.url).await.expect("open the store");
    store.migrate().await.expect("migrate");
    remise_server::demo::load(store.as_ref())
        .await
        .expect("load the demo");
    let actor = Actor("test".to_owned());
    store
        .create_batch(
            &actor,
            &Batch {
                id: BATCH.to_owned(),
                promotion: PROMOTION.to_owned(),
                prefix: "NOEL".to_owned(),
                length: 4,
                pattern: None,
                uses_per_code: 1,
                quota: 10,
                starts_at: None,
                ends_at: None,
                created_at: now_millis(),
            },
        )
        .await
        .expect("create the batch");
    let codes: Vec<(String, String)> = (0..10)
        .map(|i| (format!("NOEL{i:04}"), format!("NOEL-{i:04}")))
        .collect();
    let added = store
        .add_batch_codes(&actor, BATCH, &codes)
        .await
        .expect("add codes");
    assert_eq!(added, 10);
    for (id, name, email, language) in [ETOILE, CORNER] {
        store
            .create(
                &actor,
                Kind::Relay,
                Draft {
                    id: id.to_owned(),
                    body: json!({
                        "id": id, "name": name, "email": email,
                        "kind": "partner", "language": language,
                    }),
                    parent: None,
                    status: None,
                },
            )
            .await
            .expect("create a relay");
    }
    Shop { db, store }
}

impl Shop {
    /// Hands `count` codes to a relay: the distribution and its queued mail.
    async fn distribute(
        &self,
        id: &str,
        relay: (&str, &str, &str, &str),
        count: u32,
    ) -> Distribution {
        let (relay, _, email, language) = relay;
        self.store
            .distribute(
                &Actor("test".to_owned()),
                &DistributeRequest {
                    id: id.to_owned(),
                    batch: BATCH.to_owned(),
                    relay: relay.to_owned(),
                    count,
                    recipient: email.to_owned(),
                    language: language.to_owned(),
                    now: now_millis(),
                },
            )
            .await
            .expect("distribute")
    }

    /// One run of the sender; how many mails it sent.
    async fn send_due(&self, settings: &MailSettings) -> usize {
        mail::send_due(self.store.as_ref(), settings)
            .await
            .expect("the outbox is readable")
    }

    async fn outbox(&self, id: &str) -> OutboxMessage {
        self.store
            .list_outbox(None, 100)
            .await
            .expect("list the outbox")
            .into_iter()
            .find(|m| m.id == id)
            .expect("the message is in the outbox")
    }

    async fn codes(&self, distribution: &str) -> Vec<String> {
        self.store
            .distribution_codes(distribution)
            .await
            .expect("the distribution's codes")
    }

    /// Polls the outbox until `done` holds for the message, at most `timeout`.
    async fn wait_for(
        &self,
        id: &str,
        timeout: Duration,
        done: impl Fn(&OutboxMessage) -> bool,
    ) -> OutboxMessage {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = self.outbox(id).await;
            if done(&message) || tokio::time::Instant::now() >= deadline {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn smtp(port: u16, retry: RetryPolicy) -> MailSettings {
    MailSettings {
        config: MailConfig::Smtp {
            relay: SmtpRelay::plain("127.0.0.1", port),
            from: FROM.to_owned(),
        },
        retry,
    }
}

/// Quick retries for the tests: 200 ms doubling, a 2 s lease.
fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base: Duration::from_millis(200),
        cap: Duration::from_secs(5),
        lease: Duration::from_secs(2),
    }
}

/// A port that refuses connections: that of a sink that was started and stopped.
async fn dead_port() -> u16 {
    let sink = SmtpSink::start().await.expect("start the sink");
    let port = sink.port();
    sink.stop().await;
    port
}

/// TLS and authentication against the sink playing a real relay.
#[path = "mail/tls.rs"]
mod tls;

// ---------------------------------------------------------------------------------------------
// Just enough MIME to read a message: headers, multipart bodies, base64 and quoted-printable,
// RFC 2047 encoded words.

struct Entity {
    /// Names in lower case, values unfolded.
    headers: Vec<(String, String)>,
    body: String,
}

impl Entity {
    fn parse(raw: &str) -> Entity {
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no blank line after the headers: {raw}"));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().expect("a folded line after a header");
                value.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("a header line");
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Entity {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    /// A header with its encoded words decoded.
    fn text_header(&self, name: &str) -> String {
        decode_words(
            self.header(name)
                .unwrap_or_else(|| panic!("no {name} header")),
        )
    }

    /// A parameter of a header: `boundary`, `filename`…
    fn param(&self, header: &str, name: &str) -> Option<String> {
        let value = self.header(header)?;
        value.split(';').skip(1).find_map(|param| {
            let (key, value) = param.trim().split_once('=')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim_matches('"').to_owned())
        })
    }

    /// The parts of a multipart entity.
    fn parts(&self) -> Vec<Entity> {
        let boundary = self
            .param("content-type", "boundary")
            .expect("a multipart boundary");
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for chunk in self.body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
            parts.push(Entity::parse(chunk));
        }
        parts
    }

    /// The body with its transfer encoding undone, as UTF-8.
    fn decoded(&self) -> String {
        let encoding = self
            .header("content-transfer-encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64(&self.body),
            "quoted-printable" => quoted_printable(&self.body),
            _ => self.body.clone().into_bytes(),
        };
        String::from_utf8(bytes).expect("UTF-8 text")
    }
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|&b| b == byte) else {
            continue; // whitespace and padding
        };
        bits = (bits << 6) | value as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("hex digits"));
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 `=?charset?b|q?text?=` words (UTF-8 only); the space between two encoded
/// words goes.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for (index, token) in value.split([' ', '\t']).enumerate() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut pieces = t.splitn(3, '?');
                let (charset, encoding, text) = (pieces.next()?, pieces.next()?, pieces.next()?);
                assert!(charset.eq_ignore_ascii_case("utf-8"), "{charset}");
                let bytes = if encoding.eq_ignore_ascii_case("b") {
                    base64(text)
                } else {
                    quoted_printable(&text.replace('_', " "))
                };
                Some(String::from_utf8(bytes).expect("UTF-8 word"))
            });
        if index > 0 && !(previous_encoded && decoded.is_some()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| token.to_owned()));
    }
    out
}

/// What a relay reads in a message.
struct Read {
    subject: String,
    message_id: String,
    to: String,
    text: String,
    attachment_name: String,
    attachment: String,
}

fn read(raw: &str) -> Read {
    let message = Entity::parse(raw);
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "a text and an attachment");
    let text = parts
        .iter()
        .find(|p| {
            p.header("content-type")
                .is_some_and(|t| t.starts_with("text/plain"))
        })
        .expect("a text part");
    let attachment = parts
        .iter()
        .find(|p| {
            p.header("content-disposition")
                .is_some_and(|d| d.starts_with("attachment"))
        })
        .expect("an attachment");
    assert!(
        attachment
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/csv")),
        "{:?}",
        attachment.header("content-type")
    );
    Read {
        subject: message.text_header("subject"),
        message_id: message
            .header("message-id")
            .expect("a Message-ID")
            .to_owned(),
        to: message.text_header("to"),
        text: text.decoded(),
        attachment_name: attachment
            .param("content-disposition", "filename")
            .expect("a file name"),
        attachment: attachment.decoded(),
    }
}

fn csv_of(codes: &[String]) -> String {
    let mut csv = "code\r\n".to_owned();
    for code in codes {
        csv.push_str(code);
        csv.push_str("\r\n");
    }
    csv
}

fn eml_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("the mail directory")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| std::fs::read_to_string(path).expect("an .eml file"))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn one_distribution_sends_one_mail_in_french_with_its_codes() {
    let shop = shop().await;
    let sink = SmtpSink::start().await.expect("start the sink");
    let distribution = shop.distribute("dist-1", ETOILE, 3).await;
    let codes = shop.codes(&distribution.id).await;
    assert_eq!(codes, ["NOEL-0000", "NOEL-0001", "NOEL-0002"]);

    let settings = smtp(sink.port(), RetryPolicy::default());
    assert_eq!(shop.send_due(&settings).await, 1);

    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].recipients, [ETOILE.2]);
    assert_eq!(received[0].from, "codes@remise.test");
    let raw = received[0].text();
    let read = read(&raw);
    assert_eq!(
        read.subject,
        format!("Vos 3 codes pour « {PROMOTION_NAME} »")
    );
    assert_eq!(read.message_id, "<dist-1@remise>");
    assert!(
        read.to.contains(ETOILE.1) && read.to.contains(ETOILE.2),
        "{}",
        read.to
    );
    assert!(
        read.text.starts_with("Bonjour Boutique Étoile,"),
        "{}",
        read.text
    );
    assert!(read.text.contains(PROMOTION_NAME), "{}", read.text);
    for code in &codes {
        assert!(
            read.text.lines().any(|line| line == code),
            "{code} on a line of its own: {}",
            read.text
        );
    }
    assert_eq!(read.attachment_name, format!("codes-{BATCH}.csv"));
    assert_eq!(read.attachment, csv_of(&codes));

    let sent = shop.outbox("dist-1").await;
    assert_eq!(sent.state, MailState::Sent);
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());
    assert_eq!(sent.lease_until, None);

    // Nothing more is due: nothing is sent again.
    assert_eq!(shop.send_due(&settings).await, 0);
    assert_eq!(sink.messages().len(), 1);
    sink.stop().await;
}

#[tokio::test]
async fn an_smtp_outage_delays_the_mail_which_is_sent_once_when_the_server_is_back() {
    let shop = shop().await;
    let port = dead_port().await;
    // Waits of 1 s, then 2 s: long enough that a slow machine does not make a check late.
    let mut retry = quick(8);
    retry.base = Duration::from_secs(1);
    let settings = smtp(port, retry);
    shop.distribute("dist-1", ETOILE, 2).await;

    assert_eq!(shop.send_due(&settings).await, 0);
    let first = shop.outbox("dist-1").await;
    assert_eq!(first.state, MailState::Pending);
    assert_eq!(first.attempts, 1);
    assert!(first.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    assert_eq!(first.lease_until, None);
    assert!(first.next_attempt_at > now_millis(), "retried later");

    // Not due yet: not attempted again.
    assert_eq!(shop.send_due(&settings).await, 0);
    assert_eq!(shop.outbox("dist-1").await.attempts, 1);

    // Second failure: the wait doubles.
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    assert_eq!(shop.send_due(&settings).await, 0);
    let second = shop.outbox("dist-1").await;
    assert_eq!((second.state, second.attempts), (MailState::Pending, 2));
    assert!(second.next_attempt_at - now_millis() > 1_000, "about 2 s");

    // The server is back on the same port.
    let sink = SmtpSink::start_on(port).await.expect("restart the sink");
    tokio::time::sleep(Duration::from_millis(2_050)).await;
    assert_eq!(shop.send_due(&settings).await, 1);
    let sent = shop.outbox("dist-1").await;
    assert_eq!((sent.state, sent.attempts), (MailState::Sent, 3));
    assert_eq!(shop.send_due(&settings).await, 0);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(read(&received[0].text()).message_id, "<dist-1@remise>");
    sink.stop().await;
}

#[tokio::test]
async fn a_mail_is_given_up_after_the_last_attempt_and_can_be_retried_by_hand() {
    let shop = shop().await;
    let port = dead_port().await;
    let mut retry = quick(2);
    retry.base = Duration::from_millis(20);
    let settings = smtp(port, retry);
    shop.distribute("dist-1", CORNER, 1).await;

    shop.send_due(&settings).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    shop.send_due(&settings).await;
    let failed = shop.outbox("dist-1").await;
    assert_eq!((failed.state, failed.attempts), (MailState::Failed, 2));
    assert!(failed.last_error.is_some());

    let sink = SmtpSink::start_on(port).await.expect("restart the sink");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(shop.send_due(&settings).await, 0);
    shop.store
        .retry_mail("dist-1", now_millis())
        .await
        .expect("retry by hand");
    assert_eq!(shop.send_due(&settings).await, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let read = read(&received[0].text());
    assert_eq!(read.subject, format!("Your code for \"{PROMOTION_NAME}\""));
    assert!(read.text.starts_with("Hello Corner Shop,"), "{}", read.text);
    assert_eq!(shop.outbox("dist-1").await.state, MailState::Sent);
    sink.stop().await;
}

#[tokio::test]
async fn a_restarted_worker_sends_the_mail_once() {
    let shop = shop().await;
    // The relay is down while the first worker runs, so it cannot have delivered anything.
    let port = dead_port().await;
    let settings = smtp(port, quick(8));
    shop.distribute("dist-1", ETOILE, 2).await;

    let first = mail::spawn_worker(shop.store.clone(), settings.clone());
    let tried = shop
        .wait_for("dist-1", Duration::from_secs(10), |m| m.attempts >= 1)
        .await;
    assert!(tried.attempts >= 1, "the first worker made an attempt");
    first.abort();
    assert!(first.await.is_err_and(|e| e.is_cancelled()));
    assert_eq!(shop.outbox("dist-1").await.state, MailState::Pending);

    // The instance comes back, and so does the relay.
    let sink = SmtpSink::start_on(port).await.expect("restart the sink");
    let second = mail::spawn_worker(shop.store.clone(), settings);
    let sent = shop
        .wait_for("dist-1", Duration::from_secs(10), |m| {
            m.state == MailState::Sent
        })
        .await;
    assert_eq!(sent.state, MailState::Sent);
    // Several more ticks of the worker: still one mail.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(sink.messages().len(), 1);
    second.abort();
    sink.stop().await;
}

#[tokio::test]
async fn a_message_held_by_a_dead_worker_waits_for_its_lease_then_goes_once() {
    let shop = shop().await;
    let sink = SmtpSink::start().await.expect("start the sink");
    shop.distribute("dist-1", ETOILE, 1).await;
    // A worker claims the message and dies before sending it.
    let now = now_millis();
    let claimed = shop
        .store
        .claim_mail(now, now + 1_500)
        .await
        .unwrap()
        .expect("a due message");
    assert_eq!(claimed.id, "dist-1");

    let settings = smtp(sink.port(), quick(8));
    assert_eq!(shop.send_due(&settings).await, 0);
    let worker = mail::spawn_worker(shop.store.clone(), settings);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(sink.messages().is_empty(), "the lease still holds");
    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    let sent = shop
        .wait_for("dist-1", Duration::from_secs(5), |m| {
            m.state == MailState::Sent
        })
        .await;
    assert_eq!((sent.state, sent.attempts), (MailState::Sent, 2));
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(sink.messages().len(), 1);
    worker.abort();
    sink.stop().await;
}

#[tokio::test]
async fn directory_mode_writes_one_eml_file_per_message() {
    let shop = shop().await;
    let dir = shop.db.dir().join("mail-out");
    let settings = MailSettings::new(MailConfig::Directory {
        path: dir.clone(),
        from: FROM.to_owned(),
    });
    let french = shop.distribute("dist-fr", ETOILE, 2).await;
    let english = shop.distribute("dist-en", CORNER, 3).await;

    assert_eq!(shop.send_due(&settings).await, 2);
    assert_eq!(shop.send_due(&settings).await, 0);
    let files = eml_files(&dir);
    assert_eq!(files.len(), 2);
    let mut reads: Vec<Read> = files.iter().map(|raw| read(raw)).collect();
    reads.sort_by(|a, b| a.message_id.cmp(&b.message_id));
    let (en, fr) = (&reads[0], &reads[1]);
    assert_eq!(en.message_id, "<dist-en@remise>");
    assert_eq!(fr.message_id, "<dist-fr@remise>");
    assert_eq!(en.subject, format!("Your 3 codes for \"{PROMOTION_NAME}\""));
    assert_eq!(fr.subject, format!("Vos 2 codes pour « {PROMOTION_NAME} »"));
    for (read, distribution) in [(en, &english), (fr, &french)] {
        let codes = shop.codes(&distribution.id).await;
        assert_eq!(codes.len(), distribution.count as usize);
        for code in &codes {
            assert!(read.text.contains(code.as_str()), "{code}: {}", read.text);
        }
        assert_eq!(read.attachment, csv_of(&codes));
    }
    for id in ["dist-fr", "dist-en"] {
        assert_eq!(shop.outbox(id).await.state, MailState::Sent);
    }
}

#[tokio::test]
async fn a_standalone_message_is_sent_with_its_own_text() {
    let shop = shop().await;
    let sink = SmtpSink::start().await.expect("start the sink");
    // A task's notice, queued beside a distribution's codes.
    shop.distribute("dist-1", ETOILE, 1).await;
    let notice = OutgoingMessage {
        id: "task-brand-page".to_owned(),
        recipient: "seo@shop.example".to_owned(),
        language: "fr".to_owned(),
        subject: "Nouvelle tâche : modèle de page marque".to_owned(),
        body: "Bonjour,\n\nL'experte UX vous a transféré une tâche.\n".to_owned(),
    };
    let queued = shop
        .store
        .queue_message(&notice, now_millis())
        .await
        .expect("queue");
    assert_eq!(queued.distribution, None);

    let settings = smtp(sink.port(), RetryPolicy::default());
    assert_eq!(shop.send_due(&settings).await, 2);
    let received = sink.messages();
    let task = received
        .iter()
        .find(|m| m.recipients == ["seo@shop.example"])
        .expect("the task's mail");
    let message = Entity::parse(&task.text());
    assert_eq!(message.text_header("subject"), notice.subject);
    assert_eq!(
        message.header("message-id"),
        Some("<task-brand-page@remise>")
    );
    assert!(
        message
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "one plain text part: {:?}",
        message.header("content-type")
    );
    // (The sink's copy ends with the SMTP framing's line breaks.)
    assert_eq!(
        message.decoded().replace("\r\n", "\n").trim_end(),
        notice.body.trim_end()
    );
    assert_eq!(shop.outbox("task-brand-page").await.state, MailState::Sent);
    assert_eq!(shop.outbox("dist-1").await.state, MailState::Sent);
    sink.stop().await;
}
