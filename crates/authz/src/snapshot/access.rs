//! One project's compiled access. Hot: a member table from user to a packed
//! reference into an array of permission entries, interned by content, so
//! users whose roles add up to the same permissions share one entry run. A
//! run holds what project roles (and Project Admin) grant, then a reference
//! to a [`SharedSets`] entry for the user's other global roles, interned
//! once for the whole snapshot, so that a global role's edit recomputes
//! that shared table and no project. Cold: the interned source sets (the
//! roles each user holds, and through which membership), to explain allows
//! and to recompute runs when a project role changes without touching the
//! memberships.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::ALL_SLOTS;
use super::table::MemberTable;
use crate::check::Denial;
use crate::ids::{ActionId, GroupId, RoleId, UserId};
use crate::sets::ActionSet;

/// Actions of one half of the catalogue (`word` holds actions `64·h ..
/// 64·h + 63`) granted in the environment slots of `envs`, whose bit 63 is
/// `h`; `envs` holds every slot for actions that are not environment-scoped.
/// Two words: catalogues of up to 64 actions need one entry per mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PermEntry {
    word: u64,
    envs: u64,
}

const HIGH_HALF: u64 = 1 << 63;

/// The half tag and bit of an action, as entries store them.
#[inline]
fn action_bits(action: ActionId) -> (u64, u64) {
    let i = action.index();
    (if i >= 64 { HIGH_HALF } else { 0 }, 1u64 << (i & 63))
}

impl PermEntry {
    /// The entry that stands for shared global-role set `set`: its word is
    /// 0, which no permission entry has (`push_entries` skips empty words).
    fn shared(set: u32) -> Self {
        Self {
            word: 0,
            envs: u64::from(set),
        }
    }

    /// The shared set this entry stands for, if it is such a reference.
    #[inline]
    fn shared_set(self) -> Option<u32> {
        // the low half holds the set index.
        (self.word == 0).then_some(self.envs as u32)
    }

    #[inline]
    fn grants(self, action: ActionId, env_mask: u64) -> bool {
        let (half, bit) = action_bits(action);
        self.word & bit != 0 && self.envs & HIGH_HALF == half && self.envs & env_mask != 0
    }

    /// The slots this entry grants `action` in; none when it does not name it.
    #[inline]
    fn slots_naming(self, action: ActionId) -> u64 {
        if self.names(action) { self.envs & !HIGH_HALF } else { 0 }
    }

    #[inline]
    fn names(self, action: ActionId) -> bool {
        let (half, bit) = action_bits(action);
        self.word & bit != 0 && self.envs & HIGH_HALF == half
    }
}

/// Pushes the entries of `actions` in the slots of `envs` (one per half used).
fn push_entries(out: &mut Vec<PermEntry>, actions: ActionSet, envs: u64) {
    let (lo, hi) = actions.halves();
    if lo != 0 {
        out.push(PermEntry { word: lo, envs });
    }
    if hi != 0 {
        out.push(PermEntry {
            word: hi,
            envs: envs | HIGH_HALF,
        });
    }
}

/// What one role grants in one project: its actions and environment slots.
pub(crate) type RoleGrant = (ActionSet, u64);

/// A run of entries, packed as `start << 8 | len` (at most 255 entries: one
/// per distinct environment mask plus one, far below that in practice).
pub(crate) type PermRef = u32;

const MAX_RUN: usize = 255;

fn pack(start: usize, len: usize) -> PermRef {
    // Runs are capped at MAX_RUN and arrays at 2^24 entries (compaction).
    ((start as u32) << 8) | (len.min(MAX_RUN) as u32)
}

pub(crate) fn unpack(r: PermRef) -> (usize, usize) {
    ((r >> 8) as usize, (r & 0xFF) as usize)
}

/// The run `r` refers to in `entries` (empty when out of range).
#[inline]
fn run_in(entries: &[PermEntry], r: PermRef) -> &[PermEntry] {
    let (start, len) = unpack(r);
    entries.get(start..start + len).unwrap_or(&[])
}

/// The run of a source set: the canonical entries of what its own grants
/// give (`entries_of`), then a reference to its shared global-role set.
pub(crate) fn run_of(
    grants: impl Iterator<Item = RoleGrant>,
    shared: Option<u32>,
    env_scoped: ActionSet,
) -> Vec<PermEntry> {
    let mut run = entries_of(grants, env_scoped);
    if let Some(set) = shared {
        run.truncate(MAX_RUN - 1);
        run.push(PermEntry::shared(set));
    }
    run
}

/// Canonical entries for the union of `grants`: one for non-scoped actions,
/// then one per distinct environment mask, sorted.
fn entries_of(grants: impl Iterator<Item = RoleGrant>, env_scoped: ActionSet) -> Vec<PermEntry> {
    let mut unscoped = ActionSet::EMPTY;
    let mut scoped: Vec<(u64, ActionSet)> = Vec::new();
    for (actions, envs) in grants {
        unscoped = unscoped.union(actions.difference(env_scoped));
        let actions = actions.intersection(env_scoped);
        // A role limited to no environment still says the action exists
        // here (an `environment_not_granted` deny); its mask matches nothing.
        if actions.is_empty() {
            continue;
        }
        match scoped.iter_mut().find(|(mask, _)| *mask == envs) {
            Some((_, set)) => *set = set.union(actions),
            None => scoped.push((envs, actions)),
        }
    }
    scoped.sort_by_key(|(mask, _)| *mask);
    let mut out = Vec::with_capacity(scoped.len() + 1);
    push_entries(&mut out, unscoped, ALL_SLOTS);
    for (envs, actions) in scoped {
        push_entries(&mut out, actions, envs);
    }
    out.truncate(MAX_RUN);
    out
}

/// The entries of every distinct permission of a project. No index is
/// kept: a snapshot derived by one change would copy it (a hash map of
/// runs, an allocation each), while the runs in use are found from the
/// source sets' references in a few hundred comparisons of short slices.
#[derive(Clone, Debug, Default)]
struct Perms {
    entries: Arc<[PermEntry]>,
}

impl Perms {
    fn run(&self, r: PermRef) -> &[PermEntry] {
        run_in(&self.entries, r)
    }

    /// The reference of `run`: one of `known` whose entries are `run`, or a
    /// new one appended.
    fn intern(&mut self, run: Vec<PermEntry>, known: &[PermRef]) -> PermRef {
        if let Some(r) = known.iter().find(|r| self.run(**r) == run.as_slice()) {
            return *r;
        }
        let mut entries = self.entries.to_vec();
        let r = pack(entries.len(), run.len());
        entries.extend_from_slice(&run);
        self.entries = entries.into();
        r
    }
}

/// The maps that intern runs and source sets: keyed by small ids, hashed
/// with foldhash (seeded per map) rather than SipHash, a fifth of compile.
type Interned<K, V> = HashMap<K, V, RandomState>;

/// Through which membership a user holds a role in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Via {
    /// The user's own membership.
    Direct,
    /// The membership of one of its groups.
    Group(GroupId),
}

/// One role a user holds in a project, and through which membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Source {
    pub(crate) via: Via,
    pub(crate) role: RoleId,
}

/// Interned source sets (what users hold, and how), with use counts. No
/// index is kept: a snapshot derived by one change would copy it (a hash
/// map per project, the largest part of a project's cold tables at a
/// million users), while one project holds a few hundred distinct sets at
/// most, found by comparing short slices. Compiling keeps an index of its
/// own while it interns every member.
#[derive(Clone, Debug, Default)]
struct SourceSets {
    // INVARIANT: `sets` are distinct; `uses[i]` counts users holding set
    // i; `perm[i]` is the interned permission of set i (for a live set).
    sets: Vec<Arc<[Source]>>,
    uses: Vec<u32>,
    perm: Vec<PermRef>,
}

impl SourceSets {
    /// The index of the set `sources`, if interned (live or dead).
    fn find(&self, sources: &[Source]) -> Option<u32> {
        // A project holds far fewer than 2^32 distinct source sets.
        self.sets.iter().position(|s| **s == *sources).map(|i| i as u32)
    }

    /// The set's index, interning it (its permission from `perm_of`);
    /// `found` is [`SourceSets::find`]'s answer. A dead set taken up again
    /// is recomputed: the Project Admin role's edit refreshes only the
    /// projects where someone holds it, so a set nobody held may describe
    /// the role as it was.
    /// `perm_of` is also given the permissions of every set interned so far.
    fn intern_at(
        &mut self,
        found: Option<u32>,
        sources: &[Source],
        perm_of: impl FnOnce(&[Source], &[PermRef]) -> PermRef,
    ) -> u32 {
        if let Some(i) = found {
            let at = i as usize;
            if self.uses[at] == 0 {
                self.perm[at] = perm_of(sources, &self.perm);
            }
            self.uses[at] += 1;
            return i;
        }
        let perm = perm_of(sources, &self.perm);
        // A project holds far fewer than 2^32 distinct source sets.
        let i = self.sets.len() as u32;
        self.sets.push(sources.into());
        self.uses.push(1);
        self.perm.push(perm);
        i
    }

    fn release(&mut self, index: u32) {
        if let Some(uses) = self.uses.get_mut(index as usize) {
            *uses = uses.saturating_sub(1);
        }
    }

    fn get(&self, index: u32) -> &[Source] {
        self.sets.get(index as usize).map_or(&[], |s| s)
    }

    fn live(&self) -> usize {
        self.uses.iter().filter(|u| **u > 0).count()
    }
}

/// The part of a project's access that checks read, kept inline in the
/// snapshot's hot table (one fewer pointer to chase per check).
#[derive(Clone, Debug, Default)]
pub(crate) struct HotAccess {
    // INVARIANT: `live` is false exactly for removed or never-made projects.
    live: bool,
    table: MemberTable,
    entries: Arc<[PermEntry]>,
}

impl HotAccess {
    /// Whether the project exists.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.live
    }

    /// Whether the user's permissions grant `action` in the slots of `env_mask`.
    #[inline]
    pub(crate) fn allows(&self, user: UserId, action: ActionId, env_mask: u64, shared: &SharedPerms) -> bool {
        let Some(r) = self.table.get(user) else { return false };
        run_in(&self.entries, r).iter().any(|e| match e.shared_set() {
            None => e.grants(action, env_mask),
            Some(set) => shared.run(set).iter().any(|e| e.grants(action, env_mask)),
        })
    }

    /// Asks the CPU to fetch the user's slot of the member table (a hint).
    #[inline]
    pub(crate) fn prefetch_slot(&self, user: UserId) {
        self.table.prefetch(user);
    }

    /// Asks the CPU to fetch the start of the user's permission run (a
    /// hint; reads the user's slot).
    #[inline]
    pub(crate) fn prefetch_run(&self, user: UserId) {
        if let Some(r) = self.table.get(user)
            && let Some(first) = self.entries.get(unpack(r).0)
        {
            mem_prefetch::prefetch_read_data::<PermEntry, 3>(first);
        }
    }

    /// The environment slots in which the user's permissions grant `action`
    /// (bit 63 clear): `allows(user, action, m)` is `slots & m != 0`.
    #[inline]
    pub(crate) fn slots(&self, user: UserId, action: ActionId, shared: &SharedPerms) -> u64 {
        self.table.get(user).map_or(0, |r| self.run_slots(r, action, shared))
    }

    /// The environment slots in which the permission run `r` grants `action`.
    #[inline]
    pub(crate) fn run_slots(&self, r: PermRef, action: ActionId, shared: &SharedPerms) -> u64 {
        let mut slots = 0;
        for e in run_in(&self.entries, r) {
            match e.shared_set() {
                None => slots |= e.slots_naming(action),
                Some(set) => {
                    for e in shared.run(set) {
                        slots |= e.slots_naming(action);
                    }
                }
            }
        }
        slots
    }

    /// Every member with its permission run, in table order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (UserId, PermRef)> + '_ {
        self.table.iter()
    }

    /// The number of permission entries: every run's start is below it.
    pub(crate) fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Whether `other` is this table, unchanged: every member has the same
    /// run of the same entries (shared sets aside).
    pub(crate) fn same_runs(&self, other: &Self) -> bool {
        self.live == other.live && self.table.ptr_eq(&other.table) && Arc::ptr_eq(&self.entries, &other.entries)
    }

    /// Why a check this table denies is denied: not a member, or no role
    /// naming the action, or not in this environment.
    pub(crate) fn denial(&self, user: UserId, action: ActionId, shared: &SharedPerms) -> Denial {
        let Some(r) = self.table.get(user) else {
            return Denial::NotAMember;
        };
        if run_in(&self.entries, r).iter().any(|e| match e.shared_set() {
            None => e.names(action),
            Some(set) => shared.run(set).iter().any(|e| e.names(action)),
        }) {
            Denial::EnvironmentNotGranted
        } else {
            Denial::ActionNotGranted
        }
    }
}

/// Member tables and source sets of one project.
#[derive(Clone, Debug, Default)]
pub(crate) struct Access {
    // INVARIANT: for every user u of `user_sets`, `table[u] ==
    // sets.perm[user_sets[u]]`; users without a role are in neither.
    table: MemberTable,
    perms: Perms,
    user_sets: MemberTable,
    sets: Arc<SourceSets>,
}

impl Access {
    /// The hot part, for the snapshot's check table.
    pub(crate) fn hot(&self) -> HotAccess {
        HotAccess {
            live: true,
            table: self.table.clone(),
            entries: Arc::clone(&self.perms.entries),
        }
    }

    /// The sources through which `user` holds `action` in the slots of
    /// `env_mask`: the grants of an allow.
    pub(crate) fn granting<'a>(
        &'a self,
        user: UserId,
        action: ActionSet,
        env_mask: u64,
        grant: impl Fn(RoleId) -> RoleGrant + 'a,
    ) -> impl Iterator<Item = Source> + 'a {
        let sources = self.user_sets.get(user).map_or(&[][..], |s| self.sets.get(s));
        sources.iter().filter_map(move |source| {
            let (actions, envs) = grant(source.role);
            let granted = !actions.intersection(action).is_empty() && (env_mask == ALL_SLOTS || envs & env_mask != 0);
            granted.then_some(*source)
        })
    }

    /// Whether `user` holds a role here, directly or through a group.
    pub(crate) fn has_member(&self, user: UserId) -> bool {
        self.user_sets.get(user).is_some()
    }

    /// The users with a role here.
    pub(crate) fn users(&self) -> impl Iterator<Item = UserId> + '_ {
        self.table.iter().map(|(u, _)| u)
    }

    /// Builds from scratch: every (user, sources) pair of the project, the
    /// sources sorted and deduplicated.
    pub(crate) fn build<S: IntoIterator<Item = Source>>(
        members: impl Iterator<Item = (UserId, S)>,
        size_hint: usize,
        mut run_of: impl FnMut(&[Source]) -> Vec<PermEntry>,
    ) -> Self {
        let mut perms = Perms::default();
        let mut entries: Vec<PermEntry> = Vec::new();
        let mut index: Interned<Vec<PermEntry>, PermRef> = Interned::default();
        let mut sets = SourceSets::default();
        let mut known_sets: Interned<Arc<[Source]>, u32> = Interned::default();
        let mut table = MemberTable::with_capacity(size_hint);
        let mut user_sets = MemberTable::with_capacity(size_hint);
        // One buffer for every user's sources: a set is copied only when new.
        let mut sources: Vec<Source> = Vec::new();
        for (user, each) in members {
            sources.clear();
            sources.extend(each);
            if sources.is_empty() {
                continue;
            }
            let found = known_sets.get(sources.as_slice()).copied();
            let set = sets.intern_at(found, &sources, |sources, _| {
                let run = run_of(sources);
                *index.entry(run).or_insert_with_key(|run| {
                    let r = pack(entries.len(), run.len());
                    entries.extend_from_slice(run);
                    r
                })
            });
            if found.is_none()
                && let Some(new) = sets.sets.last()
            {
                known_sets.insert(Arc::clone(new), set);
            }
            user_sets.set(user, Some(set));
            table.set(user, Some(sets.perm[set as usize]));
        }
        perms.entries = entries.into();
        Self {
            table,
            perms,
            user_sets,
            sets: Arc::new(sets),
        }
    }

    /// Sets what `user` holds (`sources` sorted, deduplicated; empty removes
    /// the user).
    pub(crate) fn set_user(
        &mut self,
        user: UserId,
        sources: Vec<Source>,
        run_of: impl FnOnce(&[Source]) -> Vec<PermEntry>,
    ) {
        let current = self.user_sets.get(user);
        if let Some(set) = current
            && self.sets.get(set) == sources.as_slice()
        {
            return;
        }
        let sets = Arc::make_mut(&mut self.sets);
        if let Some(old) = current {
            sets.release(old);
        }
        if sources.is_empty() {
            self.user_sets.set(user, None);
            self.table.set(user, None);
            return;
        }
        let perms = &mut self.perms;
        let set = sets.intern_at(sets.find(&sources), &sources, |sources, known| {
            perms.intern(run_of(sources), known)
        });
        self.user_sets.set(user, Some(set));
        self.table.set(user, Some(sets.perm[set as usize]));
    }

    /// Whether dead source sets outnumber live ones enough to rebuild.
    pub(crate) fn needs_compaction(&self) -> bool {
        let total = self.sets.sets.len();
        (total > 32 && self.sets.live() * 2 < total) || self.perms.entries.len() > 1 << 23
    }

    /// Recomputes every permission from the source sets (after an edit of a
    /// project role or of Project Admin, or a change of admin privileges);
    /// memberships stay.
    pub(crate) fn refresh_perms(&mut self, mut run_of: impl FnMut(&[Source]) -> Vec<PermEntry>) {
        let mut entries: Vec<PermEntry> = Vec::new();
        let mut index: Interned<Vec<PermEntry>, PermRef> = Interned::default();
        let sets = Arc::make_mut(&mut self.sets);
        // Every set, dead ones too (a dead set taken up again is recomputed
        // anyway, see `SourceSets::intern_at`; refreshing it keeps it tidy).
        for (i, sources) in sets.sets.iter().enumerate() {
            let run = run_of(sources);
            sets.perm[i] = *index.entry(run).or_insert_with_key(|run| {
                let r = pack(entries.len(), run.len());
                entries.extend_from_slice(run);
                r
            });
        }
        self.perms = Perms {
            entries: entries.into(),
        };
        let updates: Vec<(UserId, u32)> = self.user_sets.iter().collect();
        for (user, set) in updates {
            self.table.set(user, Some(sets.perm[set as usize]));
        }
    }

    /// Whether any user here holds `role`.
    pub(crate) fn uses_role(&self, role: RoleId) -> bool {
        self.sets
            .sets
            .iter()
            .zip(&self.sets.uses)
            .any(|(s, uses)| *uses > 0 && s.iter().any(|x| x.role == role))
    }

    /// Approximate heap bytes of the parts checks read.
    pub(crate) fn hot_bytes(&self) -> usize {
        self.table.heap_bytes() + self.perms.entries.len() * size_of::<PermEntry>()
    }
}

/// The shared global-role sets: every distinct set of global roles (but
/// Project Admin, whose grant depends on the project) that some user holds
/// in some project, interned once for the whole snapshot, with what each
/// grants. A project's run refers to its set by index, so that editing a
/// global role recomputes this table alone, not any project.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedSets {
    // INVARIANT: `index[sets[i]] == i`; `perms.run(i)` is what the roles of
    // `sets[i]` grant now (sets are sorted, deduplicated role ids).
    sets: Vec<Arc<[RoleId]>>,
    index: Interned<Arc<[RoleId]>, u32>,
    perms: SharedPerms,
}

/// The part of [`SharedSets`] that checks read: each set's run of entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedPerms {
    runs: Vec<PermRef>,
    entries: Vec<PermEntry>,
}

impl SharedPerms {
    /// The entries of set `set` (empty for an unknown one).
    #[inline]
    fn run(&self, set: u32) -> &[PermEntry] {
        self.runs.get(set as usize).map_or(&[], |r| run_in(&self.entries, *r))
    }

    fn push(&mut self, run: &[PermEntry]) -> PermRef {
        let r = pack(self.entries.len(), run.len());
        self.entries.extend_from_slice(run);
        r
    }
}

impl SharedSets {
    /// The index of the set of `roles` (sorted, deduplicated), interning
    /// it with what `grant` says each role grants.
    pub(crate) fn intern(
        &mut self,
        roles: Vec<RoleId>,
        grant: impl Fn(RoleId) -> RoleGrant,
        env_scoped: ActionSet,
    ) -> u32 {
        if let Some(&i) = self.index.get(roles.as_slice()) {
            return i;
        }
        let run = entries_of(roles.iter().map(|r| grant(*r)), env_scoped);
        let r = self.perms.push(&run);
        // Far fewer than 2^32 distinct sets of global roles exist.
        let i = self.sets.len() as u32;
        let roles: Arc<[RoleId]> = roles.into();
        self.index.insert(Arc::clone(&roles), i);
        self.sets.push(roles);
        self.perms.runs.push(r);
        i
    }

    /// The index of the set of `roles`, if interned (no copy needed).
    pub(crate) fn find(&self, roles: &[RoleId]) -> Option<u32> {
        self.index.get(roles).copied()
    }

    /// Recomputes what every set grants (a global role or a global
    /// environment changed): work in the number of distinct sets only.
    pub(crate) fn refresh(&mut self, grant: impl Fn(RoleId) -> RoleGrant, env_scoped: ActionSet) {
        let mut perms = SharedPerms::default();
        perms.entries.reserve(self.perms.entries.len());
        for roles in &self.sets {
            let run = entries_of(roles.iter().map(|r| grant(*r)), env_scoped);
            let r = perms.push(&run);
            perms.runs.push(r);
        }
        self.perms = perms;
    }

    /// What checks read.
    #[inline]
    pub(crate) fn perms(&self) -> &SharedPerms {
        &self.perms
    }

    /// Approximate heap bytes of the parts checks read.
    pub(crate) fn hot_bytes(&self) -> usize {
        self.perms.runs.len() * size_of::<PermRef>() + self.perms.entries.len() * size_of::<PermEntry>()
    }
}
