//! JFrog's token scope text (SPEC §6.3): space-separated parts such as
//! `applied-permissions/user`, `applied-permissions/admin`,
//! `applied-permissions/groups:readers,qa` or
//! `applied-permissions/roles:web:Developer,qa`, at most 500 characters,
//! onto Gatehouse's token scopes — never wider than asked: a part Gatehouse
//! cannot honour is a 400 that says so.
//!
//! A token acts for its user and allows at most what the user may do at
//! each check (SPEC §2.4). A JFrog group or role scope becomes one scope
//! entry per role — that role's actions in that role's environments in
//! its project — decided when the token is made.

use gatehouse_api as api;

use crate::error::Failure;

/// The longest scope text JFrog takes.
pub const MAX_SCOPE: usize = 500;

/// One part of a scope text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// `applied-permissions/user`: everything the user may do.
    User,
    /// `applied-permissions/admin`: only for a platform admin, who may do
    /// everything as itself.
    Admin,
    /// `applied-permissions/groups:a,b` (or the older `member-of-groups:`):
    /// what these groups of the user hold in projects.
    Groups(Vec<String>),
    /// `applied-permissions/roles:<project>:a,b`: what these roles grant in
    /// the project.
    Roles {
        /// Project key.
        project: String,
        /// Role names.
        roles: Vec<String>,
    },
    /// `api:*`: a token usable on the API, which every Gatehouse token is.
    Api,
}

fn names(raw: &str, part: &str) -> Result<Vec<String>, Failure> {
    let names: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        Err(Failure::field("scope", format!("`{part}` names nothing")))
    } else {
        Ok(names)
    }
}

/// Parses a scope text; an empty one is `applied-permissions/user`.
///
/// # Errors
/// 400 over 500 characters, or naming a part Gatehouse cannot honour
/// (`system:metrics:r`, `artifact:…`, …), saying which.
pub fn parse(text: &str) -> Result<Vec<Part>, Failure> {
    if text.chars().count() > MAX_SCOPE {
        return Err(Failure::field("scope", format!("at most {MAX_SCOPE} characters")));
    }
    let parts: Vec<Part> = text
        .split_whitespace()
        .map(|part| {
            if part == "applied-permissions/user" {
                Ok(Part::User)
            } else if part == "applied-permissions/admin" {
                Ok(Part::Admin)
            } else if part == "api:*" {
                Ok(Part::Api)
            } else if let Some(groups) = part
                .strip_prefix("applied-permissions/groups:")
                .or_else(|| part.strip_prefix("member-of-groups:"))
            {
                names(groups, part).map(Part::Groups)
            } else if let Some(rest) = part.strip_prefix("applied-permissions/roles:") {
                let (project, roles) = rest
                    .split_once(':')
                    .ok_or_else(|| Failure::field("scope", format!("`{part}` needs `<project>:<role>[,<role>]`")))?;
                Ok(Part::Roles {
                    project: project.to_owned(),
                    roles: names(roles, part)?,
                })
            } else {
                Err(Failure::unsupported(format!(
                    "the scope `{part}`: Gatehouse tokens take `applied-permissions/user`, \
                     `applied-permissions/admin`, `applied-permissions/groups:…` and \
                     `applied-permissions/roles:<project>:…`"
                )))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(if parts.is_empty() { vec![Part::User] } else { parts })
}

/// What a role grants, as a scope entry needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleGrant {
    /// Its actions (dotted ids), each with whether it is environment-scoped.
    pub actions: Vec<(String, bool)>,
    /// Its environments.
    pub environments: Vec<String>,
}

/// What the scope resolution reads of the model.
pub trait Directory {
    /// Whether `user` is an active platform admin.
    fn is_admin(&self, user: &str) -> bool;
    /// Whether `user` is in `group`; `None` when the group does not exist.
    fn in_group(&self, user: &str, group: &str) -> Option<bool>;
    /// The (project, role) pairs `group` holds as a project member.
    fn group_roles(&self, group: &str) -> Vec<(String, String)>;
    /// What role `role` grants in `project` (a project role, else a global
    /// role); `None` when there is no such project or role.
    fn role(&self, project: &str, role: &str) -> Option<RoleGrant>;
}

/// The scope entry of one role in one project: its actions in its
/// environments. A role without environments grants its
/// environment-scoped actions nowhere (SPEC §4), so its entry keeps only
/// the others — an entry's empty environment list means "every
/// environment" and would widen it.
fn entry(project: &str, grant: RoleGrant) -> Option<api::ScopeEntry> {
    let actions: Vec<String> = grant
        .actions
        .into_iter()
        .filter(|(_, scoped)| !grant.environments.is_empty() || !scoped)
        .map(|(id, _)| id)
        .collect();
    (!actions.is_empty()).then(|| api::ScopeEntry {
        project: project.to_owned(),
        actions,
        categories: Vec::new(),
        environments: grant.environments,
    })
}

/// Gatehouse's scope of a token for `user` asking for `parts`.
///
/// # Errors
/// 400 when a part names a group the user is not in, an unknown group,
/// project or role, asks for admin rights the user lacks, or when what is
/// asked grants nothing Gatehouse can express.
pub fn resolve(parts: &[Part], user: &str, directory: &impl Directory) -> Result<api::Scope, Failure> {
    let mut entries: Vec<api::ScopeEntry> = Vec::new();
    let mut everything = false;
    for part in parts {
        match part {
            Part::Api => {}
            Part::User => everything = true,
            Part::Admin if directory.is_admin(user) => everything = true,
            Part::Admin => {
                return Err(Failure::unsupported(format!(
                    "`applied-permissions/admin` for `{user}`, who is not a platform admin"
                )));
            }
            Part::Groups(groups) => {
                for group in groups {
                    match directory.in_group(user, group) {
                        None => return Err(Failure::field("scope", format!("group `{group}` does not exist"))),
                        Some(false) => {
                            return Err(Failure::field("scope", format!("`{user}` is not in group `{group}`")));
                        }
                        Some(true) => {}
                    }
                    for (project, role) in directory.group_roles(group) {
                        if let Some(grant) = directory.role(&project, &role) {
                            entries.extend(entry(&project, grant));
                        }
                    }
                }
            }
            Part::Roles { project, roles } => {
                for role in roles {
                    let grant = directory
                        .role(project, role)
                        .ok_or_else(|| Failure::field("scope", format!("no role `{role}` in project `{project}`")))?;
                    entries.extend(entry(project, grant));
                }
            }
        }
    }
    if everything {
        return Ok(api::Scope::User);
    }
    if entries.is_empty() {
        return Err(Failure::unsupported(
            "this scope: it grants no project action (a Gatehouse token with a narrowed scope holds \
             only project actions)",
        ));
    }
    entries.dedup();
    Ok(api::Scope::Entries(entries))
}

/// The scope text of a Gatehouse scope: `applied-permissions/user`, or one
/// `gatehouse:<project>:<action,…>:<environment,…>` per entry (JFrog has
/// no words for a list of actions).
#[must_use]
pub fn render(scope: &api::Scope) -> String {
    match scope {
        api::Scope::User => "applied-permissions/user".to_owned(),
        api::Scope::Entries(entries) => entries
            .iter()
            .map(|e| {
                let actions: Vec<&str> = e.actions.iter().chain(&e.categories).map(String::as_str).collect();
                format!(
                    "gatehouse:{}:{}:{}",
                    e.project,
                    actions.join(","),
                    e.environments.join(",")
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use gatehouse_api as api;

    use super::{Directory, Part, RoleGrant, parse, render, resolve};

    /// alice (not admin) is in `devs`, which holds `qa` in `web`; root is
    /// an admin. `web` has `qa` (repository.read + pipeline.trigger in
    /// DEV), `ops` (no environments: repository.delete + pipeline.trigger)
    /// and `nothing-left` (no environments: repository.read only).
    struct Model;

    impl Directory for Model {
        fn is_admin(&self, user: &str) -> bool {
            user == "root"
        }
        fn in_group(&self, user: &str, group: &str) -> Option<bool> {
            let groups: BTreeMap<&str, &[&str]> = [("devs", &["alice"][..]), ("empty", &["alice"][..])].into();
            groups.get(group).map(|members| members.contains(&user))
        }
        fn group_roles(&self, group: &str) -> Vec<(String, String)> {
            match group {
                "devs" => vec![("web".into(), "qa".into())],
                _ => vec![],
            }
        }
        fn role(&self, project: &str, role: &str) -> Option<RoleGrant> {
            let grant = |actions: &[(&str, bool)], envs: &[&str]| RoleGrant {
                actions: actions.iter().map(|(a, s)| ((*a).to_owned(), *s)).collect(),
                environments: envs.iter().map(|e| (*e).to_owned()).collect(),
            };
            match (project, role) {
                ("web", "qa") => Some(grant(
                    &[("repository.read", true), ("pipeline.trigger", false)],
                    &["DEV"],
                )),
                ("web", "ops") => Some(grant(&[("repository.delete", true), ("pipeline.trigger", false)], &[])),
                ("web", "nothing-left") => Some(grant(&[("repository.read", true)], &[])),
                _ => None,
            }
        }
    }

    fn entry(project: &str, actions: &[&str], envs: &[&str]) -> api::ScopeEntry {
        api::ScopeEntry {
            project: project.into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            categories: vec![],
            environments: envs.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn scope_texts_parse_into_parts() {
        for (text, want) in [
            ("", Ok(vec![Part::User])),
            ("applied-permissions/user", Ok(vec![Part::User])),
            ("applied-permissions/admin", Ok(vec![Part::Admin])),
            ("api:* applied-permissions/user", Ok(vec![Part::Api, Part::User])),
            (
                "applied-permissions/groups:devs,qa",
                Ok(vec![Part::Groups(vec!["devs".into(), "qa".into()])]),
            ),
            ("member-of-groups:devs", Ok(vec![Part::Groups(vec!["devs".into()])])),
            (
                "applied-permissions/roles:web:qa,Developer",
                Ok(vec![Part::Roles {
                    project: "web".into(),
                    roles: vec!["qa".into(), "Developer".into()],
                }]),
            ),
            ("applied-permissions/groups:", Err("names nothing")),
            ("applied-permissions/roles:web", Err("<project>:<role>")),
            ("system:metrics:r", Err("cannot honour the scope `system:metrics:r`")),
            (
                "applied-permissions/user artifact:libs:r",
                Err("cannot honour the scope `artifact:libs:r`"),
            ),
        ] {
            match (parse(text), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(failure), Err(needle)) => {
                    assert_eq!(failure.status, 400, "{text}");
                    assert!(failure.body.errors[0].message.contains(needle), "{text}: {failure:?}");
                }
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        let long = format!("applied-permissions/groups:{}", "g,".repeat(250));
        assert_eq!(parse(&long).unwrap_err().status, 400);
    }

    #[test]
    fn scopes_resolve_never_wider_than_asked() {
        for (user, text, want) in [
            ("alice", "applied-permissions/user", Ok(api::Scope::User)),
            ("root", "applied-permissions/admin", Ok(api::Scope::User)),
            ("alice", "applied-permissions/admin", Err("not a platform admin")),
            (
                "alice",
                "applied-permissions/admin applied-permissions/user",
                Err("not a platform admin"),
            ),
            (
                "alice",
                "applied-permissions/groups:devs",
                Ok(api::Scope::Entries(vec![entry(
                    "web",
                    &["repository.read", "pipeline.trigger"],
                    &["DEV"],
                )])),
            ),
            (
                "bob",
                "applied-permissions/groups:devs",
                Err("`bob` is not in group `devs`"),
            ),
            (
                "alice",
                "applied-permissions/groups:nope",
                Err("group `nope` does not exist"),
            ),
            (
                "alice",
                "applied-permissions/groups:empty",
                Err("grants no project action"),
            ),
            (
                "alice",
                "applied-permissions/roles:web:qa",
                Ok(api::Scope::Entries(vec![entry(
                    "web",
                    &["repository.read", "pipeline.trigger"],
                    &["DEV"],
                )])),
            ),
            // A role without environments: its scoped action is dropped, not
            // widened to every environment.
            (
                "alice",
                "applied-permissions/roles:web:ops",
                Ok(api::Scope::Entries(vec![entry("web", &["pipeline.trigger"], &[])])),
            ),
            (
                "alice",
                "applied-permissions/roles:web:nothing-left",
                Err("grants no project action"),
            ),
            (
                "alice",
                "applied-permissions/roles:web:ghost",
                Err("no role `ghost` in project `web`"),
            ),
            (
                "alice",
                "applied-permissions/roles:nope:qa",
                Err("no role `qa` in project `nope`"),
            ),
            (
                "alice",
                "applied-permissions/roles:web:qa applied-permissions/groups:devs api:*",
                Ok(api::Scope::Entries(vec![entry(
                    "web",
                    &["repository.read", "pipeline.trigger"],
                    &["DEV"],
                )])),
            ),
        ] {
            let got = parse(text).and_then(|parts| resolve(&parts, user, &Model));
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{user}: {text}"),
                (Err(failure), Err(needle)) => {
                    assert_eq!(failure.status, 400, "{text}");
                    assert!(
                        failure.body.errors[0].message.contains(needle),
                        "{user}: {text}: {failure:?}"
                    );
                }
                (got, want) => panic!("{user}: {text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn scopes_render_as_text() {
        assert_eq!(render(&api::Scope::User), "applied-permissions/user");
        let scope = api::Scope::Entries(vec![
            entry("web", &["repository.read", "pipeline.trigger"], &["DEV"]),
            entry("api", &["build.read"], &[]),
        ]);
        assert_eq!(
            render(&scope),
            "gatehouse:web:repository.read,pipeline.trigger:DEV gatehouse:api:build.read:"
        );
    }
}
