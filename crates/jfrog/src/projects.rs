//! Projects on JFrog's wire (`/access/api/v1/projects`): `project_key`,
//! `display_name`, `description`, `admin_privileges`, and the storage
//! quota fields Gatehouse does not keep (answered as "no quota").

use gatehouse_api as api;
use serde::{Deserialize, Serialize};

use crate::error::Failure;

/// What JFrog answers for a project without a storage quota.
pub const NO_QUOTA: i64 = -1;

/// A project's admin privileges as JFrog sends them: any may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPrivilegesBody {
    /// `manage_members`.
    pub manage_members: Option<bool>,
    /// `manage_resources`.
    pub manage_resources: Option<bool>,
    /// `index_resources`.
    pub index_resources: Option<bool>,
    /// `manage_remote_repository`: a repository setting Gatehouse has no
    /// action for; accepted and ignored.
    pub manage_remote_repository: Option<bool>,
}

impl AdminPrivilegesBody {
    /// These privileges over `base`: what is missing keeps `base`'s value.
    #[must_use]
    pub fn over(self, base: api::AdminPrivileges) -> api::AdminPrivileges {
        api::AdminPrivileges {
            manage_members: self.manage_members.unwrap_or(base.manage_members),
            manage_resources: self.manage_resources.unwrap_or(base.manage_resources),
            index_resources: self.index_resources.unwrap_or(base.index_resources),
        }
    }
}

/// `POST` and `PUT /access/api/v1/projects[/{key}]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectBody {
    /// The key (create; on update it must match the path if given).
    pub project_key: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Admin privileges.
    pub admin_privileges: Option<AdminPrivilegesBody>,
    /// Storage quota: not kept by Gatehouse; ignored.
    pub storage_quota_bytes: Option<i64>,
    /// Soft limit of the quota: ignored.
    pub soft_limit: Option<bool>,
}

/// A project as JFrog answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// The key.
    pub project_key: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Admin privileges.
    pub admin_privileges: AdminPrivileges,
    /// Always [`NO_QUOTA`].
    pub storage_quota_bytes: i64,
    /// Always `false`.
    pub soft_limit: bool,
    /// Always `false`.
    pub storage_quota_email_notification: bool,
}

/// Admin privileges as JFrog answers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPrivileges {
    /// `manage_members`.
    pub manage_members: bool,
    /// `manage_resources`.
    pub manage_resources: bool,
    /// `index_resources`.
    pub index_resources: bool,
    /// Always `false`: not a Gatehouse privilege.
    pub manage_remote_repository: bool,
}

impl From<&api::Project> for Project {
    fn from(p: &api::Project) -> Self {
        Self {
            project_key: p.key.clone(),
            display_name: p.display_name.clone(),
            description: p.description.clone(),
            admin_privileges: AdminPrivileges {
                manage_members: p.admin_privileges.manage_members,
                manage_resources: p.admin_privileges.manage_resources,
                index_resources: p.admin_privileges.index_resources,
                manage_remote_repository: false,
            },
            storage_quota_bytes: NO_QUOTA,
            soft_limit: false,
            storage_quota_email_notification: false,
        }
    }
}

/// The native create request of a JFrog create body.
///
/// # Errors
/// 400 naming a missing `project_key` or `display_name`.
pub fn create(body: ProjectBody) -> Result<api::CreateProject, Failure> {
    let key = body
        .project_key
        .ok_or_else(|| Failure::field("project_key", "is required"))?;
    let display_name = body
        .display_name
        .ok_or_else(|| Failure::field("display_name", "is required"))?;
    Ok(api::CreateProject {
        key,
        display_name,
        description: body.description.unwrap_or_default(),
        admin_privileges: body
            .admin_privileges
            .unwrap_or_default()
            .over(api::AdminPrivileges::default()),
        admins: Vec::new(),
    })
}

/// The native patch of a JFrog update body for project `key` as it is
/// (`current`): what the body leaves out stays.
///
/// # Errors
/// 400 when the body names another key (a key never changes).
pub fn update(body: ProjectBody, current: &api::Project) -> Result<api::PatchProject, Failure> {
    if let Some(key) = body.project_key.as_deref()
        && key != current.key
    {
        return Err(Failure::field(
            "project_key",
            format!("a project key never changes (`{}`)", current.key),
        ));
    }
    Ok(api::PatchProject {
        display_name: body.display_name,
        description: body.description,
        admin_privileges: body.admin_privileges.map(|p| p.over(current.admin_privileges)),
    })
}

#[cfg(test)]
mod tests {
    use gatehouse_api as api;
    use serde_json::json;

    use super::{Project, ProjectBody, create, update};
    use crate::body;

    fn native(key: &str) -> api::Project {
        api::Project {
            key: key.into(),
            display_name: "Web".into(),
            description: "d".into(),
            admin_privileges: api::AdminPrivileges {
                manage_members: true,
                manage_resources: false,
                index_resources: true,
            },
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn create_bodies_map_to_native_requests() {
        for (raw, want) in [
            (
                // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project.go
                // (ProjectAPIModel, as the provider posts it).
                json!({"project_key": "web", "display_name": "Web", "description": "d",
                    "admin_privileges": {"manage_members": true, "manage_resources": false,
                        "manage_remote_repository": false, "index_resources": true},
                    "storage_quota_bytes": -1, "soft_limit": false, "storage_quota_email_notification": true}),
                Ok(("web", "Web", "d", (true, false, true))),
            ),
            (
                json!({"project_key": "web", "display_name": "Web"}),
                Ok(("web", "Web", "", (true, true, true))),
            ),
            (
                json!({"project_key": "web", "display_name": "Web", "description": null,
                    "admin_privileges": {"manage_members": false, "index_resources": null}}),
                Ok(("web", "Web", "", (false, true, true))),
            ),
            (json!({"display_name": "Web"}), Err("`project_key`")),
            (json!({"project_key": "web"}), Err("`display_name`")),
        ] {
            let parsed: ProjectBody = body::json(raw.to_string().as_bytes()).unwrap();
            match (create(parsed), want) {
                (Ok(got), Ok((key, name, description, (m, r, i)))) => {
                    assert_eq!(
                        (got.key.as_str(), got.display_name.as_str(), got.description.as_str()),
                        (key, name, description)
                    );
                    let p = got.admin_privileges;
                    assert_eq!(
                        (p.manage_members, p.manage_resources, p.index_resources),
                        (m, r, i),
                        "{raw}"
                    );
                    assert!(got.admins.is_empty());
                }
                (Err(failure), Err(field)) => {
                    assert_eq!(failure.status, 400);
                    assert!(failure.body.errors[0].message.contains(field), "{failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn updates_keep_what_the_body_leaves_out() {
        let current = native("web");
        let patch = update(
            body::json(br#"{"display_name": "New", "admin_privileges": {"manage_resources": true}}"#).unwrap(),
            &current,
        )
        .unwrap();
        assert_eq!(patch.display_name.as_deref(), Some("New"));
        assert_eq!(patch.description, None);
        let p = patch.admin_privileges.unwrap();
        assert_eq!(
            (p.manage_members, p.manage_resources, p.index_resources),
            (true, true, true)
        );
        let failure = update(body::json(br#"{"project_key": "other"}"#).unwrap(), &current).unwrap_err();
        assert_eq!(failure.status, 400);
    }

    #[test]
    fn a_project_answers_in_jfrogs_shape() {
        let got = serde_json::to_value(Project::from(&native("web"))).unwrap();
        assert_eq!(
            got,
            json!({"project_key": "web", "display_name": "Web", "description": "d",
                "admin_privileges": {"manage_members": true, "manage_resources": false,
                    "index_resources": true, "manage_remote_repository": false},
                "storage_quota_bytes": -1, "soft_limit": false, "storage_quota_email_notification": false})
        );
    }
}
