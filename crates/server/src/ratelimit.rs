//! Brute-force protection for codes: failed look-ups (unknown codes) are counted per API key and
//! per customer in fixed one-minute windows; past the store's limit, look-ups get 429 with
//! `Retry-After` until the window ends. Counted per instance, in memory: with N instances an
//! attacker gets at most N times the limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::problem::ApiError;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct FailedLookups {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FailedLookups {
    /// Refuses when any of `subjects` (`key:ID`, `customer:ID`) reached `limit` failures in
    /// its current window.
    pub fn check(&self, subjects: &[String], limit: u32) -> Result<(), ApiError> {
        let now = Instant::now();
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        for subject in subjects {
            if let Some((started, failures)) = windows.get(subject)
                && now.duration_since(*started) < WINDOW
                && *failures >= limit
            {
                let left = WINDOW.saturating_sub(now.duration_since(*started));
                return Err(ApiError::TooManyRequests {
                    retry_after: left.as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    /// Counts one failed look-up for each subject.
    pub fn record_failure(&self, subjects: &[String]) {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        // Forget finished windows now and then, so the map does not grow without bound.
        if windows.len() > 100_000 {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        for subject in subjects {
            let entry = windows.entry(subject.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_subject() {
        let limiter = FailedLookups::default();
        let key = vec!["key:shop".to_owned()];
        let both = vec!["key:shop".to_owned(), "customer:C1".to_owned()];
        for _ in 0..3 {
            assert!(limiter.check(&both, 3).is_ok());
            limiter.record_failure(&both);
        }
        assert!(matches!(
            limiter.check(&key, 3),
            Err(ApiError::TooManyRequests { retry_after }) if (1..=60).contains(&retry_after)
        ));
        assert!(limiter.check(&["key:other".to_owned()], 3).is_ok());
        assert!(limiter.check(&["customer:C1".to_owned()], 4).is_ok());
    }
}
