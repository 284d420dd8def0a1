//! One project's compiled access. Hot: a member table from user to a packed
//! reference into an array of permission words, interned by content, so
//! users whose roles add up to the same permissions share one run. A run
//! holds where the row of a [`SharedSets`] entry for the user's global
//! roles (but Project Admin) starts, interned once for the whole snapshot,
//! then the bits of what project roles and Project Admin grant
//! ([`bits`](super::bits)), so that a global role's edit recomputes that
//! shared table and no project. Cold: the interned source sets (the roles
//! each user holds, and through which membership), to explain allows and
//! to recompute runs when a project role changes without touching the
//! memberships.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use foldhash::fast::RandomState;

use super::ALL_SLOTS;
use super::bits::{Layout, Word, word_has, word_in, word_of};
use super::pairs::SortedPairs;
use super::table::{MemberTable, Slots};
use crate::check::Denial;
use crate::ids::{ActionId, GroupId, RoleId, UserId};
use crate::sets::ActionSet;

/// What one role grants in one project: its actions and environment slots.
pub(crate) type RoleGrant = (ActionSet, u64);

/// A run of words, packed as `start << 9 | len`: a run holds at most 261
/// words (a header, 128 named actions and 64 rows of 128 scoped ones), and
/// a project's array at most 2^23 words (compaction rebuilds it sooner).
pub(crate) type PermRef = u32;

const LEN_BITS: u32 = 9;
const MAX_WORDS: usize = 1 << 22;

fn pack(start: usize, len: usize) -> PermRef {
    // `len` is below 2^9 (see `PermRef`), `start` below 2^23.
    ((start as u32) << LEN_BITS) | len as u32
}

pub(crate) fn unpack(r: PermRef) -> (usize, usize) {
    ((r >> LEN_BITS) as usize, (r & ((1 << LEN_BITS) - 1)) as usize)
}

/// The run `r` refers to in `words` (empty when out of range).
#[inline]
fn run_in(words: &[Word], r: PermRef) -> &[Word] {
    let (start, len) = unpack(r);
    words.get(start..start + len).unwrap_or(&[])
}

/// The header of a run whose holders hold no shared global role: the
/// shared rows' first row, of zeros.
const NO_SHARED_ROW: Word = 0;

/// The run of a source set: where the row of its shared global-role set
/// starts ([`SharedPerms::row_start`]), then the bits of what its own
/// grants give.
pub(crate) fn run_of(grants: impl Iterator<Item = RoleGrant>, shared: Option<u32>, layout: &Layout) -> Vec<Word> {
    let header = shared.map_or(NO_SHARED_ROW, |set| SharedPerms::row_start(set, layout.width()));
    let mut run = vec![header];
    run.extend(layout.encode(grants));
    run
}

/// A run's shared row (the header) and its own bits.
#[inline]
fn split(run: &[Word]) -> (Word, &[Word]) {
    match run.split_first() {
        Some((row, own)) => (*row, own),
        None => (NO_SHARED_ROW, &[]),
    }
}

/// The words of every distinct permission of a project. No index is
/// kept: a snapshot derived by one change would copy it (a hash map of
/// runs, an allocation each), while the runs in use are found from the
/// source sets' references in a few hundred comparisons of short slices.
#[derive(Clone, Debug, Default)]
struct Perms {
    words: Arc<[Word]>,
}

impl Perms {
    /// The reference of `run`: one of `known` whose words are `run`, or a
    /// new one appended.
    fn intern(&mut self, run: Vec<Word>, known: &[PermRef]) -> PermRef {
        let mut edit = self.edit();
        let r = edit.intern(run, known);
        edit.finish();
        r
    }

    /// Appends runs to a copy of the words, made at the first new run and
    /// stored by [`PermsEdit::finish`].
    fn edit(&mut self) -> PermsEdit<'_> {
        PermsEdit {
            perms: self,
            words: None,
        }
    }
}

/// Runs interned into a project's words during one edit: the words are
/// copied once, however many new runs are appended.
struct PermsEdit<'a> {
    perms: &'a mut Perms,
    words: Option<Vec<Word>>,
}

impl PermsEdit<'_> {
    /// As [`Perms::intern`].
    fn intern(&mut self, run: Vec<Word>, known: &[PermRef]) -> PermRef {
        let current = self.words.as_deref().unwrap_or(&self.perms.words);
        if let Some(r) = known.iter().find(|r| run_in(current, **r) == run.as_slice()) {
            return *r;
        }
        let words = self.words.get_or_insert_with(|| self.perms.words.to_vec());
        let r = pack(words.len(), run.len());
        words.extend_from_slice(&run);
        r
    }

    /// Stores the words, with every run appended.
    fn finish(self) {
        if let Some(words) = self.words {
            self.perms.words = words.into();
        }
    }
}

/// Interns runs while a project's table is built from scratch.
#[derive(Default)]
struct RunBuilder {
    words: Vec<Word>,
    index: Interned<Vec<Word>, PermRef>,
}

impl RunBuilder {
    fn intern(&mut self, run: Vec<Word>) -> PermRef {
        let words = &mut self.words;
        *self.index.entry(run).or_insert_with_key(|run| {
            let r = pack(words.len(), run.len());
            words.extend_from_slice(run);
            r
        })
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
/// own while it interns every member. The sets lie end to end in one
/// array (an explanation reads its user's set without chasing a pointer
/// per set, and a copy for an edit copies two arrays).
#[derive(Clone, Debug, Default)]
struct SourceSets {
    // INVARIANT: set i is `sources[ends[i - 1]..ends[i]]` (from 0 for the
    // first); the sets are distinct; `uses[i]` counts users holding set i;
    // `perm[i]` is the interned permission of set i (for a live set).
    sources: Vec<Source>,
    ends: Vec<u32>,
    uses: Vec<u32>,
    perm: Vec<PermRef>,
}

impl SourceSets {
    /// Every set, in index order.
    fn iter(&self) -> impl Iterator<Item = &[Source]> {
        (0..self.ends.len()).map(|i| self.get(i as u32))
    }

    /// How many sets are interned, live or dead.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The index of the set `sources`, if interned (live or dead).
    fn find(&self, sources: &[Source]) -> Option<u32> {
        // A project holds far fewer than 2^32 distinct source sets.
        self.iter().position(|s| s == sources).map(|i| i as u32)
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
        // A project holds far fewer than 2^32 distinct source sets, and
        // sources.
        let i = self.ends.len() as u32;
        self.sources.extend_from_slice(sources);
        self.ends.push(self.sources.len() as u32);
        self.uses.push(1);
        self.perm.push(perm);
        i
    }

    fn release(&mut self, index: u32) {
        if let Some(uses) = self.uses.get_mut(index as usize) {
            *uses = uses.saturating_sub(1);
        }
    }

    #[inline]
    fn get(&self, index: u32) -> &[Source] {
        let i = index as usize;
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied(),
            None => Some(0),
        };
        match (start, self.ends.get(i)) {
            (Some(start), Some(end)) => self.sources.get(start as usize..*end as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn live(&self) -> usize {
        self.uses.iter().filter(|u| **u > 0).count()
    }
}

/// The part of a project's access that checks read, kept inline in the
/// snapshot's hot table (one fewer pointer to chase per check): two fat
/// pointers, 32 bytes, two entries to a cache line.
#[derive(Clone, Debug, Default)]
#[repr(align(32))]
pub(crate) struct HotAccess {
    table: Slots,
    // INVARIANT: empty exactly for removed or never-made projects (a live
    // project without members holds one unused word).
    words: Arc<[Word]>,
}

// Two entries to a 64-byte line: a check reads one line of the table.
const _: () = assert!(size_of::<HotAccess>() == 32);

impl HotAccess {
    /// Whether the project exists.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        !self.words.is_empty()
    }

    /// The user's permission run, if it is a member.
    #[inline]
    pub(crate) fn find(&self, user: UserId) -> Option<PermRef> {
        self.table.get(user)
    }

    /// Whether the permission run `r` ([`HotAccess::find`]) sets `bit`:
    /// its own words, or its shared set's. Both are read and no branch
    /// depends on what they hold: they come from memory just fetched, and
    /// a mispredicted branch on them would discard the work the CPU had
    /// started on the checks after this one.
    #[inline]
    pub(crate) fn run_allows(&self, r: PermRef, bit: u32, shared: &SharedPerms) -> bool {
        let (start, len) = unpack(r);
        // The run's one-word header is where its shared row starts; its own
        // bits follow. Every run holds its header (`run_of`): `start` is a
        // word of it, and `len` is at least 1.
        let row = self.words.get(start).copied().unwrap_or(NO_SHARED_ROW);
        let at = word_of(bit);
        let own = word_in(&self.words, start + 1, len.wrapping_sub(1), at);
        word_has(own | shared.row_word(row, at), bit)
    }

    /// Whether the user's permissions grant `action` in the slots of `env_mask`.
    pub(crate) fn allows(&self, user: UserId, action: ActionId, env_mask: u64, perms: SnapshotPerms<'_>) -> bool {
        self.slots(user, action, perms) & env_mask != 0
    }

    /// Asks the CPU to fetch the user's slot of the member table (a hint).
    #[inline]
    pub(crate) fn prefetch_slot(&self, user: UserId) {
        self.table.prefetch(user);
    }

    /// Asks the CPU to fetch the start of the permission run `r` (a hint).
    #[inline]
    pub(crate) fn prefetch_run(&self, r: PermRef) {
        if let Some(first) = self.words.get(unpack(r).0) {
            mem_prefetch::prefetch_read_data::<Word, 3>(first);
        }
    }

    /// The environment slots in which the user's permissions grant `action`
    /// (bit 63 clear): `allows(user, action, m)` is `slots & m != 0`.
    #[inline]
    pub(crate) fn slots(&self, user: UserId, action: ActionId, perms: SnapshotPerms<'_>) -> u64 {
        self.table.get(user).map_or(0, |r| self.run_slots(r, action, perms))
    }

    /// The environment slots in which the permission run `r` grants `action`.
    pub(crate) fn run_slots(&self, r: PermRef, action: ActionId, perms: SnapshotPerms<'_>) -> u64 {
        let (row, own) = split(run_in(&self.words, r));
        perms.layout.slots(own, action) | perms.layout.slots(perms.shared.run(row), action)
    }

    /// Every member with its permission run, in table order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (UserId, PermRef)> + '_ {
        self.table.iter()
    }

    /// The number of permission words: every run's start is below it.
    pub(crate) fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Whether `other` is this table, unchanged: every member has the same
    /// run of the same words (shared sets aside).
    pub(crate) fn same_runs(&self, other: &Self) -> bool {
        self.table.ptr_eq(&other.table) && Arc::ptr_eq(&self.words, &other.words)
    }

    /// Why a member whose permission run `r` does not allow a check is
    /// denied: no role naming the action, or not in this environment.
    pub(crate) fn denial(&self, r: PermRef, action: ActionId, shared: &SharedPerms) -> Denial {
        let (row, own) = split(run_in(&self.words, r));
        if Layout::names(own, action) || Layout::names(shared.run(row), action) {
            Denial::EnvironmentNotGranted
        } else {
            Denial::ActionNotGranted
        }
    }
}

/// What reading a run needs beyond the project: the snapshot's shared
/// global-role sets and its catalogue's layout.
#[derive(Clone, Copy)]
pub(crate) struct SnapshotPerms<'a> {
    pub(crate) shared: &'a SharedPerms,
    pub(crate) layout: &'a Layout,
}

/// Member tables and source sets of one project.
#[derive(Clone, Debug, Default)]
pub(crate) struct Access {
    // INVARIANT: for every user u of `user_sets`, `table[u] ==
    // sets.perm[user_sets[u]]`; users without a role are in neither.
    table: MemberTable,
    perms: Perms,
    user_sets: SortedPairs,
    sets: Arc<SourceSets>,
    // INVARIANT: how many of the users in `table` were removed from the
    // snapshot since it was built (their entries stay until the next
    // build: see `Access::depart`).
    departed: usize,
}

impl Access {
    /// The hot part, for the snapshot's check table.
    pub(crate) fn hot(&self) -> HotAccess {
        // A live project's entry is told from a removed one's by its words.
        static NO_MEMBERS: LazyLock<Arc<[Word]>> = LazyLock::new(|| Arc::from([NO_SHARED_ROW]));
        let words = if self.perms.words.is_empty() {
            Arc::clone(&NO_MEMBERS)
        } else {
            Arc::clone(&self.perms.words)
        };
        HotAccess {
            table: self.table.slots(),
            words,
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
        self.sources(user).iter().filter_map(move |source| {
            let (actions, envs) = grant(source.role);
            let granted = !actions.intersection(action).is_empty() && (env_mask == ALL_SLOTS || envs & env_mask != 0);
            granted.then_some(*source)
        })
    }

    /// Asks the CPU to fetch where [`Access::sources`] finds `user`'s
    /// sources (a hint: an explanation asks before it knows it allows).
    #[inline]
    pub(crate) fn prefetch_sources(&self, user: UserId) {
        self.user_sets.prefetch(user);
    }

    /// The roles `user` holds here, and through which membership (none
    /// for a user without a role here).
    #[inline]
    pub(crate) fn sources(&self, user: UserId) -> &[Source] {
        self.user_sets.get(user).map_or(&[][..], |s| self.sets.get(s))
    }

    /// Whether `user` holds a role here, directly or through a group.
    pub(crate) fn has_member(&self, user: UserId) -> bool {
        self.user_sets.get(user).is_some()
    }

    /// Whether `user` holds a role here for which `live` holds.
    pub(crate) fn holds_any(&self, user: UserId, live: impl Fn(RoleId) -> bool) -> bool {
        self.user_sets
            .get(user)
            .is_some_and(|set| self.sets.get(set).iter().any(|s| live(s.role)))
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
        mut run_of: impl FnMut(&[Source]) -> Vec<Word>,
    ) -> Self {
        let mut runs = RunBuilder::default();
        let mut sets = SourceSets::default();
        let mut known_sets: Interned<Box<[Source]>, u32> = Interned::default();
        let mut table = MemberTable::with_capacity(size_hint);
        let mut user_sets: Vec<(UserId, u32)> = Vec::with_capacity(size_hint);
        // One buffer for every user's sources: a set is copied only when new.
        let mut sources: Vec<Source> = Vec::new();
        for (user, each) in members {
            sources.clear();
            sources.extend(each);
            if sources.is_empty() {
                continue;
            }
            let found = known_sets.get(sources.as_slice()).copied();
            let set = sets.intern_at(found, &sources, |sources, _| runs.intern(run_of(sources)));
            if found.is_none() {
                known_sets.insert(sources.as_slice().into(), set);
            }
            user_sets.push((user, set));
            table.set(user, Some(sets.perm[set as usize]));
        }
        Self {
            table,
            perms: Perms {
                words: runs.words.into(),
            },
            user_sets: SortedPairs::from_pairs(user_sets),
            sets: Arc::new(sets),
            departed: 0,
        }
    }

    /// Counts `user`, removed from the snapshot, among the entries to drop
    /// at the next build, and leaves its entry: a removed user's flags say
    /// unknown, which every reader of the table asks first (checks,
    /// explanations, who-can, the impact preview), so the entry decides
    /// nothing, and removing a user copies no member table.
    pub(crate) fn depart(&mut self, user: UserId) {
        if self.has_member(user) {
            self.departed += 1;
        }
    }

    /// Sets what `user` holds (`sources` sorted, deduplicated; empty removes
    /// the user).
    pub(crate) fn set_user(&mut self, user: UserId, sources: Vec<Source>, run_of: impl FnOnce(&[Source]) -> Vec<Word>) {
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

    /// Takes the sources `gone` matches out of every source set (a role or
    /// a group is gone, and with it every membership's grant of it or
    /// through it): the holders of a set that had one move to the set
    /// without them, or leave when nothing is left. Each distinct set is
    /// worked out once, where [`Access::set_user`] per holder would read
    /// every holder's memberships again and look for its set.
    pub(crate) fn drop_sources(
        &mut self,
        gone: impl Fn(&Source) -> bool,
        mut run_of: impl FnMut(&[Source]) -> Vec<Word>,
    ) {
        // What the holders of each set with a source gone keep (one entry per
        // distinct remainder, with its set's index once known), and which
        // of them each such set's holders move to.
        let mut kept: Vec<(Vec<Source>, Option<u32>)> = Vec::new();
        let mut moves: Vec<(u32, usize)> = Vec::new();
        let mut distinct: Interned<Vec<Source>, usize> = Interned::default();
        for (i, (sources, uses)) in self.sets.iter().zip(&self.sets.uses).enumerate() {
            if *uses == 0 || !sources.iter().any(&gone) {
                continue;
            }
            let rest: Vec<Source> = sources.iter().copied().filter(|s| !gone(s)).collect();
            let at = *distinct.entry(rest).or_insert_with_key(|rest| {
                kept.push((rest.clone(), None));
                kept.len() - 1
            });
            // A project holds far fewer than 2^32 distinct source sets.
            moves.push((i as u32, at));
        }
        if moves.is_empty() {
            return;
        }
        drop(distinct);
        {
            let index: Interned<&[Source], u32> = self.sets.iter().zip(0..).collect();
            for (sources, set) in &mut kept {
                *set = index.get(sources.as_slice()).copied();
            }
        }
        let sets = Arc::make_mut(&mut self.sets);
        let mut perms = self.perms.edit();
        let mut pairs: Vec<(UserId, u32)> = Vec::new();
        for (user, old) in self.user_sets.iter() {
            let target = moves
                .binary_search_by_key(&old, |m| m.0)
                .ok()
                .and_then(|m| moves.get(m))
                .and_then(|m| kept.get_mut(m.1));
            let Some((sources, known)) = target else {
                pairs.push((user, old));
                continue;
            };
            sets.release(old);
            if sources.is_empty() {
                self.table.set(user, None);
                continue;
            }
            let set = sets.intern_at(*known, sources, |sources, known| perms.intern(run_of(sources), known));
            *known = Some(set);
            pairs.push((user, set));
            self.table.set(user, Some(sets.perm[set as usize]));
        }
        perms.finish();
        self.user_sets = SortedPairs::from_pairs(pairs);
    }

    /// Whether dead source sets outnumber live ones, or removed users'
    /// entries a quarter of the table's, enough to rebuild.
    pub(crate) fn needs_compaction(&self) -> bool {
        let total = self.sets.len();
        (total > 32 && self.sets.live() * 2 < total)
            || self.perms.words.len() > MAX_WORDS
            || (self.departed > 8 && self.departed * 4 > self.table.len())
    }

    /// Recomputes every permission from the source sets (after an edit of a
    /// project role or of Project Admin, or a change of admin privileges);
    /// memberships stay.
    pub(crate) fn refresh_perms(&mut self, mut run_of: impl FnMut(&[Source]) -> Vec<Word>) {
        let mut runs = RunBuilder::default();
        let sets = Arc::make_mut(&mut self.sets);
        // Every set, dead ones too (a dead set taken up again is recomputed
        // anyway, see `SourceSets::intern_at`; refreshing it keeps it tidy).
        let perm: Vec<PermRef> = sets.iter().map(|sources| runs.intern(run_of(sources))).collect();
        sets.perm = perm;
        self.perms = Perms {
            words: runs.words.into(),
        };
        let updates: Vec<(UserId, u32)> = self.user_sets.iter().collect();
        for (user, set) in updates {
            self.table.set(user, Some(sets.perm[set as usize]));
        }
    }

    /// Whether any user here holds `role`.
    pub(crate) fn uses_role(&self, role: RoleId) -> bool {
        self.sets
            .iter()
            .zip(&self.sets.uses)
            .any(|(s, uses)| *uses > 0 && s.iter().any(|x| x.role == role))
    }

    /// Approximate heap bytes of the parts checks read.
    pub(crate) fn hot_bytes(&self) -> usize {
        self.table.heap_bytes() + self.perms.words.len() * size_of::<Word>()
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

/// The part of [`SharedSets`] that checks read: each set's words, laid
/// out as rows as wide as the catalogue's layout, so that a bit of a set
/// is one load at the row's start plus the bit's word, with no bound to
/// test but the table's.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedPerms {
    // INVARIANT: `stride` words of zeros (the row of no set, at
    // `NO_SHARED_ROW`), then a row of `stride` words per set, set i's at
    // `row_start(i, stride)`: its run padded with zeros. `stride` is the
    // layout's width, so every bit a check asks lies in a row. Empty (no
    // rows, stride 0) until the first set.
    rows: Vec<Word>,
    stride: usize,
}

impl SharedPerms {
    /// Where the row of set `set` starts in rows `stride` words wide: the
    /// header of the runs of its holders.
    pub(crate) fn row_start(set: u32, stride: usize) -> Word {
        // Far fewer than 2^32 / stride distinct sets of global roles exist
        // (a stride is at most 260 words); past that, a row past the end,
        // which grants nothing.
        Word::try_from((set as usize + 1) * stride).unwrap_or(Word::MAX)
    }

    /// The words of the row starting at `row` (a run's header), padded
    /// with zeros to the stride (none past the rows).
    fn run(&self, row: Word) -> &[Word] {
        let row = row as usize;
        self.rows.get(row..row + self.stride).unwrap_or(&[])
    }

    /// The word `at` of the row starting at `row` (a run's header), for
    /// a word of the layout (below its width): the word of
    /// [`SharedPerms::run`] there. One load, no branch on the row or the
    /// word, which come from words just fetched from memory; 0 for a row
    /// past the end.
    #[inline]
    fn row_word(&self, row: Word, at: usize) -> Word {
        self.rows.get(row as usize + at).copied().unwrap_or(0)
    }

    /// Appends the run of a new set (no longer than the stride) in a row
    /// of its own, after the row of zeros.
    fn push(&mut self, run: &[Word], stride: usize) {
        if self.rows.is_empty() {
            self.stride = stride;
            self.rows.resize(stride, 0);
        }
        let start = self.rows.len();
        self.rows.resize(start + self.stride, 0);
        let width = run.len().min(self.stride);
        self.rows[start..start + width].copy_from_slice(&run[..width]);
    }
}

impl SharedSets {
    /// The index of the set of `roles` (sorted, deduplicated), interning
    /// it with what `grant` says each role grants.
    pub(crate) fn intern(&mut self, roles: Vec<RoleId>, grant: impl Fn(RoleId) -> RoleGrant, layout: &Layout) -> u32 {
        if let Some(&i) = self.index.get(roles.as_slice()) {
            return i;
        }
        let run = layout.encode(roles.iter().map(|r| grant(*r)));
        self.perms.push(&run, layout.width());
        // Far fewer than 2^32 - 1 distinct sets of global roles exist.
        let i = self.sets.len() as u32;
        let roles: Arc<[RoleId]> = roles.into();
        self.index.insert(Arc::clone(&roles), i);
        self.sets.push(roles);
        i
    }

    /// The index of the set of `roles`, if interned (no copy needed).
    pub(crate) fn find(&self, roles: &[RoleId]) -> Option<u32> {
        self.index.get(roles).copied()
    }

    /// Recomputes what every set grants (a global role or a global
    /// environment changed): work in the number of distinct sets only.
    pub(crate) fn refresh(&mut self, grant: impl Fn(RoleId) -> RoleGrant, layout: &Layout) {
        let mut perms = SharedPerms::default();
        for roles in &self.sets {
            perms.push(&layout.encode(roles.iter().map(|r| grant(*r))), layout.width());
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
        self.perms.rows.len() * size_of::<Word>()
    }
}

#[cfg(test)]
mod tests {
    //! The shared sets' rows against their runs.

    use proptest::prelude::*;

    use super::{NO_SHARED_ROW, SharedPerms};
    use crate::snapshot::bits::{has_bit, word_has, word_of};

    proptest! {
        #[test]
        fn rows_answer_as_runs(
            stride in 1usize..8,
            runs in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..8), 0..12),
        ) {
            // A run is never wider than the layout.
            let runs: Vec<&[u32]> = runs.iter().map(|run| &run[..run.len().min(stride)]).collect();
            let mut perms = SharedPerms::default();
            for run in &runs {
                perms.push(run, stride);
            }
            let known = (0..runs.len() as u32).map(|set| (SharedPerms::row_start(set, stride), runs[set as usize]));
            // The row of no set, and rows past the end, grant nothing.
            let beyond = (runs.len() as u32..runs.len() as u32 + 2).map(|set| (SharedPerms::row_start(set, stride), &[][..]));
            for (row, run) in known.chain([(NO_SHARED_ROW, &[][..])]).chain(beyond) {
                for bit in 0..(stride * 32) as u32 {
                    let granted = has_bit(run, bit);
                    prop_assert_eq!(word_has(perms.row_word(row, word_of(bit)), bit), granted, "row {} bit {}", row, bit);
                    prop_assert_eq!(has_bit(perms.run(row), bit), granted, "row {} bit {}", row, bit);
                }
            }
        }
    }
}
