//! A new back-office user from what a person typed: the CLI's `users create`, the demo, and the
//! users screen share these checks.

use remise_store::{Millis, Role, User, normalize_email};

use super::password::{self, PasswordError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NewUserError {
    #[error("email: `{0}` is not an e-mail address")]
    Email(String),
    #[error("name: 1 to 100 characters")]
    Name,
    #[error("password: at least {} characters", password::MIN_LENGTH)]
    PasswordTooShort,
    #[error("password: {0}")]
    Hashing(String),
}

impl NewUserError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            NewUserError::Email(_) => "email",
            NewUserError::Name => "name",
            NewUserError::PasswordTooShort | NewUserError::Hashing(_) => "password",
        }
    }
}

/// Checks an e-mail address's shape: something, `@`, a domain with a dot; 254 characters at most.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A user with a new id, the e-mail normalized, the password hashed (argon2id); active.
/// The name defaults to the e-mail's local part.
pub fn new_user(
    email: &str,
    name: &str,
    role: Role,
    password: &str,
    now: Millis,
) -> Result<User, NewUserError> {
    let email = normalize_email(email);
    if !valid_email(&email) {
        return Err(NewUserError::Email(email));
    }
    let name = match name.trim() {
        "" => email.split('@').next().unwrap_or("").to_owned(),
        name => name.to_owned(),
    };
    if name.is_empty() || name.chars().count() > 100 {
        return Err(NewUserError::Name);
    }
    let password_hash = password::hash(password).map_err(|e| match e {
        PasswordError::TooShort => NewUserError::PasswordTooShort,
        PasswordError::Hashing(detail) => NewUserError::Hashing(detail),
    })?;
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(|e| NewUserError::Hashing(e.to_string()))?;
    Ok(User {
        id: format!("usr_{}", hex::encode(id)),
        email,
        name,
        role,
        password_hash,
        language: None,
        active: true,
        created_at: now,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_new_user_is_checked_and_normalized() {
        let user = new_user(" Ada@Example.COM ", "", Role::Marketer, "long enough pw", 5).unwrap();
        assert_eq!(user.email, "ada@example.com");
        assert_eq!(user.name, "ada");
        assert!(user.id.starts_with("usr_") && user.id.len() == 20);
        assert!(password::verify("long enough pw", &user.password_hash));
        assert!(user.active);
        let err = new_user("no-at-sign", "A", Role::Viewer, "long enough pw", 5).unwrap_err();
        assert_eq!(err.field(), "email");
        let err = new_user("a@b.c", "A", Role::Viewer, "short", 5).unwrap_err();
        assert_eq!(err, NewUserError::PasswordTooShort);
        let err = new_user("a@b.c", &"x".repeat(101), Role::Viewer, "long enough pw", 5);
        assert_eq!(err.unwrap_err(), NewUserError::Name);
        assert!(!valid_email("a b@c.d"));
        assert!(!valid_email("a@c."));
    }
}
