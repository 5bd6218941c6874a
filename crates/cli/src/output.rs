//! Writing results to standard output.

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};
use serde::Serialize;

/// Writes `text` to standard output. A reader that went away (`remise … | head`) ends the output
/// quietly rather than as an error.
pub fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        result => result.context("cannot write to standard output"),
    }
}

/// `value` as pretty JSON, with a final newline.
pub fn json<T: Serialize>(value: &T) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("cannot write JSON")?;
    text.push('\n');
    Ok(text)
}

/// Standard output for commands that write a lot (exports): remembers when the reader went away
/// (`remise codes export | head`), so that the command can end quietly instead of failing.
pub struct Stdout {
    inner: std::io::StdoutLock<'static>,
    closed: bool,
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout {
            inner: std::io::stdout().lock(),
            closed: false,
        }
    }

    /// `result`, or success when it failed because the reader closed the pipe.
    pub fn quietly<T: Default, E>(&self, result: Result<T, E>) -> Result<T, E> {
        match result {
            Err(_) if self.closed => Ok(T::default()),
            other => other,
        }
    }

    fn note<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            self.closed |= e.kind() == ErrorKind::BrokenPipe;
        }
        result
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}

/// What an import did, or would do on a dry run: "2 created, 1 updated, 7 unchanged".
pub fn outcomes(created: u64, updated: u64, unchanged: u64, dry_run: bool) -> String {
    let (create, update, note) = if dry_run {
        ("to create", "to update", " (dry run: nothing written)")
    } else {
        ("created", "updated", "")
    };
    format!("{created} {create}, {updated} {update}, {unchanged} unchanged{note}")
}
