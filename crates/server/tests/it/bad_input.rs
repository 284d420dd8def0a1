//! The bad-input battery (SPEC §5.1, §5.2, §6.3, §7, Appendix A): every
//! POST, PUT and PATCH route is sent malformed JSON, bodies of the wrong
//! shape, mistyped, missing and unknown fields, empty and oversized strings,
//! control characters and odd Unicode, SQL-looking strings and a 2 MiB body;
//! each is answered with a 4xx problem naming the field where one applies,
//! and neither the revision nor the listings move.

use std::collections::BTreeSet;

use gatehouse_server::router::ROUTES;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::spawn::{Answer, TestServer, password_of, start_sqlite};

/// The media type of the battery's bodies.
const JSON: &str = "application/json";

/// A body over the 1 MiB limit (SPEC §7).
const TWO_MIB: usize = 2 * 1024 * 1024;

/// What a refused request must be answered with.
#[derive(Clone, Debug)]
struct Refusal {
    status: u16,
    code: &'static str,
    /// The field error that must be present: its field and its code.
    field: Option<(String, &'static str)>,
}

impl Refusal {
    fn malformed() -> Self {
        Self {
            status: 400,
            code: "malformed_json",
            field: None,
        }
    }

    fn too_large() -> Self {
        Self {
            status: 413,
            code: "payload_too_large",
            field: None,
        }
    }

    fn bad_credentials() -> Self {
        Self {
            status: 401,
            code: "invalid_credentials",
            field: None,
        }
    }

    fn not_found() -> Self {
        Self::coded(404, "not_found")
    }

    /// `status` with `code`, naming no field.
    fn coded(status: u16, code: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
        }
    }

    /// `status` with `code`, naming `field` with `field_code`.
    fn coded_naming(status: u16, code: &'static str, field: &str, field_code: &'static str) -> Self {
        Self {
            field: Some((field.to_owned(), field_code)),
            ..Self::coded(status, code)
        }
    }

    /// 422 `validation_failed` without a particular field.
    fn shapeless() -> Self {
        Self {
            status: 422,
            code: "validation_failed",
            field: None,
        }
    }

    /// 422 `validation_failed` naming `field` with `field_code`.
    fn naming(field: &str, field_code: &'static str) -> Self {
        Self {
            field: Some((field.to_owned(), field_code)),
            ..Self::shapeless()
        }
    }
}

/// What a request of the battery must be answered with.
#[derive(Clone, Debug)]
enum Expect {
    /// A problem.
    Refused(Refusal),
    /// This status, for a route that reads no body and so ignores it.
    Ignored(u16),
    /// A check answered 200 with `false` at this JSON pointer: a name that
    /// is only looked up (project, environment, user, resource) and found
    /// nowhere is a deny, not a refusal (SPEC §5.3, §5.6).
    Denied(&'static str),
}

/// One request of the battery.
struct Case {
    label: String,
    body: Vec<u8>,
    expect: Expect,
    /// The `Content-Type` it is sent with.
    content_type: &'static str,
}

impl Case {
    fn json(label: impl Into<String>, body: &Value, refusal: Refusal) -> Self {
        Self::raw(label, body.to_string().into_bytes(), refusal)
    }

    fn raw(label: impl Into<String>, body: Vec<u8>, refusal: Refusal) -> Self {
        Self {
            label: label.into(),
            body,
            expect: Expect::Refused(refusal),
            content_type: JSON,
        }
    }

    /// A check that must be answered as a deny at `pointer`.
    fn denied(label: impl Into<String>, body: &Value, pointer: &'static str) -> Self {
        Self {
            label: label.into(),
            body: body.to_string().into_bytes(),
            expect: Expect::Denied(pointer),
            content_type: JSON,
        }
    }
}

/// `body` with `value` at `pointer`; a missing last member is added.
fn with(body: &Value, pointer: &str, value: Value) -> Value {
    let mut body = body.clone();
    if let Some(slot) = body.pointer_mut(pointer) {
        *slot = value;
        return body;
    }
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let object = body.pointer_mut(parent).and_then(Value::as_object_mut).unwrap();
    object.insert(name.to_owned(), value);
    body
}

/// What a bad string is, for the rules that refuse some kinds and not others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Empty,
    Oversized,
    Control,
    Unicode,
    Blank,
    Sql,
}

/// The bad strings put into every string field a rule refuses them for.
fn bad_strings() -> Vec<(&'static str, String, Kind)> {
    vec![
        ("empty", String::new(), Kind::Empty),
        ("5,000 characters", "a".repeat(5_000), Kind::Oversized),
        ("NUL", "a\u{0}b".to_owned(), Kind::Control),
        ("ANSI escape", "x\u{1b}[31m".to_owned(), Kind::Control),
        ("DEL", "a\u{7f}b".to_owned(), Kind::Control),
        ("right-to-left override", "abc\u{202e}fed".to_owned(), Kind::Unicode),
        ("zero-width joiner", "a\u{200d}b".to_owned(), Kind::Unicode),
        ("emoji", "dev\u{1f600}".to_owned(), Kind::Unicode),
        ("combining mark", "e\u{301}".to_owned(), Kind::Unicode),
        (
            "fullwidth letters",
            "\u{ff41}\u{ff44}\u{ff4d}\u{ff49}\u{ff4e}".to_owned(),
            Kind::Unicode,
        ),
        ("leading blank", " target".to_owned(), Kind::Blank),
        ("SQL drop", "x'; DROP TABLE users; --".to_owned(), Kind::Sql),
        ("SQL tautology", "' OR 1=1 --".to_owned(), Kind::Sql),
        ("SQL in an email", "x@example.com' OR '1'='1".to_owned(), Kind::Sql),
    ]
}

/// How a string field is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// A name with a pattern (username, group name, permission, date):
    /// every bad string is a 422 naming the field.
    Name,
    /// An email: every bad string, made `<bad>@example.com`, is a 422
    /// naming the field.
    Email,
    /// A new password, 12–256 of any characters: empty and oversized are
    /// refused; the rest are accepted, so they are not sent.
    Password,
    /// Free text (descriptions, billing details): oversized and control
    /// characters are refused; odd Unicode, blanks and SQL-looking text
    /// are text.
    Text,
    /// The account name of a login: anything but a known account is 401
    /// `invalid_credentials`, the same answer as a wrong password (SPEC §6.1).
    Credential,
    /// Printable text of bounded length (role, resource and display names):
    /// empty, oversized, control characters and leading blanks are refused;
    /// odd Unicode and SQL-looking text are names, so they are not sent.
    Label,
    /// A reference to something that must exist (a category, an action, an
    /// environment, a resource type): every bad string is a 422 naming the
    /// field as `unknown`.
    Known,
    /// A role given to a member: not a role name at all is `invalid`; a
    /// well-formed name of no role is `unknown`.
    RoleRef,
    /// The action of a check: every bad string is 422 `unknown_action`
    /// naming the field (SPEC §7.1).
    Action,
    /// A name a check only looks up (project, environment, user, resource):
    /// found nowhere, it is a deny (`false` at this pointer), not a refusal.
    Lookup(&'static str),
}

impl Rule {
    fn refuses(self, kind: Kind) -> bool {
        match self {
            Self::Name
            | Self::Email
            | Self::Credential
            | Self::Known
            | Self::RoleRef
            | Self::Action
            | Self::Lookup(_) => true,
            Self::Password => matches!(kind, Kind::Empty | Kind::Oversized),
            Self::Text => matches!(kind, Kind::Oversized | Kind::Control),
            Self::Label => matches!(kind, Kind::Empty | Kind::Oversized | Kind::Control | Kind::Blank),
        }
    }

    fn shape(self, bad: &str) -> String {
        match self {
            Self::Email => format!("{bad}@example.com"),
            _ => bad.to_owned(),
        }
    }

    fn expect(self, field: &str, kind: Kind) -> Expect {
        let refusal = match self {
            Self::Credential => Refusal::bad_credentials(),
            Self::Name | Self::Email | Self::Password | Self::Text | Self::Label => Refusal::naming(field, "invalid"),
            Self::Known => Refusal::naming(field, "unknown"),
            Self::RoleRef if Self::Label.refuses(kind) => Refusal::naming(field, "invalid"),
            Self::RoleRef => Refusal::naming(field, "unknown"),
            Self::Action => Refusal::coded_naming(422, "unknown_action", field, "invalid"),
            Self::Lookup(pointer) => return Expect::Denied(pointer),
        };
        Expect::Refused(refusal)
    }
}

/// A write route: its pattern, a concrete path, a valid body (`None` when
/// the handler reads no body) and what in that body can be got wrong.
struct WriteRoute {
    method: Method,
    pattern: &'static str,
    path: String,
    valid: Option<Value>,
    /// String fields: JSON pointer, the field as errors name it, its rule.
    strings: Vec<(&'static str, &'static str, Rule)>,
    /// Mistyped values: JSON pointer, the field as errors name it, the value.
    mistyped: Vec<(&'static str, &'static str, Value)>,
    /// Required top-level fields.
    required: Vec<&'static str>,
    /// Cases particular to the route.
    extra: Vec<Case>,
    /// The answer to a 2 MiB body.
    oversized: Expect,
}

impl WriteRoute {
    fn new(method: Method, pattern: &'static str, path: impl Into<String>, valid: Option<Value>) -> Self {
        Self {
            method,
            pattern,
            path: path.into(),
            valid,
            strings: Vec::new(),
            mistyped: Vec::new(),
            required: Vec::new(),
            extra: Vec::new(),
            oversized: Expect::Refused(Refusal::too_large()),
        }
    }

    fn strings(mut self, fields: &[(&'static str, &'static str, Rule)]) -> Self {
        self.strings = fields.to_vec();
        self
    }

    fn mistyped(mut self, fields: Vec<(&'static str, &'static str, Value)>) -> Self {
        self.mistyped = fields;
        self
    }

    fn required(mut self, fields: &[&'static str]) -> Self {
        self.required = fields.to_vec();
        self
    }

    fn extra(mut self, cases: Vec<Case>) -> Self {
        self.extra = cases;
        self
    }

    fn oversized(mut self, expect: Expect) -> Self {
        self.oversized = expect;
        self
    }

    /// Every case of the battery for this route.
    fn cases(self) -> Vec<Case> {
        let padding = Value::String("a".repeat(TWO_MIB));
        let big = match (&self.valid, self.strings.first()) {
            (Some(valid), Some((pointer, _, _))) => with(valid, pointer, padding),
            _ => json!({"pad": padding}),
        };
        let mut cases = vec![Case {
            label: "2 MiB body".to_owned(),
            body: big.to_string().into_bytes(),
            expect: self.oversized,
            content_type: JSON,
        }];
        let Some(valid) = self.valid else {
            return cases;
        };

        for raw in [
            "{\"email\":",
            "",
            "{",
            "{'name': 'x'}",
            "{\"name\": \"x\",}",
            "{} {}",
            "nul",
        ] {
            cases.push(Case::raw(
                format!("malformed {raw:?}"),
                raw.as_bytes().to_vec(),
                Refusal::malformed(),
            ));
        }
        // serde reads a struct from an array too, field by field in order.
        for raw in ["[]", "[{}]", "42", "\"text\"", "null", "true"] {
            cases.push(Case::raw(
                format!("not an object: {raw}"),
                raw.as_bytes().to_vec(),
                Refusal::shapeless(),
            ));
        }

        // A key named twice is malformed, as serde would keep the last one
        // (SPEC §7); so is one named twice in a nested object.
        if let Some((key, value)) = valid.as_object().and_then(|o| o.iter().next()) {
            let text = valid.to_string();
            let twice = format!("{{{}:{value},{}", json!(key), &text[1..]);
            cases.push(Case::raw(
                format!("`{key}` named twice"),
                twice.into_bytes(),
                Refusal::malformed(),
            ));
        }
        cases.push(Case::raw(
            "a key named twice in a nested object",
            with(&valid, "/bogus", json!({"a": 1}))
                .to_string()
                .replace(r#"{"a":1}"#, r#"{"a":1,"a":2}"#)
                .into_bytes(),
            Refusal::malformed(),
        ));
        // Only JSON is read (SPEC §7): the valid body, declared as text.
        for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
            cases.push(Case {
                label: format!("the valid body as {content_type:?}"),
                body: valid.to_string().into_bytes(),
                expect: Expect::Refused(Refusal::coded(415, "unsupported_media_type")),
                content_type,
            });
        }

        let unknown = with(&valid, "/bogus", json!(1));
        cases.push(Case::json(
            "unknown field",
            &unknown,
            Refusal::naming("bogus", "unknown_field"),
        ));

        for (pointer, field, value) in &self.mistyped {
            let body = with(&valid, pointer, value.clone());
            cases.push(Case::json(
                format!("{field} = {value}"),
                &body,
                Refusal::naming(field, "invalid"),
            ));
        }

        for field in &self.required {
            let mut body = valid.clone();
            if let Some(object) = body.as_object_mut() {
                object.remove(*field);
            }
            cases.push(Case::json(
                format!("{field} missing"),
                &body,
                Refusal::naming(field, "required"),
            ));
        }

        for (pointer, field, rule) in &self.strings {
            for (label, bad, kind) in bad_strings() {
                if !rule.refuses(kind) {
                    continue;
                }
                let body = with(&valid, pointer, Value::String(rule.shape(&bad)));
                cases.push(Case {
                    label: format!("{field}: {label}"),
                    body: body.to_string().into_bytes(),
                    expect: rule.expect(field, kind),
                    content_type: JSON,
                });
            }
            // A lone surrogate is not JSON text at all (RFC 8259 §8.2).
            let body = with(&valid, pointer, json!("@@surrogate@@"));
            let raw = body.to_string().replace("@@surrogate@@", "\\ud800");
            cases.push(Case::raw(
                format!("{field}: lone surrogate"),
                raw.into_bytes(),
                Refusal::malformed(),
            ));
        }

        cases.extend(self.extra);
        cases
    }
}

/// Every POST, PUT and PATCH route of `ROUTES`, with concrete paths on the
/// fixtures: user `target`, group `devs`, the invitation `secret`, global
/// role `Global-Reader`, and project `web` with environment `web-QA`, role
/// `Reader` held by `target` and resource `web-libs-dev`; project `api` has
/// environment `api-QA` and role `Api-Only`.
fn write_routes(secret: &str, reset_secret: &str) -> Vec<WriteRoute> {
    use Rule::{Action, Credential, Email, Known, Label, Lookup, Name, Password, RoleRef, Text};
    let login = json!({"username": "target", "password": password_of("target")});
    vec![
        WriteRoute::new(Method::POST, "/api/v1/auth/login", "/api/v1/auth/login", Some(login.clone()))
            .strings(&[("/username", "username", Credential)])
            .mistyped(vec![("/username", "username", json!(42)), ("/password", "password", json!(["x"]))])
            .required(&["username", "password"]),
        // Logging out reads no body; with a token it ends no session and
        // moves nothing.
        WriteRoute::new(Method::POST, "/api/v1/auth/logout", "/api/v1/auth/logout", None)
            .oversized(Expect::Ignored(204)),
        // A bad description would only be read after a successful login of
        // `target`, which moves its `last_login_at`; `POST /api/v1/tokens`
        // covers token descriptions.
        WriteRoute::new(
            Method::POST,
            "/api/v1/auth/token",
            "/api/v1/auth/token",
            Some(json!({"username": "target", "password": password_of("target"), "description": "ci", "expires_in": 3600})),
        )
        .strings(&[("/username", "username", Credential)])
        .mistyped(vec![
            ("/expires_in", "expires_in", json!("soon")),
            ("/expires_in", "expires_in", json!(-1)),
            ("/description", "description", json!(7)),
        ])
        .required(&["username", "password"]),
        // Without a provider a valid exchange or link is a 404; a bad body is
        // refused before that, as everywhere (`oidc.rs` sends forged tokens).
        WriteRoute::new(
            Method::POST,
            "/api/v1/auth/oidc/token",
            "/api/v1/auth/oidc/token",
            Some(json!({"id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "description": "ci", "expires_in": 3600})),
        )
        .mistyped(vec![
            ("/id_token", "id_token", json!(42)),
            ("/expires_in", "expires_in", json!(-1)),
            ("/description", "description", json!(7)),
        ])
        .required(&["id_token"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/users/{username}/oidc-link",
            "/api/v1/users/target/oidc-link",
            Some(json!({"issuer": "https://idp.example.com", "subject": "subject-1"})),
        )
        .mistyped(vec![("/subject", "subject", json!(1)), ("/issuer", "issuer", json!(["x"]))])
        .required(&["subject"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/users",
            "/api/v1/users",
            Some(json!({
                "email": "newbie@example.com",
                "username": "newbie",
                "password": password_of("newbie"),
                "account_permissions": ["accounts.manage"],
            })),
        )
        .strings(&[
            ("/email", "email", Email),
            ("/username", "username", Name),
            ("/password", "password", Password),
            ("/account_permissions/0", "account_permissions[0]", Name),
        ])
        .mistyped(vec![
            ("/email", "email", json!(42)),
            ("/admin", "admin", json!("yes")),
            ("/kind", "kind", json!("robot")),
            ("/account_permissions", "account_permissions", json!("accounts.manage")),
            ("/memberships", "memberships", json!({"project": "web"})),
        ])
        .required(&["email"])
        .extra(vec![Case::json(
            "a membership with an unknown field",
            &json!({"email": "newbie@example.com", "password": password_of("newbie"),
                    "memberships": [{"project": "web", "roles": ["Viewer"], "bogus": 1}]}),
            Refusal::naming("memberships[0].bogus", "unknown_field"),
        )]),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/users/{username}",
            "/api/v1/users/target",
            Some(json!({"email": "target2@example.com", "admin": false, "account_permissions": ["accounts.manage"]})),
        )
        .strings(&[
            ("/email", "email", Email),
            ("/account_permissions/0", "account_permissions[0]", Name),
        ])
        .mistyped(vec![
            ("/email", "email", json!(42)),
            ("/admin", "admin", json!("yes")),
            ("/account_permissions", "account_permissions", json!({"accounts.manage": true})),
        ]),
        // Status changes read no body: a 2 MiB one is ignored, so they are
        // sent for a user that does not exist to leave the model as it is.
        WriteRoute::new(Method::POST, "/api/v1/users/{username}/disable", "/api/v1/users/nobody/disable", None)
            .oversized(Expect::Refused(Refusal::not_found())),
        WriteRoute::new(Method::POST, "/api/v1/users/{username}/enable", "/api/v1/users/nobody/enable", None)
            .oversized(Expect::Refused(Refusal::not_found())),
        WriteRoute::new(Method::POST, "/api/v1/users/{username}/unlock", "/api/v1/users/nobody/unlock", None)
            .oversized(Expect::Refused(Refusal::not_found())),
        WriteRoute::new(
            Method::PUT,
            "/api/v1/users/{username}/password",
            "/api/v1/users/target/password",
            Some(json!({"new_password": "a-brand-new-password"})),
        )
        .strings(&[("/new_password", "new_password", Password)])
        .mistyped(vec![("/new_password", "new_password", json!(123_456_789_012_u64))])
        .required(&["new_password"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/users/{username}/tokens",
            "/api/v1/users/target/tokens",
            Some(json!({"description": "ci", "expires_in": 3600, "scope": "applied-permissions/user"})),
        )
        .strings(&[("/description", "description", Text)])
        .mistyped(vec![
            ("/description", "description", json!(7)),
            ("/expires_in", "expires_in", json!("soon")),
            ("/scope", "scope", json!(7)),
            ("/scope", "scope", json!("applied-permissions/everything")),
        ])
        .extra(vec![
            Case::json(
                "expires_in beyond the maximum",
                &json!({"expires_in": 1_000_000_000_000_u64}),
                Refusal::naming("expires_in", "invalid"),
            ),
            Case::json(
                "expires_in 0 where tokens must expire",
                &json!({"expires_in": 0}),
                Refusal::naming("expires_in", "invalid"),
            ),
        ]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/invitations",
            "/api/v1/invitations",
            Some(json!({"email": "invited-here@example.com", "username": "invited-here"})),
        )
        .strings(&[("/email", "email", Email), ("/username", "username", Name)])
        .mistyped(vec![
            ("/email", "email", json!(7)),
            ("/account_permissions", "account_permissions", json!("audit.read")),
        ])
        .required(&["email"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/auth/password-reset",
            "/api/v1/auth/password-reset",
            Some(json!({"email": "target@example.com"})),
        )
        .strings(&[("/email", "email", Email)])
        .mistyped(vec![("/email", "email", json!(["target@example.com"]))])
        .required(&["email"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/auth/password-reset/{secret}",
            format!("/api/v1/auth/password-reset/{reset_secret}"),
            Some(json!({"password": "the-targets-new-password"})),
        )
        .strings(&[("/password", "password", Password)])
        .mistyped(vec![("/password", "password", json!(null))])
        .required(&["password"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/invitations/{secret}/accept",
            format!("/api/v1/invitations/{secret}/accept"),
            Some(json!({"password": "the-invitees-own-password"})),
        )
        .strings(&[("/password", "password", Password)])
        .mistyped(vec![("/password", "password", json!(null))])
        .required(&["password"]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/groups",
            "/api/v1/groups",
            Some(json!({"name": "ops", "description": "on call", "members": ["target"]})),
        )
        .strings(&[
            ("/name", "name", Name),
            ("/description", "description", Text),
            ("/members/0", "members[0]", Name),
        ])
        .mistyped(vec![
            ("/name", "name", json!(42)),
            ("/description", "description", json!(["on call"])),
            ("/members", "members", json!("target")),
            ("/members/0", "members[0]", json!(7)),
        ])
        .required(&["name"])
        .extra(vec![Case::json(
            "the fields as a positional array",
            &json!(["ops", "on call", ["target"]]),
            Refusal::shapeless(),
        )]),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/groups/{name}",
            "/api/v1/groups/devs",
            Some(json!({"description": "the developers"})),
        )
        .strings(&[("/description", "description", Text)])
        .mistyped(vec![("/description", "description", json!(false))]),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/groups/{name}/members",
            "/api/v1/groups/devs/members",
            Some(json!({"add": ["target"], "remove": ["admin"]})),
        )
        .strings(&[("/add/0", "add[0]", Name), ("/remove/0", "remove[0]", Name)])
        .mistyped(vec![("/add", "add", json!("target")), ("/remove", "remove", json!({"admin": true}))]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/tokens",
            "/api/v1/tokens",
            Some(json!({"description": "ci", "expires_in": 3600})),
        )
        .strings(&[("/description", "description", Text)])
        .mistyped(vec![
            ("/description", "description", json!(7)),
            ("/expires_in", "expires_in", json!(1.5)),
        ])
        .extra(vec![Case::json(
            "a scope entry with an unknown field",
            &json!({"scope": [{"project": "web", "actions": ["read"], "bogus": 1}]}),
            Refusal::naming("scope[0].bogus", "unknown_field"),
        )]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/environments",
            "/api/v1/environments",
            Some(json!({"name": "UAT"})),
        )
        .strings(&[("/name", "name", Name)])
        .mistyped(vec![("/name", "name", json!(42)), ("/name", "name", json!(["UAT"]))])
        .required(&["name"])
        .extra(vec![
            Case::json("a taken name", &json!({"name": "DEV"}), Refusal::coded(409, "already_exists")),
            Case::json(
                "a project environment's full name",
                &json!({"name": "web-QA"}),
                Refusal::coded(409, "already_exists"),
            ),
        ]),
        WriteRoute::new(Method::POST, "/api/v1/roles", "/api/v1/roles", Some(role_body("Ops-Reader")))
            .strings(&role_strings())
            .mistyped(role_mistyped())
            .required(&["name"])
            .extra(role_extras(None)),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/roles/{name}",
            "/api/v1/roles/Global-Reader",
            Some(role_patch()),
        )
        .strings(&role_patch_strings())
        .mistyped(role_patch_mistyped())
        .extra(role_patch_extras()),
        WriteRoute::new(
            Method::POST,
            "/api/v1/projects",
            "/api/v1/projects",
            Some(json!({
                "key": "shop",
                "display_name": "Shop",
                "description": "the shop",
                "admin_privileges": {"manage_members": true, "manage_resources": true, "index_resources": false},
                "admins": ["target"],
            })),
        )
        .strings(&[
            ("/key", "key", Name),
            ("/display_name", "display_name", Label),
            ("/description", "description", Text),
            ("/admins/0", "admins[0]", Name),
        ])
        .mistyped(vec![
            ("/key", "key", json!(42)),
            ("/display_name", "display_name", json!(null)),
            ("/description", "description", json!(["the shop"])),
            ("/admin_privileges", "admin_privileges", json!("all")),
            (
                "/admin_privileges/manage_members",
                "admin_privileges.manage_members",
                json!("yes"),
            ),
            ("/admins", "admins", json!("target")),
            ("/admins/0", "admins[0]", json!(7)),
        ])
        .required(&["key", "display_name"])
        .extra(vec![
            Case::json(
                "admin_privileges with an unknown field",
                &json!({"key": "shop", "display_name": "Shop",
                        "admin_privileges": {"manage_members": true, "manage_resources": true,
                            "index_resources": true, "bogus": true}}),
                Refusal::naming("admin_privileges.bogus", "unknown_field"),
            ),
            Case::json(
                "admin_privileges missing a privilege",
                &json!({"key": "shop", "display_name": "Shop",
                        "admin_privileges": {"manage_members": true, "manage_resources": true}}),
                Refusal::naming("admin_privileges.index_resources", "required"),
            ),
            Case::json(
                "a key in upper case",
                &json!({"key": "Shop", "display_name": "Shop"}),
                Refusal::naming("key", "invalid"),
            ),
            Case::json(
                "a key of one character",
                &json!({"key": "s", "display_name": "Shop"}),
                Refusal::naming("key", "invalid"),
            ),
            Case::json(
                "a key of 33 characters",
                &json!({"key": "s".repeat(33), "display_name": "Shop"}),
                Refusal::naming("key", "invalid"),
            ),
            Case::json(
                "a display name of 129 characters",
                &json!({"key": "shop", "display_name": "S".repeat(129)}),
                Refusal::naming("display_name", "invalid"),
            ),
            Case::json(
                "a description of 1,025 characters",
                &json!({"key": "shop", "display_name": "Shop", "description": "d".repeat(1_025)}),
                Refusal::naming("description", "invalid"),
            ),
            Case::json(
                "a taken key",
                &json!({"key": "web", "display_name": "Web again"}),
                Refusal::coded(409, "already_exists"),
            ),
            // Unknown users in a body are 404, as for group members.
            Case::json(
                "an admin that does not exist",
                &json!({"key": "shop", "display_name": "Shop", "admins": ["nobody"]}),
                Refusal::not_found(),
            ),
            // Last: accepted, it creates the project. serde reads a struct
            // from an array too; nested objects must be objects.
            Case::json(
                "admin_privileges as a positional array",
                &json!({"key": "shop-two", "display_name": "Shop", "admin_privileges": [true, true, true]}),
                Refusal::naming("admin_privileges", "invalid"),
            ),
        ]),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/projects/{key}",
            "/api/v1/projects/web",
            Some(json!({"display_name": "Web", "description": "the web",
                "admin_privileges": {"manage_members": true, "manage_resources": true, "index_resources": true}})),
        )
        .strings(&[("/display_name", "display_name", Label), ("/description", "description", Text)])
        .mistyped(vec![
            ("/display_name", "display_name", json!(7)),
            ("/description", "description", json!(false)),
            ("/admin_privileges", "admin_privileges", json!([true, true, true])),
            (
                "/admin_privileges/index_resources",
                "admin_privileges.index_resources",
                json!(1),
            ),
        ])
        .extra(vec![
            Case::json(
                "a new key",
                &json!({"key": "web2"}),
                Refusal::naming("key", "unknown_field"),
            ),
            Case::json(
                "a display name of 129 characters",
                &json!({"display_name": "W".repeat(129)}),
                Refusal::naming("display_name", "invalid"),
            ),
        ]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/projects/{key}/environments",
            "/api/v1/projects/web/environments",
            Some(json!({"name": "STAGE"})),
        )
        .strings(&[("/name", "name", Name)])
        .mistyped(vec![("/name", "name", json!(42)), ("/name", "name", json!({"name": "STAGE"}))])
        .required(&["name"])
        .extra(vec![
            Case::json("the project prefix alone", &json!({"name": "web-"}), Refusal::naming("name", "invalid")),
            Case::json("33 characters", &json!({"name": "Q".repeat(33)}), Refusal::naming("name", "invalid")),
            Case::json("a taken name", &json!({"name": "QA"}), Refusal::coded(409, "already_exists")),
            Case::json("a taken full name", &json!({"name": "web-QA"}), Refusal::coded(409, "already_exists")),
        ]),
        WriteRoute::new(
            Method::POST,
            "/api/v1/projects/{key}/roles",
            "/api/v1/projects/web/roles",
            Some(role_body("Web-Ops")),
        )
        .strings(&role_strings())
        .mistyped(role_mistyped())
        .required(&["name"])
        .extra(role_extras(Some("web"))),
        WriteRoute::new(
            Method::PATCH,
            "/api/v1/projects/{key}/roles/{name}",
            "/api/v1/projects/web/roles/Reader",
            Some(role_patch()),
        )
        .strings(&role_patch_strings())
        .mistyped(role_patch_mistyped())
        .extra(role_patch_extras()),
        WriteRoute::new(
            Method::PUT,
            "/api/v1/projects/{key}/members/users/{username}",
            "/api/v1/projects/web/members/users/target",
            Some(json!({"roles": ["Reader", "Viewer"]})),
        )
        .strings(&[("/roles/0", "roles[0]", RoleRef)])
        .mistyped(member_mistyped())
        .required(&["roles"])
        .extra(member_extras()),
        WriteRoute::new(
            Method::PUT,
            "/api/v1/projects/{key}/members/groups/{name}",
            "/api/v1/projects/web/members/groups/devs",
            Some(json!({"roles": ["Reader", "Viewer"]})),
        )
        .strings(&[("/roles/0", "roles[0]", RoleRef)])
        .mistyped(member_mistyped())
        .required(&["roles"])
        .extra(member_extras()),
        WriteRoute::new(
            Method::POST,
            "/api/v1/projects/{key}/resources",
            "/api/v1/projects/web/resources",
            Some(json!({"name": "web-libs-prod", "type": "repository", "environment": "PROD"})),
        )
        .strings(&[
            ("/name", "name", Label),
            ("/type", "type", Known),
            ("/environment", "environment", Known),
        ])
        .mistyped(vec![
            ("/name", "name", json!(7)),
            ("/type", "type", json!(["repository"])),
            ("/environment", "environment", json!(false)),
        ])
        .required(&["type", "name"])
        .extra(vec![
            Case::json(
                "a scoped type without an environment",
                &json!({"type": "repository", "name": "web-libs-prod"}),
                Refusal::naming("environment", "required"),
            ),
            Case::json(
                "an environment on a type that has none",
                &json!({"type": "pipeline", "name": "web-pipe", "environment": "DEV"}),
                Refusal::naming("environment", "invalid"),
            ),
            Case::json(
                "another project's environment",
                &json!({"type": "repository", "name": "web-libs-prod", "environment": "api-QA"}),
                Refusal::naming("environment", "unknown"),
            ),
            Case::json(
                "a name of 129 characters",
                &json!({"type": "repository", "name": "r".repeat(129), "environment": "DEV"}),
                Refusal::naming("name", "invalid"),
            ),
            Case::json(
                "a taken name",
                &json!({"type": "repository", "name": "web-libs-dev", "environment": "PROD"}),
                Refusal::coded(409, "already_exists"),
            ),
        ]),
        WriteRoute::new(Method::POST, "/api/v1/check", "/api/v1/check", Some(check_body()))
            .strings(&[
                ("/action", "action", Action),
                ("/project", "project", Lookup("/allowed")),
                ("/environment", "environment", Lookup("/allowed")),
                ("/user", "user", Lookup("/allowed")),
            ])
            .mistyped(vec![
                ("/action", "action", json!(7)),
                ("/project", "project", json!(["web"])),
                ("/environment", "environment", json!(1)),
                ("/user", "user", json!({"name": "target"})),
                ("/explain", "explain", json!("yes")),
                ("/min_revision", "min_revision", json!("soon")),
                ("/min_revision", "min_revision", json!(-1)),
            ])
            .required(&["action"])
            .extra(check_extras("", "/allowed")),
        WriteRoute::new(
            Method::POST,
            "/api/v1/check/batch",
            "/api/v1/check/batch",
            Some(json!({"checks": [check_body(), check_body()]})),
        )
        .strings(&[
            ("/checks/1/action", "checks[1].action", Action),
            ("/checks/1/project", "checks[1].project", Lookup("/results/1/allowed")),
            ("/checks/1/environment", "checks[1].environment", Lookup("/results/1/allowed")),
            ("/checks/1/user", "checks[1].user", Lookup("/results/1/allowed")),
        ])
        .mistyped(vec![
            ("/checks", "checks", json!("all")),
            ("/checks", "checks", json!({"0": {}})),
            ("/checks/0", "checks[0]", json!(7)),
            ("/checks/1/explain", "checks[1].explain", json!("yes")),
            ("/checks/1/min_revision", "checks[1].min_revision", json!(1.5)),
        ])
        .required(&["checks"])
        .extra({
            let mut cases = vec![Case::json(
                "1,001 checks",
                &json!({"checks": vec![check_body(); 1_001]}),
                Refusal::naming("checks", "invalid"),
            )];
            cases.extend(check_extras("checks[1].", "/results/1/allowed").into_iter().filter_map(|case| {
                let one: Value = serde_json::from_slice(&case.body).ok()?;
                Some(Case {
                    label: format!("checks[1]: {}", case.label),
                    body: json!({"checks": [check_body(), one]}).to_string().into_bytes(),
                    expect: case.expect,
                    content_type: JSON,
                })
            }));
            cases
        }),
        // An import takes up to 256 MiB: a 2 MiB document is read, and refused
        // for its unknown padding field.
        WriteRoute::new(Method::POST, "/api/v1/import", "/api/v1/import", Some(json!({"version": 1})))
            .oversized(Expect::Refused(Refusal::naming("pad", "unknown_field")))
            .mistyped(vec![("/version", "version", json!("one")), ("/users", "users", json!("all"))])
            .required(&["version"])
            .extra(vec![
                Case::json(
                    "a user whose name breaks the rule",
                    &json!({"version": 1, "users": [{"username": "Bad Name"}]}),
                    Refusal::naming("users[0].username", "invalid"),
                ),
                Case::json(
                    "another format version",
                    &json!({"version": 2}),
                    Refusal::naming("version", "invalid"),
                ),
            ]),
        WriteRoute::new(
            Method::PUT,
            "/api/v1/settings",
            "/api/v1/settings",
            Some(json!({"billing": {"plan": "team", "contact": "billing@example.com", "renewal_date": "2030-01-01"}})),
        )
        .strings(&[
            ("/billing/plan", "billing.plan", Text),
            ("/billing/contact", "billing.contact", Text),
            ("/billing/renewal_date", "billing.renewal_date", Name),
        ])
        .mistyped(vec![
            ("/billing", "billing", json!("team")),
            ("/billing/plan", "billing.plan", json!(42)),
        ])
        .required(&["billing"])
        .extra(vec![Case::json(
            "billing with an unknown field",
            &json!({"billing": {"plan": "team", "bogus": 1}}),
            Refusal::naming("billing.bogus", "unknown_field"),
        )]),
    ]
}

/// A valid new role: Basic mode, `artifacts.read` in DEV.
fn role_body(name: &str) -> Value {
    json!({"name": name, "description": "reads", "categories": ["artifacts.read"], "environments": ["DEV"]})
}

fn role_strings() -> Vec<(&'static str, &'static str, Rule)> {
    vec![
        ("/name", "name", Rule::Label),
        ("/description", "description", Rule::Text),
        ("/categories/0", "categories[0]", Rule::Known),
        ("/environments/0", "environments[0]", Rule::Known),
    ]
}

fn role_mistyped() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("/name", "name", json!(42)),
        ("/description", "description", json!(["reads"])),
        ("/categories", "categories", json!("artifacts.read")),
        ("/categories/0", "categories[0]", json!(7)),
        ("/environments", "environments", json!("DEV")),
        ("/environments/0", "environments[0]", json!(null)),
        ("/actions", "actions", json!({"repository.read": true})),
    ]
}

/// Cases of a new role in `project` (`None`: a global role).
fn role_extras(project: Option<&str>) -> Vec<Case> {
    let mut cases = vec![
        Case::json(
            "both categories and actions",
            &json!({"name": "Both", "categories": ["artifacts.read"], "actions": ["repository.read"],
                    "environments": ["DEV"]}),
            Refusal::naming("actions", "invalid"),
        ),
        Case::json(
            "neither categories nor actions",
            &json!({"name": "Neither", "environments": ["DEV"]}),
            Refusal::naming("categories", "invalid"),
        ),
        Case::json(
            "an unknown action",
            &json!({"name": "Flyer", "actions": ["repository.read", "repository.fly"], "environments": ["DEV"]}),
            Refusal::naming("actions[1]", "unknown"),
        ),
        Case::json(
            "an unknown wire name",
            &json!({"name": "Flyer", "actions": ["FLY_REPOSITORY"], "environments": ["DEV"]}),
            Refusal::naming("actions[0]", "unknown"),
        ),
        Case::json(
            "an action as a category",
            &json!({"name": "Mixed", "categories": ["repository.read"], "environments": ["DEV"]}),
            Refusal::naming("categories[0]", "unknown"),
        ),
        Case::json(
            "no categories",
            &json!({"name": "Empty", "categories": [], "environments": ["DEV"]}),
            Refusal::coded(422, "role_empty"),
        ),
        Case::json(
            "no actions",
            &json!({"name": "Empty", "actions": []}),
            Refusal::coded(422, "role_empty"),
        ),
        Case::json(
            "another project's environment",
            &json!({"name": "Elsewhere", "categories": ["artifacts.read"], "environments": ["api-QA"]}),
            Refusal::naming("environments[0]", "unknown"),
        ),
        Case::json(
            "a name of 65 characters",
            &json!({"name": "R".repeat(65), "categories": ["artifacts.read"], "environments": ["DEV"]}),
            Refusal::naming("name", "invalid"),
        ),
        Case::json(
            "a predefined role's name",
            &json!({"name": "Viewer", "categories": ["artifacts.read"], "environments": ["DEV"]}),
            Refusal::coded(409, "already_exists"),
        ),
    ];
    if project.is_none() {
        cases.push(Case::json(
            "a project's environment in a global role",
            &json!({"name": "Global QA", "categories": ["artifacts.read"], "environments": ["web-QA"]}),
            Refusal::naming("environments[0]", "unknown"),
        ));
    }
    cases
}

/// A valid change to a Basic-mode role.
fn role_patch() -> Value {
    json!({"description": "reads, still", "categories": ["artifacts.read"], "environments": ["DEV"]})
}

fn role_patch_strings() -> Vec<(&'static str, &'static str, Rule)> {
    vec![
        ("/description", "description", Rule::Text),
        ("/categories/0", "categories[0]", Rule::Known),
        ("/environments/0", "environments[0]", Rule::Known),
    ]
}

fn role_patch_mistyped() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("/description", "description", json!(false)),
        ("/mode", "mode", json!("sideways")),
        ("/mode", "mode", json!(1)),
        ("/categories", "categories", json!({"artifacts.read": true})),
        ("/environments", "environments", json!("DEV")),
        ("/discard_advanced", "discard_advanced", json!("yes")),
    ]
}

fn role_patch_extras() -> Vec<Case> {
    vec![
        Case::json(
            "a new name",
            &json!({"name": "Renamed"}),
            Refusal::naming("name", "invalid"),
        ),
        Case::json(
            "both categories and actions",
            &json!({"categories": ["artifacts.read"], "actions": ["repository.read"]}),
            Refusal::naming("actions", "invalid"),
        ),
        Case::json(
            "actions on a Basic role switched to Basic",
            &json!({"mode": "basic", "actions": ["repository.read"]}),
            Refusal::naming("actions", "invalid"),
        ),
        Case::json(
            "an unknown action",
            &json!({"mode": "advanced", "actions": ["repository.fly"]}),
            Refusal::naming("actions[0]", "unknown"),
        ),
        Case::json(
            "no categories",
            &json!({"categories": []}),
            Refusal::coded(422, "role_empty"),
        ),
        Case::json(
            "another project's environment",
            &json!({"environments": ["api-QA"]}),
            Refusal::naming("environments[0]", "unknown"),
        ),
    ]
}

fn member_mistyped() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("/roles", "roles", json!("Reader")),
        ("/roles", "roles", json!(null)),
        ("/roles/0", "roles[0]", json!(7)),
        ("/roles/1", "roles[1]", json!({"name": "Viewer"})),
    ]
}

fn member_extras() -> Vec<Case> {
    vec![
        Case::json(
            "no roles",
            &json!({"roles": []}),
            Refusal::coded(422, "member_needs_role"),
        ),
        Case::json(
            "an unknown role after a good one",
            &json!({"roles": ["Reader", "Nobody's Role"]}),
            Refusal::naming("roles[1]", "unknown"),
        ),
        Case::json(
            "another project's role",
            &json!({"roles": ["Api-Only"]}),
            Refusal::naming("roles[0]", "unknown"),
        ),
        Case::json(
            "a role name of 65 characters",
            &json!({"roles": ["R".repeat(65)]}),
            Refusal::naming("roles[0]", "invalid"),
        ),
    ]
}

/// A valid check the admin makes about `target`: allowed.
fn check_body() -> Value {
    json!({"user": "target", "action": "repository.read", "project": "web", "environment": "DEV", "explain": true})
}

/// Cases of one check, its fields prefixed by `prefix` in errors, its
/// decision at `decision`.
fn check_extras(prefix: &str, decision: &'static str) -> Vec<Case> {
    let at = |field: &str| format!("{prefix}{field}");
    let resource = json!({"type": "repository", "name": "web-libs-dev"});
    vec![
        Case::json(
            "neither project nor resource",
            &json!({"action": "repository.read", "environment": "DEV"}),
            Refusal::naming(&at("project"), "required"),
        ),
        Case::json(
            "both project and resource",
            &json!({"action": "repository.read", "project": "web", "resource": resource}),
            Refusal::naming(&at("resource"), "invalid"),
        ),
        Case::json(
            "an environment beside a resource",
            &json!({"action": "repository.read", "environment": "DEV", "resource": resource}),
            Refusal::naming(&at("environment"), "invalid"),
        ),
        Case::json(
            "a resource with an unknown field",
            &json!({"action": "repository.read", "resource": {"type": "repository", "name": "web-libs-dev", "bogus": 1}}),
            Refusal::naming(&at("resource.bogus"), "unknown_field"),
        ),
        Case::json(
            "a resource without a name",
            &json!({"action": "repository.read", "resource": {"type": "repository"}}),
            Refusal::naming(&at("resource.name"), "required"),
        ),
        // serde reads a struct from an array too; nested objects must be objects.
        Case::json(
            "a resource as a positional array",
            &json!({"action": "repository.read", "resource": ["repository", "web-libs-dev"]}),
            Refusal::naming(&at("resource"), "invalid"),
        ),
        Case::json(
            "a resource that is a string",
            &json!({"action": "repository.read", "resource": "repository/web-libs-dev"}),
            Refusal::naming(&at("resource"), "invalid"),
        ),
        Case::json(
            "an environment-scoped action without an environment",
            &json!({"action": "repository.read", "project": "web"}),
            Refusal::coded_naming(422, "environment_required", &at("environment"), "invalid"),
        ),
        Case::json(
            "an unknown wire name",
            &json!({"action": "FLY_REPOSITORY", "project": "web", "environment": "DEV"}),
            Refusal::coded_naming(422, "unknown_action", &at("action"), "invalid"),
        ),
        Case::json(
            "an action of another type than the resource's",
            &json!({"action": "pipeline.trigger", "resource": resource}),
            Refusal::naming(&at("action"), "invalid"),
        ),
        Case::denied(
            "a resource of an unknown type",
            &json!({"action": "repository.read", "resource": {"type": "x'; DROP TABLE resources; --", "name": "web-libs-dev"}}),
            decision,
        ),
        Case::denied(
            "an unknown resource",
            &json!({"action": "repository.read", "resource": {"type": "repository", "name": "' OR 1=1 --"}}),
            decision,
        ),
        Case::denied(
            "another project's environment",
            &json!({"user": "target", "action": "repository.read", "project": "web", "environment": "api-QA"}),
            decision,
        ),
    ]
}

/// Sends `body` as JSON to `method path` as the admin.
async fn send(t: &TestServer, method: &Method, path: &str, body: Vec<u8>, content_type: &str) -> Answer {
    // A body refused before it is read ends its connection: send it on a
    // connection of its own, so the next request does not race the close.
    let close = if body.len() > 1024 * 1024 {
        "close"
    } else {
        "keep-alive"
    };
    let mut request = t
        .http
        .request(method.clone(), format!("{}{path}", t.url))
        .bearer_auth(&t.admin)
        .header(reqwest::header::CONNECTION, close)
        .body(body);
    if !content_type.is_empty() {
        request = request.header(CONTENT_TYPE, content_type);
    }
    let response = request.send().await.unwrap();
    TestServer::answer(response).await
}

/// What `answer` gets wrong as `expect`, if anything.
fn mismatches(answer: &Answer, expect: &Expect) -> Vec<String> {
    let status = answer.status.as_u16();
    let expected = match expect {
        Expect::Refused(refusal) => refusal,
        Expect::Ignored(expected) if status == *expected => return Vec::new(),
        Expect::Ignored(expected) => return vec![format!("status {status}, expected {expected}")],
        Expect::Denied(pointer) if status == 200 && answer.body.pointer(pointer) == Some(&json!(false)) => {
            return Vec::new();
        }
        Expect::Denied(pointer) => return vec![format!("status {status}, expected 200 and false at {pointer}")],
    };
    let mut wrong = Vec::new();
    if !(400..500).contains(&status) {
        wrong.push(format!("status {status} is not 4xx"));
    }
    if status != expected.status {
        wrong.push(format!("status {status}, expected {}", expected.status));
    }
    if answer.header("content-type") != Some("application/problem+json") {
        wrong.push(format!("content-type {:?}", answer.header("content-type")));
    }
    if answer.code() != expected.code {
        wrong.push(format!("code {:?}, expected {:?}", answer.code(), expected.code));
    }
    if answer.body["status"] != status {
        wrong.push(format!("body status {}", answer.body["status"]));
    }
    let request_id = answer.header("x-request-id");
    if request_id.is_none_or(str::is_empty) || answer.body["request_id"].as_str() != request_id {
        wrong.push(format!(
            "request_id {} against header {request_id:?}",
            answer.body["request_id"]
        ));
    }
    if let Some((field, code)) = &expected.field {
        let errors = answer.body["errors"].as_array().cloned().unwrap_or_default();
        let named = errors
            .iter()
            .any(|e| e["field"] == field.as_str() && e["code"] == *code);
        if !named {
            wrong.push(format!("no `{code}` error naming `{field}`"));
        }
        if *code == "unknown_field" && errors.first().map(|e| &e["field"]) != Some(&json!(field)) {
            wrong.push(format!("errors[0] does not name `{field}`"));
        }
    }
    wrong
}

/// What the battery must leave as it was.
async fn listings(t: &TestServer) -> Vec<(&'static str, Value)> {
    let mut all = Vec::new();
    for path in [
        "/api/v1/users?limit=1000",
        "/api/v1/groups?limit=1000",
        "/api/v1/users/target/tokens",
        "/api/v1/invitations",
        "/api/v1/settings",
        "/api/v1/environments",
        "/api/v1/roles",
        "/api/v1/projects?limit=1000",
        "/api/v1/projects/web",
        "/api/v1/projects/web/environments",
        "/api/v1/projects/web/roles",
        "/api/v1/projects/web/members?limit=1000",
        "/api/v1/projects/web/resources?limit=1000",
        "/api/v1/projects/api/environments",
        "/api/v1/projects/api/roles",
        "/api/v1/projects/api/members?limit=1000",
    ] {
        let answer = t.get(path, &t.admin).await;
        assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
        all.push((path, answer.body));
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_route_refuses_bad_input_and_changes_nothing() {
    let t = start_sqlite().await;
    t.user("target").await;
    let group = t.post("/api/v1/groups", &t.admin, &json!({"name": "devs"})).await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let invited = t
        .post("/api/v1/users", &t.admin, &json!({"email": "invitee@example.com"}))
        .await;
    assert_eq!(invited.status, 201, "{:?}", invited.body);
    let read_in =
        |name: &str, envs: &[&str]| json!({"name": name, "categories": ["artifacts.read"], "environments": envs});
    for (method, path, body) in [
        (Method::POST, "/api/v1/roles", read_in("Global-Reader", &["DEV"])),
        (
            Method::POST,
            "/api/v1/projects",
            json!({"key": "web", "display_name": "Web"}),
        ),
        (
            Method::POST,
            "/api/v1/projects",
            json!({"key": "api", "display_name": "API"}),
        ),
        (Method::POST, "/api/v1/projects/web/environments", json!({"name": "QA"})),
        (Method::POST, "/api/v1/projects/api/environments", json!({"name": "QA"})),
        (Method::POST, "/api/v1/projects/web/roles", read_in("Reader", &["DEV"])),
        (
            Method::POST,
            "/api/v1/projects/api/roles",
            read_in("Api-Only", &["DEV"]),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/users/target",
            json!({"roles": ["Reader"]}),
        ),
        (
            Method::PUT,
            "/api/v1/projects/web/members/groups/devs",
            json!({"roles": ["Reader"]}),
        ),
        (
            Method::POST,
            "/api/v1/projects/web/resources",
            json!({"type": "repository", "name": "web-libs-dev", "environment": "DEV"}),
        ),
    ] {
        let answer = t.call(method.clone(), path, Some(&t.admin), Some(&body)).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {} {:?}",
            answer.status,
            answer.body
        );
    }
    let allowed = t.post("/api/v1/check", &t.admin, &check_body()).await;
    assert_eq!(
        allowed.body["allowed"], true,
        "the valid check is allowed: {:?}",
        allowed.body
    );
    let outbox = t.get("/api/v1/invitations", &t.admin).await;
    let invitee = outbox.body["items"][0]["to"].as_str().unwrap().to_owned();
    let invitee = t.get("/api/v1/users?limit=1000", &t.admin).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == invitee.as_str())
        .unwrap()["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = t
        .mint_link(&invitee, gatehouse_domain::entities::SecretPurpose::Invitation)
        .await;
    let reset_secret = t.reset_link("target", "target@example.com").await;

    let routes = write_routes(&secret, &reset_secret);
    let table: BTreeSet<(String, &str)> = routes
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.pattern))
        .collect();
    let writes: BTreeSet<(String, &str)> = ROUTES
        .iter()
        .filter(|r| ["POST", "PUT", "PATCH"].contains(&r.method.as_str()))
        .map(|r| (r.method.as_str().to_owned(), r.path))
        .collect();
    assert_eq!(table, writes, "the battery covers exactly the write routes of ROUTES");
    assert_eq!(table.len(), routes.len(), "a route is listed twice");

    let before = listings(&t).await;
    let mut failures = Vec::new();
    let mut sent = 0;
    for route in routes {
        let (method, path) = (route.method.clone(), route.path.clone());
        for case in route.cases() {
            let revision = t.revision().await;
            let answer = send(&t, &method, &path, case.body, case.content_type).await;
            sent += 1;
            let mut wrong = mismatches(&answer, &case.expect);
            let after = t.revision().await;
            if after != revision {
                wrong.push(format!("revision moved from {revision} to {after}"));
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{method} {path} — {}: {}\n    answer {} {}",
                    case.label,
                    wrong.join("; "),
                    answer.status,
                    answer.body
                ));
            }
        }
    }
    // The listings still answer after SQL-looking input, and as before.
    for ((path, was), (_, now)) in before.iter().zip(listings(&t).await) {
        if *was != now {
            failures.push(format!("GET {path} changed:\n    before {was}\n    after  {now}"));
        }
    }
    assert!(sent > 300, "the battery sent only {sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} answers wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.finish().await;
}

/// Arbitrary JSON text: nesting, keys named twice, huge and odd numbers,
/// escapes (lone surrogates among them). Objects at the top carry a key no
/// route knows, so that no body of it can be a valid write.
fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let key = prop_oneof![
        Just("email".to_owned()),
        Just("name".to_owned()),
        Just("roles".to_owned()),
        Just("checks".to_owned()),
        Just("password".to_owned()),
        "[a-z_]{1,8}",
        Just("\\ud800".to_owned()),
        Just("\\u006eame".to_owned()),
    ];
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("false".to_owned()),
        Just("1e999".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-123456789012345678901234567890".to_owned()),
        Just("\"\\udc00\"".to_owned()),
        Just("\"\\ud800\\u0041\"".to_owned()),
        Just("\"web\"".to_owned()),
        Just("[\"Reader\"]".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "\"[ -~]{0,10}\"",
    ];
    let object = |inner: BoxedStrategy<String>, key: BoxedStrategy<String>| {
        prop::collection::vec((key, inner), 0..6).prop_map(|pairs| {
            let body: Vec<_> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            body.join(",")
        })
    };
    let nested = leaf.prop_recursive(5, 48, 6, {
        let key = key.clone().boxed();
        move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
                object(inner.boxed(), key.clone()).prop_map(|pairs| format!("{{{pairs}}}")),
            ]
        }
    });
    prop_oneof![
        nested
            .clone()
            .prop_filter("objects carry an unknown key", |text| !text.starts_with('{')),
        object(nested.boxed(), key.boxed()).prop_map(|pairs| {
            if pairs.is_empty() {
                "{\"zz_no_such_field\":1}".to_owned()
            } else {
                format!("{{{pairs},\"zz_no_such_field\":1}}")
            }
        }),
    ]
}

/// `bytes` arbitrary byte strings and `json` arbitrary JSON texts, from a
/// fixed seed (a failure is reproduced).
fn arbitrary_bodies(bytes: usize, json: usize) -> Vec<Vec<u8>> {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree as _;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let raw = prop::collection::vec(any::<u8>(), 0..96);
    let mut bodies: Vec<Vec<u8>> = (0..bytes)
        .map(|_| raw.new_tree(&mut runner).unwrap().current())
        .collect();
    let text = arbitrary_json();
    bodies.extend((0..json).map(|_| text.new_tree(&mut runner).unwrap().current().into_bytes()));
    bodies
}

/// The routes of `methods` among `routes`, every name in their paths of
/// nothing that exists.
fn nobody_paths(routes: &[gatehouse_server::router::Route], methods: &[&str]) -> Vec<(Method, String)> {
    routes
        .iter()
        .filter(|r| methods.contains(&r.method.as_str()))
        .map(|r| {
            let path = r
                .path
                .split('/')
                .map(|part| if part.starts_with('{') { "nobody" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            (Method::from_bytes(r.method.as_str().as_bytes()).unwrap(), path)
        })
        .collect()
}

/// SPEC §7: no input ever produces a 5xx. Arbitrary bytes and arbitrary
/// JSON (a fixed seed: a failure is reproduced) sent to every write route
/// of `ROUTES` as `application/json` are answered below 500, and write
/// nothing: the revision stays where it was.
#[tokio::test(flavor = "multi_thread")]
async fn arbitrary_bodies_to_every_write_route_are_never_a_5xx_and_write_nothing() {
    let t = start_sqlite().await;
    let mut bodies = arbitrary_bodies(24, 40);
    bodies.push(br#"{"email":"a@example.com","email":"b@example.com"}"#.to_vec());
    bodies.push(br#"{"name":"dup","name":"dup","zz_no_such_field":1}"#.to_vec());
    let writes = nobody_paths(ROUTES, &["POST", "PUT", "PATCH"]);
    assert!(writes.len() > 25, "only {} write routes", writes.len());
    let start = t.revision().await;
    let mut failures = Vec::new();
    for body in &bodies {
        for (method, path) in &writes {
            let answer = send(&t, method, path, body.clone(), JSON).await;
            if answer.status.as_u16() >= 500 {
                failures.push(format!(
                    "{method} {path} {:?}: {} {}",
                    String::from_utf8_lossy(body),
                    answer.status,
                    answer.body
                ));
            }
        }
        let now = t.revision().await;
        if now != start {
            failures.push(format!(
                "{:?} moved the revision to {now}",
                String::from_utf8_lossy(body)
            ));
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    t.finish().await;
}

/// One JFrog write route of the battery: method, route, path, mistyped
/// fields, and bodies refused as a whole.
type JfrogRow<'a> = (
    Method,
    &'static str,
    &'static str,
    Vec<(&'static str, &'a Value)>,
    Vec<Value>,
);

/// Whether `answer` is a JFrog refusal of `status`: `{"errors": [{"code",
/// "message"}]}` as `application/json`; what is wrong otherwise.
fn jfrog_mismatches(answer: &Answer, status: u16) -> Vec<String> {
    let mut wrong = Vec::new();
    if answer.status.as_u16() != status {
        wrong.push(format!("status {}, expected {status}", answer.status));
    }
    if answer.header("content-type") != Some("application/json") {
        wrong.push(format!("content-type {:?}", answer.header("content-type")));
    }
    let entries = answer.body["errors"].as_array().cloned().unwrap_or_default();
    if entries.is_empty()
        || !entries
            .iter()
            .all(|e| e["code"].is_string() && e["message"].is_string())
    {
        wrong.push("not `{\"errors\": [{\"code\", \"message\"}]}`".to_owned());
    }
    wrong
}

/// The JFrog face's write routes (SPEC §13) refuse bad input as JFrog
/// does: 400 (413 for a body over the limit) with `{"errors": [{"code",
/// "message"}]}`, never a 5xx, and write nothing. Each route names a thing
/// that exists, so the refusal is the input's. Unknown fields and `null`s
/// are ignored on this face, so they are no bad input here.
#[tokio::test(flavor = "multi_thread")]
async fn every_jfrog_write_route_refuses_bad_input_in_jfrog_errors() {
    use gatehouse_server::router::JFROG_ROUTES;

    let t = start_sqlite().await;
    t.user("target").await;
    let read_in = |name: &str| json!({"name": name, "categories": ["artifacts.read"], "environments": ["DEV"]});
    for (path, body) in [
        ("/api/v1/groups", json!({"name": "devs"})),
        ("/api/v1/projects", json!({"key": "web", "display_name": "Web"})),
        ("/api/v1/projects/web/environments", json!({"name": "QA"})),
        ("/api/v1/environments", json!({"name": "STAGE"})),
        ("/api/v1/projects/web/roles", read_in("Reader")),
        ("/api/v1/roles", read_in("Global-Reader")),
    ] {
        let answer = t.post(path, &t.admin, &body).await;
        assert_eq!(answer.status, 201, "{path}: {:?}", answer.body);
    }
    let number = json!(5);
    let nested = json!([[1]]);
    let text = json!("text");
    // (method, route, path, mistyped fields, bodies refused as a whole)
    let rows: Vec<JfrogRow> = vec![
        (
            Method::POST,
            "/access/api/v1/projects",
            "/access/api/v1/projects",
            vec![
                ("project_key", &number),
                ("display_name", &nested),
                ("description", &nested),
                ("admin_privileges", &text),
            ],
            vec![json!({}), json!({"project_key": "Web!", "display_name": "W"})],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}",
            "/access/api/v1/projects/web",
            vec![("display_name", &number), ("admin_privileges", &text)],
            vec![json!({"project_key": "other"})],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/roles",
            "/access/api/v1/projects/web/roles",
            vec![
                ("name", &number),
                ("type", &number),
                ("actions", &text),
                ("environments", &text),
            ],
            vec![
                json!({}),
                json!({"name": "r", "type": "CUSTOM", "environments": ["DEV"], "actions": ["FLY"]}),
            ],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/roles/{name}",
            "/access/api/v1/projects/web/roles/Reader",
            vec![("actions", &text), ("environments", &number)],
            vec![json!({"actions": []})],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/users/{name}",
            "/access/api/v1/projects/web/users/target",
            vec![("roles", &text), ("name", &nested)],
            vec![json!({"roles": []})],
        ),
        (
            Method::PUT,
            "/access/api/v1/projects/{key}/groups/{name}",
            "/access/api/v1/projects/web/groups/devs",
            vec![("roles", &number)],
            vec![json!({"roles": []})],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/environments",
            "/access/api/v1/projects/web/environments",
            vec![("name", &number)],
            vec![json!({}), json!({"name": "bad name"})],
        ),
        (
            Method::POST,
            "/access/api/v1/projects/{key}/environments/{name}/rename",
            "/access/api/v1/projects/web/environments/web-QA/rename",
            vec![("new_name", &number)],
            vec![json!({}), json!({"new_name": "bad name"})],
        ),
        (
            Method::POST,
            "/access/api/v1/environments",
            "/access/api/v1/environments",
            vec![("name", &nested)],
            vec![json!({}), json!({"name": "bad name"})],
        ),
        (
            Method::POST,
            "/access/api/v1/environments/{name}/rename",
            "/access/api/v1/environments/STAGE/rename",
            vec![("new_name", &nested)],
            vec![json!({})],
        ),
        (
            Method::POST,
            "/access/api/v1/roles",
            "/access/api/v1/roles",
            vec![("name", &number), ("actions", &text)],
            vec![json!({})],
        ),
        (
            Method::PUT,
            "/access/api/v1/roles/{name}",
            "/access/api/v1/roles/Global-Reader",
            vec![("actions", &number)],
            vec![json!({"actions": ["FLY"]})],
        ),
        (
            Method::POST,
            "/access/api/v2/users",
            "/access/api/v2/users",
            vec![
                ("username", &number),
                ("email", &nested),
                ("password", &number),
                ("admin", &nested),
                ("groups", &text),
            ],
            vec![
                json!({}),
                json!({"username": "u", "email": "not an email", "password": "a long password 1"}),
            ],
        ),
        (
            Method::PATCH,
            "/access/api/v2/users/{username}",
            "/access/api/v2/users/target",
            vec![("email", &number), ("admin", &nested)],
            vec![json!({"email": "not an email"})],
        ),
        (
            Method::PUT,
            "/access/api/v2/users/{username}/password",
            "/access/api/v2/users/target/password",
            vec![("password", &number)],
            vec![json!({}), json!({"password": "short"})],
        ),
        (
            Method::PATCH,
            "/access/api/v2/users/{username}/groups",
            "/access/api/v2/users/target/groups",
            vec![("add", &text), ("remove", &number)],
            vec![],
        ),
        (
            Method::POST,
            "/access/api/v2/groups",
            "/access/api/v2/groups",
            vec![("name", &number), ("description", &nested)],
            vec![json!({}), json!({"name": "g", "auto_join": true})],
        ),
        (
            Method::PATCH,
            "/access/api/v2/groups/{name}",
            "/access/api/v2/groups/devs",
            vec![("description", &number)],
            vec![json!({"admin_privileges": true})],
        ),
        (
            Method::PATCH,
            "/access/api/v2/groups/{name}/members",
            "/access/api/v2/groups/devs/members",
            vec![("add", &text), ("remove", &number)],
            vec![],
        ),
        (
            Method::POST,
            "/access/api/v1/tokens",
            "/access/api/v1/tokens",
            vec![
                ("expires_in", &text),
                ("refreshable", &nested),
                ("scope", &number),
                ("description", &nested),
            ],
            vec![json!({"scope": "system:metrics:r"}), json!({"refreshable": true})],
        ),
        (
            Method::POST,
            "/access/api/v1/tokens/revoke",
            "/access/api/v1/tokens/revoke",
            vec![("token", &number)],
            vec![json!({})],
        ),
        (
            Method::DELETE,
            "/access/api/v1/tokens/revoke",
            "/access/api/v1/tokens/revoke",
            vec![("token", &nested)],
            vec![json!({})],
        ),
    ];
    let table: BTreeSet<(String, &str)> = rows.iter().map(|r| (r.0.as_str().to_owned(), r.1)).collect();
    let writes: BTreeSet<(String, &str)> = JFROG_ROUTES
        .iter()
        .filter(|r| ["POST", "PUT", "PATCH"].contains(&r.method.as_str()) || r.path.ends_with("/revoke"))
        // Takes no body: `unlock` is covered in `jfrog.rs`.
        .filter(|r| !r.path.ends_with("/unlock"))
        .map(|r| (r.method.as_str().to_owned(), r.path))
        .collect();
    assert_eq!(table, writes, "the battery covers every JFrog write route");

    let mut failures = Vec::new();
    let mut sent = 0;
    for (method, _, path, mistyped, refused) in rows {
        let mut cases: Vec<(String, Vec<u8>, &str, u16)> = vec![
            ("malformed JSON".to_owned(), b"{\"name\": ".to_vec(), JSON, 400),
            ("an array".to_owned(), b"[1, 2]".to_vec(), JSON, 400),
            ("a string".to_owned(), b"\"x\"".to_vec(), JSON, 400),
            ("2 MiB".to_owned(), vec![b' '; TWO_MIB], JSON, 413),
        ];
        for (field, value) in mistyped {
            let body = json!({ field: value });
            cases.push((format!("mistyped {body}"), body.to_string().into_bytes(), JSON, 400));
        }
        for body in refused {
            cases.push((format!("refused {body}"), body.to_string().into_bytes(), JSON, 400));
        }
        if path == "/access/api/v1/tokens" {
            cases.push((
                "a form with a mistyped field".to_owned(),
                b"expires_in=soon&refreshable=perhaps".to_vec(),
                "application/x-www-form-urlencoded",
                400,
            ));
        }
        for (label, body, content_type, status) in cases {
            let revision = t.revision().await;
            let answer = send(&t, &method, path, body, content_type).await;
            sent += 1;
            let mut wrong = jfrog_mismatches(&answer, status);
            let after = t.revision().await;
            if after != revision {
                wrong.push(format!("revision moved from {revision} to {after}"));
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{method} {path} — {label}: {}\n    answer {} {}",
                    wrong.join("; "),
                    answer.status,
                    answer.body
                ));
            }
        }
    }
    assert!(sent > 100, "the battery sent only {sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} answers wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.finish().await;
}

/// SPEC §7 on the JFrog face: arbitrary bytes and arbitrary JSON sent to
/// every write route of `JFROG_ROUTES` are never a 5xx, and each refusal is
/// in JFrog's error shape. (Unknown fields being ignored here, an arbitrary
/// object may be a valid request: what it writes is not checked.)
#[tokio::test(flavor = "multi_thread")]
async fn arbitrary_bodies_to_every_jfrog_write_route_are_never_a_5xx() {
    use gatehouse_server::router::JFROG_ROUTES;

    let t = start_sqlite().await;
    let bodies = arbitrary_bodies(16, 24);
    let writes = nobody_paths(JFROG_ROUTES, &["POST", "PUT", "PATCH", "DELETE"]);
    let mut failures = Vec::new();
    for body in &bodies {
        for (method, path) in &writes {
            let answer = send(&t, method, path, body.clone(), JSON).await;
            let status = answer.status.as_u16();
            let wrong = if status >= 500 {
                vec![format!("status {status}")]
            } else if status >= 400 {
                jfrog_mismatches(&answer, status)
            } else {
                Vec::new()
            };
            if !wrong.is_empty() {
                failures.push(format!(
                    "{method} {path} {:?}: {}: {}",
                    String::from_utf8_lossy(body),
                    wrong.join("; "),
                    answer.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    t.finish().await;
}
