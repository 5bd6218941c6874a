//! A minimal SMTP server on 127.0.0.1 that records what it receives, for the mail sender's tests.
//!
//! It speaks just enough of RFC 5321 for a client such as lettre: a `220` greeting, `EHLO` (with
//! `8BITMIME` and `SMTPUTF8`) and `HELO`, `MAIL FROM`, `RCPT TO`, `DATA` (dot-stuffing undone),
//! `RSET`, `NOOP`, `QUIT`. No size limit; every message is accepted.
//!
//! [`SinkOptions`] make it a relay as real ones are: TLS, by `STARTTLS` (RFC 3207: offered on the
//! plain connection, and mail refused with `530` until the client used it) or from the first byte
//! (implicit TLS, RFC 8314), with a certificate signed by a private CA made for the sink
//! ([`SmtpSink::ca_pem`]); and authentication, `AUTH PLAIN` or `AUTH LOGIN` (RFC 4954: offered
//! only over TLS when the sink has TLS, mail refused with `530` until the client authenticated, a
//! wrong password answered `535`).
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use remise_test_support::smtp::{SinkOptions, SinkTls, SmtpSink};
//!
//! let sink = SmtpSink::start().await?;
//! let port = sink.port(); // point the sender at 127.0.0.1:port
//! // … send …
//! let received = sink.messages();
//! // An outage: the port refuses connections until the sink comes back on it.
//! sink.stop().await;
//! let sink = SmtpSink::start_on(port).await?;
//! // A relay that wants STARTTLS and a password; trust `ca_pem` to accept its certificate.
//! let secure = SmtpSink::start_with(SinkOptions {
//!     tls: SinkTls::StartTls,
//!     credentials: Some(("mailer".into(), "s3cret".into())),
//! })
//! .await?;
//! let ca_pem = secure.ca_pem();
//! # Ok(())
//! # }
//! ```

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::tls::TestCertificate;

/// The name the sink gives itself in its greeting and its `EHLO` answer.
const NAME: &str = "remise-test-sink";

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The reverse path of `MAIL FROM` (without the angle brackets; empty for `<>`).
    pub from: String,
    /// The forward paths of the `RCPT TO` commands, in order, without the angle brackets.
    pub recipients: Vec<String>,
    /// The message as sent after `DATA`, headers and body, lines ending with CRLF, dot-stuffing
    /// undone, without the terminating `.` line.
    pub data: Vec<u8>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub encrypted: bool,
    /// The user the client authenticated as, if it did.
    pub user: Option<String>,
}

impl ReceivedMail {
    /// [`ReceivedMail::data`] as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// How the sink secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SinkTls {
    /// Plain SMTP.
    #[default]
    None,
    /// Plain at first, `STARTTLS` offered; mail is refused (`530`) until the client used it.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// What a sink requires of its clients. The default is a plain sink that takes anything.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    pub tls: SinkTls,
    /// A user and password: `AUTH PLAIN` and `AUTH LOGIN` are offered (over TLS only, when the
    /// sink has TLS), and mail is refused (`530`) until the client authenticated with them.
    pub credentials: Option<(String, String)>,
}

/// A running SMTP sink. Dropping it without [`SmtpSink::stop`] also stops it (the tasks are
/// aborted), but without waiting for the port to be released.
pub struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    ca_pem: Option<String>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts a plain sink on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<SmtpSink> {
        SmtpSink::start_on(0).await
    }

    /// Starts a plain sink on the given port of 127.0.0.1 (0: a free one), e.g. the port of a
    /// sink that was stopped, to simulate a mail server coming back after an outage. Messages
    /// are recorded afresh: the new sink's [`SmtpSink::messages`] starts empty.
    pub async fn start_on(port: u16) -> io::Result<SmtpSink> {
        SmtpSink::start_on_with(port, SinkOptions::default()).await
    }

    /// Starts a sink with TLS and/or authentication on a free port of 127.0.0.1. With TLS, a
    /// new CA and certificate are made for it ([`SmtpSink::ca_pem`]).
    pub async fn start_with(options: SinkOptions) -> io::Result<SmtpSink> {
        SmtpSink::start_on_with(0, options).await
    }

    async fn start_on_with(port: u16, options: SinkOptions) -> io::Result<SmtpSink> {
        let (acceptor, ca_pem) = match options.tls {
            SinkTls::None => (None, None),
            SinkTls::StartTls | SinkTls::Implicit => {
                let certificate = TestCertificate::localhost()?;
                let acceptor = TlsAcceptor::from(certificate.server_config()?);
                (Some(acceptor), Some(certificate.ca_pem().to_owned()))
            }
        };
        // On Unix, tokio sets SO_REUSEADDR on listeners, so the port of a stopped sink can be
        // bound again at once even with its closed connections in TIME_WAIT.
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            messages: messages.clone(),
            options,
            acceptor,
        });
        let (shutdown, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, shared, stopped));
        Ok(SmtpSink {
            port,
            messages,
            ca_pem,
            shutdown,
            server: Some(server),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM of the CA that signed the sink's certificate (for `localhost` and `127.0.0.1`);
    /// `None` for a plain sink.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.messages).clone()
    }

    /// Waits until at least `count` messages have been accepted, or `timeout` has passed;
    /// returns the messages accepted by then (check their number).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Closes the listener and every open connection, and waits until they are closed: from
    /// then on, connecting to the port is refused until a sink is started on it again.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// What every connection of a sink shares.
struct Shared {
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    options: SinkOptions,
    /// Present when the sink has TLS.
    acceptor: Option<TlsAcceptor>,
}

/// The messages, even if a connection task panicked while holding the lock (a recorded message
/// is pushed whole, so the list is never half-written).
fn lock(messages: &Mutex<Vec<ReceivedMail>>) -> MutexGuard<'_, Vec<ReceivedMail>> {
    messages
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections until shutdown, then closes the listener and aborts the connections.
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // (The `Ref` the wait returns is not `Send`: drop it inside.)
            () = async { drop(stopped.wait_for(|stop| *stop).await) } => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, shared.clone()));
                }
                // A failed accept (e.g. the client gave up) does not stop the sink; a short
                // pause keeps a persistent error (no file descriptors) from spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished sessions so the set does not grow with every connection.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Aborting a session drops its socket, which closes the connection.
    connections.shutdown().await;
}

/// One client connection: the TLS handshake first with implicit TLS, or after `STARTTLS`. A
/// client that refuses the certificate ends the connection in the handshake.
async fn connection(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let acceptor = shared.acceptor.clone();
    match (shared.options.tls, acceptor) {
        (SinkTls::Implicit, Some(acceptor)) => {
            let stream = acceptor.accept(stream).await?;
            session(stream, &shared, true, true).await.map(drop)
        }
        (_, acceptor) => match (session(stream, &shared, false, true).await?, acceptor) {
            (Ended::StartTls(stream), Some(acceptor)) => {
                let stream = acceptor.accept(stream).await?;
                // RFC 3207: no greeting after the handshake; the client starts with EHLO.
                session(stream, &shared, true, false).await.map(drop)
            }
            _ => Ok(()),
        },
    }
}

/// How a session ended.
enum Ended<S> {
    /// `QUIT`, end of stream.
    Closed,
    /// `STARTTLS` was accepted: the plain stream, to be upgraded.
    StartTls(S),
}

/// The state of one SMTP transaction.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    recipients: Vec<String>,
}

/// The SMTP conversation over one stream, plain or encrypted, until `QUIT`, end of stream, an
/// I/O error or an accepted `STARTTLS`. Everything learnt before TLS (EHLO, authentication) is
/// forgotten after it, as RFC 3207 requires: a new session starts on the encrypted stream.
async fn session<S>(
    stream: S,
    shared: &Shared,
    encrypted: bool,
    greet: bool,
) -> io::Result<Ended<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let options = &shared.options;
    let mut stream = BufReader::new(stream);
    if greet {
        stream
            .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
            .await?;
    }
    let offers_starttls = options.tls == SinkTls::StartTls && !encrypted;
    // RFC 4954 §4: a server that has TLS offers plain-text mechanisms only over it.
    let offers_auth = options.credentials.is_some() && (encrypted || options.tls == SinkTls::None);
    let mut user: Option<String> = None;
    let mut transaction = Transaction::default();
    loop {
        let Some(command) = read_line(&mut stream).await? else {
            return Ok(Ended::Closed);
        };
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => {
                transaction = Transaction::default();
                let mut lines = vec![NAME, "8BITMIME", "SMTPUTF8"];
                if offers_starttls {
                    lines.push("STARTTLS");
                }
                if offers_auth {
                    lines.push("AUTH PLAIN LOGIN");
                }
                multiline(250, &lines)
            }
            "HELO" => {
                transaction = Transaction::default();
                format!("250 {NAME}\r\n")
            }
            "STARTTLS" if offers_starttls => {
                stream
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                if !stream.buffer().is_empty() {
                    // Commands sent before the handshake would be taken as sent over TLS (the
                    // STARTTLS injection of CVE-2011-0411): refuse them by hanging up.
                    return Ok(Ended::Closed);
                }
                return Ok(Ended::StartTls(stream.into_inner()));
            }
            "AUTH" if offers_auth => match user {
                Some(_) => "503 5.5.1 Already authenticated\r\n".to_owned(),
                None => match authenticate(&mut stream, &command).await? {
                    Ok(given) if Some(&given) == options.credentials.as_ref() => {
                        user = Some(given.0);
                        "235 2.7.0 Authentication successful\r\n".to_owned()
                    }
                    Ok(_) => "535 5.7.8 Authentication credentials invalid\r\n".to_owned(),
                    Err(refusal) => refusal.to_owned(),
                },
            },
            "MAIL" if options.tls == SinkTls::StartTls && !encrypted => {
                "530 5.7.0 Must issue a STARTTLS command first\r\n".to_owned()
            }
            "MAIL" if options.credentials.is_some() && user.is_none() => {
                "530 5.7.0 Authentication required\r\n".to_owned()
            }
            "MAIL" => match path_after(&command, "FROM:") {
                Some(from) => {
                    transaction = Transaction {
                        from: Some(from),
                        recipients: Vec::new(),
                    };
                    "250 OK\r\n".to_owned()
                }
                None => "501 Syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" => match (&transaction.from, path_after(&command, "TO:")) {
                (None, _) => "503 MAIL first\r\n".to_owned(),
                (Some(_), None) => "501 Syntax: RCPT TO:<address>\r\n".to_owned(),
                (Some(_), Some(to)) => {
                    transaction.recipients.push(to);
                    "250 OK\r\n".to_owned()
                }
            },
            "DATA" => match transaction.from.take() {
                Some(from) if !transaction.recipients.is_empty() => {
                    stream
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut stream).await?;
                    let mail = ReceivedMail {
                        from,
                        recipients: std::mem::take(&mut transaction.recipients),
                        data,
                        encrypted,
                        user: user.clone(),
                    };
                    let queued = {
                        let mut all = lock(&shared.messages);
                        all.push(mail);
                        all.len()
                    };
                    format!("250 OK: queued as {queued}\r\n")
                }
                from => {
                    transaction.from = from;
                    "503 MAIL and RCPT first\r\n".to_owned()
                }
            },
            "RSET" => {
                transaction = Transaction::default();
                "250 OK\r\n".to_owned()
            }
            "NOOP" => "250 OK\r\n".to_owned(),
            "QUIT" => {
                stream.write_all(b"221 Bye\r\n").await?;
                stream.shutdown().await?;
                return Ok(Ended::Closed);
            }
            _ => "502 Command not implemented\r\n".to_owned(),
        };
        stream.write_all(reply.as_bytes()).await?;
    }
}

/// A reply of several lines: `250-first`, …, `250 last`.
fn multiline(code: u16, lines: &[&str]) -> String {
    let mut reply = String::new();
    for (i, line) in lines.iter().enumerate() {
        let separator = if i + 1 == lines.len() { ' ' } else { '-' };
        reply.push_str(&format!("{code}{separator}{line}\r\n"));
    }
    reply
}

/// One command line without its line ending; `None` at end of stream.
async fn read_line<R>(reader: &mut R) -> io::Result<Option<String>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&line);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The exchange of `AUTH PLAIN [initial]` or `AUTH LOGIN [user]` (RFC 4954, RFC 4616): the user
/// and password the client gave, or the reply that refuses the exchange (unknown mechanism,
/// cancelled with `*`, bad base64).
async fn authenticate<S>(
    stream: &mut BufReader<S>,
    command: &str,
) -> io::Result<Result<(String, String), &'static str>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    const MALFORMED: &str = "501 5.5.2 Cannot decode the response\r\n";
    let mut words = command.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
    let initial = words.next().map(str::to_owned);
    match mechanism.as_str() {
        "PLAIN" => {
            let Some(response) = challenge(stream, initial, "").await? else {
                return Ok(Err("501 5.7.0 Authentication cancelled\r\n"));
            };
            // authzid NUL authcid NUL password
            let decoded = decode(&response).ok_or(MALFORMED);
            Ok(decoded.and_then(|text| {
                let mut parts = text.splitn(3, '\0').skip(1);
                match (parts.next(), parts.next()) {
                    (Some(user), Some(password)) => Ok((user.to_owned(), password.to_owned())),
                    _ => Err(MALFORMED),
                }
            }))
        }
        "LOGIN" => {
            // "Username:" and "Password:" in base64.
            let Some(user) = challenge(stream, initial, "VXNlcm5hbWU6").await? else {
                return Ok(Err("501 5.7.0 Authentication cancelled\r\n"));
            };
            let Some(password) = challenge(stream, None, "UGFzc3dvcmQ6").await? else {
                return Ok(Err("501 5.7.0 Authentication cancelled\r\n"));
            };
            Ok(match (decode(&user), decode(&password)) {
                (Some(user), Some(password)) => Ok((user, password)),
                _ => Err(MALFORMED),
            })
        }
        _ => Ok(Err("504 5.5.4 Unrecognized authentication type\r\n")),
    }
}

/// The client's answer: `initial` if the command carried it, otherwise the next line after a
/// `334 prompt`; `None` when the client cancels (`*`) or goes away.
async fn challenge<S>(
    stream: &mut BufReader<S>,
    initial: Option<String>,
    prompt: &str,
) -> io::Result<Option<String>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let answer = match initial {
        Some(initial) => Some(initial),
        None => {
            stream
                .write_all(format!("334 {prompt}\r\n").as_bytes())
                .await?;
            read_line(stream).await?
        }
    };
    Ok(answer.filter(|answer| answer.trim() != "*"))
}

/// Base64 to UTF-8 text (`=` alone is the empty string, RFC 4954).
fn decode(text: &str) -> Option<String> {
    let text = text.trim();
    if text == "=" {
        return Some(String::new());
    }
    String::from_utf8(BASE64.decode(text).ok()?).ok()
}

/// The path of `MAIL FROM:<a@b> PARAMS` or `RCPT TO:<a@b>` (the prefix is matched without case,
/// spaces after the colon allowed), without the angle brackets.
fn path_after(command: &str, prefix: &str) -> Option<String> {
    let (_, rest) = command.split_once(' ')?;
    let rest = rest.trim_start();
    if rest.len() < prefix.len() || !rest.is_char_boundary(prefix.len()) {
        return None;
    }
    let (head, tail) = rest.split_at(prefix.len());
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let tail = tail.trim_start();
    let path = tail.split_whitespace().next().unwrap_or("");
    let path = path.strip_prefix('<')?.strip_suffix('>')?;
    Some(path.to_owned())
}

/// Reads the lines after `DATA` up to the lone `.` line; removes the leading dot of the lines
/// the client dot-stuffed. Ends with an error if the client goes away in the middle.
async fn read_data<R>(reader: &mut R) -> io::Result<Vec<u8>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        match line.strip_prefix(b".") {
            Some(unstuffed) => data.extend_from_slice(unstuffed),
            None => data.extend_from_slice(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One reply, all its lines.
    async fn read_reply<R>(reader: &mut R) -> io::Result<Vec<String>>
    where
        R: tokio::io::AsyncBufRead + Unpin,
    {
        let mut out = Vec::new();
        loop {
            let mut reply = String::new();
            if reader.read_line(&mut reply).await? == 0 {
                return Ok(out);
            }
            let more = reply.as_bytes().get(3) == Some(&b'-');
            out.push(reply.trim_end().to_owned());
            if !more {
                return Ok(out);
            }
        }
    }

    /// Sends `lines` one at a time and returns every reply line, the greeting first.
    async fn converse(port: u16, lines: &[&str]) -> io::Result<Vec<String>> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        let mut replies = Vec::new();
        replies.extend(read_reply(&mut reader).await?);
        let mut in_data = false;
        for line in lines {
            writer.write_all(format!("{line}\r\n").as_bytes()).await?;
            if in_data && *line != "." {
                continue;
            }
            let reply = read_reply(&mut reader).await?;
            in_data = reply.first().is_some_and(|r| r.starts_with("354"));
            replies.extend(reply);
        }
        Ok(replies)
    }

    #[tokio::test]
    async fn records_a_message_and_undoes_dot_stuffing() -> io::Result<()> {
        let sink = SmtpSink::start().await?;
        let replies = converse(
            sink.port(),
            &[
                "EHLO client",
                "MAIL FROM:<from@example.com> BODY=8BITMIME",
                "RCPT TO:<a@example.com>",
                "rcpt to: <b@example.com>",
                "DATA",
                "Subject: hi",
                "",
                "..leading dot",
                "body",
                ".",
                "NOOP",
                "QUIT",
            ],
        )
        .await?;
        assert!(replies[0].starts_with("220"), "{replies:?}");
        assert!(replies.iter().any(|r| r == "250-8BITMIME"), "{replies:?}");
        assert!(replies.iter().any(|r| r.starts_with("354")), "{replies:?}");
        assert!(
            replies.iter().any(|r| r.starts_with("250 OK: queued")),
            "{replies:?}"
        );
        assert_eq!(replies.last().map(String::as_str), Some("221 Bye"));
        let messages = sink.messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].from, "from@example.com");
        assert_eq!(messages[0].recipients, ["a@example.com", "b@example.com"]);
        assert_eq!(
            messages[0].text(),
            "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"
        );
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn refuses_out_of_order_commands_and_resets() -> io::Result<()> {
        let sink = SmtpSink::start().await?;
        let replies = converse(
            sink.port(),
            &[
                "HELO client",
                "RCPT TO:<a@example.com>",
                "DATA",
                "MAIL FROM:<>",
                "DATA",
                "RSET",
                "RCPT TO:<a@example.com>",
                "MAIL FROM:nobrackets",
                "VRFY x",
                "QUIT",
            ],
        )
        .await?;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(
            codes,
            [
                "220", "250", "503", "503", "250", "503", "250", "503", "501", "502", "221"
            ]
        );
        assert!(sink.messages().is_empty());
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn stops_and_comes_back_on_the_same_port() -> io::Result<()> {
        let sink = SmtpSink::start().await?;
        let port = sink.port();
        // An idle connection does not keep the sink from stopping.
        let idle = TcpStream::connect(("127.0.0.1", port)).await?;
        sink.stop().await;
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
        let sink = SmtpSink::start_on(port).await?;
        assert_eq!(sink.port(), port);
        let replies = converse(port, &["QUIT"]).await?;
        assert_eq!(replies.len(), 2, "{replies:?}");
        drop(idle);
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn asks_for_authentication_and_checks_plain_and_login() -> io::Result<()> {
        let sink = SmtpSink::start_with(SinkOptions {
            tls: SinkTls::None,
            credentials: Some(("mailer".to_owned(), "s3cret".to_owned())),
        })
        .await?;
        let b64 = |text: &str| BASE64.encode(text);
        let replies = converse(
            sink.port(),
            &[
                "EHLO client",
                "MAIL FROM:<from@example.com>",
                &format!("AUTH PLAIN {}", b64("\0mailer\0wrong")),
                "AUTH LOGIN",
                &b64("mailer"),
                &b64("wrong"),
                "AUTH CRAM-MD5",
                "AUTH PLAIN",
                "*",
                "AUTH LOGIN",
                &b64("mailer"),
                &b64("s3cret"),
                "AUTH PLAIN",
                "MAIL FROM:<from@example.com>",
                "RCPT TO:<a@example.com>",
                "DATA",
                "hello",
                ".",
                "QUIT",
            ],
        )
        .await?;
        assert!(
            replies.iter().any(|r| r == "250 AUTH PLAIN LOGIN"),
            "{replies:?}"
        );
        let codes: Vec<&str> = replies
            .iter()
            .filter(|r| !r.starts_with("250-"))
            .map(|r| &r[..3])
            .collect();
        assert_eq!(
            codes,
            [
                "220", "250", "530", "535", "334", "334", "535", "504", "334", "501", "334", "334",
                "235", "503", "250", "250", "354", "250", "221"
            ]
        );
        let messages = sink.messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].user.as_deref(), Some("mailer"));
        assert!(!messages[0].encrypted);
        sink.stop().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_starttls_sink_refuses_mail_and_auth_before_tls() -> io::Result<()> {
        let sink = SmtpSink::start_with(SinkOptions {
            tls: SinkTls::StartTls,
            credentials: Some(("mailer".to_owned(), "s3cret".to_owned())),
        })
        .await?;
        assert!(
            sink.ca_pem()
                .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
        );
        let replies = converse(
            sink.port(),
            &[
                "EHLO client",
                "AUTH PLAIN AG1haWxlcgBzM2NyZXQ=",
                "MAIL FROM:<a@b>",
                "QUIT",
            ],
        )
        .await?;
        assert!(replies.iter().any(|r| r == "250 STARTTLS"), "{replies:?}");
        assert!(!replies.iter().any(|r| r.contains("AUTH")), "{replies:?}");
        let last: Vec<&str> = replies.iter().rev().take(3).map(|r| &r[..3]).collect();
        assert_eq!(last, ["221", "530", "502"]);
        sink.stop().await;
        Ok(())
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            path_after("MAIL FROM:<a@b> SIZE=10", "FROM:").as_deref(),
            Some("a@b")
        );
        assert_eq!(path_after("mail from: <>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_after("RCPT TO:a@b", "TO:"), None);
        assert_eq!(path_after("RCPT FROM:<a@b>", "TO:"), None);
        assert_eq!(path_after("RCPT", "TO:"), None);
    }
}
