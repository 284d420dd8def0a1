//! One project's decisions compared before and after a change: member by
//! member, or, where the change left every member's run as it was, once
//! per distinct run.

use std::sync::Arc;

use super::DecisionChange;
use super::tally::{FirstChanges, Tally};
use crate::ids::{ActionId, EnvId, ProjectId, UserId};
use crate::sets::ActionSet;
use crate::snapshot::{HotAccess, Snapshot, is_admin_flag, is_blocked_flag, is_known_flag, unpack};

/// One project as a change sees it: its environments' slots before and
/// after, and whether its changes may be listed.
pub(super) struct Place<'a> {
    before: &'a Snapshot,
    after: &'a Snapshot,
    project: ProjectId,
    key: Option<&'a str>,
    shown: bool,
    /// Each environment of the project before or after, with its slot
    /// before and after (none where the environment is not).
    slots: Vec<(EnvId, Option<u8>, Option<u8>)>,
    pub(super) same_slots: bool,
    scoped: ActionSet,
}

impl<'a> Place<'a> {
    pub(super) fn new(before: &'a Snapshot, after: &'a Snapshot, project: ProjectId, shown: bool) -> Self {
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

    /// Calls `flip(action, environment, allowed after)` for each of one
    /// user's decisions on `actions` that the change flips, every
    /// environment at once.
    fn each_user_flip(&self, user: UserId, actions: ActionSet, mut flip: impl FnMut(ActionId, Option<EnvId>, bool)) {
        for action in actions.iter() {
            let (mask_was, mask_is) = (
                self.before.allowed_slots(user, self.project, action),
                self.after.allowed_slots(user, self.project, action),
            );
            if mask_was == mask_is && self.same_slots {
                continue;
            }
            self.each_flip(action, mask_was, mask_is, |env, is| flip(action, env, is));
        }
    }

    /// Offers (already counted) the flips of one user's decisions on `actions`.
    pub(super) fn offer_user(&self, user: UserId, actions: ActionSet, first: &mut FirstChanges) {
        self.each_user_flip(user, actions, |action, env, is| {
            self.offer(first, user, action, env, is)
        });
    }

    /// Counts and offers the flips of one user's decisions on `actions`.
    pub(super) fn compare_user(&self, user: UserId, actions: ActionSet, tally: &mut Tally) {
        self.each_user_flip(user, actions, |action, env, is| {
            self.record(tally, user, action, env, is)
        });
    }

    /// Compares every member of a project whose runs the change left as
    /// they were (`hot` is the table before and after; the environments'
    /// slots are the same): members with the same run decide alike, so
    /// each distinct run is compared once, and a member whose flags
    /// changed is compared alone.
    pub(super) fn compare_by_run(&self, hot: &HotAccess, actions: ActionSet, tally: &mut Tally) {
        let (before, after) = (self.before, self.after);
        let (perms_was, perms_is) = (before.perms(), after.perms());
        // By a run's start, what it flips (once compared).
        let mut by_start: Vec<Option<RunFlips>> = vec![None; hot.word_count() + 1];
        let mut flipped: Vec<(UserId, RunFlips)> = Vec::new();
        for (user, r) in hot.runs() {
            let (start, _) = unpack(r);
            let Some(memo) = by_start.get_mut(start) else { continue };
            let flips = *memo.get_or_insert_with(|| {
                let mut flips = RunFlips::default();
                for action in actions.iter() {
                    let (mask_was, mask_is) = (hot.run_slots(r, action, perms_was), hot.run_slots(r, action, perms_is));
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
