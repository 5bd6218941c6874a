//! The e-mail options of `remise serve`: the SMTP relay (TLS mode, user, password, CA file), the
//! `From` address, or the directory of `.eml` files.
//!
//! The password is never a command-line flag (every user of the machine can read a process's
//! arguments): it comes from `REMISE_SMTP_PASSWORD` or from a file (`--smtp-password-file`, e.g.
//! a container secret), and is never printed.

use std::path::PathBuf;

use anyhow::Result;
use remise_server::mail::{
    CaCertificates, MailConfig, MailSettings, SmtpCredentials, SmtpRelay, TlsMode,
};

/// The environment variable holding the SMTP password.
pub const PASSWORD_VAR: &str = "REMISE_SMTP_PASSWORD";

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "E-mail")]
pub struct MailOptions {
    /// The SMTP relay that sends distributed codes: HOST or HOST:PORT (default port: 25 plain,
    /// 587 STARTTLS, 465 TLS). Without it, e-mails are written as .eml files into --mail-dir.
    #[arg(long, env = "REMISE_SMTP", value_name = "HOST[:PORT]")]
    smtp: Option<String>,
    /// How the connection to the relay is secured: none (plain SMTP), starttls (required, never
    /// a silent fall-back to plain) or tls (implicit TLS). Default: tls on port 465, starttls
    /// when --smtp-user is set, none otherwise.
    #[arg(long, env = "REMISE_SMTP_TLS", value_name = "MODE", value_parser = parse_tls)]
    smtp_tls: Option<TlsMode>,
    /// The user to authenticate as (AUTH PLAIN or LOGIN). Its password comes from the
    /// environment variable REMISE_SMTP_PASSWORD or from --smtp-password-file, never from the
    /// command line.
    #[arg(long, env = "REMISE_SMTP_USER", value_name = "USER")]
    smtp_user: Option<String>,
    /// A file holding the SMTP password (one line; a final line break is ignored).
    #[arg(long, env = "REMISE_SMTP_PASSWORD_FILE", value_name = "FILE")]
    smtp_password_file: Option<PathBuf>,
    /// The PEM file of the CA that signed a private relay's certificate: trusted instead of the
    /// system's certificate store.
    #[arg(long, env = "REMISE_SMTP_CA_FILE", value_name = "FILE")]
    smtp_ca_file: Option<PathBuf>,
    /// The From address of e-mails.
    #[arg(long, env = "REMISE_MAIL_FROM")]
    mail_from: Option<String>,
    /// Where e-mails go when no SMTP server is given.
    #[arg(long, env = "REMISE_MAIL_DIR", default_value = "outbox-mail")]
    mail_dir: PathBuf,
}

fn parse_tls(text: &str) -> Result<TlsMode, String> {
    text.parse()
}

/// A mistake in the options: exit status 2, like any other bad usage.
fn usage(message: String) -> anyhow::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ValueValidation,
        format!("{message}\n"),
    )
    .into()
}

impl MailOptions {
    /// The settings, checked (a CA file that holds no certificate, a user without a password…);
    /// the password is read from `password_env` (the value of [`PASSWORD_VAR`]) or the file.
    pub fn settings(&self, password_env: Option<String>) -> Result<MailSettings> {
        let Some(text) = self.smtp.as_deref() else {
            let smtp_only = [
                ("--smtp-tls", self.smtp_tls.is_some()),
                ("--smtp-user", self.smtp_user.is_some()),
                ("--smtp-password-file", self.smtp_password_file.is_some()),
                ("--smtp-ca-file", self.smtp_ca_file.is_some()),
            ];
            if let Some((flag, _)) = smtp_only.iter().find(|(_, given)| *given) {
                return Err(usage(format!(
                    "{flag} is given without --smtp: e-mails would be written to {} instead",
                    self.mail_dir.display()
                )));
            }
            let config = MailConfig::from_options(
                None,
                None,
                Some(self.mail_dir.clone()),
                self.mail_from.clone(),
            );
            return Ok(MailSettings::new(config));
        };
        let (host, port) = split_host_port(text)?;
        let password = self.password(password_env)?;
        let credentials = match (&self.smtp_user, password) {
            (Some(user), Some(password)) => Some(SmtpCredentials::new(user.clone(), password)),
            (Some(_), None) => {
                return Err(usage(format!(
                    "--smtp-user is given without a password: set {PASSWORD_VAR} or \
                     --smtp-password-file"
                )));
            }
            (None, Some(_)) => {
                return Err(usage(format!(
                    "an SMTP password is given ({PASSWORD_VAR} or --smtp-password-file) \
                     without --smtp-user"
                )));
            }
            (None, None) => None,
        };
        let ca = match &self.smtp_ca_file {
            Some(path) => {
                Some(CaCertificates::read(path).map_err(|error| usage(error.to_string()))?)
            }
            None => None,
        };
        let relay = SmtpRelay::new(host, port, self.smtp_tls, credentials, ca);
        let config = MailConfig::smtp(relay, self.mail_from.clone());
        config.check().map_err(|error| usage(error.to_string()))?;
        Ok(MailSettings::new(config))
    }

    /// The password from the environment or the file (not both: which would win is a guess).
    fn password(&self, from_env: Option<String>) -> Result<Option<String>> {
        let from_env = from_env.filter(|password| !password.is_empty());
        match (&self.smtp_password_file, from_env) {
            (Some(_), Some(_)) => Err(usage(format!(
                "both {PASSWORD_VAR} and --smtp-password-file are given: keep one"
            ))),
            (None, from_env) => Ok(from_env),
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    usage(format!(
                        "cannot read the SMTP password file {}: {error}",
                        path.display()
                    ))
                })?;
                let password = text
                    .strip_suffix('\n')
                    .map(|line| line.strip_suffix('\r').unwrap_or(line))
                    .unwrap_or(&text);
                if password.is_empty() {
                    return Err(usage(format!(
                        "the SMTP password file {} is empty",
                        path.display()
                    )));
                }
                Ok(Some(password.to_owned()))
            }
        }
    }
}

/// `HOST` or `HOST:PORT` (`[::1]:PORT` for an IPv6 address).
fn split_host_port(text: &str) -> Result<(String, Option<u16>)> {
    let bad_port = || {
        usage(format!(
            "--smtp {text}: the port is not a number from 1 to 65535"
        ))
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| usage(format!("--smtp {text}: `]` is missing")))?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().map_err(|_| bad_port())?),
            None if after.is_empty() => None,
            None => return Err(bad_port()),
        };
        return Ok((host.to_owned(), port));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| bad_port())?)),
        None => (text, None),
    };
    if host.is_empty() || port == Some(0) {
        return Err(usage(format!("--smtp {text}: expected HOST or HOST:PORT")));
    }
    Ok((host.to_owned(), port))
}

/// The e-mail line of the welcome text: where mail goes, never the password.
pub fn describe(config: &MailConfig) -> String {
    match config {
        MailConfig::Smtp { relay, .. } => format!("SMTP {}", relay.describe()),
        MailConfig::Directory { path, .. } => format!(
            "written to {} (no SMTP server: --smtp HOST:PORT)",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            split_host_port("relay.example").unwrap(),
            ("relay.example".to_owned(), None)
        );
        assert_eq!(
            split_host_port("relay.example:2525").unwrap(),
            ("relay.example".to_owned(), Some(2525))
        );
        assert_eq!(
            split_host_port("[::1]:25").unwrap(),
            ("::1".to_owned(), Some(25))
        );
        for bad in ["relay:x", "relay:70000", ":25", "relay:0", "[::1"] {
            assert!(split_host_port(bad).is_err(), "{bad}");
        }
    }
}
