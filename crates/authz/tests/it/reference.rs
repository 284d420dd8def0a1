//! A deliberately naive evaluator written straight from SPEC §2.1–§2.2, over
//! the model by names: no ids, no tables, no cleverness. The compiled
//! snapshot must agree with it on every question.

use gatehouse_authz::{Catalogue, Denial, Model, Principal, RoleGrants, RoleSpec, RoleType, UserStatus};

/// One reason, by names: (via user or group name, role name).
pub type NamedGrant = (Principal, String);

pub struct Reference<'a> {
    pub catalogue: &'a Catalogue,
    pub model: &'a Model,
}

impl Reference<'_> {
    fn role(&self, project: &str, name: &str) -> Option<&RoleSpec> {
        self.model
            .roles
            .iter()
            .find(|r| r.name == name && (r.project.is_none() || r.project.as_deref() == Some(project)))
    }

    /// The action ids a role grants in `project` (admin privileges applied).
    pub fn role_actions(&self, project: &str, role: &RoleSpec) -> Vec<String> {
        let mut ids: Vec<String> = match &role.grants {
            RoleGrants::Actions(actions) => actions
                .iter()
                .map(|a| {
                    self.catalogue
                        .action(self.catalogue.resolve_action(a).unwrap())
                        .id
                        .clone()
                })
                .collect(),
            RoleGrants::Categories(categories) => categories
                .iter()
                .flat_map(|c| self.catalogue.category(c).unwrap().actions.iter())
                .map(|a| self.catalogue.action(a).id.clone())
                .collect(),
        };
        if role.role_type == RoleType::Admin {
            let privileges = self
                .model
                .projects
                .iter()
                .find(|p| p.key == project)
                .unwrap()
                .admin_privileges;
            ids.retain(|id| match id.as_str() {
                "project.manage_members" => privileges.manage_members,
                "project.manage_resources" => privileges.manage_resources,
                "project.index_resources" => privileges.index_resources,
                _ => true,
            });
        }
        ids
    }

    fn scoped(&self, action: &str) -> bool {
        self.catalogue
            .action(self.catalogue.resolve_action(action).unwrap())
            .env_scoped
    }

    /// SPEC §2.1 and §2.2: the grants of an allow, or the code of a deny.
    pub fn decide(
        &self,
        user: &str,
        action: &str,
        project: &str,
        env: Option<&str>,
    ) -> Result<Vec<NamedGrant>, Denial> {
        let Some(u) = self.model.users.iter().find(|u| u.name == user) else {
            return Err(Denial::UnknownUser);
        };
        if !self.model.projects.iter().any(|p| p.key == project) {
            return Err(Denial::UnknownProject);
        }
        if let Some(env) = env {
            let known = self
                .model
                .environments
                .iter()
                .any(|e| e.name == env && (e.project.is_none() || e.project.as_deref() == Some(project)));
            if !known {
                return Err(Denial::UnknownEnvironment);
            }
        }
        match u.status {
            UserStatus::Disabled => return Err(Denial::UserDisabled),
            // A lock guards the password alone (SPEC §2.1).
            UserStatus::Locked | UserStatus::Active | UserStatus::Invited => {}
        }
        if u.admin {
            return Ok(vec![]);
        }
        let scoped = self.scoped(action);
        let action_id = self
            .catalogue
            .action(self.catalogue.resolve_action(action).unwrap())
            .id
            .clone();
        let mut member = false;
        let mut anywhere = false;
        let mut grants = Vec::new();
        for m in self.model.members.iter().filter(|m| m.project == project) {
            let applies = match &m.principal {
                Principal::User(name) => name == user,
                Principal::Group(name) => self
                    .model
                    .groups
                    .iter()
                    .any(|g| &g.name == name && g.members.iter().any(|x| x == user)),
            };
            if !applies {
                continue;
            }
            member = true;
            for role_name in &m.roles {
                let role = self.role(project, role_name).unwrap();
                if !self.role_actions(project, role).contains(&action_id) {
                    continue;
                }
                anywhere = true;
                if !scoped || role.environments.iter().any(|e| Some(e.as_str()) == env) {
                    grants.push((m.principal.clone(), role.name.clone()));
                }
            }
        }
        match (member, anywhere, grants.is_empty()) {
            (_, _, false) => Ok(grants),
            (false, _, _) => Err(Denial::NotAMember),
            (true, false, _) => Err(Denial::ActionNotGranted),
            (true, true, _) => Err(Denial::EnvironmentNotGranted),
        }
    }
}
