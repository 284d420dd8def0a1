//! The full compile from a [`Model`]. Memberships are first resolved to
//! ids in the model's order (the first bad one is the error), then set in
//! bulk: each project's maps in one visit, each user's and group's back
//! references in one pass in id order. Set one at a time, as a change
//! sets them, each membership visited its project and its user: two cache
//! misses each, twelve million at scale 100.
//!
//! On more than one thread (the caller says how many), the memberships
//! are resolved in as many runs of the model's list, each on a scoped
//! thread, and a helper thread lists each project's (user, source) pairs
//! ahead while this one builds the access tables from them. The result is
//! the same snapshot on any number of threads.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::Arc;

use super::{insert_sorted, member_role_ids};
use crate::catalogue::Catalogue;
use crate::ids::{GroupId, ProjectId, RoleId, UserId};
use crate::model::{MemberSpec, Model, Principal, ResourceSpec};
use crate::snapshot::access::{Access, Source};
use crate::snapshot::{ModelError, Snapshot};

/// The id of each of `names` by `id_of`, in a map of its own: for
/// resolving many references to the same names while compiling.
fn resolved<'m, T: Copy>(names: impl Iterator<Item = &'m str>, id_of: impl Fn(&str) -> Option<T>) -> Ids<'m, T> {
    names.filter_map(|name| Some((name, id_of(name)?))).collect()
}

/// A membership resolved to ids: the project, the member, its roles.
type Held<M> = (ProjectId, M, Arc<[RoleId]>);

/// Users' and groups' memberships, resolved.
type Memberships = (Vec<Held<UserId>>, Vec<Held<GroupId>>);

/// Names resolved to ids, for one compile.
type Ids<'m, T> = HashMap<&'m str, T, foldhash::fast::RandomState>;

/// The length of each of `threads` nearly equal runs of `len` items.
fn run_length(len: usize, threads: NonZeroUsize) -> usize {
    len.div_ceil(threads.get()).max(1)
}

/// `f` of each of `runs`, in order, each on its own thread but the first,
/// which runs on this one. A panic in any propagates.
fn on_threads<T: Send, R: Send>(runs: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut runs = runs.into_iter();
    let Some(first) = runs.next() else {
        return Vec::new();
    };
    if runs.len() == 0 {
        return vec![f(first)];
    }
    let f = &f;
    std::thread::scope(|scope| {
        let others: Vec<_> = runs.map(|run| scope.spawn(move || f(run))).collect();
        let mut results = vec![f(first)];
        for other in others {
            results.push(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        results
    })
}

/// A model's memberships as a compile reads them: borrowed, or its own,
/// each emptied once resolved (at a million users their names take more
/// than a GiB, which the access tables then reuse).
enum MemberList<'a> {
    Borrowed(&'a [MemberSpec]),
    Owned(&'a mut [MemberSpec]),
}

/// Projects whose (user, source) pairs a compile lists ahead of building
/// their access.
const PAIRS_AHEAD: usize = 64;

/// Memberships resolved between two releases of their names.
const RELEASE_EVERY: usize = 4_096;

/// Frees what `member` holds.
fn release(member: &mut MemberSpec) {
    let (Principal::User(name) | Principal::Group(name)) = &mut member.principal;
    drop(std::mem::take(name));
    drop(std::mem::take(&mut member.project));
    drop(std::mem::take(&mut member.roles));
}

impl Snapshot {
    /// Compiles a whole model, on this thread.
    ///
    /// # Errors
    /// The first inconsistency: a name used twice, or a reference to
    /// something the model lacks.
    pub fn compile(catalogue: Arc<Catalogue>, model: &Model) -> Result<Self, ModelError> {
        Self::compile_on(catalogue, model, NonZeroUsize::MIN)
    }

    /// [`Snapshot::compile`] on `threads` threads (this one and scoped
    /// helpers; the caller chooses, as the core reads nothing of the
    /// machine). The snapshot is the same on any number.
    ///
    /// # Errors
    /// As [`Snapshot::compile`].
    pub fn compile_on(catalogue: Arc<Catalogue>, model: &Model, threads: NonZeroUsize) -> Result<Self, ModelError> {
        let members = MemberList::Borrowed(&model.members);
        let (s, members) = Self::compile_sources(catalogue, model, members, threads)?;
        s.compile_access(members, &model.resources, threads)
    }

    /// [`Snapshot::compile`] of a model it frees as its names are
    /// resolved (each membership once resolved, the rest before the
    /// access tables are built): at a million users the memberships by
    /// name take more than a GiB, and a start would otherwise hold them
    /// and the compiled snapshot at once.
    ///
    /// # Errors
    /// As [`Snapshot::compile`].
    pub fn compile_owned(catalogue: Arc<Catalogue>, model: Model) -> Result<Self, ModelError> {
        Self::compile_owned_on(catalogue, model, NonZeroUsize::MIN)
    }

    /// [`Snapshot::compile_owned`] on `threads` threads, as
    /// [`Snapshot::compile_on`].
    ///
    /// # Errors
    /// As [`Snapshot::compile`].
    pub fn compile_owned_on(
        catalogue: Arc<Catalogue>,
        mut model: Model,
        threads: NonZeroUsize,
    ) -> Result<Self, ModelError> {
        let mut members = std::mem::take(&mut model.members);
        let owned = MemberList::Owned(&mut members);
        let (s, members) = Self::compile_sources(catalogue, &model, owned, threads)?;
        let resources = std::mem::take(&mut model.resources);
        drop(model);
        s.compile_access(members, &resources, threads)
    }

    /// A snapshot of everything in `model` but its memberships, its
    /// resources and the access tables, with the memberships resolved to
    /// ids (not yet set).
    fn compile_sources(
        catalogue: Arc<Catalogue>,
        model: &Model,
        members: MemberList<'_>,
        threads: NonZeroUsize,
    ) -> Result<(Self, Memberships), ModelError> {
        let mut s = Self::empty(catalogue);
        for env in model.environments.iter().filter(|e| e.project.is_none()) {
            let _ = s.add_environment(env)?;
        }
        for user in &model.users {
            let _ = s.put_user(user)?;
        }
        // Names resolved once: a million memberships would each walk the
        // persistent name maps, a cache miss per level.
        let users = resolved(model.users.iter().map(|u| u.name.as_str()), |n| s.user_id(n));
        let mut user_groups: Vec<(UserId, GroupId)> = Vec::new();
        for group in &model.groups {
            let _ = s.add_group(&group.name)?;
            let id = s.group_named(&group.name)?;
            let mut members = group
                .members
                .iter()
                .map(|m| {
                    users
                        .get(m.as_str())
                        .copied()
                        .ok_or_else(|| ModelError::UnknownUser(m.clone()))
                })
                .collect::<Result<Vec<UserId>, _>>()?;
            members.sort_unstable();
            members.dedup();
            user_groups.extend(members.iter().map(|user| (*user, id)));
            s.update_group(id, |g| {
                members.into_iter().for_each(|user| insert_sorted(&mut g.members, user))
            });
        }
        s.add_back_references(user_groups, |s, user, groups| {
            s.update_user(user, |u| {
                groups
                    .iter()
                    .for_each(|(_, group)| insert_sorted(&mut u.groups, *group))
            });
        });
        for project in &model.projects {
            let _ = s.put_project(project)?;
        }
        for env in model.environments.iter().filter(|e| e.project.is_some()) {
            let _ = s.add_environment(env)?;
        }
        for role in &model.roles {
            let _ = s.put_role(role)?;
        }
        let members = s.resolve_members(model, members, &users, threads)?;
        Ok((s, members))
    }

    /// Sets the resolved memberships, registers the resources and builds
    /// every project's access.
    fn compile_access(
        mut self,
        (users, groups): Memberships,
        resources: &[ResourceSpec],
        threads: NonZeroUsize,
    ) -> Result<Self, ModelError> {
        self.set_members(users, groups);
        for resource in resources {
            let _ = self.put_resource(resource)?;
        }
        let projects: Vec<ProjectId> = self.project_names.values().copied().collect();
        let mut shared = std::mem::take(&mut self.shared);
        let built = self.build_every_access(&projects, threads, |global| self.shared_set(&mut shared, global));
        self.shared = shared;
        for (project, access) in built {
            self.with_project(project, |_, data| data.access = access);
        }
        self.sync_hot();
        Ok(self)
    }

    /// The access of each of `projects`, in order. On more than one
    /// thread, a helper lists each project's (user, source) pairs ahead
    /// while this thread builds the tables from them: the tables, which the
    /// snapshot keeps, are allocated where the model's names were freed
    /// (under glibc's malloc, which gives each thread a heap of its own,
    /// tables built on a helper took half a GiB more at a million users;
    /// not measured again under mimalloc, the binary's allocator since),
    /// and the shared sets are interned here alone, in the projects' order.
    fn build_every_access(
        &self,
        projects: &[ProjectId],
        threads: NonZeroUsize,
        mut set_of: impl FnMut(Vec<RoleId>) -> u32,
    ) -> Vec<(ProjectId, Access)> {
        let listed = |project: &ProjectId| {
            let pairs = self.project(*project).map(|d| self.access_pairs(d));
            (*project, pairs.unwrap_or_default())
        };
        let build = |(project, pairs): (ProjectId, Vec<(UserId, Source)>)| {
            Some((project, self.access_of(self.project(project)?, &pairs, &mut set_of)))
        };
        if threads.get() == 1 {
            return projects.iter().map(listed).filter_map(build).collect();
        }
        std::thread::scope(|scope| {
            let (ahead, pairs) = std::sync::mpsc::sync_channel(PAIRS_AHEAD);
            scope.spawn(move || {
                for project in projects {
                    if ahead.send(listed(project)).is_err() {
                        break;
                    }
                }
            });
            pairs.into_iter().filter_map(build).collect()
        })
    }

    /// Every membership of `members` by ids, users' and groups' apart, in
    /// the list's order; resolved in `threads` runs of the list. The first
    /// bad membership is the error, as if resolved in one.
    fn resolve_members(
        &self,
        model: &Model,
        members: MemberList<'_>,
        users: &Ids<'_, UserId>,
        threads: NonZeroUsize,
    ) -> Result<Memberships, ModelError> {
        let projects = resolved(model.projects.iter().map(|p| p.key.as_str()), |k| self.project_id(k));
        let resolve = |run: &[MemberSpec]| self.resolve_run(run, &projects, users);
        let runs = match members {
            MemberList::Borrowed(members) => {
                on_threads(members.chunks(run_length(members.len(), threads)).collect(), resolve)
            }
            MemberList::Owned(members) => {
                let runs = members.chunks_mut(run_length(members.len(), threads)).collect();
                on_threads(runs, |run| {
                    let mut resolved = Memberships::default();
                    for part in run.chunks_mut(RELEASE_EVERY) {
                        let (users, groups) = resolve(part)?;
                        part.iter_mut().for_each(release);
                        resolved.0.extend(users);
                        resolved.1.extend(groups);
                    }
                    Ok(resolved)
                })
            }
        };
        let mut runs = runs.into_iter();
        let (mut user_members, mut group_members) = runs.next().unwrap_or_else(|| Ok(Memberships::default()))?;
        for run in runs {
            let (more_users, more_groups) = run?;
            user_members.extend(more_users);
            group_members.extend(more_groups);
        }
        Ok((user_members, group_members))
    }

    /// The memberships of `members`, resolved in order.
    fn resolve_run(
        &self,
        members: &[MemberSpec],
        projects: &Ids<'_, ProjectId>,
        users: &Ids<'_, UserId>,
    ) -> Result<Memberships, ModelError> {
        let mut roles = RoleLists::default();
        let (mut user_members, mut group_members) = (Vec::new(), Vec::new());
        for member in members {
            let project = projects.get(member.project.as_str()).copied();
            let project = project.ok_or_else(|| ModelError::UnknownProject(member.project.clone()))?;
            match &member.principal {
                Principal::User(name) => {
                    let user = users.get(name.as_str()).copied();
                    let user = user.ok_or_else(|| ModelError::UnknownUser(name.clone()))?;
                    user_members.push((project, user, roles.resolve(self, project, &member.roles, name)?));
                }
                Principal::Group(name) => {
                    let group = self.group_named(name)?;
                    group_members.push((project, group, roles.resolve(self, project, &member.roles, name)?));
                }
            }
        }
        Ok((user_members, group_members))
    }

    /// Sets resolved memberships as [`Snapshot::set_user_member`] and
    /// [`Snapshot::set_group_member`] would one by one (a later one of the
    /// same member replaces an earlier one), each project visited once.
    fn set_members(&mut self, mut users: Vec<Held<UserId>>, mut groups: Vec<Held<GroupId>>) {
        // Stable: a member's memberships keep the model's order.
        users.sort_by_key(|(project, ..)| *project);
        groups.sort_by_key(|(project, ..)| *project);
        for held in users.chunk_by(|a, b| a.0 == b.0) {
            self.with_project(held[0].0, |_, d| {
                for (_, user, roles) in held {
                    d.users.insert(*user, Arc::clone(roles));
                }
            });
        }
        for held in groups.chunk_by(|a, b| a.0 == b.0) {
            self.with_project(held[0].0, |_, d| {
                for (_, group, roles) in held {
                    d.groups.insert(*group, Arc::clone(roles));
                }
            });
        }
        self.add_back_references(users.iter().map(|(p, u, _)| (*u, *p)).collect(), |s, user, projects| {
            s.update_user(user, |u| {
                projects.iter().for_each(|(_, p)| insert_sorted(&mut u.projects, *p))
            });
        });
        self.add_back_references(
            groups.iter().map(|(p, g, _)| (*g, *p)).collect(),
            |s, group, projects| {
                s.update_group(group, |g| {
                    projects.iter().for_each(|(_, p)| insert_sorted(&mut g.projects, *p))
                });
            },
        );
    }

    /// Calls `add` once per owner of `pairs` (sorted, deduplicated), in id
    /// order, with its pairs in order.
    fn add_back_references<O: Copy + Ord, T: Ord>(
        &mut self,
        mut pairs: Vec<(O, T)>,
        mut add: impl FnMut(&mut Self, O, &[(O, T)]),
    ) {
        pairs.sort_unstable();
        pairs.dedup();
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            add(self, run[0].0, run);
        }
    }
}

/// The role lists of memberships, as [`Snapshot::member_roles`] makes
/// them, for a whole model: the role names of the project at hand are
/// remembered (a model lists a project's members together), and members
/// holding the same roles share one list (most hold one or two), made
/// only when new.
#[derive(Default)]
struct RoleLists<'m> {
    project: Option<ProjectId>,
    names: Vec<(&'m str, RoleId)>,
    ids: Vec<RoleId>,
    lists: HashSet<Arc<[RoleId]>, foldhash::fast::RandomState>,
}

impl<'m> RoleLists<'m> {
    /// The sorted roles `names` name in `project`, shared.
    fn resolve(
        &mut self,
        s: &Snapshot,
        project: ProjectId,
        names: &'m [String],
        member: &str,
    ) -> Result<Arc<[RoleId]>, ModelError> {
        if self.project != Some(project) {
            self.project = Some(project);
            self.names.clear();
        }
        let Self { names: known, ids, .. } = self;
        member_role_ids(names, member, ids, |name| {
            if let Some((_, id)) = known.iter().find(|(n, _)| *n == name) {
                return Some(*id);
            }
            let id = s.role_id(Some(project), name)?;
            known.push((name, id));
            Some(id)
        })?;
        if let Some(known) = self.lists.get(self.ids.as_slice()) {
            return Ok(Arc::clone(known));
        }
        let list: Arc<[RoleId]> = self.ids.as_slice().into();
        self.lists.insert(Arc::clone(&list));
        Ok(list)
    }
}
