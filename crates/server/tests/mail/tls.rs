//! The sender against relays that want TLS (STARTTLS or implicit) and a password, with a
//! certificate signed by a private CA made for the test: delivered when everything is right, and
//! a clear failure recorded in the outbox (never a panic, never a message sent in clear) when the
//! password is wrong, the certificate is not trusted or the relay does not offer STARTTLS.

use std::path::PathBuf;

use remise_server::mail::{CaCertificates, SmtpCredentials, TlsMode};
use remise_test_support::smtp::{SinkOptions, SinkTls};

use super::*;

const USER: &str = "mailer";
const PASSWORD: &str = "correct horse battery staple";

fn sink_options(tls: SinkTls, credentials: bool) -> SinkOptions {
    SinkOptions {
        tls,
        credentials: credentials.then(|| (USER.to_owned(), PASSWORD.to_owned())),
    }
}

/// The sink's CA written to a file, as an operator would give it.
fn ca_file(shop: &Shop, sink: &SmtpSink, name: &str) -> PathBuf {
    let path = shop.db.dir().join(name);
    std::fs::write(&path, sink.ca_pem().expect("a TLS sink has a CA")).expect("write the CA");
    path
}

fn settings(
    port: u16,
    tls: Option<TlsMode>,
    password: Option<&str>,
    ca: Option<&Path>,
) -> MailSettings {
    let relay = SmtpRelay::new(
        "127.0.0.1",
        Some(port),
        tls,
        password.map(|password| SmtpCredentials::new(USER, password)),
        ca.map(|path| CaCertificates::read(path).expect("a readable CA file")),
    );
    MailSettings {
        config: MailConfig::smtp(relay, Some(FROM.to_owned())),
        retry: quick(8),
    }
}

#[tokio::test]
async fn starttls_with_a_password_delivers_encrypted_as_the_user() {
    let shop = shop().await;
    let sink = SmtpSink::start_with(sink_options(SinkTls::StartTls, true))
        .await
        .expect("start the sink");
    let ca = ca_file(&shop, &sink, "ca.pem");
    shop.distribute("dist-1", ETOILE, 2).await;
    // No mode given: a user means STARTTLS, required.
    let settings = settings(sink.port(), None, Some(PASSWORD), Some(&ca));
    settings.config.check().expect("valid settings");

    assert_eq!(shop.send_due(&settings).await, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].encrypted, "sent over TLS");
    assert_eq!(received[0].user.as_deref(), Some(USER));
    assert_eq!(received[0].recipients, [ETOILE.2]);
    assert_eq!(read(&received[0].text()).message_id, "<dist-1@remise>");
    assert_eq!(shop.outbox("dist-1").await.state, MailState::Sent);
    sink.stop().await;
}

#[tokio::test]
async fn implicit_tls_delivers_encrypted() {
    let shop = shop().await;
    let sink = SmtpSink::start_with(sink_options(SinkTls::Implicit, true))
        .await
        .expect("start the sink");
    let ca = ca_file(&shop, &sink, "ca.pem");
    shop.distribute("dist-1", CORNER, 1).await;
    let settings = settings(sink.port(), Some(TlsMode::Tls), Some(PASSWORD), Some(&ca));

    assert_eq!(shop.send_due(&settings).await, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].encrypted);
    assert_eq!(received[0].user.as_deref(), Some(USER));
    assert_eq!(shop.outbox("dist-1").await.state, MailState::Sent);
    sink.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_failure_in_the_outbox_and_stops_the_run() {
    let shop = shop().await;
    let sink = SmtpSink::start_with(sink_options(SinkTls::StartTls, true))
        .await
        .expect("start the sink");
    let ca = ca_file(&shop, &sink, "ca.pem");
    shop.distribute("dist-1", ETOILE, 1).await;
    shop.distribute("dist-2", CORNER, 1).await;
    let wrong = settings(sink.port(), None, Some("not-the-password"), Some(&ca));

    assert_eq!(shop.send_due(&wrong).await, 0);
    assert!(sink.messages().is_empty());
    let first = shop.outbox("dist-1").await;
    assert_eq!((first.state, first.attempts), (MailState::Pending, 1));
    let error = first.last_error.expect("the failure is recorded");
    assert!(
        error.contains("refused the password of user `mailer`") && error.contains("535"),
        "{error}"
    );
    assert!(!error.contains("not-the-password"), "{error}");
    // The other message was not tried: the relay would have refused it too.
    assert_eq!(shop.outbox("dist-2").await.attempts, 0);

    // The operator fixes the password: both go (after the first one's back-off).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let right = settings(sink.port(), None, Some(PASSWORD), Some(&ca));
    assert_eq!(shop.send_due(&right).await, 2);
    assert_eq!(sink.messages().len(), 2);
    sink.stop().await;
}

#[tokio::test]
async fn no_password_for_a_relay_that_requires_one_is_named_as_such() {
    let shop = shop().await;
    let sink = SmtpSink::start_with(sink_options(SinkTls::Implicit, true))
        .await
        .expect("start the sink");
    let ca = ca_file(&shop, &sink, "ca.pem");
    shop.distribute("dist-1", ETOILE, 1).await;

    let anonymous = settings(sink.port(), Some(TlsMode::Tls), None, Some(&ca));
    assert_eq!(shop.send_due(&anonymous).await, 0);
    let error = shop.outbox("dist-1").await.last_error.expect("recorded");
    assert!(error.contains("requires authentication"), "{error}");
    assert!(sink.messages().is_empty());
    sink.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_unless_its_ca_file_is_given() {
    for tls in [SinkTls::StartTls, SinkTls::Implicit] {
        let shop = shop().await;
        let sink = SmtpSink::start_with(sink_options(tls, true))
            .await
            .expect("start the sink");
        let mode = match tls {
            SinkTls::Implicit => TlsMode::Tls,
            _ => TlsMode::StartTls,
        };
        shop.distribute("dist-1", ETOILE, 1).await;

        // The system's trust store does not know the private CA.
        let untrusted = settings(sink.port(), Some(mode), Some(PASSWORD), None);
        assert_eq!(shop.send_due(&untrusted).await, 0, "{tls:?}");
        let error = shop.outbox("dist-1").await.last_error.expect("recorded");
        assert!(
            error.contains("certificate of the SMTP relay 127.0.0.1")
                && error.contains("not trusted"),
            "{tls:?}: {error}"
        );
        assert!(
            error.contains("configure its CA certificate file"),
            "{error}"
        );

        // Another CA's file does not make it trusted either.
        let other = SmtpSink::start_with(sink_options(SinkTls::Implicit, false))
            .await
            .expect("start another sink");
        let other_ca = ca_file(&shop, &other, "other-ca.pem");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let wrong_ca = settings(sink.port(), Some(mode), Some(PASSWORD), Some(&other_ca));
        assert_eq!(shop.send_due(&wrong_ca).await, 0, "{tls:?}");
        let error = shop.outbox("dist-1").await.last_error.expect("recorded");
        assert!(
            error.contains("not signed by the configured CA file"),
            "{error}"
        );
        assert!(sink.messages().is_empty(), "nothing was sent: {tls:?}");

        // With the relay's CA file it goes.
        let ca = ca_file(&shop, &sink, "ca.pem");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let trusted = settings(sink.port(), Some(mode), Some(PASSWORD), Some(&ca));
        assert_eq!(shop.send_due(&trusted).await, 1, "{tls:?}");
        assert_eq!(sink.messages().len(), 1);
        other.stop().await;
        sink.stop().await;
    }
}

#[tokio::test]
async fn a_relay_without_starttls_gets_nothing_when_starttls_is_required() {
    let shop = shop().await;
    // A plain relay (or one whose STARTTLS an attacker on the path removed).
    let sink = SmtpSink::start_with(sink_options(SinkTls::None, true))
        .await
        .expect("start the sink");
    shop.distribute("dist-1", ETOILE, 1).await;
    let settings = settings(sink.port(), None, Some(PASSWORD), None);

    assert_eq!(shop.send_due(&settings).await, 0);
    assert!(sink.messages().is_empty(), "no fall-back to plain text");
    let error = shop.outbox("dist-1").await.last_error.expect("recorded");
    assert!(error.to_lowercase().contains("starttls"), "{error}");
    sink.stop().await;
}

#[tokio::test]
async fn settings_are_checked_before_sending() {
    let shop = shop().await;
    let sink = SmtpSink::start_with(sink_options(SinkTls::StartTls, false))
        .await
        .expect("start the sink");
    let ca = ca_file(&shop, &sink, "ca.pem");
    // A CA file for an unencrypted connection is a mistake.
    let plain = settings(sink.port(), Some(TlsMode::None), None, Some(&ca));
    let error = plain.config.check().expect_err("refused").to_string();
    assert!(error.contains("not encrypted"), "{error}");
    // A file that holds no certificate names itself.
    let junk = shop.db.dir().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let error = CaCertificates::read(&junk)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("junk.pem") && error.contains("no PEM certificate"),
        "{error}"
    );
    sink.stop().await;
}
