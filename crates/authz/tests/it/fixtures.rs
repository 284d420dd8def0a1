//! Small builders shared by the tests: a catalogue, model pieces by name.

use std::sync::Arc;

use gatehouse_authz::{
    AdminPrivileges, Catalogue, EnvironmentSpec, MemberSpec, Model, Principal, ProjectSpec, RoleGrants, RoleSpec,
    RoleType, Snapshot,
};

pub fn platform() -> Arc<Catalogue> {
    Arc::new(Catalogue::platform().expect("the platform catalogue loads"))
}

pub fn project(key: &str) -> ProjectSpec {
    ProjectSpec {
        key: key.into(),
        admin_privileges: AdminPrivileges::default(),
    }
}

pub fn project_env(key: &str, name: &str) -> EnvironmentSpec {
    EnvironmentSpec {
        name: format!("{key}-{name}"),
        project: Some(key.into()),
    }
}

pub fn role(name: &str, project: Option<&str>, actions: &[&str], envs: &[&str]) -> RoleSpec {
    RoleSpec {
        name: name.into(),
        project: project.map(str::to_owned),
        role_type: if project.is_some() {
            RoleType::Custom
        } else {
            RoleType::CustomGlobal
        },
        grants: RoleGrants::Actions(actions.iter().map(|a| (*a).to_owned()).collect()),
        environments: envs.iter().map(|e| (*e).to_owned()).collect(),
    }
}

pub fn member(project: &str, principal: Principal, roles: &[&str]) -> MemberSpec {
    MemberSpec {
        project: project.into(),
        principal,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    }
}

pub fn user(name: &str) -> Principal {
    Principal::User(name.into())
}

pub fn group(name: &str) -> Principal {
    Principal::Group(name.into())
}

pub fn compile(model: &Model) -> Snapshot {
    Snapshot::compile(platform(), model).expect("the model compiles")
}

/// Whether `user` may do `action` in `project`/`env`, by names.
pub fn allows(snapshot: &Snapshot, user: &str, action: &str, project: &str, env: Option<&str>) -> bool {
    match snapshot.query(user, action, project, env).expect("a valid question") {
        Ok(q) => snapshot.check(&q).expect("a valid question"),
        Err(_) => false,
    }
}

/// Project settings for tests.
pub trait ProjectSpecExt {
    fn without_manage_members(self) -> Self;
}

impl ProjectSpecExt for ProjectSpec {
    fn without_manage_members(mut self) -> Self {
        self.admin_privileges.manage_members = false;
        self
    }
}
