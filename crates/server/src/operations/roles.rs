//! Roles (SPEC §4): global roles (platform admins) and a project's roles
//! (holders of `project.manage_roles`), edited in Basic (categories) or
//! Advanced (actions) mode; switching to Basic needs `discard_advanced`
//! when actions would be lost; deletion needs `force` when members hold it.

use std::sync::Arc;

use gatehouse_api as api;
use gatehouse_authz::ActionSet;
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::roles::{self, GrantsInput, NewRole, RolePatch};
use gatehouse_domain::entities::{Role, RoleMode};
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, ProjectKey, RoleName};
use gatehouse_domain::store::Page;
use gatehouse_domain::{DomainError, FieldError, Store as _, role_mode};
use serde_json::Value;

use super::visibility::visible_project;
use super::{Done, OpResult, Ops, Paging, expect_revision, missing, named_refusal, not_found, page_of, refuse_invalid};
use crate::state::App;

/// Where a role lives: global, or a project's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolePlace {
    /// The project's key; `None` for a global role.
    pub project: Option<String>,
}

/// A new role.
#[derive(Clone, Debug, Default)]
pub struct CreateRoleInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Basic or Advanced; when absent, the one `categories` or `actions`
    /// says.
    pub mode: Option<RoleMode>,
    /// Categories (Basic).
    pub categories: Option<Vec<String>>,
    /// Actions (Advanced).
    pub actions: Option<Vec<String>>,
    /// Environment names.
    pub environments: Vec<String>,
    /// Field errors the face found in its own wire (e.g. read-back fields
    /// that disagree with the route), reported with the operation's.
    pub face_errors: Vec<FieldError>,
}

/// A change to a role; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PatchRoleInput {
    /// The role's name.
    pub name: String,
    /// A name sent back: it must be the role's (roles are not renamed).
    pub new_name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New mode.
    pub mode: Option<RoleMode>,
    /// New categories.
    pub categories: Option<Vec<String>>,
    /// New actions.
    pub actions: Option<Vec<String>>,
    /// New environments.
    pub environments: Option<Vec<String>>,
    /// Confirms losing actions when switching to Basic mode.
    pub discard_advanced: bool,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A role deleted.
#[derive(Clone, Debug, Default)]
pub struct DeleteRoleInput {
    /// The role's name.
    pub name: String,
    /// Remove it from the members who hold it.
    pub force: bool,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A role mode of the native wire.
fn wire_mode(mode: api::RoleMode) -> RoleMode {
    match mode {
        api::RoleMode::Basic => RoleMode::Basic,
        api::RoleMode::Advanced => RoleMode::Advanced,
    }
}

impl CreateRoleInput {
    /// The operation's input for a create request in the native wire (also
    /// what the JFrog face maps its own to) under `project` (`None`:
    /// global); read-back fields that disagree with the place are field
    /// errors.
    #[must_use]
    pub fn from_wire(project: Option<&str>, body: api::CreateRole) -> Self {
        let face_errors = read_back_place(project, &body);
        Self {
            name: body.name,
            description: body.description,
            mode: body.mode.map(wire_mode),
            categories: body.categories,
            actions: body.actions,
            environments: body.environments,
            face_errors,
        }
    }
}

impl PatchRoleInput {
    /// The operation's input for a change of role `name` in the native
    /// wire, read at `expected_revision`.
    #[must_use]
    pub fn from_wire(name: String, body: api::PatchRole, expected_revision: Option<u64>) -> Self {
        Self {
            name,
            new_name: body.name,
            description: body.description,
            mode: body.mode.map(wire_mode),
            categories: body.categories,
            actions: body.actions,
            environments: body.environments,
            discard_advanced: body.discard_advanced,
            expected_revision,
        }
    }
}

/// The `scope`, `project` and `type` of a read-back role sent to create
/// one: each, when given, must be the route's.
fn read_back_place(project: Option<&str>, body: &api::CreateRole) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if body.scope.is_some_and(|s| s != api::ScopeKind::of(project.as_ref())) {
        errors.push(FieldError::invalid(
            "scope",
            match project {
                Some(_) => "a role created under a project has scope `project`",
                None => "a role created at /api/v1/roles has scope `global`",
            },
        ));
    }
    if let Some(named) = &body.project
        && project.is_none_or(|key| key != named)
    {
        errors.push(FieldError::invalid("project", "is not the project of the route"));
    }
    let made = if project.is_some() {
        api::RoleKind::Custom
    } else {
        api::RoleKind::CustomGlobal
    };
    if body.role_type.is_some_and(|t| t != made) {
        errors.push(FieldError::invalid(
            "type",
            &format!(
                "a role created here is `{}`",
                if project.is_some() { "CUSTOM" } else { "CUSTOM_GLOBAL" }
            ),
        ));
    }
    errors
}

/// A role's grants as the other mode would hold them (the role editor's
/// tab switch, before anything is saved).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModePreview {
    /// Basic categories (after a switch to Basic).
    pub categories: Vec<String>,
    /// Advanced actions, dotted ids (after a switch to Advanced).
    pub actions: Vec<String>,
    /// The actions a switch to Basic would remove (SPEC §4).
    pub lost: Vec<String>,
}

fn path_role(raw: &str) -> OpResult<RoleName> {
    RoleName::parse(raw).map_err(|_| not_found("role", raw))
}

async fn stored_role(app: &App, project: Option<&ProjectKey>, name: &RoleName) -> OpResult<Role> {
    app.store()
        .role(project, name)
        .await?
        .ok_or_else(|| not_found("role", name.as_str()))
}

/// The role's grants as a create request gives them: `categories` (basic)
/// or `actions` (advanced); with `mode`, the one it names, the other agreeing
/// with it as a read-back role does (a basic role lists its categories'
/// actions, an advanced one no categories).
fn grants_of(
    app: &App,
    mode: Option<RoleMode>,
    categories: Option<Vec<String>>,
    actions: Option<Vec<String>>,
    errors: &mut Vec<FieldError>,
) -> Option<GrantsInput> {
    let mut disagree = |message: &str| {
        errors.push(FieldError::invalid("mode", message));
        None
    };
    match (mode, categories, actions) {
        (None, Some(categories), None) => Some(GrantsInput::Categories(categories)),
        (None, None, Some(actions)) => Some(GrantsInput::Actions(actions)),
        (None, Some(_), Some(_)) => {
            errors.push(FieldError::invalid(
                "actions",
                "give `categories` (basic) or `actions` (advanced), not both",
            ));
            None
        }
        (None, None, None) => {
            errors.push(FieldError::invalid(
                "categories",
                "give `categories` (basic mode) or `actions` (advanced mode)",
            ));
            None
        }
        (Some(RoleMode::Basic), None, _) => disagree("a basic role is made of `categories`; none are given"),
        (Some(RoleMode::Basic), Some(categories), Some(actions)) => {
            let catalogue = Arc::clone(app.snapshot().catalogue());
            let granted = catalogue.expand_categories(categories.iter().map(String::as_str));
            let listed: Option<ActionSet> = actions.iter().try_fold(ActionSet::EMPTY, |set, a| {
                catalogue.resolve_action(a).map(|id| set.union(ActionSet::single(id)))
            });
            match (granted, listed) {
                // An unknown category is reported by the domain, naming it.
                (Err(_), _) => Some(GrantsInput::Categories(categories)),
                (Ok(granted), Some(listed)) if granted == listed => Some(GrantsInput::Categories(categories)),
                _ => disagree(
                    "a basic role grants exactly its categories' actions; `actions` lists others \
                     (make it `advanced` to grant actions one by one)",
                ),
            }
        }
        (Some(RoleMode::Basic), Some(categories), None) => Some(GrantsInput::Categories(categories)),
        (Some(RoleMode::Advanced), _, None) => disagree("an advanced role is made of `actions`; none are given"),
        (Some(RoleMode::Advanced), Some(categories), Some(_)) if !categories.is_empty() => {
            disagree("an advanced role has no categories; give `actions` only (or make it `basic`)")
        }
        (Some(RoleMode::Advanced), _, Some(actions)) => Some(GrantsInput::Actions(actions)),
    }
}

impl Ops<'_> {
    /// What `categories` (Basic) or `actions` (Advanced) become in `to`:
    /// Basic → Advanced expands the categories; Advanced → Basic keeps the
    /// categories wholly granted and names the actions lost (the same rule
    /// the save applies, `role_mode`). Nothing is saved.
    ///
    /// # Errors
    /// 422 naming an unknown category or action.
    pub fn preview_role_mode(&self, to: RoleMode, categories: &[String], actions: &[String]) -> OpResult<ModePreview> {
        let catalogue = Arc::clone(self.app.snapshot().catalogue());
        let nothing = |e: DomainError| match e {
            DomainError::RoleEmpty => Ok(ModePreview::default()),
            other => Err(other),
        };
        let preview = match to {
            RoleMode::Advanced => role_mode::basic(&catalogue, categories)
                .map(|grants| ModePreview {
                    actions: role_mode::to_advanced(&catalogue, &grants).actions,
                    ..ModePreview::default()
                })
                .or_else(nothing)?,
            RoleMode::Basic => role_mode::advanced(&catalogue, actions)
                .map(|grants| {
                    let (categories, _, lost) = role_mode::basic_within(&catalogue, grants.granted);
                    ModePreview {
                        categories,
                        lost,
                        ..ModePreview::default()
                    }
                })
                .or_else(nothing)?,
        };
        Ok(preview)
    }

    /// The project a role place names, if the caller may see it.
    fn role_project(&self, acting: &Acting, place: &RolePlace) -> OpResult<Option<ProjectKey>> {
        place
            .project
            .as_deref()
            .map(|key| Ok(visible_project(self.app, &self.app.snapshot(), acting, key)?.0))
            .transpose()
    }

    /// The roles at `place`, by name.
    ///
    /// # Errors
    /// 404 for a project the caller may not see; 422 naming `limit`; 400
    /// `invalid_cursor`.
    pub async fn list_roles(&self, acting: &Acting, place: &RolePlace, paging: &Paging) -> OpResult<Page<Role>> {
        let project = self.role_project(acting, place)?;
        let found = self.app.store().roles(project.as_ref()).await?;
        let listing = format!("roles:{}", project.as_ref().map_or("", ProjectKey::as_str));
        page_of(&listing, found, |r| r.name.as_str().to_owned(), paging)
    }

    /// One role.
    ///
    /// # Errors
    /// 404.
    pub async fn get_role(&self, acting: &Acting, place: &RolePlace, name: &str) -> OpResult<Role> {
        let project = self.role_project(acting, place)?;
        stored_role(self.app, project.as_ref(), &path_role(name)?).await
    }

    /// Creates a role.
    ///
    /// # Errors
    /// 422 for every invalid field (`role_empty`); 403 (`forbidden`,
    /// `escalation`); 404; 409.
    pub async fn create_role(
        &self,
        acting: &Acting,
        place: &RolePlace,
        input: CreateRoleInput,
    ) -> OpResult<Done<Role>> {
        let project = self.role_project(acting, place)?;
        let mut errors = Vec::new();
        let name = RoleName::parse(&input.name).map_err(|e| errors.push(e.at("name"))).ok();
        let description = Description::parse("description", &input.description, MAX_DESCRIPTION)
            .map_err(|e| errors.push(e))
            .ok();
        errors.extend(input.face_errors);
        let grants = grants_of(self.app, input.mode, input.categories, input.actions, &mut errors);
        refuse_invalid(errors)?;
        let (Some(name), Some(description), Some(grants)) = (name, description, grants) else {
            return Err(missing("create role"));
        };
        let new = NewRole {
            name: name.clone(),
            description,
            grants,
            environments: input.environments,
        };
        let writer = self.writer().await?;
        let commit = roles::create(&writer.ctx(acting, self.via), project.clone(), new)
            .await
            .map_err(|e| named_refusal(writer.snapshot(), e))?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(
            revision,
            stored_role(self.app, project.as_ref(), &name).await?,
        ))
    }

    /// Changes a role (any field but its name, including its mode).
    ///
    /// # Errors
    /// 422; 403; 404; 409 `would_discard_actions`; 412.
    pub async fn patch_role(&self, acting: &Acting, place: &RolePlace, input: PatchRoleInput) -> OpResult<Done<Role>> {
        let project = self.role_project(acting, place)?;
        let name = path_role(&input.name)?;
        if input.new_name.as_deref().is_some_and(|n| n != name.as_str()) {
            return Err(FieldError::invalid("name", "a role cannot be renamed; create a new one").into());
        }
        let description = input
            .description
            .as_deref()
            .map(|d| Description::parse("description", d, MAX_DESCRIPTION))
            .transpose()?;
        let patch = RolePatch {
            description,
            mode: input.mode,
            categories: input.categories,
            actions: input.actions,
            environments: input.environments,
            discard_advanced: input.discard_advanced,
        };
        let writer = self.writer().await?;
        let commit = roles::update(
            &writer.ctx(acting, self.via),
            project.clone(),
            &name,
            patch,
            input.expected_revision,
        )
        .await
        .map_err(|e| named_refusal(writer.snapshot(), e))?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(
            revision,
            stored_role(self.app, project.as_ref(), &name).await?,
        ))
    }

    /// Deletes a role; answers `{"removed_from_members"}`.
    ///
    /// # Errors
    /// 403; 404; 409 `in_use`; 412.
    pub async fn delete_role(
        &self,
        acting: &Acting,
        place: &RolePlace,
        input: DeleteRoleInput,
    ) -> OpResult<Done<Value>> {
        let project = self.role_project(acting, place)?;
        let name = path_role(&input.name)?;
        let writer = self.writer().await?;
        let commit = roles::delete(&writer.ctx(acting, self.via), project.clone(), &name, input.force).await?;
        expect_revision(
            input.expected_revision,
            stored_role(self.app, project.as_ref(), &name).await?.revision,
        )?;
        let removed = commit.audit.after.clone().unwrap_or(Value::Null);
        Ok(Done::new(writer.commit(&commit).await?, removed))
    }
}
