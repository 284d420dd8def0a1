//! Groups (SPEC §5.2): create, list, read, describe, delete, and change
//! members. Managed by holders of `accounts.manage`.

use gatehouse_domain::commands::Acting;
use gatehouse_domain::commands::groups;
use gatehouse_domain::entities::{Group, User};
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, GroupName, Username};
use gatehouse_domain::store::Page;
use gatehouse_domain::{DomainError, FieldError, Store as _};

use super::users::{path_username, stored_user};
use super::{Done, OpResult, Ops, Paging, expect_revision, missing, not_found, refuse_invalid};
use crate::problem::ApiProblem;
use crate::state::App;

/// A new group.
#[derive(Clone, Debug, Default)]
pub struct CreateGroupInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Usernames of its first members.
    pub members: Vec<String>,
}

/// A change to a group's description.
#[derive(Clone, Debug, Default)]
pub struct PatchGroupInput {
    /// The group's name.
    pub name: String,
    /// New description.
    pub description: Option<String>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// Members added to and removed from a group.
#[derive(Clone, Debug, Default)]
pub struct GroupMembersInput {
    /// The group's name.
    pub name: String,
    /// Usernames to add.
    pub add: Vec<String>,
    /// Usernames to remove.
    pub remove: Vec<String>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// One user's groups: those it joins and those it leaves, in one commit.
#[derive(Clone, Debug, Default)]
pub struct UserGroupsInput {
    /// The user's username.
    pub username: String,
    /// Names of the groups it joins.
    pub add: Vec<String>,
    /// Names of the groups it leaves.
    pub remove: Vec<String>,
}

/// A group as an identity provider provisions it (SCIM, SPEC §13): its
/// name, the provider's id of it, and its whole list of users.
#[derive(Clone, Debug, Default)]
pub struct ProvisionGroupInput {
    /// The group's name.
    pub name: String,
    /// The provider's own id of the group.
    pub external_id: Option<String>,
    /// Usernames of every member.
    pub members: Vec<String>,
    /// The revision the caller read (`If-Match`; updates only).
    pub expected_revision: Option<u64>,
}

/// One way to find a single group.
#[derive(Clone, Debug)]
pub enum GroupKey {
    /// By name (exact).
    Name(String),
    /// By the identity provider's id (exact).
    ExternalId(String),
}

/// A provisioned member that is no user is a bad value of the request (a
/// 422 naming `members`), not a missing resource.
fn unknown_member(error: DomainError) -> ApiProblem {
    match error {
        DomainError::NotFound { kind: "user", name } => {
            FieldError::invalid("members", &format!("`{name}` is no user")).into()
        }
        other => other.into(),
    }
}

fn path_group(raw: &str) -> OpResult<GroupName> {
    GroupName::parse(raw).map_err(|_| not_found("group", raw))
}

async fn stored_group(app: &App, name: &GroupName) -> OpResult<Group> {
    app.store()
        .group(name)
        .await?
        .ok_or_else(|| not_found("group", name.as_str()))
}

/// Parses `field[i]` usernames, collecting every error.
pub(crate) fn usernames(field: &str, raw: &[String], errors: &mut Vec<FieldError>) -> Vec<Username> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, u)| {
            Username::parse(u)
                .map_err(|e| errors.push(e.at(&format!("{field}[{i}]"))))
                .ok()
        })
        .collect()
}

/// Parses `field[i]` group names, collecting every error.
pub(crate) fn group_names(field: &str, raw: &[String], errors: &mut Vec<FieldError>) -> Vec<GroupName> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, g)| {
            GroupName::parse(g)
                .map_err(|e| errors.push(e.at(&format!("{field}[{i}]"))))
                .ok()
        })
        .collect()
}

impl Ops<'_> {
    /// One page of groups, by name.
    ///
    /// # Errors
    /// 422 naming `limit`; 400 `invalid_cursor`.
    pub async fn list_groups(&self, paging: &Paging) -> OpResult<Page<Group>> {
        Ok(self.app.store().groups(&paging.request()?).await?)
    }

    /// One group.
    ///
    /// # Errors
    /// 404.
    pub async fn get_group(&self, name: &str) -> OpResult<Group> {
        stored_group(self.app, &path_group(name)?).await
    }

    /// Creates a group.
    ///
    /// # Errors
    /// 422 for every invalid field; 403; 409.
    pub async fn create_group(&self, acting: &Acting, input: CreateGroupInput) -> OpResult<Done<Group>> {
        let mut errors = Vec::new();
        let name = GroupName::parse(&input.name)
            .map_err(|e| errors.push(e.at("name")))
            .ok();
        let description = Description::parse("description", &input.description, MAX_DESCRIPTION)
            .map_err(|e| errors.push(e))
            .ok();
        let members = usernames("members", &input.members, &mut errors);
        refuse_invalid(errors)?;
        let (Some(name), Some(description)) = (name, description) else {
            return Err(missing("create group"));
        };
        let writer = self.writer().await?;
        let commit = groups::create(&writer.ctx(acting, self.via), name.clone(), description, members).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_group(self.app, &name).await?))
    }

    /// Creates a group its identity provider provisions (SCIM), with its
    /// `external_id` and first members, as [`Ops::create_group`] does.
    ///
    /// # Errors
    /// 422 for every invalid name and every member that is no user; 403;
    /// 409 (the name or `external_id` taken).
    pub async fn provision_create_group(&self, acting: &Acting, input: ProvisionGroupInput) -> OpResult<Done<Group>> {
        let mut errors = Vec::new();
        let name = GroupName::parse(&input.name)
            .map_err(|e| errors.push(e.at("name")))
            .ok();
        let members = usernames("members", &input.members, &mut errors);
        refuse_invalid(errors)?;
        let Some(name) = name else {
            return Err(missing("provision group"));
        };
        let description = Description::parse("description", "", MAX_DESCRIPTION)?;
        let writer = self.writer().await?;
        let commit = groups::create_provisioned(
            &writer.ctx(acting, self.via),
            name.clone(),
            description,
            members,
            input.external_id,
        )
        .await
        .map_err(unknown_member)?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_group(self.app, &name).await?))
    }

    /// Replaces what an identity provider manages of a group — its
    /// `external_id` and whole list of users — in one commit; each user
    /// added or removed is checked as [`Ops::change_group_members`] checks
    /// it. A request that changes nothing writes nothing (its `revision` is
    /// then the group's).
    ///
    /// # Errors
    /// 422 for every invalid member and every member that is no user; 403;
    /// 404; 409 (`external_id` taken); 412.
    pub async fn provision_update_group(&self, acting: &Acting, input: ProvisionGroupInput) -> OpResult<Done<Group>> {
        let name = path_group(&input.name)?;
        let mut errors = Vec::new();
        let members = usernames("members", &input.members, &mut errors);
        refuse_invalid(errors)?;
        let writer = self.writer().await?;
        let commit = groups::provision_update(
            &writer.ctx(acting, self.via),
            &name,
            input.external_id,
            members,
            input.expected_revision,
        )
        .await
        .map_err(unknown_member)?;
        if commit.mutations.is_empty() {
            let current = stored_group(self.app, &name).await?;
            return Ok(Done::new(current.revision, current));
        }
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_group(self.app, &name).await?))
    }

    /// The one group `key` names, if any, through an index (the name's
    /// primary key, the `external_id`'s unique index).
    ///
    /// # Errors
    /// A store failure.
    pub async fn find_group(&self, key: &GroupKey) -> OpResult<Option<Group>> {
        let store = self.app.store();
        Ok(match key {
            GroupKey::Name(raw) => match GroupName::parse(raw) {
                Ok(name) => store.group(&name).await?,
                Err(_) => None,
            },
            GroupKey::ExternalId(id) => store.group_by_external_id(id).await?,
        })
    }

    /// Changes a group's description.
    ///
    /// # Errors
    /// 422; 403; 404; 412.
    pub async fn patch_group(&self, acting: &Acting, input: PatchGroupInput) -> OpResult<Done<Group>> {
        let name = path_group(&input.name)?;
        let writer = self.writer().await?;
        let current = stored_group(self.app, &name).await?;
        let description = match input.description {
            Some(raw) => Description::parse("description", &raw, MAX_DESCRIPTION)?,
            None => current.description,
        };
        let commit = groups::update(
            &writer.ctx(acting, self.via),
            &name,
            description,
            input.expected_revision,
        )
        .await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_group(self.app, &name).await?))
    }

    /// Deletes a group with its project memberships.
    ///
    /// # Errors
    /// 403; 404; 412.
    pub async fn delete_group(
        &self,
        acting: &Acting,
        name: &str,
        expected_revision: Option<u64>,
    ) -> OpResult<Done<()>> {
        let name = path_group(name)?;
        let writer = self.writer().await?;
        let commit = groups::delete(&writer.ctx(acting, self.via), &name, expected_revision).await?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }

    /// Adds and removes members. Adding a user to a group that holds roles
    /// grants them, so the actor must be allowed to assign those roles
    /// (SPEC §2.5). Allowed for users managed upstream: their groups are
    /// Gatehouse's.
    ///
    /// # Errors
    /// 422 for every invalid username; 403; 404; 412.
    pub async fn change_group_members(&self, acting: &Acting, input: GroupMembersInput) -> OpResult<Done<Group>> {
        let name = path_group(&input.name)?;
        let mut errors = Vec::new();
        let add = usernames("add", &input.add, &mut errors);
        let remove = usernames("remove", &input.remove, &mut errors);
        refuse_invalid(errors)?;
        let writer = self.writer().await?;
        let commit = groups::change_members(&writer.ctx(acting, self.via), &name, add, remove).await?;
        let current = stored_group(self.app, &name).await?;
        expect_revision(input.expected_revision, current.revision)?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_group(self.app, &name).await?))
    }

    /// Adds one user to groups and removes it from others in one commit
    /// with one audit record; each group is checked as
    /// [`Ops::change_group_members`] checks it. Answers the user.
    ///
    /// # Errors
    /// 422 for every invalid or unknown group name, and every group to
    /// leave the user is not in; 403 (`forbidden`, `escalation`); 404 (the
    /// user).
    pub async fn change_user_groups(&self, acting: &Acting, input: UserGroupsInput) -> OpResult<Done<User>> {
        let username = path_username(&input.username)?;
        let mut errors = Vec::new();
        let add = group_names("add", &input.add, &mut errors);
        let remove = group_names("remove", &input.remove, &mut errors);
        refuse_invalid(errors)?;
        let writer = self.writer().await?;
        let commit = groups::change_user_groups(&writer.ctx(acting, self.via), &username, add, remove).await?;
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, stored_user(self.app, &username).await?))
    }
}
