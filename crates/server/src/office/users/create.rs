//! Inviting someone: `/office/users/new`, posted to `/office/users`, with the checks of
//! `new_user` (the CLI's and the demo's). The initial password is typed, or, left empty,
//! generated and shown once on the answer (never stored in clear, never in a URL); the user
//! changes it from their account page.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use remise_store::{Error as StoreError, Role, now_millis};
use serde::Deserialize;

use super::role_options;
use crate::AppState;
use crate::office::form::FormErrors;
use crate::office::new_user::{NewUserError, new_user};
use crate::office::page::{Page, render, server_error};
use crate::office::password::MIN_LENGTH;
use crate::office::session::{OfficeUser, see_other, url_encode};

/// A generated password's length, from [`ALPHABET`]: 16 × log2(57) ≈ 93 bits.
const GENERATED_LENGTH: usize = 16;
/// Letters and digits that cannot be mistaken for one another when read aloud or copied
/// (no `0`/`O`, `1`/`l`/`I`).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Empty: generate one.
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "office/users/new.html")]
struct NewPage<'a> {
    page: &'a Page,
    form: UserForm,
    roles: Vec<(&'static str, String)>,
    errors: FormErrors,
    min_length: usize,
}

impl NewPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "office/users/created.html")]
struct CreatedPage<'a> {
    page: &'a Page,
    id: String,
    name: String,
    email: String,
    password: String,
}

fn new_page(page: &Page, form: UserForm, errors: FormErrors, status: StatusCode) -> Response {
    render(
        status,
        &NewPage {
            page,
            form,
            roles: role_options(page),
            errors,
            min_length: MIN_LENGTH,
        },
    )
}

pub async fn form(page: Page) -> Response {
    let form = UserForm {
        role: Role::Marketer.as_str().to_owned(),
        ..UserForm::default()
    };
    new_page(&page, form, FormErrors::default(), StatusCode::OK)
}

/// A password of [`GENERATED_LENGTH`] characters of [`ALPHABET`], each drawn evenly (bytes
/// that would favour the first letters are drawn again).
pub fn generate_password() -> Result<String, getrandom::Error> {
    // The largest multiple of the alphabet's size that fits in a byte (57 × 4 = 228).
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u16;
    let mut password = String::with_capacity(GENERATED_LENGTH);
    let mut bytes = [0u8; 64];
    while password.len() < GENERATED_LENGTH {
        getrandom::fill(&mut bytes)?;
        for byte in bytes {
            if u16::from(byte) < limit && password.len() < GENERATED_LENGTH {
                password.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
            }
        }
    }
    Ok(password)
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    page: Page,
    admin: OfficeUser,
    Form(form): Form<UserForm>,
) -> Response {
    let mut errors = FormErrors::default();
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.add("role", page.t("users-role-invalid"));
    }
    let generated = form.password.is_empty();
    let password = if generated {
        match generate_password() {
            Ok(password) => password,
            Err(error) => return server_error(&error),
        }
    } else {
        form.password.clone()
    };
    // The e-mail and name are checked even when the role is wrong, so that every error shows.
    let checked = new_user(
        &form.email,
        &form.name,
        role.unwrap_or(Role::Viewer),
        &password,
        now_millis(),
    );
    let user = match checked {
        Ok(user) => Some(user),
        Err(NewUserError::Hashing(detail)) => return server_error(&detail),
        Err(error) => {
            let message = match &error {
                NewUserError::Email(_) => page.t("users-email-invalid"),
                NewUserError::Name => page.t("users-name-invalid"),
                NewUserError::PasswordTooShort | NewUserError::Hashing(_) => {
                    page.t1("users-password-too-short", "min", MIN_LENGTH)
                }
            };
            errors.add(error.field(), message);
            None
        }
    };
    let Some(user) = user.filter(|_| errors.is_empty()) else {
        return new_page(&page, form, errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let created = match state.store.create_user(&admin.actor(), &user).await {
        Ok(created) => created,
        Err(StoreError::AlreadyExists { .. }) => {
            errors.add("email", page.t1("users-email-taken", "email", &user.email));
            return new_page(&page, form, errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(error) => return server_error(&error),
    };
    if !generated {
        return see_other(&format!(
            "/office/users/{}?done=created",
            url_encode(&created.id)
        ));
    }
    // Shown once: this answer is the only place the password appears, and nothing keeps it.
    let mut response = render(
        StatusCode::OK,
        &CreatedPage {
            page: &page,
            id: created.id,
            name: created.name,
            email: created.email,
            password,
        },
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn generated_passwords_are_long_and_unambiguous() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.chars().count(), GENERATED_LENGTH);
        assert!(a.len() >= MIN_LENGTH);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(a, b);
    }
}
