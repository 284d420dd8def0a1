//! Projects (SPEC §5.3): create (the `admins` become Project Admins), list
//! and read what the caller may see, change settings, delete with the key
//! repeated.

use gatehouse_authz::{AccountPermission, AdminPrivileges};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::members::require_project_action;
use gatehouse_domain::commands::projects::{self, NewProject, ProjectPatch};
use gatehouse_domain::entities::Project;
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, DisplayName, ProjectKey, Username};
use gatehouse_domain::store::{Page, every_page};

use super::visibility::{sees_project, visible_project};
use super::{Done, OpResult, Ops, Paging, expect_revision, missing, not_found, page_of, refuse_invalid};
use crate::state::App;

/// A new project.
#[derive(Clone, Debug, Default)]
pub struct CreateProjectInput {
    /// Key.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// What its Project Admins may do.
    pub admin_privileges: AdminPrivileges,
    /// Usernames of its first Project Admins.
    pub admins: Vec<String>,
}

/// A change to a project; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PatchProjectInput {
    /// The project's key.
    pub key: String,
    /// New display name.
    pub display_name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New privileges of its Project Admins.
    pub admin_privileges: Option<AdminPrivileges>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A project's deletion.
#[derive(Clone, Debug, Default)]
pub struct DeleteProjectInput {
    /// The project's key.
    pub key: String,
    /// The key repeated, to confirm.
    pub confirm: Option<String>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

impl From<gatehouse_api::CreateProject> for CreateProjectInput {
    /// The operation's input for a create request in the native wire
    /// (also what the JFrog face maps its own to).
    fn from(body: gatehouse_api::CreateProject) -> Self {
        Self {
            key: body.key,
            display_name: body.display_name,
            description: body.description,
            admin_privileges: body.admin_privileges.into(),
            admins: body.admins,
        }
    }
}

impl PatchProjectInput {
    /// The operation's input for a change of project `key` in the native
    /// wire, read at `expected_revision`.
    #[must_use]
    pub fn from_wire(key: String, body: gatehouse_api::PatchProject, expected_revision: Option<u64>) -> Self {
        Self {
            key,
            display_name: body.display_name,
            description: body.description,
            admin_privileges: body.admin_privileges.map(Into::into),
            expected_revision,
        }
    }
}

/// What a caller may do in one project.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "six independent abilities, each a control shown or not"
)]
pub struct ProjectAbilities {
    /// Change its settings and delete it (`projects.manage`).
    pub manage_project: bool,
    /// Add, change and remove members (`project.manage_members`).
    pub manage_members: bool,
    /// Create, edit and delete its roles (`project.manage_roles`).
    pub manage_roles: bool,
    /// Create and delete its environments (`project.manage_environments`).
    pub manage_environments: bool,
    /// Register and remove its resources (`project.manage_resources`).
    pub manage_resources: bool,
    /// Create and edit global roles (platform admins).
    pub manage_global_roles: bool,
}

pub(crate) async fn stored_project(app: &App, key: &ProjectKey) -> OpResult<Project> {
    app.store()
        .project(key)
        .await?
        .ok_or_else(|| not_found("project", key.as_str()))
}

impl Ops<'_> {
    /// The projects the caller may see, by key.
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn list_projects(&self, acting: &Acting, paging: &Paging) -> OpResult<Page<Project>> {
        self.search_projects(acting, None, paging).await
    }

    /// The projects the caller may see whose key or display name holds
    /// `q` (any case; `None` or empty: all), by key.
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn search_projects(&self, acting: &Acting, q: Option<&str>, paging: &Paging) -> OpResult<Page<Project>> {
        let app = self.app;
        let q = q.map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
        paging.request()?;
        // Filtered before it is paged, so that no page is empty while a
        // `next_cursor` follows it (SPEC §7).
        let store = app.store();
        let all = every_page(|page| async move { store.projects(&page).await }).await?;
        let snapshot = app.snapshot();
        let visible: Vec<_> = all
            .into_iter()
            .filter(|p| {
                snapshot
                    .project_id(p.key.as_str())
                    .is_some_and(|id| sees_project(app, &snapshot, acting, id))
            })
            .filter(|p| {
                q.as_deref().is_none_or(|q| {
                    p.key.as_str().to_lowercase().contains(q) || p.display_name.as_str().to_lowercase().contains(q)
                })
            })
            .collect();
        let listing = format!("projects:{}:{}", acting.username, q.unwrap_or_default());
        page_of(&listing, visible, |p| p.key.as_str().to_owned(), paging)
    }

    /// What the caller may do in a project it may see, by the commands'
    /// own rules (the pages show only the controls it may use).
    ///
    /// # Errors
    /// 404 (also for one the caller may not see).
    pub fn project_abilities(&self, acting: &Acting, key: &str) -> OpResult<ProjectAbilities> {
        let snapshot = self.app.snapshot();
        let (_, project) = visible_project(self.app, &snapshot, acting, key)?;
        let ctx = self.ctx(&snapshot, acting);
        let may = |short: &str| require_project_action(&ctx, project, short).is_ok();
        Ok(ProjectAbilities {
            manage_project: ctx.require(AccountPermission::ProjectsManage).is_ok(),
            manage_members: may("manage_members"),
            manage_roles: may("manage_roles"),
            manage_environments: may("manage_environments"),
            manage_resources: may("manage_resources"),
            manage_global_roles: ctx.require_admin().is_ok(),
        })
    }

    /// Whether the caller may create projects (`projects.manage`).
    #[must_use]
    pub fn may_create_projects(&self, acting: &Acting) -> bool {
        let snapshot = self.app.snapshot();
        self.ctx(&snapshot, acting)
            .require(AccountPermission::ProjectsManage)
            .is_ok()
    }

    /// One project the caller may see.
    ///
    /// # Errors
    /// 404 (also for one the caller may not see).
    pub async fn get_project(&self, acting: &Acting, key: &str) -> OpResult<Project> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, key)?;
        stored_project(self.app, &key).await
    }

    /// Creates a project.
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 409.
    pub async fn create_project(&self, acting: &Acting, input: CreateProjectInput) -> OpResult<Done<Project>> {
        let mut errors = Vec::new();
        let key = ProjectKey::parse(&input.key).map_err(|e| errors.push(e.at("key"))).ok();
        let display_name = DisplayName::parse(&input.display_name)
            .map_err(|e| errors.push(e.at("display_name")))
            .ok();
        let description = Description::parse("description", &input.description, MAX_DESCRIPTION)
            .map_err(|e| errors.push(e))
            .ok();
        let admins: Vec<Username> = input
            .admins
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                Username::parse(u)
                    .map_err(|e| errors.push(e.at(&format!("admins[{i}]"))))
                    .ok()
            })
            .collect();
        refuse_invalid(errors)?;
        let (Some(key), Some(display_name), Some(description)) = (key, display_name, description) else {
            return Err(missing("create project"));
        };
        let new = NewProject {
            key: key.clone(),
            display_name,
            description,
            admin_privileges: input.admin_privileges,
            admins,
        };
        let writer = self.writer().await?;
        let commit = projects::create(&writer.ctx(acting, self.via), new).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_project(self.app, &key).await?))
    }

    /// Changes a project's display name, description or admin privileges.
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 404; 412.
    pub async fn patch_project(&self, acting: &Acting, input: PatchProjectInput) -> OpResult<Done<Project>> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, &input.key)?;
        let mut errors = Vec::new();
        let display_name = input
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
            .map_err(|e| errors.push(e.at("display_name")))
            .ok()
            .flatten();
        let description = input
            .description
            .as_deref()
            .map(|d| Description::parse("description", d, MAX_DESCRIPTION))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        refuse_invalid(errors)?;
        let patch = ProjectPatch {
            display_name,
            description,
            admin_privileges: input.admin_privileges,
        };
        let writer = self.writer().await?;
        let commit = projects::update(&writer.ctx(acting, self.via), &key, patch, input.expected_revision).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_project(self.app, &key).await?))
    }

    /// Deletes a project with its roles, environments, members and
    /// resources; the key must be repeated as `confirm`.
    ///
    /// # Errors
    /// 403; 404; 412; 422 `confirmation_required`.
    pub async fn delete_project(&self, acting: &Acting, input: DeleteProjectInput) -> OpResult<Done<()>> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, &input.key)?;
        let writer = self.writer().await?;
        let commit = projects::delete(&writer.ctx(acting, self.via), &key, input.confirm.as_deref()).await?;
        expect_revision(input.expected_revision, stored_project(self.app, &key).await?.revision)?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }
}
