//! A project's resources (SPEC §5.6): list, register, remove — holders of
//! `project.manage_resources` write; members read.

use gatehouse_domain::Store as _;
use gatehouse_domain::commands::{Acting, resources};
use gatehouse_domain::entities::Resource;
use gatehouse_domain::names::ResourceName;
use gatehouse_domain::store::Page;

use super::visibility::visible_project;
use super::{Done, OpResult, Ops, Paging, expect_revision, not_found};
use crate::problem::ApiProblem;

/// A resource of a project.
#[derive(Clone, Debug, Default)]
pub struct ResourceInput {
    /// The project's key.
    pub project: String,
    /// The resource type (`repository`, …).
    pub resource_type: String,
    /// Its name.
    pub name: String,
    /// Its environment, when registering one of an environment-scoped type.
    pub environment: Option<String>,
    /// The revision the caller read (`If-Match`), when removing.
    pub expected_revision: Option<u64>,
}

impl Ops<'_> {
    /// A project's resources, by type, then name.
    ///
    /// # Errors
    /// 404 for a project the caller may not see; 422 naming `limit`; 400
    /// `invalid_cursor`.
    pub async fn list_resources(&self, acting: &Acting, project: &str, paging: &Paging) -> OpResult<Page<Resource>> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, project)?;
        Ok(self.app.store().resources(&key, &paging.request()?).await?)
    }

    /// Registers a resource.
    ///
    /// # Errors
    /// 422; 403; 404; 409.
    pub async fn register_resource(&self, acting: &Acting, input: ResourceInput) -> OpResult<Done<Resource>> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, &input.project)?;
        let name = ResourceName::parse(&input.name)?;
        let writer = self.writer().await?;
        let commit = resources::register(
            &writer.ctx(acting, self.via),
            key,
            &input.resource_type,
            name.clone(),
            input.environment.as_deref(),
        )
        .await?;
        let revision = writer.commit(&commit).await?;
        let resource = self
            .app
            .store()
            .resource(&input.resource_type, name.as_str())
            .await?
            .ok_or_else(|| ApiProblem::internal("a committed resource is missing", &name.as_str()))?;
        Ok(Done::new(revision, resource))
    }

    /// Removes a resource.
    ///
    /// # Errors
    /// 403; 404; 412.
    pub async fn remove_resource(&self, acting: &Acting, input: ResourceInput) -> OpResult<Done<()>> {
        let (key, _) = visible_project(self.app, &self.app.snapshot(), acting, &input.project)?;
        let name = ResourceName::parse(&input.name).map_err(|_| not_found("resource", &input.name))?;
        let writer = self.writer().await?;
        let commit = resources::remove(&writer.ctx(acting, self.via), key, &input.resource_type, name).await?;
        expect_revision(input.expected_revision, writer.snapshot().revision())?;
        Ok(Done::new(writer.commit(&commit).await?, ()))
    }
}
