//! The user status machine of SPEC §5.1.

use gatehouse_authz::{AccountPermissions, UserKind, UserStatus};
use gatehouse_domain::entities::{ManagedBy, User};
use gatehouse_domain::names::Username;
use gatehouse_domain::user_status::{LoginOutcome, effective_status, on_login, unlocked};
use time::{Duration, OffsetDateTime, macros::datetime};

const T0: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

fn invited() -> User {
    User {
        username: Username::parse("alice").unwrap(),
        email: None,
        kind: UserKind::Person,
        status: UserStatus::Invited,
        admin: false,
        account_permissions: AccountPermissions::NONE,
        password_hash: None,
        managed_by: ManagedBy::Local,
        created_at: T0,
        created_by: None,
        last_login_at: None,
        failed_logins: 0,
        failed_window_start: None,
        locked_until: None,
        revision: 1,
    }
}

#[test]
fn the_first_login_activates_an_invited_user() {
    let (user, outcome) = on_login(&invited(), true, T0);
    assert_eq!(outcome, LoginOutcome::Success { first: true });
    assert_eq!((user.status, user.last_login_at), (UserStatus::Active, Some(T0)));
    let (_, again) = on_login(&user, true, T0 + Duration::hours(1));
    assert_eq!(again, LoginOutcome::Success { first: false });
}

#[test]
fn ten_failures_in_fifteen_minutes_lock_for_fifteen_minutes() {
    let mut user = on_login(&invited(), true, T0).0;
    for i in 0..9 {
        let (next, outcome) = on_login(&user, false, T0 + Duration::minutes(i));
        assert_eq!(outcome, LoginOutcome::Failed, "failure {i}");
        user = next;
    }
    let (locked, outcome) = on_login(&user, false, T0 + Duration::minutes(9));
    assert_eq!(outcome, LoginOutcome::LockedNow);
    assert_eq!(locked.status, UserStatus::Locked);
    // Even the right password is refused while locked.
    assert_eq!(
        on_login(&locked, true, T0 + Duration::minutes(20)).1,
        LoginOutcome::Refused
    );
    // After 15 minutes the lock is over.
    let later = T0 + Duration::minutes(25);
    assert_eq!(effective_status(&locked, later), UserStatus::Active);
    assert_eq!(on_login(&locked, true, later).1, LoginOutcome::Success { first: false });
    // An admin's unlock ends it at once.
    let open = unlocked(&locked);
    assert_eq!(
        (open.status, open.failed_logins, open.locked_until),
        (UserStatus::Active, 0, None)
    );
}

#[test]
fn failures_spread_over_more_than_fifteen_minutes_do_not_lock() {
    let mut user = on_login(&invited(), true, T0).0;
    for i in 0..30 {
        let (next, outcome) = on_login(&user, false, T0 + Duration::minutes(2 * i));
        assert_ne!(outcome, LoginOutcome::LockedNow, "failure {i}");
        user = next;
    }
}

#[test]
fn a_disabled_user_is_refused() {
    let user = User {
        status: UserStatus::Disabled,
        ..invited()
    };
    assert_eq!(on_login(&user, true, T0).1, LoginOutcome::Refused);
}
