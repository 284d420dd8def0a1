//! Groups on JFrog's v2 wire (`/access/api/v2/groups`). A Gatehouse group
//! is a set of users and nothing more: a group that would confer admin
//! rights (`admin_privileges`) or take in every new user (`auto_join`) is
//! refused, never made without them.

use gatehouse_api as api;
use serde::{Deserialize, Serialize};

use crate::body::opt_bool;
use crate::error::Failure;
use crate::users::AddRemove;

/// The path of a group on this layer, JFrog's `uri`.
#[must_use]
pub fn uri(name: &str) -> String {
    format!("/access/api/v2/groups/{name}")
}

/// A group as JFrog's v2 API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetails {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Always `false`.
    pub auto_join: bool,
    /// Always `false`.
    pub admin_privileges: bool,
    /// Always `internal`.
    pub realm: String,
    /// Its members' usernames.
    pub members: Vec<String>,
}

impl From<&api::Group> for GroupDetails {
    fn from(g: &api::Group) -> Self {
        Self {
            name: g.name.clone(),
            description: g.description.clone(),
            auto_join: false,
            admin_privileges: false,
            realm: "internal".to_owned(),
            members: g.members.clone(),
        }
    }
}

/// One group of a list answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupItem {
    /// Name.
    pub group_name: String,
    /// Its path on this layer.
    pub uri: String,
}

impl From<&api::Group> for GroupItem {
    fn from(g: &api::Group) -> Self {
        Self {
            group_name: g.name.clone(),
            uri: uri(&g.name),
        }
    }
}

/// The list answer: `{"groups", "cursor"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupList {
    /// One page of groups.
    pub groups: Vec<GroupItem>,
    /// The next page's cursor; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The answer to a change of members: `{"members"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembers {
    /// The members after the change.
    pub members: Vec<String>,
}

/// `POST /access/api/v2/groups` and `PATCH …/{name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct GroupBody {
    /// Name (create).
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// New users join it: refused when `true`.
    #[serde(default, deserialize_with = "opt_bool")]
    pub auto_join: Option<bool>,
    /// Members get admin rights: refused when `true`.
    #[serde(default, deserialize_with = "opt_bool")]
    pub admin_privileges: Option<bool>,
    /// Initial members (create).
    pub members: Option<Vec<String>>,
}

fn refuse_powers(body: &GroupBody) -> Result<(), Failure> {
    if body.admin_privileges == Some(true) {
        return Err(Failure::unsupported(
            "`admin_privileges` on a group: a Gatehouse group confers no admin rights (make its users admins)",
        ));
    }
    if body.auto_join == Some(true) {
        return Err(Failure::unsupported(
            "`auto_join`: Gatehouse adds no user to a group by itself",
        ));
    }
    Ok(())
}

/// The native create request of a JFrog v2 group body.
///
/// # Errors
/// 400 without a name, or asking for admin rights or auto-join.
pub fn create(body: GroupBody) -> Result<api::CreateGroup, Failure> {
    refuse_powers(&body)?;
    let name = body.name.ok_or_else(|| Failure::field("name", "is required"))?;
    Ok(api::CreateGroup {
        name,
        description: body.description.unwrap_or_default(),
        members: body.members.unwrap_or_default(),
    })
}

/// The native patch of a JFrog v2 group update.
///
/// # Errors
/// 400 asking for admin rights or auto-join.
pub fn update(body: GroupBody) -> Result<api::PatchGroup, Failure> {
    refuse_powers(&body)?;
    Ok(api::PatchGroup {
        description: body.description,
    })
}

/// The native members change of `{"add", "remove"}`.
#[must_use]
pub fn change_members(body: AddRemove) -> api::PatchGroupMembers {
    api::PatchGroupMembers {
        add: body.add.unwrap_or_default(),
        remove: body.remove.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_api as api;
    use serde_json::json;

    use super::{GroupBody, GroupDetails, GroupItem, change_members, create, update};
    use crate::body;

    #[test]
    fn group_bodies_map_to_native_requests() {
        for (raw, want) in [
            (
                // Source: jfrog/terraform-provider-platform, pkg/platform/resource_group.go
                // (the group the provider posts to /access/api/v2/groups).
                json!({"name": "devs", "description": "Developers", "external_id": null, "auto_join": false,
                    "admin_privileges": false, "members": ["alice"]}),
                Ok(("devs", "Developers", vec!["alice"])),
            ),
            (json!({"name": "ops"}), Ok(("ops", "", vec![]))),
            (
                json!({"name": "ops", "admin_privileges": true}),
                Err("admin_privileges"),
            ),
            (json!({"name": "ops", "auto_join": "true"}), Err("auto_join")),
            (json!({"description": "x"}), Err("`name`")),
        ] {
            let parsed: GroupBody = body::json(raw.to_string().as_bytes()).unwrap();
            match (create(parsed), want) {
                (Ok(got), Ok((name, description, members))) => {
                    assert_eq!((got.name.as_str(), got.description.as_str()), (name, description));
                    assert_eq!(got.members, members);
                }
                (Err(failure), Err(field)) => {
                    assert_eq!(failure.status, 400);
                    assert!(failure.body.errors[0].message.contains(field), "{failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
        let patch = update(body::json(br#"{"description": "d", "auto_join": false}"#).unwrap()).unwrap();
        assert_eq!(patch.description.as_deref(), Some("d"));
        assert_eq!(
            update(body::json(br#"{"admin_privileges": true}"#).unwrap())
                .unwrap_err()
                .status,
            400
        );
        let change = change_members(body::json(br#"{"add": ["a"], "remove": null}"#).unwrap());
        assert_eq!((change.add, change.remove), (vec!["a".to_owned()], vec![]));
    }

    #[test]
    fn groups_answer_in_jfrogs_shape() {
        let native = api::Group {
            name: "devs".into(),
            description: "d".into(),
            members: vec!["alice".into()],
        };
        assert_eq!(
            serde_json::to_value(GroupDetails::from(&native)).unwrap(),
            json!({"name": "devs", "description": "d", "auto_join": false, "admin_privileges": false,
                "realm": "internal", "members": ["alice"]})
        );
        assert_eq!(
            serde_json::to_value(GroupItem::from(&native)).unwrap(),
            json!({"group_name": "devs", "uri": "/access/api/v2/groups/devs"})
        );
    }
}
