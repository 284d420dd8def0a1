//! What a caller may see (SPEC §7): a project is visible to platform
//! admins, to holders of `projects.manage` and to its members; any other
//! caller is answered as if it did not exist (404, never 403). And who may
//! ask about another user's permissions.

use gatehouse_authz::{AccountPermission, ProjectId, Query, Snapshot, UserId};
use gatehouse_domain::commands::Acting;
use gatehouse_domain::names::ProjectKey;

use super::{OpResult, not_found};
use crate::guard::holds;
use crate::problem::ApiProblem;
use crate::state::App;

/// Whether `acting` may see every project.
#[must_use]
pub fn sees_all_projects(app: &App, acting: &Acting) -> bool {
    holds(app, acting, Some(AccountPermission::ProjectsManage))
}

/// Whether `acting` may see `project` in `snapshot`: a token with a
/// restricted scope sees only the projects its scope names (SPEC §2.4).
#[must_use]
pub fn sees_project(app: &App, snapshot: &Snapshot, acting: &Acting, project: ProjectId) -> bool {
    acting.scope.covers_project(project)
        && (sees_all_projects(app, acting)
            || snapshot
                .user_id(acting.username.as_str())
                .is_some_and(|user| snapshot.is_member(user, project)))
}

/// Refuses a credential with a restricted scope (SPEC §2.4: tokens narrow):
/// it cannot manage tokens, change credentials or make sessions or tokens.
///
/// # Errors
/// 403 `forbidden`.
pub fn require_full_scope(acting: &Acting, what: &str) -> OpResult<()> {
    if acting.scope.is_unrestricted() {
        Ok(())
    } else {
        Err(ApiProblem::new(
            gatehouse_api::ErrorCode::Forbidden,
            format!("a token with a restricted scope cannot {what}"),
        ))
    }
}

/// The project `raw` names, if the caller may see it.
///
/// # Errors
/// 404 `not_found` for a key that cannot exist, an unknown project, or one
/// the caller may not see.
pub fn visible_project(
    app: &App,
    snapshot: &Snapshot,
    acting: &Acting,
    raw: &str,
) -> OpResult<(ProjectKey, ProjectId)> {
    let key = ProjectKey::parse(raw).map_err(|_| not_found("project", raw))?;
    let id = snapshot
        .project_id(key.as_str())
        .ok_or_else(|| not_found("project", raw))?;
    if sees_project(app, snapshot, acting, id) {
        Ok((key, id))
    } else {
        Err(not_found("project", raw))
    }
}

/// Whether `acting` may ask about `user`'s permissions in `project`:
/// itself always; others with `authz.query`, as a platform admin, or with
/// `project.manage_members` in that project.
#[must_use]
pub fn may_ask_about(
    app: &App,
    snapshot: &Snapshot,
    acting: &Acting,
    user: Option<UserId>,
    project: Option<ProjectId>,
) -> bool {
    let me = snapshot.user_id(acting.username.as_str());
    if me.is_some() && me == user {
        return true;
    }
    if holds(app, acting, Some(AccountPermission::AuthzQuery)) {
        return true;
    }
    let (Some(me), Some(project)) = (me, project) else {
        return false;
    };
    snapshot
        .catalogue()
        .project_action("manage_members")
        .is_some_and(|action| {
            let q = Query {
                user: me,
                action,
                project,
                environment: None,
            };
            snapshot.check_scoped(&q, &acting.scope).unwrap_or(false)
        })
}
