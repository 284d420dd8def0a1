//! The whole permission model by name, read in one transaction with the
//! revision it reflects, for `Snapshot::compile`. Roles and members become
//! specs through the domain's converters, the ones the change log uses;
//! users are read straight into their spec (the same five fields).

use gatehouse_authz::{EnvironmentSpec, GroupSpec, Model, ProjectSpec};
use gatehouse_domain::StoreError;
use gatehouse_domain::commit::role_spec;

use crate::codec::{self, from_json};
use crate::conn::{Conn, Row as _, args};
use crate::{members, resources, revision, roles};

/// Reads the model; run inside a read transaction so that every query sees
/// the same state.
pub(crate) async fn load<C: Conn>(c: &mut C) -> Result<(Model, u64), StoreError> {
    let revision = revision::current(c).await?;

    let mut users = Vec::new();
    c.for_each_row(
        "SELECT username, status, admin, kind, account_permissions FROM users ORDER BY username",
        args![],
        |row| {
            users.push(gatehouse_authz::UserSpec {
                name: row.text("username")?,
                status: codec::status(&row.text("status")?)?,
                admin: row.boolean("admin")?,
                kind: codec::kind(&row.text("kind")?)?,
                account_permissions: from_json("account permissions", &row.text("account_permissions")?)?,
            });
            Ok(())
        },
    )
    .await?;

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
    let members = members::specs(c).await?;
    let resources = resources::specs(c).await?;

    Ok((
        Model {
            users,
            groups,
            projects,
            environments,
            roles,
            members,
            resources,
        },
        revision,
    ))
}
