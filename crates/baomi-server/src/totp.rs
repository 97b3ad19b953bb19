//! TOTP second factor (RFC 6238 over RFC 4226 HOTP: HMAC-SHA1, 6 digits, 30-second steps),
//! with RFC 4648 base32 for the secrets authenticator apps expect.
//!
//! Written here rather than taken from a crate: it is forty lines over the RustCrypto `hmac`
//! and `sha1` crates we already trust, checked against the RFC's own test vectors, and the
//! crates that offer it pull in URL, QR and random-number stacks we do not need.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Steps accepted before and after the current one (clock drift).
pub const WINDOW: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(8).div_ceil(5));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = ((buffer >> bits) & 31) as usize;
            out.push(char::from(ALPHABET[index]));
        }
    }
    if bits > 0 {
        let index = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET[index]));
    }
    out
}

/// Decodes base32 (case-insensitive, spaces and `=` ignored); `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len().saturating_mul(5) / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = ALPHABET.iter().position(|&a| char::from(a) == upper)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// HOTP (RFC 4226) with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.get(19)? & 0x0f);
    let slice = digest.get(offset..offset + 4)?;
    let code = u32::from_be_bytes([slice[0] & 0x7f, slice[1], slice[2], slice[3]]);
    Some(code % 10u32.checked_pow(digits)?)
}

/// The 6-digit code for the step containing `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> Option<String> {
    let counter = u64::try_from(unix_seconds.div_euclid(STEP)).ok()?;
    hotp(secret, counter, 6).map(|c| format!("{c:06}"))
}

/// The step (RFC 6238 counter) that `code` matches for `secret_base32` at `unix_seconds`
/// (± [`WINDOW`] steps), or `None`. Every candidate step is compared in full: the comparison
/// does not stop at the first differing digit, nor at the first matching step.
pub fn verify_step(secret_base32: &str, code: &str, unix_seconds: i64) -> Option<u64> {
    let secret = base32_decode(secret_base32)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut matched = None;
    for step in -WINDOW..=WINDOW {
        let at = unix_seconds.saturating_add(step.saturating_mul(STEP));
        let Ok(counter) = u64::try_from(at.div_euclid(STEP)) else {
            continue;
        };
        if let Some(expected) = hotp(&secret, counter, 6).map(|c| format!("{c:06}")) {
            let diff = expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                matched = Some(counter);
            }
        }
    }
    matched
}

/// Whether `code` is valid for `secret_base32` at `unix_seconds` (± [`WINDOW`] steps). Says
/// nothing about replay: the service also claims the step with [`claim_step`].
pub fn verify(secret_base32: &str, code: &str, unix_seconds: i64) -> bool {
    verify_step(secret_base32, code, unix_seconds).is_some()
}

/// R13.1 (RFC 6238 §5.2): accepts `step` for `account` when it is later than the last step
/// accepted for it, and records it on the account; `false` (a replay) otherwise. The caller
/// holds the account as read in its write transaction and saves it there: the writers of
/// every process sharing the database are serialised, so a code is accepted once across
/// servers and across restarts.
pub fn claim_step(account: &mut baomi_store::Account, step: u64) -> bool {
    let Ok(step) = i64::try_from(step) else {
        return false;
    };
    match account.totp_last_step {
        Some(last) if step <= last => false,
        _ => {
            account.totp_last_step = Some(step);
            true
        }
    }
}

/// A new random 160-bit secret, base32.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 20];
    getrandom::getrandom(&mut bytes)?;
    Ok(base32_encode(&bytes))
}

/// The `otpauth://` URI authenticator apps import.
pub fn otpauth_uri(issuer: &str, login: &str, secret_base32: &str) -> String {
    fn escape(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        escape(issuer),
        escape(login),
        escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 are ours).
    #[test]
    fn r13_1_totp_matches_rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let counter = u64::try_from(t / STEP).unwrap_or(0);
            assert_eq!(
                hotp(secret, counter, 8)
                    .map(|c| format!("{c:08}"))
                    .as_deref(),
                Some(expected)
            );
            assert_eq!(code_at(secret, t).as_deref(), Some(&expected[2..]));
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_decode("MZXW6YTBOI======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(
            base32_decode("mzxw 6ytb oi").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(base32_decode("MZ1W"), None);
    }

    #[test]
    fn r13_1_totp_accepts_one_step_of_drift_and_no_more() {
        let secret = base32_encode(b"12345678901234567890");
        let now = 1_700_000_000;
        let code = code_at(b"12345678901234567890", now).unwrap_or_default();
        assert!(verify(&secret, &code, now));
        assert!(verify(&secret, &code, now + STEP));
        assert!(!verify(&secret, &code, now + 3 * STEP));
        assert!(!verify(&secret, "12345", now));
        assert!(!verify(&secret, "abcdef", now));
    }

    #[test]
    fn r13_1_totp_verify_step_names_the_matched_step() {
        let raw = b"12345678901234567890";
        let secret = base32_encode(raw);
        let now = 1_700_000_000;
        let step = u64::try_from(now / STEP).unwrap_or(0);
        let code = code_at(raw, now).unwrap_or_default();
        assert_eq!(verify_step(&secret, &code, now), Some(step));
        // Seen one step later, it still matches its own step (drift), not the later one.
        assert_eq!(verify_step(&secret, &code, now + STEP), Some(step));
        assert_eq!(verify_step(&secret, &code, now + 3 * STEP), None);
    }

    #[test]
    fn r13_1_totp_used_steps_accept_a_step_once_and_never_an_earlier_one() {
        let new = |person| {
            crate::auth::account_for(
                baomi_core::ids::PersonId(person),
                crate::auth::NewAccount {
                    login: format!("p{person}"),
                    password_hash: String::new(),
                    must_change: false,
                    totp_secret: None,
                },
                jiff::Timestamp::UNIX_EPOCH,
            )
        };
        let (mut seven, mut eight) = (new(7), new(8));
        assert!(claim_step(&mut seven, 100));
        assert!(!claim_step(&mut seven, 100), "replay of the same step");
        assert!(
            !claim_step(&mut seven, 99),
            "an earlier step after a later one"
        );
        assert!(claim_step(&mut eight, 100), "another account is apart");
        assert!(claim_step(&mut seven, 101));
        seven.totp_last_step = Some(50);
        assert!(!claim_step(&mut seven, 50));
        assert!(claim_step(&mut seven, 51));
    }
}
