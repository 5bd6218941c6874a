//! Making codes: a cryptographic random source, an alphabet without look-alikes (no 0/O, 1/I/L),
//! an optional prefix and pattern (`XXXX-XXXX`: each `X` a random character, anything else kept).

use remise_store::normalize_code;

use crate::problem::{ApiError, ApiResult, FieldProblem};

/// 31 characters: A–Z without I, L, O, and 2–9. log2(31) ≈ 4.95 bits per character.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// At least 40 bits of randomness per code (DESIGN §1): 9 characters give 44.6.
pub const MIN_RANDOM_CHARS: u32 = 9;

/// How a batch's codes look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFormat {
    pub prefix: String,
    /// Random characters when there is no pattern.
    pub length: u32,
    /// `X` for a random character, anything else literal (`XXXX-XXXX`).
    pub pattern: Option<String>,
}

impl CodeFormat {
    /// Checks the format; problems name the request's fields.
    pub fn check(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if !self
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            || self.prefix.len() > 20
        {
            problems.push(FieldProblem::new(
                "prefix",
                "at most 20 characters among A-Z, 0-9 and '-'",
            ));
        }
        let random = self.random_chars();
        if random < MIN_RANDOM_CHARS {
            let field = if self.pattern.is_some() {
                "pattern"
            } else {
                "length"
            };
            problems.push(FieldProblem::new(
                field,
                format!(
                    "{random} random characters give under 40 bits; use at least {MIN_RANDOM_CHARS}"
                ),
            ));
        }
        if random > 32 {
            problems.push(FieldProblem::new("length", "at most 32 random characters"));
        }
        if let Some(pattern) = &self.pattern
            && !pattern
                .chars()
                .all(|c| c == 'X' || c == '-' || c.is_ascii_alphanumeric())
        {
            problems.push(FieldProblem::new(
                "pattern",
                "only X (random), A-Z, 0-9 and '-'",
            ));
        }
        problems
    }

    fn random_chars(&self) -> u32 {
        match &self.pattern {
            Some(pattern) => pattern.chars().filter(|&c| c == 'X').count() as u32,
            None => self.length,
        }
    }

    /// `count` new codes as `(normalised, display)`.
    pub fn generate(&self, count: usize) -> ApiResult<Vec<(String, String)>> {
        let mut random = RandomChars::default();
        let mut codes = Vec::with_capacity(count);
        for _ in 0..count {
            let mut display = self.prefix.clone();
            match &self.pattern {
                Some(pattern) => {
                    for c in pattern.chars() {
                        display.push(if c == 'X' { random.next()? } else { c });
                    }
                }
                None => {
                    for _ in 0..self.length {
                        display.push(random.next()?);
                    }
                }
            }
            codes.push((normalize_code(&display), display));
        }
        Ok(codes)
    }
}

/// Characters of [`ALPHABET`] drawn from the operating system's CSPRNG, a buffer at a time.
#[derive(Default)]
struct RandomChars {
    buffer: Vec<u8>,
    position: usize,
}

impl RandomChars {
    fn next(&mut self) -> ApiResult<char> {
        loop {
            if self.position == self.buffer.len() {
                self.buffer.resize(64 * 1024, 0);
                getrandom::fill(&mut self.buffer)
                    .map_err(|e| ApiError::Internal(format!("no random source: {e}")))?;
                self.position = 0;
            }
            let byte = self.buffer[self.position];
            self.position += 1;
            // 248 = 8 × 31: rejecting the rest keeps every character equally likely.
            if byte < 248 {
                return Ok(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(prefix: &str, length: u32, pattern: Option<&str>) -> CodeFormat {
        CodeFormat {
            prefix: prefix.to_owned(),
            length,
            pattern: pattern.map(str::to_owned),
        }
    }

    #[test]
    fn codes_use_the_alphabet_the_prefix_and_the_pattern() {
        let codes = format("NOEL-", 0, Some("XXXX-XXXX-XX"))
            .generate(500)
            .unwrap_or_default();
        assert_eq!(codes.len(), 500);
        for (normalised, display) in &codes {
            assert_eq!(display.len(), "NOEL-XXXX-XXXX-XX".len(), "{display}");
            assert!(display.starts_with("NOEL-"));
            assert_eq!(&display[9..10], "-");
            let random: String = display[5..].chars().filter(|&c| c != '-').collect();
            assert!(random.bytes().all(|b| ALPHABET.contains(&b)), "{display}");
            assert_eq!(normalised, &normalize_code(display));
        }
        let distinct: std::collections::HashSet<_> = codes.iter().map(|c| &c.0).collect();
        assert_eq!(
            distinct.len(),
            500,
            "500 random codes of 44 bits do not collide"
        );
    }

    #[test]
    fn under_forty_bits_is_refused() {
        assert_eq!(format("", 8, None).check().len(), 1);
        assert!(format("", 9, None).check().is_empty());
        assert_eq!(format("", 0, Some("XXXX-XXXX")).check()[0].field, "pattern");
        assert_eq!(format("a b", 10, None).check()[0].field, "prefix");
    }

    #[test]
    fn every_character_of_the_alphabet_comes_out() {
        let codes = format("", 10, None).generate(200).unwrap_or_default();
        let seen: std::collections::HashSet<u8> = codes.iter().flat_map(|c| c.1.bytes()).collect();
        assert_eq!(seen.len(), ALPHABET.len());
        assert!(!seen.contains(&b'0') && !seen.contains(&b'O') && !seen.contains(&b'I'));
    }
}
