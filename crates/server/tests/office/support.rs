//! A server with the demo store, and signed-in visitors: a session made straight in the store
//! (no password hashing per request) or through the sign-in form.

use std::sync::Arc;

use remise_server::{Server, demo};
use remise_store::{Millis, Role, Session, Store, User, now_millis};
use remise_test_support::TestSqlite;
use reqwest::header::{self, HeaderMap};
use reqwest::{Client, RequestBuilder, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub struct OfficeApp {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    shutdown: Option<oneshot::Sender<()>>,
    _sqlite: TestSqlite,
}

impl Drop for OfficeApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Clone)]
pub struct Visitor {
    pub cookie: String,
    pub csrf: String,
}

pub async fn spawn() -> OfficeApp {
    let sqlite = TestSqlite::new();
    let store = remise_store::open(&sqlite.url).await.unwrap();
    store.migrate().await.unwrap();
    demo::load(store.as_ref()).await.unwrap();
    let server = Server::bind(store.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    OfficeApp {
        base,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        shutdown: Some(shutdown),
        _sqlite: sqlite,
    }
}

/// The demo user of `role`: (e-mail, password).
pub fn demo_user(role: Role) -> (&'static str, &'static str) {
    let (email, _, _, password) = demo::USERS
        .into_iter()
        .find(|(_, _, r, _)| *r == role)
        .unwrap();
    (email, password)
}

impl OfficeApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn user(&self, role: Role) -> User {
        let (email, _) = demo_user(role);
        self.store.find_user_by_email(email).await.unwrap().unwrap()
    }

    /// A session for the demo user of `role`, made in the store.
    pub async fn visitor(&self, role: Role) -> Visitor {
        let user = self.user(role).await;
        let token = random_hex();
        let csrf = random_hex();
        let now: Millis = now_millis();
        self.store
            .create_session(&Session {
                id_hash: hex::encode(Sha256::digest(token.as_bytes())),
                user_id: user.id,
                csrf: csrf.clone(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + 3_600_000,
                revoked_at: None,
            })
            .await
            .unwrap();
        Visitor {
            cookie: format!("remise_session={token}"),
            csrf,
        }
    }

    pub fn get(&self, visitor: Option<&Visitor>, path: &str) -> RequestBuilder {
        with_cookie(self.client.get(self.url(path)), visitor)
    }

    /// A form POST carrying the visitor's CSRF token as the form's `csrf` field.
    pub fn post_form(
        &self,
        visitor: Option<&Visitor>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> RequestBuilder {
        let mut fields: Vec<(&str, &str)> = fields.to_vec();
        if let Some(visitor) = visitor {
            fields.push(("csrf", &visitor.csrf));
        }
        let body = serde_urlencoded::to_string(&fields).unwrap();
        with_cookie(self.client.post(self.url(path)), visitor)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    }

    /// Signs in through the form, as a browser does: GET the form (its CSRF cookie), POST it.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let form = self
            .client
            .get(self.url("/office/sign-in"))
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(form.headers(), "remise_signin").unwrap();
        let html = form.text().await.unwrap();
        let csrf = hidden_field(&html, "csrf").unwrap();
        let body = serde_urlencoded::to_string([
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/office"),
        ])
        .unwrap();
        self.client
            .post(self.url("/office/sign-in"))
            .header(header::COOKIE, format!("remise_signin={cookie}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the form and returns the visitor, reading the CSRF token from a page.
    pub async fn signed_in(&self, email: &str, password: &str) -> Visitor {
        let response = self.sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let token = set_cookie(response.headers(), "remise_session").unwrap();
        let mut visitor = Visitor {
            cookie: format!("remise_session={token}"),
            csrf: String::new(),
        };
        let html = self
            .get(Some(&visitor), "/office/account")
            .send()
            .await
            .unwrap();
        visitor.csrf = hidden_field(&html.text().await.unwrap(), "csrf").unwrap();
        visitor
    }
}

fn with_cookie(request: RequestBuilder, visitor: Option<&Visitor>) -> RequestBuilder {
    match visitor {
        Some(visitor) => request.header(header::COOKIE, &visitor.cookie),
        None => request,
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

/// The value a response's `Set-Cookie` gives `name`.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookie_line(headers, name)
        .map(|line| line.split(';').next().unwrap()[name.len() + 1..].to_owned())
}

/// The whole `Set-Cookie` line for `name` (with its attributes).
pub fn set_cookie_line(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the first hidden input named `name` in `html`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// How many live documents of `kind` the store holds.
pub async fn count(store: &dyn Store, kind: remise_store::Kind) -> usize {
    let (_, records) = store.load_all().await.unwrap();
    records.iter().filter(|r| r.kind == kind).count()
}
