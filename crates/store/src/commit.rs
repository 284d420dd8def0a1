//! A commit (SPEC §8, STYLE §2.7): in one write transaction, take the
//! revision, check the expected one, apply every mutation, log the model
//! changes and append the audit record — all of it, or nothing.

use std::collections::HashSet;

use gatehouse_domain::entities::{Member, Role, User};
use gatehouse_domain::names::{GroupName, Username};
use gatehouse_domain::{AuditEntry, Commit, Mutation, StoreError};
use time::OffsetDateTime;

use crate::conn::Conn;
use crate::error::in_context;
use crate::members::RoleIds;
use crate::{
    audit, billing, environments, groups, invitations, members, oidc, outbox, projects, resources, revision, roles,
    sessions, tokens, users,
};

/// Applies `commit` at `now` in the transaction `c`; answers the new
/// revision. On `Err` the caller rolls back, so nothing is written.
pub(crate) async fn apply<C: Conn>(c: &mut C, commit: &Commit, now: OffsetDateTime) -> Result<u64, StoreError> {
    let (current, new) = revision::bump(c).await?;
    if let Some(expected) = commit.expected_revision
        && expected != current
    {
        return Err(StoreError::Stale {
            expected,
            actual: current,
        });
    }
    // INVARIANT: a cached role id stays valid until a mutation deletes
    // roles; `mutate` clears the cache on DeleteRole and DeleteProject.
    let mut role_ids = RoleIds::new();
    let mut rest = commit.mutations.as_slice();
    while let Some(first) = rest.first() {
        let done = match first {
            Mutation::CreateUser(_) | Mutation::SetMember(_) | Mutation::AddGroupMember(..) | Mutation::PutRole(_) => {
                bulk(c, rest, new, now, &mut role_ids).await?
            }
            _ => 0,
        };
        if done == 0 {
            mutate(c, first, new, now, &mut role_ids)
                .await
                .map_err(|e| in_context(e, || describe(first)))?;
        }
        rest = rest.get(done.max(1)..).unwrap_or_default();
    }
    revision::log(c, new, &commit.model_changes()).await?;
    audit::append(c, now, Some(new), &commit.audit).await?;
    Ok(new)
}

/// Appends a security event in the transaction `c`; the revision stays.
pub(crate) async fn record_event<C: Conn>(
    c: &mut C,
    entry: &AuditEntry,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    audit::append(c, now, None, entry).await.map(|_| ())
}

/// At most this many rows go in one multi-row statement (16 columns for a
/// user: 16,000 parameters, within both backends' limits).
const BULK: usize = 1_000;

/// Applies the run of `CreateUser`s, of `SetMember`s naming distinct
/// members, of `AddGroupMember`s, or of `PutRole`s naming distinct roles,
/// at the start of `mutations` with a few multi-row statements; answers
/// how many it applied (0: leave it to [`mutate`]).
async fn bulk<C: Conn>(
    c: &mut C,
    mutations: &[Mutation],
    rev: u64,
    now: OffsetDateTime,
    role_ids: &mut RoleIds,
) -> Result<usize, StoreError> {
    let users: Vec<&User> = leading(mutations, |m| match m {
        Mutation::CreateUser(user) => Some(user),
        _ => None,
    });
    if users.len() > 1 {
        users::create_many(c, &users, rev, now).await.map_err(|e| {
            in_context(e, || {
                describe_run("create users", &users, |u| u.username.as_str().to_owned())
            })
        })?;
        return Ok(users.len());
    }
    let joins: Vec<(&GroupName, &Username)> = leading(mutations, |m| match m {
        Mutation::AddGroupMember(group, user) => Some((group, user)),
        _ => None,
    });
    if joins.len() > 1 {
        groups::add_members(c, &joins, rev, now).await.map_err(|e| {
            in_context(e, || {
                describe_run("add group members", &joins, |(g, u)| format!("{g}/{u}"))
            })
        })?;
        return Ok(joins.len());
    }
    let mut seen = HashSet::new();
    let puts: Vec<&Role> = leading(mutations, |m| match m {
        Mutation::PutRole(role) if seen.insert((role.project.as_ref(), &role.name)) => Some(role),
        _ => None,
    });
    if puts.len() > 1 {
        roles::put_many(c, &puts, rev).await.map_err(|e| {
            in_context(e, || {
                describe_run("put roles", &puts, |r| roles::display(r.project.as_ref(), &r.name))
            })
        })?;
        return Ok(puts.len());
    }
    let mut seen = HashSet::new();
    let members: Vec<&Member> = leading(mutations, |m| match m {
        Mutation::SetMember(member) if seen.insert((&member.project, &member.principal)) => Some(member),
        _ => None,
    });
    if members.len() > 1 {
        members::set_many(c, &members, role_ids).await.map_err(|e| {
            in_context(e, || {
                describe_run("set members", &members, |m| {
                    format!("{}/{}", m.project, m.principal.name())
                })
            })
        })?;
        return Ok(members.len());
    }
    Ok(0)
}

/// What `pick` takes of the first [`BULK`] mutations, up to the first it
/// does not.
fn leading<'m, T>(mutations: &'m [Mutation], pick: impl FnMut(&'m Mutation) -> Option<T>) -> Vec<T> {
    mutations.iter().take(BULK).map_while(pick).collect()
}

/// "create users `a` … `z` (40)", for conflicts in a bulk statement: the
/// run's first and last items named by `name`, and how many there are.
fn describe_run<T>(what: &str, run: &[T], name: impl Fn(&T) -> String) -> String {
    match run {
        [first, .., last] => format!("{what} `{}` … `{}` ({})", name(first), name(last), run.len()),
        [one] => format!("{what} `{}`", name(one)),
        [] => what.to_owned(),
    }
}

/// Applies one mutation as of `rev`; `now` is the commit's time, which
/// every user and group row it writes keeps as its `modified_at`.
async fn mutate<C: Conn>(
    c: &mut C,
    mutation: &Mutation,
    rev: u64,
    now: OffsetDateTime,
    role_ids: &mut RoleIds,
) -> Result<(), StoreError> {
    match mutation {
        Mutation::CreateUser(user) => users::create(c, user, rev, now).await,
        Mutation::UpdateUser(user) => users::update(c, user, rev, now).await,
        Mutation::DeleteUser(name) => users::delete(c, name, rev, now).await,
        Mutation::CreateGroup(group) => groups::create(c, group, rev, now).await,
        Mutation::UpdateGroup(group) => groups::update(c, group, rev, now).await,
        Mutation::DeleteGroup(name) => groups::delete(c, name).await,
        Mutation::AddGroupMember(group, user) => groups::add_member(c, group, user, rev, now).await,
        Mutation::RemoveGroupMember(group, user) => groups::remove_member(c, group, user, rev, now).await,
        Mutation::CreateProject(project) => projects::create(c, project, rev).await,
        Mutation::UpdateProject(project) => projects::update(c, project, rev).await,
        Mutation::DeleteProject(key) => {
            role_ids.clear();
            projects::delete(c, key).await
        }
        Mutation::CreateEnvironment(env) => environments::create(c, env, rev).await,
        Mutation::DeleteEnvironment(name) => environments::delete(c, name, rev).await,
        Mutation::PutRole(role) => roles::put(c, role, rev).await,
        Mutation::DeleteRole(project, name) => {
            role_ids.clear();
            roles::delete(c, project.as_ref(), name, rev).await
        }
        Mutation::SetMember(member) => members::set(c, member, role_ids).await,
        Mutation::RemoveMember(project, who) => members::remove(c, project, who).await,
        Mutation::CreateToken(token) => tokens::create(c, token).await,
        Mutation::RevokeToken(id) => tokens::revoke(c, id).await,
        Mutation::CreateInvitation(invitation) => invitations::create(c, invitation).await,
        Mutation::DeleteInvitation(sha256) => invitations::delete(c, sha256).await,
        Mutation::DeleteSecrets { username, purpose } => invitations::delete_of(c, username, *purpose).await,
        Mutation::EndSessions { username, except } => sessions::end_of(c, username.as_str(), except.as_deref()).await,
        Mutation::Enqueue(message) => outbox::enqueue(c, message, rev).await,
        Mutation::PutBilling(settings) => billing::put(c, settings).await,
        Mutation::PutResource(resource) => resources::create(c, resource).await,
        Mutation::DeleteResource { resource_type, name } => resources::delete(c, resource_type, name).await,
        Mutation::LinkOidc(link) => oidc::link(c, link).await,
    }
}

/// What a mutation does, for conflict messages. Never a secret.
fn describe(mutation: &Mutation) -> String {
    match mutation {
        Mutation::CreateUser(u) => format!("create user `{}`", u.username),
        Mutation::UpdateUser(u) => format!("update user `{}`", u.username),
        Mutation::DeleteUser(u) => format!("delete user `{u}`"),
        Mutation::CreateGroup(g) => format!("create group `{}`", g.name),
        Mutation::UpdateGroup(g) => format!("update group `{}`", g.name),
        Mutation::DeleteGroup(g) => format!("delete group `{g}`"),
        Mutation::AddGroupMember(g, u) => format!("add `{u}` to group `{g}`"),
        Mutation::RemoveGroupMember(g, u) => format!("remove `{u}` from group `{g}`"),
        Mutation::CreateProject(p) => format!("create project `{}`", p.key),
        Mutation::UpdateProject(p) => format!("update project `{}`", p.key),
        Mutation::DeleteProject(k) => format!("delete project `{k}`"),
        Mutation::CreateEnvironment(e) => format!("create environment `{}`", e.name),
        Mutation::DeleteEnvironment(e) => format!("delete environment `{e}`"),
        Mutation::PutRole(r) => format!("put role `{}`", r.name),
        Mutation::DeleteRole(_, r) => format!("delete role `{r}`"),
        Mutation::SetMember(m) => format!("set member `{}` of `{}`", m.principal.name(), m.project),
        Mutation::RemoveMember(p, who) => format!("remove member `{}` of `{p}`", who.name()),
        Mutation::CreateToken(t) => format!("create token `{}`", t.id),
        Mutation::RevokeToken(id) => format!("revoke token `{id}`"),
        Mutation::CreateInvitation(i) => format!("invite `{}`", i.username),
        Mutation::DeleteInvitation(_) => "delete invitation".to_owned(),
        Mutation::DeleteSecrets { username, .. } => format!("delete the links of `{username}`"),
        Mutation::EndSessions { username, .. } => format!("end the sessions of `{username}`"),
        Mutation::Enqueue(_) => "queue message".to_owned(),
        Mutation::PutBilling(_) => "put billing".to_owned(),
        Mutation::PutResource(r) => format!("register resource `{}/{}`", r.resource_type, r.name),
        Mutation::DeleteResource { resource_type, name } => format!("remove resource `{resource_type}/{name}`"),
        Mutation::LinkOidc(link) => format!("link an OIDC identity to `{}`", link.username),
    }
}
