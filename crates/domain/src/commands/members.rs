//! Members: set a user's or group's roles in a project, or remove them
//! (SPEC §5.5), with the anti-escalation rule of §2.5.

use gatehouse_authz::{Member as Target, ProjectId, Query};
use serde_json::{Value, json};

use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Member, Principal};
use crate::error::{DomainError, FieldError};
use crate::names::{ProjectKey, RoleName};
use crate::store::Store;

/// A membership as audit records show it.
#[must_use]
pub fn member_view(m: &Member) -> Value {
    json!({"project": m.project, "kind": m.principal.kind(), "name": m.principal.name(), "roles": m.roles})
}

pub(crate) fn project_id<S: Store>(ctx: &Ctx<'_, S>, key: &ProjectKey) -> Result<ProjectId, DomainError> {
    ctx.snapshot
        .project_id(key.as_str())
        .ok_or_else(|| DomainError::NotFound {
            kind: "project",
            name: key.to_string(),
        })
}

/// Refuses unless the actor holds the `project.<short>` action in the project.
///
/// # Errors
/// `Forbidden` naming the action.
pub fn require_project_action<S: Store>(ctx: &Ctx<'_, S>, project: ProjectId, short: &str) -> Result<(), DomainError> {
    let actor = ctx.actor()?;
    let allowed = ctx.snapshot.catalogue().project_action(short).is_some_and(|action| {
        let q = Query {
            user: actor.user,
            action,
            project,
            environment: None,
        };
        ctx.snapshot.check_scoped(&q, actor.scope).unwrap_or(false)
    });
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "requires `project.{short}` in this project"
        )))
    }
}

/// Validates a membership and the actor's right to grant it; `target` is
/// `None` for a user being created in the same commit.
pub(crate) fn checked_member<S: Store>(
    ctx: &Ctx<'_, S>,
    project: ProjectKey,
    principal: Principal,
    roles: Vec<RoleName>,
    target: Option<Target>,
) -> Result<Member, DomainError> {
    let pid = project_id(ctx, &project)?;
    if roles.is_empty() {
        return Err(DomainError::MemberNeedsRole);
    }
    let mut ids = Vec::with_capacity(roles.len());
    let mut errors = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        match ctx.snapshot.role_id(Some(pid), role.as_str()) {
            Some(id) => ids.push(id),
            None => errors.push(FieldError::unknown(&format!("roles[{i}]"), role.as_str())),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    ctx.snapshot.may_assign_roles(&ctx.actor()?, pid, target, &ids)?;
    let mut roles = roles;
    roles.sort();
    roles.dedup();
    Ok(Member {
        project,
        principal,
        roles,
    })
}

fn target<S: Store>(ctx: &Ctx<'_, S>, principal: &Principal) -> Result<Target, DomainError> {
    match principal {
        Principal::User(u) => ctx
            .snapshot
            .user_id(u.as_str())
            .map(Target::User)
            .ok_or_else(|| DomainError::NotFound {
                kind: "user",
                name: u.to_string(),
            }),
        Principal::Group(g) => {
            ctx.snapshot
                .group_id(g.as_str())
                .map(Target::Group)
                .ok_or_else(|| DomainError::NotFound {
                    kind: "group",
                    name: g.to_string(),
                })
        }
    }
}

/// Sets (replaces) a member's roles; an empty set is refused.
///
/// # Errors
/// Not found; `member_needs_role`; unknown roles; escalation.
pub async fn set<S: Store>(
    ctx: &Ctx<'_, S>,
    project: ProjectKey,
    principal: Principal,
    roles: Vec<RoleName>,
) -> Result<Commit, DomainError> {
    let who = target(ctx, &principal)?;
    let before = read(ctx.store.member(&project, &principal).await)?;
    let member = checked_member(ctx, project, principal, roles, Some(who))?;
    let event = if before.is_some() {
        "member.updated"
    } else {
        "member.added"
    };
    let mut audit = ctx.audit(
        event,
        "member",
        &format!("{}/{}", member.principal.kind(), member.principal.name()),
    );
    audit.project = Some(member.project.to_string());
    audit.before = before.as_ref().map(member_view);
    audit.after = Some(member_view(&member));
    Ok(ctx.commit(vec![Mutation::SetMember(member)], audit))
}

/// Removes a member from a project.
///
/// # Errors
/// Not found; forbidden without `project.manage_members`.
pub async fn remove<S: Store>(
    ctx: &Ctx<'_, S>,
    project: ProjectKey,
    principal: Principal,
) -> Result<Commit, DomainError> {
    let pid = project_id(ctx, &project)?;
    require_project_action(ctx, pid, "manage_members")?;
    let before = read(ctx.store.member(&project, &principal).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "member",
        name: format!("{}/{}", principal.kind(), principal.name()),
    })?;
    let mut audit = ctx.audit(
        "member.removed",
        "member",
        &format!("{}/{}", principal.kind(), principal.name()),
    );
    audit.project = Some(project.to_string());
    audit.before = Some(member_view(&before));
    Ok(ctx.commit(vec![Mutation::RemoveMember(project, principal)], audit))
}
