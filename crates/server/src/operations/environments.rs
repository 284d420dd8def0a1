//! Environments (SPEC §5.4): global ones (platform admins) and a project's
//! own (holders of `project.manage_environments`); deletion with `force`
//! when roles use them.

use gatehouse_domain::Store as _;
use gatehouse_domain::commands::{Acting, environments};
use gatehouse_domain::entities::Environment;
use gatehouse_domain::names::{EnvName, EnvPart};
use gatehouse_domain::store::Page;
use serde_json::Value;

use super::visibility::visible_project;
use super::{Done, OpResult, Ops, Paging, expect_revision, not_found, page_of};
use crate::state::App;

/// Where an environment lives: global, or a project's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvPlace {
    /// The project's key; `None` for a global environment.
    pub project: Option<String>,
}

/// An environment deleted.
#[derive(Clone, Debug, Default)]
pub struct DeleteEnvironmentInput {
    /// Where it is.
    pub place: EnvPlace,
    /// Its name (`NAME` or, in a project, the full name).
    pub name: String,
    /// Remove it from the roles that use it.
    pub force: bool,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// An environment renamed; the roles naming it follow.
#[derive(Clone, Debug, Default)]
pub struct RenameEnvironmentInput {
    /// Where it is.
    pub place: EnvPlace,
    /// Its name (`NAME` or, in a project, the full name).
    pub name: String,
    /// The new name (`NAME`; in a project also `<key>-NAME`).
    pub new_name: String,
    /// The revision the caller read (`If-Match`).
    pub expected_revision: Option<u64>,
}

/// A page of environments: the global ones first, then the project's, by name.
fn env_page(listing: &str, found: Vec<Environment>, paging: &Paging) -> OpResult<Page<Environment>> {
    page_of(
        listing,
        found,
        |e| (e.project.is_some(), e.name.as_str().to_owned()),
        paging,
    )
}

/// The existing environment `raw` names at `place` (`NAME`, or in a
/// project `NAME` or its full name): a project's own environment is not
/// found through the global place, nor another project's through a project.
///
/// # Errors
/// 404.
fn existing(app: &App, acting: &Acting, place: &EnvPlace, raw: &str) -> OpResult<EnvName> {
    let snapshot = app.snapshot();
    match &place.project {
        None => {
            let part = EnvPart::parse(raw).map_err(|_| not_found("environment", raw))?;
            let name = EnvName::global(&part);
            if snapshot
                .env_id(name.as_str())
                .is_some_and(|e| snapshot.env_project(e).is_some())
            {
                return Err(not_found("environment", name.as_str()));
            }
            Ok(name)
        }
        Some(key) => {
            let (key, project) = visible_project(app, &snapshot, acting, key)?;
            let full = EnvName::existing_in_project(&key, raw).map_err(|_| not_found("environment", raw))?;
            let owned = snapshot
                .env_id(full.as_str())
                .is_some_and(|e| snapshot.env_project(e) == Some(project));
            if !owned {
                return Err(not_found("environment", full.as_str()));
            }
            Ok(full)
        }
    }
}

impl Ops<'_> {
    /// The environments usable at `place`: the global ones, and in a
    /// project its own too.
    ///
    /// # Errors
    /// 404 for a project the caller may not see; 422 naming `limit`; 400
    /// `invalid_cursor`.
    pub async fn list_environments(
        &self,
        acting: &Acting,
        place: &EnvPlace,
        paging: &Paging,
    ) -> OpResult<Page<Environment>> {
        let store = self.app.store();
        match &place.project {
            None => env_page("environments:", store.environments(None).await?, paging),
            Some(key) => {
                let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, key)?;
                let mut found = store.environments(None).await?;
                found.extend(store.environments(Some(&key)).await?);
                env_page(&format!("environments:{key}"), found, paging)
            }
        }
    }

    /// Creates an environment: global, or in a project `<key>-NAME` (a
    /// name already carrying the prefix is taken as is).
    ///
    /// # Errors
    /// 422; 403; 404; 409.
    pub async fn create_environment(
        &self,
        acting: &Acting,
        place: &EnvPlace,
        name: &str,
    ) -> OpResult<Done<Environment>> {
        match &place.project {
            None => {
                let part = EnvPart::parse(name)?;
                let writer = self.writer().await?;
                let commit = environments::create_global(&writer.ctx(acting, self.via), part.clone()).await?;
                let revision = writer.commit(&commit).await?;
                let created = Environment {
                    name: EnvName::global(&part),
                    project: None,
                };
                Ok(Done::new(revision, created))
            }
            Some(key) => {
                let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, key)?;
                let full = EnvName::for_project(&key, name)?;
                let writer = self.writer().await?;
                let commit = environments::create_in_project(&writer.ctx(acting, self.via), key.clone(), name).await?;
                let revision = writer.commit(&commit).await?;
                let created = Environment {
                    name: full,
                    project: Some(key),
                };
                Ok(Done::new(revision, created))
            }
        }
    }

    /// Deletes an environment (`DEV` and `PROD` stay; in use by roles, it
    /// needs `force`); answers `{"removed_from_roles",
    /// "left_without_environment", "removed_resources",
    /// "narrowed_token_scopes", "emptied_token_scopes"}`.
    ///
    /// # Errors
    /// 403; 404; 409 (`in_use`, `environment_protected`); 412.
    pub async fn delete_environment(&self, acting: &Acting, input: DeleteEnvironmentInput) -> OpResult<Done<Value>> {
        let name = existing(self.app, acting, &input.place, &input.name)?;
        let writer = self.writer().await?;
        let commit = environments::delete(&writer.ctx(acting, self.via), &name, input.force).await?;
        expect_revision(input.expected_revision, writer.snapshot().revision())?;
        let removed = commit.audit.after.clone().unwrap_or(Value::Null);
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, removed))
    }

    /// What uses each of `envs`: the roles naming it (`name` or
    /// `project/name`), in order. Platform admins only.
    ///
    /// # Errors
    /// 403; `internal` when the store fails.
    pub async fn environment_usage(&self, acting: &Acting, envs: &[Environment]) -> OpResult<Vec<Vec<String>>> {
        let snapshot = self.app.snapshot();
        Ok(environments::usage(&self.ctx(&snapshot, acting), envs)?)
    }

    /// Renames an environment; every role naming it is moved in the same
    /// commit (SPEC §5.4). Answers it under its new name.
    ///
    /// # Errors
    /// 403; 404; 409 (`environment_protected`, taken, `in_use` for
    /// registered resources); 412; 422 naming `new_name`.
    pub async fn rename_environment(
        &self,
        acting: &Acting,
        input: RenameEnvironmentInput,
    ) -> OpResult<Done<Environment>> {
        let name = existing(self.app, acting, &input.place, &input.name)?;
        let project = match &input.place.project {
            None => None,
            Some(key) => Some(visible_project(self.app, &self.app.snapshot(), acting, key)?.0),
        };
        let writer = self.writer().await?;
        let commit = environments::rename(&writer.ctx(acting, self.via), &name, &input.new_name).await?;
        expect_revision(input.expected_revision, writer.snapshot().revision())?;
        let renamed = match &project {
            Some(key) => EnvName::for_project(key, &input.new_name)?,
            None => EnvName::global(&EnvPart::parse(&input.new_name)?),
        };
        let revision = writer.commit(&commit).await?;
        Ok(Done::new(revision, Environment { name: renamed, project }))
    }
}
