//! The device-authorization grant (RFC 8628) against the instance's OpenID
//! Connect provider, for `gatehouse login --oidc`: ask the provider for a
//! device code, show the person where to enter it, poll the token endpoint
//! at the interval the provider asks for, and answer the ID token (which
//! the instance then exchanges for a personal token:
//! [`Client::oidc_token`](crate::Client::oidc_token)).

use std::time::{Duration, Instant};

use gatehouse_api::OidcInfo;
use serde::Deserialize;

use crate::error::ClientError;

/// The grant type of RFC 8628 §3.4.
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What to show the person (RFC 8628 §3.2).
#[derive(Clone, Debug, Deserialize)]
pub struct DeviceCode {
    /// The code the person types at `verification_uri`.
    pub user_code: String,
    /// Where to go.
    pub verification_uri: String,
    /// The same, with the code filled in, when the provider offers it.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// How long the code is good for, in seconds.
    pub expires_in: u64,
    /// Seconds between polls (default 5).
    #[serde(default)]
    pub interval: Option<u64>,
    device_code: String,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Why the device login did not end with an ID token.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The provider does not offer the grant.
    #[error(
        "the identity provider `{0}` does not offer the device-authorization grant (RFC 8628); \
         enable it for this client at the provider, or log in with a password"
    )]
    NotOffered(String),
    /// The provider refused (denied, expired, misconfigured).
    #[error("the identity provider refused: {0}")]
    Refused(String),
    /// The provider answered no ID token.
    #[error("the identity provider answered no ID token (is the `openid` scope allowed for this client?)")]
    NoIdToken,
    /// The provider could not be reached or answered nonsense.
    #[error(transparent)]
    Client(#[from] ClientError),
}

fn http() -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .user_agent(concat!("gatehouse-client/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Starts the grant: the device code to show.
///
/// # Errors
/// [`DeviceError::NotOffered`] when the provider lists no
/// device-authorization endpoint; the provider's refusal.
pub async fn start(info: &OidcInfo) -> Result<DeviceCode, DeviceError> {
    let endpoint = info
        .device_authorization_endpoint
        .as_deref()
        .ok_or_else(|| DeviceError::NotOffered(info.issuer.clone()))?;
    let response = http()?
        .post(endpoint)
        .form(&[
            ("client_id", info.client_id.as_str()),
            ("scope", "openid email profile"),
        ])
        .send()
        .await
        .map_err(ClientError::from)?;
    let status = response.status();
    let body = response.text().await.map_err(ClientError::from)?;
    if !status.is_success() {
        return Err(DeviceError::Refused(refusal(&body, status.as_u16())));
    }
    serde_json::from_str(&body).map_err(|e| {
        DeviceError::Client(ClientError::Decode {
            url: endpoint.to_owned(),
            message: e.to_string(),
        })
    })
}

/// Polls the token endpoint until the person has approved (or denied, or
/// the code expired); answers the ID token.
///
/// # Errors
/// [`DeviceError::Refused`] for a denial, an expired code or another
/// error; [`DeviceError::NoIdToken`].
pub async fn finish(info: &OidcInfo, code: &DeviceCode) -> Result<String, DeviceError> {
    let endpoint = info
        .token_endpoint
        .as_deref()
        .ok_or_else(|| DeviceError::Refused("the provider lists no token endpoint".into()))?;
    let client = http()?;
    let deadline = Instant::now() + Duration::from_secs(code.expires_in.max(1));
    let mut interval = Duration::from_secs(code.interval.unwrap_or(5).max(1));
    loop {
        if Instant::now() >= deadline {
            return Err(DeviceError::Refused("the code expired; run the login again".into()));
        }
        tokio::time::sleep(interval).await;
        let response = client
            .post(endpoint)
            .form(&[
                ("grant_type", DEVICE_GRANT),
                ("device_code", code.device_code.as_str()),
                ("client_id", info.client_id.as_str()),
            ])
            .send()
            .await
            .map_err(ClientError::from)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(ClientError::from)?;
        let answer: Answer = serde_json::from_str(&body).map_err(|e| ClientError::Decode {
            url: endpoint.to_owned(),
            message: e.to_string(),
        })?;
        match answer.error.as_deref() {
            None => return answer.id_token.ok_or(DeviceError::NoIdToken),
            Some("authorization_pending") => {}
            // RFC 8628 §3.5: each `slow_down` adds five seconds.
            Some("slow_down") => interval += Duration::from_secs(5),
            Some(_) => return Err(DeviceError::Refused(refusal(&body, status))),
        }
    }
}

/// An OAuth error answer as one line.
fn refusal(body: &str, status: u16) -> String {
    match serde_json::from_str::<Answer>(body) {
        Ok(Answer {
            error: Some(error),
            error_description,
            ..
        }) => match error_description {
            Some(description) => format!("{error} ({description})"),
            None => error,
        },
        _ => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_provider_without_the_grant_is_a_clear_message() {
        let info = OidcInfo {
            issuer: "https://idp.example.com".into(),
            client_id: "gatehouse".into(),
            display_name: "Example".into(),
            login_url: "https://gatehouse.example.com/auth/oidc/login".into(),
            device_authorization_endpoint: None,
            token_endpoint: Some("https://idp.example.com/token".into()),
        };
        let error = start(&info).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.contains("`https://idp.example.com` does not offer the device-authorization grant"),
            "{error}"
        );
    }
}
