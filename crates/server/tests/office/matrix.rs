//! The authorisation matrix: every back-office route × every role (and nobody signed in) gets
//! the status its declared need says, checked on the server whatever the page shows.

use remise_server::office::{Need, route_table};
use remise_store::Role;
use reqwest::{Method, StatusCode};

use crate::support::spawn;

/// The route's path with its parameters filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str("no-such-id");
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_route_checks_the_role_on_the_server() {
    let app = spawn().await;
    let routes = route_table();
    assert!(routes.len() >= 8, "{} routes", routes.len());
    let mut failures = Vec::new();
    for route in &routes {
        let path = concrete(route.path);
        let is_get = route.method == Method::GET;
        // Nobody signed in: pages send to the sign-in page, changes are refused.
        if route.need != Need::Public {
            let response = if is_get {
                app.get(None, &path).send().await.unwrap()
            } else {
                app.post_form(None, &path, &[]).send().await.unwrap()
            };
            let expected = if is_get {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FORBIDDEN
            };
            if response.status() != expected {
                failures.push(format!(
                    "{} {path} anonymous: {}",
                    route.method,
                    response.status()
                ));
            }
        }
        for role in Role::ALL {
            // A fresh session each time: some routes (sign-out, password) end it.
            let visitor = app.visitor(role).await;
            let response = if is_get {
                app.get(Some(&visitor), &path).send().await.unwrap()
            } else {
                app.post_form(Some(&visitor), &path, &[])
                    .send()
                    .await
                    .unwrap()
            };
            let status = response.status();
            let ok = if route.need == Need::Public && !is_get {
                // The sign-in form: refused without its own CSRF cookie, whoever posts it.
                status == StatusCode::FORBIDDEN
            } else if route.need.allows(role) {
                status != StatusCode::FORBIDDEN && !status.is_server_error()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !ok {
                failures.push(format!(
                    "{} {path} as {}: {status} (need {:?})",
                    route.method,
                    role.as_str(),
                    route.need
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn needs_follow_the_roles_of_the_issue() {
    use Role::*;
    let table = [
        (Need::Read, [true, true, true, true]),
        (Need::Work, [true, true, true, false]),
        (Need::Edit, [true, true, false, false]),
        (Need::Approve, [true, false, true, false]),
        (Need::Admin, [true, false, false, false]),
    ];
    for (need, expected) in table {
        let got = [Administrator, Marketer, Approver, Viewer].map(|r| need.allows(r));
        assert_eq!(got, expected, "{need:?}");
    }
}
