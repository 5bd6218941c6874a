//! API keys: made from 32 random bytes, shown once, stored as their SHA-256 hash. A request
//! carries one as `Authorization: Bearer <key>`; routes require a [`Scope`].
//!
//! Known keys are cached in memory (refreshed with the snapshot poll) so that a storefront request
//! does not wait for the database; an unknown key is looked up once in the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use remise_store::{Actor, ApiKey, Scope, Store};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::problem::ApiError;

/// Every secret starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const SECRET_PREFIX: &str = "rk_";

/// Who is calling: the key a request was authenticated with.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's id (unique; names need not be).
    pub id: String,
    /// The key's name, as its creator chose it.
    pub name: String,
    pub scope: Scope,
}

impl Caller {
    /// How the audit log names this caller.
    pub fn actor(&self) -> Actor {
        Actor(format!("key:{}", self.name))
    }
}

/// A new secret: `rk_` and 64 hex digits (256 bits from the operating system's CSPRNG).
pub fn new_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("no random source: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

/// The stored form of a secret. A fast hash is enough: secrets have 256 bits of entropy, so
/// there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new key named `name` (1 to 100 characters once trimmed) with its secret, which is shown
/// once: only its hash is stored.
pub fn new_key(name: &str, scope: Scope) -> Result<(ApiKey, String), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1 to 100 characters"));
    }
    let secret = new_secret()?;
    Ok((key_for(&secret, name, scope), secret))
}

/// A key record for `secret`; its id is the hash's first 16 hex digits.
pub fn key_for(secret: &str, name: &str, scope: Scope) -> ApiKey {
    let hash = hash_secret(secret);
    ApiKey {
        id: format!("key_{}", &hash[..16]),
        name: name.to_owned(),
        scope,
        prefix: secret.chars().take(SECRET_PREFIX.len() + 6).collect(),
        hash,
        created_at: remise_store::now_millis(),
        revoked_at: None,
    }
}

/// Valid keys by hash.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, ApiKey>>,
}

impl KeyCache {
    /// Replaces the cache with the store's valid keys.
    pub async fn reload(&self, store: &dyn Store) -> remise_store::Result<()> {
        let keys = store
            .list_api_keys()
            .await?
            .into_iter()
            .filter(|k| k.revoked_at.is_none())
            .map(|k| (k.hash.clone(), k))
            .collect();
        if let Ok(mut cache) = self.keys.write() {
            *cache = keys;
        }
        Ok(())
    }

    pub fn forget(&self, hash: &str) {
        if let Ok(mut cache) = self.keys.write() {
            cache.remove(hash);
        }
    }

    async fn find(&self, store: &dyn Store, hash: &str) -> Result<Option<ApiKey>, ApiError> {
        if let Some(key) = self.keys.read().ok().and_then(|c| c.get(hash).cloned()) {
            return Ok(Some(key));
        }
        let key = store.find_api_key(hash).await?;
        let key = key.filter(|k| k.revoked_at.is_none());
        if let (Some(key), Ok(mut cache)) = (&key, self.keys.write()) {
            cache.insert(hash.to_owned(), key.clone());
        }
        Ok(key)
    }
}

async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    needed: Scope,
) -> Result<Caller, ApiError> {
    let header = authorization.ok_or_else(|| {
        ApiError::Unauthorized(
            "an API key is required: send `Authorization: Bearer <key>`".to_owned(),
        )
    })?;
    let secret = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <key>`".to_owned())
        })?;
    let key = state
        .keys
        .find(state.store.as_ref(), &hash_secret(secret))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API key".to_owned()))?;
    if needed == Scope::Management && key.scope != Scope::Management {
        return Err(ApiError::Forbidden(format!(
            "the key `{}` has the {} scope; this route needs a management key",
            key.name,
            key.scope.as_str()
        )));
    }
    Ok(Caller {
        id: key.id,
        name: key.name,
        scope: key.scope,
    })
}

/// Middleware: storefront routes (any valid key).
pub async fn storefront(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    guarded(state, request, next, Scope::Storefront).await
}

/// Middleware: management routes (management keys only).
pub async fn management(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    guarded(state, request, next, Scope::Management).await
}

async fn guarded(
    state: Arc<AppState>,
    mut request: Request,
    next: Next,
    needed: Scope,
) -> Result<Response, ApiError> {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|h| h.to_str().unwrap_or_default().to_owned());
    let caller = authenticate(&state, authorization.as_deref(), needed).await?;
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// A new random id with a prefix (`red_3f9c…`): 128 bits, so ids are never guessed nor reused.
pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("no random source: {e}")))?;
    Ok(format!("{prefix}_{}", hex::encode(bytes)))
}
