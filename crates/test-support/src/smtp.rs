//! A minimal SMTP server on 127.0.0.1 that records what it receives, for the mail sender's tests.
//!
//! It speaks just enough of RFC 5321 for a client such as lettre: a `220` greeting, `EHLO` (with
//! `8BITMIME` and `SMTPUTF8`) and `HELO`, `MAIL FROM`, `RCPT TO`, `DATA` (dot-stuffing undone),
//! `RSET`, `NOOP`, `QUIT`. No TLS, no authentication, no size limit; every message is accepted.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use remise_test_support::smtp::SmtpSink;
//!
//! let sink = SmtpSink::start().await?;
//! let port = sink.port(); // point the sender at 127.0.0.1:port
//! // … send …
//! let received = sink.messages();
//! // An outage: the port refuses connections until the sink comes back on it.
//! sink.stop().await;
//! let sink = SmtpSink::start_on(port).await?;
//! # Ok(())
//! # }
//! ```

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

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
}

impl ReceivedMail {
    /// [`ReceivedMail::data`] as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A running SMTP sink. Dropping it without [`SmtpSink::stop`] also stops it (the tasks are
/// aborted), but without waiting for the port to be released.
pub struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts a sink on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<SmtpSink> {
        SmtpSink::start_on(0).await
    }

    /// Starts a sink on the given port of 127.0.0.1 (0: a free one), e.g. the port of a sink
    /// that was stopped, to simulate a mail server coming back after an outage. Messages are
    /// recorded afresh: the new sink's [`SmtpSink::messages`] starts empty.
    pub async fn start_on(port: u16) -> io::Result<SmtpSink> {
        // On Unix, tokio sets SO_REUSEADDR on listeners, so the port of a stopped sink can be
        // bound again at once even with its closed connections in TIME_WAIT.
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, stopped) = watch::channel(false);
        let server = tokio::spawn(serve(listener, messages.clone(), stopped));
        Ok(SmtpSink {
            port,
            messages,
            shutdown,
            server: Some(server),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
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

/// The messages, even if a connection task panicked while holding the lock (a recorded message
/// is pushed whole, so the list is never half-written).
fn lock(messages: &Mutex<Vec<ReceivedMail>>) -> MutexGuard<'_, Vec<ReceivedMail>> {
    messages
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections until shutdown, then closes the listener and aborts the connections.
async fn serve(
    listener: TcpListener,
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // (The `Ref` the wait returns is not `Send`: drop it inside.)
            () = async { drop(stopped.wait_for(|stop| *stop).await) } => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(session(stream, messages.clone()));
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

/// The state of one SMTP transaction.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    recipients: Vec<String>,
}

/// One client connection, until `QUIT`, end of stream or an I/O error.
async fn session(stream: TcpStream, messages: Arc<Mutex<Vec<ReceivedMail>>>) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer
        .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
        .await?;
    let mut transaction = Transaction::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => {
                transaction = Transaction::default();
                format!("250-{NAME}\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            }
            "HELO" => {
                transaction = Transaction::default();
                format!("250 {NAME}\r\n")
            }
            "MAIL" => match path_after(command, "FROM:") {
                Some(from) => {
                    transaction = Transaction {
                        from: Some(from),
                        recipients: Vec::new(),
                    };
                    "250 OK\r\n".to_owned()
                }
                None => "501 Syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" => match (&transaction.from, path_after(command, "TO:")) {
                (None, _) => "503 MAIL first\r\n".to_owned(),
                (Some(_), None) => "501 Syntax: RCPT TO:<address>\r\n".to_owned(),
                (Some(_), Some(to)) => {
                    transaction.recipients.push(to);
                    "250 OK\r\n".to_owned()
                }
            },
            "DATA" => match transaction.from.take() {
                Some(from) if !transaction.recipients.is_empty() => {
                    writer
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let data = read_data(&mut reader).await?;
                    let mail = ReceivedMail {
                        from,
                        recipients: std::mem::take(&mut transaction.recipients),
                        data,
                    };
                    let queued = {
                        let mut all = lock(&messages);
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
                writer.write_all(b"221 Bye\r\n").await?;
                writer.shutdown().await?;
                return Ok(());
            }
            _ => "502 Command not implemented\r\n".to_owned(),
        };
        writer.write_all(reply.as_bytes()).await?;
    }
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
