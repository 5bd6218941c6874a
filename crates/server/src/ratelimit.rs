//! Brute-force protection for codes: failed look-ups (unknown codes) are counted per customer and
//! per client address, in one-minute windows of the wall clock; past the store's limit, look-ups
//! for that customer or address get 429 with `Retry-After` until the window ends.
//!
//! The counts live in the database (`failed_lookups`), not in each instance: code look-ups read
//! the database anyway, so one more indexed row per failure costs little, and the limit then
//! holds whatever the number of instances and across restarts. (GCRA with a per-instance share
//! of the limit needs no shared state, but an instance must know how many others there are, and
//! a restart resets it.)
//!
//! The API key is not a subject at the store's limit: one storefront key serves every customer of
//! a shop, and locking it would lock them all out. A look-up with neither a customer nor a client
//! address (the shop forwards the visitor's address in [`CLIENT_HEADER`]) counts for the key's
//! anonymous visitors together. Since customer ids and addresses come from the caller, a key is
//! also counted, as a backstop, against [`KEY_FACTOR`] times the limit: inventing a new customer
//! per guess still meets a ceiling, far above what a shop's honest customers reach together.

use axum::http::HeaderMap;
use remise_store::{Millis, Store, now_millis};

use crate::auth::Caller;
use crate::problem::ApiError;

const WINDOW: Millis = 60_000;

/// How many times the limit a key's failures may reach in a window, all customers together.
pub const KEY_FACTOR: u32 = 50;

/// The header in which a shop forwards its visitor's address (any identifier of the client, at
/// most [`CLIENT_MAX`] characters).
pub const CLIENT_HEADER: &str = "remise-client-address";
const CLIENT_MAX: usize = 100;

/// Who a look-up counts for: the customer and client, and the key.
pub struct Subjects {
    people: Vec<String>,
    key: Vec<String>,
}

impl Subjects {
    /// The customer when there is one, the client address the shop forwards when it does, else
    /// the key's anonymous visitors.
    pub fn of(
        caller: &Caller,
        customer: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Subjects, ApiError> {
        let mut subjects = Vec::with_capacity(2);
        if let Some(customer) = customer {
            subjects.push(format!("customer:{customer}"));
        }
        if let Some(value) = headers.get(CLIENT_HEADER) {
            let client = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|c| !c.is_empty() && c.len() <= CLIENT_MAX)
                .ok_or_else(|| {
                    ApiError::validation(
                        CLIENT_HEADER,
                        format!("must be 1 to {CLIENT_MAX} visible ASCII characters"),
                    )
                })?;
            subjects.push(format!("client:{client}"));
        }
        if subjects.is_empty() {
            subjects.push(format!("anonymous:{}", caller.id));
        }
        Ok(Subjects {
            people: subjects,
            key: vec![format!("key:{}", caller.id)],
        })
    }
}

impl Subjects {
    /// A back-office user trying codes in the cart simulator: their failures count for them
    /// alone, never for the customer they simulate (who would otherwise be locked out of the
    /// shop for a minute by someone else's typing).
    pub fn office_user(user_id: &str) -> Subjects {
        let subject = format!("office:{user_id}");
        Subjects {
            people: vec![subject.clone()],
            key: vec![subject],
        }
    }
}

fn window(now: Millis) -> Millis {
    now - now.rem_euclid(WINDOW)
}

/// Refuses when one of the subjects reached `limit` failures in the current window.
pub async fn check(store: &dyn Store, subjects: &Subjects, limit: u32) -> Result<(), ApiError> {
    let now = now_millis();
    let start = window(now);
    let key_limit = limit.saturating_mul(KEY_FACTOR);
    if store.failed_lookups(&subjects.people, start).await? >= limit
        || store.failed_lookups(&subjects.key, start).await? >= key_limit
    {
        let left = (start + WINDOW - now).max(1);
        return Err(ApiError::TooManyRequests {
            retry_after: u64::try_from((left + 999) / 1000).unwrap_or(60),
        });
    }
    Ok(())
}

/// Counts one failed look-up for each subject.
pub async fn record_failure(store: &dyn Store, subjects: &Subjects) -> Result<(), ApiError> {
    let window = window(now_millis());
    store.record_failed_lookup(&subjects.people, window).await?;
    store.record_failed_lookup(&subjects.key, window).await?;
    Ok(())
}

/// Forgets the windows before the current one.
pub async fn forget_old(store: &dyn Store) -> remise_store::Result<u64> {
    store
        .forget_failed_lookups(window(now_millis()) - WINDOW)
        .await
}
