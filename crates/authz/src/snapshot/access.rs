//! A project's compiled access: member table → role set → precomputed
//! permission entries. Role sets are interned per project, so a role edit
//! recomputes a few entries and leaves the member table untouched.

use std::collections::HashMap;
use std::sync::Arc;

use super::table::MemberTable;
use crate::ids::{RoleId, UserId};
use crate::sets::ActionSet;

/// Actions granted in the environments of `envs` (bit per environment slot);
/// `envs == u64::MAX` for actions that are not environment-scoped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PermEntry {
    pub(crate) actions: ActionSet,
    pub(crate) envs: u64,
}

/// The distinct role sets held in one project, with use counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleSets {
    // INVARIANT: `index[sets[i]] == i`; `uses[i]` counts table entries at i.
    sets: Vec<Arc<[RoleId]>>,
    uses: Vec<u32>,
    index: HashMap<Arc<[RoleId]>, u32>,
}

impl RoleSets {
    pub(crate) fn get(&self, index: u32) -> &[RoleId] {
        self.sets.get(index as usize).map_or(&[], |s| s)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[RoleId]> {
        self.sets.iter().map(|s| &**s)
    }

    fn intern(&mut self, roles: Vec<RoleId>) -> u32 {
        if let Some(i) = self.index.get(roles.as_slice()) {
            self.uses[*i as usize] += 1;
            return *i;
        }
        let roles: Arc<[RoleId]> = roles.into();
        // A project holds far fewer than 2^32 distinct role sets.
        let i = self.sets.len() as u32;
        self.index.insert(Arc::clone(&roles), i);
        self.sets.push(roles);
        self.uses.push(1);
        i
    }

    fn release(&mut self, index: u32) {
        if let Some(uses) = self.uses.get_mut(index as usize) {
            *uses = uses.saturating_sub(1);
        }
    }

    fn live(&self) -> usize {
        self.uses.iter().filter(|u| **u > 0).count()
    }
}

/// Precomputed entries per role set: `entries[spans[i]..spans[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Perms {
    spans: Box<[u32]>,
    entries: Box<[PermEntry]>,
}

impl Perms {
    /// Entries of role set `set`, empty for an unknown set.
    #[inline]
    pub(crate) fn of(&self, set: u32) -> &[PermEntry] {
        let i = set as usize;
        match (self.spans.get(i), self.spans.get(i + 1)) {
            (Some(&start), Some(&end)) => self.entries.get(start as usize..end as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// What one role grants in one project: its actions and environment slots.
pub(crate) type RoleGrant = (ActionSet, u64);

/// Canonical entries for the union of `grants`.
fn entries_of(grants: impl Iterator<Item = RoleGrant>, env_scoped: ActionSet, out: &mut Vec<PermEntry>) {
    let mut unscoped = ActionSet::EMPTY;
    let mut scoped: Vec<PermEntry> = Vec::new();
    for (actions, envs) in grants {
        unscoped = unscoped.union(actions.difference(env_scoped));
        let actions = actions.intersection(env_scoped);
        if actions.is_empty() || envs == 0 {
            continue;
        }
        match scoped.iter_mut().find(|e| e.envs == envs) {
            Some(entry) => entry.actions = entry.actions.union(actions),
            None => scoped.push(PermEntry { actions, envs }),
        }
    }
    if !unscoped.is_empty() {
        out.push(PermEntry {
            actions: unscoped,
            envs: u64::MAX,
        });
    }
    scoped.sort_by_key(|e| e.envs);
    out.extend(scoped);
}

/// Member table, role sets and entries of one project.
#[derive(Clone, Debug, Default)]
pub(crate) struct Access {
    pub(crate) table: MemberTable,
    pub(crate) sets: Arc<RoleSets>,
    pub(crate) perms: Arc<Perms>,
}

impl Access {
    /// Whether the user's role set grants `action` in the slots of `env_mask`.
    #[inline]
    pub(crate) fn allows(&self, user: UserId, action: ActionSet, env_mask: u64) -> bool {
        match self.table.get(user) {
            Some(set) => self
                .perms
                .of(set)
                .iter()
                .any(|e| !e.actions.intersection(action).is_empty() && e.envs & env_mask != 0),
            None => false,
        }
    }

    /// Builds from scratch: every (user, roles) pair of the project.
    pub(crate) fn build(
        members: impl Iterator<Item = (UserId, Vec<RoleId>)>,
        size_hint: usize,
        grant: impl Fn(RoleId) -> RoleGrant,
        env_scoped: ActionSet,
    ) -> Self {
        let mut table = MemberTable::with_capacity(size_hint);
        let mut sets = RoleSets::default();
        for (user, roles) in members {
            let set = sets.intern(roles);
            table.set(user, Some(set));
        }
        let perms = Arc::new(compute_perms(&sets, grant, env_scoped));
        Self {
            table,
            sets: Arc::new(sets),
            perms,
        }
    }

    /// Sets the roles of `user` (`roles` sorted, deduplicated; empty removes
    /// the user). Answers whether new role sets appeared, so that the caller
    /// recomputes entries.
    pub(crate) fn set_user(&mut self, user: UserId, roles: Vec<RoleId>) -> bool {
        let current = self.table.get(user);
        if let Some(set) = current
            && self.sets.get(set) == roles.as_slice()
        {
            return false;
        }
        let sets = Arc::make_mut(&mut self.sets);
        let before = sets.sets.len();
        let new = if roles.is_empty() {
            None
        } else {
            Some(sets.intern(roles))
        };
        if let Some(old) = self.table.set(user, new) {
            sets.release(old);
        }
        sets.sets.len() != before
    }

    /// Whether dead role sets outnumber live ones enough to rebuild.
    pub(crate) fn needs_compaction(&self) -> bool {
        let total = self.sets.sets.len();
        total > 32 && self.sets.live() * 2 < total
    }

    /// Recomputes every entry from the role sets (after a role edit or a
    /// change of admin privileges).
    pub(crate) fn refresh_perms(&mut self, grant: impl Fn(RoleId) -> RoleGrant, env_scoped: ActionSet) {
        self.perms = Arc::new(compute_perms(&self.sets, grant, env_scoped));
    }

    /// Whether any role set holds `role`.
    pub(crate) fn uses_role(&self, role: RoleId) -> bool {
        self.sets.iter().any(|s| s.binary_search(&role).is_ok())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let sets: usize = self.sets.sets.iter().map(|s| s.len() * 4 + 48).sum();
        self.table.heap_bytes()
            + sets * 2
            + self.perms.spans.len() * 4
            + self.perms.entries.len() * size_of::<PermEntry>()
    }
}

fn compute_perms(sets: &RoleSets, grant: impl Fn(RoleId) -> RoleGrant, env_scoped: ActionSet) -> Perms {
    let mut spans = Vec::with_capacity(sets.sets.len() + 1);
    let mut entries = Vec::new();
    for set in &sets.sets {
        // Entries are few per set; a project holds far fewer than 2^32.
        spans.push(entries.len() as u32);
        entries_of(set.iter().map(|r| grant(*r)), env_scoped, &mut entries);
    }
    spans.push(entries.len() as u32);
    Perms {
        spans: spans.into(),
        entries: entries.into(),
    }
}
