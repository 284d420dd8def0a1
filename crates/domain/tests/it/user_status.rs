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
        profile: gatehouse_domain::entities::Profile::default(),
        created_at: T0,
        created_by: None,
        last_login_at: None,
        recent_failures: Vec::new(),
        locked_until: None,
        revision: 1,
        modified_at: T0,
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
    // One failure after the lock is one failure, not a new lock.
    assert_eq!(on_login(&locked, false, later).1, LoginOutcome::Failed);
    // An admin's unlock ends it at once.
    let open = unlocked(&locked);
    assert_eq!(
        (open.status, open.recent_failures.len(), open.locked_until),
        (UserStatus::Active, 0, None)
    );
}

/// The window slides: nine failures at the end of one 15 minutes and one at
/// the start of the next are ten within 15 minutes (a fixed window, reset
/// at its end, let ~18 failures inside a minute pass).
#[test]
fn the_lockout_window_slides() {
    let mut user = on_login(&invited(), true, T0).0;
    // One failure, then nine 14 minutes later: ten within 15 minutes.
    let (next, _) = on_login(&user, false, T0);
    user = next;
    for i in 0..8 {
        let (next, outcome) = on_login(&user, false, T0 + Duration::minutes(14) + Duration::seconds(i));
        assert_eq!(outcome, LoginOutcome::Failed, "failure {i}");
        user = next;
    }
    let (locked, outcome) = on_login(&user, false, T0 + Duration::minutes(14) + Duration::seconds(30));
    assert_eq!(outcome, LoginOutcome::LockedNow, "ten failures within 15 minutes");
    assert_eq!(locked.status, UserStatus::Locked);

    // Nine failures a second apart, then one 15 minutes after the first:
    // the first has left the window, so nine are in it; one more while the
    // second is still in it makes ten.
    let mut user = on_login(&invited(), true, T0).0;
    for i in 0..9 {
        user = on_login(&user, false, T0 + Duration::seconds(i)).0;
    }
    let (user, outcome) = on_login(&user, false, T0 + Duration::minutes(15));
    assert_eq!(outcome, LoginOutcome::Failed);
    let (_, outcome) = on_login(&user, false, T0 + Duration::minutes(15) + Duration::milliseconds(500));
    assert_eq!(outcome, LoginOutcome::LockedNow);

    // What a fixed window let pass: one failure opens a window at T0, eight
    // more at its end, then nine at the start of the next — eighteen
    // failures, seventeen of them inside one minute. Sliding, the tenth
    // within 15 minutes locks.
    let mut user = on_login(&invited(), true, T0).0;
    let mut times = vec![T0];
    times.extend((0..8).map(|k| T0 + Duration::minutes(14) + Duration::seconds(31) + Duration::milliseconds(3500 * k)));
    times.extend((0..9).map(|j| T0 + Duration::minutes(15) + Duration::seconds(3 * j)));
    let mut outcomes = Vec::new();
    for at in times {
        let (next, outcome) = on_login(&user, false, at);
        outcomes.push(outcome);
        user = next;
    }
    assert_eq!(outcomes.iter().position(|o| *o == LoginOutcome::LockedNow), Some(10));
}

/// SPEC §5.1: the lock never changes whether the user has logged in.
#[test]
fn an_invited_user_locked_and_unlocked_is_invited_again() {
    let mut user = invited();
    for i in 0..9 {
        user = on_login(&user, false, T0 + Duration::seconds(i)).0;
    }
    let (locked, outcome) = on_login(&user, false, T0 + Duration::seconds(9));
    assert_eq!(outcome, LoginOutcome::LockedNow);
    assert_eq!(locked.last_login_at, None);
    // By an admin.
    assert_eq!(unlocked(&locked).status, UserStatus::Invited);
    // By time.
    let later = T0 + Duration::minutes(16);
    assert_eq!(effective_status(&locked, later), UserStatus::Invited);
    assert_eq!(on_login(&locked, false, later).0.status, UserStatus::Invited);
    // Its first login after the lock is its first login.
    assert_eq!(on_login(&locked, true, later).1, LoginOutcome::Success { first: true });
}

/// SPEC §5.1: service accounts have no password and are never locked.
#[test]
fn a_service_account_is_never_locked() {
    let mut user = User {
        kind: UserKind::Service,
        ..invited()
    };
    for i in 0..50 {
        let (next, outcome) = on_login(&user, false, T0 + Duration::seconds(i));
        assert_eq!(outcome, LoginOutcome::Failed, "failure {i}");
        user = next;
    }
    assert_eq!(user.status, UserStatus::Invited);
    assert!(user.recent_failures.is_empty());
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
