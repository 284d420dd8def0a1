//! The user status machine of SPEC §5.1: invited → enabled at the first
//! login; disabled and enabled by an admin; locked for 15 minutes after 10
//! failed password logins within any 15 minutes (a sliding window);
//! unlocked by an admin or by time.
//!
//! A lock guards the password alone (§2.1): the model decides a locked
//! user's checks as an enabled one's, and its tokens and sessions keep
//! working. A lock never changes whether the user has logged in: when it
//! ends the user is `invited` again if it never logged in, `enabled`
//! otherwise. Service accounts have no password and are never locked.

use gatehouse_authz::{UserKind, UserStatus};
use time::OffsetDateTime;

use crate::entities::User;
use crate::limits::{LOCKOUT_DURATION, LOCKOUT_FAILURES, LOCKOUT_WINDOW};

/// What a login attempt did to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in; `first` when this turned an invited user active.
    Success {
        /// The first successful login.
        first: bool,
    },
    /// Wrong password; the account stays usable.
    Failed,
    /// Wrong password, and this failure locked the account.
    LockedNow,
    /// The account is disabled or locked: refused whatever the password.
    Refused,
}

/// The status a user has when no lock holds it: `invited` until its first
/// successful login, `enabled` after.
fn unlocked_status(user: &User) -> UserStatus {
    if user.last_login_at.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Invited
    }
}

/// The status the user effectively has at `now`: a lock whose time is up
/// reads as the status before it (`invited` if the user never logged in).
#[must_use]
pub fn effective_status(user: &User, now: OffsetDateTime) -> UserStatus {
    match (user.status, user.locked_until) {
        (UserStatus::Locked, Some(until)) if until <= now => unlocked_status(user),
        (status, _) => status,
    }
}

/// Applies a login attempt with a correct (`password_ok`) or wrong password
/// to a copy of the user, and says what happened. Status changes move the
/// revision; the failure times alone are book-keeping.
#[must_use]
pub fn on_login(user: &User, password_ok: bool, now: OffsetDateTime) -> (User, LoginOutcome) {
    let mut next = user.clone();
    match effective_status(user, now) {
        UserStatus::Disabled | UserStatus::Locked => return (next, LoginOutcome::Refused),
        UserStatus::Active | UserStatus::Invited => {}
    }
    if user.status == UserStatus::Locked {
        // The lock expired: the status before it. The failures that locked
        // it are older than the window by now; the window forgets them.
        next.status = unlocked_status(user);
        next.locked_until = None;
    }
    if password_ok {
        let first = next.status == UserStatus::Invited;
        next.status = UserStatus::Active;
        next.recent_failures.clear();
        next.last_login_at = Some(now);
        return (next, LoginOutcome::Success { first });
    }
    if user.kind == UserKind::Service {
        // No password to guess, so nothing to lock (SPEC §5.1).
        return (next, LoginOutcome::Failed);
    }
    // The sliding window: the failures of the last 15 minutes, this one
    // included; older ones are forgotten.
    next.recent_failures
        .retain(|at| now - *at < LOCKOUT_WINDOW && *at <= now);
    next.recent_failures.push(now);
    let keep = usize::try_from(LOCKOUT_FAILURES).unwrap_or(usize::MAX);
    if next.recent_failures.len() > keep {
        let excess = next.recent_failures.len() - keep;
        next.recent_failures.drain(..excess);
    }
    if next.recent_failures.len() >= keep {
        next.status = UserStatus::Locked;
        next.locked_until = Some(now + LOCKOUT_DURATION);
        return (next, LoginOutcome::LockedNow);
    }
    (next, LoginOutcome::Failed)
}

/// The user after an admin's unlock (or the end of its lock): the status
/// before the lock, counters reset.
#[must_use]
pub fn unlocked(user: &User) -> User {
    let mut next = user.clone();
    if next.status == UserStatus::Locked {
        next.status = unlocked_status(user);
    }
    next.locked_until = None;
    next.recent_failures.clear();
    next
}
