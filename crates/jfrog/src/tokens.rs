//! Access tokens on JFrog's wire (`/access/api/v1/tokens`): the create
//! request (form-encoded or JSON), the 200 answer with `access_token`, the
//! token details with epoch-second times, and revocation by value.
//!
//! Gatehouse tokens are opaque and cannot be refreshed: a request for a
//! refreshable token, or to refresh one, is refused (400), never answered
//! with a token that behaves otherwise than asked.

use gatehouse_api::{self as api, Secret};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::body::{opt_bool, opt_u64};
use crate::error::Failure;
use crate::scope::{self, Part};

/// The issuer named in token details.
pub const ISSUER: &str = "gatehouse";

/// `POST /access/api/v1/tokens`, form-encoded or JSON.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenBody {
    /// `client_credentials` (default); `refresh_token` is refused.
    pub grant_type: Option<String>,
    /// The user the token acts for (default: the caller).
    pub username: Option<String>,
    /// JFrog's scope text.
    pub scope: Option<String>,
    /// Lifetime in seconds; `0` never expires (where the instance allows).
    #[serde(default, deserialize_with = "opt_u64")]
    pub expires_in: Option<u64>,
    /// `true` is refused: Gatehouse has no refresh tokens.
    #[serde(default, deserialize_with = "opt_bool")]
    pub refreshable: Option<bool>,
    /// Free text.
    pub description: Option<String>,
    /// Which services accept the token: Gatehouse is the only one; ignored.
    pub audience: Option<String>,
    /// Also answer a reference token: a Gatehouse token is one already.
    #[serde(default, deserialize_with = "opt_bool")]
    pub include_reference_token: Option<bool>,
}

/// What a JFrog token request asks, before its scope is resolved against
/// the model (`scope::resolve`).
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// For whom; `None`: the caller.
    pub username: Option<String>,
    /// The scope's parts.
    pub scope: Vec<Part>,
    /// The native request, without its scope.
    pub create: api::CreateToken,
    /// Whether the answer repeats the token as `reference_token`.
    pub reference: bool,
}

/// Reads a JFrog token request.
///
/// # Errors
/// 400 for a refresh, a refreshable token, or a scope Gatehouse cannot honour.
pub fn request(body: TokenBody) -> Result<TokenRequest, Failure> {
    match body.grant_type.as_deref() {
        None | Some("client_credentials") => {}
        Some("refresh_token") => {
            return Err(Failure::unsupported(
                "`grant_type=refresh_token`: tokens are not refreshable",
            ));
        }
        Some(other) => {
            return Err(Failure::field(
                "grant_type",
                format!("`{other}` is not `client_credentials`"),
            ));
        }
    }
    if body.refreshable == Some(true) {
        return Err(Failure::unsupported(
            "`refreshable=true`: Gatehouse has no refresh tokens; ask for a token with the lifetime you need",
        ));
    }
    let scope = scope::parse(body.scope.as_deref().unwrap_or(""))?;
    Ok(TokenRequest {
        username: body.username.filter(|u| !u.is_empty()),
        scope,
        create: api::CreateToken {
            description: body.description,
            expires_in: body.expires_in,
            scope: None,
        },
        reference: body.include_reference_token == Some(true),
    })
}

/// The 200 answer that creates a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The token's id.
    pub token_id: String,
    /// The secret, shown once.
    pub access_token: Secret,
    /// Seconds until it expires; absent when it never does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// The scope text.
    pub scope: String,
    /// `Bearer`.
    pub token_type: String,
    /// The same secret, when a reference token was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_token: Option<Secret>,
}

impl TokenResponse {
    /// The JFrog answer to a created token, as of `now`.
    #[must_use]
    pub fn new(created: &api::CreatedToken, reference: bool, now: OffsetDateTime) -> Self {
        Self {
            token_id: created.token.id.clone(),
            access_token: created.secret.clone(),
            expires_in: created.token.expires_at.map(|at| (at - now).whole_seconds().max(0)),
            scope: scope::render(&created.token.scope),
            token_type: "Bearer".to_owned(),
            reference_token: reference.then(|| created.secret.clone()),
        }
    }
}

/// A token as JFrog describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDetails {
    /// Id.
    pub token_id: String,
    /// `jfac@gatehouse/users/<username>`.
    pub subject: String,
    /// Expiry, seconds since the epoch; absent when it never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    /// Creation, seconds since the epoch.
    pub issued_at: i64,
    /// [`ISSUER`].
    pub issuer: String,
    /// Description.
    pub description: String,
    /// Always `false`.
    pub refreshable: bool,
    /// The scope text.
    pub scope: String,
    /// Last use, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<i64>,
}

impl From<&api::Token> for TokenDetails {
    fn from(t: &api::Token) -> Self {
        Self {
            token_id: t.id.clone(),
            subject: format!("jfac@{ISSUER}/users/{}", t.username),
            expiry: t.expires_at.map(OffsetDateTime::unix_timestamp),
            issued_at: t.created_at.unix_timestamp(),
            issuer: ISSUER.to_owned(),
            description: t.description.clone(),
            refreshable: false,
            scope: scope::render(&t.scope),
            last_used: t.last_used_at.map(OffsetDateTime::unix_timestamp),
        }
    }
}

/// The list answer: `{"tokens", "cursor"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    /// One page of tokens.
    pub tokens: Vec<TokenDetails>,
    /// The next page's cursor; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `DELETE` (or `POST`) `/access/api/v1/tokens/revoke`: `{"token"}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RevokeBody {
    /// The secret of the token to revoke.
    pub token: Option<Secret>,
}

/// The answer to a revocation by value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    /// The revoked token's id.
    pub revoked_token_id: String,
}

/// The secret a revocation by value names.
///
/// # Errors
/// 400 without one.
pub fn revoke_secret(body: RevokeBody) -> Result<Secret, Failure> {
    body.token.ok_or_else(|| Failure::field("token", "is required"))
}

#[cfg(test)]
mod tests {
    use gatehouse_api::{self as api, Secret};
    use serde_json::json;
    use time::{Duration, OffsetDateTime};

    use super::{TokenBody, TokenDetails, TokenResponse, request};
    use crate::body::{self, Encoding};
    use crate::scope::Part;

    #[test]
    fn token_requests_read_forms_and_json_alike() {
        for (encoding, raw, want) in [
            // py-jfrog-client 1.0.1, AccessTokensApi.create_token: form fields as urllib3 encodes them.
            (
                Encoding::Form,
                "grant_type=client_credentials&username=ci&scope=applied-permissions%2Fuser&expires_in=3600\
                 &refreshable=False&description=ci+token&audience=%2A%40%2A&include_reference_token=True",
                Ok((Some("ci"), vec![Part::User], Some(3600), Some("ci token"), true)),
            ),
            (
                Encoding::Json,
                r#"{"scope": "applied-permissions/groups:devs", "expires_in": 0, "force_revocable": true, "project_key": null}"#,
                Ok((None, vec![Part::Groups(vec!["devs".into()])], Some(0), None, false)),
            ),
            (Encoding::Json, "", Ok((None, vec![Part::User], None, None, false))),
            (Encoding::Form, "refreshable=true", Err("refresh tokens")),
            (
                Encoding::Json,
                r#"{"grant_type": "refresh_token", "refresh_token": "x"}"#,
                Err("refresh_token"),
            ),
            (Encoding::Json, r#"{"grant_type": "password"}"#, Err("`grant_type`")),
            (Encoding::Form, "scope=system%3Ametrics%3Ar", Err("system:metrics:r")),
            (Encoding::Form, "expires_in=soon", Err("non-negative integer")),
        ] {
            let got = body::parse::<TokenBody>(encoding, raw.as_bytes()).and_then(request);
            match (got, want) {
                (Ok(got), Ok((username, scope, expires_in, description, reference))) => {
                    assert_eq!(got.username.as_deref(), username, "{raw}");
                    assert_eq!(got.scope, scope, "{raw}");
                    assert_eq!(got.create.expires_in, expires_in, "{raw}");
                    assert_eq!(got.create.description.as_deref(), description, "{raw}");
                    assert_eq!(got.reference, reference, "{raw}");
                    assert_eq!(got.create.scope, None);
                }
                (Err(failure), Err(needle)) => {
                    assert_eq!(failure.status, 400, "{raw}");
                    assert!(failure.body.errors[0].message.contains(needle), "{raw}: {failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn tokens_answer_in_jfrogs_shape() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let token = api::Token {
            id: "tok1".into(),
            username: "ci".into(),
            description: "d".into(),
            scope: api::Scope::User,
            created_at: now,
            expires_at: Some(now + Duration::hours(1)),
            last_used_at: None,
        };
        let created = api::CreatedToken {
            token: token.clone(),
            secret: Secret::new("gate_x"),
        };
        assert_eq!(
            serde_json::to_value(TokenResponse::new(&created, false, now)).unwrap(),
            json!({"token_id": "tok1", "access_token": "gate_x", "expires_in": 3600,
                "scope": "applied-permissions/user", "token_type": "Bearer"})
        );
        assert_eq!(
            serde_json::to_value(TokenResponse::new(&created, true, now)).unwrap()["reference_token"],
            json!("gate_x")
        );
        assert_eq!(
            serde_json::to_value(TokenDetails::from(&token)).unwrap(),
            json!({"token_id": "tok1", "subject": "jfac@gatehouse/users/ci", "expiry": 4600, "issued_at": 1000,
                "issuer": "gatehouse", "description": "d", "refreshable": false, "scope": "applied-permissions/user"})
        );
    }
}
