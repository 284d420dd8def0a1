//! Round trips of the wire shapes against literal JSON from SPEC Appendix A.

use std::borrow::Cow;

use gatehouse_api::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `literal` parses as `T` and serializes back to itself.
fn round_trip<T: Serialize + DeserializeOwned + std::fmt::Debug>(literal: Value) -> T {
    let parsed: T = serde_json::from_value(literal.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        literal,
        "{}",
        std::any::type_name::<T>()
    );
    parsed
}

/// As [`round_trip`], for a type whose strings borrow from what it is read
/// from.
fn round_trip_borrowed<'a, T: Serialize + Deserialize<'a> + std::fmt::Debug>(literal: &'a Value) -> T {
    let parsed = T::deserialize(literal).unwrap();
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        *literal,
        "{}",
        std::any::type_name::<T>()
    );
    parsed
}

#[test]
fn the_check_request_of_spec_7_1() {
    let literal = json!({"user": "alice", "action": "repository.delete", "project": "web",
        "environment": "DEV", "explain": true, "min_revision": 1234});
    let c: CheckRequest = round_trip_borrowed(&literal);
    assert_eq!((c.user.as_deref(), c.min_revision), (Some("alice"), Some(1234)));
    // Read in place: no string of a check is copied.
    for text in [c.user, Some(c.action), c.project, c.environment] {
        assert!(matches!(text, Some(Cow::Borrowed(_))), "{text:?}");
    }
    let literal = json!({"action": "repository.delete", "resource": {"type": "repository", "name": "web-libs-dev"}});
    let r: CheckRequest = round_trip_borrowed(&literal);
    let resource = r.resource.unwrap();
    assert_eq!(resource.resource_type, "repository");
    assert!(matches!(
        (resource.resource_type, resource.name),
        (Cow::Borrowed(_), Cow::Borrowed(_))
    ));
    assert!(!r.explain);
}

#[test]
fn check_answers() {
    round_trip::<CheckResponse>(json!({"allowed": true, "revision": 1240, "reasons": [
        {"via": "group", "name": "devs", "role": "Lead Developer", "role_scope": "project", "environments": ["DEV"]}]}));
    round_trip::<CheckResponse>(json!({"allowed": false, "revision": 1240, "denial": "not_a_member"}));
    round_trip::<BatchResponse>(json!({"revision": 7, "results": [{"allowed": true}, {"allowed": false}]}));
    round_trip::<Permissions>(
        json!({"username": "alice", "project": "web", "revision": 7, "permissions": [
        {"action": "repository.read", "environments": ["DEV", "PROD"], "grants": []},
        {"action": "project.manage_members", "environments": null, "grants": []}]}),
    );
    round_trip::<WhoCan>(json!({"revision": 7, "users": [{"username": "alice", "grants": []}]}));
}

#[test]
fn a_user_and_its_requests() {
    let u: User = round_trip(
        json!({"username": "alice", "email": "alice@example.com", "kind": "person",
        "status": "enabled", "admin": false, "account_permissions": ["accounts.manage"], "groups": ["devs"],
        "managed_by": "local", "created_at": "2026-01-02T03:04:05Z", "created_by": "admin",
        "last_login_at": null}),
    );
    assert_eq!(u.status, UserStatus::Enabled);
    let c: CreateUser = round_trip(json!({"email": "bob@example.com", "password": "correct horse battery",
        "username": "bob", "kind": "service", "admin": false, "account_permissions": ["audit.read"],
        "memberships": [{"project": "web", "roles": ["Developer"]}]}));
    assert!(!format!("{c:?}").contains("correct horse"), "Debug shows a password");
    round_trip::<PatchUser>(json!({"admin": true}));
    round_trip::<SetPassword>(json!({"current_password": "old one here", "new_password": "new one here"}));
    round_trip::<Login>(json!({"username": "alice", "password": "pw"}));
    round_trip::<TokenRequest>(
        json!({"username": "alice", "password": "pw", "description": "cli", "expires_in": 3600}),
    );
    for status in ["invited", "enabled", "disabled", "locked"] {
        round_trip::<UserStatus>(json!(status));
    }
}

#[test]
fn tokens_and_scopes() {
    let t: CreatedToken = round_trip(json!({"id": "tok1", "username": "alice", "description": "ci",
        "scope": "applied-permissions/user", "created_at": "2026-01-02T03:04:05Z",
        "expires_at": "2027-01-02T03:04:05Z", "last_used_at": null, "token": "gate_abc"}));
    assert_eq!((t.token.scope, t.secret.expose()), (Scope::User, "gate_abc"));
    let c: CreateToken = round_trip(json!({"description": "deploy", "expires_in": 86400, "scope": [
        {"project": "web", "actions": ["repository.deploy"], "environments": ["DEV"]},
        {"project": "api", "categories": ["artifacts.read"]}]}));
    let Some(Scope::Entries(entries)) = c.scope else {
        panic!("a list scope")
    };
    assert_eq!(entries.len(), 2);
}

#[test]
fn groups_environments_members() {
    round_trip::<Group>(json!({"name": "devs", "description": "", "members": ["alice", "bob"]}));
    round_trip::<CreateGroup>(json!({"name": "devs", "description": "d", "members": []}));
    round_trip::<PatchGroupMembers>(json!({"add": ["carol"], "remove": ["bob"]}));
    round_trip::<Environment>(json!({"name": "web-QA", "scope": "project", "project": "web"}));
    round_trip::<Environment>(json!({"name": "DEV", "scope": "global", "project": null}));
    round_trip::<CreateEnvironment>(json!({"name": "QA"}));
    let m: Member = round_trip(json!({"kind": "group", "name": "devs", "roles": ["Developer", "Lead Developer"]}));
    assert_eq!(m.kind, MemberKind::Group);
    round_trip::<SetRoles>(json!({"roles": ["Developer"]}));
}

#[test]
fn roles_and_projects() {
    let r: Role = round_trip(json!({"name": "QA Tester", "description": "", "scope": "project",
        "project": "us-rnd", "type": "CUSTOM", "mode": "advanced", "categories": [],
        "actions": ["repository.read", "repository.write"], "environments": ["DEV"]}));
    assert_eq!((r.role_type, r.mode), (RoleKind::Custom, RoleMode::Advanced));
    round_trip::<CreateRole>(
        json!({"name": "Readers", "description": "", "categories": ["artifacts.read"],
        "environments": ["DEV", "PROD"]}),
    );
    let p: PatchRole = round_trip(json!({"mode": "basic", "discard_advanced": true}));
    assert!(p.discard_advanced);
    round_trip::<Project>(json!({"key": "web", "display_name": "Web", "description": "",
        "admin_privileges": {"manage_members": true, "manage_resources": false, "index_resources": true},
        "created_at": "2026-01-02T03:04:05Z"}));
    let c: CreateProject = serde_json::from_value(json!({"key": "web", "display_name": "Web",
        "admins": ["alice"]}))
    .unwrap();
    assert_eq!(c.admin_privileges, AdminPrivileges::default());
    assert_eq!(c.admins, ["alice"]);
}

#[test]
fn audit_records_and_pages() {
    round_trip::<AuditRecord>(json!({"id": 1, "at": "2026-01-02T03:04:05Z", "revision": 12,
        "actor": {"username": "admin", "token_id": null, "address": "127.0.0.1", "user_agent": "curl"},
        "event": "role.updated", "target": {"type": "role", "id": "Developer"}, "project": null,
        "before": {"actions": []}, "after": {"actions": ["repository.read"]}, "request_id": "r1",
        "prev_hash": "00", "hash": "ab"}));
    let page: Page<Member> = round_trip(
        json!({"items": [{"kind": "user", "name": "alice", "roles": ["Developer"]}],
        "next_cursor": null}),
    );
    assert_eq!(page.items.len(), 1);
}

#[test]
fn domain_records_convert() {
    use gatehouse_domain::entities;
    use gatehouse_domain::names::{ProjectKey, RoleName, Username};
    let member = entities::Member {
        project: ProjectKey::parse("web").unwrap(),
        principal: entities::Principal::User(Username::parse("alice").unwrap()),
        roles: vec![RoleName::parse("Developer").unwrap()],
    };
    assert_eq!(
        serde_json::to_value(Member::from(&member)).unwrap(),
        json!({"kind": "user", "name": "alice", "roles": ["Developer"]})
    );
    let at = time::macros::datetime!(2026-01-02 04:04:05 +1);
    let user = entities::User::new(Username::parse("alice").unwrap(), None, at, None);
    let wire = serde_json::to_value(User::new(&user, vec!["devs".into()])).unwrap();
    assert_eq!(wire["status"], "invited");
    assert_eq!(wire["created_at"], "2026-01-02T03:04:05Z", "times are UTC");
    assert_eq!(wire["groups"], json!(["devs"]));
    assert!(wire.get("password_hash").is_none());
}
