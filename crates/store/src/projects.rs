//! The SQL of projects (SPEC §5.3): create, change, delete (its roles,
//! environments and members go by cascade), lookups and the listing.

use gatehouse_authz::AdminPrivileges;
use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Project;
use gatehouse_domain::names::ProjectKey;
use gatehouse_domain::store::{Page, PageRequest};

use crate::codec::{self, int, nanos, time, uint};
use crate::conn::{Conn, Row, args};
use crate::cursor;
use crate::error::missing;

macro_rules! project_columns {
    () => {
        "key, display_name, description, manage_members, manage_resources, index_resources, created_at, revision"
    };
}

fn from_row(row: &impl Row) -> Result<Project, StoreError> {
    Ok(Project {
        key: codec::project_key(&row.text("key")?)?,
        display_name: codec::display_name(&row.text("display_name")?)?,
        description: codec::description(&row.text("description")?)?,
        admin_privileges: AdminPrivileges {
            manage_members: row.boolean("manage_members")?,
            manage_resources: row.boolean("manage_resources")?,
            index_resources: row.boolean("index_resources")?,
        },
        created_at: time(row.int("created_at")?)?,
        revision: uint(row.int("revision")?)?,
    })
}

fn values(project: &Project, revision: u64) -> Result<Vec<crate::conn::Arg>, StoreError> {
    Ok(args![
        project.key.as_str(),
        project.display_name.as_str(),
        project.description.as_str(),
        project.admin_privileges.manage_members,
        project.admin_privileges.manage_resources,
        project.admin_privileges.index_resources,
        nanos(project.created_at)?,
        int(revision)?,
    ])
}

/// Inserts a project as of `revision`.
pub(crate) async fn create<C: Conn>(c: &mut C, project: &Project, revision: u64) -> Result<(), StoreError> {
    c.execute(
        concat!(
            "INSERT INTO projects (",
            project_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ),
        values(project, revision)?,
    )
    .await?;
    Ok(())
}

/// Replaces a project's settings (the key never changes).
pub(crate) async fn update<C: Conn>(c: &mut C, project: &Project, revision: u64) -> Result<(), StoreError> {
    let changed = c
        .execute(
            "UPDATE projects SET display_name = $2, description = $3, manage_members = $4, manage_resources = $5, \
             index_resources = $6, created_at = $7, revision = $8 WHERE key = $1",
            values(project, revision)?,
        )
        .await?;
    if changed == 0 {
        Err(missing("project", project.key.as_str()))
    } else {
        Ok(())
    }
}

/// Moves a project's revision: its roles or environments changed (this
/// serialises the per-project limits).
pub(crate) async fn touch<C: Conn>(c: &mut C, key: &str, revision: u64) -> Result<(), StoreError> {
    let changed = c
        .execute(
            "UPDATE projects SET revision = $2 WHERE key = $1",
            args![key, int(revision)?],
        )
        .await?;
    if changed == 0 {
        Err(missing("project", key))
    } else {
        Ok(())
    }
}

/// Deletes a project with its roles, environments and members (cascade).
pub(crate) async fn delete<C: Conn>(c: &mut C, key: &ProjectKey) -> Result<(), StoreError> {
    let deleted = c
        .execute("DELETE FROM projects WHERE key = $1", args![key.as_str()])
        .await?;
    if deleted == 0 {
        Err(missing("project", key.as_str()))
    } else {
        Ok(())
    }
}

/// A project by key.
pub(crate) async fn get<C: Conn>(c: &mut C, key: &ProjectKey) -> Result<Option<Project>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", project_columns!(), " FROM projects WHERE key = $1"),
            args![key.as_str()],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Projects by key.
pub(crate) async fn list<C: Conn>(c: &mut C, page: &PageRequest) -> Result<Page<Project>, StoreError> {
    let after: String = cursor::after("projects", page)?.unwrap_or_default();
    let rows = c
        .fetch_all(
            concat!(
                "SELECT ",
                project_columns!(),
                " FROM projects WHERE key > $1 ORDER BY key LIMIT $2"
            ),
            args![after, cursor::fetch_limit(page)],
        )
        .await?;
    let projects = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    cursor::finish("projects", page, projects, |p| p.key.as_str().to_owned())
}
