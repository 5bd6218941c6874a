//! How mail leaves: an SMTP relay (plain, STARTTLS or implicit TLS, with or without a user and
//! password) or a directory of `.eml` files.
//!
//! **Defaults**, chosen as careful mail clients and servers choose them (Thunderbird's account
//! set-up, Gitea, Grafana's mandatory STARTTLS policy): port 465 means implicit TLS (RFC 8314's
//! submissions port); otherwise a relay that is given a user gets *required* STARTTLS (port 587
//! unless told), because a password and the codes must not cross the network in clear and an
//! opportunistic upgrade can be stripped by anyone on the path; a relay without a user stays plain
//! SMTP on port 25, as before: that is the local relay of a trusted network, often with a
//! self-signed certificate that a verified upgrade would refuse. An explicit mode always wins.
//!
//! The relay's certificate is checked against the system's trust store (`/etc/ssl/certs`), or,
//! when a CA file is given, against the certificates of that file only (like `curl --cacert`): a
//! private relay is trusted for its own CA and nothing else.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{MailConfig, MailError, MailSettings};

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP: nothing is encrypted. For a relay on the same host or a trusted network.
    None,
    /// A plain connection upgraded with `STARTTLS` before anything else is said. A relay that
    /// does not offer it is an error, never a silent fall-back to plain text.
    StartTls,
    /// TLS from the first byte (implicit TLS, port 465).
    Tls,
}

impl TlsMode {
    /// The mode when none is given: TLS on port 465, STARTTLS when there is a password to
    /// protect, plain otherwise (see the module's documentation for why).
    pub fn default_for(port: Option<u16>, authenticated: bool) -> TlsMode {
        match port {
            Some(465) => TlsMode::Tls,
            _ if authenticated => TlsMode::StartTls,
            _ => TlsMode::None,
        }
    }

    /// The port when none is given: 25 (relay), 587 (submission) or 465 (submissions).
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }

    /// The names accepted by [`TlsMode::from_str`].
    pub const NAMES: [&'static str; 3] = ["none", "starttls", "tls"];
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        })
    }
}

impl FromStr for TlsMode {
    type Err = String;

    /// `none`, `starttls` or `tls` (any case).
    fn from_str(text: &str) -> Result<TlsMode, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::StartTls),
            "tls" => Ok(TlsMode::Tls),
            _ => Err(format!(
                "`{text}` is not a TLS mode: expected one of {}",
                TlsMode::NAMES.join(", ")
            )),
        }
    }
}

/// A user and password for the relay. The password is never shown: `Debug` hides it, and
/// nothing else prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    pub user: String,
    password: String,
}

impl SmtpCredentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> SmtpCredentials {
        SmtpCredentials {
            user: user.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The CA certificates (PEM) that sign a private relay's certificate, read from a file.
#[derive(Clone, PartialEq, Eq)]
pub struct CaCertificates {
    path: PathBuf,
    pem: Vec<u8>,
}

impl CaCertificates {
    /// Reads `path` and checks that it holds at least one PEM certificate.
    pub fn read(path: &Path) -> Result<CaCertificates, MailError> {
        let pem = std::fs::read(path).map_err(|error| MailError::CaFile {
            path: path.display().to_string(),
            message: error.to_string(),
        })?;
        CaCertificates::from_pem(path, pem)
    }

    /// The certificates of `pem`, named by `path` in messages; at least one is required.
    pub fn from_pem(path: &Path, pem: Vec<u8>) -> Result<CaCertificates, MailError> {
        let ca = CaCertificates {
            path: path.to_owned(),
            pem,
        };
        ca.certificate()?;
        Ok(ca)
    }

    /// The file the certificates were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn certificate(&self) -> Result<Certificate, MailError> {
        let error = |message: &str| MailError::CaFile {
            path: self.path.display().to_string(),
            message: message.to_owned(),
        };
        let text = String::from_utf8_lossy(&self.pem);
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(error(
                "no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            ));
        }
        Certificate::from_pem(&self.pem).map_err(|_| error("a certificate in it is not valid PEM"))
    }
}

impl fmt::Debug for CaCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCertificates")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// An SMTP relay and how to speak to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<SmtpCredentials>,
    /// Trusted instead of the system's store to check the relay's certificate.
    pub ca: Option<CaCertificates>,
}

impl SmtpRelay {
    /// A relay with the defaults of [`TlsMode::default_for`] and [`TlsMode::default_port`] for
    /// what is not given.
    pub fn new(
        host: impl Into<String>,
        port: Option<u16>,
        tls: Option<TlsMode>,
        credentials: Option<SmtpCredentials>,
        ca: Option<CaCertificates>,
    ) -> SmtpRelay {
        let tls = tls.unwrap_or_else(|| TlsMode::default_for(port, credentials.is_some()));
        SmtpRelay {
            host: host.into(),
            port: port.unwrap_or_else(|| tls.default_port()),
            tls,
            credentials,
            ca,
        }
    }

    /// Plain SMTP, no authentication.
    pub fn plain(host: impl Into<String>, port: u16) -> SmtpRelay {
        SmtpRelay::new(host, Some(port), Some(TlsMode::None), None, None)
    }

    /// Checks what can be checked before connecting: a CA file without TLS, a password sent in
    /// clear to a host other than this machine, TLS parameters that cannot be built.
    pub fn check(&self) -> Result<(), MailError> {
        if self.ca.is_some() && self.tls == TlsMode::None {
            return Err(MailError::Config(
                "a CA certificate file is given but the SMTP connection is not encrypted (TLS \
                 mode none): choose starttls or tls"
                    .to_owned(),
            ));
        }
        self.transport(Duration::from_secs(1)).map(drop)
    }

    /// Whether a password would cross the network in clear: authentication without TLS to a
    /// host other than this machine. Allowed (the operator chose it), but worth a warning.
    pub fn sends_password_in_clear(&self) -> bool {
        let local = matches!(
            self.host.as_str(),
            "localhost" | "127.0.0.1" | "::1" | "[::1]"
        );
        self.credentials.is_some() && self.tls == TlsMode::None && !local
    }

    /// `host:port` with how: "relay.example:587, STARTTLS, as mailer (CA file ca.pem)". Never
    /// the password.
    pub fn describe(&self) -> String {
        let mut text = format!("{}:{}", self.host, self.port);
        text.push_str(match self.tls {
            TlsMode::None => ", plain (no TLS)",
            TlsMode::StartTls => ", STARTTLS",
            TlsMode::Tls => ", TLS",
        });
        if let Some(credentials) = &self.credentials {
            text.push_str(&format!(", as {}", credentials.user));
        }
        if let Some(ca) = &self.ca {
            text.push_str(&format!(" (CA file {})", ca.path.display()));
        }
        text
    }

    fn tls_parameters(&self) -> Result<TlsParameters, MailError> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(ca) = &self.ca {
            builder = builder
                .certificate_store(CertificateStore::None)
                .add_root_certificate(ca.certificate()?);
        }
        builder.build_rustls().map_err(|error| {
            MailError::Config(format!("TLS for {}:{}: {error}", self.host, self.port))
        })
    }

    fn transport(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        let tls = match self.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(self.tls_parameters()?),
            TlsMode::Tls => Tls::Wrapper(self.tls_parameters()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
                .port(self.port)
                .tls(tls)
                .timeout(Some(timeout));
        if let Some(credentials) = &self.credentials {
            builder = builder
                .credentials(Credentials::new(
                    credentials.user.clone(),
                    credentials.password.clone(),
                ))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(builder.build())
    }

    /// A clearer error for what the relay's configuration causes: a refused password, a
    /// certificate that is not trusted. Other errors are kept as they are.
    fn explain(&self, error: lettre::transport::smtp::Error) -> MailError {
        let code = error.status().map(|code| code.to_string());
        match (&self.credentials, code.as_deref()) {
            (Some(credentials), Some("535")) => {
                return MailError::Authentication {
                    relay: format!("{}:{}", self.host, self.port),
                    user: credentials.user.clone(),
                    message: error.to_string(),
                };
            }
            (None, Some("530")) => {
                return MailError::Authentication {
                    relay: format!("{}:{}", self.host, self.port),
                    user: String::new(),
                    message: error.to_string(),
                };
            }
            _ => {}
        }
        match certificate_error(&error) {
            Some(reason) => MailError::Certificate {
                relay: format!("{}:{}", self.host, self.port),
                reason,
                with_ca_file: self.ca.is_some(),
            },
            None => MailError::Smtp(error),
        }
    }
}

/// The certificate error of rustls somewhere in `error`'s chain (the handshake's error comes
/// wrapped in an `io::Error`, whose `source` skips it: look inside with `get_ref`).
fn certificate_error(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(rustls::Error::InvalidCertificate(reason)) = error.downcast_ref() {
            return Some(format!("{reason:?}"));
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(rustls::Error::InvalidCertificate(reason)) = inner.downcast_ref()
        {
            return Some(format!("{reason:?}"));
        }
        current = error.source();
    }
    None
}

/// The transport of one `send_due` call.
pub(super) enum Sender {
    Smtp {
        relay: SmtpRelay,
        // Boxed: much bigger than the other variant, and built once per run.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
    },
    Directory {
        path: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
}

impl Sender {
    pub(super) fn new(settings: &MailSettings) -> Result<Sender, MailError> {
        Ok(match &settings.config {
            MailConfig::Smtp { relay, .. } => Sender::Smtp {
                relay: relay.clone(),
                transport: Box::new(relay.transport(settings.retry.send_timeout())?),
            },
            MailConfig::Directory { path, .. } => Sender::Directory {
                path: path.clone(),
                transport: AsyncFileTransport::new(path),
            },
        })
    }

    pub(super) async fn send(
        &self,
        email: lettre::Message,
        timeout: Duration,
    ) -> Result<(), MailError> {
        match self {
            Sender::Smtp { relay, transport } => {
                match tokio::time::timeout(timeout, transport.send(email)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(relay.explain(error)),
                    Err(_) => Err(MailError::Timeout(timeout)),
                }
            }
            Sender::Directory { path, transport } => {
                let file_error = |message: String| MailError::File {
                    path: path.display().to_string(),
                    message,
                };
                // One cheap call when the directory exists.
                std::fs::create_dir_all(path).map_err(|e| file_error(e.to_string()))?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| file_error(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn defaults_follow_the_port_and_the_password() {
        let auth = || Some(SmtpCredentials::new("u", "p"));
        let cases = [
            // (port, mode, credentials) → (mode, port)
            (None, None, None, TlsMode::None, 25),
            (Some(25), None, None, TlsMode::None, 25),
            (Some(2525), None, None, TlsMode::None, 2525),
            (None, None, auth(), TlsMode::StartTls, 587),
            (Some(25), None, auth(), TlsMode::StartTls, 25),
            (Some(465), None, None, TlsMode::Tls, 465),
            (Some(465), None, auth(), TlsMode::Tls, 465),
            (None, Some(TlsMode::Tls), None, TlsMode::Tls, 465),
            (None, Some(TlsMode::StartTls), None, TlsMode::StartTls, 587),
            (None, Some(TlsMode::None), auth(), TlsMode::None, 25),
            (
                Some(465),
                Some(TlsMode::StartTls),
                None,
                TlsMode::StartTls,
                465,
            ),
        ];
        for (port, tls, credentials, mode, expected_port) in cases {
            let relay = SmtpRelay::new("relay.example", port, tls, credentials.clone(), None);
            assert_eq!(
                (relay.tls, relay.port),
                (mode, expected_port),
                "{port:?} {tls:?} {credentials:?}"
            );
        }
    }

    #[test]
    fn modes_parse_and_print() {
        for name in TlsMode::NAMES {
            assert_eq!(name.parse::<TlsMode>().unwrap().to_string(), name);
        }
        assert_eq!("STARTTLS".parse::<TlsMode>(), Ok(TlsMode::StartTls));
        let error = "ssl".parse::<TlsMode>().unwrap_err();
        assert!(error.contains("none, starttls, tls"), "{error}");
    }

    #[test]
    fn the_password_is_never_shown() {
        let relay = SmtpRelay::new(
            "relay.example",
            None,
            None,
            Some(SmtpCredentials::new("mailer", "hunter2-very-secret")),
            None,
        );
        let shown = format!("{relay:?} {}", relay.describe());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("mailer"), "{shown}");
        assert_eq!(relay.describe(), "relay.example:587, STARTTLS, as mailer");
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate_and_needs_tls() {
        let error = CaCertificates::from_pem(Path::new("ca.pem"), b"hello".to_vec()).unwrap_err();
        assert!(error.to_string().contains("ca.pem"), "{error}");
        let error = CaCertificates::read(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
        let sent_in_clear = SmtpRelay::new(
            "relay.example",
            None,
            Some(TlsMode::None),
            Some(SmtpCredentials::new("u", "p")),
            None,
        );
        assert!(sent_in_clear.sends_password_in_clear());
        assert!(!SmtpRelay::plain("relay.example", 25).sends_password_in_clear());
    }
}
