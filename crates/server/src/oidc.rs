//! The OpenID Connect relying party (SPEC §13): discovery, the
//! authorization-code flow with PKCE (S256), `state` and `nonce`, and ID-token
//! verification, through the `openidconnect` crate.
//!
//! Its HTTP client is ours (reqwest 0.13, rustls): it follows no redirect
//! (a redirect is an SSRF lever) and every request has a timeout, so an
//! unreachable provider is an error, never a hang. Discovery runs at start;
//! a provider that does not answer then leaves the instance running (the
//! password login works) with a warning and a readiness detail, and is
//! discovered again at the next OIDC login. An ID token signed by a key the
//! cached key set lacks makes one fresh discovery (a key rotation) before it
//! is refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, DeviceAuthorizationUrl, HttpRequest, HttpResponse, IdToken, IssuerUrl, Nonce, NonceVerifier,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::config::Config;

/// How long one request to the provider may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to the provider may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from the provider.
const MAX_ANSWER: usize = 1024 * 1024;
/// A key set is fetched again for an unknown key at most this often.
const REDISCOVER_AFTER: Duration = Duration::from_secs(30);
/// How long a started login waits for its callback.
pub(crate) const PENDING_LIFETIME: time::Duration = time::Duration::minutes(10);

/// The signature algorithms an ID token may use: asymmetric ones only (a
/// shared-secret MAC would make the client secret a signing key).
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
];

/// Discovery fields beyond the core ones: the device-authorization endpoint
/// (RFC 8628), when the provider offers the grant.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct ExtraMetadata {
    #[serde(default)]
    device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Every claim of an ID token beyond the standard ones (the groups claim is
/// named by configuration).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct OtherClaims(HashMap<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

type Token = IdToken<OtherClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// Why an OIDC login failed before any user was looked at. Each is shown
/// on the refusal page and audited with its [`Failure::reason`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// Discovery failed: the provider is unreachable or answers nonsense.
    #[error("the identity provider `{issuer}` cannot be reached: {detail}")]
    Unavailable { issuer: String, detail: String },
    /// The callback carries no state, or one no login started (or one
    /// already used, or expired).
    #[error("this login link is not valid (unknown, used or expired state); start again")]
    BadState,
    /// The provider sent an error back instead of a code.
    #[error("the identity provider refused: {0}")]
    Provider(String),
    /// The code could not be exchanged for tokens.
    #[error("the identity provider did not exchange the code: {0}")]
    Exchange(String),
    /// The ID token failed verification.
    #[error("the identity provider's ID token was refused: {detail}")]
    Token { reason: &'static str, detail: String },
}

impl Failure {
    /// The audit reason.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "provider_unavailable",
            Self::BadState => "bad_state",
            Self::Provider(_) => "provider_error",
            Self::Exchange(_) => "code_exchange_failed",
            Self::Token { reason, .. } => reason,
        }
    }
}

/// A verified ID token's claims, as the user rules need them.
pub(crate) type Claims = gatehouse_domain::commands::oidc::OidcClaims;

/// A login just started: where to send the browser, and what the callback
/// will need (kept server-side under the SHA-256 of `state`).
pub(crate) struct Started {
    pub(crate) url: String,
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) pkce_verifier: String,
}

struct Discovered {
    metadata: Metadata,
    at: Instant,
}

/// The `openidconnect` client of `$oidc` over discovered `$metadata` (a
/// macro: the client's type-state generics are not worth naming).
macro_rules! client {
    ($oidc:expr, $metadata:expr) => {
        client!($oidc, $metadata, $oidc.client_id.clone())
    };
    ($oidc:expr, $metadata:expr, $client_id:expr) => {
        CoreClient::from_provider_metadata($metadata, $client_id, $oidc.client_secret.clone())
            .set_redirect_uri($oidc.redirect.clone())
    };
}

/// The configured provider.
pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    /// The client of the CLI's device grant (`oidc_cli_client_id`, by
    /// default the same as `client_id`).
    cli_client_id: ClientId,
    client_secret: Option<ClientSecret>,
    groups_claim: Option<String>,
    display_name: String,
    redirect: RedirectUrl,
    http: Http,
    discovered: RwLock<Option<Discovered>>,
    last_error: Mutex<Option<String>>,
}

/// A configuration that names a provider but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("OIDC: {0}")]
pub struct OidcConfigError(String);

impl Oidc {
    /// The provider of `config`, if one is configured (not yet discovered).
    ///
    /// # Errors
    /// An issuer or redirect URL that does not parse; no HTTP client.
    pub(crate) fn from_config(config: &Config) -> Result<Option<Self>, OidcConfigError> {
        let Some(issuer) = &config.oidc_issuer else {
            return Ok(None);
        };
        let issuer_url = IssuerUrl::new(issuer.trim_end_matches('/').to_owned())
            .map_err(|e| OidcConfigError(format!("key `oidc_issuer`: `{issuer}` is no URL: {e}")))?;
        let redirect = RedirectUrl::new(format!("{}/auth/oidc/callback", config.base_url()))
            .map_err(|e| OidcConfigError(format!("the redirect URL: {e}")))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| OidcConfigError(format!("no HTTP client: {e}")))?;
        let display_name = config.oidc_display_name.clone().unwrap_or_else(|| {
            openidconnect::url::Url::parse(issuer)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| issuer.clone())
        });
        let client_id = config.oidc_client_id.clone().unwrap_or_default();
        Ok(Some(Self {
            issuer: issuer_url,
            cli_client_id: ClientId::new(config.oidc_cli_client_id.clone().unwrap_or_else(|| client_id.clone())),
            client_id: ClientId::new(client_id),
            client_secret: config.oidc_client_secret.clone().map(ClientSecret::new),
            groups_claim: config.oidc_groups_claim.clone(),
            display_name,
            redirect,
            http: Http(http),
            discovered: RwLock::new(None),
            last_error: Mutex::new(None),
        }))
    }

    /// The issuer URL, as configured (without a trailing `/`).
    pub(crate) fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The name the login page shows ("Log in with <name>").
    pub(crate) fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The client id the CLI uses at the provider for the device grant.
    pub(crate) fn cli_client_id(&self) -> &str {
        self.cli_client_id.as_str()
    }

    /// Why the last discovery failed, while it has not succeeded since.
    pub(crate) fn problem(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Fetches the discovery document and key set again.
    ///
    /// # Errors
    /// [`Failure::Unavailable`] naming the issuer URL.
    pub(crate) async fn discover(&self) -> Result<(), Failure> {
        let result = Metadata::discover_async(self.issuer.clone(), &self.http).await;
        let problem = result.as_ref().err().map(|e| chain(e));
        if let Ok(mut last_error) = self.last_error.lock() {
            *last_error = problem
                .as_ref()
                .map(|detail| format!("`{}`: {detail}", self.issuer.as_str()));
        }
        match (result, problem) {
            (Ok(metadata), _) => {
                *self.discovered.write().await = Some(Discovered {
                    metadata,
                    at: Instant::now(),
                });
                Ok(())
            }
            (Err(_), detail) => Err(Failure::Unavailable {
                issuer: self.issuer.as_str().to_owned(),
                detail: detail.unwrap_or_default(),
            }),
        }
    }

    /// The discovered metadata, discovering first if need be.
    async fn metadata(&self) -> Result<Metadata, Failure> {
        if let Some(found) = self.discovered.read().await.as_ref() {
            return Ok(found.metadata.clone());
        }
        self.discover().await?;
        self.discovered
            .read()
            .await
            .as_ref()
            .map(|d| d.metadata.clone())
            .ok_or_else(|| Failure::Unavailable {
                issuer: self.issuer.as_str().to_owned(),
                detail: "no discovery document".into(),
            })
    }

    /// Starts a login: fresh `state`, `nonce` and PKCE verifier, and the
    /// provider's authorization URL carrying them (S256 challenge).
    ///
    /// # Errors
    /// The provider cannot be discovered.
    pub(crate) async fn start(&self, state: String, nonce: String) -> Result<Started, Failure> {
        let metadata = self.metadata().await?;
        let client = client!(self, metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state_for_url, nonce_for_url) = (state.clone(), nonce.clone());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state_for_url),
                move || Nonce::new(nonce_for_url),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state,
            nonce,
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` (with the PKCE verifier) and verifies the ID token
    /// against `nonce`.
    ///
    /// # Errors
    /// [`Failure`] saying which step failed.
    pub(crate) async fn finish(&self, code: String, pkce_verifier: String, nonce: &str) -> Result<Claims, Failure> {
        let metadata = self.metadata().await?;
        let client = client!(self, metadata);
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| Failure::Exchange(chain(&e)))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::Exchange(chain(&e)))?;
        let raw = response
            .id_token()
            .map(ToString::to_string)
            .ok_or_else(|| Failure::Exchange("the answer holds no ID token".into()))?;
        self.verify(&raw, &self.client_id, Some(nonce), None).await
    }

    /// Verifies an ID token of a grant without a nonce (the device grant of
    /// the CLI's client): as [`Oidc::verify`], addressed to the CLI's client,
    /// and issued at or after `issued_after`.
    ///
    /// # Errors
    /// [`Failure::Token`] with the reason (`stale` for an old token).
    pub(crate) async fn verify_fresh(&self, raw: &str, issued_after: time::OffsetDateTime) -> Result<Claims, Failure> {
        self.verify(raw, &self.cli_client_id, None, Some(issued_after)).await
    }

    /// Verifies an ID token's signature (by the provider's keys, asymmetric
    /// algorithms only), issuer, audience (`audience`), expiry and, when
    /// given, nonce; answers its claims.
    ///
    /// # Errors
    /// [`Failure::Token`] with the reason.
    async fn verify(
        &self,
        raw: &str,
        audience: &ClientId,
        nonce: Option<&str>,
        issued_after: Option<time::OffsetDateTime>,
    ) -> Result<Claims, Failure> {
        let token: Token = raw.parse().map_err(|e: serde_json::Error| Failure::Token {
            reason: "malformed_token",
            detail: e.to_string(),
        })?;
        let metadata = self.metadata().await?;
        let verified = match self.verify_with(&token, metadata, audience, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                if self.may_rediscover().await =>
            {
                // A key the cached set lacks: the provider may have rotated.
                self.discover().await?;
                let metadata = self.metadata().await?;
                self.verify_with(&token, metadata, audience, nonce).map_err(refusal)
            }
            other => other.map_err(refusal),
        };
        let (claims, issued_at) = verified?;
        match issued_after {
            Some(after) if issued_at < after.unix_timestamp() => Err(Failure::Token {
                reason: "stale",
                detail: "the ID token was issued more than five minutes ago; log in again".into(),
            }),
            _ => Ok(claims),
        }
    }

    async fn may_rediscover(&self) -> bool {
        self.discovered
            .read()
            .await
            .as_ref()
            .is_none_or(|d| d.at.elapsed() >= REDISCOVER_AFTER)
    }

    fn verify_with(
        &self,
        token: &Token,
        metadata: Metadata,
        audience: &ClientId,
        nonce: Option<&str>,
    ) -> Result<(Claims, i64), ClaimsVerificationError> {
        let client = client!(self, metadata, audience.clone());
        let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
        let claims = match nonce {
            Some(nonce) => token.claims(&verifier, &Nonce::new(nonce.to_owned()))?,
            None => token.claims(&verifier, NoNonce)?,
        };
        let groups = self
            .groups_claim
            .as_ref()
            .map(|name| match claims.additional_claims().0.get(name) {
                Some(serde_json::Value::Array(items)) => {
                    items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
                }
                Some(serde_json::Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            });
        let claims_out = Claims {
            issuer: claims.issuer().as_str().trim_end_matches('/').to_owned(),
            subject: claims.subject().as_str().to_owned(),
            preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            email: claims.email().map(|e| e.as_str().to_owned()),
            display_name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
            groups,
        };
        Ok((claims_out, claims.issue_time().timestamp()))
    }

    /// The provider's device-authorization endpoint (RFC 8628), if it
    /// offers the grant, and its token endpoint.
    ///
    /// # Errors
    /// The provider cannot be discovered.
    pub(crate) async fn endpoints(&self) -> Result<Endpoints, Failure> {
        let metadata = self.metadata().await?;
        Ok(Endpoints {
            device: metadata
                .additional_metadata()
                .device_authorization_endpoint
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            token: metadata.token_endpoint().map(|u| u.as_str().to_owned()),
        })
    }
}

/// The provider's endpoints a client needs for the device grant.
pub(crate) struct Endpoints {
    /// The device-authorization endpoint, if offered.
    pub(crate) device: Option<String>,
    /// The token endpoint.
    pub(crate) token: Option<String>,
}

/// Accepts any nonce: for ID tokens of grants that carry none (the device
/// grant). Such tokens must prove freshness otherwise (see the exchange).
struct NoNonce;
impl NonceVerifier for NoNonce {
    fn verify(self, _nonce: Option<&Nonce>) -> Result<(), String> {
        Ok(())
    }
}

fn refusal(error: ClaimsVerificationError) -> Failure {
    let reason = match &error {
        ClaimsVerificationError::Expired(_) => "expired",
        ClaimsVerificationError::InvalidAudience(_) => "wrong_audience",
        ClaimsVerificationError::InvalidIssuer(_) => "wrong_issuer",
        ClaimsVerificationError::InvalidNonce(_) => "wrong_nonce",
        ClaimsVerificationError::SignatureVerification(kind) => match kind {
            SignatureVerificationError::NoMatchingKey => "unknown_key",
            SignatureVerificationError::NoSignature => "alg_none",
            SignatureVerificationError::DisallowedAlg(_) | SignatureVerificationError::UnsupportedAlg(_) => {
                "alg_not_allowed"
            }
            _ => "bad_signature",
        },
        _ => "invalid_token",
    };
    Failure::Token {
        reason,
        detail: chain(&error),
    }
}

/// An error and its causes, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Our HTTP client as `openidconnect` calls it.
struct Http(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = SendError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, SendError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move { send(&client, request).await })
    }
}

/// Sends one request to the provider through our client (no redirects,
/// timeouts), reading at most [`MAX_ANSWER`] bytes of the answer.
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, SendError> {
    let request = reqwest::Request::try_from(request).map_err(SendError::Http)?;
    let mut response = http.execute(request).await.map_err(SendError::Http)?;
    let mut builder = http_response_builder(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(SendError::Http)? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(SendError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    builder.body(body).map_err(|e| SendError::Build(e.to_string()))
}

fn http_response_builder(status: reqwest::StatusCode) -> openidconnect::http::response::Builder {
    openidconnect::http::Response::builder().status(status.as_u16())
}

/// A failed request to the provider.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error(transparent)]
    Http(reqwest::Error),
    #[error("the answer is larger than 1 MiB")]
    TooLarge,
    #[error("{0}")]
    Build(String),
}
