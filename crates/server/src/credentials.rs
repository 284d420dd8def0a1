//! Secrets Gatehouse hands out — tokens (`gate_` + 256 random bits),
//! session cookies, CSRF tokens, invitation links — and how they are kept:
//! only their SHA-256 is stored, and comparisons take constant time
//! (SPEC §6.2, §6.3).

use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The prefix of every access token.
pub const TOKEN_PREFIX: &str = "gate_";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// Random bytes in a token, session id, CSRF token or invitation secret.
const SECRET_BYTES: usize = 32;

/// Why a secret could not be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness: {0}")]
pub struct NoRandomness(String);

/// 256 random bits from the operating system, base64url without padding.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_secret() -> Result<String, NoRandomness> {
    let mut bytes = [0_u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A new access token's secret: `gate_` and 256 random bits.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn new_token() -> Result<String, NoRandomness> {
    Ok(format!("{TOKEN_PREFIX}{}", random_secret()?))
}

/// A new token's public id: a time-ordered UUID.
#[must_use]
pub fn new_token_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The hex SHA-256 under which a secret is stored.
#[must_use]
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(sha256(secret))
}

/// The SHA-256 of a secret, as bytes.
#[must_use]
pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether two secrets are equal, in time independent of where they differ.
#[must_use]
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The credential a request presents, read from its headers alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    /// `Authorization: Bearer gate_…`: the token's secret.
    Token(&'a str),
    /// `Authorization: Basic base64(username:gate_…)`, as JFrog clients
    /// send an access token: the token's secret and the username it must
    /// belong to. A password is never accepted this way.
    BasicToken {
        /// The username before the colon.
        username: String,
        /// The token's secret after it.
        secret: String,
    },
    /// The web UI's session cookie: its value.
    SessionCookie(String),
}

/// An `Authorization` header that is neither `Bearer gate_…` nor `Basic`
/// with a username and a Gatehouse token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotBearer;

/// The credential `headers` present: an `Authorization` header, which must
/// be a bearer token (or Basic with a token as the password), wins over a
/// session cookie; `None` without either.
///
/// # Errors
/// [`NotBearer`] for an `Authorization` header of another scheme, not
/// text, or whose secret is not a Gatehouse token.
pub fn presented(headers: &HeaderMap) -> Result<Option<Presented<'_>>, NotBearer> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(session_cookie(headers).map(Presented::SessionCookie));
    };
    let (scheme, rest) = value.to_str().ok().and_then(|v| v.split_once(' ')).ok_or(NotBearer)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && rest.starts_with(TOKEN_PREFIX) {
        return Ok(Some(Presented::Token(rest)));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        return basic_token(rest).map(Some);
    }
    Err(NotBearer)
}

/// The username and token of a Basic credential (RFC 7617: base64 of
/// `username:password`, the password here a Gatehouse token).
fn basic_token(encoded: &str) -> Result<Presented<'static>, NotBearer> {
    let decoded = STANDARD.decode(encoded).map_err(|_| NotBearer)?;
    let text = String::from_utf8(decoded).map_err(|_| NotBearer)?;
    let (username, secret) = text.split_once(':').ok_or(NotBearer)?;
    if username.is_empty() || !secret.starts_with(TOKEN_PREFIX) {
        return Err(NotBearer);
    }
    Ok(Presented::BasicToken {
        username: username.to_owned(),
        secret: secret.to_owned(),
    })
}

/// The session cookie's value among `headers`' cookies, if sent.
#[must_use]
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{NotBearer, Presented, TOKEN_PREFIX, new_token, presented, same_secret, sha256_hex};

    fn headers(pairs: &[(header::HeaderName, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn a_bearer_token_wins_over_a_cookie_and_other_schemes_are_refused() {
        let cookie = (header::COOKIE, &b"a=1; gatehouse_session=s3cr3t; b=2"[..]);
        assert_eq!(presented(&headers(&[])), Ok(None));
        assert_eq!(
            presented(&headers(std::slice::from_ref(&cookie))),
            Ok(Some(Presented::SessionCookie("s3cr3t".to_owned())))
        );
        for auth in [&b"Bearer gate_abc"[..], b"bearer  gate_abc ", b"BEARER gate_abc"] {
            assert_eq!(
                presented(&headers(&[(header::AUTHORIZATION, auth), cookie.clone()])),
                Ok(Some(Presented::Token("gate_abc"))),
                "{auth:?}"
            );
        }
        for auth in [
            &b"Basic YTpi"[..],
            b"Bearer abc",
            b"Bearer",
            b"gate_abc",
            b"Bearer \xff",
        ] {
            assert_eq!(
                presented(&headers(&[(header::AUTHORIZATION, auth), cookie.clone()])),
                Err(NotBearer),
                "{auth:?}"
            );
        }
        assert_eq!(presented(&headers(&[(header::COOKIE, b"other=1")])), Ok(None));
    }

    #[test]
    fn basic_carries_a_username_and_a_token_never_a_password() {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;

        let basic = |raw: &str| format!("Basic {}", STANDARD.encode(raw));
        let token = |username: &str, secret: &str| {
            Ok(Some(Presented::BasicToken {
                username: username.to_owned(),
                secret: secret.to_owned(),
            }))
        };
        let cases: &[(String, Result<Option<Presented<'_>>, NotBearer>)] = &[
            (basic("alice:gate_abc"), token("alice", "gate_abc")),
            (
                format!("basic  {} ", STANDARD.encode("alice:gate_abc")),
                token("alice", "gate_abc"),
            ),
            (basic("a@b.example:gate_x:y"), token("a@b.example", "gate_x:y")),
            (basic("alice:password"), Err(NotBearer)),
            (basic("alice:"), Err(NotBearer)),
            (basic(":gate_abc"), Err(NotBearer)),
            (basic("alice"), Err(NotBearer)),
            (basic("gate_abc"), Err(NotBearer)),
            ("Basic !!!not-base64".to_owned(), Err(NotBearer)),
            (format!("Basic {}", STANDARD.encode(b"alice:gate_\xff")), Err(NotBearer)),
            ("Basic".to_owned(), Err(NotBearer)),
            ("Digest username=alice".to_owned(), Err(NotBearer)),
        ];
        for (auth, expected) in cases {
            assert_eq!(
                &presented(&headers(&[(header::AUTHORIZATION, auth.as_bytes())])),
                expected,
                "{auth}"
            );
        }
    }

    #[test]
    fn tokens_are_prefixed_random_and_stored_as_sha256() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43, "256 bits in base64url: {a}");
        assert_ne!(a, b);
        let hash = sha256_hex(&a);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, sha256_hex(&b));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
