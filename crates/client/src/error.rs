//! What a request can fail with: a problem+json answer, another HTTP
//! failure, or the transport itself.

use gatehouse_api::Problem;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered `application/problem+json` (SPEC §7).
    #[error("{}: {}", .0.code, .0.detail)]
    Problem(Box<Problem>),
    /// The server answered an error status without a problem body.
    #[error("HTTP {status}: {body}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The body, as text (possibly cut).
        body: String,
    },
    /// The answer was a success but not the JSON expected.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// The request's URL.
        url: String,
        /// What did not parse.
        message: String,
    },
    /// The base URL or a path built from it is not a valid URL.
    #[error("invalid URL `{url}`: {message}")]
    Url {
        /// The URL given.
        url: String,
        /// Why it is refused.
        message: String,
    },
    /// Not a failure: a dry run's answer, the impact of a write that was
    /// not made ([`crate::Client::previewing`]).
    #[error("dry run: nothing was written")]
    Previewed(Box<gatehouse_api::DryRun>),
    /// Connecting, sending or receiving failed.
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The problem, when the server answered one.
    #[must_use]
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Problem(p) => Some(p),
            Self::Http { .. } | Self::Decode { .. } | Self::Url { .. } | Self::Previewed(_) | Self::Transport(_) => {
                None
            }
        }
    }

    /// The HTTP status of an answer that failed, if there was an answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(p) => Some(p.status),
            Self::Http { status, .. } => Some(*status),
            Self::Decode { .. } | Self::Url { .. } | Self::Previewed(_) | Self::Transport(_) => None,
        }
    }
}
