//! Building snapshots: a full compile from a [`Model`], and one [`Change`]
//! applied to a copy that shares everything the change does not touch.
//!
//! Every edit first changes the source data (members, roles, back
//! references), then answers which compiled access it made stale; `apply`
//! refreshes just that, `compile` rebuilds every project once at the end.

use std::collections::BTreeSet;
use std::sync::Arc;

use imbl::OrdMap;

use super::access::{self, Access, HotAccess, RoleGrant, SharedSets, Source, Via};
use super::bits::Word;
use super::{
    EnvData, GroupData, ModelError, Name, PROJECT_ENV_SLOTS, ProjectData, ResourceData, RoleData, RoleEntry, Snapshot,
    UserData, pack_env,
};
use crate::catalogue::PROTECTED_ENVIRONMENTS;
use crate::ids::{EnvId, GroupId, ProjectId, RoleId, UserId};
use crate::model::{
    AdminPrivileges, Change, EnvironmentSpec, MemberSpec, Principal, ProjectSpec, ResourceSpec, RoleGrants, RoleSpec,
    UserSpec,
};
use crate::sets::ActionSet;

mod compile;

/// The compiled access an edit made stale.
#[must_use]
enum Stale {
    Nothing,
    /// These users' entries in this project.
    Users(ProjectId, Vec<UserId>),
    /// One user's entries in these projects.
    UserIn(UserId, Vec<ProjectId>),
    /// Every entry of these projects (a role or privilege changed).
    Perms(Vec<ProjectId>),
    /// Member tables of these projects.
    Rebuild(Vec<ProjectId>),
    /// The entries in these projects that held through a removed role or
    /// group.
    Dropped(Gone, Vec<ProjectId>),
}

/// What a removal took from memberships.
#[derive(Clone, Copy)]
enum Gone {
    Role(RoleId),
    Group(GroupId),
}

impl Gone {
    /// Whether `source` went with it.
    fn took(self, source: &Source) -> bool {
        match self {
            Self::Role(role) => source.role == role,
            Self::Group(group) => source.via == Via::Group(group),
        }
    }
}

fn insert_sorted<T: Ord>(items: &mut Vec<T>, item: T) {
    if let Err(at) = items.binary_search(&item) {
        items.insert(at, item);
    }
}

fn remove_sorted<T: Ord>(items: &mut Vec<T>, item: &T) {
    if let Ok(at) = items.binary_search(item) {
        items.remove(at);
    }
}

/// The roles `names` name, by `id_of`, sorted and deduplicated into `ids`
/// (cleared first): a member's role list. A member needs one role.
fn member_role_ids<'n>(
    names: &'n [String],
    member: &str,
    ids: &mut Vec<RoleId>,
    mut id_of: impl FnMut(&'n str) -> Option<RoleId>,
) -> Result<(), ModelError> {
    ids.clear();
    for name in names {
        ids.push(id_of(name).ok_or_else(|| ModelError::UnknownRole(name.clone()))?);
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(ModelError::MemberNeedsRole(member.to_owned()));
    }
    Ok(())
}

/// Allocates an id for the next item of a table.
fn next_id(len: usize) -> u32 {
    // Tables hold far fewer than 2^32 items: ids are dense and never reused.
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Snapshot {
    /// A new snapshot with `change` applied; `self` is untouched.
    ///
    /// # Errors
    /// A change that does not fit the model: unknown names, duplicates,
    /// a member without roles.
    pub fn apply(&self, change: &Change) -> Result<Self, ModelError> {
        self.apply_all(std::slice::from_ref(change))
    }

    /// A new snapshot with every change applied in order, or none of them.
    ///
    /// # Errors
    /// The first change that does not fit; `self` is untouched.
    pub fn apply_all(&self, changes: &[Change]) -> Result<Self, ModelError> {
        let mut s = self.clone();
        for change in changes {
            let stale = s.edit(change)?;
            s.refresh(stale);
        }
        s.sync_hot();
        Ok(s)
    }

    fn edit(&mut self, change: &Change) -> Result<Stale, ModelError> {
        match change {
            Change::PutUser(spec) => self.put_user(spec),
            Change::RemoveUser(name) => self.remove_user(name),
            Change::AddGroup(name) => self.add_group(name),
            Change::RemoveGroup(name) => self.remove_group(name),
            Change::AddGroupMember { group, user } => self.add_group_member(group, user),
            Change::RemoveGroupMember { group, user } => self.remove_group_member(group, user),
            Change::PutProject(spec) => self.put_project(spec),
            Change::RemoveProject(key) => self.remove_project(key),
            Change::AddEnvironment(spec) => self.add_environment(spec),
            Change::RemoveEnvironment(name) => self.remove_environment(name),
            Change::PutRole(spec) => self.put_role(spec),
            Change::RemoveRole { project, name } => self.remove_role(project.as_deref(), name),
            Change::SetMember(spec) => self.set_member(spec),
            Change::RemoveMember { project, principal } => self.remove_member(project, principal),
            Change::PutResource(spec) => self.put_resource(spec),
            Change::RemoveResource { resource_type, name } => self.remove_resource(resource_type, name),
        }
    }

    fn refresh(&mut self, stale: Stale) {
        match stale {
            Stale::Nothing => {}
            Stale::Users(project, users) => self.refresh_users(project, &users),
            Stale::UserIn(user, projects) => {
                for project in projects {
                    self.refresh_users(project, &[user]);
                }
            }
            Stale::Perms(projects) => {
                for project in projects {
                    self.with_project_shared(project, |s, data, shared| {
                        let removed = data.admin_removed;
                        data.access.refresh_perms(|sources| s.run_of(shared, sources, removed));
                    });
                }
            }
            Stale::Dropped(gone, projects) => {
                for project in projects {
                    self.with_project_shared(project, |s, data, shared| {
                        let removed = data.admin_removed;
                        let took = |source: &Source| gone.took(source);
                        data.access
                            .drop_sources(took, |sources| s.run_of(shared, sources, removed));
                        s.compact(data, shared);
                    });
                }
            }
            Stale::Rebuild(projects) => {
                for project in projects {
                    self.with_project_shared(project, |s, data, shared| {
                        data.access = s.build_access(data, |global| s.shared_set(shared, global));
                    });
                }
            }
        }
    }

    // ---- compiled access ------------------------------------------------

    /// Copies the hot part of every project an edit touched into `hot`.
    fn sync_hot(&mut self) {
        let mut stale = std::mem::take(&mut self.stale_hot);
        stale.sort_unstable();
        stale.dedup();
        for project in stale {
            let hot = self
                .project(project)
                .map_or_else(HotAccess::default, |d| d.access.hot());
            self.hot.set(project.index(), hot);
        }
    }

    /// Runs `f` on a private copy of the project's data and stores it back.
    fn with_project(&mut self, project: ProjectId, f: impl FnOnce(&Self, &mut ProjectData)) {
        if self.with_project_cold(project, f) {
            self.stale_hot.push(project);
        }
    }

    /// [`Snapshot::with_project`] for an edit that leaves the project's
    /// member table and permission runs as they are (its check-table entry
    /// is not copied again); false for a removed project, and `f` not run.
    fn with_project_cold(&mut self, project: ProjectId, f: impl FnOnce(&Self, &mut ProjectData)) -> bool {
        if self.project(project).is_none() {
            return false;
        }
        // Taken out of its slot, the data is shared only with older
        // snapshots, if at all: while compiling, `make_mut` copies nothing.
        let Some(mut data) = self.projects.get_mut(project.index()).and_then(Option::take) else {
            return false;
        };
        f(self, Arc::make_mut(&mut data));
        self.projects.set(project.index(), Some(data));
        true
    }

    /// [`Snapshot::with_project`] with the shared global-role sets at hand
    /// (taken out of the snapshot meanwhile: `f` must not read them there).
    fn with_project_shared(
        &mut self,
        project: ProjectId,
        f: impl FnOnce(&Self, &mut ProjectData, &mut Arc<SharedSets>),
    ) {
        let mut shared = std::mem::take(&mut self.shared);
        self.with_project(project, |s, data| f(s, data, &mut shared));
        self.shared = shared;
    }

    /// What every global role grants (but Project Admin), the same in
    /// every project.
    fn shared_grant(&self) -> impl Fn(RoleId) -> RoleGrant + '_ {
        move |role| self.role_grant_with(role, ActionSet::EMPTY)
    }

    /// Recomputes the shared sets after a global role or a global
    /// environment changed: no project is touched.
    fn refresh_shared(&mut self) {
        let mut shared = std::mem::take(&mut self.shared);
        Arc::make_mut(&mut shared).refresh(self.shared_grant(), &self.layout);
        self.shared = shared;
    }

    /// The run of a source set in a project whose Project Admin loses
    /// `admin_removed`: the index of the shared set of its other global
    /// roles, then the bits of what its project roles and Project Admin
    /// grant there.
    fn run_of(&self, shared: &mut Arc<SharedSets>, sources: &[Source], admin_removed: ActionSet) -> Vec<Word> {
        self.run_with(sources, admin_removed, |global| self.shared_set(shared, global))
    }

    /// [`Snapshot::run_of`] with `set_of` giving the index of the shared
    /// set of the global roles (sorted, deduplicated, never empty).
    fn run_with(
        &self,
        sources: &[Source],
        admin_removed: ActionSet,
        set_of: impl FnOnce(Vec<RoleId>) -> u32,
    ) -> Vec<Word> {
        let mut global: Vec<RoleId> = Vec::new();
        let mut own: Vec<RoleGrant> = Vec::with_capacity(sources.len());
        for source in sources {
            if self.is_shared_role(source.role) {
                global.push(source.role);
            } else {
                own.push(self.role_grant_with(source.role, admin_removed));
            }
        }
        global.sort_unstable();
        global.dedup();
        let set = (!global.is_empty()).then(|| set_of(global));
        access::run_of(own.into_iter(), set, &self.layout)
    }

    /// The index of the shared set of `global` (sorted, deduplicated),
    /// interned if new.
    pub(super) fn shared_set(&self, shared: &mut Arc<SharedSets>, global: Vec<RoleId>) -> u32 {
        match shared.find(&global) {
            Some(set) => set,
            None => Arc::make_mut(shared).intern(global, self.shared_grant(), &self.layout),
        }
    }

    /// What `user` holds in the project, directly or through groups, sorted
    /// (removed roles left out).
    pub(crate) fn sources_in(&self, data: &ProjectData, user: UserId) -> Vec<Source> {
        let mut sources: Vec<Source> = data
            .users
            .get(&user)
            .map(|roles| {
                roles
                    .iter()
                    .map(|role| Source {
                        via: Via::Direct,
                        role: *role,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(u) = self.user(user) {
            for group in &u.groups {
                if let Some(roles) = data.groups.get(group) {
                    sources.extend(roles.iter().map(|role| Source {
                        via: Via::Group(*group),
                        role: *role,
                    }));
                }
            }
        }
        if self.removed_roles_held {
            sources.retain(|s| self.is_live_role(s.role));
        }
        sources.sort_unstable();
        sources.dedup();
        sources
    }

    /// Compiles a project's access from its memberships (the
    /// [`Snapshot::access_pairs`] built by [`Snapshot::access_of`]).
    fn build_access(&self, data: &ProjectData, set_of: impl FnMut(Vec<RoleId>) -> u32) -> Access {
        self.access_of(data, &self.access_pairs(data), set_of)
    }

    /// Every (user, source) pair of a project, from the direct memberships
    /// and each member group's members, sorted so that each user's sources
    /// come together, sorted and deduplicated, as [`Snapshot::sources_in`]
    /// gives them. One pass over the memberships, where asking each user's
    /// groups would read every member's user data (a cache miss each at a
    /// million users).
    pub(super) fn access_pairs(&self, data: &ProjectData) -> Vec<(UserId, Source)> {
        let mut pairs: Vec<(UserId, Source)> = Vec::new();
        for (user, roles) in &data.users {
            pairs.extend(roles.iter().map(|role| {
                let source = Source {
                    via: Via::Direct,
                    role: *role,
                };
                (*user, source)
            }));
        }
        for (group, roles) in &data.groups {
            for user in self.group_members(*group) {
                pairs.extend(roles.iter().map(|role| {
                    let source = Source {
                        via: Via::Group(*group),
                        role: *role,
                    };
                    (*user, source)
                }));
            }
        }
        if self.removed_roles_held {
            pairs.retain(|(_, s)| self.is_live_role(s.role));
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// A project's access from its [`Snapshot::access_pairs`]; `set_of`
    /// gives the index of a shared set of global roles, as
    /// [`Snapshot::run_with`] asks.
    pub(super) fn access_of(
        &self,
        data: &ProjectData,
        pairs: &[(UserId, Source)],
        mut set_of: impl FnMut(Vec<RoleId>) -> u32,
    ) -> Access {
        let by_user = || pairs.chunk_by(|a, b| a.0 == b.0);
        Access::build(
            by_user().map(|run| (run[0].0, run.iter().map(|(_, source)| *source))),
            by_user().count(),
            |sources| self.run_with(sources, data.admin_removed, &mut set_of),
        )
    }

    fn refresh_users(&mut self, project: ProjectId, users: &[UserId]) {
        self.with_project_shared(project, |s, data, shared| {
            let removed = data.admin_removed;
            for user in users {
                let sources = s.sources_in(data, *user);
                data.access
                    .set_user(*user, sources, |sources| s.run_of(shared, sources, removed));
            }
            s.compact(data, shared);
        });
    }

    /// Rebuilds a project's access after an edit left it with too many
    /// dead source sets, words or removed users' entries.
    fn compact(&self, data: &mut ProjectData, shared: &mut Arc<SharedSets>) {
        if data.access.needs_compaction() {
            data.access = self.build_access(data, |global| self.shared_set(shared, global));
        }
    }

    fn projects_holding(&self, role: RoleId) -> Vec<ProjectId> {
        self.project_names
            .values()
            .copied()
            .filter(|p| {
                self.project(*p)
                    .is_some_and(|d| d.users.values().chain(d.groups.values()).any(|r| r.contains(&role)))
            })
            .collect()
    }

    /// The projects whose runs depend on what `role` grants: its own
    /// project, none for a shared global role (the shared sets hold it),
    /// the projects where someone holds it for Project Admin.
    fn projects_using(&self, role: RoleId) -> Vec<ProjectId> {
        match self.role_data(role).and_then(|r| r.project) {
            Some(project) => vec![project],
            None if self.is_shared_role(role) => Vec::new(),
            None => self
                .project_names
                .values()
                .copied()
                .filter(|p| self.project(*p).is_some_and(|d| d.access.uses_role(role)))
                .collect(),
        }
    }

    // ---- users and groups -----------------------------------------------

    fn user_named(&self, name: &str) -> Result<UserId, ModelError> {
        self.user_id(name)
            .ok_or_else(|| ModelError::UnknownUser(name.to_owned()))
    }

    fn group_named(&self, name: &str) -> Result<GroupId, ModelError> {
        self.group_id(name)
            .ok_or_else(|| ModelError::UnknownGroup(name.to_owned()))
    }

    fn project_named(&self, key: &str) -> Result<ProjectId, ModelError> {
        self.project_id(key)
            .ok_or_else(|| ModelError::UnknownProject(key.to_owned()))
    }

    fn update_user(&mut self, user: UserId, f: impl FnOnce(&mut UserData)) {
        if let Some(Some(data)) = self.users.get_mut(user.index()) {
            f(Arc::make_mut(data));
        }
    }

    fn update_group(&mut self, group: GroupId, f: impl FnOnce(&mut GroupData)) {
        if let Some(Some(data)) = self.groups.get_mut(group.index()) {
            f(Arc::make_mut(data));
        }
    }

    fn put_user(&mut self, spec: &UserSpec) -> Result<Stale, ModelError> {
        let user = match self.user_id(&spec.name) {
            Some(user) => {
                self.update_user(user, |u| {
                    u.status = spec.status;
                    u.admin = spec.admin;
                    u.kind = spec.kind;
                    u.account_permissions = spec.account_permissions;
                });
                user
            }
            None => {
                let user = UserId(next_id(self.users.len()));
                self.users.push(Some(Arc::new(UserData {
                    name: spec.name.as_str().into(),
                    status: spec.status,
                    admin: spec.admin,
                    kind: spec.kind,
                    account_permissions: spec.account_permissions,
                    groups: Vec::new(),
                    projects: Vec::new(),
                })));
                self.user_flags.push(0);
                self.user_names.insert(Name::new(&spec.name), user);
                user
            }
        };
        let flags = self.user(user).map_or(0, UserData::flags);
        self.user_flags.set(user.index(), flags);
        if spec.admin {
            self.admins.insert(user);
        } else {
            self.admins.remove(&user);
        }
        // Status and admin are flags read at check time: no table changes.
        Ok(Stale::Nothing)
    }

    fn remove_user(&mut self, name: &str) -> Result<Stale, ModelError> {
        let user = self.user_named(name)?;
        let Some(data) = self.user(user).cloned() else {
            return Ok(Stale::Nothing);
        };
        let mut projects: BTreeSet<ProjectId> = data.projects.iter().copied().collect();
        for group in &data.groups {
            projects.extend(self.group(*group).map(|g| g.projects.clone()).unwrap_or_default());
            self.update_group(*group, |g| remove_sorted(&mut g.members, &user));
        }
        self.users.set(user.index(), None);
        self.user_flags.set(user.index(), 0);
        self.user_names.remove(name);
        self.admins.remove(&user);
        // The user's entries stay in the member tables it was in: every
        // reader of a table asks the user's flags first, which now say
        // unknown, so no answer changes, and a project copies no table.
        // A project rebuilds its tables once such entries are many.
        let mut crowded = Vec::new();
        for project in projects {
            self.with_project_cold(project, |_, d| {
                d.users.remove(&user);
                d.access.depart(user);
                if d.access.needs_compaction() {
                    crowded.push(project);
                }
            });
        }
        Ok(Stale::Rebuild(crowded))
    }

    fn add_group(&mut self, name: &str) -> Result<Stale, ModelError> {
        if self.group_id(name).is_some() {
            return Err(ModelError::AlreadyExists(name.to_owned()));
        }
        let group = GroupId(next_id(self.groups.len()));
        self.groups.push(Some(Arc::new(GroupData {
            name: name.into(),
            members: Vec::new(),
            projects: Vec::new(),
        })));
        self.group_names.insert(Name::new(name), group);
        Ok(Stale::Nothing)
    }

    fn remove_group(&mut self, name: &str) -> Result<Stale, ModelError> {
        let group = self.group_named(name)?;
        let Some(data) = self.group(group).cloned() else {
            return Ok(Stale::Nothing);
        };
        for project in &data.projects {
            self.with_project(*project, |_, d| {
                d.groups.remove(&group);
            });
        }
        for user in &data.members {
            self.update_user(*user, |u| remove_sorted(&mut u.groups, &group));
        }
        self.groups.set(group.index(), None);
        self.group_names.remove(name);
        Ok(Stale::Dropped(Gone::Group(group), data.projects.clone()))
    }

    fn add_group_member(&mut self, group: &str, user: &str) -> Result<Stale, ModelError> {
        let (group, user) = (self.group_named(group)?, self.user_named(user)?);
        Ok(self.add_group_member_id(group, user))
    }

    fn add_group_member_id(&mut self, group: GroupId, user: UserId) -> Stale {
        self.update_group(group, |g| insert_sorted(&mut g.members, user));
        self.update_user(user, |u| insert_sorted(&mut u.groups, group));
        let projects = self.group(group).map(|g| g.projects.clone()).unwrap_or_default();
        Stale::UserIn(user, projects)
    }

    fn remove_group_member(&mut self, group: &str, user: &str) -> Result<Stale, ModelError> {
        let (group, user) = (self.group_named(group)?, self.user_named(user)?);
        self.update_group(group, |g| remove_sorted(&mut g.members, &user));
        self.update_user(user, |u| remove_sorted(&mut u.groups, &group));
        let projects = self.group(group).map(|g| g.projects.clone()).unwrap_or_default();
        Ok(Stale::UserIn(user, projects))
    }

    // ---- projects and environments ------------------------------------

    fn admin_removed(&self, privileges: AdminPrivileges) -> ActionSet {
        [
            ("manage_members", privileges.manage_members),
            ("manage_resources", privileges.manage_resources),
            ("index_resources", privileges.index_resources),
        ]
        .into_iter()
        .filter(|(_, kept)| !kept)
        .filter_map(|(short, _)| self.catalogue.project_action(short))
        .collect()
    }

    fn put_project(&mut self, spec: &ProjectSpec) -> Result<Stale, ModelError> {
        let admin_removed = self.admin_removed(spec.admin_privileges);
        if let Some(project) = self.project_id(&spec.key) {
            self.with_project(project, |_, d| {
                d.privileges = spec.admin_privileges;
                d.admin_removed = admin_removed;
            });
            return Ok(Stale::Perms(vec![project]));
        }
        let project = ProjectId(next_id(self.projects.len()));
        self.projects.push(Some(Arc::new(ProjectData {
            key: spec.key.as_str().into(),
            privileges: spec.admin_privileges,
            admin_removed,
            envs: Vec::new(),
            roles: Vec::new(),
            users: OrdMap::new(),
            groups: OrdMap::new(),
            access: Access::default(),
        })));
        self.hot.push(Access::default().hot());
        self.project_names.insert(Name::new(&spec.key), project);
        Ok(Stale::Nothing)
    }

    fn remove_project(&mut self, key: &str) -> Result<Stale, ModelError> {
        let project = self.project_named(key)?;
        let Some(data) = self.project(project).cloned() else {
            return Ok(Stale::Nothing);
        };
        for role in &data.roles {
            self.roles.set(role.index(), RoleEntry::default());
        }
        for env in &data.envs {
            if let Some(name) = self.env_name(*env).map(str::to_owned) {
                self.env_names.remove(name.as_str());
            }
            self.envs.set(env.index(), None);
            self.env_slots.set(env.index(), 0);
        }
        // Its members' lists of projects keep naming it (no user or group is
        // copied): a removed project has no entry to find there.
        self.projects.set(project.index(), None);
        self.hot.set(project.index(), HotAccess::default());
        self.project_names.remove(key);
        self.drop_resources(|r| r.project == project);
        Ok(Stale::Nothing)
    }

    fn add_environment(&mut self, spec: &EnvironmentSpec) -> Result<Stale, ModelError> {
        if self.env_id(&spec.name).is_some() {
            return Err(ModelError::AlreadyExists(spec.name.clone()));
        }
        let owner = spec.project.as_deref().map(|k| self.project_named(k)).transpose()?;
        let taken = match owner.and_then(|p| self.project(p)) {
            Some(data) => {
                !PROJECT_ENV_SLOTS
                    | data
                        .envs
                        .iter()
                        .filter_map(|e| self.envs.get(e.index()).and_then(Option::as_ref))
                        .fold(0, |m, e| m | 1u64 << e.slot)
            }
            None => !0xFFFF_FFFF | self.global_env_slots,
        };
        if taken == u64::MAX {
            return Err(ModelError::TooManyEnvironments(spec.name.clone()));
        }
        // trailing_ones of a mask with a zero bit is below 64.
        let slot = taken.trailing_ones() as u8;
        let env = EnvId(next_id(self.envs.len()));
        let data = EnvData {
            name: spec.name.as_str().into(),
            project: owner,
            slot,
        };
        self.env_slots.push(pack_env(Some(&data)));
        self.envs.push(Some(data));
        self.env_names.insert(Name::new(&spec.name), env);
        match owner {
            Some(project) => self.with_project(project, |_, d| d.envs.push(env)),
            None => {
                self.global_env_slots |= 1 << slot;
                // Ids only grow: pushing keeps the list sorted.
                self.global_envs.push(env);
            }
        }
        Ok(Stale::Nothing)
    }

    fn remove_environment(&mut self, name: &str) -> Result<Stale, ModelError> {
        if PROTECTED_ENVIRONMENTS.contains(&name) {
            return Err(ModelError::ProtectedEnvironment(name.to_owned()));
        }
        let env = self
            .env_id(name)
            .ok_or_else(|| ModelError::UnknownEnvironment(name.to_owned()))?;
        let Some(data) = self.envs.get(env.index()).cloned().flatten() else {
            return Ok(Stale::Nothing);
        };
        let candidates: Vec<RoleId> = match data.project {
            Some(project) => self.project_roles(project).to_vec(),
            None => (0..self.roles.len()).map(|i| RoleId(next_id(i))).collect(),
        };
        let mut stale: BTreeSet<ProjectId> = BTreeSet::new();
        for role in candidates {
            if !self.role_data(role).is_some_and(|r| r.envs.contains(&env)) {
                continue;
            }
            stale.extend(self.projects_using(role));
            if let Some(mut r) = self.role_data(role).cloned() {
                r.envs.retain(|e| *e != env);
                r.env_mask &= !(1u64 << data.slot);
                self.roles.set(role.index(), RoleEntry::new(r));
            }
        }
        match data.project {
            Some(project) => self.with_project(project, |_, d| d.envs.retain(|e| *e != env)),
            None => {
                self.global_env_slots &= !(1u64 << data.slot);
                self.global_envs.retain(|e| *e != env);
                self.refresh_shared();
            }
        }
        self.envs.set(env.index(), None);
        self.env_slots.set(env.index(), 0);
        self.env_names.remove(name);
        self.drop_resources(|r| r.env == Some(env));
        Ok(Stale::Perms(stale.into_iter().collect()))
    }

    // ---- roles and members ----------------------------------------------

    fn role_actions(&self, grants: &RoleGrants) -> Result<(ActionSet, Option<Vec<String>>), ModelError> {
        match grants {
            RoleGrants::Categories(ids) => self
                .catalogue
                .expand_categories(ids.iter().map(String::as_str))
                .map(|actions| (actions, Some(ids.clone())))
                .map_err(|id| ModelError::UnknownCategory(id.to_owned())),
            RoleGrants::Actions(names) => names
                .iter()
                .map(|n| {
                    self.catalogue
                        .resolve_action(n)
                        .ok_or_else(|| ModelError::UnknownAction(n.clone()))
                })
                .collect::<Result<ActionSet, _>>()
                .map(|actions| (actions, None)),
        }
    }

    fn put_role(&mut self, spec: &RoleSpec) -> Result<Stale, ModelError> {
        let project = spec.project.as_deref().map(|k| self.project_named(k)).transpose()?;
        let (actions, categories) = self.role_actions(&spec.grants)?;
        let mut envs = Vec::with_capacity(spec.environments.len());
        let mut env_mask = 0u64;
        for name in &spec.environments {
            let env = self.env_id(name).filter(|e| match self.env_project(*e) {
                None => true,
                Some(owner) => Some(owner) == project,
            });
            let env = env.ok_or_else(|| ModelError::UnknownEnvironment(name.clone()))?;
            let slot = self
                .envs
                .get(env.index())
                .and_then(Option::as_ref)
                .map_or(0, |e| e.slot);
            if env_mask & (1 << slot) == 0 {
                env_mask |= 1 << slot;
                envs.push(env);
            }
        }
        let existing = match project {
            None => self.global_roles.get(spec.name.as_str()).copied(),
            Some(p) => self
                .project_roles(p)
                .iter()
                .copied()
                .find(|r| self.role_data(*r).is_some_and(|d| *d.name == *spec.name)),
        };
        let data = RoleData {
            name: spec.name.as_str().into(),
            project,
            role_type: spec.role_type,
            categories,
            actions,
            envs,
            env_mask,
        };
        if let Some(role) = existing {
            let shared = self.is_shared_role(role);
            let stale = self.projects_using(role);
            self.roles.set(role.index(), RoleEntry::new(data));
            // A role changing between Project Admin and another type (not
            // an edit SPEC allows) would move between the shared sets and
            // the projects' own runs: rebuild what holds it.
            if shared != self.is_shared_role(role) {
                self.refresh_shared();
                return Ok(Stale::Rebuild(self.projects_holding(role)));
            }
            if shared {
                self.refresh_shared();
            }
            return Ok(Stale::Perms(stale));
        }
        let clash = match project {
            Some(_) => self.global_roles.contains_key(spec.name.as_str()),
            None => self.project_names.values().any(|p| {
                self.project_roles(*p)
                    .iter()
                    .any(|r| self.role_data(*r).is_some_and(|d| *d.name == *spec.name))
            }),
        };
        if clash {
            return Err(ModelError::AlreadyExists(spec.name.clone()));
        }
        let role = RoleId(next_id(self.roles.len()));
        self.roles.push(RoleEntry::new(data));
        match project {
            Some(p) => self.with_project(p, |_, d| d.roles.push(role)),
            None => {
                self.global_roles.insert(spec.name.as_str().into(), role);
            }
        }
        Ok(Stale::Nothing)
    }

    fn remove_role(&mut self, project: Option<&str>, name: &str) -> Result<Stale, ModelError> {
        let owner = project.map(|k| self.project_named(k)).transpose()?;
        let role = match owner {
            None => self.global_roles.get(name).copied(),
            Some(p) => self
                .role_id(Some(p), name)
                .filter(|r| self.role_data(*r).is_some_and(|d| d.project == Some(p))),
        };
        let role = role.ok_or_else(|| ModelError::UnknownRole(name.to_owned()))?;
        if self.is_shared_role(role) {
            return Ok(self.empty_shared_role(role, name));
        }
        // A project role is held in its project only.
        let projects = match owner {
            Some(p) => self
                .project(p)
                .is_some_and(|d| d.users.values().chain(d.groups.values()).any(|r| r.contains(&role)))
                .then_some(p)
                .into_iter()
                .collect(),
            None => self.projects_holding(role),
        };
        // Only its holders' entries change, each to what it holds without it.
        for project in &projects {
            let project = *project;
            let mut dropped_users = Vec::new();
            let mut dropped_groups = Vec::new();
            self.with_project(project, |_, d| {
                d.users = strip_role(&d.users, role, &mut dropped_users);
                d.groups = strip_role(&d.groups, role, &mut dropped_groups);
            });
            for user in dropped_users {
                self.update_user(user, |u| remove_sorted(&mut u.projects, &project));
            }
            for group in dropped_groups {
                self.update_group(group, |g| remove_sorted(&mut g.projects, &project));
            }
        }
        match owner {
            Some(p) => self.with_project(p, |_, d| d.roles.retain(|r| *r != role)),
            None => {
                self.global_roles.remove(name);
            }
        }
        self.roles.set(role.index(), RoleEntry::default());
        Ok(Stale::Dropped(Gone::Role(role), projects))
    }

    /// Removes a global role (but Project Admin) without touching any
    /// project: the shared sets that hold it are recomputed without it, so
    /// no check is allowed by it any more, and the memberships that name
    /// it keep naming a removed role, which every reader skips
    /// (`is_live_role`) and each membership drops when its project next
    /// rebuilds a holder's entry. Work in the number of distinct sets of
    /// global roles, where dropping it from every membership (8,000 at
    /// scale 1, 850,000 at scale 100) copied every project holding it.
    fn empty_shared_role(&mut self, role: RoleId, name: &str) -> Stale {
        self.global_roles.remove(name);
        self.roles.set(role.index(), RoleEntry::default());
        self.removed_roles_held = true;
        self.refresh_shared();
        Stale::Nothing
    }

    fn member_roles(&self, project: ProjectId, names: &[String], member: &str) -> Result<Arc<[RoleId]>, ModelError> {
        let mut roles = Vec::with_capacity(names.len());
        member_role_ids(names, member, &mut roles, |n| self.role_id(Some(project), n))?;
        Ok(roles.into())
    }

    fn set_member(&mut self, spec: &MemberSpec) -> Result<Stale, ModelError> {
        let project = self.project_named(&spec.project)?;
        Ok(match &spec.principal {
            Principal::User(name) => {
                let user = self.user_named(name)?;
                let roles = self.member_roles(project, &spec.roles, name)?;
                self.set_user_member(project, user, roles)
            }
            Principal::Group(name) => {
                let group = self.group_named(name)?;
                let roles = self.member_roles(project, &spec.roles, name)?;
                self.set_group_member(project, group, roles)
            }
        })
    }

    /// Gives `user` exactly `roles` in `project`.
    fn set_user_member(&mut self, project: ProjectId, user: UserId, roles: Arc<[RoleId]>) -> Stale {
        self.with_project(project, |_, d| {
            d.users.insert(user, roles);
        });
        self.update_user(user, |u| insert_sorted(&mut u.projects, project));
        Stale::Users(project, vec![user])
    }

    /// Gives `group` exactly `roles` in `project`.
    fn set_group_member(&mut self, project: ProjectId, group: GroupId, roles: Arc<[RoleId]>) -> Stale {
        self.with_project(project, |_, d| {
            d.groups.insert(group, roles);
        });
        self.update_group(group, |g| insert_sorted(&mut g.projects, project));
        Stale::Users(project, self.group_members(group).to_vec())
    }

    fn remove_member(&mut self, key: &str, principal: &Principal) -> Result<Stale, ModelError> {
        let project = self.project_named(key)?;
        match principal {
            Principal::User(name) => {
                let user = self.user_named(name)?;
                self.with_project(project, |_, d| {
                    d.users.remove(&user);
                });
                self.update_user(user, |u| remove_sorted(&mut u.projects, &project));
                Ok(Stale::Users(project, vec![user]))
            }
            Principal::Group(name) => {
                let group = self.group_named(name)?;
                self.with_project(project, |_, d| {
                    d.groups.remove(&group);
                });
                self.update_group(group, |g| remove_sorted(&mut g.projects, &project));
                Ok(Stale::Users(project, self.group_members(group).to_vec()))
            }
        }
    }
}

impl Snapshot {
    // ---- resources (SPEC §5.6) ------------------------------------------

    /// Registers a resource, or moves it: checks touch no compiled access.
    fn put_resource(&mut self, spec: &ResourceSpec) -> Result<Stale, ModelError> {
        let scoped = self
            .catalogue
            .resource_types()
            .iter()
            .find(|t| t.id == spec.resource_type)
            .map(|t| t.env_scoped)
            .ok_or_else(|| ModelError::UnknownResourceType(spec.resource_type.clone()))?;
        let project = self.project_named(&spec.project)?;
        let label = || format!("{}/{}", spec.resource_type, spec.name);
        let env = match (&spec.environment, scoped) {
            (None, false) => None,
            (None, true) => return Err(ModelError::ResourceNeedsEnvironment(label())),
            (Some(_), false) => return Err(ModelError::ResourceTakesNoEnvironment(label())),
            (Some(name), true) => Some(
                self.env_id(name)
                    .filter(|e| self.env_slot(*e, project).is_some())
                    .ok_or_else(|| ModelError::UnknownEnvironment(name.clone()))?,
            ),
        };
        let data = ResourceData { project, env };
        let name: Arc<str> = spec.name.as_str().into();
        match self.resources.get_mut(spec.resource_type.as_str()) {
            Some(names) => {
                names.insert(name, data);
            }
            None => {
                self.resources
                    .insert(spec.resource_type.as_str().into(), OrdMap::unit(name, data));
            }
        }
        Ok(Stale::Nothing)
    }

    fn remove_resource(&mut self, resource_type: &str, name: &str) -> Result<Stale, ModelError> {
        let removed = self
            .resources
            .get_mut(resource_type)
            .and_then(|names| names.remove(name));
        if removed.is_none() {
            return Err(ModelError::UnknownResource(format!("{resource_type}/{name}")));
        }
        if self.resources.get(resource_type).is_some_and(OrdMap::is_empty) {
            self.resources.remove(resource_type);
        }
        Ok(Stale::Nothing)
    }

    /// Removes every resource `gone` matches (a project or an environment
    /// was removed); maps without a match stay shared.
    fn drop_resources(&mut self, gone: impl Fn(&ResourceData) -> bool) {
        let touched: Vec<Arc<str>> = self
            .resources
            .iter()
            .filter(|(_, names)| names.values().any(&gone))
            .map(|(t, _)| Arc::clone(t))
            .collect();
        for resource_type in touched {
            let Some(names) = self.resources.get(&*resource_type) else {
                continue;
            };
            let kept: OrdMap<Arc<str>, ResourceData> = names
                .iter()
                .filter(|(_, r)| !gone(r))
                .map(|(n, r)| (Arc::clone(n), *r))
                .collect();
            if kept.is_empty() {
                self.resources.remove(&*resource_type);
            } else {
                self.resources.insert(resource_type, kept);
            }
        }
    }
}

/// The members without `role`; those left with no role are dropped and reported.
fn strip_role<K: Ord + Clone>(
    members: &OrdMap<K, Arc<[RoleId]>>,
    role: RoleId,
    dropped: &mut Vec<K>,
) -> OrdMap<K, Arc<[RoleId]>> {
    let mut out = members.clone();
    for (key, roles) in members {
        if !roles.contains(&role) {
            continue;
        }
        let rest: Vec<RoleId> = roles.iter().copied().filter(|r| *r != role).collect();
        if rest.is_empty() {
            out.remove(key);
            dropped.push(key.clone());
        } else {
            out.insert(key.clone(), rest.into());
        }
    }
    out
}
