//! Basic ↔ Advanced editing of SPEC §4.

use gatehouse_authz::Catalogue;
use gatehouse_domain::DomainError;
use gatehouse_domain::role_mode::{advanced, basic, basic_within, to_advanced, to_basic};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn basic_to_advanced_expands_categories() {
    let c = Catalogue::platform().unwrap();
    let b = basic(&c, &strings(&["artifacts.read"])).unwrap();
    let a = to_advanced(&c, &b);
    assert_eq!(
        a.actions,
        strings(&["repository.read", "release_bundle.read", "build.read"])
    );
    assert!(a.categories.is_empty());
}

#[test]
fn advanced_to_basic_keeps_whole_categories_and_asks_before_losing() {
    let c = Catalogue::platform().unwrap();
    let qa = advanced(
        &c,
        &strings(&["repository.read", "build.read", "RELEASE_BUNDLE_READ_NOT_A_NAME"]),
    );
    assert!(matches!(qa, Err(DomainError::Validation(ref f)) if f[0].field == "actions[2]"));
    let a = advanced(
        &c,
        &strings(&["repository.read", "build.read", "READ_RELEASE_BUNDLE", "build.delete"]),
    )
    .unwrap();
    assert_eq!(
        to_basic(&c, &a, false),
        Err(DomainError::WouldDiscardActions(strings(&["build.delete"])))
    );
    let b = to_basic(&c, &a, true).unwrap();
    assert_eq!(b.categories, strings(&["artifacts.read"]));
    // Nothing whole to keep: refused even with discard.
    let lone = advanced(&c, &strings(&["build.delete"])).unwrap();
    assert_eq!(to_basic(&c, &lone, true), Err(DomainError::RoleEmpty));
}

/// What a switch back to Basic keeps and loses (the editor's warning),
/// before anything is decided: also when nothing whole is left.
#[test]
fn basic_within_names_the_kept_categories_and_the_lost_actions() {
    let c = Catalogue::platform().unwrap();
    let table: [(&[&str], &[&str], &[&str]); 4] = [
        (
            &["repository.read", "build.read", "release_bundle.read"],
            &["artifacts.read"],
            &[],
        ),
        (
            &[
                "repository.read",
                "build.read",
                "release_bundle.read",
                "repository.delete",
            ],
            &["artifacts.read"],
            &["repository.delete"],
        ),
        (&["build.delete"], &[], &["build.delete"]),
        (&[], &[], &[]),
    ];
    for (actions, kept, lost) in table {
        let granted = if actions.is_empty() {
            gatehouse_authz::ActionSet::EMPTY
        } else {
            advanced(&c, &strings(actions)).unwrap().granted
        };
        let (categories, _, discarded) = basic_within(&c, granted);
        assert_eq!(categories, strings(kept), "{actions:?}");
        assert_eq!(discarded, strings(lost), "{actions:?}");
    }
}

#[test]
fn empty_roles_and_unknown_categories_are_refused() {
    let c = Catalogue::platform().unwrap();
    assert_eq!(basic(&c, &[]), Err(DomainError::RoleEmpty));
    assert_eq!(advanced(&c, &[]), Err(DomainError::RoleEmpty));
    let err = basic(&c, &strings(&["artifacts.read", "nope"])).unwrap_err();
    assert!(matches!(err, DomainError::Validation(ref f) if f.len() == 1 && f[0].field == "categories[1]"));
}
