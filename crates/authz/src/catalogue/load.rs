//! Catalogue TOML → validated [`Catalogue`], with the parts every catalogue
//! shares (SPEC §3.2: the `project` actions, `project.admin`, Project Admin).

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Action, ActionNames, Catalogue, CatalogueError, CatalogueErrorKind, Category, MAX_ACTIONS, PROJECT_ADMIN_ROLE,
    PROTECTED_ENVIRONMENTS, PredefinedRole, ResourceType, RoleType,
};
use crate::ids::ActionId;
use crate::sets::ActionSet;

/// The resource type holding the project-management actions of SPEC §3.2.
const PROJECT_TYPE: &str = "project";

/// (short id, JFrog wire name, description) of the SPEC §3.2 actions.
const PROJECT_ACTIONS: [(&str, &str, &str); 5] = [
    (
        "manage_members",
        "MANAGE_MEMBERS",
        "Add, change and remove the project's members",
    ),
    (
        "manage_resources",
        "MANAGE_RESOURCES",
        "Register and remove the project's resources",
    ),
    ("manage_roles", "MANAGE_ROLES", "Create and edit the project's roles"),
    (
        "manage_environments",
        "MANAGE_ENVIRONMENTS",
        "Create and delete the project's environments",
    ),
    (
        "index_resources",
        "INDEX_RESOURCES",
        "Choose which resources are indexed for scanning",
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    name: Spanned<String>,
    #[serde(default)]
    action_categories: bool,
    #[serde(default)]
    resource_types: Vec<RawResourceType>,
    #[serde(default)]
    categories: Vec<RawCategory>,
    #[serde(default)]
    predefined_roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResourceType {
    id: Spanned<String>,
    env_scoped: bool,
    actions: Spanned<Vec<RawAction>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    id: Spanned<String>,
    wire_name: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    actions: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    categories: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    environments: Vec<Spanned<String>>,
}

/// Turns byte offsets into errors that name the file, the line and the field.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, field: String, kind: CatalogueErrorKind) -> CatalogueError {
        let end = span.start.min(self.text.len());
        let line = self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1;
        CatalogueError {
            file: self.file.to_owned(),
            line,
            field,
            kind,
        }
    }
}

fn is_identifier(raw: &str) -> bool {
    (1..=32).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_wire_name(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_uppercase())
        && raw
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn is_category_id(raw: &str) -> bool {
    raw.len() <= 64 && raw.split('.').all(is_identifier)
}

fn is_role_name(raw: &str) -> bool {
    let trimmed = raw.trim();
    !trimmed.is_empty() && trimmed == raw && raw.chars().count() <= 64 && !raw.chars().any(char::is_control)
}

/// The field named by a serde message such as "missing field `id`".
fn field_of(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map_or_else(|| "(document)".to_owned(), str::to_owned)
}

pub(super) fn parse(file: &str, text: &str) -> Result<Catalogue, CatalogueError> {
    let at = Locator { file, text };
    let raw: RawCatalogue = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        at.error(
            e.span().unwrap_or(0..0),
            field_of(&message),
            CatalogueErrorKind::Syntax(message),
        )
    })?;
    let mut builder = Builder::default();
    builder.resource_types(&at, raw.resource_types)?;
    if builder.actions.len() > MAX_ACTIONS {
        return Err(at.error(
            0..0,
            "resource_types".into(),
            CatalogueErrorKind::TooManyActions(builder.actions.len()),
        ));
    }
    builder.categories(&at, raw.categories, raw.action_categories)?;
    builder.roles(&at, raw.predefined_roles)?;
    let Builder {
        resource_types,
        actions,
        categories,
        predefined_roles,
        by_id,
        by_wire_name,
    } = builder;
    let env_scoped = actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.env_scoped)
        .filter_map(|(i, _)| u8::try_from(i).ok().map(ActionId))
        .collect();
    Ok(Catalogue {
        name: raw.name.into_inner(),
        resource_types,
        actions,
        categories,
        predefined_roles,
        env_scoped,
        by_id,
        by_wire_name,
    })
}

#[derive(Default)]
struct Builder {
    resource_types: Vec<ResourceType>,
    actions: Vec<Action>,
    categories: Vec<Category>,
    predefined_roles: Vec<PredefinedRole>,
    by_id: ActionNames,
    by_wire_name: ActionNames,
}

impl Builder {
    fn add_type(&mut self, id: &str, env_scoped: bool) -> usize {
        self.resource_types.push(ResourceType {
            id: id.to_owned(),
            env_scoped,
            actions: Vec::new(),
        });
        self.resource_types.len() - 1
    }

    /// Adds an action; `Err` carries the kind of conflict.
    fn add_action(
        &mut self,
        ty: usize,
        short: &str,
        wire: &str,
        description: String,
    ) -> Result<(), CatalogueErrorKind> {
        let env_scoped = self.resource_types[ty].env_scoped;
        let id = format!("{}.{short}", self.resource_types[ty].id);
        if self.by_id.contains_key(&id) {
            return Err(CatalogueErrorKind::DuplicateAction(id));
        }
        if self.by_wire_name.contains_key(wire) {
            return Err(CatalogueErrorKind::DuplicateWireName(wire.to_owned()));
        }
        // Past MAX_ACTIONS the ids saturate; `parse` refuses the catalogue then.
        let action = ActionId(u8::try_from(self.actions.len()).unwrap_or(u8::MAX));
        self.by_id.insert(id.clone(), action);
        self.by_wire_name.insert(wire.to_owned(), action);
        self.resource_types[ty].actions.push(action);
        self.actions.push(Action {
            id,
            wire_name: wire.to_owned(),
            description,
            resource_type: ty,
            env_scoped,
        });
        Ok(())
    }

    fn resource_types(&mut self, at: &Locator<'_>, raw: Vec<RawResourceType>) -> Result<(), CatalogueError> {
        let mut seen = HashSet::new();
        for (i, rt) in raw.into_iter().enumerate() {
            let field = |name: &str| format!("resource_types[{i}].{name}");
            let id = rt.id.get_ref();
            if !is_identifier(id) {
                return Err(at.error(rt.id.span(), field("id"), CatalogueErrorKind::InvalidId(id.clone())));
            }
            if id == PROJECT_TYPE {
                return Err(at.error(
                    rt.id.span(),
                    field("id"),
                    CatalogueErrorKind::ReservedResourceType(id.clone()),
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(at.error(
                    rt.id.span(),
                    field("id"),
                    CatalogueErrorKind::DuplicateResourceType(id.clone()),
                ));
            }
            if rt.actions.get_ref().is_empty() {
                return Err(at.error(rt.actions.span(), field("actions"), CatalogueErrorKind::NoActions));
            }
            let ty = self.add_type(id, rt.env_scoped);
            for (j, action) in rt.actions.into_inner().into_iter().enumerate() {
                let field = |name: &str| format!("resource_types[{i}].actions[{j}].{name}");
                if !is_identifier(action.id.get_ref()) {
                    let kind = CatalogueErrorKind::InvalidId(action.id.get_ref().clone());
                    return Err(at.error(action.id.span(), field("id"), kind));
                }
                if !is_wire_name(action.wire_name.get_ref()) {
                    let kind = CatalogueErrorKind::InvalidId(action.wire_name.get_ref().clone());
                    return Err(at.error(action.wire_name.span(), field("wire_name"), kind));
                }
                self.add_action(ty, action.id.get_ref(), action.wire_name.get_ref(), action.description)
                    .map_err(|kind| {
                        let (span, name) = match kind {
                            CatalogueErrorKind::DuplicateWireName(_) => (action.wire_name.span(), "wire_name"),
                            _ => (action.id.span(), "id"),
                        };
                        at.error(span, field(name), kind)
                    })?;
            }
        }
        let ty = self.add_type(PROJECT_TYPE, false);
        for (short, wire, description) in PROJECT_ACTIONS {
            self.add_action(ty, short, wire, description.to_owned())
                .map_err(|kind| at.error(0..0, "resource_types".into(), kind))?;
        }
        Ok(())
    }

    fn categories(&mut self, at: &Locator<'_>, raw: Vec<RawCategory>, per_action: bool) -> Result<(), CatalogueError> {
        let mut seen = HashSet::new();
        for (i, category) in raw.into_iter().enumerate() {
            let field = |name: &str| format!("categories[{i}].{name}");
            let id = category.id.get_ref();
            if !is_category_id(id) {
                return Err(at.error(
                    category.id.span(),
                    field("id"),
                    CatalogueErrorKind::InvalidId(id.clone()),
                ));
            }
            if !seen.insert(id.clone()) || id == "project.admin" {
                return Err(at.error(
                    category.id.span(),
                    field("id"),
                    CatalogueErrorKind::DuplicateCategory(id.clone()),
                ));
            }
            if category.actions.get_ref().is_empty() {
                return Err(at.error(
                    category.actions.span(),
                    field("actions"),
                    CatalogueErrorKind::EmptyCategory,
                ));
            }
            let mut actions = ActionSet::EMPTY;
            for (j, action) in category.actions.get_ref().iter().enumerate() {
                match self.by_id.get(action.get_ref()) {
                    Some(id) => actions.insert(*id),
                    None => {
                        let kind = CatalogueErrorKind::UnknownAction(action.get_ref().clone());
                        return Err(at.error(action.span(), format!("categories[{i}].actions[{j}]"), kind));
                    }
                }
            }
            self.categories.push(Category {
                id: id.clone(),
                description: category.description,
                actions,
            });
        }
        if per_action {
            for (i, action) in self.actions.iter().enumerate() {
                if self.resource_types[action.resource_type].id == PROJECT_TYPE {
                    continue;
                }
                if !seen.insert(action.id.clone()) {
                    let kind = CatalogueErrorKind::DuplicateCategory(action.id.clone());
                    return Err(at.error(0..0, "action_categories".into(), kind));
                }
                let id = ActionId(u8::try_from(i).unwrap_or(u8::MAX));
                self.categories.push(Category {
                    id: action.id.clone(),
                    description: action.description.clone(),
                    actions: ActionSet::single(id),
                });
            }
        }
        let project_type = self.resource_types.iter().position(|t| t.id == PROJECT_TYPE);
        let admin_actions = project_type
            .map(|t| self.resource_types[t].actions.iter().copied().collect())
            .unwrap_or_default();
        self.categories.push(Category {
            id: "project.admin".into(),
            description: "Every project-management action".into(),
            actions: admin_actions,
        });
        Ok(())
    }

    fn roles(&mut self, at: &Locator<'_>, raw: Vec<RawRole>) -> Result<(), CatalogueError> {
        self.predefined_roles.push(PredefinedRole {
            name: PROJECT_ADMIN_ROLE.into(),
            description: "Manages the project: members, resources, roles and environments".into(),
            role_type: RoleType::Admin,
            categories: vec!["project.admin".into()],
            environments: Vec::new(),
        });
        for (i, role) in raw.into_iter().enumerate() {
            let field = |name: &str| format!("predefined_roles[{i}].{name}");
            let name = role.name.get_ref();
            if !is_role_name(name) {
                return Err(at.error(
                    role.name.span(),
                    field("name"),
                    CatalogueErrorKind::InvalidId(name.clone()),
                ));
            }
            if self.predefined_roles.iter().any(|r| r.name.eq_ignore_ascii_case(name)) {
                return Err(at.error(
                    role.name.span(),
                    field("name"),
                    CatalogueErrorKind::DuplicateRole(name.clone()),
                ));
            }
            if role.categories.get_ref().is_empty() {
                return Err(at.error(
                    role.categories.span(),
                    field("categories"),
                    CatalogueErrorKind::EmptyRole,
                ));
            }
            for (j, category) in role.categories.get_ref().iter().enumerate() {
                if !self.categories.iter().any(|c| &c.id == category.get_ref()) {
                    let kind = CatalogueErrorKind::UnknownCategory(category.get_ref().clone());
                    return Err(at.error(category.span(), format!("predefined_roles[{i}].categories[{j}]"), kind));
                }
            }
            for (j, env) in role.environments.iter().enumerate() {
                if !PROTECTED_ENVIRONMENTS.contains(&env.get_ref().as_str()) {
                    let kind = CatalogueErrorKind::UnknownEnvironment(env.get_ref().clone());
                    return Err(at.error(env.span(), format!("predefined_roles[{i}].environments[{j}]"), kind));
                }
            }
            self.predefined_roles.push(PredefinedRole {
                name: name.clone(),
                description: role.description,
                role_type: RoleType::Predefined,
                categories: role
                    .categories
                    .into_inner()
                    .into_iter()
                    .map(Spanned::into_inner)
                    .collect(),
                environments: role.environments.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        Ok(())
    }
}
