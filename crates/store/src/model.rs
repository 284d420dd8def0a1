//! The whole permission model by name, read in one transaction with the
//! revision it reflects, for `Snapshot::compile`. Roles and members become
//! specs through the domain's converters, the ones the change log uses;
//! users are read straight into their spec (the same five fields). The
//! largest tables come as JSON arrays the database builds (users a page a
//! row, group members a group a row, members a project a row): millions
//! of rows handed one by one from SQLite's worker thread to the reader
//! cost most of a start at a million users. The members, half of what is
//! read, can be read in a transaction of their own beside the rest
//! (`load_members`, `load_but_members`): the store joins the two when
//! they saw the same revision.

use gatehouse_authz::{AccountPermissions, EnvironmentSpec, GroupSpec, MemberSpec, Model, ProjectSpec, UserSpec};
use gatehouse_domain::StoreError;
use gatehouse_domain::commit::role_spec;

use crate::codec::{self, from_json};
use crate::conn::{Conn, Row as _, args};
use crate::{members, resources, revision, roles};

/// Users per page of [`users`] (the store's test at the reference scale,
/// 10,000 users, reads three pages).
const USER_PAGE: i64 = 4_000;

/// Reads the model; run inside a read transaction so that every query sees
/// the same state.
pub(crate) async fn load<C: Conn>(c: &mut C) -> Result<(Model, u64), StoreError> {
    let (mut model, revision) = load_but_members(c).await?;
    model.members = members::specs(c).await?;
    Ok((model, revision))
}

/// The members of [`load`] and the revision they reflect; run inside a
/// read transaction, beside [`load_but_members`] in another.
pub(crate) async fn load_members<C: Conn>(c: &mut C) -> Result<(Vec<MemberSpec>, u64), StoreError> {
    let revision = revision::current(c).await?;
    Ok((members::specs(c).await?, revision))
}

/// [`load`] but the members, which are left empty.
pub(crate) async fn load_but_members<C: Conn>(c: &mut C) -> Result<(Model, u64), StoreError> {
    let revision = revision::current(c).await?;

    let users = users(c).await?;

    let mut groups: Vec<GroupSpec> = c
        .fetch_all("SELECT name FROM user_groups ORDER BY name", args![])
        .await?
        .iter()
        .map(|row| {
            Ok(GroupSpec {
                name: row.text("name")?,
                members: Vec::new(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // One row per group, its members as a JSON array (a row per
    // membership, millions at scale, costs a start far more).
    let sql = if C::POSTGRES {
        "SELECT group_name, json_agg(username)::text AS members FROM group_members \
         GROUP BY group_name ORDER BY group_name"
    } else {
        "SELECT group_name, json_group_array(username) AS members FROM group_members \
         GROUP BY group_name ORDER BY group_name"
    };
    let mut at = 0;
    c.for_each_row(sql, args![], |row| {
        let group = row.text("group_name")?;
        while groups.get(at).is_some_and(|g| g.name < group) {
            at += 1;
        }
        if let Some(g) = groups.get_mut(at).filter(|g| g.name == group) {
            g.members = from_json("group members", &row.text("members")?)?;
            // Neither aggregate promises an order.
            g.members.sort_unstable();
            g.members.shrink_to_fit();
        }
        Ok(())
    })
    .await?;

    let projects = c
        .fetch_all(
            "SELECT key, manage_members, manage_resources, index_resources FROM projects ORDER BY key",
            args![],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(ProjectSpec {
                key: row.text("key")?,
                admin_privileges: gatehouse_authz::AdminPrivileges {
                    manage_members: row.boolean("manage_members")?,
                    manage_resources: row.boolean("manage_resources")?,
                    index_resources: row.boolean("index_resources")?,
                },
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let environments = c
        .fetch_all("SELECT name, project FROM environments ORDER BY name", args![])
        .await?
        .iter()
        .map(|row| {
            Ok(EnvironmentSpec {
                name: row.text("name")?,
                project: row.opt_text("project")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let roles = roles::all(c).await?.iter().map(role_spec).collect();
    let resources = resources::specs(c).await?;

    Ok((
        Model {
            users,
            groups,
            projects,
            environments,
            roles,
            members: Vec::new(),
            resources,
        },
        revision,
    ))
}

/// Every user, by name: pages of [`USER_PAGE`] (keyset on the name), each
/// read as one row holding the page's users as a JSON array built by the
/// database (a row per user cost a million hand-overs from SQLite's
/// thread to the reader at scale 100).
async fn users<C: Conn>(c: &mut C) -> Result<Vec<UserSpec>, StoreError> {
    let sql = if C::POSTGRES {
        "SELECT json_agg(json_build_array(username, status, admin, kind, account_permissions::json))::text AS users \
         FROM (SELECT username, status, admin, kind, account_permissions FROM users \
               WHERE username > $1 ORDER BY username LIMIT $2) page"
    } else {
        "SELECT json_group_array(json_array(username, status, \
                  json(CASE WHEN admin THEN 'true' ELSE 'false' END), kind, json(account_permissions))) AS users \
         FROM (SELECT username, status, admin, kind, account_permissions FROM users \
               WHERE username > $1 ORDER BY username LIMIT $2) page"
    };
    let mut users: Vec<UserSpec> = Vec::new();
    loop {
        let after = users.last().map_or("", |u| u.name.as_str());
        let row = c.fetch_one(sql, args![after, USER_PAGE]).await?;
        // An empty page is `[]` on SQLite, null on PostgreSQL.
        let page: Vec<(String, String, bool, String, AccountPermissions)> = match row.opt_text("users")? {
            Some(json) => from_json("users", &json)?,
            None => Vec::new(),
        };
        if page.is_empty() {
            break;
        }
        let first = users.len();
        for (name, status, admin, kind, account_permissions) in page {
            users.push(UserSpec {
                name,
                status: codec::status(&status)?,
                admin,
                kind: codec::kind(&kind)?,
                account_permissions,
            });
        }
        // Neither aggregate promises an order: each page is sorted here,
        // and the next starts after its last name.
        users[first..].sort_unstable_by(|a, b| a.name.cmp(&b.name));
    }
    users.shrink_to_fit();
    Ok(users)
}
