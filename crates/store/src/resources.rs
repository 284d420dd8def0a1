//! The SQL of registered resources (SPEC §5.6): register, remove, lookups,
//! the per-project listing, and the model rows. Deleting a project or an
//! environment deletes its resources by cascade.

use gatehouse_authz::ResourceSpec;
use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Resource;
use gatehouse_domain::names::{EnvName, ProjectKey, ResourceName};
use gatehouse_domain::store::{Page, PageRequest};

use crate::codec::{self, nanos, time};
use crate::conn::{Conn, Row, args};
use crate::cursor;
use crate::error::{corrupt, missing};

fn from_row(row: &impl Row) -> Result<Resource, StoreError> {
    Ok(Resource {
        resource_type: row.text("resource_type")?,
        name: ResourceName::parse(&row.text("name")?).map_err(|e| corrupt("resource name", e))?,
        project: codec::project_key(&row.text("project")?)?,
        environment: row.opt_text("environment")?.as_deref().map(EnvName::from_trusted),
        created_at: time(row.int("created_at")?)?,
    })
}

/// Inserts a resource; a taken (type, name) is a conflict.
pub(crate) async fn create<C: Conn>(c: &mut C, resource: &Resource) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO resources (resource_type, name, project, environment, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![
            resource.resource_type.as_str(),
            resource.name.as_str(),
            resource.project.as_str(),
            resource.environment.as_ref().map(EnvName::as_str),
            nanos(resource.created_at)?,
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a resource.
pub(crate) async fn delete<C: Conn>(c: &mut C, resource_type: &str, name: &ResourceName) -> Result<(), StoreError> {
    let deleted = c
        .execute(
            "DELETE FROM resources WHERE resource_type = $1 AND name = $2",
            args![resource_type, name.as_str()],
        )
        .await?;
    if deleted == 0 {
        Err(missing("resource", &format!("{resource_type}/{name}")))
    } else {
        Ok(())
    }
}

/// A resource by type and name.
pub(crate) async fn get<C: Conn>(c: &mut C, resource_type: &str, name: &str) -> Result<Option<Resource>, StoreError> {
    let row = c
        .fetch_optional(
            "SELECT resource_type, name, project, environment, created_at FROM resources \
             WHERE resource_type = $1 AND name = $2",
            args![resource_type, name],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A project's resources by type, then name.
pub(crate) async fn list<C: Conn>(
    c: &mut C,
    project: &ProjectKey,
    page: &PageRequest,
) -> Result<Page<Resource>, StoreError> {
    let listing = format!("resources:{project}");
    let (after_type, after_name): (String, String) = cursor::after(&listing, page)?.unwrap_or_default();
    let rows = c
        .fetch_all(
            "SELECT resource_type, name, project, environment, created_at FROM resources \
             WHERE project = $1 AND (resource_type, name) > ($2, $3) \
             ORDER BY resource_type, name LIMIT $4",
            args![project.as_str(), after_type, after_name, cursor::fetch_limit(page)],
        )
        .await?;
    let resources = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    cursor::finish(&listing, page, resources, |r| {
        (r.resource_type.clone(), r.name.as_str().to_owned())
    })
}

/// Every resource in model form, by type then name.
pub(crate) async fn specs<C: Conn>(c: &mut C) -> Result<Vec<ResourceSpec>, StoreError> {
    c.fetch_all(
        "SELECT resource_type, name, project, environment FROM resources ORDER BY resource_type, name",
        args![],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(ResourceSpec {
            resource_type: row.text("resource_type")?,
            name: row.text("name")?,
            project: row.text("project")?,
            environment: row.opt_text("environment")?,
        })
    })
    .collect()
}
