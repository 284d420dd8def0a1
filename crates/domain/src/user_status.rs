//! The user status machine of SPEC §5.1: invited → enabled at the first
//! login; disabled and enabled by an admin; locked for 15 minutes after 10
//! failed logins in 15 minutes; unlocked by an admin or by time.

use gatehouse_authz::UserStatus;
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

/// The status the user effectively has at `now`: a lock whose time is up
/// reads as the status before it (active, since only a login locks).
#[must_use]
pub fn effective_status(user: &User, now: OffsetDateTime) -> UserStatus {
    match (user.status, user.locked_until) {
        (UserStatus::Locked, Some(until)) if until <= now => UserStatus::Active,
        (status, _) => status,
    }
}

/// Applies a login attempt with a correct (`password_ok`) or wrong password
/// to a copy of the user, and says what happened. Status changes move the
/// revision; counters alone are book-keeping.
#[must_use]
pub fn on_login(user: &User, password_ok: bool, now: OffsetDateTime) -> (User, LoginOutcome) {
    let mut next = user.clone();
    match effective_status(user, now) {
        UserStatus::Disabled | UserStatus::Locked => return (next, LoginOutcome::Refused),
        UserStatus::Active | UserStatus::Invited => {}
    }
    if user.status == UserStatus::Locked {
        // The lock expired: the account is active again, counters reset.
        next.status = UserStatus::Active;
        next.locked_until = None;
        next.failed_logins = 0;
        next.failed_window_start = None;
    }
    if password_ok {
        let first = next.status == UserStatus::Invited;
        next.status = UserStatus::Active;
        next.failed_logins = 0;
        next.failed_window_start = None;
        next.last_login_at = Some(now);
        return (next, LoginOutcome::Success { first });
    }
    let window_open = next
        .failed_window_start
        .is_some_and(|start| now - start < LOCKOUT_WINDOW);
    if window_open {
        next.failed_logins += 1;
    } else {
        next.failed_logins = 1;
        next.failed_window_start = Some(now);
    }
    if next.failed_logins >= LOCKOUT_FAILURES {
        next.status = UserStatus::Locked;
        next.locked_until = Some(now + LOCKOUT_DURATION);
        return (next, LoginOutcome::LockedNow);
    }
    (next, LoginOutcome::Failed)
}

/// The user after an admin's unlock: active, counters reset.
#[must_use]
pub fn unlocked(user: &User) -> User {
    let mut next = user.clone();
    if next.status == UserStatus::Locked {
        next.status = UserStatus::Active;
    }
    next.locked_until = None;
    next.failed_logins = 0;
    next.failed_window_start = None;
    next
}
