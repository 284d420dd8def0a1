//! What a change would do to people's access, before it is made (SPEC §7.2):
//! the (user, project, environment, action) decisions it flips and the
//! account permissions it gives or takes.
//!
//! The change is applied with [`Snapshot::apply_all`] — the same code the
//! real write runs — to a copy; `self` is never touched. Then only the
//! decisions the change can reach are compared, before and after: the users
//! it names, a group's members, a role's holders, a project's members, in
//! the projects concerned, for the actions concerned, every environment at
//! once (`allowed_slots`, the slot mask whose bits are `check`'s answers).
//! Nothing is recomputed for the rest of the world.

mod place;
mod tally;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use self::place::Place;
use self::tally::{FirstChanges, Tally, UserSet};

use crate::account::{AccountPermission, AccountPermissions};
use crate::ids::{ProjectId, RoleId, UserId};
use crate::model::{Change, Principal};
use crate::sets::ActionSet;
use crate::snapshot::{ModelError, ProjectData, Snapshot};

/// One decision a change flips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionChange {
    /// The user.
    pub user: Arc<str>,
    /// The project's key.
    pub project: Arc<str>,
    /// The environment; `None` for an action that is not environment-scoped.
    pub environment: Option<Arc<str>>,
    /// The action's id.
    pub action: Arc<str>,
    /// Allowed after and not before (else denied after and allowed before).
    pub gained: bool,
}

impl DecisionChange {
    fn key(&self) -> (&str, &str, Option<&str>, &str) {
        (&self.user, &self.project, self.environment.as_deref(), &self.action)
    }
}

impl Ord for DecisionChange {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key()).then(self.gained.cmp(&other.gained))
    }
}

impl PartialOrd for DecisionChange {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One account permission a change gives or takes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccountChange {
    /// The user.
    pub user: Arc<str>,
    /// The permission.
    pub permission: AccountPermission,
    /// Held after and not before.
    pub gained: bool,
}

/// What a change does to access.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Impact {
    /// Distinct users with any decision or account permission changed.
    pub users: usize,
    /// Decisions that become allowed.
    pub gained: usize,
    /// Decisions that become denied.
    pub lost: usize,
    /// The first `limit` listable decision changes, by user, project,
    /// environment (none first) and action.
    pub changes: Vec<DecisionChange>,
    /// Every account permission given or taken, by user and permission.
    pub account_changes: Vec<AccountChange>,
    /// More listable changes exist than `changes` holds.
    pub truncated: bool,
    /// Changes in projects the asker may not list: counted, never listed.
    pub hidden: usize,
}

/// Who to compare in one project, and for which actions.
#[derive(Debug, Default)]
struct Target {
    /// Every member (directly or through a group) and every platform admin.
    everyone: bool,
    /// Only the platform admins.
    admins: bool,
    /// The holders of these roles (directly or through a group).
    holders: Vec<RoleId>,
    /// These users.
    users: Vec<UserId>,
    /// The actions that may change.
    actions: ActionSet,
}

/// The projects and people a change can reach, by project.
#[derive(Default)]
struct Reach {
    targets: BTreeMap<ProjectId, Target>,
}

impl Reach {
    fn at(&mut self, project: ProjectId, actions: ActionSet) -> &mut Target {
        let target = self.targets.entry(project).or_default();
        target.actions = target.actions.union(actions);
        target
    }

    fn users(&mut self, project: ProjectId, users: &[UserId], actions: ActionSet) {
        self.at(project, actions).users.extend_from_slice(users);
    }
}

/// The account permissions `user` may use in `s`: none when unknown or
/// disabled, every one as a platform admin.
fn usable_account_permissions(s: &Snapshot, user: UserId) -> AccountPermissions {
    let Some(data) = s.user(user) else {
        return AccountPermissions::NONE;
    };
    if data.status.is_blocked() {
        AccountPermissions::NONE
    } else if data.admin {
        AccountPermission::ALL.into_iter().collect()
    } else {
        data.account_permissions
    }
}

impl Snapshot {
    /// What applying `changes` would do to access: exact counts, the first
    /// `limit` changes in projects `listable` accepts, the number in
    /// others. `self` is unchanged.
    ///
    /// # Errors
    /// A change that does not fit, as [`Snapshot::apply_all`] refuses it.
    pub fn impact(
        &self,
        changes: &[Change],
        limit: usize,
        listable: impl Fn(ProjectId) -> bool,
    ) -> Result<Impact, ModelError> {
        let after = self.apply_all(changes)?;
        let mut reach = Reach::default();
        let mut account_users: Vec<UserId> = Vec::new();
        for change in changes {
            self.reach_of(&after, change, &mut reach, &mut account_users);
        }

        let mut tally = Tally {
            gained: 0,
            lost: 0,
            hidden: 0,
            users: UserSet::default(),
            first: FirstChanges {
                limit,
                kept: BinaryHeap::new(),
                offered: 0,
            },
            deferred: Vec::new(),
            deferred_users: UserSet::default(),
        };
        let account_changes = self.account_changes(&after, account_users, &mut tally.users);
        for (&project, target) in &reach.targets {
            self.compare_in(&after, project, target, listable(project), &mut tally);
        }
        self.list_deferred(&after, &reach, &mut tally);
        let truncated = tally.first.offered > tally.first.kept.len();
        Ok(Impact {
            users: tally.users.len,
            gained: tally.gained,
            lost: tally.lost,
            changes: tally.first.kept.into_sorted_vec(),
            account_changes,
            truncated,
            hidden: tally.hidden,
        })
    }

    /// Offers the deferred changes that can be among the first `limit`:
    /// those of the `limit` deferred users first by name (each has a
    /// change), compared again member by member.
    fn list_deferred(&self, after: &Snapshot, reach: &Reach, tally: &mut Tally) {
        let limit = tally.first.limit;
        let mut first: BinaryHeap<(&str, UserId)> = BinaryHeap::new();
        for user in tally.deferred_users.iter() {
            let Some(name) = self.user_name(user).or_else(|| after.user_name(user)) else {
                continue;
            };
            if first.len() < limit {
                first.push((name, user));
            } else if first.peek().is_some_and(|largest| (name, user) < *largest) {
                first.pop();
                first.push((name, user));
            }
        }
        let mut chosen = UserSet::default();
        for (_, user) in first {
            chosen.insert(user);
        }
        let deferred = std::mem::take(&mut tally.deferred);
        for (user, project) in deferred {
            if let (true, Some(target)) = (chosen.contains(user), reach.targets.get(&project)) {
                Place::new(self, after, project, true).offer_user(user, target.actions, &mut tally.first);
            }
        }
    }

    /// The account permissions given or taken from `users`, by user and
    /// permission; the users concerned are added to `affected`.
    fn account_changes(&self, after: &Snapshot, mut users: Vec<UserId>, affected: &mut UserSet) -> Vec<AccountChange> {
        users.sort_unstable();
        users.dedup();
        let mut changes = Vec::new();
        for user in users {
            let (was, is) = (
                usable_account_permissions(self, user),
                usable_account_permissions(after, user),
            );
            let Some(name) = self.user_name(user).or_else(|| after.user_name(user)) else {
                continue;
            };
            for permission in AccountPermission::ALL {
                if was.contains(permission) != is.contains(permission) {
                    affected.insert(user);
                    changes.push(AccountChange {
                        user: Arc::from(name),
                        permission,
                        gained: is.contains(permission),
                    });
                }
            }
        }
        changes.sort();
        changes
    }

    /// Compares, in one project, the decisions of the users `target` names
    /// for its actions, in every environment of the project before or after.
    fn compare_in(&self, after: &Snapshot, project: ProjectId, target: &Target, shown: bool, tally: &mut Tally) {
        if target.actions.is_empty() {
            return;
        }
        let place = Place::new(self, after, project, shown);
        // Only the holders of roles whose edit left every member's run as
        // it was (a global role's edit): compare each distinct run once.
        if target.users.is_empty()
            && !target.everyone
            && !target.admins
            && place.same_slots
            && let (Some(was), Some(is)) = (self.hot(project), after.hot(project))
            && was.same_runs(is)
        {
            place.compare_by_run(was, target.actions, tally);
            return;
        }
        for user in self.reached_users(after, project, target) {
            place.compare_user(user, target.actions, tally);
        }
    }

    /// The users a target names in `project`, before or after, sorted.
    fn reached_users(&self, after: &Snapshot, project: ProjectId, target: &Target) -> Vec<UserId> {
        let mut users = target.users.clone();
        if target.everyone || target.admins {
            users.extend(self.admins());
            users.extend(after.admins());
        }
        if target.everyone || !target.holders.is_empty() {
            let (was, is) = (self.project(project), after.project(project));
            self.extend_holders(was, target, &mut users);
            // Members unchanged (a role edit): the same holders.
            let same = was
                .zip(is)
                .is_some_and(|(a, b)| a.users.ptr_eq(&b.users) && a.groups.ptr_eq(&b.groups));
            if !same {
                after.extend_holders(is, target, &mut users);
            }
        }
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Adds the members of `data` holding one of the target's roles (or
    /// every member), directly or through a group.
    fn extend_holders(&self, data: Option<&ProjectData>, target: &Target, users: &mut Vec<UserId>) {
        let Some(data) = data else { return };
        let holds = |roles: &[RoleId]| target.everyone || roles.iter().any(|r| target.holders.contains(r));
        users.extend(data.users.iter().filter(|(_, roles)| holds(roles)).map(|(u, _)| *u));
        for (group, roles) in &data.groups {
            if holds(roles) {
                users.extend_from_slice(self.group_members(*group));
            }
        }
    }

    /// The projects a user is a member of, directly or through a group.
    fn member_projects_of(&self, user: UserId) -> Vec<ProjectId> {
        let Some(data) = self.user(user) else {
            return Vec::new();
        };
        let mut projects = data.projects.clone();
        for group in &data.groups {
            if let Some(g) = self.group(*group) {
                projects.extend_from_slice(&g.projects);
            }
        }
        projects
    }

    /// Every project of `self` or `after`.
    fn every_project(&self, after: &Snapshot) -> Vec<ProjectId> {
        let mut projects: Vec<ProjectId> = self.projects().chain(after.projects()).map(|(_, p)| p).collect();
        projects.sort_unstable();
        projects.dedup();
        projects
    }

    /// Adds to `reach` what one change can alter, looked up in `self`
    /// (before) and `after`.
    fn reach_of(&self, after: &Snapshot, change: &Change, reach: &mut Reach, account_users: &mut Vec<UserId>) {
        let all = self.catalogue().all_actions();
        let scoped = self.catalogue().env_scoped();
        let both = |f: &dyn Fn(&Snapshot) -> Option<ProjectId>| [f(self), f(after)].into_iter().flatten();
        match change {
            Change::PutUser(spec) => self.reach_user(after, &spec.name, reach, account_users),
            Change::RemoveUser(name) => self.reach_user(after, name, reach, account_users),
            Change::AddGroup(_) | Change::PutResource(_) | Change::RemoveResource { .. } => {}
            Change::RemoveGroup(name) => {
                if let Some(group) = self.group_id(name).and_then(|g| self.group(g)) {
                    for &project in &group.projects {
                        reach.users(project, &group.members, all);
                    }
                }
            }
            Change::AddGroupMember { group, user } | Change::RemoveGroupMember { group, user } => {
                for s in [self, after] {
                    let (Some(g), Some(u)) = (s.group_id(group).and_then(|g| s.group(g)), s.user_id(user)) else {
                        continue;
                    };
                    for &project in &g.projects {
                        reach.users(project, &[u], all);
                    }
                }
            }
            Change::PutProject(spec) => match self.project_id(&spec.key) {
                // Its settings decide what Project Admin grants there.
                Some(project) => reach.at(project, all).everyone = true,
                // A new project: platform admins may do everything in it.
                None => {
                    if let Some(project) = after.project_id(&spec.key) {
                        reach.at(project, all).admins = true;
                    }
                }
            },
            Change::RemoveProject(key) => {
                if let Some(project) = self.project_id(key) {
                    reach.at(project, all).everyone = true;
                }
            }
            Change::AddEnvironment(spec) => {
                // No role names a new environment yet: only admins gain.
                let owner = spec
                    .project
                    .as_deref()
                    .map(|key| both(&|s: &Snapshot| s.project_id(key)));
                let projects: Vec<ProjectId> = match owner {
                    Some(owner) => owner.collect(),
                    None => self.every_project(after),
                };
                for project in projects {
                    reach.at(project, scoped).admins = true;
                }
            }
            Change::RemoveEnvironment(name) => {
                let Some(env) = self.env_id(name) else { return };
                match self.env_project(env) {
                    Some(project) => reach.at(project, scoped).everyone = true,
                    None => {
                        let roles: Vec<RoleId> = self.roles_naming(env).collect();
                        for project in self.every_project(after) {
                            let target = reach.at(project, scoped);
                            target.admins = true;
                            target.holders.extend_from_slice(&roles);
                        }
                    }
                }
            }
            Change::PutRole(spec) => {
                let owner = spec.project.as_deref().map(|key| self.project_id(key));
                self.reach_role(after, owner, &spec.name, reach);
            }
            Change::RemoveRole { project, name } => {
                let owner = project.as_deref().map(|key| self.project_id(key));
                self.reach_role(after, owner, name, reach);
            }
            Change::SetMember(spec) => self.reach_member(after, &spec.project, &spec.principal, reach),
            Change::RemoveMember { project, principal } => self.reach_member(after, project, principal, reach),
        }
    }

    fn reach_user(&self, after: &Snapshot, name: &str, reach: &mut Reach, account_users: &mut Vec<UserId>) {
        let Some(user) = self.user_id(name).or_else(|| after.user_id(name)) else {
            return;
        };
        account_users.push(user);
        let decides = |s: &Snapshot| s.user(user).map(|u| (u.status.is_blocked(), u.admin));
        let (was, is) = (decides(self), decides(after));
        if was == is {
            return; // Account permissions alone: no decision moves.
        }
        let any_admin = was.is_some_and(|(_, admin)| admin) || is.is_some_and(|(_, admin)| admin);
        let mut projects = if any_admin {
            self.every_project(after)
        } else {
            let mut p = self.member_projects_of(user);
            p.extend(after.member_projects_of(user));
            p
        };
        projects.sort_unstable();
        projects.dedup();
        let all = self.catalogue().all_actions();
        for project in projects {
            reach.users(project, &[user], all);
        }
    }

    fn reach_role(&self, after: &Snapshot, owner: Option<Option<ProjectId>>, name: &str, reach: &mut Reach) {
        let project = match owner {
            None => None,
            Some(None) => return, // An unknown project has no roles.
            Some(Some(project)) => Some(project),
        };
        let Some(role) = self.role_id(project, name) else {
            return; // A new role: nobody holds it yet.
        };
        let Some(was) = self.role_data(role) else { return };
        let now = after.role_data(role);
        // Which actions may move: all of the role's when its environments
        // change or it goes, else those added or removed.
        let actions = match now {
            Some(now) if now.envs == was.envs => now
                .actions
                .difference(was.actions)
                .union(was.actions.difference(now.actions)),
            Some(now) => now.actions.union(was.actions),
            None => was.actions,
        };
        let projects = match project {
            Some(project) => vec![project],
            None => self.every_project(after),
        };
        for project in projects {
            reach.at(project, actions).holders.push(role);
        }
    }

    fn reach_member(&self, after: &Snapshot, key: &str, principal: &Principal, reach: &mut Reach) {
        let Some(project) = self.project_id(key) else { return };
        let all = self.catalogue().all_actions();
        match principal {
            Principal::User(name) => {
                if let Some(user) = self.user_id(name) {
                    reach.users(project, &[user], all);
                }
            }
            Principal::Group(name) => {
                for s in [self, after] {
                    if let Some(group) = s.group_id(name) {
                        reach.users(project, s.group_members(group), all);
                    }
                }
            }
        }
    }
}
