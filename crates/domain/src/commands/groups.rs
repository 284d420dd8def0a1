//! Groups: create, describe, delete, add and remove users (SPEC §5.2).
//! Adding a user to a group hands it the group's roles, so it is a grant:
//! the actor must be allowed to assign those roles in every project the
//! group belongs to (SPEC §2.5). Changing a user's groups at all (adding
//! or removing it) acts on its standing: the actor must dominate the user.

use std::collections::BTreeMap;

use gatehouse_authz::{AccountPermission, Member as Target};
use serde_json::{Value, json};

use super::{Ctx, check_if_match, read};
use crate::commit::{Commit, Mutation};
use crate::entities::Group;
use crate::error::{DomainError, FieldError};
use crate::names::{Description, GroupName, Username};
use crate::store::Store;

/// A group as audit records show it.
#[must_use]
pub fn group_view(g: &Group) -> Value {
    json!({"name": g.name, "description": g.description, "members": g.members, "external_id": g.external_id})
}

async fn existing<S: Store>(ctx: &Ctx<'_, S>, name: &GroupName) -> Result<Group, DomainError> {
    read(ctx.store.group(name).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "group",
        name: name.to_string(),
    })
}

/// Checks that the actor may give `user` what `group` holds in projects.
fn may_join<S: Store>(ctx: &Ctx<'_, S>, group: &GroupName, user: &Username) -> Result<(), DomainError> {
    let uid = ctx
        .snapshot
        .user_id(user.as_str())
        .ok_or_else(|| DomainError::NotFound {
            kind: "user",
            name: user.to_string(),
        })?;
    may_give(ctx, group, Some(Target::User(uid)))
}

/// Checks that the actor may give `target` (`None`: a user created in the
/// same commit) the roles `group` holds in every project it belongs to.
fn may_give<S: Store>(ctx: &Ctx<'_, S>, group: &GroupName, target: Option<Target>) -> Result<(), DomainError> {
    let Some(gid) = ctx.snapshot.group_id(group.as_str()) else {
        return Ok(());
    };
    let actor = ctx.actor()?;
    for (_, project) in ctx.snapshot.projects() {
        let held = ctx
            .snapshot
            .group_members_of(project)
            .find(|(g, _)| *g == gid)
            .map(|(_, roles)| roles.to_vec());
        if let Some(roles) = held {
            ctx.snapshot.may_assign_roles(&actor, project, target, &roles)?;
        }
    }
    Ok(())
}

/// The mutations that put `user`, created in the same commit, in `groups`:
/// each must exist (a validation error naming `groups[i]` otherwise), and
/// joining it is a grant of its roles, checked as for any user.
///
/// # Errors
/// Validation; escalation.
pub(crate) fn new_user_joins<S: Store>(
    ctx: &Ctx<'_, S>,
    user: &Username,
    groups: Vec<GroupName>,
) -> Result<Vec<Mutation>, DomainError> {
    let unknown: Vec<FieldError> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| ctx.snapshot.group_id(g.as_str()).is_none())
        .map(|(i, g)| FieldError::unknown(&format!("groups[{i}]"), g.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::Validation(unknown));
    }
    let mut groups = groups;
    groups.sort();
    groups.dedup();
    for group in &groups {
        may_give(ctx, group, None)?;
    }
    Ok(groups
        .into_iter()
        .map(|g| Mutation::AddGroupMember(g, user.clone()))
        .collect())
}

/// Creates a group with its first members.
///
/// # Errors
/// Forbidden without `accounts.manage`; a taken name; unknown users;
/// escalation for a user the actor does not dominate.
pub async fn create<S: Store>(
    ctx: &Ctx<'_, S>,
    name: GroupName,
    description: Description,
    members: Vec<Username>,
) -> Result<Commit, DomainError> {
    create_provisioned(ctx, name, description, members, None).await
}

/// Creates a group as [`create`] does, with the identity provider's
/// `external_id` (SCIM).
///
/// # Errors
/// As [`create`]; an `external_id` another group has.
pub async fn create_provisioned<S: Store>(
    ctx: &Ctx<'_, S>,
    name: GroupName,
    description: Description,
    members: Vec<Username>,
    external_id: Option<String>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    check_external_id(ctx, &name, external_id.as_ref()).await?;
    if read(ctx.store.group(&name).await)?.is_some() {
        return Err(DomainError::AlreadyExists {
            kind: "group",
            name: name.to_string(),
        });
    }
    let mut members = members;
    members.sort();
    members.dedup();
    for user in &members {
        if ctx.snapshot.user_id(user.as_str()).is_none() {
            return Err(DomainError::NotFound {
                kind: "user",
                name: user.to_string(),
            });
        }
        ctx.require_dominance(user)?;
    }
    let group = Group {
        name: name.clone(),
        description,
        members: members.clone(),
        external_id,
        revision: 0,
        created_at: Some(ctx.now),
        modified_at: Some(ctx.now),
    };
    let mut audit = ctx.audit("group.created", "group", name.as_str());
    audit.after = Some(group_view(&group));
    let mut mutations = vec![Mutation::CreateGroup(Group {
        members: Vec::new(),
        ..group
    })];
    mutations.extend(members.into_iter().map(|u| Mutation::AddGroupMember(name.clone(), u)));
    Ok(ctx.commit(mutations, audit))
}

/// Refuses an `external_id` another group than `name` has.
async fn check_external_id<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    external_id: Option<&String>,
) -> Result<(), DomainError> {
    if let Some(x) = external_id
        && read(ctx.store.group_by_external_id(x).await)?.is_some_and(|g| g.name != *name)
    {
        return Err(DomainError::AlreadyExists {
            kind: "externalId",
            name: x.clone(),
        });
    }
    Ok(())
}

/// Replaces what an identity provider manages of a group (SCIM `PUT` and
/// `PATCH`): its `external_id` and its whole list of users, in one commit
/// with one audit record. Each user added or removed is checked as
/// [`change_members`] checks it (SPEC §2.5).
///
/// # Errors
/// Forbidden; not found (the group, or a user to add); `precondition_failed`;
/// an `external_id` another group has; escalation.
pub async fn provision_update<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    external_id: Option<String>,
    members: Vec<Username>,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let before = existing(ctx, name).await?;
    check_if_match(if_match, before.revision)?;
    check_external_id(ctx, name, external_id.as_ref()).await?;
    let add: Vec<Username> = members
        .iter()
        .filter(|u| !before.members.contains(u))
        .cloned()
        .collect();
    let remove: Vec<Username> = before
        .members
        .iter()
        .filter(|u| !members.contains(u))
        .cloned()
        .collect();
    let (mut moves, after_members) = member_changes(ctx, name, &before.members, add, remove)?;
    let after = Group {
        external_id,
        members: after_members,
        ..before.clone()
    };
    let mut mutations = Vec::new();
    if after.external_id != before.external_id {
        mutations.push(Mutation::UpdateGroup(Group {
            members: Vec::new(),
            ..after.clone()
        }));
    }
    mutations.append(&mut moves);
    let mut audit = ctx.audit("group.updated", "group", name.as_str());
    audit.before = Some(group_view(&before));
    audit.after = Some(group_view(&after));
    Ok(ctx.commit(mutations, audit))
}

/// Changes a group's description.
///
/// # Errors
/// Forbidden; not found; `precondition_failed`.
pub async fn update<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    description: Description,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let before = existing(ctx, name).await?;
    check_if_match(if_match, before.revision)?;
    let after = Group {
        description,
        ..before.clone()
    };
    let mut audit = ctx.audit("group.updated", "group", name.as_str());
    audit.before = Some(group_view(&before));
    audit.after = Some(group_view(&after));
    Ok(ctx.commit(vec![Mutation::UpdateGroup(after)], audit))
}

/// Deletes a group and its project memberships.
///
/// # Errors
/// Forbidden; not found; `precondition_failed`.
pub async fn delete<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let before = existing(ctx, name).await?;
    check_if_match(if_match, before.revision)?;
    let mut audit = ctx.audit("group.deleted", "group", name.as_str());
    audit.before = Some(group_view(&before));
    Ok(ctx.commit(vec![Mutation::DeleteGroup(name.clone())], audit))
}

/// Adds and removes users in one commit.
///
/// # Errors
/// Forbidden; not found; escalation through the group's roles, or for a
/// user the actor does not dominate.
pub async fn change_members<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    add: Vec<Username>,
    remove: Vec<Username>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let before = existing(ctx, name).await?;
    // Removing someone who is not a member is a mistake worth naming (a
    // misspelt name would otherwise leave the right person in the group).
    let strangers: Vec<FieldError> = remove
        .iter()
        .enumerate()
        .filter(|(_, user)| !before.members.contains(user) && !add.contains(user))
        .map(|(i, user)| {
            FieldError::invalid(
                &format!("remove[{i}]"),
                &format!("`{user}` is not a member of the group"),
            )
        })
        .collect();
    let (mutations, after) = member_changes(ctx, name, &before.members, add, remove)?;
    if !strangers.is_empty() {
        return Err(DomainError::Validation(strangers));
    }
    let mut audit = ctx.audit("group.members_changed", "group", name.as_str());
    audit.before = Some(json!({"members": before.members}));
    audit.after = Some(json!({"members": after}));
    Ok(ctx.commit(mutations, audit))
}

/// Adds one user to the groups `add` and removes it from the groups
/// `remove`, in one commit with one audit record (`user.groups_changed`,
/// the user's groups before and after). Each group is changed as
/// [`change_members`] changes it.
///
/// # Errors
/// Forbidden; not found (the user); a validation error naming `add[i]` or
/// `remove[i]` for a group that does not exist or, to remove, that the user
/// is not in; escalation through a group's roles, or for a user the actor
/// does not dominate.
pub async fn change_user_groups<S: Store>(
    ctx: &Ctx<'_, S>,
    user: &Username,
    add: Vec<GroupName>,
    remove: Vec<GroupName>,
) -> Result<Commit, DomainError> {
    ctx.require(AccountPermission::AccountsManage)?;
    let uid = ctx
        .snapshot
        .user_id(user.as_str())
        .ok_or_else(|| DomainError::NotFound {
            kind: "user",
            name: user.to_string(),
        })?;
    let before: Vec<String> = sorted_names(
        ctx.snapshot
            .user_groups(uid)
            .iter()
            .filter_map(|g| ctx.snapshot.group_name(*g).map(str::to_owned)),
    );
    // Each group once: (add the user, remove it).
    let mut changes: BTreeMap<GroupName, (bool, bool)> = BTreeMap::new();
    let mut errors = Vec::new();
    for (field, names, adding) in [("add", &add, true), ("remove", &remove, false)] {
        for (i, name) in names.iter().enumerate() {
            if ctx.snapshot.group_id(name.as_str()).is_none() {
                errors.push(FieldError::unknown(&format!("{field}[{i}]"), name.as_str()));
            } else if !adding && !before.iter().any(|g| g == name.as_str()) && !add.contains(name) {
                errors.push(FieldError::invalid(
                    &format!("{field}[{i}]"),
                    &format!("`{user}` is not a member of `{name}`"),
                ));
            }
            let entry = changes.entry(name.clone()).or_default();
            if adding {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let mut mutations = Vec::new();
    let mut after = before.clone();
    for (name, (adding, removing)) in changes {
        let group = existing(ctx, &name).await?;
        let one = |yes: bool| if yes { vec![user.clone()] } else { Vec::new() };
        let (mut moves, members) = member_changes(ctx, &name, &group.members, one(adding), one(removing))?;
        mutations.append(&mut moves);
        after.retain(|g| g != name.as_str());
        if members.contains(user) {
            after.push(name.to_string());
        }
    }
    let after = sorted_names(after);
    let mut audit = ctx.audit("user.groups_changed", "user", user.as_str());
    audit.before = Some(json!({"groups": before}));
    audit.after = Some(json!({"groups": after}));
    Ok(ctx.commit(mutations, audit))
}

fn sorted_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names
}

/// The mutations that add `add` to and remove `remove` from the group
/// `name` holding `members`, and the users it holds after them (sorted):
/// adding is a grant of the group's roles (`may_join`), and both act on the
/// user's standing (dominance). A user added who does not exist is
/// `NotFound`.
fn member_changes<S: Store>(
    ctx: &Ctx<'_, S>,
    name: &GroupName,
    members: &[Username],
    add: Vec<Username>,
    remove: Vec<Username>,
) -> Result<(Vec<Mutation>, Vec<Username>), DomainError> {
    let mut mutations = Vec::new();
    let mut after = members.to_vec();
    for user in add {
        may_join(ctx, name, &user)?;
        ctx.require_dominance(&user)?;
        if !after.contains(&user) {
            after.push(user.clone());
            mutations.push(Mutation::AddGroupMember(name.clone(), user));
        }
    }
    for user in remove {
        ctx.require_dominance(&user)?;
        if let Some(at) = after.iter().position(|u| *u == user) {
            after.remove(at);
            mutations.push(Mutation::RemoveGroupMember(name.clone(), user));
        }
    }
    after.sort();
    Ok((mutations, after))
}
