//! The impact of a change (SPEC §7.2) equals the difference of the naive
//! reference's decisions before and after it, over every user, project,
//! environment and action; a preview leaves the snapshot as it was; the
//! listing is capped, sorted, and hides what the asker may not see.

use std::collections::BTreeSet;

use gatehouse_authz::{
    AccountPermission, Catalogue, Change, Impact, Model, RoleGrants, RoleSpec, RoleType, Snapshot, UserStatus,
};
use proptest::prelude::*;

use crate::fixtures::{compile, group, member, platform, project, role, user};
use crate::properties::{apply_to_model, cases, catalogue, random_change, random_model};
use crate::reference::Reference;
use crate::split_mix::Rng;

/// A decision by names: (user, project, environment, action).
type Decision = (String, String, Option<String>, String);

/// Every decision the reference allows: each environment-scoped action in
/// each environment of the project, every other action without one.
fn allowed(model: &Model, cat: &Catalogue) -> BTreeSet<Decision> {
    let reference = Reference { catalogue: cat, model };
    let mut out = BTreeSet::new();
    for u in &model.users {
        for p in &model.projects {
            let envs: Vec<&str> = model
                .environments
                .iter()
                .filter(|e| e.project.is_none() || e.project.as_deref() == Some(p.key.as_str()))
                .map(|e| e.name.as_str())
                .collect();
            for action in cat.actions() {
                let places: Vec<Option<&str>> = if action.env_scoped {
                    envs.iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                for env in places {
                    if reference.decide(&u.name, &action.id, &p.key, env).is_ok() {
                        out.insert((u.name.clone(), p.key.clone(), env.map(str::to_owned), action.id.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The account permissions each user may use, by names.
fn account(model: &Model) -> BTreeSet<(String, AccountPermission)> {
    let mut out = BTreeSet::new();
    for u in &model.users {
        if u.status == UserStatus::Disabled {
            continue;
        }
        for permission in AccountPermission::ALL {
            if u.admin || u.account_permissions.contains(permission) {
                out.insert((u.name.clone(), permission));
            }
        }
    }
    out
}

fn listed(impact: &Impact) -> Vec<(Decision, bool)> {
    impact
        .changes
        .iter()
        .map(|c| {
            let decision = (
                c.user.to_string(),
                c.project.to_string(),
                c.environment.as_deref().map(str::to_owned),
                c.action.to_string(),
            );
            (decision, c.gained)
        })
        .collect()
}

/// Every decision of `s` over the reference's universe of `model`.
fn snapshot_allows(s: &Snapshot, model: &Model, cat: &Catalogue) -> BTreeSet<Decision> {
    let mut universe = BTreeSet::new();
    for u in &model.users {
        for p in &model.projects {
            for e in model
                .environments
                .iter()
                .filter(|e| e.project.is_none() || e.project.as_deref() == Some(p.key.as_str()))
                .map(|e| Some(e.name.as_str()))
                .chain([None])
            {
                for action in cat.actions() {
                    if action.env_scoped == e.is_none() {
                        continue;
                    }
                    if let Ok(Ok(q)) = s.query(&u.name, &action.id, &p.key, e)
                        && s.check(&q).unwrap()
                    {
                        universe.insert((u.name.clone(), p.key.clone(), e.map(str::to_owned), action.id.clone()));
                    }
                }
            }
        }
    }
    universe
}

/// A random change, a third of the time an edit of a custom role's actions
/// that keeps its environments (the most common edit, which the generic
/// generator seldom draws).
fn random_edit(rng: &mut Rng, model: &Model, serial: usize) -> Option<Change> {
    let custom: Vec<&RoleSpec> = model
        .roles
        .iter()
        .filter(|r| matches!(r.role_type, RoleType::Custom | RoleType::CustomGlobal))
        .collect();
    if custom.is_empty() || !rng.chance(33) {
        return random_change(rng, model, serial);
    }
    let mut role = (*rng.pick(&custom)).clone();
    let cat = catalogue();
    let ids: Vec<String> = cat.actions().iter().map(|a| a.id.clone()).collect();
    let mut actions: Vec<String> = (0..rng.below(6)).map(|_| rng.pick(&ids).clone()).collect();
    actions.sort();
    actions.dedup();
    role.grants = RoleGrants::Actions(actions);
    Some(Change::PutRole(role))
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn an_impact_is_the_difference_of_the_reference_before_and_after(seed in any::<u64>(), steps in 1usize..4) {
        let cat = catalogue();
        let mut model = random_model(seed);
        let mut s = Snapshot::compile(cat.clone(), &model).unwrap();
        let mut rng = Rng(seed ^ 0x5EED);
        for step in 0..steps {
            let Some(change) = random_edit(&mut rng, &model, step) else { continue };
            let seen_before = snapshot_allows(&s, &model, &cat);
            let Ok(impact) = s.impact(std::slice::from_ref(&change), usize::MAX, |_| true) else {
                prop_assert!(s.apply(&change).is_err(), "impact refuses only what apply refuses");
                continue;
            };
            // The preview left the snapshot as it was.
            prop_assert_eq!(&snapshot_allows(&s, &model, &cat), &seen_before);

            let before = allowed(&model, &cat);
            let accounts_before = account(&model);
            let mut next = model.clone();
            apply_to_model(&mut next, &change);
            let after = allowed(&next, &cat);
            let accounts_after = account(&next);

            let mut want: Vec<(Decision, bool)> = after.difference(&before).map(|d| (d.clone(), true)).collect();
            want.extend(before.difference(&after).map(|d| (d.clone(), false)));
            want.sort();
            prop_assert_eq!(listed(&impact), want.clone(), "the changes of {:?}", change);
            prop_assert_eq!(impact.gained, after.difference(&before).count());
            prop_assert_eq!(impact.lost, before.difference(&after).count());
            prop_assert_eq!((impact.hidden, impact.truncated), (0, false));

            let mut want_accounts: Vec<(String, AccountPermission, bool)> = accounts_after
                .difference(&accounts_before)
                .map(|(u, p)| (u.clone(), *p, true))
                .chain(accounts_before.difference(&accounts_after).map(|(u, p)| (u.clone(), *p, false)))
                .collect();
            want_accounts.sort();
            let got_accounts: Vec<(String, AccountPermission, bool)> = impact
                .account_changes
                .iter()
                .map(|c| (c.user.to_string(), c.permission, c.gained))
                .collect();
            prop_assert_eq!(got_accounts, want_accounts.clone(), "the account changes of {:?}", change);

            let users: BTreeSet<&str> = want
                .iter()
                .map(|((u, ..), _)| u.as_str())
                .chain(want_accounts.iter().map(|(u, ..)| u.as_str()))
                .collect();
            prop_assert_eq!(impact.users, users.len());

            // A short listing is the first changes of the full one.
            let limit = rng.below(4);
            let capped = s.impact(std::slice::from_ref(&change), limit, |_| true).unwrap();
            prop_assert_eq!(listed(&capped), want[..limit.min(want.len())].to_vec());
            prop_assert_eq!(capped.truncated, want.len() > limit);
            prop_assert_eq!(
                (capped.users, capped.gained, capped.lost, capped.hidden),
                (impact.users, impact.gained, impact.lost, 0)
            );

            s = s.apply(&change).unwrap();
            model = next;
        }
    }
}

/// Two projects where alice and the group devs (bob, carol) hold Deployer.
fn two_projects() -> Model {
    let mut model = Model::new(&platform());
    for name in ["alice", "bob", "carol"] {
        model.users.push(gatehouse_authz::UserSpec::person(name));
    }
    model.groups.push(gatehouse_authz::GroupSpec {
        name: "devs".into(),
        members: vec!["bob".into(), "carol".into()],
    });
    model.projects.push(project("web"));
    model.projects.push(project("api"));
    model
        .roles
        .push(role("Deployer", None, &["repository.deploy"], &["DEV"]));
    for key in ["web", "api"] {
        model.members.push(member(key, user("alice"), &["Deployer"]));
        model.members.push(member(key, group("devs"), &["Deployer"]));
    }
    model
}

#[test]
fn a_global_role_edit_lists_the_first_changes_in_order_and_hides_what_the_asker_may_not_see() {
    let s = compile(&two_projects());
    let edit = Change::PutRole(role(
        "Deployer",
        None,
        &["repository.deploy", "repository.delete"],
        &["DEV"],
    ));
    let api = s.project_id("api").unwrap();

    let all = s.impact(std::slice::from_ref(&edit), 100, |_| true).unwrap();
    assert_eq!(
        (all.users, all.gained, all.lost, all.hidden, all.truncated),
        (3, 6, 0, 0, false)
    );
    let first: Vec<(&str, &str)> = all.changes.iter().map(|c| (&*c.user, &*c.project)).collect();
    assert_eq!(
        first,
        [
            ("alice", "api"),
            ("alice", "web"),
            ("bob", "api"),
            ("bob", "web"),
            ("carol", "api"),
            ("carol", "web")
        ]
    );
    assert!(
        all.changes
            .iter()
            .all(|c| c.gained && &*c.action == "repository.delete")
    );
    assert!(all.changes.iter().all(|c| c.environment.as_deref() == Some("DEV")));

    let capped = s.impact(std::slice::from_ref(&edit), 2, |p| p != api).unwrap();
    assert_eq!((capped.gained, capped.hidden, capped.truncated), (6, 3, true));
    let shown: Vec<(&str, &str)> = capped.changes.iter().map(|c| (&*c.user, &*c.project)).collect();
    assert_eq!(shown, [("alice", "web"), ("bob", "web")]);

    // The snapshot itself did not move.
    let q = s
        .query("alice", "repository.delete", "web", Some("DEV"))
        .unwrap()
        .unwrap();
    assert!(!s.check(&q).unwrap());
}

#[test]
fn leaving_a_group_loses_what_only_the_group_gave() {
    let s = compile(&two_projects());
    let leave = Change::RemoveGroupMember {
        group: "devs".into(),
        user: "bob".into(),
    };
    let impact = s.impact(&[leave], 100, |_| true).unwrap();
    assert_eq!((impact.users, impact.gained, impact.lost), (1, 0, 2));
    assert!(impact.changes.iter().all(|c| &*c.user == "bob" && !c.gained));
    // alice holds the role herself: removing the group takes nothing from her.
    let drop_group = Change::RemoveGroup("devs".into());
    let impact = s.impact(&[drop_group], 100, |_| true).unwrap();
    assert_eq!((impact.users, impact.lost), (2, 4));
}
