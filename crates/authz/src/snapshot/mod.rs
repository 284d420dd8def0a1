//! The compiled, immutable permission model that checks read. A snapshot is
//! cheap to clone: its tables are chunked behind `Arc`s and persistent maps,
//! so [`Snapshot::apply`] shares everything a change does not touch and
//! readers of the old snapshot never wait.

mod access;
mod bits;
mod edit;
mod pairs;
mod table;

use std::borrow::Cow;
use std::sync::Arc;

use imbl::{GenericHashMap, OrdMap, OrdSet};

use crate::account::AccountPermissions;
use crate::catalogue::{Catalogue, RoleType};
use crate::chunk_vec::{ChunkVec, PagedVec, SHARED_CHUNK, SharedVec};
use crate::ids::{EnvId, GroupId, ProjectId, RoleId, UserId};
use crate::model::{AdminPrivileges, UserKind, UserStatus};
use crate::sets::ActionSet;
pub(crate) use access::{Access, HotAccess, PermRef, SharedPerms, SharedSets, SnapshotPerms, Via, unpack};
pub(crate) use bits::Layout;

/// A persistent name map: an edit copies a path, not the map. A check asked
/// by name looks up a user, a project and an environment here: hashed with
/// foldhash, seeded per map, rather than SipHash, and keyed by names kept
/// inline up to 23 bytes, compared without reading another cache line.
type PMap<V> = GenericHashMap<Name, V, foldhash::fast::RandomState, imbl::shared_ptr::DefaultSharedPtr>;

/// A name as a name map keys it.
pub(crate) type Name = smol_str::SmolStr;

/// A model that cannot be compiled, or a change that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No user has this name.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// No group has this name.
    #[error("unknown group `{0}`")]
    UnknownGroup(String),
    /// No project has this key.
    #[error("unknown project `{0}`")]
    UnknownProject(String),
    /// No environment has this name (or it belongs to another project).
    #[error("unknown environment `{0}`")]
    UnknownEnvironment(String),
    /// No role of this name is usable here.
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    /// The catalogue has no such action.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// The catalogue has no such category.
    #[error("unknown category `{0}`")]
    UnknownCategory(String),
    /// A user, group, project, environment or role of this name exists.
    #[error("`{0}` already exists")]
    AlreadyExists(String),
    /// Every environment slot is taken (30 global, 30 per project, with room to spare).
    #[error("no environment slot left for `{0}`")]
    TooManyEnvironments(String),
    /// `DEV` and `PROD` cannot be removed.
    #[error("environment `{0}` is protected")]
    ProtectedEnvironment(String),
    /// A member needs at least one role.
    #[error("member `{0}` needs at least one role")]
    MemberNeedsRole(String),
    /// The catalogue has no such resource type.
    #[error("unknown resource type `{0}`")]
    UnknownResourceType(String),
    /// No resource of this type and name is registered (`type/name`).
    #[error("unknown resource `{0}`")]
    UnknownResource(String),
    /// The resource's type is environment-scoped and no environment was named.
    #[error("resource `{0}` needs an environment: its type is environment-scoped")]
    ResourceNeedsEnvironment(String),
    /// The resource's type is not environment-scoped, yet an environment was named.
    #[error("resource `{0}` takes no environment: its type is not environment-scoped")]
    ResourceTakesNoEnvironment(String),
}

/// Who sees a packed environment (bits 16–): 0 for an unknown one, this
/// for a global one, its owning project's id plus two for a project's.
const ENV_GLOBAL: u64 = 1;

/// Packs an environment for the check path: bits 0–7 hold its slot, bits
/// 8–15 the slot's row in a permission run ([`bits::row_of`]), bits 16–
/// who sees it (see [`ENV_GLOBAL`]); 0 for an unknown environment.
pub(crate) fn pack_env(data: Option<&EnvData>) -> u64 {
    data.map_or(0, |e| {
        let seen_by = e.project.map_or(ENV_GLOBAL, |p| u64::from(p.0) + 2);
        u64::from(e.slot) | u64::from(bits::row_of(e.slot)) << 8 | seen_by << 16
    })
}

// The bits of a user's flag byte (`UserData::flags`; 0 for no user). A
// check tests the byte against `USER_EXISTS` alone first
// (`is_plain_flag`): a new bit must be decided where that test fails.
const USER_EXISTS: u8 = 1;
const USER_BLOCKED: u8 = 2;
const USER_ADMIN: u8 = 4;
/// Environment slots 0..32 are global, 32..63 belong to one project; bit
/// 63 is never a slot.
const PROJECT_ENV_SLOTS: u64 = 0x7FFF_FFFF_0000_0000;
/// Every environment slot: the mask of a check whose action is not
/// environment-scoped.
pub(crate) const ALL_SLOTS: u64 = !(1 << 63);

#[derive(Clone, Debug)]
pub(crate) struct UserData {
    pub(crate) name: Arc<str>,
    pub(crate) status: UserStatus,
    pub(crate) admin: bool,
    pub(crate) kind: UserKind,
    pub(crate) account_permissions: AccountPermissions,
    // INVARIANT: sorted, and `groups[g].members` holds this user for each g.
    pub(crate) groups: Vec<GroupId>,
    // INVARIANT: sorted: the projects with a direct membership of this
    // user, and maybe removed projects and ones where that membership holds
    // only removed roles (both are left for readers to skip, so that
    // removing a project or a global role touches no user).
    pub(crate) projects: Vec<ProjectId>,
}

impl UserData {
    fn flags(&self) -> u8 {
        let mut flags = USER_EXISTS;
        if self.status.is_blocked() {
            flags |= USER_BLOCKED;
        }
        if self.admin {
            flags |= USER_ADMIN;
        }
        flags
    }
}

#[derive(Clone, Debug)]
pub(crate) struct GroupData {
    pub(crate) name: Arc<str>,
    // INVARIANT: sorted; mirrors `UserData::groups`.
    pub(crate) members: Vec<UserId>,
    // INVARIANT: sorted: the projects where this group is a member, and
    // maybe others, as `UserData::projects`.
    pub(crate) projects: Vec<ProjectId>,
}

#[derive(Clone, Debug)]
pub(crate) struct EnvData {
    pub(crate) name: Arc<str>,
    pub(crate) project: Option<ProjectId>,
    // INVARIANT: below 32 for global environments, 32..64 for project ones,
    // unique among the environments visible in one project.
    pub(crate) slot: u8,
}

#[derive(Clone, Debug)]
pub(crate) struct RoleData {
    pub(crate) name: Arc<str>,
    pub(crate) project: Option<ProjectId>,
    pub(crate) role_type: RoleType,
    /// Basic-mode categories; `None` in Advanced mode.
    pub(crate) categories: Option<Vec<String>>,
    pub(crate) actions: ActionSet,
    pub(crate) envs: Vec<EnvId>,
    // INVARIANT: the slots of `envs`.
    pub(crate) env_mask: u64,
}

/// A role as the snapshot keeps it: its data, and what it grants inline,
/// since explanations read the grant of every role a user holds (one
/// load from the roles' table, rather than the table, then the data).
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleEntry {
    // INVARIANT: `actions`, `env_mask` and `admin` are `data`'s actions,
    // environment slots and whether it is the ADMIN role (empty, 0 and
    // false without data).
    actions: ActionSet,
    env_mask: u64,
    admin: bool,
    data: Option<Arc<RoleData>>,
}

impl RoleEntry {
    pub(crate) fn new(data: RoleData) -> Self {
        Self {
            actions: data.actions,
            env_mask: data.env_mask,
            admin: data.role_type == RoleType::Admin,
            data: Some(Arc::new(data)),
        }
    }

    fn data(&self) -> Option<&RoleData> {
        self.data.as_deref()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ProjectData {
    pub(crate) key: Arc<str>,
    pub(crate) privileges: AdminPrivileges,
    /// Actions the ADMIN role loses here (privileges turned off).
    pub(crate) admin_removed: ActionSet,
    pub(crate) envs: Vec<EnvId>,
    pub(crate) roles: Vec<RoleId>,
    pub(crate) users: OrdMap<UserId, Arc<[RoleId]>>,
    pub(crate) groups: OrdMap<GroupId, Arc<[RoleId]>>,
    // INVARIANT: for every user u, `access` maps u to the sorted union of
    // `users[u]` and `groups[g]` over u's groups g (absent when empty), but
    // for removed roles, which either may name or not (see
    // `Snapshot::removed_roles_held`).
    pub(crate) access: Access,
}

/// Where a registered resource lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResourceData {
    pub(crate) project: ProjectId,
    pub(crate) env: Option<EnvId>,
}

/// Registered resources: type → name → place.
pub(crate) type Resources = OrdMap<Arc<str>, OrdMap<Arc<str>, ResourceData>>;

/// The compiled permission model. Clone it freely; derive new ones with
/// [`Snapshot::apply`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    catalogue: Arc<Catalogue>,
    // Where checks find each action's bits (from the catalogue).
    layout: Layout,
    revision: u64,
    // Read by every check.
    user_flags: ChunkVec<u8>,
    // INVARIANT: `hot[p]` is `projects[p].access.hot()` (not live when the
    // project is absent); `env_slots[e]` packs `envs[e]` (see `pack_env`).
    hot: ChunkVec<HotAccess, SHARED_CHUNK>,
    env_slots: ChunkVec<u64>,
    // The distinct sets of global roles (but Project Admin) held in some
    // project, and what each grants: project runs refer to them by index.
    shared: Arc<SharedSets>,
    // Projects whose `hot` entry an edit in progress made stale; empty in
    // every snapshot `compile` or `apply_all` returns (edits refresh `hot`
    // once at the end, so that a bulk edit does not copy a table per change).
    stale_hot: Vec<ProjectId>,
    projects: SharedVec<Option<Arc<ProjectData>>>,
    envs: SharedVec<Option<EnvData>>,
    // Read by explanations, reverse questions and edits.
    users: PagedVec<Option<Arc<UserData>>>,
    groups: PagedVec<Option<Arc<GroupData>>>,
    roles: SharedVec<RoleEntry>,
    user_names: PMap<UserId>,
    group_names: PMap<GroupId>,
    project_names: PMap<ProjectId>,
    env_names: PMap<EnvId>,
    global_roles: OrdMap<Arc<str>, RoleId>,
    global_env_slots: u64,
    // INVARIANT: sorted: the ids of the global environments (`envs` entries
    // without a project), so that a project's list never reads them all.
    global_envs: Vec<EnvId>,
    admins: OrdSet<UserId>,
    // INVARIANT: every entry's project exists and its environment, if any,
    // exists and is visible in that project (edits cascade removals).
    resources: Resources,
    // Whether memberships may still name a removed global role: removing
    // one held everywhere only empties it (see `remove_role`), and every
    // reader of memberships skips a removed role (`is_live_role`). False
    // in every compiled snapshot.
    removed_roles_held: bool,
}

/// Read-only view of a role.
#[derive(Clone, Copy, Debug)]
pub struct RoleView<'a> {
    snapshot: &'a Snapshot,
    data: &'a RoleData,
}

impl<'a> RoleView<'a> {
    /// Name.
    #[must_use]
    pub fn name(&self) -> &'a str {
        &self.data.name
    }

    /// The owning project's key, `None` for a global role.
    #[must_use]
    pub fn project(&self) -> Option<&'a str> {
        self.data.project.and_then(|p| self.snapshot.project_key(p))
    }

    /// Whether the role is global (usable in every project).
    #[must_use]
    pub fn is_global(&self) -> bool {
        self.data.project.is_none()
    }

    /// ADMIN, PREDEFINED, CUSTOM or CUSTOM_GLOBAL.
    #[must_use]
    pub fn role_type(&self) -> RoleType {
        self.data.role_type
    }

    /// Basic-mode categories, `None` in Advanced mode.
    #[must_use]
    pub fn categories(&self) -> Option<&'a [String]> {
        self.data.categories.as_deref()
    }

    /// Every action the role names (before any project's admin privileges).
    #[must_use]
    pub fn actions(&self) -> ActionSet {
        self.data.actions
    }

    /// The environments the role is limited to.
    #[must_use]
    pub fn environments(&self) -> &'a [EnvId] {
        &self.data.envs
    }

    /// The environment names the role is limited to.
    pub fn environment_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        let snapshot = self.snapshot;
        self.data.envs.iter().filter_map(move |e| snapshot.env_name(*e))
    }
}

impl Snapshot {
    /// An empty snapshot of `catalogue`: no environment, role or user.
    /// Use [`Snapshot::compile`] with [`crate::Model::new`] for a usable instance.
    #[must_use]
    pub fn empty(catalogue: Arc<Catalogue>) -> Self {
        Self {
            layout: Layout::new(catalogue.actions().len(), catalogue.env_scoped()),
            catalogue,
            revision: 0,
            user_flags: ChunkVec::default(),
            hot: ChunkVec::default(),
            env_slots: ChunkVec::default(),
            shared: Arc::default(),
            stale_hot: Vec::new(),
            projects: SharedVec::default(),
            envs: SharedVec::default(),
            users: PagedVec::default(),
            groups: PagedVec::default(),
            roles: SharedVec::default(),
            user_names: PMap::new(),
            group_names: PMap::new(),
            project_names: PMap::new(),
            env_names: PMap::new(),
            global_roles: OrdMap::new(),
            global_env_slots: 0,
            removed_roles_held: false,
            global_envs: Vec::new(),
            admins: OrdSet::new(),
            resources: OrdMap::new(),
        }
    }

    /// The catalogue the snapshot was compiled against.
    #[must_use]
    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    /// The store revision this snapshot reflects.
    #[must_use]
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The same snapshot, labelled with `revision`.
    #[must_use]
    pub fn with_revision(mut self, revision: u64) -> Self {
        self.revision = revision;
        self
    }

    /// A user's id by username.
    #[must_use]
    pub fn user_id(&self, name: &str) -> Option<UserId> {
        self.user_names.get(name).copied()
    }

    /// A group's id by name.
    #[must_use]
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.group_names.get(name).copied()
    }

    /// A project's id by key.
    #[must_use]
    pub fn project_id(&self, key: &str) -> Option<ProjectId> {
        self.project_names.get(key).copied()
    }

    /// An environment's id by full name.
    #[must_use]
    pub fn env_id(&self, name: &str) -> Option<EnvId> {
        self.env_names.get(name).copied()
    }

    /// A role usable in `project` (global, or that project's), by name;
    /// `None` for the project means global roles only.
    #[must_use]
    pub fn role_id(&self, project: Option<ProjectId>, name: &str) -> Option<RoleId> {
        if let Some(role) = self.global_roles.get(name) {
            return Some(*role);
        }
        let project = self.project(project?)?;
        project
            .roles
            .iter()
            .copied()
            .find(|r| self.role_data(*r).is_some_and(|d| &*d.name == name))
    }

    /// A username.
    #[must_use]
    pub fn user_name(&self, user: UserId) -> Option<&str> {
        self.user(user).map(|u| &*u.name)
    }

    /// A user's status.
    #[must_use]
    pub fn user_status(&self, user: UserId) -> Option<UserStatus> {
        self.user(user).map(|u| u.status)
    }

    /// Whether the user is a platform admin.
    #[must_use]
    pub fn is_admin(&self, user: UserId) -> bool {
        self.user(user).is_some_and(|u| u.admin)
    }

    /// The user's account permissions (SPEC §3.1).
    #[must_use]
    pub fn account_permissions(&self, user: UserId) -> AccountPermissions {
        self.user(user)
            .map_or(AccountPermissions::NONE, |u| u.account_permissions)
    }

    /// The user's groups.
    #[must_use]
    pub fn user_groups(&self, user: UserId) -> &[GroupId] {
        self.user(user).map_or(&[], |u| &u.groups)
    }

    /// A group's name.
    #[must_use]
    pub fn group_name(&self, group: GroupId) -> Option<&str> {
        self.group(group).map(|g| &*g.name)
    }

    /// A group's users.
    #[must_use]
    pub fn group_members(&self, group: GroupId) -> &[UserId] {
        self.group(group).map_or(&[], |g| &g.members)
    }

    /// A project's key.
    #[must_use]
    pub fn project_key(&self, project: ProjectId) -> Option<&str> {
        self.project(project).map(|p| &*p.key)
    }

    /// A project's admin privileges.
    #[must_use]
    pub fn admin_privileges(&self, project: ProjectId) -> Option<AdminPrivileges> {
        self.project(project).map(|p| p.privileges)
    }

    /// An environment's full name.
    #[must_use]
    pub fn env_name(&self, env: EnvId) -> Option<&str> {
        self.envs.get(env.index()).and_then(Option::as_ref).map(|e| &*e.name)
    }

    /// The project owning an environment; `None` for a global one.
    #[must_use]
    pub fn env_project(&self, env: EnvId) -> Option<ProjectId> {
        self.envs
            .get(env.index())
            .and_then(Option::as_ref)
            .and_then(|e| e.project)
    }

    /// The environments visible in `project`: every global one, then its own.
    #[must_use]
    pub fn project_environments(&self, project: ProjectId) -> Vec<EnvId> {
        let mut envs: Vec<EnvId> = self.global_environments();
        if let Some(p) = self.project(project) {
            envs.extend(p.envs.iter().copied());
        }
        envs
    }

    /// Every global environment, in creation order.
    #[must_use]
    pub fn global_environments(&self) -> Vec<EnvId> {
        self.global_envs.clone()
    }

    /// A role.
    #[must_use]
    pub fn role(&self, role: RoleId) -> Option<RoleView<'_>> {
        self.role_data(role).map(|data| RoleView { snapshot: self, data })
    }

    /// The global roles, by name.
    pub fn global_roles(&self) -> impl Iterator<Item = RoleId> + '_ {
        self.global_roles.values().copied()
    }

    /// A project's own roles.
    #[must_use]
    pub fn project_roles(&self, project: ProjectId) -> &[RoleId] {
        self.project(project).map_or(&[], |p| &p.roles)
    }

    /// Every project, by key.
    pub fn projects(&self) -> impl Iterator<Item = (&str, ProjectId)> + '_ {
        self.project_names.iter().map(|(k, v)| (&**k, *v))
    }

    /// Every user, by name.
    pub fn users(&self) -> impl Iterator<Item = (&str, UserId)> + '_ {
        self.user_names.iter().map(|(k, v)| (&**k, *v))
    }

    /// Every group, by name.
    pub fn groups(&self) -> impl Iterator<Item = (&str, GroupId)> + '_ {
        self.group_names.iter().map(|(k, v)| (&**k, *v))
    }

    /// Whether `user` holds a role in `project`, directly or through one of
    /// its groups.
    #[must_use]
    pub fn is_member(&self, user: UserId, project: ProjectId) -> bool {
        // A removed user's entries may stay in tables (`Access::depart`).
        self.user(user).is_some() && self.project(project).is_some_and(|p| self.holds_role_in(p, user))
    }

    /// Whether `user` holds a role that still exists in the project.
    pub(crate) fn holds_role_in(&self, project: &ProjectData, user: UserId) -> bool {
        if self.removed_roles_held {
            project.access.holds_any(user, |role| self.is_live_role(role))
        } else {
            project.access.has_member(user)
        }
    }

    /// Whether `user`, in `project`'s member table, holds only removed
    /// roles there (a member no more); false without a removed role held.
    pub(crate) fn lost_every_role(&self, project: ProjectId, user: UserId) -> bool {
        self.removed_roles_held && !self.project(project).is_some_and(|p| self.holds_role_in(p, user))
    }

    /// A project's direct user members and their roles.
    pub fn user_members(&self, project: ProjectId) -> impl Iterator<Item = (UserId, Cow<'_, [RoleId]>)> + '_ {
        self.project(project)
            .into_iter()
            .flat_map(|p| p.users.iter().filter_map(|(u, r)| Some((*u, self.live_roles(r)?))))
    }

    /// A project's group members and their roles.
    pub fn group_members_of(&self, project: ProjectId) -> impl Iterator<Item = (GroupId, Cow<'_, [RoleId]>)> + '_ {
        self.project(project)
            .into_iter()
            .flat_map(|p| p.groups.iter().filter_map(|(g, r)| Some((*g, self.live_roles(r)?))))
    }

    /// A membership's roles that still exist; `None` when none does (the
    /// membership went with its last role).
    fn live_roles<'a>(&self, roles: &'a [RoleId]) -> Option<Cow<'a, [RoleId]>> {
        let every = !self.removed_roles_held || roles.iter().all(|r| self.is_live_role(*r));
        let roles: Cow<'a, [RoleId]> = if every {
            Cow::Borrowed(roles)
        } else {
            Cow::Owned(roles.iter().copied().filter(|r| self.is_live_role(*r)).collect())
        };
        (!roles.is_empty()).then_some(roles)
    }

    /// Whether `role` exists (memberships may name a removed global role
    /// until they are next rebuilt: see `removed_roles_held`).
    #[inline]
    pub(crate) fn is_live_role(&self, role: RoleId) -> bool {
        self.role_data(role).is_some()
    }

    /// The platform admins who are not disabled (active, invited or locked).
    pub fn active_admins(&self) -> impl Iterator<Item = UserId> + '_ {
        self.admins
            .iter()
            .copied()
            .filter(|u| self.user_status(*u).is_some_and(|s| !s.is_blocked()))
    }

    /// Where a registered resource lives: its project and, for an
    /// environment-scoped type, its environment (SPEC §5.6).
    #[must_use]
    pub fn resource(&self, resource_type: &str, name: &str) -> Option<(ProjectId, Option<EnvId>)> {
        self.resources
            .get(resource_type)
            .and_then(|names| names.get(name))
            .map(|r| (r.project, r.env))
    }

    /// [`Snapshot::resource`] by name: the project key and the full
    /// environment name, ready for [`Snapshot::query`].
    #[must_use]
    pub fn resolve_resource(&self, resource_type: &str, name: &str) -> Option<(&str, Option<&str>)> {
        let (project, env) = self.resource(resource_type, name)?;
        let key = self.project_key(project)?;
        match env {
            None => Some((key, None)),
            Some(env) => self.env_name(env).map(|e| (key, Some(e))),
        }
    }

    /// Every registered resource as `(type, name, project, environment)`,
    /// ordered by type, then name.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &str, ProjectId, Option<EnvId>)> + '_ {
        self.resources
            .iter()
            .flat_map(|(t, names)| names.iter().map(move |(n, r)| (&**t, &**n, r.project, r.env)))
    }

    /// Approximate heap bytes of the compiled access tables that checks read.
    #[must_use]
    pub fn access_heap_bytes(&self) -> usize {
        self.projects
            .iter()
            .flatten()
            .map(|p| p.access.hot_bytes())
            .sum::<usize>()
            + self.shared.hot_bytes()
            + self.user_flags.len()
    }

    /// Every platform admin, disabled or not.
    pub(crate) fn admins(&self) -> impl Iterator<Item = UserId> + '_ {
        self.admins.iter().copied()
    }

    /// The roles whose environments include `env`.
    pub(crate) fn roles_naming(&self, env: EnvId) -> impl Iterator<Item = RoleId> + '_ {
        self.roles.iter().enumerate().filter_map(move |(i, role)| {
            let role = role.data()?;
            role.envs
                .contains(&env)
                .then(|| RoleId(u32::try_from(i).unwrap_or(u32::MAX)))
        })
    }

    pub(crate) fn user(&self, user: UserId) -> Option<&UserData> {
        self.users.get(user.index()).and_then(Option::as_deref)
    }

    pub(crate) fn group(&self, group: GroupId) -> Option<&GroupData> {
        self.groups.get(group.index()).and_then(Option::as_deref)
    }

    pub(crate) fn project(&self, project: ProjectId) -> Option<&ProjectData> {
        self.projects.get(project.index()).and_then(Option::as_deref)
    }

    pub(crate) fn role_data(&self, role: RoleId) -> Option<&RoleData> {
        self.roles.get(role.index()).and_then(RoleEntry::data)
    }

    /// The slot of `env` as seen from `project`: `None` when the environment
    /// is unknown or belongs to another project.
    pub(crate) fn env_slot(&self, env: EnvId, project: ProjectId) -> Option<u8> {
        self.env_slot_row(env, project).map(|(slot, _)| slot)
    }

    /// [`Snapshot::env_slot`], with the slot's row in a permission run.
    #[inline]
    pub(crate) fn env_slot_row(&self, env: EnvId, project: ProjectId) -> Option<(u8, u32)> {
        let packed = *self.env_slots.get_or_default(env.index())?;
        let seen_by = packed >> 16;
        let visible = seen_by == ENV_GLOBAL || seen_by == u64::from(project.0) + 2;
        // The low bytes are the slot and its row.
        visible.then_some((packed as u8, u32::from((packed >> 8) as u8)))
    }

    /// The hot access of a project (not live when unknown).
    #[inline]
    pub(crate) fn hot(&self, project: ProjectId) -> Option<&HotAccess> {
        self.hot_entry(project).filter(|h| h.is_live())
    }

    /// The check-table entry of a project, live or not: a removed or
    /// unknown project's has no members. `None` past the table.
    #[inline]
    pub(crate) fn hot_entry(&self, project: ProjectId) -> Option<&HotAccess> {
        self.hot.get_or_default(project.index())
    }

    /// The shared global-role sets' words, which project runs refer to.
    #[inline]
    pub(crate) fn shared_perms(&self) -> &SharedPerms {
        self.shared.perms()
    }

    /// Whether `role` is a global role other than Project Admin: its grant
    /// is the same in every project, so it lives in the shared sets.
    pub(crate) fn is_shared_role(&self, role: RoleId) -> bool {
        self.role_data(role)
            .is_some_and(|r| r.project.is_none() && r.role_type != RoleType::Admin)
    }

    /// What `role` grants in `project`: its actions (the ADMIN role without
    /// the privileges the project turned off) and environment slots.
    pub(crate) fn role_grant(&self, role: RoleId, project: &ProjectData) -> (ActionSet, u64) {
        self.role_grant_with(role, project.admin_removed)
    }

    #[inline]
    pub(crate) fn role_grant_with(&self, role: RoleId, admin_removed: ActionSet) -> (ActionSet, u64) {
        match self.roles.get(role.index()) {
            Some(r) if r.admin => (r.actions.difference(admin_removed), r.env_mask),
            Some(r) => (r.actions, r.env_mask),
            None => (ActionSet::EMPTY, 0),
        }
    }

    /// Asks the CPU to fetch the user's flags into cache (a hint).
    #[inline]
    pub(crate) fn prefetch_flags(&self, user: UserId) {
        if let Some(flags) = self.user_flags.get_or_default(user.index()) {
            mem_prefetch::prefetch_read_data::<u8, 3>(flags);
        }
    }

    /// Asks the CPU to fetch the project's entry of the check table into
    /// cache (a hint).
    #[inline]
    pub(crate) fn prefetch_hot(&self, project: ProjectId) {
        if let Some(hot) = self.hot.get_or_default(project.index()) {
            mem_prefetch::prefetch_read_data::<HotAccess, 3>(hot);
        }
    }

    #[inline]
    pub(crate) fn flags(&self, user: UserId) -> u8 {
        self.user_flags.get_or_default(user.index()).copied().unwrap_or(0)
    }

    pub(crate) fn env_scoped_actions(&self) -> ActionSet {
        self.layout.env_scoped()
    }

    /// Where checks find each action's bits.
    #[inline]
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// What reading a project's runs needs from the snapshot.
    pub(crate) fn perms(&self) -> SnapshotPerms<'_> {
        SnapshotPerms {
            shared: self.shared_perms(),
            layout: &self.layout,
        }
    }
}

pub(crate) use self::flags::{is_admin_flag, is_blocked_flag, is_known_flag, is_plain_flag};

mod flags {
    //! Bits of the per-user flag byte the check path reads.
    use super::{USER_ADMIN, USER_BLOCKED, USER_EXISTS};

    /// Whether the flags are those of a known user who is neither
    /// blocked nor an admin: whose checks ask its memberships alone
    /// (most checks; one comparison where the three tests are five
    /// instructions).
    #[inline]
    pub(crate) const fn is_plain_flag(flags: u8) -> bool {
        flags == USER_EXISTS
    }

    #[inline]
    pub(crate) const fn is_known_flag(flags: u8) -> bool {
        flags & USER_EXISTS != 0
    }

    #[inline]
    pub(crate) const fn is_blocked_flag(flags: u8) -> bool {
        flags & USER_BLOCKED != 0
    }

    #[inline]
    pub(crate) const fn is_admin_flag(flags: u8) -> bool {
        flags & USER_ADMIN != 0
    }
}
