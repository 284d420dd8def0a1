//! The SQL of environments (SPEC §5.4): create, delete (removing it from
//! every role, by cascade) and list.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::Environment;
use gatehouse_domain::names::{EnvName, ProjectKey};

use crate::codec::int;
use crate::conn::{Conn, Row as _, args};
use crate::error::missing;
use crate::projects;

/// Inserts an environment; a project's own moves the project's revision.
pub(crate) async fn create<C: Conn>(c: &mut C, env: &Environment, revision: u64) -> Result<(), StoreError> {
    let project = env.project.as_ref().map(|p| p.as_str().to_owned());
    c.execute(
        "INSERT INTO environments (name, project) VALUES ($1, $2)",
        args![env.name.as_str(), project.clone()],
    )
    .await?;
    if let Some(project) = project {
        projects::touch(c, &project, revision).await?;
    }
    Ok(())
}

/// Deletes an environment; the roles naming it lose it (cascade) and move
/// to `revision`, as does its project.
pub(crate) async fn delete<C: Conn>(c: &mut C, name: &EnvName, revision: u64) -> Result<(), StoreError> {
    let Some(row) = c
        .fetch_optional("SELECT project FROM environments WHERE name = $1", args![name.as_str()])
        .await?
    else {
        return Err(missing("environment", name.as_str()));
    };
    c.execute(
        "UPDATE roles SET revision = $1 WHERE id IN (SELECT role_id FROM role_environments WHERE environment = $2)",
        args![int(revision)?, name.as_str()],
    )
    .await?;
    c.execute("DELETE FROM environments WHERE name = $1", args![name.as_str()])
        .await?;
    if let Some(project) = row.opt_text("project")? {
        projects::touch(c, &project, revision).await?;
    }
    Ok(())
}

/// Global environments (`None`) or one project's own, by name.
pub(crate) async fn list<C: Conn>(c: &mut C, project: Option<&ProjectKey>) -> Result<Vec<Environment>, StoreError> {
    let rows = match project {
        None => {
            c.fetch_all(
                "SELECT name FROM environments WHERE project IS NULL ORDER BY name",
                args![],
            )
            .await?
        }
        Some(key) => {
            c.fetch_all(
                "SELECT name FROM environments WHERE project = $1 ORDER BY name",
                args![key.as_str()],
            )
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(Environment {
                name: EnvName::from_trusted(&row.text("name")?),
                project: project.cloned(),
            })
        })
        .collect()
}
