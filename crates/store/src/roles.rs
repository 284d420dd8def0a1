//! The SQL of roles (SPEC §4): insert-or-replace by (project, name) with the
//! environment list, delete (removing the role from its members and
//! deleting members left without one), lookups and listings.

use std::collections::{BTreeSet, HashMap};

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Role;
use gatehouse_domain::names::{EnvName, ProjectKey, RoleName};

use crate::codec::{self, from_json, int, mode_str, to_json, uint};
use crate::conn::{Arg, Conn, Row, args, assembled, touch_each, tuples};
use crate::error::missing;
use crate::projects;

macro_rules! role_columns {
    () => {
        "id, project, name, description, role_type, mode, categories, actions, revision"
    };
}

/// `COALESCE(project, '')` of a role: a project key is never empty, so this
/// names the global scope without a NULL (it is what the unique index
/// `roles_project_name` covers).
fn scope(project: Option<&ProjectKey>) -> String {
    project.map(|p| p.as_str().to_owned()).unwrap_or_default()
}

/// `project/name`, or `name` for a global role (in messages).
pub(crate) fn display(project: Option<&ProjectKey>, name: &RoleName) -> String {
    match project {
        Some(p) => format!("{p}/{name}"),
        None => name.as_str().to_owned(),
    }
}

/// A role row with its environments (in their stored order).
pub(crate) fn from_row(row: &impl Row, environments: Vec<EnvName>) -> Result<Role, StoreError> {
    let mode = codec::mode(&row.text("mode")?)?;
    Ok(Role {
        name: codec::role_name(&row.text("name")?)?,
        project: row
            .opt_text("project")?
            .as_deref()
            .map(codec::project_key)
            .transpose()?,
        description: codec::description(&row.text("description")?)?,
        role_type: codec::role_type(&row.text("role_type")?)?,
        mode,
        categories: from_json("role categories", &row.text("categories")?)?,
        actions: from_json("role actions", &row.text("actions")?)?,
        environments,
        revision: uint(row.int("revision")?)?,
    })
}

/// The id of a role, by scope and name.
async fn id<C: Conn>(c: &mut C, project: Option<&ProjectKey>, name: &RoleName) -> Result<Option<i64>, StoreError> {
    let row = c
        .fetch_optional(
            "SELECT id FROM roles WHERE COALESCE(project, '') = $1 AND name = $2",
            args![scope(project), name.as_str()],
        )
        .await?;
    row.map(|r| r.int("id")).transpose()
}

/// The id of the role a member of `project` means by `name`: the
/// project's role of that name, else the global one.
pub(crate) async fn resolve<C: Conn>(c: &mut C, project: &str, name: &str) -> Result<Option<i64>, StoreError> {
    let found = resolve_many(c, &BTreeSet::from([(project, name)])).await?;
    Ok(found.values().next().copied())
}

/// [`resolve`] for many (project, name) pairs in one statement: each
/// pair's id, absent when neither the project nor the instance has a role
/// of that name.
pub(crate) async fn resolve_many<C: Conn>(
    c: &mut C,
    pairs: &BTreeSet<(&str, &str)>,
) -> Result<HashMap<(String, String), i64>, StoreError> {
    let mut values = Vec::with_capacity(pairs.len() * 2);
    for (project, name) in pairs {
        values.extend(args![*project, *name]);
    }
    let sql = format!(
        "SELECT v.column1 AS wanted, r.name, r.id, COALESCE(r.project, '') AS scope FROM (VALUES {}) AS v \
         JOIN roles r ON COALESCE(r.project, '') IN (v.column1, '') AND r.name = v.column2",
        tuples::<C>(pairs.len(), 2)
    );
    // A pair may match its project's role and the global one: the
    // project's wins.
    let mut found: HashMap<(String, String), (bool, i64)> = HashMap::with_capacity(pairs.len());
    for row in &c.fetch_all_sql(assembled(sql), values).await? {
        let wanted = row.text("wanted")?;
        let own = row.text("scope")? == wanted;
        let id = row.int("id")?;
        found
            .entry((wanted, row.text("name")?))
            .and_modify(|best| {
                if own {
                    *best = (true, id);
                }
            })
            .or_insert((own, id));
    }
    Ok(found.into_iter().map(|(pair, (_, id))| (pair, id)).collect())
}

/// Inserts a role, or replaces the one with its project and name (keeping
/// its members); its environments are replaced by the role's list.
pub(crate) async fn put<C: Conn>(c: &mut C, role: &Role, revision: u64) -> Result<(), StoreError> {
    put_many(c, &[role], revision).await
}

/// Puts each role of `batch` (distinct by scope and name) as [`put`] does:
/// replaced one by one, the new ones in one multi-row insert, every
/// environment list in another, and one touch of the projects whose roles
/// changed.
pub(crate) async fn put_many<C: Conn>(c: &mut C, batch: &[&Role], revision: u64) -> Result<(), StoreError> {
    let mut keys = Vec::with_capacity(batch.len() * 2);
    for role in batch {
        keys.extend(args![scope(role.project.as_ref()), role.name.as_str()]);
    }
    let sql = format!(
        "SELECT r.id, COALESCE(r.project, '') AS scope, r.name FROM (VALUES {}) AS v \
         JOIN roles r ON COALESCE(r.project, '') = v.column1 AND r.name = v.column2",
        tuples::<C>(batch.len(), 2)
    );
    let mut ids: HashMap<(String, String), i64> = HashMap::with_capacity(batch.len());
    for row in &c.fetch_all_sql(assembled(sql), keys).await? {
        ids.insert((row.text("scope")?, row.text("name")?), row.int("id")?);
    }
    let key = |role: &Role| (scope(role.project.as_ref()), role.name.as_str().to_owned());
    let (existing, fresh): (Vec<&Role>, Vec<&Role>) = batch.iter().partition(|role| ids.contains_key(&key(role)));
    // Replacements are rare in a run (an import puts what differs): one by one.
    for role in existing {
        if let Some(id) = ids.get(&key(role)) {
            replace(c, *id, role, revision).await?;
        }
    }
    if !fresh.is_empty() {
        let mut values = Vec::with_capacity(fresh.len() * 8);
        for role in &fresh {
            values.extend(args![
                role.project.as_ref().map(|p| p.as_str().to_owned()),
                role.name.as_str()
            ]);
            values.extend(content(role, revision)?);
        }
        let sql = format!(
            "INSERT INTO roles (project, name, description, role_type, mode, categories, actions, revision) \
             VALUES {} RETURNING id, COALESCE(project, '') AS scope, name",
            tuples::<C>(fresh.len(), 8)
        );
        for row in &c.fetch_all_sql(assembled(sql), values).await? {
            ids.insert((row.text("scope")?, row.text("name")?), row.int("id")?);
        }
    }
    let mut environments = Vec::new();
    for role in batch {
        let id = *ids
            .get(&key(role))
            .ok_or_else(|| missing("role", &display(role.project.as_ref(), &role.name)))?;
        for (ord, env) in (0_i64..).zip(&role.environments) {
            environments.extend(args![id, env.as_str(), ord]);
        }
    }
    // At most 1,000 rows (3,000 parameters) a statement, whatever the
    // roles' environment counts.
    for chunk in environments.chunks(3 * 1_000) {
        let sql = format!(
            "INSERT INTO role_environments (role_id, environment, ord) VALUES {}",
            tuples::<C>(chunk.len() / 3, 3)
        );
        c.execute_sql(assembled(sql), chunk.to_vec()).await?;
    }
    let projects: BTreeSet<&str> = batch
        .iter()
        .filter_map(|r| r.project.as_ref())
        .map(ProjectKey::as_str)
        .collect();
    if !projects.is_empty() {
        touch_each(
            c,
            ("projects", "key"),
            vec![("revision", int(revision)?.into())],
            &projects,
            "project",
        )
        .await?;
    }
    Ok(())
}

/// What a put writes of a role besides its scope and name, in the order of
/// both statements: description, type, mode, categories, actions, revision.
fn content(role: &Role, revision: u64) -> Result<Vec<Arg>, StoreError> {
    Ok(args![
        role.description.as_str(),
        role.role_type.as_str(),
        mode_str(role.mode),
        to_json(&role.categories)?,
        to_json(&role.actions)?,
        int(revision)?,
    ])
}

/// Replaces the columns of the role `id` by `role`'s, as of `revision`,
/// and drops its environment list (the caller writes the new one).
async fn replace<C: Conn>(c: &mut C, id: i64, role: &Role, revision: u64) -> Result<(), StoreError> {
    let mut values = args![id];
    values.extend(content(role, revision)?);
    c.execute(
        "UPDATE roles SET description = $2, role_type = $3, mode = $4, categories = $5, actions = $6, \
         revision = $7 WHERE id = $1",
        values,
    )
    .await?;
    c.execute("DELETE FROM role_environments WHERE role_id = $1", args![id])
        .await?;
    Ok(())
}

/// Deletes a role: members holding only this role are deleted, the others
/// lose it (cascade). For a global role that is across every project.
pub(crate) async fn delete<C: Conn>(
    c: &mut C,
    project: Option<&ProjectKey>,
    name: &RoleName,
    revision: u64,
) -> Result<(), StoreError> {
    let Some(id) = id(c, project, name).await? else {
        return Err(missing("role", &display(project, name)));
    };
    c.execute(
        "DELETE FROM members WHERE id IN (SELECT member_id FROM member_roles WHERE role_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM member_roles other WHERE other.member_id = members.id AND other.role_id <> $1)",
        args![id],
    )
    .await?;
    c.execute("DELETE FROM roles WHERE id = $1", args![id]).await?;
    if let Some(project) = project {
        projects::touch(c, project.as_str(), revision).await?;
    }
    Ok(())
}

/// The environments of the roles `WHERE COALESCE(r.project, '') = $1`, or of
/// every role (`None`), by role id, in order.
pub(crate) async fn environments<C: Conn>(
    c: &mut C,
    scope: Option<&str>,
) -> Result<HashMap<i64, Vec<EnvName>>, StoreError> {
    let rows = match scope {
        Some(scope) => {
            c.fetch_all(
                "SELECT re.role_id, re.environment FROM role_environments re JOIN roles r ON r.id = re.role_id \
                 WHERE COALESCE(r.project, '') = $1 ORDER BY re.role_id, re.ord",
                args![scope],
            )
            .await?
        }
        None => {
            c.fetch_all(
                "SELECT role_id, environment FROM role_environments ORDER BY role_id, ord",
                args![],
            )
            .await?
        }
    };
    let mut by_role: HashMap<i64, Vec<EnvName>> = HashMap::new();
    for row in &rows {
        by_role
            .entry(row.int("role_id")?)
            .or_default()
            .push(EnvName::from_trusted(&row.text("environment")?));
    }
    Ok(by_role)
}

/// A global role (`None`) or a project role.
pub(crate) async fn get<C: Conn>(
    c: &mut C,
    project: Option<&ProjectKey>,
    name: &RoleName,
) -> Result<Option<Role>, StoreError> {
    let Some(row) = c
        .fetch_optional(
            concat!(
                "SELECT ",
                role_columns!(),
                " FROM roles WHERE COALESCE(project, '') = $1 AND name = $2"
            ),
            args![scope(project), name.as_str()],
        )
        .await?
    else {
        return Ok(None);
    };
    let envs = c
        .fetch_all(
            "SELECT environment FROM role_environments WHERE role_id = $1 ORDER BY ord",
            args![row.int("id")?],
        )
        .await?
        .iter()
        .map(|r| Ok(EnvName::from_trusted(&r.text("environment")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    from_row(&row, envs).map(Some)
}

/// Global roles (`None`) or one project's roles, by name.
pub(crate) async fn list<C: Conn>(c: &mut C, project: Option<&ProjectKey>) -> Result<Vec<Role>, StoreError> {
    let scope = scope(project);
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                role_columns!(),
                " FROM roles WHERE COALESCE(project, '') = $1 ORDER BY name"
            ),
            args![scope.as_str()],
        )
        .await?;
    let mut envs = environments(c, Some(&scope)).await?;
    rows.iter()
        .map(|row| from_row(row, envs.remove(&row.int("id")?).unwrap_or_default()))
        .collect()
}

/// Every role, global ones first, then by project and name (for the model).
pub(crate) async fn all<C: Conn>(c: &mut C) -> Result<Vec<Role>, StoreError> {
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                role_columns!(),
                " FROM roles ORDER BY COALESCE(project, ''), name"
            ),
            args![],
        )
        .await?;
    let mut envs = environments(c, None).await?;
    rows.iter()
        .map(|row| from_row(row, envs.remove(&row.int("id")?).unwrap_or_default()))
        .collect()
}
