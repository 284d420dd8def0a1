//! The client itself: base URL, bearer token, and the one place requests
//! are sent and answers (or problems) decoded.

use std::time::Duration;

use gatehouse_api::{DryRun, PROBLEM_CONTENT_TYPE, Problem};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ClientError;

/// The longest error body kept in [`ClientError::Http`].
const MAX_ERROR_BODY: usize = 2_000;

/// A client of one Gatehouse server, acting with one token (or none).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    // INVARIANT: a valid base URL whose path ends before `/api`; `url`
    // appends segments to it.
    base: Url,
    token: Option<String>,
    /// Set: every write is sent as a dry run listing at most this many
    /// changes, and answers [`ClientError::Previewed`] (SPEC §7.2).
    preview: Option<usize>,
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`),
    /// sending `token` as `Authorization: Bearer`.
    ///
    /// # Errors
    /// [`ClientError::Url`] for a base URL that is not http(s), or
    /// [`ClientError::Transport`] when the HTTP stack cannot start.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, ClientError> {
        let base = Url::parse(base_url.trim_end_matches('/')).map_err(|e| ClientError::Url {
            url: base_url.to_owned(),
            message: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::Url {
                url: base_url.to_owned(),
                message: "expected an http:// or https:// URL".to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("gatehouse-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base,
            token,
            preview: None,
        })
    }

    /// The same server, acting with another token.
    #[must_use]
    pub fn with_token(&self, token: Option<String>) -> Self {
        Self { token, ..self.clone() }
    }

    /// The same server, sending every write as a dry run (`?dry_run=true`,
    /// listing at most `limit` changes): a write answers
    /// [`ClientError::Previewed`] with its impact and changes nothing. A
    /// route that takes no dry run refuses it (422), so nothing is written
    /// by mistake.
    #[must_use]
    pub fn previewing(&self, limit: usize) -> Self {
        Self {
            preview: Some(limit),
            ..self.clone()
        }
    }

    /// The server's base URL.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of `segments` below the base; each segment is percent-encoded
    /// (role names hold spaces).
    ///
    /// # Errors
    /// Never for a base URL accepted by [`Client::new`].
    pub fn url(&self, segments: &[&str]) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::Url {
                url: self.base.to_string(),
                message: "cannot be a base".to_owned(),
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let mut builder = self.http.request(method.clone(), url);
        if let Some(limit) = self.preview.filter(|_| method != Method::GET) {
            builder = builder.query(&[("dry_run", "true"), ("limit", &limit.to_string())]);
        }
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends `builder` (made by [`Client::request`] for `method`); the
    /// answer of a dry run comes back as [`ClientError::Previewed`].
    async fn dispatch(&self, method: &Method, builder: RequestBuilder) -> Result<Response, ClientError> {
        let response = builder.send().await?;
        if self.preview.is_none() || *method == Method::GET || !response.status().is_success() {
            return Ok(response);
        }
        let url = response.url().to_string();
        let bytes = response.bytes().await?;
        match serde_json::from_slice::<DryRun>(&bytes) {
            Ok(answer) if answer.dry_run => Err(ClientError::Previewed(Box::new(answer))),
            _ => Err(ClientError::Decode {
                url,
                message: "a dry run answered something else than its impact".to_owned(),
            }),
        }
    }

    /// `GET` the JSON at `segments` with query `query`.
    pub(crate) async fn get<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        query: &Q,
    ) -> Result<T, ClientError> {
        let url = self.url(segments)?;
        decode(self.request(Method::GET, url).query(query).send().await?).await
    }

    /// Sends `body` as JSON with `method` to `segments`; decodes the answer.
    pub(crate) async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let url = self.url(segments)?;
        let mut builder = self.request(method.clone(), url);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        decode(self.dispatch(&method, builder).await?).await
    }

    /// Sends a request whose success answer has no body we keep (204 or JSON
    /// we ignore).
    pub(crate) async fn send_empty<Q: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &Q,
    ) -> Result<(), ClientError> {
        let url = self.url(segments)?;
        let builder = self.request(method.clone(), url).query(query);
        check(self.dispatch(&method, builder).await?).await.map(drop)
    }

    /// `DELETE` that answers JSON (the roles or members it touched).
    pub(crate) async fn delete_json<Q: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        query: &Q,
    ) -> Result<serde_json::Value, ClientError> {
        let url = self.url(segments)?;
        let builder = self.request(Method::DELETE, url).query(query);
        let response = check(self.dispatch(&Method::DELETE, builder).await?).await?;
        let text = response.text().await?;
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| ClientError::Decode {
            url: String::new(),
            message: e.to_string(),
        })
    }
}

/// The response when its status is a success, else the problem it carries.
async fn check(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let is_problem = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
    let body = response.text().await?;
    if is_problem && let Ok(problem) = serde_json::from_str::<Problem>(&body) {
        return Err(ClientError::Problem(Box::new(problem)));
    }
    let mut body = body;
    if body.len() > MAX_ERROR_BODY {
        let mut end = MAX_ERROR_BODY;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    Err(ClientError::Http {
        status: status.as_u16(),
        body,
    })
}

/// The JSON answer of a successful request, as `T`.
async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let response = check(response).await?;
    let url = response.url().to_string();
    let bytes = response.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
        url,
        message: e.to_string(),
    })
}

impl Client {
    /// `PUT` of `body` whose success answer carries nothing we keep.
    pub(crate) async fn put_empty<B: Serialize + ?Sized>(&self, url: Url, body: &B) -> Result<(), ClientError> {
        let builder = self.request(Method::PUT, url).json(body);
        check(self.dispatch(&Method::PUT, builder).await?).await.map(drop)
    }

    /// `POST`s `body` to `url`; the answer has no body.
    pub(crate) async fn post_empty<B: Serialize + ?Sized>(&self, url: Url, body: &B) -> Result<(), ClientError> {
        let builder = self.request(Method::POST, url).json(body);
        check(self.dispatch(&Method::POST, builder).await?).await.map(drop)
    }
}
