//! The API reference page: the OpenAPI document rendered as one self-contained HTML page, served at
//! `/docs`.
//!
//! The page needs nothing but itself: inline CSS, no script, no font, no image, no external URL.
//! Every link is an anchor within the page. It shows the document's title, version and
//! description, how to authenticate, a table of contents by tag, every operation (method, path,
//! summary, description, parameters, request body, responses with their examples) and every
//! component schema. Schemas are rendered as nested tables; a `$ref` is a link to the component's
//! anchor, expanded in place (in a collapsible block) to a bounded depth, never twice on one branch,
//! so a cyclic schema cannot loop.
//!
//! Descriptions are read as a small subset of Markdown (paragraphs, `- ` lists, `code`,
//! `**bold**`); everything else is text, escaped.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// HTTP methods an OpenAPI path item may hold, in the order the page shows them.
const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// How many levels of `$ref` are expanded in place for a request body's schema: the schema and
/// the types of its fields (collapsed).
const REQUEST_EXPAND: usize = 2;
/// The same for response schemas.
const RESPONSE_EXPAND: usize = 2;
/// The components section expands only the component itself: nested references are links.
const COMPONENT_EXPAND: usize = 1;
/// A hard limit on nesting, whatever the schemas say.
const MAX_DEPTH: usize = 12;

/// Renders `openapi` (an OpenAPI 3.x document) as a complete HTML page.
pub fn render(openapi: &Value) -> String {
    let mut page = Page {
        doc: openapi,
        out: String::with_capacity(256 * 1024),
    };
    page.document();
    page.out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An anchor id made of `prefix` and `name`, with every character outside `[A-Za-z0-9_-]` turned
/// into `-` (so it needs no escaping and is stable).
fn anchor(prefix: &str, name: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len() + 1);
    out.push_str(prefix);
    out.push('-');
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        }
    }));
    out
}

/// The text of a field, if it is a string.
fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// The last segment of a `$ref` (`#/components/schemas/Cart` → `Cart`).
fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Inline Markdown: `code`, **bold**; the rest escaped.
fn inline(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let parts: Vec<&str> = source.split('`').collect();
    // An odd number of parts means every backtick is paired.
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (paired || !last) {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                // A lone backtick: keep it as text.
                out.push('`');
            }
            bold(&mut out, part);
        }
    }
    out
}

fn bold(out: &mut String, source: &str) {
    let parts: Vec<&str> = source.split("**").collect();
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (paired || !last) {
            out.push_str("<strong>");
            out.push_str(&escape(part));
            out.push_str("</strong>");
        } else {
            if i % 2 == 1 {
                out.push_str("**");
            }
            out.push_str(&escape(part));
        }
    }
}

/// Block Markdown: paragraphs separated by blank lines, and lists of `- ` items.
fn markdown(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    let normalized = source.replace("\r\n", "\n");
    for block in normalized.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.trim().is_empty() {
            continue;
        }
        let lines: Vec<&str> = block.lines().collect();
        let first_is_item = lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim_start().starts_with("- "));
        if first_is_item {
            // A paragraph may lead into a list without a blank line; here the block is a list.
            let mut items: Vec<String> = Vec::new();
            for line in lines {
                let trimmed = line.trim_start();
                if let Some(item) = trimmed.strip_prefix("- ") {
                    items.push(item.to_owned());
                } else if let Some(current) = items.last_mut() {
                    current.push(' ');
                    current.push_str(trimmed);
                }
            }
            out.push_str("<ul>");
            for item in items {
                out.push_str("<li>");
                out.push_str(&inline(&item));
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        } else {
            // Lines before a list that directly follows them form a paragraph.
            let split = lines
                .iter()
                .position(|l| l.trim_start().starts_with("- "))
                .unwrap_or(lines.len());
            let (para, list) = lines.split_at(split);
            out.push_str("<p>");
            out.push_str(&inline(&para.join("\n")));
            out.push_str("</p>");
            if !list.is_empty() {
                out.push_str(&markdown(&list.join("\n")));
            }
        }
    }
    out
}

/// The properties of an object schema in reading order: the required ones in the order `required`
/// lists them, then the others by name. (Without serde_json's `preserve_order`, a parsed document
/// has lost its authors' order; `required` is the order that survives.)
fn ordered<'v>(
    properties: &'v Map<String, Value>,
    required: &[&str],
) -> Vec<(&'v String, &'v Value)> {
    let mut out: Vec<(&String, &Value)> = required
        .iter()
        .filter_map(|name| properties.get_key_value(*name))
        .collect();
    out.extend(
        properties
            .iter()
            .filter(|(name, _)| !required.contains(&name.as_str())),
    );
    out
}

/// A value as compact JSON text (for defaults, enums and consts).
fn json_inline(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A value as indented JSON text.
fn json_pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A schema of the form `anyOf`/`oneOf` `[X, {"type": "null"}]`: X.
fn nullable_inner(schema: &Value) -> Option<&Value> {
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array)
            && alternatives.len() == 2
        {
            let is_null = |s: &Value| text(s, "type") == Some("null");
            if is_null(&alternatives[1]) {
                return Some(&alternatives[0]);
            }
            if is_null(&alternatives[0]) {
                return Some(&alternatives[1]);
            }
        }
    }
    None
}

struct Page<'a> {
    doc: &'a Value,
    out: String,
}

impl<'a> Page<'a> {
    fn push(&mut self, html: &str) {
        self.out.push_str(html);
    }

    /// What a local `$ref` points to.
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        self.doc.pointer(pointer)
    }

    /// Follows `$ref`s (of parameters, responses, headers, examples) to the object they name.
    fn follow(&self, value: &'a Value) -> &'a Value {
        let mut current = value;
        for _ in 0..8 {
            match text(current, "$ref").and_then(|r| self.resolve(r)) {
                Some(target) => current = target,
                None => break,
            }
        }
        current
    }

    /// A schema, after its `$ref` (if it is one).
    fn schema_target(&self, schema: &'a Value) -> &'a Value {
        match text(schema, "$ref").and_then(|r| self.resolve(r)) {
            Some(target) => target,
            None => schema,
        }
    }

    fn schemas(&self) -> Option<&'a Map<String, Value>> {
        self.doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
    }

    // ------------------------------------------------------------------ the page

    fn document(&mut self) {
        let info = self.doc.get("info").unwrap_or(&Value::Null);
        let title = text(info, "title").unwrap_or("API reference");
        let version = text(info, "version").unwrap_or("");
        self.push("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        self.push("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(
            self.out,
            "<title>{} {} reference</title>",
            escape(title),
            escape(version)
        );
        self.push("<style>\n");
        self.push(CSS);
        self.push("</style>\n</head>\n<body>\n<div class=\"layout\">\n");
        self.toc();
        self.push("<main>\n");
        self.header(info);
        self.authentication();
        self.operations();
        self.shared_responses();
        self.components();
        self.push("</main>\n</div>\n</body>\n</html>\n");
    }

    fn header(&mut self, info: &'a Value) {
        let title = text(info, "title").unwrap_or("API reference");
        self.push("<header id=\"top\">\n");
        let _ = write!(self.out, "<h1>{}", escape(title));
        if let Some(version) = text(info, "version") {
            let _ = write!(
                self.out,
                " <span class=\"version\">{}</span>",
                escape(version)
            );
        }
        self.push("</h1>\n");
        if let Some(spec) = text(self.doc, "openapi") {
            let _ = writeln!(
                self.out,
                "<p class=\"meta\">OpenAPI {} · the document itself is served at <code>/openapi.json</code></p>",
                escape(spec)
            );
        }
        if let Some(summary) = text(info, "summary") {
            let _ = writeln!(self.out, "<p class=\"summary\">{}</p>", inline(summary));
        }
        if let Some(servers) = self.doc.get("servers").and_then(Value::as_array) {
            let urls: Vec<String> = servers
                .iter()
                .filter_map(|s| text(s, "url"))
                .map(|u| format!("<code>{}</code>", escape(u)))
                .collect();
            if !urls.is_empty() {
                let _ = writeln!(
                    self.out,
                    "<p class=\"meta\">Base URL: {}</p>",
                    urls.join(", ")
                );
            }
        }
        if let Some(license) = info.get("license").and_then(|l| text(l, "name")) {
            let _ = writeln!(
                self.out,
                "<p class=\"meta\">License: {}</p>",
                escape(license)
            );
        }
        if let Some(description) = text(info, "description") {
            self.push("<div class=\"description\">");
            self.push(&markdown(description));
            self.push("</div>\n");
        }
        self.push("</header>\n");
    }

    fn authentication(&mut self) {
        self.push("<section id=\"authentication\" class=\"auth\">\n<h2>Authentication</h2>\n");
        let schemes = self
            .doc
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object);
        match schemes {
            Some(schemes) if !schemes.is_empty() => {
                self.push("<dl>\n");
                for (name, scheme) in schemes {
                    let scheme = self.follow(scheme);
                    let kind = match (text(scheme, "type"), text(scheme, "scheme")) {
                        (Some("http"), Some(s)) if s.eq_ignore_ascii_case("bearer") => {
                            "HTTP bearer: <code>Authorization: Bearer &lt;key&gt;</code>".to_owned()
                        }
                        (Some("http"), Some(s)) => format!("HTTP <code>{}</code>", escape(s)),
                        (Some("apiKey"), _) => format!(
                            "API key in the {} <code>{}</code>",
                            escape(text(scheme, "in").unwrap_or("header")),
                            escape(text(scheme, "name").unwrap_or(""))
                        ),
                        (Some(other), _) => escape(other),
                        (None, _) => String::new(),
                    };
                    let _ = write!(
                        self.out,
                        "<dt id=\"{}\"><code>{}</code> — {}</dt><dd>",
                        anchor("security", name),
                        escape(name),
                        kind
                    );
                    if let Some(description) = text(scheme, "description") {
                        self.push(&markdown(description));
                    }
                    self.push("</dd>\n");
                }
                self.push("</dl>\n");
                self.push("<p>Each operation below says which keys it accepts; <em>no authentication</em> means it is public.</p>\n");
            }
            _ => self.push("<p>This API declares no authentication.</p>\n"),
        }
        self.push("</section>\n");
    }

    /// Every operation: (tag, path, method, path item, operation), grouped by the order of the
    /// document's `tags`, then undeclared tags, then untagged operations.
    fn grouped_operations(&self) -> Vec<(String, Vec<Operation<'a>>)> {
        let mut order: Vec<String> = self
            .doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| text(t, "name"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut all: Vec<Operation<'a>> = Vec::new();
        if let Some(paths) = self.doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let item = self.follow(item);
                for method in METHODS {
                    if let Some(op) = item.get(method).filter(|o| o.is_object()) {
                        let tag = op
                            .get("tags")
                            .and_then(Value::as_array)
                            .and_then(|t| t.first())
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        if !tag.is_empty() && !order.contains(&tag) {
                            order.push(tag.clone());
                        }
                        all.push(Operation {
                            tag,
                            path,
                            method,
                            item,
                            op,
                        });
                    }
                }
            }
        }
        order.push(String::new());
        order
            .into_iter()
            .map(|tag| {
                let ops: Vec<Operation<'a>> =
                    all.iter().filter(|o| o.tag == tag).cloned().collect();
                (tag, ops)
            })
            .filter(|(_, ops)| !ops.is_empty())
            .collect()
    }

    fn tag_description(&self, tag: &str) -> Option<&'a str> {
        self.doc
            .get("tags")
            .and_then(Value::as_array)?
            .iter()
            .find(|t| text(t, "name") == Some(tag))
            .and_then(|t| text(t, "description"))
    }

    fn toc(&mut self) {
        self.push("<nav class=\"toc\" aria-label=\"Contents\">\n<p class=\"toc-title\"><a href=\"#top\">Contents</a></p>\n<ul>\n");
        self.push("<li><a href=\"#authentication\">Authentication</a></li>\n");
        for (tag, ops) in self.grouped_operations() {
            let label = if tag.is_empty() {
                "other"
            } else {
                tag.as_str()
            };
            let _ = writeln!(
                self.out,
                "<li><a href=\"#{}\">{}</a>\n<ul>",
                anchor("tag", label),
                escape(label)
            );
            for op in ops {
                let _ = writeln!(
                    self.out,
                    "<li><a href=\"#{}\"><span class=\"method m-{}\">{}</span> <code>{}</code></a></li>",
                    op.anchor(),
                    op.method,
                    op.method.to_ascii_uppercase(),
                    escape(op.path)
                );
            }
            self.push("</ul></li>\n");
        }
        if self.doc.pointer("/components/responses").is_some() {
            self.push("<li><a href=\"#responses\">Common responses</a></li>\n");
        }
        if let Some(schemas) = self.schemas() {
            self.push("<li><a href=\"#components\">Schemas</a>\n<ul class=\"schemas\">");
            for name in schemas.keys() {
                let _ = write!(
                    self.out,
                    "<li><a href=\"#{}\">{}</a></li>",
                    anchor("schema", name),
                    escape(name)
                );
            }
            self.push("</ul></li>\n");
        }
        self.push("</ul>\n</nav>\n");
    }

    fn operations(&mut self) {
        for (tag, ops) in self.grouped_operations() {
            let label = if tag.is_empty() {
                "other"
            } else {
                tag.as_str()
            };
            let _ = writeln!(
                self.out,
                "<section class=\"tag\" id=\"{}\">\n<h2>{}</h2>",
                anchor("tag", label),
                escape(label)
            );
            if let Some(description) = self.tag_description(&tag) {
                self.push(&markdown(description));
            }
            for op in ops {
                self.operation(&op);
            }
            self.push("</section>\n");
        }
    }

    fn operation(&mut self, op: &Operation<'a>) {
        let _ = writeln!(
            self.out,
            "<article class=\"op\" id=\"{}\">\n<h3><span class=\"method m-{}\">{}</span> <code class=\"path\">{}</code></h3>",
            op.anchor(),
            op.method,
            op.method.to_ascii_uppercase(),
            escape(op.path)
        );
        if let Some(summary) = text(op.op, "summary") {
            let _ = writeln!(self.out, "<p class=\"summary\">{}</p>", inline(summary));
        }
        let mut meta = Vec::new();
        if let Some(id) = text(op.op, "operationId") {
            meta.push(format!("operationId <code>{}</code>", escape(id)));
        }
        if op.op.get("deprecated").and_then(Value::as_bool) == Some(true) {
            meta.push("<strong>deprecated</strong>".to_owned());
        }
        meta.push(self.security_text(op.op));
        let _ = writeln!(self.out, "<p class=\"meta\">{}</p>", meta.join(" · "));
        if let Some(description) = text(op.op, "description") {
            self.push("<div class=\"description\">");
            self.push(&markdown(description));
            self.push("</div>\n");
        }
        self.parameters(op);
        if let Some(body) = op.op.get("requestBody") {
            self.request_body(body);
        }
        if let Some(responses) = op.op.get("responses").and_then(Value::as_object) {
            self.responses(responses);
        }
        self.push("</article>\n");
    }

    /// Who may call an operation, from its `security` (or the document's).
    fn security_text(&self, op: &Value) -> String {
        let requirements = op
            .get("security")
            .or_else(|| self.doc.get("security"))
            .and_then(Value::as_array);
        let Some(requirements) = requirements else {
            return "no authentication".to_owned();
        };
        let alternatives: Vec<String> = requirements
            .iter()
            .filter_map(Value::as_object)
            .map(|requirement| {
                if requirement.is_empty() {
                    return "no authentication".to_owned();
                }
                requirement
                    .iter()
                    .map(|(scheme, roles)| {
                        let roles: Vec<&str> = roles
                            .as_array()
                            .map(|r| r.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        let link = format!(
                            "<a href=\"#{}\">{}</a>",
                            anchor("security", scheme),
                            escape(scheme)
                        );
                        if roles.is_empty() {
                            link
                        } else {
                            format!(
                                "{link} with scope <code>{}</code>",
                                escape(&roles.join(", "))
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        if alternatives.iter().all(|a| a == "no authentication") {
            "<span class=\"public\">no authentication</span>".to_owned()
        } else {
            format!("auth: {}", alternatives.join(" <em>or</em> "))
        }
    }

    fn parameters(&mut self, op: &Operation<'a>) {
        // Path-level parameters first, overridden by operation-level ones of the same name and place.
        let mut params: Vec<&'a Value> = Vec::new();
        for source in [op.item, op.op] {
            if let Some(list) = source.get("parameters").and_then(Value::as_array) {
                for p in list {
                    let p = self.follow(p);
                    let key = (text(p, "name"), text(p, "in"));
                    params.retain(|q| (text(q, "name"), text(q, "in")) != key);
                    params.push(p);
                }
            }
        }
        if params.is_empty() {
            return;
        }
        self.push("<h4>Parameters</h4>\n<table class=\"params\">\n<thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead>\n<tbody>\n");
        for p in params {
            let name = text(p, "name").unwrap_or("");
            let place = text(p, "in").unwrap_or("");
            let required = p.get("required").and_then(Value::as_bool) == Some(true);
            let schema = p.get("schema").unwrap_or(&Value::Null);
            let _ = write!(
                self.out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>",
                escape(name),
                if required {
                    " <span class=\"required\">required</span>"
                } else {
                    ""
                },
                escape(place),
                self.type_summary(schema, 0)
            );
            if let Some(description) = text(p, "description") {
                self.push(&markdown(description));
            }
            let notes = self.constraints(self.schema_target(schema));
            if !notes.is_empty() {
                let _ = write!(self.out, "<p class=\"notes\">{notes}</p>");
            }
            if let Some(example) = p.get("example") {
                let _ = write!(
                    self.out,
                    "<p class=\"notes\">Example: <code>{}</code></p>",
                    escape(&example_text(example, "application/json"))
                );
            }
            self.push("</td></tr>\n");
        }
        self.push("</tbody>\n</table>\n");
    }

    fn request_body(&mut self, body: &'a Value) {
        let body = self.follow(body);
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        let _ = writeln!(
            self.out,
            "<h4>Request body{}</h4>",
            if required {
                " <span class=\"required\">required</span>"
            } else {
                ""
            }
        );
        if let Some(description) = text(body, "description") {
            self.push(&markdown(description));
        }
        if let Some(content) = body.get("content").and_then(Value::as_object) {
            for (media_type, media) in content {
                self.media(media_type, media, REQUEST_EXPAND);
            }
        }
    }

    fn responses(&mut self, responses: &'a Map<String, Value>) {
        self.push("<h4>Responses</h4>\n");
        for (status, response) in responses {
            // A shared response (an error, mostly) is shown in full once, in its own section.
            if let Some(reference) =
                text(response, "$ref").filter(|r| r.starts_with("#/components/responses/"))
            {
                let name = ref_name(reference);
                let target = self.follow(response);
                let _ = write!(
                    self.out,
                    "<p class=\"status-line\"><span class=\"status {}\">{}</span> ",
                    status_class(status),
                    escape(status)
                );
                if let Some(description) = text(target, "description") {
                    self.push(&inline(description));
                }
                let _ = writeln!(
                    self.out,
                    " <a class=\"ref\" href=\"#{}\">{}</a></p>",
                    anchor("response", name),
                    escape(name)
                );
                continue;
            }
            let response = self.follow(response);
            self.response(status, response);
        }
    }

    /// One response in full: status, description, headers, bodies with their schemas and examples.
    fn response(&mut self, status: &str, response: &'a Value) {
        self.push("<div class=\"response\">\n<p class=\"status-line\">");
        if !status.is_empty() {
            let _ = write!(
                self.out,
                "<span class=\"status {}\">{}</span> ",
                status_class(status),
                escape(status)
            );
        }
        if let Some(description) = text(response, "description") {
            self.push(&inline(description));
        }
        self.push("</p>\n");
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            self.push("<table class=\"params\"><thead><tr><th>Header</th><th>Type</th><th>Description</th></tr></thead><tbody>\n");
            for (name, header) in headers {
                let header = self.follow(header);
                let schema = header.get("schema").unwrap_or(&Value::Null);
                let _ = write!(
                    self.out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>",
                    escape(name),
                    self.type_summary(schema, 0)
                );
                if let Some(description) = text(header, "description") {
                    self.push(&markdown(description));
                }
                self.push("</td></tr>\n");
            }
            self.push("</tbody></table>\n");
        }
        if let Some(content) = response.get("content").and_then(Value::as_object) {
            for (media_type, media) in content {
                self.media(media_type, media, RESPONSE_EXPAND);
            }
        }
        self.push("</div>\n");
    }

    /// One media type of a body: its schema and its examples.
    fn media(&mut self, media_type: &str, media: &'a Value, expand: usize) {
        self.push("<div class=\"media\">\n");
        let _ = write!(
            self.out,
            "<p class=\"media-type\"><code>{}</code>",
            escape(media_type)
        );
        if let Some(schema) = media.get("schema") {
            let _ = write!(self.out, " — {}", self.type_summary(schema, 0));
        }
        self.push("</p>\n");
        if let Some(schema) = media.get("schema") {
            let mut stack = Vec::new();
            self.schema_body(schema, expand, 0, &mut stack);
        }
        if let Some(example) = media.get("example") {
            self.example(None, example, media_type);
        }
        if let Some(examples) = media.get("examples").and_then(Value::as_object) {
            for (name, example) in examples {
                let example = self.follow(example);
                let label = text(example, "summary").unwrap_or(name);
                if let Some(value) = example.get("value") {
                    self.example(Some(label), value, media_type);
                }
            }
        }
        self.push("</div>\n");
    }

    fn example(&mut self, label: Option<&str>, value: &Value, media_type: &str) {
        let _ = writeln!(
            self.out,
            "<details class=\"example\" open><summary>Example{}</summary><pre>{}</pre></details>",
            label
                .map(|l| format!(": {}", escape(l)))
                .unwrap_or_default(),
            escape(&example_text(value, media_type))
        );
    }

    /// The responses operations share (`components/responses`), each shown once in full.
    fn shared_responses(&mut self) {
        let Some(responses) = self
            .doc
            .pointer("/components/responses")
            .and_then(Value::as_object)
        else {
            return;
        };
        self.push("<section id=\"responses\" class=\"components\">\n<h2>Common responses</h2>\n");
        self.push("<p>Responses several operations share; each operation links here.</p>\n");
        for (name, response) in responses {
            let response = self.follow(response);
            let _ = writeln!(
                self.out,
                "<article class=\"schema\" id=\"{}\">\n<h3>{}</h3>",
                anchor("response", name),
                escape(name)
            );
            self.response("", response);
            self.push("</article>\n");
        }
        self.push("</section>\n");
    }

    fn components(&mut self) {
        self.push("<section id=\"components\" class=\"components\">\n<h2>Schemas</h2>\n");
        self.push("<p>The data types of the bodies above. A name in a type column links to its schema.</p>\n");
        if let Some(schemas) = self.schemas() {
            for (name, schema) in schemas {
                // The alternatives of a union are listed below; the heading only counts them.
                let alternatives = ["oneOf", "anyOf"]
                    .iter()
                    .find_map(|k| schema.get(*k).and_then(Value::as_array))
                    .filter(|_| nullable_inner(schema).is_none());
                let summary = match alternatives {
                    Some(list) => format!("one of {} schemas", list.len()),
                    None => self.type_summary(schema, 0),
                };
                let _ = write!(
                    self.out,
                    "<article class=\"schema\" id=\"{}\">\n<h3>{}</h3>\n<p class=\"meta\">{}</p>\n",
                    anchor("schema", name),
                    escape(name),
                    summary
                );
                if let Some(description) = text(schema, "description") {
                    self.push("<div class=\"description\">");
                    self.push(&markdown(description));
                    self.push("</div>\n");
                }
                let notes = self.constraints(schema);
                if !notes.is_empty() {
                    let _ = writeln!(self.out, "<p class=\"notes\">{notes}</p>");
                }
                let mut stack = vec![name.clone()];
                self.schema_fields(schema, COMPONENT_EXPAND.saturating_sub(1), 0, &mut stack);
                if let Some(examples) = schema.get("examples").and_then(Value::as_array) {
                    for example in examples.iter().filter(|e| e.is_object() || e.is_array()) {
                        self.example(None, example, "application/json");
                    }
                }
                self.push("</article>\n");
            }
        }
        self.push("</section>\n");
    }

    // ------------------------------------------------------------------ schemas

    /// A one-line description of a schema's type, with links to components.
    fn type_summary(&self, schema: &Value, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "…".to_owned();
        }
        if let Some(reference) = text(schema, "$ref") {
            let name = ref_name(reference);
            return if reference.starts_with("#/components/schemas/") {
                format!(
                    "<a class=\"ref\" href=\"#{}\">{}</a>",
                    anchor("schema", name),
                    escape(name)
                )
            } else {
                format!("<code>{}</code>", escape(reference))
            };
        }
        if let Some(inner) = nullable_inner(schema) {
            return format!("{} or null", self.type_summary(inner, depth + 1));
        }
        if let Some(value) = schema.get("const") {
            return format!("<code>{}</code>", escape(&json_inline(value)));
        }
        for (key, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let parts: Vec<String> = alternatives
                    .iter()
                    .map(|a| self.type_summary(a, depth + 1))
                    .collect();
                let word = match key {
                    "oneOf" => "one of",
                    "anyOf" => "any of",
                    _ => "all of",
                };
                return format!("{word}: {}", parts.join(joiner));
            }
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.is_empty() {
            return if schema.get("properties").is_some() {
                "object".to_owned()
            } else {
                "any".to_owned()
            };
        }
        let parts: Vec<String> = types
            .iter()
            .map(|t| match *t {
                "array" => match schema.get("items") {
                    Some(items) => format!("array of {}", self.type_summary(items, depth + 1)),
                    None => "array".to_owned(),
                },
                "object" => match schema.get("additionalProperties") {
                    Some(values) if values.is_object() && schema.get("properties").is_none() => {
                        format!("map of string → {}", self.type_summary(values, depth + 1))
                    }
                    _ => "object".to_owned(),
                },
                other => {
                    let mut s = escape(other);
                    if let Some(format) = text(schema, "format") {
                        let _ = write!(s, " ({})", escape(format));
                    }
                    s
                }
            })
            .collect();
        parts.join(" | ")
    }

    /// Defaults, bounds, enums and patterns, as one line.
    fn constraints(&self, schema: &Value) -> String {
        let mut notes: Vec<String> = Vec::new();
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let values: Vec<String> = values
                .iter()
                .map(|v| format!("<code>{}</code>", escape(&json_inline(v))))
                .collect();
            notes.push(format!("Values: {}", values.join(", ")));
        }
        if let Some(value) = schema.get("default") {
            notes.push(format!(
                "Default: <code>{}</code>",
                escape(&json_inline(value))
            ));
        }
        for (key, label) in [
            ("minimum", "≥"),
            ("exclusiveMinimum", "&gt;"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "&lt;"),
        ] {
            if let Some(value) = schema.get(key) {
                notes.push(format!("{label} {}", escape(&json_inline(value))));
            }
        }
        for (key, label, noun) in [
            ("minLength", "at least", "character"),
            ("maxLength", "at most", "character"),
            ("minItems", "at least", "item"),
            ("maxItems", "at most", "item"),
        ] {
            if let Some(value) = schema.get(key) {
                let plural = if value.as_u64() == Some(1) { "" } else { "s" };
                notes.push(format!(
                    "{label} {} {noun}{plural}",
                    escape(&json_inline(value))
                ));
            }
        }
        if let Some(pattern) = text(schema, "pattern") {
            notes.push(format!("Pattern: <code>{}</code>", escape(pattern)));
        }
        if let Some(examples) = schema.get("examples").and_then(Value::as_array) {
            let simple: Vec<String> = examples
                .iter()
                .filter(|e| !e.is_object() && !e.is_array())
                .map(|e| format!("<code>{}</code>", escape(&json_inline(e))))
                .collect();
            if !simple.is_empty() {
                notes.push(format!("Examples: {}", simple.join(", ")));
            }
        }
        if let Some(property) = schema
            .get("discriminator")
            .and_then(|d| text(d, "propertyName"))
        {
            notes.push(format!(
                "Discriminated by <code>{}</code>",
                escape(property)
            ));
        }
        notes.join(" · ")
    }

    /// An `allOf` of object schemas (after their `$ref`s) as one object schema: the properties of
    /// every part (a later part's keywords overlaid on an earlier part's property of the same
    /// name) and the union of their `required`. `None` when a part is not an object with fields.
    fn merged_all_of(&self, schema: &Value) -> Option<Value> {
        let parts = schema.get("allOf")?.as_array()?;
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for part in parts {
            let part = match text(part, "$ref") {
                Some(reference) => self.resolve(reference)?,
                None => part,
            };
            for (name, property) in part.get("properties")?.as_object()? {
                let merged = match (properties.get(name), property) {
                    (Some(Value::Object(earlier)), Value::Object(later)) => {
                        let mut merged = earlier.clone();
                        if later.contains_key("$ref") {
                            // A reference replaces the earlier type; its description stays.
                            for key in ["type", "properties", "items", "additionalProperties"] {
                                merged.remove(key);
                            }
                        }
                        merged.extend(later.clone());
                        Value::Object(merged)
                    }
                    _ => property.clone(),
                };
                properties.insert(name.clone(), merged);
            }
            for name in part
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
        let mut out = Map::new();
        out.insert("type".to_owned(), Value::String("object".to_owned()));
        out.insert("required".to_owned(), Value::Array(required));
        out.insert("properties".to_owned(), Value::Object(properties));
        Some(Value::Object(out))
    }

    /// Whether a schema has structure worth a nested block (fields or alternatives), after
    /// `nullable` wrappers, arrays and maps are seen through.
    fn has_structure(&self, schema: &Value) -> bool {
        if let Some(inner) = nullable_inner(schema) {
            return self.has_structure(inner);
        }
        if let Some(reference) = text(schema, "$ref") {
            return self
                .resolve(reference)
                .is_some_and(|target| target.get("$ref").is_none() && self.has_structure(target));
        }
        schema.get("properties").is_some()
            || schema.get("oneOf").is_some()
            || schema.get("anyOf").is_some()
            || schema.get("allOf").is_some()
            || schema.get("items").is_some_and(|i| self.has_structure(i))
            || schema
                .get("additionalProperties")
                .is_some_and(|a| a.is_object() && self.has_structure(a))
    }

    /// A schema in full: a `$ref` is expanded (if `expand` allows and it is not already being
    /// expanded on this branch), then its fields or alternatives are listed.
    fn schema_body(
        &mut self,
        schema: &Value,
        expand: usize,
        depth: usize,
        stack: &mut Vec<String>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(inner) = nullable_inner(schema) {
            self.schema_body(inner, expand, depth + 1, stack);
            return;
        }
        if let Some(reference) = text(schema, "$ref") {
            let name = ref_name(reference).to_owned();
            let Some(target) = self.resolve(reference) else {
                return;
            };
            if expand == 0 || stack.contains(&name) || !self.has_structure(schema) {
                return;
            }
            stack.push(name);
            self.schema_fields(target, expand - 1, depth + 1, stack);
            stack.pop();
            return;
        }
        self.schema_fields(schema, expand, depth, stack);
    }

    /// The structure of a schema that is not a `$ref`: properties, alternatives, items.
    fn schema_fields(
        &mut self,
        schema: &Value,
        expand: usize,
        depth: usize,
        stack: &mut Vec<String>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(merged) = self.merged_all_of(schema) {
            self.schema_fields(&merged, expand, depth + 1, stack);
            return;
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            self.push("<table class=\"fields\">\n<thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead>\n<tbody>\n");
            for (name, property) in ordered(properties, &required) {
                let _ = write!(
                    self.out,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>",
                    escape(name),
                    if required.contains(&name.as_str()) {
                        " <span class=\"required\">required</span>"
                    } else {
                        ""
                    },
                    self.type_summary(property, 0)
                );
                self.property_details(property, expand, depth, stack);
                self.push("</td></tr>\n");
            }
            self.push("</tbody>\n</table>\n");
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    self.push("<p class=\"notes\">No other field is accepted.</p>\n");
                }
                Some(extra) if extra.is_object() => {
                    let _ = writeln!(
                        self.out,
                        "<p class=\"notes\">Other fields: {}</p>",
                        self.type_summary(extra, 0)
                    );
                }
                _ => {}
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let Some(alternatives) = schema.get(key).and_then(Value::as_array) else {
                continue;
            };
            if key != "allOf" && nullable_inner(schema).is_some() {
                continue;
            }
            let heading = match key {
                "oneOf" => "Exactly one of:",
                "anyOf" => "Any of:",
                _ => "All of:",
            };
            let _ = writeln!(self.out, "<div class=\"alternatives\"><p>{heading}</p><ol>");
            let mapping = schema
                .get("discriminator")
                .and_then(|d| d.get("mapping"))
                .and_then(Value::as_object);
            for alternative in alternatives {
                self.push("<li>");
                let tag = mapping.and_then(|m| {
                    let reference = text(alternative, "$ref")?;
                    m.iter()
                        .find(|(_, target)| target.as_str() == Some(reference))
                        .map(|(value, _)| value.as_str())
                });
                if let Some(tag) = tag {
                    let _ = write!(
                        self.out,
                        "<code>{}</code> → ",
                        escape(&json_inline(&Value::String(tag.to_owned())))
                    );
                }
                self.push(&self.type_summary(alternative, 0));
                if text(alternative, "$ref").is_none() {
                    if let Some(description) = text(alternative, "description") {
                        self.push(&markdown(description));
                    }
                    let notes = self.constraints(alternative);
                    if !notes.is_empty() {
                        let _ = write!(self.out, "<p class=\"notes\">{notes}</p>");
                    }
                    self.schema_fields(alternative, expand, depth + 1, stack);
                } else if expand > 0 && self.has_structure(alternative) {
                    self.expanded_ref(alternative, expand, depth, stack);
                }
                self.push("</li>\n");
            }
            self.push("</ol></div>\n");
        }
        if schema.get("properties").is_none()
            && let Some(items) = schema.get("items")
            && self.has_structure(items)
        {
            let _ = writeln!(
                self.out,
                "<p class=\"notes\">Items: {}</p>",
                self.type_summary(items, 0)
            );
            self.nested(items, expand, depth, stack);
        }
    }

    /// The description cell of a field: its description, constraints, and its structure.
    fn property_details(
        &mut self,
        property: &Value,
        expand: usize,
        depth: usize,
        stack: &mut Vec<String>,
    ) {
        let target = nullable_inner(property).unwrap_or(property);
        let description = text(property, "description")
            .or_else(|| text(target, "description").filter(|_| target.get("$ref").is_none()));
        if let Some(description) = description {
            self.push(&markdown(description));
        }
        let mut notes = self.constraints(property);
        if !std::ptr::eq(target, property) {
            let inner = self.constraints(target);
            if !inner.is_empty() {
                if !notes.is_empty() {
                    notes.push_str(" · ");
                }
                notes.push_str(&inner);
            }
        }
        if !notes.is_empty() {
            let _ = write!(self.out, "<p class=\"notes\">{notes}</p>");
        }
        self.nested(target, expand, depth, stack);
    }

    /// The structure of a field's schema, seen through arrays and maps: inline structures are
    /// shown in place; references are expanded in a collapsible block while `expand` allows.
    fn nested(&mut self, schema: &Value, expand: usize, depth: usize, stack: &mut Vec<String>) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = nullable_inner(schema).unwrap_or(schema);
        if text(schema, "$ref").is_some() {
            if expand > 0 && self.has_structure(schema) {
                self.expanded_ref(schema, expand, depth, stack);
            }
            return;
        }
        if let Some(items) = schema
            .get("items")
            .filter(|_| schema.get("properties").is_none())
        {
            self.nested(items, expand, depth + 1, stack);
            return;
        }
        if let Some(values) = schema
            .get("additionalProperties")
            .filter(|v| v.is_object() && schema.get("properties").is_none())
        {
            self.nested(values, expand, depth + 1, stack);
            return;
        }
        if self.has_structure(schema) {
            self.push("<div class=\"nested\">");
            self.schema_fields(schema, expand, depth + 1, stack);
            self.push("</div>");
        }
    }

    /// A `$ref` expanded in a collapsible block, unless it is already being expanded above.
    fn expanded_ref(
        &mut self,
        schema: &Value,
        expand: usize,
        depth: usize,
        stack: &mut Vec<String>,
    ) {
        let Some(reference) = text(schema, "$ref") else {
            return;
        };
        let name = ref_name(reference);
        if stack.iter().any(|s| s == name) {
            let _ = write!(
                self.out,
                "<p class=\"notes\">(recursive: see <a class=\"ref\" href=\"#{}\">{}</a>)</p>",
                anchor("schema", name),
                escape(name)
            );
            return;
        }
        let _ = write!(
            self.out,
            "<details class=\"nested\"><summary>{} fields</summary>",
            escape(name)
        );
        self.schema_body(schema, expand, depth + 1, stack);
        self.push("</details>");
    }
}

/// An example as text: JSON indented, or a string as it is for non-JSON media types.
fn status_class(status: &str) -> &'static str {
    match status.chars().next() {
        Some('2') => "s2",
        Some('3') => "s3",
        Some('4') => "s4",
        Some('5') => "s5",
        _ => "sx",
    }
}

fn example_text(value: &Value, media_type: &str) -> String {
    match value {
        Value::String(s) if !media_type.contains("json") => s.clone(),
        other => json_pretty(other),
    }
}

#[derive(Clone)]
struct Operation<'a> {
    tag: String,
    path: &'a str,
    method: &'static str,
    item: &'a Value,
    op: &'a Value,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        match text(self.op, "operationId") {
            Some(id) => anchor("op", id),
            None => anchor("op", &format!("{}-{}", self.method, self.path)),
        }
    }
}

const CSS: &str = r#"
:root { --fg: #1d2329; --muted: #5b6670; --line: #d9dee3; --bg: #ffffff; --soft: #f5f7f9; --link: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
code { background: var(--soft); padding: 0 0.25em; border-radius: 3px; }
pre { background: #1f2428; color: #e6e6e6; padding: 0.8em 1em; border-radius: 6px; overflow-x: auto; line-height: 1.4; margin: 0.4em 0; }
.layout { display: grid; grid-template-columns: 19em minmax(0, 1fr); }
.toc { position: sticky; top: 0; height: 100vh; overflow-y: auto; border-right: 1px solid var(--line); padding: 1em; background: var(--soft); font-size: 13px; }
.toc ul { list-style: none; padding-left: 0.6em; margin: 0.2em 0; }
.toc > ul { padding-left: 0; }
.toc li { margin: 0.15em 0; }
.toc .toc-title { font-weight: 600; margin-top: 0; }
.toc code { background: none; padding: 0; }
.toc .schemas li { display: inline; }
.toc .schemas li::after { content: " · "; color: var(--muted); }
main { padding: 1.5em 2.5em 4em; max-width: 72em; }
h1 { margin: 0.2em 0; font-size: 2em; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin: 0 0 0.3em; font-size: 1.15em; }
h4 { margin: 1em 0 0.4em; font-size: 1em; }
.version { font-size: 0.5em; vertical-align: middle; background: #e8eef5; color: #29435c; padding: 0.15em 0.5em; border-radius: 1em; }
.meta { color: var(--muted); font-size: 0.9em; margin: 0.2em 0; }
.summary { font-size: 1.05em; margin: 0.2em 0; }
.op, .schema { border: 1px solid var(--line); border-radius: 8px; padding: 1em 1.2em; margin: 1.2em 0; }
.method { display: inline-block; min-width: 4.2em; text-align: center; color: #fff; font-weight: 700; font-size: 0.78em; padding: 0.1em 0.4em; border-radius: 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.m-get { background: #2f7d32; } .m-post { background: #1565c0; } .m-put { background: #b26a00; } .m-patch { background: #6a4fb3; } .m-delete { background: #c62828; } .m-head, .m-options, .m-trace { background: #546e7a; }
.path { font-size: 1.05em; background: none; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; font-size: 0.93em; }
th, td { border: 1px solid var(--line); padding: 0.35em 0.55em; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td p { margin: 0.15em 0; }
td:first-child { white-space: nowrap; }
.required { color: #c62828; font-size: 0.8em; font-weight: 600; }
.notes { color: var(--muted); font-size: 0.88em; margin: 0.2em 0; }
.nested { margin: 0.4em 0 0.2em; padding-left: 0.6em; border-left: 3px solid var(--line); }
details > summary { cursor: pointer; color: var(--link); font-size: 0.9em; }
.response { margin: 0.6em 0 1em; }
.status-line { margin: 0.2em 0; }
.status { display: inline-block; font-weight: 700; padding: 0 0.45em; border-radius: 4px; color: #fff; font-family: ui-monospace, Menlo, Consolas, monospace; }
.s2 { background: #2f7d32; } .s3 { background: #546e7a; } .s4 { background: #b26a00; } .s5 { background: #c62828; } .sx { background: #546e7a; }
.media { margin-left: 1em; }
.media-type { margin: 0.3em 0; }
.alternatives ol { padding-left: 1.4em; }
.public { color: #2f7d32; }
.auth dt { font-weight: 600; margin-top: 0.6em; }
@media (max-width: 900px) { .layout { display: block; } .toc { position: static; height: auto; border-right: none; border-bottom: 1px solid var(--line); } main { padding: 1em; } }
"#;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        serde_json::from_str(include_str!("openapi.json")).expect("openapi.json is valid JSON")
    }

    /// Every `$ref` string in a JSON value, with its JSON path.
    fn refs(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if key == "$ref" {
                        if let Value::String(r) = child {
                            out.push((path.to_owned(), r.clone()));
                        }
                    } else {
                        refs(child, &format!("{path}/{key}"), out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    refs(child, &format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    /// The values of every `attr="…"` in the page.
    fn attribute_values<'p>(page: &'p str, attr: &str) -> Vec<&'p str> {
        let needle = format!("{attr}=\"");
        let mut values = Vec::new();
        let mut rest = page;
        while let Some(start) = rest.find(&needle) {
            let after = &rest[start + needle.len()..];
            let end = after.find('"').unwrap();
            values.push(&after[..end]);
            rest = &after[end..];
        }
        values
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_expected_info() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "Remise API");
        assert_eq!(doc["info"]["version"], "1.0.0");
        assert_eq!(doc["servers"][0]["url"], "/");
        let tags: Vec<&str> = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(tags, ["storefront", "management", "operations"]);
    }

    #[test]
    fn the_page_shows_every_path_and_operation() {
        let doc = document();
        let page = render(&doc);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>Remise API 1.0.0 reference</title>"));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 20, "only {} paths", paths.len());
        let mut operations = 0;
        for (path, item) in paths {
            assert!(
                page.contains(&format!("<code class=\"path\">{}</code>", escape(path))),
                "{path} is not on the page"
            );
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                operations += 1;
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                let anchor = anchor("op", id);
                assert!(
                    page.contains(&format!("id=\"{anchor}\"")),
                    "no section for {id}"
                );
                assert!(
                    page.contains(&format!("href=\"#{anchor}\"")),
                    "{id} is not in the contents"
                );
                let summary = op["summary"].as_str().unwrap();
                assert!(
                    page.contains(&inline(summary)),
                    "the summary of {id} is missing"
                );
                assert!(page.contains(&format!(
                    "class=\"method m-{method}\">{}</span>",
                    method.to_ascii_uppercase()
                )),);
            }
        }
        assert!(operations >= 40, "only {operations} operations");
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(
                page.contains(&format!("id=\"{}\"", anchor("schema", name))),
                "no schema {name}"
            );
        }
    }

    #[test]
    fn every_ref_resolves_to_a_component() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, "", &mut found);
        assert!(found.len() > 100, "only {} $refs", found.len());
        for (path, reference) in found {
            assert!(
                reference.starts_with("#/components/"),
                "{path}: {reference} does not point into components"
            );
            assert!(
                doc.pointer(&reference[1..]).is_some(),
                "{path}: {reference} does not resolve"
            );
        }
    }

    #[test]
    fn the_document_is_consistent() {
        let doc = document();
        let declared: Vec<&str> = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id), "operationId {id} is used twice");
                for tag in op["tags"].as_array().unwrap() {
                    assert!(
                        declared.contains(&tag.as_str().unwrap()),
                        "{id}: undeclared tag {tag}"
                    );
                }
                assert!(
                    op.get("security").is_some(),
                    "{id} does not say who may call it"
                );
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
                // Every `{name}` of the path is a declared path parameter.
                let params: Vec<Value> = item
                    .get("parameters")
                    .into_iter()
                    .chain(op.get("parameters"))
                    .flat_map(|p| p.as_array().unwrap().clone())
                    .map(|p| match p.get("$ref").and_then(Value::as_str) {
                        Some(r) => doc.pointer(&r[1..]).unwrap().clone(),
                        None => p,
                    })
                    .collect();
                for segment in path.split('/') {
                    if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
                    {
                        assert!(
                            params.iter().any(|p| p["name"] == name
                                && p["in"] == "path"
                                && p["required"] == true),
                            "{id}: path parameter {name} is not declared"
                        );
                    }
                }
                // The storefront routes carry examples of their answers (200, or 201 for a
                // reservation).
                if op["tags"][0] == "storefront" {
                    let responses = &op["responses"];
                    let success = responses.get("200").unwrap_or(&responses["201"]);
                    let ok = &success["content"]["application/json"];
                    assert!(ok.get("example").is_some(), "{id} has no example");
                }
            }
        }
        // Money is never a float.
        let text = include_str!("openapi.json");
        assert!(!text.contains("\"float\"") && !text.contains("\"double\""));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = render(&document());
        for attr in ["href", "src", "action", "srcset"] {
            for value in attribute_values(&page, attr) {
                assert!(value.starts_with('#'), "{attr}=\"{value}\" leaves the page");
            }
        }
        assert!(attribute_values(&page, "src").is_empty());
        assert!(!page.contains("<script"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("@import"));
        assert!(!page.contains("url("));
        // Every internal link has its target.
        let ids: std::collections::HashSet<&str> =
            attribute_values(&page, "id").into_iter().collect();
        for value in attribute_values(&page, "href") {
            let target = &value[1..];
            assert!(ids.contains(target), "#{target} has no target");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": "T <i>", "version": "1 & 2", "description": "a < b, `x<y>` and **<b>**" },
            "paths": {
                "/a/{id}": {
                    "get": {
                        "operationId": "getA",
                        "summary": "<script>alert(1)</script>",
                        "description": "Uses <img src=x onerror=alert(1)> here",
                        "parameters": [{ "name": "id", "in": "path", "required": true, "description": "<id>", "schema": { "type": "string", "pattern": "^<.*>$" } }],
                        "responses": { "200": { "description": "ok <done>", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/A" },
                            "example": { "html": "</pre><script>x</script>" }
                        } } } }
                    }
                }
            },
            "components": { "schemas": { "A": {
                "type": "object",
                "description": "x < y",
                "properties": { "<k>": { "type": "string", "enum": ["<v>"], "description": "<d>" } }
            } } }
        });
        let page = render(&doc);
        assert!(!page.contains("<script"), "unescaped script");
        assert!(!page.contains("<img"), "unescaped img");
        assert!(!page.contains("<i>") && !page.contains("<id>") && !page.contains("<k>"));
        assert!(page.contains("T &lt;i&gt;"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("a &lt; b"));
        assert!(page.contains("<code>x&lt;y&gt;</code>"));
        assert!(page.contains("<strong>&lt;b&gt;</strong>"));
        assert!(page.contains("x &lt; y"));
        assert!(page.contains("&lt;/pre&gt;&lt;script&gt;"));
        assert!(page.contains("ok &lt;done&gt;"));
    }

    #[test]
    fn cyclic_schemas_end() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": "T", "version": "1" },
            "paths": { "/n": { "post": {
                "operationId": "postN",
                "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Node" } } } },
                "responses": { "204": { "description": "done" } }
            } } },
            "components": { "schemas": {
                "Node": { "type": "object", "properties": {
                    "next": { "$ref": "#/components/schemas/Node" },
                    "children": { "type": "array", "items": { "$ref": "#/components/schemas/Other" } }
                } },
                "Other": { "oneOf": [ { "$ref": "#/components/schemas/Node" }, { "type": "string" } ] }
            } }
        });
        let page = render(&doc);
        assert!(page.contains("recursive: see"));
        assert!(page.contains("href=\"#schema-Node\""));
        assert!(page.contains("id=\"schema-Other\""));
    }

    #[test]
    fn markdown_subset() {
        assert_eq!(markdown("a\n\nb"), "<p>a</p><p>b</p>");
        assert_eq!(
            markdown("Errors:\n- `a` one\n- b\n  two"),
            "<p>Errors:</p><ul><li><code>a</code> one</li><li>b two</li></ul>"
        );
        assert_eq!(inline("a ` b"), "a ` b");
        assert_eq!(inline("**x** `y`"), "<strong>x</strong> <code>y</code>");
    }
}
