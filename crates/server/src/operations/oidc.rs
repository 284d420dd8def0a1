//! Logins through the OpenID Connect provider (SPEC §13), for the faces
//! that verify a provider's ID token — the browser's callback (web UI) and
//! the CLI's device-grant exchange (`/api/v1`): creating or refreshing the
//! user a verified identity names, and the audit records of logins and
//! refusals. An admin's explicit link of a local user to an identity is
//! here too. The token's verification itself is `crate::oidc`.

use gatehouse_api::ErrorCode;
use gatehouse_authz::TokenScope;
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::oidc::{self as rules, OidcClaims, Refusal, SignIn, SignInError};
use gatehouse_domain::entities::{Token, User};
use gatehouse_domain::{AuditEntry, Store as _};
use serde_json::json;
use time::OffsetDateTime;

use super::sessions::{anonymous, rate_limited};
use super::tokens::CreateTokenInput;
use super::users::{path_username, stored_user};
use super::{Done, OpResult, Ops};
use crate::caller::Client;
use crate::guard::acting;
use crate::problem::{ApiProblem, current_request_id};

/// How old an ID token may be when the CLI exchanges it: the device grant
/// carries no nonce, so freshness is what stops a replayed token.
const FRESH_ID_TOKEN: time::Duration = time::Duration::minutes(5);

/// Why a verified identity got no login.
#[derive(Debug)]
pub enum NoLogin {
    /// The user rules refused it (a clash with a local user, a disabled
    /// user): the face shows the refusal and audits it.
    Refused(Refusal),
    /// Something failed (a problem answer).
    Failed(ApiProblem),
}

impl From<ApiProblem> for NoLogin {
    fn from(problem: ApiProblem) -> Self {
        Self::Failed(problem)
    }
}

/// A refused login, for its audit record.
#[derive(Clone, Copy, Debug)]
pub struct RefusedLogin<'a> {
    /// The short reason (`bad_state`, `wrong_audience`, `clash`, …).
    pub reason: &'a str,
    /// The sentence shown to the person.
    pub message: &'a str,
    /// The verified identity, when the refusal came after verification.
    pub claims: Option<&'a OidcClaims>,
}

/// The CLI's exchange of an ID token from the device grant for a personal
/// token.
#[derive(Clone, Debug)]
pub struct OidcTokenInput {
    /// The client (rate limits, audit).
    pub client: Client,
    /// The provider's ID token, issued to the CLI's client.
    pub id_token: String,
    /// Free text for the token (default: "personal token (OIDC device login)").
    pub description: Option<String>,
    /// Lifetime in seconds, as [`Ops::create_token`] takes it.
    pub expires_in: Option<u64>,
}

/// An admin's explicit link of a local user to a provider's identity.
#[derive(Clone, Debug)]
pub struct LinkOidcInput {
    /// The local user, as the path names it.
    pub username: String,
    /// The provider's issuer URL (a trailing `/` is ignored); default: the
    /// configured provider's.
    pub issuer: Option<String>,
    /// The identity's `sub`.
    pub subject: String,
}

impl Ops<'_> {
    /// Creates or refreshes the user of a verified identity (one commit
    /// under the write lock, audited through this face); answers the user
    /// as it is now. Later logins that change nothing write only the login
    /// time.
    ///
    /// # Errors
    /// [`NoLogin::Refused`] by the user rules; [`NoLogin::Failed`].
    pub async fn oidc_sign_in(&self, client: &Client, claims: &OidcClaims) -> Result<User, NoLogin> {
        let app = self.app;
        let writer = self.writer().await?;
        let signed = rules::sign_in(
            app.store(),
            writer.snapshot(),
            claims,
            anonymous(client, self.via),
            current_request_id(),
            app.now(),
        )
        .await;
        let SignIn {
            user,
            created,
            commit,
            unknown_groups,
        } = match signed {
            Ok(signed) => signed,
            Err(SignInError::Refused(refusal)) => return Err(NoLogin::Refused(refusal)),
            Err(SignInError::Domain(error)) => return Err(NoLogin::Failed(error.into())),
        };
        if !unknown_groups.is_empty() {
            tracing::info!(user = %user.username, groups = ?unknown_groups, "OIDC groups claim: names that are no Gatehouse group, ignored");
        }
        match commit {
            Some(commit) => {
                writer.commit(&commit).await?;
            }
            None => {
                drop(writer);
                app.store().save_login_state(&user).await.map_err(ApiProblem::from)?;
            }
        }
        if created {
            tracing::info!(user = %user.username, issuer = %claims.issuer, "user created by its first OIDC login");
        }
        Ok(user)
    }

    /// A personal token for a fresh ID token the CLI obtained with the
    /// device grant: verified as a browser login's is (signature, issuer,
    /// audience — the CLI's client —, expiry) but for the nonce the grant
    /// lacks; instead it must have been issued within the last five
    /// minutes. Rate limited per address as password logins are. The login
    /// is audited as `session.created`, a refusal as `login.refused`.
    ///
    /// # Errors
    /// 404 without a provider; 429; 401 `invalid_credentials` saying why
    /// the token or the user was refused; as [`Ops::create_token`].
    pub async fn oidc_token(&self, input: OidcTokenInput) -> OpResult<Done<(Token, String)>> {
        let app = self.app;
        let oidc = app.oidc().ok_or_else(not_configured)?;
        let client = &input.client;
        if let Err(wait) = app.inner.limiter.attempt(client.address, "oidc") {
            return Err(rate_limited("too many login attempts; wait and retry", wait));
        }
        let claims = match oidc.verify_fresh(&input.id_token, app.now() - FRESH_ID_TOKEN).await {
            Ok(claims) => claims,
            Err(failure) => {
                let message = failure.to_string();
                let refused = RefusedLogin {
                    reason: failure.reason(),
                    message: &message,
                    claims: None,
                };
                self.audit_oidc_refusal(client, refused).await;
                return Err(ApiProblem::new(ErrorCode::InvalidCredentials, message));
            }
        };
        let user = match self.oidc_sign_in(client, &claims).await {
            Ok(user) => user,
            Err(NoLogin::Failed(problem)) => return Err(problem),
            Err(NoLogin::Refused(refusal)) => {
                let message = refusal.to_string();
                let refused = RefusedLogin {
                    reason: refusal.reason(),
                    message: &message,
                    claims: Some(&claims),
                };
                self.audit_oidc_refusal(client, refused).await;
                return Err(ApiProblem::new(ErrorCode::InvalidCredentials, message));
            }
        };
        self.audit_oidc_login(client, &user, &claims).await;
        let acting = acting(user.username.clone(), TokenScope::user(), None, client);
        let token = CreateTokenInput {
            username: user.username.as_str().to_owned(),
            description: Some(
                input
                    .description
                    .unwrap_or_else(|| "personal token (OIDC device login)".to_owned()),
            ),
            expires_in: input.expires_in,
            scope: None,
        };
        self.create_token(&acting, token).await
    }

    /// Audits a login through the provider: `session.created` with
    /// `via: oidc`, the issuer and the subject.
    pub async fn audit_oidc_login(&self, client: &Client, user: &User, claims: &OidcClaims) {
        self.record(client, "session.created", user.username.as_str(), Some(claims), None)
            .await;
    }

    /// Audits a refused login (`login.refused` with the reason) and counts
    /// it among the login failures.
    pub async fn audit_oidc_refusal(&self, client: &Client, refused: RefusedLogin<'_>) {
        metrics::counter!("gatehouse_login_failures_total").increment(1);
        tracing::info!(reason = refused.reason, message = %refused.message, "OIDC login refused");
        let target = refused.claims.map_or("(unknown)", |c| c.subject.as_str());
        self.record(
            client,
            "login.refused",
            target,
            refused.claims,
            Some((refused.reason, refused.message)),
        )
        .await;
    }

    /// Links a local user to an identity at the provider, explicitly (a
    /// first login never merges them); the user is then managed by the
    /// provider. Platform admins only; audited as `user.oidc_linked`.
    ///
    /// # Errors
    /// 404, 403, 409 as the domain decides; 422 for a bad username.
    pub async fn link_oidc(&self, acting: &Acting, input: LinkOidcInput) -> OpResult<Done<User>> {
        let username = path_username(&input.username)?;
        let issuer = match input.issuer {
            Some(issuer) => issuer,
            None => self.app.oidc().ok_or_else(not_configured)?.issuer().to_owned(),
        };
        let issuer = issuer.trim_end_matches('/');
        let writer = self.writer().await?;
        let commit = rules::link(&writer.ctx(acting, self.via), &username, issuer, &input.subject).await?;
        let revision = writer.commit(&commit).await?;
        let user = stored_user(self.app, &username).await?;
        Ok(Done::new(revision, user))
    }

    /// Audits `event` about the user `target` through this face; a failure
    /// to audit is logged (the login's outcome does not depend on it).
    async fn record(
        &self,
        client: &Client,
        event: &str,
        target: &str,
        claims: Option<&OidcClaims>,
        reason: Option<(&str, &str)>,
    ) {
        let app = self.app;
        let mut actor = anonymous(client, self.via);
        if event == "session.created" {
            actor.username = Some(target.to_owned());
        }
        let mut after = json!({"via": "oidc"});
        if let Some(claims) = claims {
            after["issuer"] = json!(claims.issuer);
            after["subject"] = json!(claims.subject);
        } else if let Some(oidc) = app.oidc() {
            after["issuer"] = json!(oidc.issuer());
        }
        if let Some((reason, detail)) = reason {
            after["reason"] = json!(reason);
            after["detail"] = json!(detail);
        }
        let entry = AuditEntry {
            actor,
            event: event.to_owned(),
            target_type: "user".to_owned(),
            target_id: target.chars().filter(|c| !c.is_control()).take(254).collect(),
            project: None,
            before: None,
            after: Some(after),
            request_id: current_request_id(),
        };
        if let Err(error) = app.store().record_event(&entry, OffsetDateTime::now_utc()).await {
            tracing::warn!(%error, event, "cannot audit an OIDC login");
        }
    }
}

/// 404 when no provider is configured.
#[must_use]
pub fn not_configured() -> ApiProblem {
    ApiProblem::new(ErrorCode::NotFound, "no OIDC provider is configured (`oidc_issuer`)")
}
