//! The route × permission matrix (STYLE §2.11, SPEC §3.1, §3.2, §7): every
//! route of `router.rs` called without credentials, by every user lacking
//! what it needs, and by those holding it.
//!
//! Project routes run on project `web`: `pa` is its Project Admin (holding
//! every project action, and `Reader`), `reader` a member with `Reader` only,
//! and `stranger` a member of nothing — a project is hidden from it (404),
//! while a member lacking a project action is refused (403).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use gatehouse_authz::AccountPermission;
use gatehouse_server::router::{Needs, ROUTES};
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{Answer, Backend, TestServer, password_of, start_with};

/// Who makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// No credentials at all.
    Anonymous,
    /// A user holding exactly the account permission the route needs (the
    /// first admin for `Needs::Admin`).
    Holding,
    /// A fixture user, by name, with its own personal token.
    User(&'static str),
}

/// The call by someone who should not get through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lacking {
    /// A user holding every account permission but the one the route needs
    /// (every one, but not platform admin, for `Needs::Admin`): 403 `forbidden`.
    AllButNeeded,
    /// A fixture user, by name, who may not make the call: this status, 403
    /// or 404 (a 404 where the resource is not visible to the caller).
    Stranger(&'static str, u16),
    /// No such call makes sense; the reason.
    Skip(&'static str),
}

/// One route's row.
#[derive(Clone, Debug)]
struct Row {
    /// The concrete path; `{token_id}` and `{secret}` name fixtures.
    path: &'static str,
    /// The body of a successful call.
    body: Option<Value>,
    /// The status of a successful call.
    success: u16,
    /// Who succeeds.
    holder: Who,
    /// Who is refused, and how.
    lacking: Lacking,
    /// Further refusals, where the reasons differ (a member lacking a
    /// project action: 403; a stranger to the project: 404).
    also: Vec<Lacking>,
    /// Further users the call succeeds for, after the holder (read-only
    /// calls only: every one of them must succeed as the first did).
    also_served: Vec<&'static str>,
}

fn row(path: &'static str, body: Option<Value>, success: u16, holder: Who, lacking: Lacking) -> Row {
    Row {
        path,
        body,
        success,
        holder,
        lacking,
        also: Vec::new(),
        also_served: Vec::new(),
    }
}

impl Row {
    /// Also refuses `lacking`.
    fn also(mut self, lacking: Lacking) -> Self {
        self.also.push(lacking);
        self
    }

    /// Also serves `username`.
    fn also_served(mut self, username: &'static str) -> Self {
        self.also_served.push(username);
        self
    }

    /// Every refusal of the row.
    fn refusals(&self) -> impl Iterator<Item = &Lacking> {
        std::iter::once(&self.lacking).chain(&self.also)
    }
}

/// Every route, keyed by (method, path pattern) as in `router::ROUTES`.
fn authorization_matrix() -> BTreeMap<(&'static str, &'static str), Row> {
    use Lacking::{AllButNeeded, Skip, Stranger};
    use Who::{Anonymous, Holding, User};
    const PUBLIC: Lacking = Skip("public: anyone may call it");
    const OWN: Lacking = Skip("acts on the caller's own account: nobody lacks it");
    const ANYONE: Lacking = Skip("any authenticated user may read it");
    const VISIBLE: Lacking = Skip("lists only what the caller may see");
    // A project route called by `stranger`, to whom `web` is hidden.
    const HIDDEN: Lacking = Stranger("stranger", 404);
    // A project-action route called by `reader`, a member without the action.
    const MEMBER: Lacking = Stranger("reader", 403);
    let rows = [
        (("GET", "/healthz"), row("/healthz", None, 200, Anonymous, PUBLIC)),
        (("GET", "/readyz"), row("/readyz", None, 200, Anonymous, PUBLIC)),
        (("GET", "/metrics"), row("/metrics", None, 200, Anonymous, PUBLIC)),
        (
            ("GET", "/api/openapi.json"),
            row("/api/openapi.json", None, 200, Anonymous, PUBLIC),
        ),
        (
            ("POST", "/api/v1/auth/login"),
            row(
                "/api/v1/auth/login",
                Some(json!({"username": "owner", "password": password_of("owner")})),
                200,
                Anonymous,
                PUBLIC,
            ),
        ),
        (
            ("POST", "/api/v1/auth/logout"),
            row("/api/v1/auth/logout", None, 204, User("owner"), OWN),
        ),
        (
            ("POST", "/api/v1/auth/token"),
            row(
                "/api/v1/auth/token",
                Some(json!({"username": "owner", "password": password_of("owner")})),
                201,
                Anonymous,
                PUBLIC,
            ),
        ),
        (("GET", "/api/v1/me"), row("/api/v1/me", None, 200, User("owner"), OWN)),
        // The matrix's server has no OIDC provider: its routes answer 404
        // (tests/it/oidc.rs serves them against a real provider).
        (
            ("GET", "/auth/oidc/login"),
            row("/auth/oidc/login", None, 404, Anonymous, PUBLIC),
        ),
        (
            ("GET", "/auth/oidc/callback"),
            row("/auth/oidc/callback?state=x&code=y", None, 404, Anonymous, PUBLIC),
        ),
        (
            ("GET", "/api/v1/auth/oidc"),
            row("/api/v1/auth/oidc", None, 404, Anonymous, PUBLIC),
        ),
        (
            ("POST", "/api/v1/auth/oidc/token"),
            row(
                "/api/v1/auth/oidc/token",
                Some(json!({"id_token": "a.b.c"})),
                404,
                Anonymous,
                PUBLIC,
            ),
        ),
        (
            ("POST", "/api/v1/users/{username}/oidc-link"),
            row(
                "/api/v1/users/stranger/oidc-link",
                Some(json!({"issuer": "https://idp.example.com", "subject": "matrix-subject"})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/users"),
            row("/api/v1/users", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/users"),
            row(
                "/api/v1/users",
                Some(json!({"email": "made-by-holder@example.com"})),
                201,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/users/{username}"),
            row("/api/v1/users/target", None, 200, Holding, AllButNeeded),
        ),
        (
            ("PATCH", "/api/v1/users/{username}"),
            row(
                "/api/v1/users/target",
                Some(json!({"email": "target-moved@example.com"})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("DELETE", "/api/v1/users/{username}"),
            row("/api/v1/users/doomed", None, 204, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/users/{username}/disable"),
            row("/api/v1/users/to-disable/disable", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/users/{username}/enable"),
            row("/api/v1/users/to-enable/enable", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/users/{username}/unlock"),
            row("/api/v1/users/to-unlock/unlock", None, 200, Holding, AllButNeeded),
        ),
        (
            ("PUT", "/api/v1/users/{username}/password"),
            row(
                "/api/v1/users/pw-owner/password",
                Some(
                    json!({"current_password": password_of("pw-owner"), "new_password": "an-entirely-new-passphrase"}),
                ),
                204,
                User("pw-owner"),
                Stranger("stranger", 403),
            ),
        ),
        (
            ("GET", "/api/v1/users/{username}/tokens"),
            row(
                "/api/v1/users/owner/tokens",
                None,
                200,
                User("owner"),
                Stranger("stranger", 404),
            ),
        ),
        (
            ("POST", "/api/v1/users/{username}/tokens"),
            row(
                "/api/v1/users/owner/tokens",
                Some(json!({"description": "made for the matrix"})),
                201,
                User("owner"),
                Stranger("stranger", 403),
            ),
        ),
        (
            ("GET", "/api/v1/invitations"),
            row("/api/v1/invitations", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/invitations"),
            row(
                "/api/v1/invitations",
                Some(json!({"email": "invited-by-holder@example.com"})),
                201,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("POST", "/api/v1/auth/password-reset"),
            row(
                "/api/v1/auth/password-reset",
                Some(json!({"email": "nobody@example.com"})),
                202,
                Anonymous,
                PUBLIC,
            ),
        ),
        (
            ("POST", "/api/v1/auth/password-reset/{secret}"),
            row(
                "/api/v1/auth/password-reset/{reset_secret}",
                Some(json!({"password": "a-new-password-for-resettable"})),
                204,
                Anonymous,
                PUBLIC,
            ),
        ),
        (
            ("POST", "/api/v1/invitations/{secret}/accept"),
            row(
                "/api/v1/invitations/{secret}/accept",
                Some(json!({"password": password_of("invitee")})),
                204,
                Anonymous,
                PUBLIC,
            ),
        ),
        (
            ("GET", "/api/v1/groups"),
            row("/api/v1/groups", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/groups"),
            row(
                "/api/v1/groups",
                Some(json!({"name": "made-by-holder", "description": "from the matrix"})),
                201,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/groups/{name}"),
            row("/api/v1/groups/devs", None, 200, Holding, AllButNeeded),
        ),
        (
            ("PATCH", "/api/v1/groups/{name}"),
            row(
                "/api/v1/groups/devs",
                Some(json!({"description": "developers, described again"})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("DELETE", "/api/v1/groups/{name}"),
            row("/api/v1/groups/doomed-group", None, 204, Holding, AllButNeeded),
        ),
        (
            ("PATCH", "/api/v1/groups/{name}/members"),
            row(
                "/api/v1/groups/devs/members",
                Some(json!({"add": ["stranger"]})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/tokens"),
            row("/api/v1/tokens", None, 200, User("owner"), OWN),
        ),
        (
            ("POST", "/api/v1/tokens"),
            row(
                "/api/v1/tokens",
                Some(json!({"description": "own, from the matrix"})),
                201,
                User("owner"),
                OWN,
            ),
        ),
        (
            ("DELETE", "/api/v1/tokens/{id}"),
            row(
                "/api/v1/tokens/{token_id}",
                None,
                204,
                User("owner"),
                Stranger("stranger", 404),
            ),
        ),
        (
            ("GET", "/api/v1/audit"),
            row("/api/v1/audit", None, 200, Holding, AllButNeeded),
        ),
        (
            ("GET", "/api/v1/audit/export"),
            row("/api/v1/audit/export", None, 200, Holding, AllButNeeded),
        ),
        (
            ("GET", "/api/v1/audit/verify"),
            row("/api/v1/audit/verify", None, 200, Holding, AllButNeeded),
        ),
        (
            ("GET", "/api/v1/me/permissions"),
            // About oneself, but a project the caller cannot see is answered
            // as an unknown one (SPEC §5.3, §7): 404.
            row("/api/v1/me/permissions?project=web", None, 200, User("reader"), HIDDEN)
                .also_served("pa")
                .also_served("admin"),
        ),
        (
            ("GET", "/api/v1/users/{username}/permissions"),
            row(
                "/api/v1/users/reader/permissions?project=web",
                None,
                200,
                User("holds-authz.query"),
                Stranger("stranger", 403),
            )
            .also(Stranger("lacks-authz.query", 403))
            .also_served("reader")
            .also_served("pa")
            .also_served("admin"),
        ),
        // Global environments and roles: read by anyone, written by platform admins.
        (
            ("GET", "/api/v1/environments"),
            row("/api/v1/environments", None, 200, User("stranger"), ANYONE),
        ),
        (
            ("POST", "/api/v1/environments"),
            row(
                "/api/v1/environments",
                Some(json!({"name": "UAT"})),
                201,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("DELETE", "/api/v1/environments/{name}"),
            row(
                "/api/v1/environments/STAGING?force=true",
                None,
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/roles"),
            row("/api/v1/roles", None, 200, User("stranger"), ANYONE),
        ),
        (
            ("POST", "/api/v1/roles"),
            row(
                "/api/v1/roles",
                Some(json!({"name": "Made-By-Admin", "categories": ["artifacts.read"], "environments": ["DEV"]})),
                201,
                Holding,
                AllButNeeded,
            )
            .also(Stranger("pa", 403)),
        ),
        (
            ("GET", "/api/v1/roles/{name}"),
            row("/api/v1/roles/Viewer", None, 200, User("stranger"), ANYONE),
        ),
        (
            ("PATCH", "/api/v1/roles/{name}"),
            row(
                "/api/v1/roles/Global-Reader",
                Some(json!({"description": "reads, described again"})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("DELETE", "/api/v1/roles/{name}"),
            row(
                "/api/v1/roles/Doomed-Global?force=true",
                None,
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        // Projects: seen by admins, holders of projects.manage and members.
        (
            ("GET", "/api/v1/projects"),
            row("/api/v1/projects", None, 200, User("stranger"), VISIBLE),
        ),
        (
            ("POST", "/api/v1/projects"),
            row(
                "/api/v1/projects",
                Some(json!({"key": "made-by-holder", "display_name": "Made by the holder"})),
                201,
                Holding,
                AllButNeeded,
            )
            .also(Stranger("pa", 403)),
        ),
        (
            ("GET", "/api/v1/projects/{key}"),
            row("/api/v1/projects/web", None, 200, User("reader"), HIDDEN)
                .also(Stranger("lacks-projects.manage", 404))
                .also_served("holds-projects.manage")
                .also_served("admin"),
        ),
        (
            ("PATCH", "/api/v1/projects/{key}"),
            row(
                "/api/v1/projects/web",
                Some(json!({"description": "the web, described again"})),
                200,
                Holding,
                AllButNeeded,
            )
            .also(Stranger("pa", 403))
            .also(Stranger("reader", 403)),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}"),
            row(
                "/api/v1/projects/doomed-project?confirm=doomed-project",
                None,
                204,
                Holding,
                AllButNeeded,
            )
            .also(Stranger("pa", 403)),
        ),
        (
            ("GET", "/api/v1/projects/{key}/environments"),
            row("/api/v1/projects/web/environments", None, 200, User("reader"), HIDDEN),
        ),
        (
            ("POST", "/api/v1/projects/{key}/environments"),
            row(
                "/api/v1/projects/web/environments",
                Some(json!({"name": "QA"})),
                201,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}/environments/{name}"),
            row(
                "/api/v1/projects/web/environments/DOOMED?force=true",
                None,
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("GET", "/api/v1/projects/{key}/roles"),
            row("/api/v1/projects/web/roles", None, 200, User("reader"), HIDDEN),
        ),
        (
            ("POST", "/api/v1/projects/{key}/roles"),
            row(
                "/api/v1/projects/web/roles",
                Some(json!({"name": "Made-By-PA", "categories": ["artifacts.read"], "environments": ["DEV"]})),
                201,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("GET", "/api/v1/projects/{key}/roles/{name}"),
            row("/api/v1/projects/web/roles/Reader", None, 200, User("reader"), HIDDEN),
        ),
        (
            ("PATCH", "/api/v1/projects/{key}/roles/{name}"),
            row(
                "/api/v1/projects/web/roles/Editable",
                Some(json!({"description": "edited by the Project Admin"})),
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}/roles/{name}"),
            row(
                "/api/v1/projects/web/roles/Doomed-Role?force=true",
                None,
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("GET", "/api/v1/projects/{key}/members"),
            row("/api/v1/projects/web/members", None, 200, User("reader"), HIDDEN),
        ),
        (
            ("PUT", "/api/v1/projects/{key}/members/users/{username}"),
            row(
                "/api/v1/projects/web/members/users/newcomer",
                Some(json!({"roles": ["Reader"]})),
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}/members/users/{username}"),
            row(
                "/api/v1/projects/web/members/users/leaver",
                None,
                204,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("PUT", "/api/v1/projects/{key}/members/groups/{name}"),
            row(
                "/api/v1/projects/web/members/groups/web-team",
                Some(json!({"roles": ["Reader"]})),
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}/members/groups/{name}"),
            row(
                "/api/v1/projects/web/members/groups/leaving-group",
                None,
                204,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("GET", "/api/v1/projects/{key}/resources"),
            row("/api/v1/projects/web/resources", None, 200, User("reader"), HIDDEN),
        ),
        (
            ("POST", "/api/v1/projects/{key}/resources"),
            row(
                "/api/v1/projects/web/resources",
                Some(json!({"type": "repository", "name": "web-made-by-pa", "environment": "DEV"})),
                201,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        (
            ("DELETE", "/api/v1/projects/{key}/resources/{type}/{name}"),
            row(
                "/api/v1/projects/web/resources/repository/web-doomed-repo",
                None,
                204,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN),
        ),
        // Who-can: `authz.query` holders ask about any project; others need
        // to see the project and manage its members.
        (
            ("GET", "/api/v1/projects/{key}/who-can"),
            row(
                "/api/v1/projects/web/who-can?action=repository.read&environment=DEV",
                None,
                200,
                User("pa"),
                MEMBER,
            )
            .also(HIDDEN)
            .also_served("holds-authz.query")
            .also_served("admin"),
        ),
        // Checks about another user: authz.query, admin, or manage_members in the project.
        (
            ("POST", "/api/v1/check"),
            row(
                "/api/v1/check",
                Some(json!({"user": "reader", "action": "repository.read", "project": "web", "environment": "DEV"})),
                200,
                User("holds-authz.query"),
                Stranger("stranger", 403),
            )
            .also(Stranger("lacks-authz.query", 403))
            .also_served("reader")
            .also_served("pa")
            .also_served("admin"),
        ),
        (
            ("POST", "/api/v1/check/batch"),
            row(
                "/api/v1/check/batch",
                Some(json!({"checks": [
                    {"user": "reader", "action": "repository.read", "project": "web", "environment": "DEV"},
                    {"user": "reader", "action": "project.manage_members", "project": "web"},
                ]})),
                200,
                User("holds-authz.query"),
                Stranger("stranger", 403),
            )
            .also(Stranger("lacks-authz.query", 403))
            .also_served("reader")
            .also_served("pa")
            .also_served("admin"),
        ),
        (
            ("GET", "/api/v1/catalogue"),
            row("/api/v1/catalogue", None, 200, User("stranger"), ANYONE),
        ),
        (
            ("GET", "/api/v1/export"),
            row("/api/v1/export", None, 200, Holding, AllButNeeded),
        ),
        (
            ("POST", "/api/v1/import"),
            row(
                "/api/v1/import",
                Some(json!({"version": 1})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
        (
            ("GET", "/api/v1/settings"),
            row("/api/v1/settings", None, 200, Holding, AllButNeeded),
        ),
        (
            ("PUT", "/api/v1/settings"),
            row(
                "/api/v1/settings",
                Some(json!({"billing": {"plan": "enterprise", "contact": "billing@example.com"}})),
                200,
                Holding,
                AllButNeeded,
            ),
        ),
    ];
    let matrix: BTreeMap<_, _> = rows.iter().cloned().collect();
    assert_eq!(matrix.len(), rows.len(), "a route has two rows");
    matrix
}

/// The fixture user holding exactly `needs`' account permission.
fn holder_name(needs: Needs) -> String {
    match needs {
        Needs::Account(p) => format!("holds-{p}"),
        Needs::Admin => "admin".to_owned(),
        Needs::Public | Needs::Authenticated => String::new(),
    }
}

/// The fixture user holding every account permission but `needs`' one.
fn lacking_name(needs: Needs) -> String {
    match needs {
        Needs::Account(p) => format!("lacks-{p}"),
        Needs::Admin => "holds-all".to_owned(),
        Needs::Public | Needs::Authenticated => String::new(),
    }
}

/// What the rows call on: tokens by username, and the ids and secrets
/// their paths name.
struct Fixtures {
    tokens: HashMap<String, String>,
    replacements: Vec<(&'static str, String)>,
}

impl Fixtures {
    /// Creates every fixture up front, so rows may run in any order.
    async fn create(t: &TestServer) -> Self {
        let mut tokens = HashMap::new();
        tokens.insert("admin".to_owned(), t.admin.clone());
        for p in AccountPermission::ALL {
            let holds = format!("holds-{p}");
            tokens.insert(
                holds.clone(),
                t.user_with(&holds, json!({"account_permissions": [p.as_str()]})).await,
            );
            let others: Vec<_> = AccountPermission::ALL
                .into_iter()
                .filter(|o| *o != p)
                .map(|o| o.as_str())
                .collect();
            let lacks = format!("lacks-{p}");
            tokens.insert(
                lacks.clone(),
                t.user_with(&lacks, json!({"account_permissions": others})).await,
            );
        }
        let all: Vec<_> = AccountPermission::ALL.into_iter().map(|p| p.as_str()).collect();
        tokens.insert(
            "holds-all".to_owned(),
            t.user_with("holds-all", json!({"account_permissions": all})).await,
        );
        for name in ["owner", "stranger", "pw-owner", "resettable"] {
            tokens.insert(name.to_owned(), t.user(name).await);
        }
        for name in ["target", "doomed", "to-disable", "to-enable", "to-unlock", "invitee"] {
            let email = format!("{name}@example.com");
            let created = t
                .post("/api/v1/users", &t.admin, &json!({"email": email, "username": name}))
                .await;
            assert_eq!(created.status, 201, "create {name}: {:?}", created.body);
        }
        let disabled = t.post("/api/v1/users/to-enable/disable", &t.admin, &json!({})).await;
        assert_eq!(disabled.status, 200, "{:?}", disabled.body);
        for name in ["devs", "doomed-group"] {
            let created = t.post("/api/v1/groups", &t.admin, &json!({"name": name})).await;
            assert_eq!(created.status, 201, "create group {name}: {:?}", created.body);
        }
        for name in ["reader", "pa"] {
            tokens.insert(name.to_owned(), t.user(name).await);
        }
        Self::create_projects(t).await;
        let token = t
            .post("/api/v1/tokens", &tokens["owner"], &json!({"description": "to revoke"}))
            .await;
        assert_eq!(token.status, 201, "{:?}", token.body);
        let token_id = token.body["id"].as_str().unwrap().to_owned();
        let secret = t
            .mint_link("invitee", gatehouse_domain::entities::SecretPurpose::Invitation)
            .await;
        let reset_secret = t.reset_link("resettable", "resettable@example.com").await;
        Self {
            tokens,
            replacements: vec![
                ("{token_id}", token_id),
                ("{secret}", secret),
                ("{reset_secret}", reset_secret),
            ],
        }
    }

    /// Global environments and roles, projects `web` and `doomed-project`,
    /// and what the project rows act on, each destructive row on its own.
    async fn create_projects(t: &TestServer) {
        for name in ["newcomer", "leaver", "role-holder"] {
            t.user(name).await;
        }
        let read_in =
            |name: &str, envs: &[&str]| json!({"name": name, "categories": ["artifacts.read"], "environments": envs});
        let calls = [
            (Method::POST, "/api/v1/groups", json!({"name": "web-team"})),
            (Method::POST, "/api/v1/groups", json!({"name": "leaving-group"})),
            (Method::POST, "/api/v1/environments", json!({"name": "STAGING"})),
            (Method::POST, "/api/v1/roles", read_in("Global-Reader", &["DEV"])),
            (
                Method::POST,
                "/api/v1/roles",
                read_in("Doomed-Global", &["DEV", "STAGING"]),
            ),
            (
                Method::POST,
                "/api/v1/projects",
                json!({"key": "web", "display_name": "Web", "admins": ["pa"]}),
            ),
            (
                Method::POST,
                "/api/v1/projects",
                json!({"key": "doomed-project", "display_name": "Doomed"}),
            ),
            (
                Method::POST,
                "/api/v1/projects/web/environments",
                json!({"name": "DOOMED"}),
            ),
            (Method::POST, "/api/v1/projects/web/roles", read_in("Reader", &["DEV"])),
            (
                Method::POST,
                "/api/v1/projects/web/roles",
                read_in("Editable", &["DEV"]),
            ),
            (
                Method::POST,
                "/api/v1/projects/web/roles",
                read_in("Doomed-Role", &["DEV"]),
            ),
            (
                Method::POST,
                "/api/v1/projects/web/roles",
                read_in("Doomed-Env-User", &["DOOMED"]),
            ),
            (
                Method::PUT,
                "/api/v1/projects/web/members/users/pa",
                json!({"roles": ["Project Admin", "Reader"]}),
            ),
            (
                Method::PUT,
                "/api/v1/projects/web/members/users/reader",
                json!({"roles": ["Reader"]}),
            ),
            (
                Method::PUT,
                "/api/v1/projects/web/members/users/leaver",
                json!({"roles": ["Reader"]}),
            ),
            (
                Method::PUT,
                "/api/v1/projects/web/members/users/role-holder",
                json!({"roles": ["Doomed-Role", "Doomed-Global"]}),
            ),
            (
                Method::PUT,
                "/api/v1/projects/web/members/groups/leaving-group",
                json!({"roles": ["Reader"]}),
            ),
            (
                Method::POST,
                "/api/v1/projects/web/resources",
                json!({"type": "repository", "name": "web-doomed-repo", "environment": "DEV"}),
            ),
        ];
        for (method, path, body) in calls {
            let answer = t.call(method.clone(), path, Some(&t.admin), Some(&body)).await;
            assert!(
                answer.status.is_success(),
                "{method} {path} {body}: {} {:?}",
                answer.status,
                answer.body
            );
        }
    }

    fn token(&self, username: &str) -> &str {
        let token = self.tokens.get(username);
        assert!(token.is_some(), "no fixture user {username}");
        token.map(String::as_str).unwrap_or_default()
    }
}

/// Calls `method row.path` with `row.body` as `username` (`None`: no credentials).
async fn call(t: &TestServer, fixtures: &Fixtures, method: &str, row: &Row, username: Option<&str>) -> Answer {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let path = fixtures
        .replacements
        .iter()
        .fold(row.path.to_owned(), |path, (name, value)| path.replace(name, value));
    let token = username.map(|u| fixtures.token(u));
    t.call(method, &path, token, row.body.as_ref()).await
}

#[test]
fn every_route_has_a_row() {
    let served: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.as_str(), r.path)).collect();
    let tested: BTreeSet<_> = authorization_matrix().keys().copied().collect();
    assert_eq!(served, tested, "add the route to tests/it/routes.rs");
}

#[test]
fn rows_agree_with_what_routes_need() {
    let matrix = authorization_matrix();
    for route in ROUTES {
        let Some(row) = matrix.get(&(route.method.as_str(), route.path)) else {
            continue;
        };
        let key = format!("{} {}", route.method, route.path);
        // The OIDC login routes without a provider: 404 (see their rows).
        let without_provider = route.path.contains("/auth/oidc") && row.success == 404;
        assert!(
            [200, 201, 202, 204].contains(&row.success) || without_provider,
            "{key}: success is 2xx"
        );
        match route.needs {
            Needs::Public => {
                assert_eq!(row.holder, Who::Anonymous, "{key}: public, callable anonymously");
                assert!(
                    matches!(row.lacking, Lacking::Skip(_)),
                    "{key}: nobody lacks a public route"
                );
            }
            Needs::Account(_) | Needs::Admin => {
                assert_eq!(row.holder, Who::Holding, "{key}: the holder holds exactly the need");
                assert_eq!(row.lacking, Lacking::AllButNeeded, "{key}");
            }
            Needs::Authenticated => {
                assert!(matches!(row.holder, Who::User(_)), "{key}: a signed-in user succeeds");
                assert_ne!(
                    row.lacking,
                    Lacking::AllButNeeded,
                    "{key}: no account permission to lack"
                );
            }
        }
        for lacking in row.refusals() {
            if let Lacking::Stranger(_, status) = lacking {
                assert!([403, 404].contains(status), "{key}: a stranger gets 403 or 404");
            }
        }
        for lacking in &row.also {
            assert!(
                matches!(lacking, Lacking::Stranger(..)),
                "{key}: a further refusal names its user"
            );
        }
        if !row.also_served.is_empty() {
            assert!(
                row.success == 200 && ["GET", "POST"].contains(&route.method.as_str()),
                "{key}: only reads (and checks) serve several users"
            );
        }
    }
}

/// What `answer` to `who` gets wrong, expecting `status` and, for a
/// refusal, `code`.
fn wrong(key: &str, who: &str, answer: &Answer, status: u16, code: Option<&str>) -> Option<String> {
    let code_ok = code.is_none_or(|c| answer.code() == c);
    (answer.status != status || !code_ok).then(|| {
        format!(
            "{key} as {who}: expected {status}{}, got {} {}",
            code.map(|c| format!(" {c}")).unwrap_or_default(),
            answer.status,
            answer.body
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_strangers_and_serves_holders() {
    let t = start_with(&Backend::Sqlite, |c| c.login_attempts_per_minute = 10_000).await;
    let fixtures = Fixtures::create(&t).await;
    let matrix = authorization_matrix();
    let mut failures = Vec::new();
    for route in ROUTES {
        let method = route.method.as_str();
        let row = &matrix[&(method, route.path)];
        let key = format!("{method} {}", route.path);

        let before = t.revision().await;
        if route.needs != Needs::Public {
            let answer = call(&t, &fixtures, method, row, None).await;
            failures.extend(wrong(&key, "anonymous", &answer, 401, Some("unauthenticated")));
        }

        for lacking in row.refusals() {
            let (username, status) = match *lacking {
                Lacking::AllButNeeded => (lacking_name(route.needs), 403),
                Lacking::Stranger(username, status) => (username.to_owned(), status),
                Lacking::Skip(_) => continue,
            };
            let answer = call(&t, &fixtures, method, row, Some(&username)).await;
            let code = if status == 403 { "forbidden" } else { "not_found" };
            failures.extend(wrong(&key, &username, &answer, status, Some(code)));
        }
        let after = t.revision().await;
        if after != before {
            failures.push(format!("{key}: refused calls moved the revision {before} → {after}"));
        }

        let holder = match row.holder {
            Who::Anonymous => None,
            Who::Holding => Some(holder_name(route.needs)),
            Who::User(name) => Some(name.to_owned()),
        };
        let answer = call(&t, &fixtures, method, row, holder.as_deref()).await;
        let who = holder.as_deref().unwrap_or("anonymous");
        failures.extend(wrong(&key, who, &answer, row.success, None));
        for username in &row.also_served {
            let answer = call(&t, &fixtures, method, row, Some(username)).await;
            failures.extend(wrong(&key, username, &answer, row.success, None));
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls answered wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.finish().await;
}
