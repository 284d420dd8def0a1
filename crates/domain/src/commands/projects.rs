//! Projects: create (the admins become Project Admins), change settings,
//! delete with the key repeated as confirmation (SPEC §5.3).

use gatehouse_authz::{AccountPermission, AdminPrivileges, catalogue::PROJECT_ADMIN_ROLE};
use serde_json::{Value, json};

use super::{Ctx, check_if_match, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Member, Principal, Project};
use crate::error::DomainError;
use crate::names::{Description, DisplayName, ProjectKey, RoleName, Username};
use crate::store::Store;

/// A project as audit records show it.
#[must_use]
pub fn project_view(p: &Project) -> Value {
    json!({
        "key": p.key,
        "display_name": p.display_name,
        "description": p.description,
        "admin_privileges": {
            "manage_members": p.admin_privileges.manage_members,
            "manage_resources": p.admin_privileges.manage_resources,
            "index_resources": p.admin_privileges.index_resources,
        },
    })
}

async fn existing<S: Store>(ctx: &Ctx<'_, S>, key: &ProjectKey) -> Result<Project, DomainError> {
    read(ctx.store.project(key).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "project",
        name: key.to_string(),
    })
}

/// A new project.
#[derive(Clone, Debug)]
pub struct NewProject {
    /// Unique key.
    pub key: ProjectKey,
    /// Display name.
    pub display_name: DisplayName,
    /// Description.
    pub description: Description,
    /// What Project Admins keep.
    pub admin_privileges: AdminPrivileges,
    /// Users who become members with Project Admin.
    pub admins: Vec<Username>,
}

/// Creates a project; its admins (and a creator who is not a platform
/// admin) become members holding Project Admin.
///
/// # Errors
/// Forbidden without `projects.manage`; a taken key; unknown admins.
pub async fn create<S: Store>(ctx: &Ctx<'_, S>, new: NewProject) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::ProjectsManage)?;
    if ctx.snapshot.project_id(new.key.as_str()).is_some() || read(ctx.store.project(&new.key).await)?.is_some() {
        return Err(DomainError::AlreadyExists {
            kind: "project",
            name: new.key.to_string(),
        });
    }
    let mut admins = new.admins;
    if !ctx.is_admin() && !admins.contains(&ctx.acting.username) {
        admins.push(ctx.acting.username.clone());
    }
    admins.sort();
    admins.dedup();
    for admin in &admins {
        if ctx.snapshot.user_id(admin.as_str()).is_none() {
            return Err(DomainError::NotFound {
                kind: "user",
                name: admin.to_string(),
            });
        }
    }
    let project = Project {
        key: new.key.clone(),
        display_name: new.display_name,
        description: new.description,
        admin_privileges: new.admin_privileges,
        created_at: ctx.now,
        revision: 0,
    };
    let mut audit = ctx.audit("project.created", "project", new.key.as_str());
    audit.project = Some(new.key.to_string());
    audit.after = Some(json!({"project": project_view(&project), "admins": admins}));
    let admin_role = RoleName::parse(PROJECT_ADMIN_ROLE)?;
    let mut mutations = vec![Mutation::CreateProject(project)];
    mutations.extend(admins.into_iter().map(|u| {
        Mutation::SetMember(Member {
            project: new.key.clone(),
            principal: Principal::User(u),
            roles: vec![admin_role.clone()],
        })
    }));
    Ok(ctx.commit(mutations, audit))
}

/// Changes to a project's settings.
#[derive(Clone, Debug, Default)]
pub struct ProjectPatch {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New description.
    pub description: Option<Description>,
    /// New admin privileges.
    pub admin_privileges: Option<AdminPrivileges>,
}

/// Changes a project's settings.
///
/// # Errors
/// Forbidden without `projects.manage`; not found; `precondition_failed`.
pub async fn update<S: Store>(
    ctx: &Ctx<'_, S>,
    key: &ProjectKey,
    patch: ProjectPatch,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::ProjectsManage)?;
    let before = existing(ctx, key).await?;
    check_if_match(if_match, before.revision)?;
    let after = Project {
        display_name: patch.display_name.unwrap_or_else(|| before.display_name.clone()),
        description: patch.description.unwrap_or_else(|| before.description.clone()),
        admin_privileges: patch.admin_privileges.unwrap_or(before.admin_privileges),
        ..before.clone()
    };
    let mut audit = ctx.audit("project.updated", "project", key.as_str());
    audit.project = Some(key.to_string());
    audit.before = Some(project_view(&before));
    audit.after = Some(project_view(&after));
    Ok(ctx.commit(vec![Mutation::UpdateProject(after)], audit))
}

/// Deletes a project with its roles, environments, members and resources;
/// `confirm` must repeat the key.
///
/// # Errors
/// Forbidden; not found; `confirmation_required`.
pub async fn delete<S: Store>(
    ctx: &Ctx<'_, S>,
    key: &ProjectKey,
    confirm: Option<&str>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::ProjectsManage)?;
    let before = existing(ctx, key).await?;
    if confirm != Some(key.as_str()) {
        return Err(DomainError::ConfirmationRequired);
    }
    let pid = ctx.snapshot.project_id(key.as_str());
    let resources: Vec<String> = ctx
        .snapshot
        .resources()
        .filter(|(_, _, project, _)| Some(*project) == pid)
        .map(|(resource_type, name, _, _)| format!("{resource_type}/{name}"))
        .collect();
    let mut audit = ctx.audit("project.deleted", "project", key.as_str());
    audit.project = Some(key.to_string());
    audit.before = Some(project_view(&before));
    audit.after = Some(json!({"removed_resources": resources}));
    Ok(ctx.commit(vec![Mutation::DeleteProject(key.clone())], audit))
}
