//! Project members (SPEC §5.5): users or groups with at least one role;
//! set replaces the roles, remove removes the member; the listing is
//! filtered by kind and name and paged. Granting follows SPEC §2.5: no one
//! hands out what they do not hold.

use gatehouse_domain::Store as _;
use gatehouse_domain::commands::{Acting, members};
use gatehouse_domain::entities::{Member, Principal};
use gatehouse_domain::names::{GroupName, ProjectKey, RoleName, Username};
use gatehouse_domain::store::{MemberFilter, Page};

use super::visibility::visible_project;
use super::{Done, OpResult, Ops, Paging, expect_revision, named_refusal, not_found, refuse_invalid};

/// A user or a group, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberRef {
    /// A user.
    User(String),
    /// A group.
    Group(String),
}

/// `kind`, `q` and paging.
#[derive(Clone, Debug, Default)]
pub struct ListMembersInput {
    /// The project's key.
    pub project: String,
    /// Only users (`user`) or groups (`group`).
    pub kind: Option<String>,
    /// Part of the member's name, any case.
    pub q: Option<String>,
    /// Limit and cursor.
    pub paging: Paging,
}

/// A member's roles, replaced.
#[derive(Clone, Debug)]
pub struct SetMemberInput {
    /// The project's key.
    pub project: String,
    /// The member.
    pub member: MemberRef,
    /// Role names.
    pub roles: Vec<String>,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A member removed.
#[derive(Clone, Debug)]
pub struct RemoveMemberInput {
    /// The project's key.
    pub project: String,
    /// The member.
    pub member: MemberRef,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

fn principal(member: &MemberRef) -> OpResult<Principal> {
    match member {
        MemberRef::User(raw) => Username::parse(raw)
            .map(Principal::User)
            .map_err(|_| not_found("user", raw)),
        MemberRef::Group(raw) => GroupName::parse(raw)
            .map(Principal::Group)
            .map_err(|_| not_found("group", raw)),
    }
}

fn role_names(raw: &[String]) -> OpResult<Vec<RoleName>> {
    let mut errors = Vec::new();
    let roles = raw
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            RoleName::parse(r)
                .map_err(|e| errors.push(e.at(&format!("roles[{i}]"))))
                .ok()
        })
        .collect();
    refuse_invalid(errors)?;
    Ok(roles)
}

impl Ops<'_> {
    fn visible(&self, acting: &Acting, key: &str) -> OpResult<ProjectKey> {
        Ok(visible_project(self.app, &self.app.snapshot(), acting, key)?.0)
    }

    /// A project's members: users then groups, by name.
    ///
    /// # Errors
    /// 404 for a project the caller may not see; 422 naming `limit`; 400
    /// `invalid_cursor`.
    pub async fn list_members(&self, acting: &Acting, input: ListMembersInput) -> OpResult<Page<Member>> {
        let key = self.visible(acting, &input.project)?;
        let page = input.paging.request()?;
        let filter = MemberFilter {
            kind: input.kind,
            q: input.q.filter(|q| !q.is_empty()),
        };
        Ok(self.app.store().members(&key, &filter, &page).await?)
    }

    /// The first `limit` projects, by key, where `username` is a member
    /// (itself or through a group), less those the caller may not see.
    ///
    /// # Errors
    /// `internal` when the store fails; an unknown user has none.
    pub async fn member_projects(&self, acting: &Acting, username: &Username, limit: u32) -> OpResult<Vec<ProjectKey>> {
        let keys = self.app.store().member_projects(username, limit).await?;
        let snapshot = self.app.snapshot();
        Ok(keys
            .into_iter()
            .filter(|key| visible_project(self.app, &snapshot, acting, key.as_str()).is_ok())
            .collect())
    }

    /// Makes a user or group a member with exactly `roles` (also a user
    /// managed upstream: its memberships are Gatehouse's).
    ///
    /// # Errors
    /// 422; 403 (`forbidden`, `escalation`); 404; 412.
    pub async fn set_member(&self, acting: &Acting, input: SetMemberInput) -> OpResult<Done<Member>> {
        let key = self.visible(acting, &input.project)?;
        let principal = principal(&input.member)?;
        let roles = role_names(&input.roles)?;
        let writer = self.writer().await?;
        let commit = members::set(&writer.ctx(acting, self.via), key.clone(), principal.clone(), roles)
            .await
            .map_err(|e| named_refusal(writer.snapshot(), e))?;
        expect_revision(input.expected_revision, writer.snapshot().revision())?;
        let revision = writer.commit(&commit).await?;
        let member =
            self.app.store().member(&key, &principal).await?.ok_or_else(|| {
                crate::problem::ApiProblem::internal("a committed member is missing", &principal.name())
            })?;
        Ok(Done::new(revision, member))
    }

    /// Removes a member.
    ///
    /// # Errors
    /// 403; 404; 412.
    pub async fn remove_member(&self, acting: &Acting, input: RemoveMemberInput) -> OpResult<Done<()>> {
        let key = self.visible(acting, &input.project)?;
        let principal = principal(&input.member)?;
        let writer = self.writer().await?;
        let commit = members::remove(&writer.ctx(acting, self.via), key, principal).await?;
        expect_revision(input.expected_revision, writer.snapshot().revision())?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }
}
