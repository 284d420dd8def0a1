//! Projects and what they hold: environments, roles (global and project),
//! members and resources (SPEC §4, §5.3–§5.6).

use gatehouse_api::{
    CreateEnvironment, CreateProject, CreateResource, CreateRole, Environment, Member, Page, PatchProject, PatchRole,
    Project, Resource, Role, SetRoles,
};
use reqwest::Method;
use serde_json::Value;

use crate::accounts::NO_QUERY;
use crate::error::ClientError;
use crate::query::{MemberQuery, Paging};
use crate::transport::Client;

/// A user or a group, as a member of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal<'a> {
    /// A user, by username.
    User(&'a str),
    /// A group, by name.
    Group(&'a str),
}

impl Principal<'_> {
    fn segments(&self) -> [&str; 2] {
        match self {
            Principal::User(name) => ["users", name],
            Principal::Group(name) => ["groups", name],
        }
    }
}

/// `["api","v1","roles",name]` or `["api","v1","projects",key,"roles",name]`, without `name` when `None`.
fn role_path<'a>(project: Option<&'a str>, name: Option<&'a str>) -> Vec<&'a str> {
    let mut path = vec!["api", "v1"];
    if let Some(key) = project {
        path.extend(["projects", key]);
    }
    path.push("roles");
    path.extend(name);
    path
}

/// Like [`role_path`], for environments.
fn env_path<'a>(project: Option<&'a str>, name: Option<&'a str>) -> Vec<&'a str> {
    let mut path = vec!["api", "v1"];
    if let Some(key) = project {
        path.extend(["projects", key]);
    }
    path.push("environments");
    path.extend(name);
    path
}

impl Client {
    /// `GET /api/v1/projects`: one page of the projects the caller sees.
    ///
    /// # Errors
    /// 401.
    pub async fn list_projects(&self, paging: &Paging) -> Result<Page<Project>, ClientError> {
        self.get(&["api", "v1", "projects"], paging).await
    }

    /// `POST /api/v1/projects`.
    ///
    /// # Errors
    /// 422, 409 for a taken key.
    pub async fn create_project(&self, request: &CreateProject) -> Result<Project, ClientError> {
        self.send(Method::POST, &["api", "v1", "projects"], Some(request)).await
    }

    /// `GET /api/v1/projects/{key}`.
    ///
    /// # Errors
    /// 404.
    pub async fn get_project(&self, key: &str) -> Result<Project, ClientError> {
        self.get(&["api", "v1", "projects", key], NO_QUERY).await
    }

    /// `PATCH /api/v1/projects/{key}`.
    ///
    /// # Errors
    /// 404, 422.
    pub async fn patch_project(&self, key: &str, request: &PatchProject) -> Result<Project, ClientError> {
        self.send(Method::PATCH, &["api", "v1", "projects", key], Some(request))
            .await
    }

    /// `DELETE /api/v1/projects/{key}?confirm={key}`.
    ///
    /// # Errors
    /// 404.
    pub async fn delete_project(&self, key: &str) -> Result<(), ClientError> {
        self.send_empty(Method::DELETE, &["api", "v1", "projects", key], &[("confirm", key)])
            .await
    }

    /// `GET /api/v1/environments` or `/api/v1/projects/{key}/environments`.
    ///
    /// # Errors
    /// 404 for a project the caller cannot see.
    pub async fn list_environments(
        &self,
        project: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<Environment>, ClientError> {
        self.get(&env_path(project, None), paging).await
    }

    /// `POST /api/v1/environments` or `/api/v1/projects/{key}/environments`.
    ///
    /// # Errors
    /// 422, 409.
    pub async fn create_environment(&self, project: Option<&str>, name: &str) -> Result<Environment, ClientError> {
        let body = CreateEnvironment { name: name.to_owned() };
        self.send(Method::POST, &env_path(project, None), Some(&body)).await
    }

    /// `DELETE …/environments/{name}?force=`; answers what the server says
    /// it changed.
    ///
    /// # Errors
    /// 409 `in_use` (without `force`) or `environment_protected`.
    pub async fn delete_environment(
        &self,
        project: Option<&str>,
        name: &str,
        force: bool,
    ) -> Result<Value, ClientError> {
        self.delete_json(&env_path(project, Some(name)), &force_query(force))
            .await
    }

    /// `GET /api/v1/roles` or `/api/v1/projects/{key}/roles`.
    ///
    /// # Errors
    /// 404 for a project the caller cannot see.
    pub async fn list_roles(&self, project: Option<&str>, paging: &Paging) -> Result<Page<Role>, ClientError> {
        self.get(&role_path(project, None), paging).await
    }

    /// `POST /api/v1/roles` or `/api/v1/projects/{key}/roles`.
    ///
    /// # Errors
    /// 422 (`role_empty`, unknown actions), 403, 409.
    pub async fn create_role(&self, project: Option<&str>, request: &CreateRole) -> Result<Role, ClientError> {
        self.send(Method::POST, &role_path(project, None), Some(request)).await
    }

    /// `GET …/roles/{name}`.
    ///
    /// # Errors
    /// 404.
    pub async fn get_role(&self, project: Option<&str>, name: &str) -> Result<Role, ClientError> {
        self.get(&role_path(project, Some(name)), NO_QUERY).await
    }

    /// `PATCH …/roles/{name}`.
    ///
    /// # Errors
    /// 409 `would_discard_actions`, 422, 403.
    pub async fn patch_role(
        &self,
        project: Option<&str>,
        name: &str,
        request: &PatchRole,
    ) -> Result<Role, ClientError> {
        self.send(Method::PATCH, &role_path(project, Some(name)), Some(request))
            .await
    }

    /// `DELETE …/roles/{name}?force=`: answers `{"removed_from_members"}`.
    ///
    /// # Errors
    /// 409 `in_use` without `force`.
    pub async fn delete_role(&self, project: Option<&str>, name: &str, force: bool) -> Result<Value, ClientError> {
        self.delete_json(&role_path(project, Some(name)), &force_query(force))
            .await
    }

    /// `GET /api/v1/projects/{key}/members`: one page.
    ///
    /// # Errors
    /// 404.
    pub async fn list_members(&self, project: &str, query: &MemberQuery) -> Result<Page<Member>, ClientError> {
        self.get(&["api", "v1", "projects", project, "members"], query).await
    }

    /// `PUT /api/v1/projects/{key}/members/{users|groups}/{name}`: replaces
    /// the member's roles.
    ///
    /// # Errors
    /// 422 `member_needs_role`, 403 (anti-escalation), 404.
    pub async fn set_member(
        &self,
        project: &str,
        member: Principal<'_>,
        roles: Vec<String>,
    ) -> Result<Member, ClientError> {
        let [kind, name] = member.segments();
        let body = SetRoles { roles };
        self.send(
            Method::PUT,
            &["api", "v1", "projects", project, "members", kind, name],
            Some(&body),
        )
        .await
    }

    /// `DELETE /api/v1/projects/{key}/members/{users|groups}/{name}`.
    ///
    /// # Errors
    /// 404, 403.
    pub async fn remove_member(&self, project: &str, member: Principal<'_>) -> Result<(), ClientError> {
        let [kind, name] = member.segments();
        self.send_empty(
            Method::DELETE,
            &["api", "v1", "projects", project, "members", kind, name],
            NO_QUERY,
        )
        .await
    }

    /// `GET /api/v1/projects/{key}/resources`: one page.
    ///
    /// # Errors
    /// 404.
    pub async fn list_resources(&self, project: &str, paging: &Paging) -> Result<Page<Resource>, ClientError> {
        self.get(&["api", "v1", "projects", project, "resources"], paging).await
    }

    /// `POST /api/v1/projects/{key}/resources`.
    ///
    /// # Errors
    /// 422, 409.
    pub async fn register_resource(&self, project: &str, request: &CreateResource) -> Result<Resource, ClientError> {
        self.send(
            Method::POST,
            &["api", "v1", "projects", project, "resources"],
            Some(request),
        )
        .await
    }

    /// `DELETE /api/v1/projects/{key}/resources/{type}/{name}`.
    ///
    /// # Errors
    /// 404.
    pub async fn remove_resource(&self, project: &str, resource_type: &str, name: &str) -> Result<(), ClientError> {
        self.send_empty(
            Method::DELETE,
            &["api", "v1", "projects", project, "resources", resource_type, name],
            NO_QUERY,
        )
        .await
    }
}

fn force_query(force: bool) -> Vec<(&'static str, &'static str)> {
    if force { vec![("force", "true")] } else { Vec::new() }
}
