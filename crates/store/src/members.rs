//! The SQL of project members (SPEC §5.5): set (replacing the role list),
//! remove, look up, and list a project's members — users then groups, by
//! name — by keyset over the `members_listing` index, fast at 100,000
//! members.

use std::collections::{BTreeSet, HashMap};

use gatehouse_authz::{self as authz, MemberSpec};
use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{Member, Principal};
use gatehouse_domain::names::{ProjectKey, RoleName, Username};
use gatehouse_domain::store::{MemberFilter, Page, PageRequest};

use crate::codec::{self, KIND_GROUP, KIND_USER, from_json};
use crate::conn::{Arg, Conn, Row as _, args, assembled, tuples};
use crate::cursor;
use crate::error::missing;
use crate::roles;

/// Role ids already resolved in this transaction, by (project, role name).
pub(crate) type RoleIds = HashMap<(String, String), i64>;

/// The `kind` column and the name of a principal.
// INVARIANT: a `members` row repeats its name in `username` (kind 0) or
// `group_name` (kind 1), so that deleting the user or group cascades to
// the membership; the schema's CHECK refuses any other shape, and `set` /
// `set_many` are the only inserts.
fn key(principal: &Principal) -> (i64, &str) {
    match principal {
        Principal::User(u) => (KIND_USER, u.as_str()),
        Principal::Group(g) => (KIND_GROUP, g.as_str()),
    }
}

fn principal(kind: i64, name: &str) -> Result<Principal, StoreError> {
    match kind {
        KIND_USER => Ok(Principal::User(codec::username(name)?)),
        KIND_GROUP => Ok(Principal::Group(codec::group_name(name)?)),
        _ => Err(crate::error::corrupt("member kind", kind)),
    }
}

fn display(project: &ProjectKey, principal: &Principal) -> String {
    format!("{project}/{}:{}", principal.kind(), principal.name())
}

/// A member holds at least one role.
fn require_roles(member: &Member) -> Result<(), StoreError> {
    if member.roles.is_empty() {
        return Err(StoreError::Conflict(format!(
            "member `{}` needs at least one role",
            display(&member.project, &member.principal)
        )));
    }
    Ok(())
}

/// The id of `role` as seen from `project` (global or the project's),
/// remembered in `cache` for the rest of the commit.
async fn role_id<C: Conn>(c: &mut C, project: &str, role: &RoleName, cache: &mut RoleIds) -> Result<i64, StoreError> {
    let cache_key = (project.to_owned(), role.as_str().to_owned());
    if let Some(id) = cache.get(&cache_key) {
        return Ok(*id);
    }
    let Some(id) = roles::resolve(c, project, role.as_str()).await? else {
        return Err(unknown_role(project, role));
    };
    cache.insert(cache_key, id);
    Ok(id)
}

fn unknown_role(project: &str, role: &RoleName) -> StoreError {
    StoreError::Conflict(format!(
        "role `{role}` does not exist globally or in project `{project}`"
    ))
}

/// Gives member `member_id` of `project` the role `role`. A role `cache`
/// does not know is resolved as [`roles::resolve`] does, in the insert
/// itself (one round trip), and remembered.
async fn add_role<C: Conn>(
    c: &mut C,
    member_id: i64,
    project: &str,
    role: &RoleName,
    cache: &mut RoleIds,
) -> Result<(), StoreError> {
    let cache_key = (project.to_owned(), role.as_str().to_owned());
    if let Some(id) = cache.get(&cache_key) {
        c.execute(
            "INSERT INTO member_roles (member_id, role_id) VALUES ($1, $2)",
            args![member_id, *id],
        )
        .await?;
        return Ok(());
    }
    let inserted = c
        .fetch_optional(
            "INSERT INTO member_roles (member_id, role_id) \
             SELECT $1, id FROM roles WHERE COALESCE(project, '') IN ($2, '') AND name = $3 \
             ORDER BY COALESCE(project, '') DESC LIMIT 1 RETURNING role_id",
            args![member_id, project, role.as_str()],
        )
        .await?;
    let Some(row) = inserted else {
        return Err(unknown_role(project, role));
    };
    cache.insert(cache_key, row.int("role_id")?);
    Ok(())
}

async fn id<C: Conn>(c: &mut C, project: &ProjectKey, who: &Principal) -> Result<Option<i64>, StoreError> {
    let (kind, name) = key(who);
    let row = c
        .fetch_optional(
            "SELECT id FROM members WHERE project = $1 AND kind = $2 AND name = $3",
            args![project.as_str(), kind, name],
        )
        .await?;
    row.map(|r| r.int("id")).transpose()
}

/// Makes `member` a member with exactly its roles (global roles or the
/// project's), inserting it if needed. `cache` remembers role ids across
/// the mutations of one commit; a mutation that deletes roles clears it.
pub(crate) async fn set<C: Conn>(c: &mut C, member: &Member, cache: &mut RoleIds) -> Result<(), StoreError> {
    let project = member.project.as_str();
    require_roles(member)?;
    let member_id = match id(c, &member.project, &member.principal).await? {
        Some(existing) => {
            c.execute("DELETE FROM member_roles WHERE member_id = $1", args![existing])
                .await?;
            existing
        }
        None => {
            let (kind, name) = key(&member.principal);
            let (username, group) = match &member.principal {
                Principal::User(u) => (Some(u.as_str()), None),
                Principal::Group(g) => (None, Some(g.as_str())),
            };
            c.fetch_one(
                "INSERT INTO members (project, kind, name, username, group_name) VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id",
                args![project, kind, name, username, group],
            )
            .await?
            .int("id")?
        }
    };
    for role in &member.roles {
        add_role(c, member_id, project, role, cache).await?;
    }
    Ok(())
}

/// Role rows per multi-row insert (two parameters each).
const ROLE_ROWS: usize = 4_000;

/// [`set`] for many members with a few statements (a run of `SetMember`s in
/// one commit: imports, fixtures). Each member appears once in `batch`.
pub(crate) async fn set_many<C: Conn>(c: &mut C, batch: &[&Member], cache: &mut RoleIds) -> Result<(), StoreError> {
    // Every role name the cache does not know, resolved in one statement.
    let unknown: BTreeSet<(&str, &str)> = batch
        .iter()
        .flat_map(|m| m.roles.iter().map(|r| (m.project.as_str(), r.as_str())))
        .filter(|(project, role)| !cache.contains_key(&((*project).to_owned(), (*role).to_owned())))
        .collect();
    let unknown: Vec<(&str, &str)> = unknown.into_iter().collect();
    for chunk in unknown.chunks(ROLE_ROWS) {
        cache.extend(roles::resolve_many(c, &chunk.iter().copied().collect()).await?);
    }
    let mut role_ids: Vec<Vec<i64>> = Vec::with_capacity(batch.len());
    for member in batch {
        require_roles(member)?;
        let mut ids = Vec::with_capacity(member.roles.len());
        for role in &member.roles {
            ids.push(role_id(c, member.project.as_str(), role, cache).await?);
        }
        role_ids.push(ids);
    }

    // Members that exist already lose their roles; the others are inserted.
    let mut keys = Vec::with_capacity(batch.len() * 3);
    for member in batch {
        let (kind, name) = key(&member.principal);
        keys.extend(args![member.project.as_str(), kind, name]);
    }
    let sql = format!(
        "SELECT m.id, m.project, m.kind, m.name FROM (VALUES {}) AS v \
         JOIN members m ON m.project = v.column1 AND m.kind = v.column2 AND m.name = v.column3",
        tuples::<C>(batch.len(), 3)
    );
    let mut ids: HashMap<(String, i64, String), i64> = HashMap::with_capacity(batch.len());
    let existing = c.fetch_all_sql(assembled(sql), keys).await?;
    for row in &existing {
        ids.insert(
            (row.text("project")?, row.int("kind")?, row.text("name")?),
            row.int("id")?,
        );
    }
    if !existing.is_empty() {
        let old: Vec<Arg> = ids.values().map(|id| Arg::Int(*id)).collect();
        let sql = format!(
            "DELETE FROM member_roles WHERE member_id IN {}",
            tuples::<C>(1, old.len())
        );
        c.execute_sql(assembled(sql), old).await?;
    }
    let fresh: Vec<&&Member> = batch
        .iter()
        .filter(|m| {
            let (kind, name) = key(&m.principal);
            !ids.contains_key(&(m.project.as_str().to_owned(), kind, name.to_owned()))
        })
        .collect();
    if !fresh.is_empty() {
        let mut values = Vec::with_capacity(fresh.len() * 5);
        for member in &fresh {
            let (kind, name) = key(&member.principal);
            let (username, group) = match &member.principal {
                Principal::User(u) => (Some(u.as_str()), None),
                Principal::Group(g) => (None, Some(g.as_str())),
            };
            values.extend(args![member.project.as_str(), kind, name, username, group]);
        }
        let sql = format!(
            "INSERT INTO members (project, kind, name, username, group_name) VALUES {} RETURNING id, project, kind, name",
            tuples::<C>(fresh.len(), 5)
        );
        for row in &c.fetch_all_sql(assembled(sql), values).await? {
            ids.insert(
                (row.text("project")?, row.int("kind")?, row.text("name")?),
                row.int("id")?,
            );
        }
    }

    let mut pairs = Vec::new();
    for (member, roles) in batch.iter().zip(&role_ids) {
        let (kind, name) = key(&member.principal);
        let Some(id) = ids.get(&(member.project.as_str().to_owned(), kind, name.to_owned())) else {
            return Err(StoreError::Backend(format!(
                "member `{}` vanished",
                display(&member.project, &member.principal)
            )));
        };
        pairs.extend(roles.iter().map(|role| (*id, *role)));
    }
    for chunk in pairs.chunks(ROLE_ROWS) {
        let values = chunk
            .iter()
            .flat_map(|(member, role)| [Arg::Int(*member), Arg::Int(*role)])
            .collect();
        let sql = format!(
            "INSERT INTO member_roles (member_id, role_id) VALUES {}",
            tuples::<C>(chunk.len(), 2)
        );
        c.execute_sql(assembled(sql), values).await?;
    }
    Ok(())
}

/// Removes a membership (its roles go by cascade).
pub(crate) async fn remove<C: Conn>(c: &mut C, project: &ProjectKey, who: &Principal) -> Result<(), StoreError> {
    let (kind, name) = key(who);
    let deleted = c
        .execute(
            "DELETE FROM members WHERE project = $1 AND kind = $2 AND name = $3",
            args![project.as_str(), kind, name],
        )
        .await?;
    if deleted == 0 {
        Err(missing("member", &display(project, who)))
    } else {
        Ok(())
    }
}

/// One membership, roles sorted by name.
pub(crate) async fn get<C: Conn>(
    c: &mut C,
    project: &ProjectKey,
    who: &Principal,
) -> Result<Option<Member>, StoreError> {
    let Some(member_id) = id(c, project, who).await? else {
        return Ok(None);
    };
    let roles = c
        .fetch_all(
            "SELECT r.name FROM member_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.member_id = $1 \
             ORDER BY r.name",
            args![member_id],
        )
        .await?
        .iter()
        .map(|r| codec::role_name(&r.text("name")?))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Member {
        project: project.clone(),
        principal: who.clone(),
        roles,
    }))
}

/// A project's members, users then groups, by name; each with its roles.
pub(crate) async fn list<C: Conn>(
    c: &mut C,
    project: &ProjectKey,
    filter: &MemberFilter,
    page: &PageRequest,
) -> Result<Page<Member>, StoreError> {
    let listing = format!("members:{project}");
    let (after_kind, after_name): (i64, String) = cursor::after(&listing, page)?.unwrap_or((-1, String::new()));
    let kind = match filter.kind.as_deref() {
        None => None,
        Some("user") => Some(KIND_USER),
        Some("group") => Some(KIND_GROUP),
        Some(_) => {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
    };
    let rows = c
        .fetch_all(
            "SELECT p.kind, p.name, r.name AS role FROM (\
                SELECT id, kind, name FROM members \
                WHERE project = $1 AND (kind, name) > ($2, $3) \
                AND ($4 IS NULL OR kind = $4) \
                AND ($5 IS NULL OR lower(name) LIKE $5 ESCAPE '\\') \
                ORDER BY kind, name LIMIT $6\
             ) p \
             LEFT JOIN member_roles mr ON mr.member_id = p.id \
             LEFT JOIN roles r ON r.id = mr.role_id \
             ORDER BY p.kind, p.name, r.name",
            args![
                project.as_str(),
                after_kind,
                after_name,
                kind,
                cursor::contains_pattern(filter.q.as_deref()),
                cursor::fetch_limit(page),
            ],
        )
        .await?;
    let mut members: Vec<(i64, Member)> = Vec::new();
    for row in &rows {
        let (kind, name) = (row.int("kind")?, row.text("name")?);
        let same = members
            .last()
            .is_some_and(|(k, m)| *k == kind && m.principal.name() == name);
        if !same {
            let member = Member {
                project: project.clone(),
                principal: principal(kind, &name)?,
                roles: Vec::new(),
            };
            members.push((kind, member));
        }
        if let (Some(role), Some((_, member))) = (row.opt_text("role")?, members.last_mut()) {
            member.roles.push(codec::role_name(&role)?);
        }
    }
    let page_of = cursor::finish(&listing, page, members, |(kind, m)| {
        (*kind, m.principal.name().to_owned())
    })?;
    Ok(Page {
        items: page_of.items.into_iter().map(|(_, m)| m).collect(),
        next_cursor: page_of.next_cursor,
    })
}

/// The first `limit` projects, by key, where `username` is a member itself
/// or through a group: two index lookups (`members_username`, then
/// `group_members_username` joined on `members_group_name`), never a scan
/// of the projects.
pub(crate) async fn projects_of<C: Conn>(
    c: &mut C,
    username: &Username,
    limit: u32,
) -> Result<Vec<ProjectKey>, StoreError> {
    let rows = c
        .fetch_all(
            "SELECT project FROM members WHERE username = $1 \
             UNION \
             SELECT m.project FROM group_members g JOIN members m ON m.group_name = g.group_name \
             WHERE g.username = $1 \
             ORDER BY project LIMIT $2",
            args![username.as_str(), i64::from(limit)],
        )
        .await?;
    rows.iter()
        .map(|row| codec::project_key(&row.text("project")?))
        .collect()
}

/// Every membership as the model knows it, by project, kind and name,
/// roles sorted (members without a role left out): one row per project,
/// its members and their role ids as one JSON array (`[[kind, name,
/// [role id, …]], …]`) built by the database, the role names from one
/// more row (`[[id, name], …]`). A row per (member, role), 12 million at a
/// million users, spent most of a start handing rows from SQLite's thread
/// to the reader; joining each to its role's name cost SQLite a fifth of
/// the read.
pub(crate) async fn specs<C: Conn>(c: &mut C) -> Result<Vec<MemberSpec>, StoreError> {
    let names = role_names(c).await?;
    let sql = if C::POSTGRES {
        "SELECT m.project, json_agg(json_build_array(m.kind, m.name, \
           (SELECT json_agg(mr.role_id) FROM member_roles mr WHERE mr.member_id = m.id)))::text AS members \
         FROM members m GROUP BY m.project ORDER BY m.project"
    } else {
        "SELECT m.project, json_group_array(json_array(m.kind, m.name, \
           json((SELECT json_group_array(mr.role_id) FROM member_roles mr WHERE mr.member_id = m.id)))) AS members \
         FROM members m GROUP BY m.project ORDER BY m.project"
    };
    let mut specs: Vec<MemberSpec> = Vec::new();
    c.for_each_row(sql, args![], |row| {
        let project = row.text("project")?;
        let mut members: Vec<(i64, String, Option<Vec<i64>>)> = from_json("members", &row.text("members")?)?;
        // Neither aggregate promises an order: the specs are sorted here.
        members.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (kind, name, roles) in members {
            let Some(ids) = roles.filter(|r| !r.is_empty()) else {
                continue;
            };
            let mut roles = ids
                .iter()
                .map(|id| {
                    names
                        .get(id)
                        .cloned()
                        .ok_or_else(|| crate::error::corrupt("member role", id))
                })
                .collect::<Result<Vec<String>, _>>()?;
            roles.sort_unstable();
            let principal = match kind {
                KIND_USER => authz::Principal::User(name),
                KIND_GROUP => authz::Principal::Group(name),
                _ => return Err(crate::error::corrupt("member kind", kind)),
            };
            specs.push(MemberSpec {
                project: project.clone(),
                principal,
                roles,
            });
        }
        Ok(())
    })
    .await?;
    specs.shrink_to_fit();
    Ok(specs)
}

/// Every role's name by its id, read as one JSON array.
async fn role_names<C: Conn>(c: &mut C) -> Result<HashMap<i64, String>, StoreError> {
    let sql = if C::POSTGRES {
        "SELECT json_agg(json_build_array(id, name))::text AS roles FROM roles"
    } else {
        "SELECT json_group_array(json_array(id, name)) AS roles FROM roles"
    };
    let row = c.fetch_one(sql, args![]).await?;
    // No roles is `[]` on SQLite, null on PostgreSQL.
    let roles: Vec<(i64, String)> = match row.opt_text("roles")? {
        Some(json) => from_json("role names", &json)?,
        None => Vec::new(),
    };
    Ok(roles.into_iter().collect())
}

#[cfg(test)]
mod tests {
    //! The aggregated read against the rows it is made of, on the columns
    //! the query reads (PostgreSQL's is run by the store's conformance
    //! tests).

    use gatehouse_authz::{MemberSpec, Principal};
    use sqlx::Connection as _;
    use sqlx::SqliteConnection;

    use super::specs;

    #[tokio::test]
    async fn specs_come_sorted_with_their_roles() {
        let mut c = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("memory database");
        for sql in [
            "CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE members (id INTEGER PRIMARY KEY, project TEXT NOT NULL, kind INTEGER NOT NULL, name TEXT NOT NULL)",
            "CREATE UNIQUE INDEX members_listing ON members (project, kind, name)",
            "CREATE TABLE member_roles (member_id INTEGER NOT NULL, role_id INTEGER NOT NULL)",
            "INSERT INTO roles (id, name) VALUES (1, 'Viewer'), (2, 'Developer'), (3, 'Release')",
        ] {
            sqlx::query(sql).execute(&mut c).await.expect("schema");
        }
        // Members inserted out of order, users and groups of three
        // projects, roles inserted in reverse name order; every fifth
        // member holds none (a row without roles is not a membership).
        let mut expected = Vec::new();
        let mut id = 0;
        for project in ["web", "api", "ops"] {
            for (kind, name) in [(1, "team"), (0, "zoe"), (0, "alice"), (1, "admins"), (0, "bob")] {
                id += 1;
                sqlx::query("INSERT INTO members (id, project, kind, name) VALUES (?, ?, ?, ?)")
                    .bind(id)
                    .bind(project)
                    .bind(kind)
                    .bind(name)
                    .execute(&mut c)
                    .await
                    .expect("member");
                let held: &[(i64, &str)] = match id % 5 {
                    0 => &[],
                    1 => &[(1, "Viewer")],
                    2 => &[(3, "Release"), (1, "Viewer")],
                    _ => &[(1, "Viewer"), (3, "Release"), (2, "Developer")],
                };
                for (role, _) in held {
                    sqlx::query("INSERT INTO member_roles (member_id, role_id) VALUES (?, ?)")
                        .bind(id)
                        .bind(role)
                        .execute(&mut c)
                        .await
                        .expect("member role");
                }
                if !held.is_empty() {
                    let mut roles: Vec<String> = held.iter().map(|(_, r)| (*r).to_owned()).collect();
                    roles.sort();
                    let principal = if kind == 0 {
                        Principal::User(name.to_owned())
                    } else {
                        Principal::Group(name.to_owned())
                    };
                    expected.push((
                        project,
                        kind,
                        name,
                        MemberSpec {
                            project: project.to_owned(),
                            principal,
                            roles,
                        },
                    ));
                }
            }
        }
        expected.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let expected: Vec<MemberSpec> = expected.into_iter().map(|(.., spec)| spec).collect();
        assert_eq!(expected.len(), 12);
        assert_eq!(specs(&mut c).await.expect("specs"), expected);
    }
}
