//! Project members on JFrog's wire
//! (`/access/api/v1/projects/{key}/users` and `…/groups`): `{"name",
//! "roles"}`, listed as `{"members": [...]}`.

use gatehouse_api as api;
use serde::{Deserialize, Serialize};

use crate::error::Failure;

/// A member as JFrog answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The username or group name.
    pub name: String,
    /// Its roles in the project.
    pub roles: Vec<String>,
}

impl From<&api::Member> for Member {
    fn from(m: &api::Member) -> Self {
        Self {
            name: m.name.clone(),
            roles: m.roles.clone(),
        }
    }
}

/// The list answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    /// The members of one kind.
    pub members: Vec<Member>,
}

/// `PUT …/users/{name}` or `…/groups/{name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberBody {
    /// The member's name; when given, it must be the path's.
    pub name: Option<String>,
    /// The roles to hold (replacing the member's roles).
    pub roles: Option<Vec<String>>,
}

/// The native request of a JFrog member body for member `name`.
///
/// # Errors
/// 400 when the body names another member or gives no `roles`.
pub fn set_roles(body: MemberBody, name: &str) -> Result<api::SetRoles, Failure> {
    if let Some(named) = body.name.as_deref()
        && named != name
    {
        return Err(Failure::field(
            "name",
            format!("is not the member of the path (`{name}`)"),
        ));
    }
    let roles = body.roles.ok_or_else(|| Failure::field("roles", "is required"))?;
    Ok(api::SetRoles { roles })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{MemberBody, set_roles};
    use crate::body;

    #[test]
    fn member_bodies_map_to_set_roles() {
        for (raw, want) in [
            // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_user.go
            // (ProjectUserAPIModel, as the provider puts it).
            (
                json!({"name": "alice", "roles": ["Developer", "qa"]}),
                Ok(vec!["Developer", "qa"]),
            ),
            (json!({"roles": ["Viewer"], "extra": true}), Ok(vec!["Viewer"])),
            (json!({"roles": []}), Ok(vec![])),
            (json!({"name": "bob", "roles": ["Viewer"]}), Err("`name`")),
            (json!({"name": "alice"}), Err("`roles`")),
            (json!({"name": "alice", "roles": null}), Err("`roles`")),
        ] {
            let parsed: MemberBody = body::json(raw.to_string().as_bytes()).unwrap();
            match (set_roles(parsed, "alice"), want) {
                (Ok(got), Ok(roles)) => assert_eq!(got.roles, roles, "{raw}"),
                (Err(failure), Err(field)) => {
                    assert_eq!(failure.status, 400);
                    assert!(failure.body.errors[0].message.contains(field), "{failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }
}
