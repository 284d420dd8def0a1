//! Access tokens (SPEC §6.3): one's own, and a user's (a platform admin
//! may create them for anyone; `accounts.manage` holders list the tokens of
//! users they dominate).

use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::tokens::{self, NewToken, USER_SCOPE};
use gatehouse_domain::entities::{Scope, Token};
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, Username};
use gatehouse_domain::store::Page;
use gatehouse_domain::{FieldError, Store as _};
use time::{Duration, OffsetDateTime};

use super::users::path_username;
use super::visibility::require_full_scope;
use super::{Done, OpResult, Ops, Paging, expect_revision, not_found, page_of};
use crate::config::Config;
use crate::credentials::{new_token, new_token_id, sha256_hex};
use crate::problem::ApiProblem;

/// A token's lifetime when none is asked for: one year (SPEC §6.3).
const DEFAULT_LIFETIME: Duration = Duration::days(365);

/// A new token.
#[derive(Clone, Debug, Default)]
pub struct CreateTokenInput {
    /// The user it acts for.
    pub username: String,
    /// Free text.
    pub description: Option<String>,
    /// Lifetime in seconds (default one year; `0` never expires, where the
    /// instance allows it).
    pub expires_in: Option<u64>,
    /// What it may do at most (default: all the user may).
    pub scope: Option<Scope>,
}

impl CreateTokenInput {
    /// The operation's input for a token of `username` as the native wire
    /// asks it (also what the JFrog face maps its own to).
    #[must_use]
    pub fn from_wire(username: String, body: gatehouse_api::CreateToken) -> Self {
        Self {
            username,
            description: body.description,
            expires_in: body.expires_in,
            scope: body.scope.map(Into::into),
        }
    }
}

/// The expiry of a token asking to live `expires_in` seconds.
///
/// # Errors
/// 422 naming `expires_in` beyond the instance's maximum, or `0` where
/// tokens must expire.
pub fn expiry(config: &Config, expires_in: Option<u64>, now: OffsetDateTime) -> OpResult<Option<OffsetDateTime>> {
    let max = Duration::days(i64::from(config.token_max_days));
    match expires_in {
        None => Ok(Some(now + DEFAULT_LIFETIME.min(max))),
        Some(0) if config.allow_non_expiring_tokens => Ok(None),
        Some(0) => {
            Err(FieldError::invalid("expires_in", "this instance does not allow tokens that never expire").into())
        }
        Some(seconds) => {
            let lifetime = i64::try_from(seconds).map(Duration::seconds).unwrap_or(Duration::MAX);
            if lifetime > max {
                Err(FieldError::invalid(
                    "expires_in",
                    &format!("at most {} days on this instance", config.token_max_days),
                )
                .into())
            } else {
                Ok(Some(now + lifetime))
            }
        }
    }
}

impl Ops<'_> {
    /// Creates a token for `input.username` as `acting` (itself, or a
    /// platform admin for anyone); answers it with its secret, shown once.
    ///
    /// # Errors
    /// 403 (a restricted token, not allowed); 404; 422 (`description`,
    /// `expires_in`, the scope).
    pub async fn create_token(&self, acting: &Acting, input: CreateTokenInput) -> OpResult<Done<(Token, String)>> {
        require_full_scope(acting, "manage tokens")?;
        self.issue_token(acting, input).await
    }

    /// [`Ops::create_token`] without the scope check (a login by password
    /// has no scope).
    pub(crate) async fn issue_token(
        &self,
        acting: &Acting,
        input: CreateTokenInput,
    ) -> OpResult<Done<(Token, String)>> {
        let app = self.app;
        let username = path_username(&input.username)?;
        let description = Description::parse(
            "description",
            input.description.as_deref().unwrap_or(""),
            MAX_DESCRIPTION,
        )?;
        let scope = input.scope.unwrap_or_else(|| Scope::User(USER_SCOPE.to_owned()));
        let secret = new_token().map_err(|e| ApiProblem::internal("no randomness", &e))?;
        let writer = self.writer().await?;
        let new = NewToken {
            id: new_token_id(),
            secret_sha256: sha256_hex(&secret),
            username,
            description,
            expires_at: expiry(app.config(), input.expires_in, writer.now())?,
            scope,
        };
        let id = new.id.clone();
        let commit = tokens::create(&writer.ctx(acting, self.via), new).await?;
        let revision = writer.commit(&commit).await?;
        let token = app
            .store()
            .token(&id)
            .await?
            .ok_or_else(|| ApiProblem::internal("a committed token is missing", &id))?;
        Ok(Done::new(revision, (token, secret)))
    }

    /// A page of `username`'s tokens, newest first: the caller's own, or a
    /// user's for a holder of `accounts.manage` who dominates it (SPEC
    /// §2.5: else 403 `escalation`); others are answered as if the user
    /// did not exist.
    ///
    /// # Errors
    /// 403; 404; 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn list_tokens(&self, acting: &Acting, username: &str, paging: &Paging) -> OpResult<Page<Token>> {
        require_full_scope(acting, "manage tokens")?;
        let username: Username = path_username(username)?;
        if username != acting.username {
            let snapshot = self.app.snapshot();
            tokens::may_list(&self.ctx(&snapshot, acting), &username)?;
        }
        let tokens = self.app.store().tokens(&username).await?;
        page_of(
            &format!("tokens:{username}"),
            tokens,
            |t| (-t.created_at.unix_timestamp_nanos(), t.id.clone()),
            paging,
        )
    }

    /// A page of the tokens `acting` oversees, by id: a platform admin's
    /// are every user's it may list (the rule of [`Ops::list_tokens`]),
    /// anyone else's its own (JFrog Access's `GET /tokens`).
    ///
    /// # Errors
    /// 403 (a restricted token); 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn list_overseen_tokens(&self, acting: &Acting, paging: &Paging) -> OpResult<Page<Token>> {
        require_full_scope(acting, "manage tokens")?;
        let snapshot = self.app.snapshot();
        let ctx = self.ctx(&snapshot, acting);
        if !ctx.is_admin() {
            let mut own = self.app.store().tokens(&acting.username).await?;
            own.sort_by(|a, b| a.id.cmp(&b.id));
            return page_of(
                &format!("tokens-by-id:{}", acting.username),
                own,
                |t| t.id.clone(),
                paging,
            );
        }
        let mut found = self.app.store().all_tokens(&paging.request()?).await?;
        found.items.retain(|t| tokens::may_list(&ctx, &t.username).is_ok());
        Ok(found)
    }

    /// One token by id: the caller's own, or for a platform admin any it
    /// may list (the rule of [`Ops::list_tokens`]); others are answered as
    /// if it did not exist.
    ///
    /// # Errors
    /// 403 (a restricted token); 404.
    pub async fn get_token(&self, acting: &Acting, id: &str) -> OpResult<Token> {
        require_full_scope(acting, "manage tokens")?;
        let snapshot = self.app.snapshot();
        let ctx = self.ctx(&snapshot, acting);
        self.app
            .store()
            .token(id)
            .await?
            .filter(|t| {
                t.username == acting.username || (ctx.is_admin() && tokens::may_list(&ctx, &t.username).is_ok())
            })
            .ok_or_else(|| not_found("token", id))
    }

    /// Revokes a token: refused from the next request.
    ///
    /// # Errors
    /// 403; 404; 412.
    pub async fn revoke_token(&self, acting: &Acting, id: &str, expected_revision: Option<u64>) -> OpResult<Done<()>> {
        require_full_scope(acting, "manage tokens")?;
        let writer = self.writer().await?;
        let commit = tokens::revoke(&writer.ctx(acting, self.via), id).await?;
        expect_revision(expected_revision, writer.snapshot().revision())?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }

    /// Revokes token `id` of `username` (who may: as [`Ops::revoke_token`]);
    /// a token of another user is not found, so that a page about one user
    /// never revokes another's.
    ///
    /// # Errors
    /// 403; 404.
    pub async fn revoke_user_token(&self, acting: &Acting, username: &str, id: &str) -> OpResult<Done<()>> {
        let username: Username = path_username(username)?;
        let owner = self.app.store().token(id).await?.map(|t| t.username);
        if owner.as_ref() != Some(&username) {
            return Err(not_found("token", id));
        }
        self.revoke_token(acting, id, None).await
    }

    /// Revokes the token whose secret is `secret` (who may: as
    /// [`Ops::revoke_token`]); answers its id.
    ///
    /// # Errors
    /// 403; 404 (also for a secret that is no token).
    pub async fn revoke_token_by_secret(&self, acting: &Acting, secret: &str) -> OpResult<Done<String>> {
        require_full_scope(acting, "manage tokens")?;
        let token = self
            .app
            .store()
            .token_by_secret_hash(&sha256_hex(secret))
            .await?
            .ok_or_else(|| not_found("token", "given"))?;
        let done = self.revoke_token(acting, &token.id, None).await?;
        Ok(Done::new(done.revision, token.id))
    }
}
