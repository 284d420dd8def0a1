//! Roles on JFrog's wire (`/access/api/v1/projects/{key}/roles` and the
//! global `/access/api/v1/roles`): `name`, `description`, `type`,
//! `environments`, and `actions` in JFrog's wire names. A JFrog role is
//! always an advanced one (a list of actions).

use gatehouse_api as api;
use gatehouse_authz::Catalogue;
use serde::{Deserialize, Serialize};

use crate::actions::{to_ids, to_wire};
use crate::error::Failure;

/// JFrog's role types, Gatehouse's [`api::RoleKind`] by JFrog's names.
#[must_use]
pub const fn type_name(kind: api::RoleKind) -> &'static str {
    match kind {
        api::RoleKind::Admin => "ADMIN",
        api::RoleKind::Predefined => "PREDEFINED",
        api::RoleKind::Custom => "CUSTOM",
        api::RoleKind::CustomGlobal => "CUSTOM_GLOBAL",
    }
}

/// The role type a JFrog type name means; `None` for a name JFrog has
/// that Gatehouse does not (`CUSTOM_OVERRIDE`, …) or none at all.
#[must_use]
pub fn parse_type(raw: &str) -> Option<api::RoleKind> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "ADMIN" => Some(api::RoleKind::Admin),
        "PREDEFINED" => Some(api::RoleKind::Predefined),
        "CUSTOM" => Some(api::RoleKind::Custom),
        "CUSTOM_GLOBAL" => Some(api::RoleKind::CustomGlobal),
        _ => None,
    }
}

/// Where a role is made or changed: in a project, or global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A project's own role (`CUSTOM`).
    Project,
    /// A global role (`CUSTOM_GLOBAL`).
    Global,
}

impl Place {
    const fn made(self) -> api::RoleKind {
        match self {
            Self::Project => api::RoleKind::Custom,
            Self::Global => api::RoleKind::CustomGlobal,
        }
    }
}

/// `POST` and `PUT` of a role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBody {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `CUSTOM` in a project, `CUSTOM_GLOBAL` globally.
    #[serde(rename = "type")]
    pub role_type: Option<String>,
    /// Environment names (`DEV`, `web-QA`).
    pub environments: Option<Vec<String>>,
    /// Actions by JFrog's wire names.
    pub actions: Option<Vec<String>>,
}

/// A role as JFrog answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `ADMIN`, `PREDEFINED`, `CUSTOM` or `CUSTOM_GLOBAL`.
    #[serde(rename = "type")]
    pub role_type: String,
    /// Environment names.
    pub environments: Vec<String>,
    /// Every action the role grants, by JFrog's wire names.
    pub actions: Vec<String>,
}

impl Role {
    /// The JFrog form of a native role.
    #[must_use]
    pub fn new(role: &api::Role, catalogue: &Catalogue) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            role_type: type_name(role.role_type).to_owned(),
            environments: role.environments.clone(),
            actions: to_wire(catalogue, &role.actions),
        }
    }
}

fn check_type(body: &RoleBody, place: Place) -> Result<(), Failure> {
    let Some(raw) = body.role_type.as_deref() else {
        return Ok(());
    };
    match parse_type(raw) {
        Some(kind) if kind == place.made() => Ok(()),
        Some(_) | None => Err(Failure::field(
            "type",
            format!(
                "a role made or changed here is `{}`; `{raw}` roles are Gatehouse's own",
                type_name(place.made())
            ),
        )),
    }
}

/// The native create request of a JFrog role body.
///
/// # Errors
/// 400 for a missing name, another type than the place makes, an action
/// the catalogue does not know.
pub fn create(body: RoleBody, place: Place, catalogue: &Catalogue) -> Result<api::CreateRole, Failure> {
    check_type(&body, place)?;
    let name = body.name.ok_or_else(|| Failure::field("name", "is required"))?;
    let actions = to_ids(catalogue, "actions", &body.actions.unwrap_or_default())?;
    Ok(api::CreateRole {
        name,
        description: body.description.unwrap_or_default(),
        mode: Some(api::RoleMode::Advanced),
        scope: None,
        project: None,
        role_type: None,
        categories: None,
        actions: Some(actions),
        environments: body.environments.unwrap_or_default(),
    })
}

/// The native patch of a JFrog role update of role `name`: what the body
/// leaves out stays; actions given make the role an advanced one.
///
/// # Errors
/// 400 for another type than the place makes, an unknown action.
pub fn update(body: RoleBody, place: Place, name: &str, catalogue: &Catalogue) -> Result<api::PatchRole, Failure> {
    check_type(&body, place)?;
    let actions = body.actions.map(|a| to_ids(catalogue, "actions", &a)).transpose()?;
    Ok(api::PatchRole {
        // A different name is a rename, which the domain refuses, naming it.
        name: body.name.filter(|n| n != name),
        description: body.description,
        mode: actions.as_ref().map(|_| api::RoleMode::Advanced),
        categories: None,
        actions,
        environments: body.environments,
        discard_advanced: false,
    })
}

#[cfg(test)]
mod tests {
    use gatehouse_api as api;
    use gatehouse_authz::Catalogue;
    use serde_json::json;

    use super::{Place, Role, RoleBody, create, parse_type, type_name, update};
    use crate::body;

    #[test]
    fn role_types_map_both_ways() {
        for (kind, name) in [
            (api::RoleKind::Admin, "ADMIN"),
            (api::RoleKind::Predefined, "PREDEFINED"),
            (api::RoleKind::Custom, "CUSTOM"),
            (api::RoleKind::CustomGlobal, "CUSTOM_GLOBAL"),
        ] {
            assert_eq!(type_name(kind), name);
            assert_eq!(parse_type(name), Some(kind));
            assert_eq!(parse_type(&name.to_ascii_lowercase()), Some(kind));
        }
        assert_eq!(parse_type("CUSTOM_OVERRIDE"), None);
    }

    #[test]
    fn create_bodies_map_to_advanced_roles_with_dotted_actions() {
        let catalogue = Catalogue::platform().unwrap();
        for (raw, place, want) in [
            (
                // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_role.go
                // (the role the provider posts: name, type, environments, actions).
                json!({"name": "qa", "type": "CUSTOM", "environments": ["DEV", "web-QA"],
                    "actions": ["READ_REPOSITORY", "DEPLOY_CACHE_REPOSITORY", "DELETE_BUILD",
                        "PROMOTE_RELEASE_BUNDLE", "TRIGGER_PIPELINE"]}),
                Place::Project,
                Ok(vec![
                    "repository.read",
                    "repository.deploy",
                    "build.delete",
                    "release_bundle.promote",
                    "pipeline.trigger",
                ]),
            ),
            (
                json!({"name": "g", "type": "CUSTOM_GLOBAL", "description": null, "actions": ["READ_BUILD"], "x": 1}),
                Place::Global,
                Ok(vec!["build.read"]),
            ),
            (
                json!({"name": "m", "actions": ["MANAGE_MEMBERS"]}),
                Place::Project,
                Ok(vec!["project.manage_members"]),
            ),
            (
                json!({"name": "q", "type": "PREDEFINED", "actions": ["READ_BUILD"]}),
                Place::Project,
                Err("`type`"),
            ),
            (
                json!({"name": "q", "type": "CUSTOM_GLOBAL", "actions": ["READ_BUILD"]}),
                Place::Project,
                Err("`type`"),
            ),
            (
                json!({"name": "q", "type": "CUSTOM", "actions": ["READ_BUILD"]}),
                Place::Global,
                Err("`type`"),
            ),
            (
                json!({"type": "CUSTOM", "actions": ["READ_BUILD"]}),
                Place::Project,
                Err("`name`"),
            ),
            (
                json!({"name": "q", "actions": ["READ_BUILD", "NOPE"]}),
                Place::Project,
                Err("`actions[1]`"),
            ),
        ] {
            let parsed: RoleBody = body::json(raw.to_string().as_bytes()).unwrap();
            match (create(parsed, place, &catalogue), want) {
                (Ok(got), Ok(actions)) => {
                    assert_eq!(
                        got.actions,
                        Some(actions.iter().map(|a| (*a).to_owned()).collect()),
                        "{raw}"
                    );
                    assert_eq!(got.mode, Some(api::RoleMode::Advanced));
                    assert_eq!(got.categories, None);
                }
                (Err(failure), Err(field)) => {
                    assert_eq!(failure.status, 400, "{raw}");
                    assert!(failure.body.errors[0].message.contains(field), "{raw}: {failure:?}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn updates_change_only_what_is_given() {
        let catalogue = Catalogue::platform().unwrap();
        let patch = update(
            body::json(br#"{"name": "qa", "type": "CUSTOM", "environments": ["PROD"]}"#).unwrap(),
            Place::Project,
            "qa",
            &catalogue,
        )
        .unwrap();
        assert_eq!((patch.name, patch.mode, patch.actions), (None, None, None));
        assert_eq!(patch.environments, Some(vec!["PROD".to_owned()]));
        let patch = update(
            body::json(br#"{"actions": ["READ_BUILD"]}"#).unwrap(),
            Place::Project,
            "qa",
            &catalogue,
        )
        .unwrap();
        assert_eq!(patch.actions, Some(vec!["build.read".to_owned()]));
        assert_eq!(patch.mode, Some(api::RoleMode::Advanced));
        let patch = update(
            body::json(br#"{"name": "other"}"#).unwrap(),
            Place::Project,
            "qa",
            &catalogue,
        )
        .unwrap();
        assert_eq!(patch.name.as_deref(), Some("other"));
    }

    #[test]
    fn a_role_answers_with_wire_names() {
        let catalogue = Catalogue::platform().unwrap();
        let native = api::Role {
            name: "Developer".into(),
            description: String::new(),
            scope: api::ScopeKind::Global,
            project: None,
            role_type: api::RoleKind::Predefined,
            mode: api::RoleMode::Basic,
            categories: vec!["artifacts.read".into()],
            actions: vec!["repository.read".into(), "build.read".into()],
            environments: vec!["DEV".into()],
        };
        assert_eq!(
            serde_json::to_value(Role::new(&native, &catalogue)).unwrap(),
            json!({"name": "Developer", "description": "", "type": "PREDEFINED", "environments": ["DEV"],
                "actions": ["READ_REPOSITORY", "READ_BUILD"]})
        );
    }
}
