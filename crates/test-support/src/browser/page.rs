//! What a journey does on a page: go to it, fill fields by their label, click buttons and links by
//! their text, wait for an element or a text. Each error names what was looked for and the page.

use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{Browser, BrowserError};

/// The key under which WebDriver returns a DOM element from a script (W3C WebDriver, "web
/// element identifier").
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// How much of the page's text a failed wait quotes.
const SEEN_CHARS: usize = 600;

const FIND_FIELD: &str = include_str!("scripts/find_field.js");
const FIND_CLICKABLE: &str = include_str!("scripts/find_clickable.js");
const FIND_OPTION: &str = include_str!("scripts/find_option.js");
const SET_VALUE: &str = include_str!("scripts/set_value.js");

/// Input types that typing cannot fill reliably: their value is set as a script would.
const SET_BY_SCRIPT: [&str; 7] = [
    "date",
    "datetime-local",
    "time",
    "month",
    "week",
    "color",
    "range",
];

impl Browser {
    /// Loads `url` and waits for it (WebDriver returns once the page has loaded).
    pub async fn goto(&self, client: &Client, url: &str) -> Result<(), BrowserError> {
        client
            .goto(url)
            .await
            .map_err(|error| BrowserError::Command {
                action: format!("going to {url}"),
                url: "the page before".into(),
                error,
            })
    }

    /// The address of the page shown.
    pub async fn current_url(&self, client: &Client) -> Result<String, BrowserError> {
        match client.current_url().await {
            Ok(url) => Ok(url.to_string()),
            Err(error) => Err(BrowserError::Command {
                action: "reading the current URL".into(),
                url: "the current page".into(),
                error,
            }),
        }
    }

    /// The page's visible text (`document.body.innerText`: what a user reads, without markup).
    pub async fn page_text(&self, client: &Client) -> Result<String, BrowserError> {
        let text = self
            .script(
                client,
                "reading the page's text",
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Fills the field whose label reads `field` (a trailing `*` or `:` may be left out), or
    /// else whose `name`, `aria-label` or `id` is `field`: text-like inputs and text areas are
    /// cleared then typed into; a select gets the option whose text (or else value) is `value`;
    /// a date, time, colour or range input gets `value` as its value (`2025-01-31` for a date);
    /// a file input gets the file at path `value`. Checkboxes and radio buttons: [`Browser::check`].
    pub async fn fill(
        &self,
        client: &Client,
        field: &str,
        value: &str,
    ) -> Result<(), BrowserError> {
        self.fill_scoped(client, None, field, value).await
    }

    /// [`Browser::fill`] among the fields inside the first element matching the CSS selector
    /// `scope` (when two forms on a page have a field of the same label).
    pub async fn fill_within(
        &self,
        client: &Client,
        scope: &str,
        field: &str,
        value: &str,
    ) -> Result<(), BrowserError> {
        self.fill_scoped(client, Some(scope), field, value).await
    }

    async fn fill_scoped(
        &self,
        client: &Client,
        scope: Option<&str>,
        field: &str,
        value: &str,
    ) -> Result<(), BrowserError> {
        let action = format!("filling the field {field:?} with {value:?}");
        let found = self.find_field(client, &action, scope, field).await?;
        let command = |error| BrowserError::Command {
            action: action.clone(),
            url: String::new(),
            error,
        };
        let result = match (found.tag.as_str(), found.kind.as_str()) {
            ("select", _) => {
                self.choose_option(client, &action, &found.element, value)
                    .await
            }
            ("input", "checkbox" | "radio") => {
                return Err(self
                    .page_error(
                        client,
                        &action,
                        format!("it is a {}: use check()", found.kind),
                    )
                    .await);
            }
            ("input", "file") => found.element.send_keys(value).await.map_err(command),
            ("input", kind) if SET_BY_SCRIPT.contains(&kind) => {
                let element = serde_json::to_value(&found.element).unwrap_or(Value::Null);
                let kept = self
                    .script(client, &action, SET_VALUE, vec![element, json!(value)])
                    .await?;
                if kept.as_str() == Some(value) {
                    Ok(())
                } else {
                    return Err(self
                        .page_error(
                            client,
                            &action,
                            format!("the {kind} input refused it (it holds {kept})"),
                        )
                        .await);
                }
            }
            _ => match found.element.clear().await {
                Ok(()) => found.element.send_keys(value).await.map_err(command),
                Err(error) => Err(command(error)),
            },
        };
        self.with_url(client, result).await
    }

    /// Checks (`true`) or unchecks the checkbox or radio button whose label reads `field` (or
    /// whose `name`, `aria-label` or `id` is `field`), by clicking it when it is not as wanted.
    pub async fn check(
        &self,
        client: &Client,
        field: &str,
        checked: bool,
    ) -> Result<(), BrowserError> {
        let action = format!(
            "{} {field:?}",
            if checked { "checking" } else { "unchecking" }
        );
        let found = self.find_field(client, &action, None, field).await?;
        if found.tag != "input" || !matches!(found.kind.as_str(), "checkbox" | "radio") {
            let what = format!("it is a {} {}, not a checkbox", found.tag, found.kind);
            return Err(self.page_error(client, &action, what).await);
        }
        let result = match found.element.is_selected().await {
            Ok(now) if now == checked => Ok(()),
            Ok(_) => found.element.click().await,
            Err(error) => Err(error),
        };
        let result = result.map_err(|error| BrowserError::Command {
            action: action.clone(),
            url: String::new(),
            error,
        });
        self.with_url(client, result).await
    }

    /// Clicks the visible button (a `button`, a submit or button `input`, a `role=button`) whose
    /// text, `aria-label` or `title` is `text`; an error when there are none, several, or it is
    /// disabled. A click that submits a form returns once the next page has loaded.
    pub async fn click_button(&self, client: &Client, text: &str) -> Result<(), BrowserError> {
        self.click(client, "button", None, text).await
    }

    /// [`Browser::click_button`] among the buttons inside the first element matching the CSS
    /// selector `scope` (a table row's "Delete", say).
    pub async fn click_button_within(
        &self,
        client: &Client,
        scope: &str,
        text: &str,
    ) -> Result<(), BrowserError> {
        self.click(client, "button", Some(scope), text).await
    }

    /// Clicks the visible link whose text, `aria-label` or `title` is `text`.
    pub async fn click_link(&self, client: &Client, text: &str) -> Result<(), BrowserError> {
        self.click(client, "link", None, text).await
    }

    async fn click(
        &self,
        client: &Client,
        kind: &str,
        scope: Option<&str>,
        text: &str,
    ) -> Result<(), BrowserError> {
        let action = match scope {
            Some(scope) => format!("clicking the {kind} {text:?} in {scope}"),
            None => format!("clicking the {kind} {text:?}"),
        };
        let found = self
            .script(
                client,
                &action,
                FIND_CLICKABLE,
                vec![json!(kind), json!(text), json!(scope)],
            )
            .await?;
        let element = match element_in(client, &found) {
            Some(element) => element,
            None => return Err(self.page_error(client, &action, not_found(&found)).await),
        };
        if found["disabled"].as_bool() == Some(true) {
            let message = format!("the {kind} is disabled");
            return Err(self.page_error(client, &action, message).await);
        }
        let result = element
            .click()
            .await
            .map_err(|error| BrowserError::Command {
                action: action.clone(),
                url: String::new(),
                error,
            });
        self.with_url(client, result).await
    }

    /// Waits until an element matches the CSS selector `css`, and returns the first.
    pub async fn wait_for(
        &self,
        client: &Client,
        css: &str,
        timeout: Duration,
    ) -> Result<Element, BrowserError> {
        let action = format!("waiting for an element matching {css:?}");
        let deadline = Instant::now() + timeout;
        loop {
            match client.find(Locator::Css(css)).await {
                Ok(element) => return Ok(element),
                Err(error) if error.is_no_such_element() => {}
                Err(error) => {
                    let url = self.here(client).await;
                    return Err(BrowserError::Command { action, url, error });
                }
            }
            if Instant::now() >= deadline {
                return Err(self.timeout(client, action, timeout).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page's visible text contains `text` (after an htmx swap, say).
    pub async fn wait_for_text(
        &self,
        client: &Client,
        text: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let action = format!("waiting for the text {text:?}");
        let deadline = Instant::now() + timeout;
        loop {
            // A page being replaced may fail the script: not there yet, rather than an error.
            if self
                .page_text(client)
                .await
                .is_ok_and(|page| page.contains(text))
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.timeout(client, action, timeout).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the current URL contains `part` (after a redirect, say).
    pub async fn wait_for_url(
        &self,
        client: &Client,
        part: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let action = format!("waiting for a URL containing {part:?}");
        let deadline = Instant::now() + timeout;
        loop {
            if self
                .current_url(client)
                .await
                .is_ok_and(|url| url.contains(part))
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.timeout(client, action, timeout).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub(super) async fn script(
        &self,
        client: &Client,
        action: &str,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value, BrowserError> {
        match client.execute(script, args).await {
            Ok(value) => Ok(value),
            Err(error) => Err(BrowserError::Command {
                action: action.to_owned(),
                url: self.here(client).await,
                error,
            }),
        }
    }

    /// The control `field` names, in `scope` when given.
    async fn find_field(
        &self,
        client: &Client,
        action: &str,
        scope: Option<&str>,
        field: &str,
    ) -> Result<Field, BrowserError> {
        let found = self
            .script(client, action, FIND_FIELD, vec![json!(field), json!(scope)])
            .await?;
        match element_in(client, &found) {
            Some(element) => Ok(Field {
                element,
                tag: found["tag"].as_str().unwrap_or_default().to_owned(),
                kind: found["type"].as_str().unwrap_or_default().to_owned(),
            }),
            None => Err(self.page_error(client, action, not_found(&found)).await),
        }
    }

    /// Selects the option of `select` whose text (or else value) is `wanted`, by clicking it.
    async fn choose_option(
        &self,
        client: &Client,
        action: &str,
        select: &Element,
        wanted: &str,
    ) -> Result<(), BrowserError> {
        let select = serde_json::to_value(select).unwrap_or(Value::Null);
        let found = self
            .script(client, action, FIND_OPTION, vec![select, json!(wanted)])
            .await?;
        let Some(option) = element_in(client, &found) else {
            return Err(self.page_error(client, action, not_found(&found)).await);
        };
        option.click().await.map_err(|error| BrowserError::Command {
            action: action.to_owned(),
            url: String::new(),
            error,
        })
    }

    /// A [`BrowserError::Page`] on the current page.
    async fn page_error(&self, client: &Client, action: &str, message: String) -> BrowserError {
        BrowserError::Page {
            action: action.to_owned(),
            url: self.here(client).await,
            message,
        }
    }

    /// A [`BrowserError::Timeout`] quoting the start of the page's text.
    async fn timeout(&self, client: &Client, action: String, waited: Duration) -> BrowserError {
        let text = self.page_text(client).await.unwrap_or_default();
        let quoted: String = text.chars().take(SEEN_CHARS).collect();
        let cut = if quoted.len() < text.len() {
            " …"
        } else {
            ""
        };
        BrowserError::Timeout {
            action,
            url: self.here(client).await,
            waited,
            seen: format!("; the page reads:\n{quoted}{cut}"),
        }
    }

    /// Fills in the page's URL of a command's error (known only after the command failed).
    async fn with_url(
        &self,
        client: &Client,
        result: Result<(), BrowserError>,
    ) -> Result<(), BrowserError> {
        match result {
            Err(BrowserError::Command { action, error, .. }) => Err(BrowserError::Command {
                action,
                url: self.here(client).await,
                error,
            }),
            other => other,
        }
    }

    /// The current URL for an error message, or a placeholder when even that fails.
    async fn here(&self, client: &Client) -> String {
        match client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "(unknown page)".into(),
        }
    }
}

/// A form control found by [`Browser::find_field`].
struct Field {
    element: Element,
    /// The lower-case tag name: `input`, `select` or `textarea`.
    tag: String,
    /// The lower-case `type` of an input (`text`, `date`, …), or `select-one`, `textarea`, ….
    kind: String,
}

/// The element under `"element"` in a script's answer.
fn element_in(client: &Client, answer: &Value) -> Option<Element> {
    let id = answer.get("element")?.get(ELEMENT_KEY)?.as_str()?;
    Some(Element::from_element_id(
        client.clone(),
        ElementRef::from(id.to_owned()),
    ))
}

/// The message of a script's answer that found nothing or too much: its error, and the
/// candidates it lists (what the page has instead, or the several that matched).
fn not_found(answer: &Value) -> String {
    let error = answer["error"]
        .as_str()
        .unwrap_or("the script found nothing");
    let listed = |key: &str| -> Vec<String> {
        answer[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let (matches, available) = (listed("matches"), listed("available"));
    if !matches.is_empty() {
        format!("{error}: {}", matches.join(", "))
    } else if !available.is_empty() {
        format!("{error}; the page has: {}", available.join(", "))
    } else if answer.get("available").is_some() {
        format!("{error}, and the page has none of that kind")
    } else {
        error.to_owned()
    }
}
