//! The SQL of groups (SPEC §5.2): create, describe, delete (memberships go
//! by cascade), add and remove users, lookups and the listing. A group's
//! revision moves whenever its description or its users change.

use std::collections::BTreeSet;

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Group;
use gatehouse_domain::names::{GroupName, Username};
use gatehouse_domain::store::{Page, PageRequest};
use time::OffsetDateTime;

use crate::codec::{self, int, nanos, opt_time, uint};
use crate::conn::{Conn, Row as _, args, assembled, touch_each, tuples};
use crate::cursor;
use crate::error::missing;

/// Inserts an empty group as of `revision`, created at `now`. Users join
/// by `AddGroupMember`, so that the change log says so.
pub(crate) async fn create<C: Conn>(
    c: &mut C,
    group: &Group,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if !group.members.is_empty() {
        return Err(StoreError::Conflict(format!(
            "group `{}` must be created empty; add its users one by one",
            group.name
        )));
    }
    c.execute(
        "INSERT INTO user_groups (name, description, revision, external_id, created_at, modified_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
        args![
            group.name.as_str(),
            group.description.as_str(),
            int(revision)?,
            group.external_id.clone(),
            nanos(now)?
        ],
    )
    .await?;
    Ok(())
}

/// Changes a group's description and `external_id`, at `now`.
pub(crate) async fn update<C: Conn>(
    c: &mut C,
    group: &Group,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let changed = c
        .execute(
            "UPDATE user_groups SET description = $2, revision = $3, external_id = $4, modified_at = $5 WHERE name = $1",
            args![
                group.name.as_str(),
                group.description.as_str(),
                int(revision)?,
                group.external_id.clone(),
                nanos(now)?
            ],
        )
        .await?;
    if changed == 0 {
        Err(missing("group", group.name.as_str()))
    } else {
        Ok(())
    }
}

/// Deletes a group with its user list and project memberships (cascade).
pub(crate) async fn delete<C: Conn>(c: &mut C, name: &GroupName) -> Result<(), StoreError> {
    let deleted = c
        .execute("DELETE FROM user_groups WHERE name = $1", args![name.as_str()])
        .await?;
    if deleted == 0 {
        Err(missing("group", name.as_str()))
    } else {
        Ok(())
    }
}

async fn touch<C: Conn>(c: &mut C, name: &GroupName, revision: u64, now: OffsetDateTime) -> Result<(), StoreError> {
    let changed = c
        .execute(
            "UPDATE user_groups SET revision = $2, modified_at = $3 WHERE name = $1",
            args![name.as_str(), int(revision)?, nanos(now)?],
        )
        .await?;
    if changed == 0 {
        Err(missing("group", name.as_str()))
    } else {
        Ok(())
    }
}

/// Adds a user to a group (a conflict if it is in already).
pub(crate) async fn add_member<C: Conn>(
    c: &mut C,
    group: &GroupName,
    user: &Username,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    touch(c, group, revision, now).await?;
    c.execute(
        "INSERT INTO group_members (group_name, username) VALUES ($1, $2)",
        args![group.as_str(), user.as_str()],
    )
    .await?;
    Ok(())
}

/// Adds each (group, user) pair of `batch` as [`add_member`] does, in two
/// multi-row statements and one touch of the distinct groups (a conflict
/// naming the first missing group, or if a user is in a group already).
pub(crate) async fn add_members<C: Conn>(
    c: &mut C,
    batch: &[(&GroupName, &Username)],
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let groups: BTreeSet<&str> = batch.iter().map(|(g, _)| g.as_str()).collect();
    let set = vec![("revision", int(revision)?.into()), ("modified_at", nanos(now)?.into())];
    touch_each(c, ("user_groups", "name"), set, &groups, "group").await?;
    let mut pairs = Vec::with_capacity(batch.len() * 2);
    for (group, user) in batch {
        pairs.extend(args![group.as_str(), user.as_str()]);
    }
    let sql = format!(
        "INSERT INTO group_members (group_name, username) VALUES {}",
        tuples::<C>(batch.len(), 2)
    );
    c.execute_sql(assembled(sql), pairs).await?;
    Ok(())
}

/// Removes a user from a group (a conflict if it is not in it).
pub(crate) async fn remove_member<C: Conn>(
    c: &mut C,
    group: &GroupName,
    user: &Username,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    touch(c, group, revision, now).await?;
    let deleted = c
        .execute(
            "DELETE FROM group_members WHERE group_name = $1 AND username = $2",
            args![group.as_str(), user.as_str()],
        )
        .await?;
    if deleted == 0 {
        Err(missing("group member", &format!("{group}/{user}")))
    } else {
        Ok(())
    }
}

/// A group with its users by the identity provider's id (exact; the unique
/// index).
pub(crate) async fn by_external_id<C: Conn>(c: &mut C, external_id: &str) -> Result<Option<Group>, StoreError> {
    let Some(row) = c
        .fetch_optional(
            "SELECT name FROM user_groups WHERE external_id = $1",
            args![external_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let name = codec::group_name(&row.text("name")?)?;
    get(c, &name).await
}

/// A group with its users, sorted.
pub(crate) async fn get<C: Conn>(c: &mut C, name: &GroupName) -> Result<Option<Group>, StoreError> {
    let Some(row) = c
        .fetch_optional(
            "SELECT name, description, revision, external_id, created_at, modified_at FROM user_groups WHERE name = $1",
            args![name.as_str()],
        )
        .await?
    else {
        return Ok(None);
    };
    let members = c
        .fetch_all(
            "SELECT username FROM group_members WHERE group_name = $1 ORDER BY username",
            args![name.as_str()],
        )
        .await?
        .iter()
        .map(|m| codec::username(&m.text("username")?))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Group {
        name: codec::group_name(&row.text("name")?)?,
        description: codec::description(&row.text("description")?)?,
        members,
        external_id: row.opt_text("external_id")?,
        revision: uint(row.int("revision")?)?,
        created_at: opt_time(row.opt_int("created_at")?)?,
        modified_at: opt_time(row.opt_int("modified_at")?)?,
    }))
}

/// Groups by name, each with its users.
pub(crate) async fn list<C: Conn>(c: &mut C, page: &PageRequest) -> Result<Page<Group>, StoreError> {
    let after: String = cursor::after("groups", page)?.unwrap_or_default();
    let rows = c
        .fetch_all(
            "SELECT name, description, revision, external_id, created_at, modified_at FROM user_groups \
             WHERE name > $1 ORDER BY name LIMIT $2",
            args![after, cursor::fetch_limit(page)],
        )
        .await?;
    let mut groups = rows
        .iter()
        .map(|row| {
            Ok(Group {
                name: codec::group_name(&row.text("name")?)?,
                description: codec::description(&row.text("description")?)?,
                members: Vec::new(),
                external_id: row.opt_text("external_id")?,
                revision: uint(row.int("revision")?)?,
                created_at: opt_time(row.opt_int("created_at")?)?,
                modified_at: opt_time(row.opt_int("modified_at")?)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if let (Some(first), Some(last)) = (groups.first(), groups.last()) {
        // The page is a contiguous range of names: one query fetches the
        // users of all its groups.
        let members = c
            .fetch_all(
                "SELECT group_name, username FROM group_members WHERE group_name >= $1 AND group_name <= $2 \
                 ORDER BY group_name, username",
                args![first.name.as_str(), last.name.as_str()],
            )
            .await?;
        let mut at = 0;
        for m in &members {
            let group = m.text("group_name")?;
            while groups.get(at).is_some_and(|g| g.name.as_str() < group.as_str()) {
                at += 1;
            }
            if let Some(g) = groups.get_mut(at).filter(|g| g.name.as_str() == group) {
                g.members.push(codec::username(&m.text("username")?)?);
            }
        }
    }
    cursor::finish("groups", page, groups, |g| g.name.as_str().to_owned())
}
