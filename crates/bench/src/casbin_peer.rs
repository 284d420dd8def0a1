//! The same model in casbin-rs (`casbin` 2): RBAC with domains, the domain
//! being the project, with one enforcer per project (casbin scans every `p`
//! rule of its enforcer on each request, so one enforcer for all projects
//! would scan every project's rules on each check).
//!
//! Built from [`PeerModel`], the derivation Cedar's encoding reads too,
//! never from a Gatehouse snapshot, so that the two engines check each other.

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use casbin::rhai::ImmutableString;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use gatehouse_authz::{Catalogue, Model};

use crate::peer_model::{Names, PeerModel, PeerProject, index_u32};
use gatehouse_workload::NamedCheck;

/// The casbin model: RBAC with domains, the matcher's cheap comparisons
/// before the role lookup (rhai's `&&` short-circuits, so that `g` runs only
/// on the rules naming the requested environment and action).
const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && (r.act == p.act || p.act == "*") && r.dom == p.dom && g(r.sub, p.sub, r.dom)
"#;

/// The encoding, in one sentence, for the benchmark's output.
pub const ENCODING: &str = "RBAC with domains (domain = project key), one enforcer per project (casbin scans \
every `p` rule of its enforcer per request), `p, R<k>, <project>, <env>, <action>` for each action of each role \
held in the project and each of the role's environments the project sees (`*` for a non-scoped action), \
`p, ADMIN, <project>, <env or *>, *` for each environment the project sees, `g, <user>, R<k>, <project>` for \
direct members, `g, G:<group>, R<k>, <project>` and `g, <user>, G:<group>, <project>` for group members, \
`g, <admin>, ADMIN, <project>` for platform admins who are not disabled, and no `g` rule at all for disabled \
users (a lock guards the password alone and is decided as enabled); matcher `r.obj == p.obj && (r.act == p.act \
|| p.act == \"*\") && r.dom == p.dom && g(r.sub, p.sub, r.dom)`, effect `some(where (p.eft == allow))`; \
rules added in two batches to an enforcer over an empty `MemoryAdapter` with auto-save off, requests built \
from prepared rhai strings";

/// The object that stands for "no environment" (not a valid environment
/// name), and the action of the admin rules (not a valid action id).
const WILDCARD: &str = "*";

/// The admin role: upper case, which no username has
/// (`^[a-z0-9.\-_@+]{1,64}$`, SPEC §5.1), as the `R<k>` role keys; groups
/// are `G:<name>`, so that users, groups and roles never share a name.
const ADMIN: &str = "ADMIN";

/// A check resolved to prepared request strings (indices into
/// [`CasbinModel`]'s tables).
#[derive(Clone, Copy, Debug)]
pub struct CasbinCheck {
    project: u32,
    user: u32,
    action: u32,
    object: u32,
}

/// The whole model in casbin, with the strings requests are built from.
pub struct CasbinModel {
    /// One enforcer per project, by model project index.
    enforcers: Vec<Enforcer>,
    /// Project keys (the domains), by model project index.
    domains: Vec<ImmutableString>,
    /// Usernames, by model user index.
    users: Vec<ImmutableString>,
    /// Action ids, by catalogue action index.
    actions: Vec<ImmutableString>,
    /// Environment names by model environment index, then `*`.
    objects: Vec<ImmutableString>,
    /// The names checks are resolved with.
    names: Names,
    policy_count: usize,
    grouping_count: usize,
}

/// One project's rules: `p` rules, then `g` rules.
type Rules = (Vec<Vec<String>>, Vec<Vec<String>>);

impl CasbinModel {
    /// Translates `model` (over `catalogue`) into one enforcer per project.
    ///
    /// # Errors
    /// A model that refers to unknown names, or casbin refusing the model or a rule.
    pub fn build(catalogue: &Catalogue, model: &Model) -> Result<Self> {
        let peer = PeerModel::new(catalogue, model)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .context("starting a tokio runtime for casbin's builder")?;
        let template = runtime
            .block_on(DefaultModel::from_str(MODEL))
            .context("parsing the casbin model")?;
        let mut enforcers = Vec::with_capacity(peer.projects.len());
        let (mut policy_count, mut grouping_count) = (0, 0);
        for project in &peer.projects {
            let (policies, groupings) = rules(catalogue, model, &peer, project)?;
            let enforcer = runtime
                .block_on(enforcer(template.clone(), policies, groupings))
                .with_context(|| format!("project `{}`", project.key))?;
            policy_count += rule_count(&enforcer, "p");
            grouping_count += rule_count(&enforcer, "g");
            enforcers.push(enforcer);
        }
        let mut objects: Vec<ImmutableString> = model.environments.iter().map(|e| e.name.as_str().into()).collect();
        objects.push(WILDCARD.into());
        Ok(Self {
            enforcers,
            domains: peer.projects.iter().map(|p| p.key.into()).collect(),
            users: model.users.iter().map(|u| u.name.as_str().into()).collect(),
            actions: catalogue.actions().iter().map(|a| a.id.as_str().into()).collect(),
            objects,
            names: peer.names,
            policy_count,
            grouping_count,
        })
    }

    /// Enforcers: one per project.
    #[must_use]
    pub fn enforcer_count(&self) -> usize {
        self.enforcers.len()
    }

    /// `p` rules over all enforcers.
    #[must_use]
    pub fn policy_count(&self) -> usize {
        self.policy_count
    }

    /// `g` rules over all enforcers.
    #[must_use]
    pub fn grouping_count(&self) -> usize {
        self.grouping_count
    }

    /// Resolves a check to prepared strings
    /// ([`Names::resolve`]): a check with no environment
    /// (a non-scoped action) has `*` as its object; an environment the
    /// project does not see is an object no rule of its enforcer names, so
    /// that casbin denies, as SPEC §2.1 denies an unknown environment.
    ///
    /// # Errors
    /// Names the model does not have.
    pub fn resolve(&self, catalogue: &Catalogue, check: &NamedCheck) -> Result<CasbinCheck> {
        let c = self.names.resolve(catalogue, check)?;
        let wildcard = index_u32(self.objects.len() - 1);
        Ok(CasbinCheck {
            project: c.project,
            user: c.user,
            action: c.action,
            object: c.env.unwrap_or(wildcard),
        })
    }

    /// casbin's decision: builds the request `(user, project, environment,
    /// action)` from the prepared strings and asks the project's enforcer.
    /// This is the timed unit.
    ///
    /// # Errors
    /// A check not made by [`CasbinModel::resolve`], or casbin failing to
    /// evaluate its matcher.
    #[inline]
    pub fn enforce(&self, check: &CasbinCheck) -> Result<bool> {
        let enforcer = self
            .enforcers
            .get(check.project as usize)
            .context("bad project index")?;
        let request = vec![
            self.users.get(check.user as usize).context("bad user index")?.clone(),
            self.domains
                .get(check.project as usize)
                .context("bad project index")?
                .clone(),
            self.objects
                .get(check.object as usize)
                .context("bad object index")?
                .clone(),
            self.actions
                .get(check.action as usize)
                .context("bad action index")?
                .clone(),
        ];
        Ok(enforcer.enforce(request)?)
    }
}

/// A project's enforcer: `model`, an empty in-memory adapter, the rules
/// added in two batches (auto-save off: the rules live in the enforcer
/// alone, as after loading them from a store).
async fn enforcer(model: DefaultModel, policies: Vec<Vec<String>>, groupings: Vec<Vec<String>>) -> Result<Enforcer> {
    let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
        .await
        .context("creating an enforcer")?;
    enforcer.enable_auto_save(false);
    enforcer.add_policies(policies).await.context("adding `p` rules")?;
    enforcer
        .add_grouping_policies(groupings)
        .await
        .context("adding `g` rules")?;
    Ok(enforcer)
}

/// The number of rules of section `sec` (`p` or `g`) in `enforcer`.
fn rule_count(enforcer: &Enforcer, sec: &str) -> usize {
    enforcer
        .get_model()
        .get_model()
        .get(sec)
        .and_then(|assertions| assertions.get(sec))
        .map_or(0, |assertion| assertion.get_policy().len())
}

/// One project's rules (see [`ENCODING`]).
fn rules(catalogue: &Catalogue, model: &Model, peer: &PeerModel<'_>, project: &PeerProject<'_>) -> Result<Rules> {
    // Short per-project role keys, in the order of the held roles.
    let keys: HashMap<&str, String> = project
        .grants
        .keys()
        .enumerate()
        .map(|(i, r)| (*r, format!("R{i}")))
        .collect();
    let key = |role: &str| keys.get(role).map_or("", String::as_str);
    Ok((
        policies(catalogue, peer, project, key),
        groupings(model, peer, project, key)?,
    ))
}

/// A rule from its fields.
fn rule<const N: usize>(fields: [&str; N]) -> Vec<String> {
    fields.iter().map(|s| (*s).to_owned()).collect()
}

/// The `p` rules: each (environment, action) each held role grants, then
/// every environment (and `*`) for the admins.
fn policies<'k>(
    catalogue: &Catalogue,
    peer: &PeerModel<'_>,
    project: &PeerProject<'_>,
    key: impl Fn(&str) -> &'k str,
) -> Vec<Vec<String>> {
    let dom = project.key;
    let mut policies = Vec::new();
    for (role, (actions, envs)) in &project.grants {
        let envs: Vec<&str> = project
            .envs
            .iter()
            .copied()
            .filter(|e| envs.iter().any(|r| r == e))
            .collect();
        for action in actions.iter() {
            let id = catalogue.action(action).id.as_str();
            if peer.names.scoped(action.index()) {
                policies.extend(envs.iter().map(|env| rule([key(role), dom, env, id])));
            } else {
                policies.push(rule([key(role), dom, WILDCARD, id]));
            }
        }
    }
    policies.extend(
        project
            .envs
            .iter()
            .chain(&[WILDCARD])
            .map(|env| rule([ADMIN, dom, env, WILDCARD])),
    );
    policies
}

/// The `g` rules: direct members under their roles, member groups under
/// theirs and their users under them, admins under `ADMIN`; none for a
/// disabled user.
fn groupings<'k>(
    model: &Model,
    peer: &PeerModel<'_>,
    project: &PeerProject<'_>,
    key: impl Fn(&str) -> &'k str,
) -> Result<Vec<Vec<String>>> {
    let dom = project.key;
    let blocked = |user: u32| peer.blocked.get(user as usize).copied().unwrap_or(true);
    let user_name = |user: u32| {
        model
            .users
            .get(user as usize)
            .map(|u| u.name.as_str())
            .context("bad user index")
    };
    let mut groupings = Vec::new();
    for (user, roles) in &project.users {
        if !blocked(*user) {
            let name = user_name(*user)?;
            groupings.extend(roles.iter().map(|r| rule([name, key(r), dom])));
        }
    }
    for (group, roles) in &project.groups {
        let spec = model.groups.get(*group).context("bad group index")?;
        let group_name = format!("G:{}", spec.name);
        groupings.extend(roles.iter().map(|r| rule([&group_name, key(r), dom])));
        for user in peer.group_users.get(*group).into_iter().flatten() {
            if !blocked(*user) {
                groupings.push(rule([user_name(*user)?, &group_name, dom]));
            }
        }
    }
    for admin in &peer.admins {
        groupings.push(rule([user_name(*admin)?, ADMIN, dom]));
    }
    Ok(groupings)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use gatehouse_authz::Snapshot;

    use super::*;
    use gatehouse_workload::{Params, generate};

    /// casbin and Gatehouse agree on every check of a small workload.
    #[test]
    fn agrees_with_gatehouse() -> Result<()> {
        let catalogue = Arc::new(Catalogue::platform()?);
        let params = Params {
            users: 300,
            groups: 30,
            projects: 12,
            admins: 4,
            user_members: 25,
            group_members: 5,
            checks: 1_500,
            disabled_share: 0.05,
            locked_share: 0.05,
            predefined_role_share: 0.3,
            project_action_share: 0.2,
            ..Params::scale(1, 0)
        };
        let w = generate(Arc::clone(&catalogue), &params, 7)?;
        let checks = crate::peer_model::widened_checks(&catalogue, &w);
        let snapshot = Snapshot::compile(Arc::clone(&catalogue), &w.model)?;
        let casbin = CasbinModel::build(&catalogue, &w.model)?;
        let (mut allows, mut admin_allows) = (0, 0);
        for check in &checks {
            let gatehouse =
                match snapshot.query(&check.user, &check.action, &check.project, check.environment.as_deref())? {
                    Ok(q) => snapshot.check(&q)?,
                    Err(_) => false,
                };
            let c = casbin.resolve(&catalogue, check)?;
            assert_eq!(casbin.enforce(&c)?, gatehouse, "{check:?}");
            allows += usize::from(gatehouse);
            let admin = w.model.users.iter().any(|u| u.name == check.user && u.admin);
            admin_allows += usize::from(gatehouse && admin);
        }
        assert!(allows > 0 && allows < checks.len());
        assert!(admin_allows > 0, "no admin check was allowed");
        Ok(())
    }
}
