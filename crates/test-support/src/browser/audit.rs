//! What a screen looks like and whether everyone can use it: screenshots, and axe-core's
//! accessibility audit (the vendored `assets/axe.min.js`, see `assets/VENDORED.md`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fantoccini::Client;
use serde::Deserialize;
use serde_json::Value;

use super::{Browser, BrowserError};

const AXE_SOURCE: &str = include_str!("../../assets/axe.min.js");
const RUN_AXE: &str = include_str!("scripts/run_axe.js");

/// The folder of screenshots under the target directory.
const SCREENSHOTS: &str = "office-screenshots";

/// One rule axe-core found broken on a page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AxeViolation {
    /// The rule, e.g. `image-alt`, `label`, `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks, in a sentence.
    pub help: String,
    /// Deque's page about the rule.
    pub help_url: String,
    /// The elements that break it.
    pub nodes: Vec<AxeNode>,
}

impl AxeViolation {
    /// Whether it fails a test: impact `serious` or `critical`.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

/// An element that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AxeNode {
    /// A CSS selector of the element (parts in frames or shadow roots joined by ` >>> `).
    pub target: String,
    /// The element's opening markup.
    pub html: String,
    /// What to fix, as axe words it.
    pub failure_summary: Option<String>,
}

/// What `run_axe.js` hands back.
#[derive(Deserialize)]
struct AxeAnswer {
    violations: Option<Vec<AxeViolation>>,
    error: Option<String>,
}

impl Browser {
    /// Audits the page shown with axe-core, `screen` naming it in the report.
    ///
    /// # Panics
    /// When a violation is `serious` or `critical`: with each rule's id, impact, help and page,
    /// and the failing elements' selectors and markup. A screenshot `<screen>-axe.png` is saved
    /// first.
    ///
    /// # Errors
    /// When axe cannot be injected or run. Otherwise every violation, the minor and moderate
    /// ones (which do not fail) included.
    pub async fn axe(
        &self,
        client: &Client,
        screen: &str,
    ) -> Result<Vec<AxeViolation>, BrowserError> {
        let violations = self.axe_violations(client, screen).await?;
        let serious: Vec<&AxeViolation> = violations.iter().filter(|v| v.is_serious()).collect();
        if !serious.is_empty() {
            let url = self.current_url(client).await.unwrap_or_default();
            let shot = match self.screenshot(client, &format!("{screen}-axe")).await {
                Ok(path) => format!("screenshot: {}", path.display()),
                Err(error) => format!("no screenshot: {error}"),
            };
            panic!("{}\n{shot}", report(screen, &url, &serious));
        }
        Ok(violations)
    }

    /// Every violation axe-core finds on the page shown, serious or not, without panicking.
    pub async fn axe_violations(
        &self,
        client: &Client,
        screen: &str,
    ) -> Result<Vec<AxeViolation>, BrowserError> {
        let action = format!("auditing the screen {screen:?} with axe");
        let loaded = self
            .script(
                client,
                &action,
                "return typeof window.axe === 'object';",
                vec![],
            )
            .await?;
        if loaded != Value::Bool(true) {
            self.script(client, &action, AXE_SOURCE, vec![]).await?;
        }
        let answer = match client.execute_async(RUN_AXE, vec![]).await {
            Ok(answer) => answer,
            Err(error) => {
                return Err(BrowserError::Command {
                    action,
                    url: self.current_url(client).await.unwrap_or_default(),
                    error,
                });
            }
        };
        let message = match serde_json::from_value::<AxeAnswer>(answer) {
            Ok(AxeAnswer {
                violations: Some(violations),
                ..
            }) => return Ok(violations),
            Ok(AxeAnswer {
                error: Some(error), ..
            }) => format!("axe failed: {error}"),
            Ok(_) => "axe answered neither violations nor an error".into(),
            Err(error) => format!("axe's answer is not as expected: {error}"),
        };
        Err(BrowserError::Page {
            action,
            url: self.current_url(client).await.unwrap_or_default(),
            message,
        })
    }

    /// Saves what the window shows as `<target>/office-screenshots/<name>.png` (see
    /// [`screenshot_dir`]), and returns the file's path. Characters other than ASCII letters,
    /// digits, `-`, `_` and `.` in `name` become `-`.
    pub async fn screenshot(&self, client: &Client, name: &str) -> Result<PathBuf, BrowserError> {
        let png = match client.screenshot().await {
            Ok(png) => png,
            Err(error) => {
                return Err(BrowserError::Command {
                    action: format!("taking the screenshot {name:?}"),
                    url: self.current_url(client).await.unwrap_or_default(),
                    error,
                });
            }
        };
        let dir = screenshot_dir();
        let path = dir.join(format!("{}.png", file_name(name)));
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, png));
        match written {
            Ok(()) => Ok(path),
            Err(error) => Err(BrowserError::Io { path, error }),
        }
    }
}

/// Where screenshots go: `office-screenshots` in `CARGO_TARGET_DIR` when set (relative to the
/// workspace, as cargo reads it), else in the workspace's `target`.
pub fn screenshot_dir() -> PathBuf {
    // This crate is at crates/test-support in the workspace.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().and_then(Path::parent).unwrap_or(manifest);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    };
    target.join(SCREENSHOTS)
}

/// `name` made safe as a file name.
fn file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Not hidden, not "..": a leading dot becomes a dash.
    match safe.strip_prefix('.') {
        Some(rest) => format!("-{rest}"),
        None if safe.is_empty() => "screenshot".into(),
        None => safe,
    }
}

/// The panic message for serious violations.
fn report(screen: &str, url: &str, serious: &[&AxeViolation]) -> String {
    let mut text = format!(
        "axe: {} serious or critical accessibility violation(s) on the screen {screen:?} ({url}):",
        serious.len()
    );
    for violation in serious {
        let impact = violation.impact.as_deref().unwrap_or("unknown");
        let _ = write!(
            text,
            "\n- {} ({impact}): {}\n  {}",
            violation.id, violation.help, violation.help_url
        );
        for node in &violation.nodes {
            let _ = write!(text, "\n    {}  {}", node.target, node.html);
            if let Some(summary) = &node.failure_summary {
                for line in summary.lines() {
                    let _ = write!(text, "\n      {line}");
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn screenshot_names_are_safe_file_names() {
        assert_eq!(file_name("promotions/new"), "promotions-new");
        assert_eq!(file_name("../secret"), "-.-secret");
        assert_eq!(file_name("login fr-FR"), "login-fr-FR");
        assert_eq!(file_name(""), "screenshot");
    }
}
