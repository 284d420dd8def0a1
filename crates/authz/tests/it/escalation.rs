//! Anti-escalation (SPEC §2.5) as a table of actors × attempts.

use gatehouse_authz::{
    AccountPermission, AccountPermissions, Actor, Escalation, Member, Model, RoleGrants, Snapshot, TokenScope, UserSpec,
};

use crate::fixtures::{compile, member, platform, project, role, user};

fn model() -> Model {
    let mut model = Model::new(&platform());
    let mut accounts = UserSpec::person("accounts");
    accounts.account_permissions = [AccountPermission::AccountsManage, AccountPermission::AuditRead]
        .into_iter()
        .collect();
    model.users.extend([
        UserSpec {
            admin: true,
            ..UserSpec::person("root")
        },
        UserSpec::person("padmin"),
        UserSpec::person("nomembers"),
        UserSpec::person("membermgr"),
        UserSpec::person("dev"),
        UserSpec::person("target"),
        accounts,
    ]);
    model.projects.push(project("web"));
    model
        .projects
        .push(crate::fixtures::ProjectSpecExt::without_manage_members(project(
            "locked",
        )));
    let mut reader = role("Reader", Some("web"), &["repository.read"], &["DEV"]);
    reader.grants = RoleGrants::Actions(vec!["repository.read".into()]);
    model.roles.push(reader);
    model.roles.push(role(
        "Deleter",
        Some("web"),
        &["repository.read", "repository.delete"],
        &["DEV", "PROD"],
    ));
    model.roles.push(role(
        "Members",
        Some("web"),
        &["project.manage_members", "repository.read"],
        &["DEV"],
    ));
    model
        .members
        .push(member("web", user("padmin"), &["Project Admin", "Reader"]));
    model
        .members
        .push(member("locked", user("nomembers"), &["Project Admin"]));
    model.members.push(member("web", user("membermgr"), &["Members"]));
    model.members.push(member("web", user("dev"), &["Reader"]));
    model
}

fn actor(s: &Snapshot, name: &str) -> Actor<'static> {
    static USER: TokenScope = TokenScope::user();
    Actor {
        user: s.user_id(name).unwrap(),
        scope: &USER,
    }
}

#[test]
fn assigning_roles_needs_manage_members_and_every_action_of_the_role() {
    let s = compile(&model());
    let web = s.project_id("web").unwrap();
    let locked = s.project_id("locked").unwrap();
    let target = Some(Member::User(s.user_id("target").unwrap()));
    let role = |name: &str| s.role_id(Some(web), name).unwrap();
    let cases = [
        ("root", web, "Deleter", Ok(())),
        ("padmin", web, "Reader", Ok(())),
        ("padmin", web, "Deleter", Err("missing")),
        ("padmin", web, "Project Admin", Ok(())),
        ("membermgr", web, "Reader", Ok(())),
        ("membermgr", web, "Members", Ok(())),
        ("membermgr", web, "Deleter", Err("missing")),
        ("dev", web, "Reader", Err("missing")),
        ("accounts", web, "Reader", Err("missing")),
        ("nomembers", locked, "Project Admin", Err("missing")),
    ];
    for (who, project, role_name, expected) in cases {
        let got = s.may_assign_roles(&actor(&s, who), project, target, &[role(role_name)]);
        match expected {
            Ok(()) => assert_eq!(got, Ok(()), "{who} assigns {role_name}"),
            Err(_) => assert!(
                matches!(got, Err(Escalation::MissingAction { .. })),
                "{who} assigns {role_name}: {got:?}"
            ),
        }
    }
    // No one but an admin changes their own roles.
    let padmin = Some(Member::User(s.user_id("padmin").unwrap()));
    assert_eq!(
        s.may_assign_roles(&actor(&s, "padmin"), web, padmin, &[role("Reader")]),
        Err(Escalation::SelfGrant)
    );
    let root = Some(Member::User(s.user_id("root").unwrap()));
    assert_eq!(
        s.may_assign_roles(&actor(&s, "root"), web, root, &[role("Deleter")]),
        Ok(())
    );
}

#[test]
fn defining_roles_needs_every_action_in_every_environment() {
    let s = compile(&model());
    let web = s.project_id("web").unwrap();
    let cat = s.catalogue();
    let read = cat.resolve_action("repository.read").unwrap();
    let delete = cat.resolve_action("repository.delete").unwrap();
    let (dev, prod) = (s.env_id("DEV").unwrap(), s.env_id("PROD").unwrap());
    let padmin = actor(&s, "padmin");
    assert_eq!(
        s.may_define_role(&padmin, Some(web), [read].into_iter().collect(), &[dev]),
        Ok(())
    );
    assert_eq!(
        s.may_define_role(&padmin, Some(web), [read].into_iter().collect(), &[dev, prod]),
        Err(Escalation::MissingAction {
            action: read,
            environment: Some(prod)
        })
    );
    assert_eq!(
        s.may_define_role(&padmin, Some(web), [read, delete].into_iter().collect(), &[dev]),
        Err(Escalation::MissingAction {
            action: delete,
            environment: Some(dev)
        })
    );
    assert_eq!(
        s.may_define_role(&padmin, None, [read].into_iter().collect(), &[dev]),
        Err(Escalation::AdminOnly)
    );
    assert!(
        s.may_define_role(&actor(&s, "dev"), Some(web), [read].into_iter().collect(), &[dev])
            .is_err()
    );
    assert_eq!(
        s.may_define_role(&actor(&s, "root"), None, [delete].into_iter().collect(), &[dev, prod]),
        Ok(())
    );
}

#[test]
fn account_permissions_need_accounts_manage_and_the_permission() {
    let s = compile(&model());
    let target = s.user_id("target").unwrap();
    let accounts = actor(&s, "accounts");
    let audit: AccountPermissions = [AccountPermission::AuditRead].into_iter().collect();
    let billing: AccountPermissions = [AccountPermission::BillingManage].into_iter().collect();
    assert_eq!(
        s.may_grant_account_permissions(&accounts, Some(target), audit, false),
        Ok(())
    );
    assert_eq!(
        s.may_grant_account_permissions(&accounts, Some(target), billing, false),
        Err(Escalation::MissingAccountPermission(AccountPermission::BillingManage))
    );
    assert_eq!(
        s.may_grant_account_permissions(&accounts, Some(target), audit, true),
        Err(Escalation::AdminOnly)
    );
    assert_eq!(
        s.may_grant_account_permissions(&accounts, Some(s.user_id("accounts").unwrap()), audit, false),
        Err(Escalation::SelfGrant)
    );
    assert_eq!(
        s.may_grant_account_permissions(&actor(&s, "dev"), Some(target), audit, false),
        Err(Escalation::MissingAccountPermission(AccountPermission::AccountsManage))
    );
    assert_eq!(
        s.may_grant_account_permissions(&actor(&s, "root"), Some(target), billing, true),
        Ok(())
    );
    assert!(s.is_last_active_admin(s.user_id("root").unwrap()));
}

#[test]
fn a_narrow_token_holds_only_its_scope() {
    let s = compile(&model());
    let web = s.project_id("web").unwrap();
    let target = Some(Member::User(s.user_id("target").unwrap()));
    let scope = s
        .token_scope(&[gatehouse_authz::ScopeEntrySpec {
            project: "web".into(),
            actions: vec!["repository.read".into()],
            ..Default::default()
        }])
        .unwrap();
    let padmin = Actor {
        user: s.user_id("padmin").unwrap(),
        scope: &scope,
    };
    let reader = s.role_id(Some(web), "Reader").unwrap();
    assert!(matches!(
        s.may_assign_roles(&padmin, web, target, &[reader]),
        Err(Escalation::MissingAction { .. })
    ));
    // An admin acting through a narrow token is narrowed too.
    let root = Actor {
        user: s.user_id("root").unwrap(),
        scope: &scope,
    };
    let deleter = s.role_id(Some(web), "Deleter").unwrap();
    assert!(s.may_assign_roles(&root, web, target, &[deleter]).is_err());
}

/// SPEC §2.5: acting on another user's credentials or standing needs the
/// actor to dominate it.
#[test]
fn acting_on_a_user_needs_to_dominate_it() {
    use gatehouse_authz::{Change, Shortfall};

    let mut model = model();
    let mut auditor = UserSpec::person("auditor");
    auditor.account_permissions = [AccountPermission::AuditRead].into_iter().collect();
    let mut billing = UserSpec::person("billing");
    billing.account_permissions = [AccountPermission::BillingManage].into_iter().collect();
    model.users.extend([auditor, billing]);
    let s = compile(&model);
    let id = |name: &str| s.user_id(name).unwrap();
    let web = s.project_id("web").unwrap();
    let cases: [(&str, &str, Result<(), Escalation>); 12] = [
        // A platform admin dominates everyone, itself and admins included.
        ("root", "accounts", Ok(())),
        ("root", "padmin", Ok(())),
        ("root", "root", Ok(())),
        // Only an admin dominates an admin.
        ("accounts", "root", Err(Escalation::NotDominating(Shortfall::Admin))),
        // Account permissions: the actor holds accounts.manage and audit.read.
        ("accounts", "auditor", Ok(())),
        (
            "accounts",
            "billing",
            Err(Escalation::NotDominating(Shortfall::AccountPermission(
                AccountPermission::BillingManage,
            ))),
        ),
        ("accounts", "target", Ok(())),
        // Actions: `accounts` holds none; `padmin` holds Reader and Project Admin in web.
        ("padmin", "dev", Ok(())),
        ("membermgr", "dev", Ok(())),
        ("dev", "target", Ok(())),
        ("dev", "dev", Ok(())),
        (
            "dev",
            "accounts",
            Err(Escalation::NotDominating(Shortfall::AccountPermission(
                AccountPermission::AccountsManage,
            ))),
        ),
    ];
    for (who, whom, expected) in &cases {
        assert_eq!(
            s.may_act_on_user(&actor(&s, who), id(whom)),
            *expected,
            "{who} acts on {whom}"
        );
    }
    assert!(matches!(
        s.may_act_on_user(&actor(&s, "accounts"), id("dev")),
        Err(Escalation::NotDominating(Shortfall::Action { project, .. })) if project == web
    ));
    // `membermgr` holds project.manage_members, `dev` does not; `nomembers`
    // is not in web at all.
    assert!(matches!(
        s.may_act_on_user(&actor(&s, "dev"), id("membermgr")),
        Err(Escalation::NotDominating(Shortfall::Action { .. }))
    ));
    assert!(matches!(
        s.may_act_on_user(&actor(&s, "nomembers"), id("dev")),
        Err(Escalation::NotDominating(Shortfall::Action { .. }))
    ));
    assert!(matches!(
        s.may_act_on_user(&actor(&s, "dev"), id("padmin")),
        Err(Escalation::NotDominating(Shortfall::Action { .. }))
    ));

    // What a user holds is read whatever its status: enabling a disabled
    // Project Admin would hand its rights back.
    let padmin = model.users.iter().find(|u| u.name == "padmin").unwrap().clone();
    let disabled = s
        .apply(&Change::PutUser(UserSpec {
            status: gatehouse_authz::UserStatus::Disabled,
            ..padmin
        }))
        .unwrap();
    assert!(
        disabled
            .may_act_on_user(&actor(&disabled, "dev"), id("padmin"))
            .is_err()
    );

    // A disabled actor dominates no one; a locked one acts as enabled.
    let dev = model.users.iter().find(|u| u.name == "dev").unwrap().clone();
    let locked = s
        .apply(&Change::PutUser(UserSpec {
            status: gatehouse_authz::UserStatus::Locked,
            ..dev.clone()
        }))
        .unwrap();
    assert_eq!(locked.may_act_on_user(&actor(&locked, "dev"), id("target")), Ok(()));
    let off = s
        .apply(&Change::PutUser(UserSpec {
            status: gatehouse_authz::UserStatus::Disabled,
            ..dev
        }))
        .unwrap();
    assert_eq!(
        off.may_act_on_user(&actor(&off, "dev"), id("target")),
        Err(Escalation::ActorInactive)
    );
}

/// Through a narrow token an actor holds only the token's scope, and no
/// account permission.
#[test]
fn dominance_is_read_through_the_actors_credential() {
    let s = compile(&model());
    let scope = s
        .token_scope(&[gatehouse_authz::ScopeEntrySpec {
            project: "web".into(),
            actions: vec!["project.manage_members".into()],
            ..Default::default()
        }])
        .unwrap();
    let padmin = Actor {
        user: s.user_id("padmin").unwrap(),
        scope: &scope,
    };
    assert!(
        s.may_act_on_user(&actor(&s, "padmin"), s.user_id("dev").unwrap())
            .is_ok()
    );
    assert!(
        s.may_act_on_user(&padmin, s.user_id("dev").unwrap()).is_err(),
        "dev reads in DEV"
    );
    let root = Actor {
        user: s.user_id("root").unwrap(),
        scope: &scope,
    };
    assert!(s.may_act_on_user(&root, s.user_id("accounts").unwrap()).is_err());
    assert!(s.may_act_on_user(&root, s.user_id("padmin").unwrap()).is_err());
}
