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

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use crate::account::{AccountPermission, AccountPermissions};
use crate::ids::{ActionId, EnvId, ProjectId, RoleId, UserId};
use crate::model::{Change, Principal};
use crate::sets::ActionSet;
use crate::snapshot::{
    HotAccess, ModelError, ProjectData, Snapshot, is_admin_flag, is_blocked_flag, is_known_flag, unpack,
};

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

/// The decision changes found so far.
struct Tally {
    gained: usize,
    lost: usize,
    hidden: usize,
    /// Every user with a change.
    users: UserSet,
    first: FirstChanges,
    /// Listable changes counted by run and not offered yet: the (user,
    /// project) pairs, and their users.
    deferred: Vec<(UserId, ProjectId)>,
    deferred_users: UserSet,
}

impl Tally {
    fn count(&mut self, user: UserId, gained: bool, shown: bool) {
        self.count_many(user, usize::from(gained), usize::from(!gained), shown);
    }

    fn count_many(&mut self, user: UserId, gained: usize, lost: usize, shown: bool) {
        self.users.insert(user);
        self.gained += gained;
        self.lost += lost;
        if !shown {
            self.hidden += gained + lost;
        }
    }
}

/// A set of users, one bit per user id.
#[derive(Default)]
struct UserSet {
    words: Vec<u64>,
    len: usize,
}

impl UserSet {
    /// The users, by id.
    fn iter(&self) -> impl Iterator<Item = UserId> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    // User ids are u32: w·64 + bit fits.
                    UserId((w * 64 + bit) as u32)
                })
            })
        })
    }

    fn contains(&self, user: UserId) -> bool {
        self.words
            .get(user.index() / 64)
            .is_some_and(|word| word & (1u64 << (user.index() % 64)) != 0)
    }

    fn insert(&mut self, user: UserId) {
        let (word, bit) = (user.index() / 64, 1u64 << (user.index() % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.len += 1;
        }
    }
}

/// Keeps the `limit` smallest changes it is offered, and counts the rest.
struct FirstChanges {
    limit: usize,
    kept: BinaryHeap<DecisionChange>,
    offered: usize,
}

impl FirstChanges {
    /// Offers the change `key` names; `make` builds it (allocating) only
    /// when it is kept. The caller counts it in `offered`.
    fn offer(&mut self, key: (&str, &str, Option<&str>, &str), gained: bool, make: impl FnOnce() -> DecisionChange) {
        if self.kept.len() < self.limit {
            self.kept.push(make());
        } else if self
            .kept
            .peek()
            .is_some_and(|largest| (key, gained) < (largest.key(), largest.gained))
        {
            self.kept.pop();
            self.kept.push(make());
        }
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

/// One project as a change sees it: its environments' slots before and
/// after, and whether its changes may be listed.
struct Place<'a> {
    before: &'a Snapshot,
    after: &'a Snapshot,
    project: ProjectId,
    key: Option<&'a str>,
    shown: bool,
    /// Each environment of the project before or after, with its slot
    /// before and after (none where the environment is not).
    slots: Vec<(EnvId, Option<u8>, Option<u8>)>,
    same_slots: bool,
    scoped: ActionSet,
}

impl<'a> Place<'a> {
    fn new(before: &'a Snapshot, after: &'a Snapshot, project: ProjectId, shown: bool) -> Self {
        let mut envs = before.project_environments(project);
        envs.extend(after.project_environments(project));
        envs.sort_unstable();
        envs.dedup();
        let slots: Vec<(EnvId, Option<u8>, Option<u8>)> = envs
            .into_iter()
            .map(|env| (env, before.env_slot(env, project), after.env_slot(env, project)))
            .collect();
        let same_slots = slots.iter().all(|(_, was, is)| was == is);
        Self {
            before,
            after,
            project,
            key: before.project_key(project).or_else(|| after.project_key(project)),
            shown,
            slots,
            same_slots,
            scoped: before.catalogue().env_scoped(),
        }
    }

    /// Calls `flip(environment, allowed after)` for each decision on
    /// `action` that differs between the slot masks before and after.
    fn each_flip(&self, action: ActionId, mask_was: u64, mask_is: u64, mut flip: impl FnMut(Option<EnvId>, bool)) {
        let in_slot = |mask: u64, slot: Option<u8>| slot.is_some_and(|s| mask & (1u64 << s) != 0);
        if self.scoped.contains(action) {
            for &(env, slot_was, slot_is) in &self.slots {
                let (was, is) = (in_slot(mask_was, slot_was), in_slot(mask_is, slot_is));
                if was != is {
                    flip(Some(env), is);
                }
            }
        } else if (mask_was != 0) != (mask_is != 0) {
            flip(None, mask_is != 0);
        }
    }

    /// Counts one flipped decision, and offers it for the listing.
    fn record(&self, tally: &mut Tally, user: UserId, action: ActionId, environment: Option<EnvId>, is: bool) {
        tally.count(user, is, self.shown);
        if self.shown {
            tally.first.offered += 1;
            self.offer(&mut tally.first, user, action, environment, is);
        }
    }

    /// Offers one flipped decision for the listing.
    fn offer(&self, first: &mut FirstChanges, user: UserId, action: ActionId, environment: Option<EnvId>, is: bool) {
        let (before, after) = (self.before, self.after);
        // Names from whichever snapshot has them (a removed user is only
        // in `before`, a new one only after).
        let user_name = before.user_name(user).or_else(|| after.user_name(user));
        let env_name = environment.map(|e| before.env_name(e).or_else(|| after.env_name(e)));
        if let (Some(user_name), Some(project_key), Some(env_name)) =
            (user_name, self.key, env_name.map_or(Some(None), |name| name.map(Some)))
        {
            let action = before.catalogue().action(action).id.as_str();
            first.offer((user_name, project_key, env_name, action), is, || DecisionChange {
                user: Arc::from(user_name),
                project: Arc::from(project_key),
                environment: env_name.map(Arc::from),
                action: Arc::from(action),
                gained: is,
            });
        }
    }

    /// Offers (already counted) the flips of one user's decisions on `actions`.
    fn offer_user(&self, user: UserId, actions: ActionSet, first: &mut FirstChanges) {
        for action in actions.iter() {
            let (mask_was, mask_is) = (
                self.before.allowed_slots(user, self.project, action),
                self.after.allowed_slots(user, self.project, action),
            );
            self.each_flip(action, mask_was, mask_is, |env, is| {
                self.offer(first, user, action, env, is);
            });
        }
    }

    /// Compares one user's decisions on `actions`, every environment at once.
    fn compare_user(&self, user: UserId, actions: ActionSet, tally: &mut Tally) {
        for action in actions.iter() {
            let (mask_was, mask_is) = (
                self.before.allowed_slots(user, self.project, action),
                self.after.allowed_slots(user, self.project, action),
            );
            if mask_was == mask_is && self.same_slots {
                continue;
            }
            self.each_flip(action, mask_was, mask_is, |env, is| {
                self.record(tally, user, action, env, is);
            });
        }
    }

    /// Compares every member of a project whose runs the change left as
    /// they were (`hot` is the table before and after; the environments'
    /// slots are the same): members with the same run decide alike, so
    /// each distinct run is compared once, and a member whose flags
    /// changed is compared alone.
    fn compare_by_run(&self, hot: &HotAccess, actions: ActionSet, tally: &mut Tally) {
        let (before, after) = (self.before, self.after);
        let (shared_was, shared_is) = (before.shared_perms(), after.shared_perms());
        // By a run's start, what it flips (once compared).
        let mut by_start: Vec<Option<RunFlips>> = vec![None; hot.entry_count() + 1];
        let mut flipped: Vec<(UserId, RunFlips)> = Vec::new();
        for (user, r) in hot.runs() {
            let (start, len) = unpack(r);
            if len == 0 {
                continue; // No permission: nothing to gain or lose.
            }
            let Some(memo) = by_start.get_mut(start) else { continue };
            let flips = *memo.get_or_insert_with(|| {
                let mut flips = RunFlips::default();
                for action in actions.iter() {
                    let (mask_was, mask_is) = (
                        hot.run_slots(r, action, shared_was),
                        hot.run_slots(r, action, shared_is),
                    );
                    self.each_flip(action, mask_was, mask_is, |_, is| {
                        if is { flips.gained += 1 } else { flips.lost += 1 }
                    });
                }
                flips
            });
            if flips.gained + flips.lost != 0 {
                flipped.push((user, flips));
            }
        }
        // Apart from the loop above, so that the flag reads (a cache miss
        // each at scale) overlap rather than wait behind the runs' reads.
        for (user, flips) in flipped {
            let flags = before.flags(user);
            if flags != after.flags(user) {
                self.compare_user(user, actions, tally);
                continue;
            }
            if !is_known_flag(flags) || is_blocked_flag(flags) || is_admin_flag(flags) {
                continue; // Decided by the flags alone, alike before and after.
            }
            tally.count_many(user, flips.gained, flips.lost, self.shown);
            if self.shown {
                // Named later, if among the first (`list_deferred`).
                tally.first.offered += flips.gained + flips.lost;
                tally.deferred.push((user, self.project));
                tally.deferred_users.insert(user);
            }
        }
    }
}

/// How many of one permission run's decisions a change gains and loses.
#[derive(Clone, Copy, Default)]
struct RunFlips {
    gained: usize,
    lost: usize,
}
