//! Who is calling: the authenticated user with its credential's scope, and
//! the client's address and user agent — as extractors for handlers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use gatehouse_domain::commands::Acting;

use crate::client_address::ClientAddress;
use crate::problem::ApiProblem;

/// The credential a request came with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer gate_…`.
    Token {
        /// The token's public id.
        id: String,
    },
    /// The web UI's session cookie.
    Session {
        /// SHA-256 of the cookie.
        id_sha256: String,
        /// The session's CSRF token, which writes must send back.
        csrf_token: String,
    },
}

impl Credential {
    /// The SHA-256 of the session cookie, when the credential is a session.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::Session { id_sha256, .. } => Some(id_sha256),
            Self::Token { .. } => None,
        }
    }
}

/// An authenticated caller, set by the route guard.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who acts, with what scope, for the domain's commands and the audit.
    pub acting: Acting,
    /// How it authenticated.
    pub credential: Credential,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The guard put it there for this handler alone.
        parts
            .extensions
            .remove::<Self>()
            .ok_or_else(|| ApiProblem::unauthenticated("authentication required"))
    }
}

/// On a public route: the caller, when the request came with a credential.
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.remove::<Self>())
    }
}

/// The username of the caller, put in the response for the request log.
#[derive(Clone, Debug)]
pub struct CallerName(pub String);

/// The client's address and user agent.
#[derive(Clone, Debug)]
pub struct Client {
    /// The client's address: the peer, or what a trusted proxy says
    /// (SPEC §8.1, `client_address.rs`).
    pub address: IpAddr,
    /// Whether the client reached us over TLS (ours or a trusted proxy's).
    pub https: bool,
    /// `User-Agent`, if sent.
    pub user_agent: Option<String>,
}

impl Client {
    /// The client of the request whose parts are `parts`.
    #[must_use]
    pub fn of(parts: &Parts) -> Self {
        let (address, https) = match parts.extensions.get::<ClientAddress>() {
            Some(found) => (found.address, found.https),
            None => (
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
                false,
            ),
        };
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        Self {
            address,
            https,
            user_agent,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}
