//! Access tokens: create (for oneself, or for anyone as a platform admin)
//! and revoke (one's own, or anyone's with `accounts.manage`) (SPEC §6.3).
//! Listing or revoking another user's tokens acts on its credentials: the
//! actor must dominate it (SPEC §2.5).

use gatehouse_authz::AccountPermission;
use serde_json::json;
use time::OffsetDateTime;

use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Scope, ScopeEntry, Token};
use crate::error::{DomainError, FieldError};
use crate::names::{Description, Username};
use crate::store::Store;

/// The scope text that narrows nothing.
pub const USER_SCOPE: &str = "applied-permissions/user";

/// A new token; the caller generated the secret and hashed it.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// Public id.
    pub id: String,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// For whom.
    pub username: Username,
    /// Description.
    pub description: Description,
    /// Expiry; `None` for none (only if the instance allows it).
    pub expires_at: Option<OffsetDateTime>,
    /// Scope.
    pub scope: Scope,
}

fn validate_scope<S: Store>(ctx: &Ctx<'_, S>, scope: &Scope) -> Result<(), DomainError> {
    match scope {
        Scope::User(text) if text == USER_SCOPE => Ok(()),
        Scope::User(_) => Err(FieldError::invalid("scope", "must be `applied-permissions/user` or a list").into()),
        Scope::Entries(entries) => {
            let specs: Vec<gatehouse_authz::ScopeEntrySpec> = entries.iter().map(scope_spec).collect();
            for (i, entry) in entries.iter().enumerate() {
                if ctx.snapshot.project_id(&entry.project).is_none() {
                    return Err(FieldError::unknown(&format!("scope[{i}].project"), &entry.project).into());
                }
            }
            ctx.snapshot
                .token_scope(&specs)
                .map(|_| ())
                .map_err(|e| FieldError::invalid("scope", &e.to_string()).into())
        }
    }
}

/// The authorization core's form of a scope entry.
#[must_use]
pub fn scope_spec(entry: &ScopeEntry) -> gatehouse_authz::ScopeEntrySpec {
    gatehouse_authz::ScopeEntrySpec {
        project: entry.project.clone(),
        actions: entry.actions.clone(),
        categories: entry.categories.clone(),
        environments: entry.environments.clone(),
    }
}

/// Creates a token.
///
/// # Errors
/// Forbidden for another user unless a platform admin; unknown user;
/// invalid scope; an expiry in the past.
pub async fn create<S: Store>(ctx: &Ctx<'_, S>, new: NewToken) -> Result<Commit, DomainError> {
    if new.username != ctx.acting.username {
        ctx.require_admin()?;
    }
    if !ctx.acting.scope.is_unrestricted() {
        return Err(DomainError::Forbidden("a narrowed token cannot create tokens".into()));
    }
    if ctx.snapshot.user_id(new.username.as_str()).is_none() {
        return Err(DomainError::NotFound {
            kind: "user",
            name: new.username.to_string(),
        });
    }
    if new.expires_at.is_some_and(|t| t <= ctx.now) {
        return Err(FieldError::invalid("expires_in", "must be in the future").into());
    }
    validate_scope(ctx, &new.scope)?;
    let token = Token {
        id: new.id.clone(),
        username: new.username.clone(),
        description: new.description,
        scope: new.scope,
        secret_sha256: new.secret_sha256,
        created_at: ctx.now,
        expires_at: new.expires_at,
        last_used_at: None,
        created_by: ctx.acting.username.clone(),
    };
    let mut audit = ctx.audit("token.created", "token", &new.id);
    audit.after = Some(json!({"id": new.id, "username": new.username, "created_by": ctx.acting.username}));
    Ok(ctx.commit(vec![Mutation::CreateToken(token)], audit))
}

/// May the actor list `username`'s tokens: its own, or as a holder of
/// `accounts.manage` who dominates that user (SPEC §2.5, §6.3)?
///
/// # Errors
/// Not found for an actor who may not see the user (no `accounts.manage`);
/// escalation for one who does not dominate it.
pub fn may_list<S: Store>(ctx: &Ctx<'_, S>, username: &Username) -> Result<(), DomainError> {
    if *username == ctx.acting.username {
        return Ok(());
    }
    if ctx.require(AccountPermission::AccountsManage).is_err() || ctx.snapshot.user_id(username.as_str()).is_none() {
        return Err(DomainError::NotFound {
            kind: "user",
            name: username.to_string(),
        });
    }
    ctx.require_dominance(username)
}

/// Revokes a token: its owner, or a holder of `accounts.manage` who
/// dominates the owner (SPEC §2.5).
///
/// # Errors
/// Not found (also when the actor may not see it); escalation.
pub async fn revoke<S: Store>(ctx: &Ctx<'_, S>, id: &str) -> Result<Commit, DomainError> {
    let not_found = || DomainError::NotFound {
        kind: "token",
        name: id.to_owned(),
    };
    let token = read(ctx.store.token(id).await)?.ok_or_else(not_found)?;
    if token.username != ctx.acting.username {
        if ctx.require(AccountPermission::AccountsManage).is_err() {
            return Err(not_found());
        }
        ctx.require_dominance(&token.username)?;
    }
    let mut audit = ctx.audit("token.revoked", "token", id);
    audit.before = Some(json!({"id": id, "username": token.username}));
    Ok(ctx.commit(vec![Mutation::RevokeToken(id.to_owned())], audit))
}
