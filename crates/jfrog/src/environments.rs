//! Environments on JFrog's wire (`/access/api/v1/environments` and
//! `/access/api/v1/projects/{key}/environments`): `{"name"}`, listed as a
//! bare array; renamed with `{"new_name"}`.

use gatehouse_api as api;
use serde::{Deserialize, Serialize};

use crate::error::Failure;

/// An environment as JFrog answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The full name (`DEV`, `web-QA`).
    pub name: String,
}

impl From<&api::Environment> for Environment {
    fn from(e: &api::Environment) -> Self {
        Self { name: e.name.clone() }
    }
}

/// `POST` of an environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentBody {
    /// `NAME`, or in a project the full `<key>-NAME` as JFrog's clients send it.
    pub name: Option<String>,
}

/// `POST …/environments/{name}/rename`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameBody {
    /// The new name.
    pub new_name: Option<String>,
}

/// The native request of a JFrog environment body.
///
/// # Errors
/// 400 without a `name`.
pub fn create(body: EnvironmentBody) -> Result<api::CreateEnvironment, Failure> {
    let name = body.name.ok_or_else(|| Failure::field("name", "is required"))?;
    Ok(api::CreateEnvironment { name })
}

/// The new name of a rename body.
///
/// # Errors
/// 400 without a `new_name`.
pub fn new_name(body: RenameBody) -> Result<String, Failure> {
    body.new_name.ok_or_else(|| Failure::field("new_name", "is required"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{EnvironmentBody, RenameBody, create, new_name};
    use crate::body;

    #[test]
    fn environment_bodies_map_to_native_requests() {
        // Source: jfrog/terraform-provider-project, pkg/project/resource/resource_project_environment.go
        // (ProjectEnvironmentAPIModel: the provider posts the full `<key>-<name>`).
        let parsed: EnvironmentBody = body::json(json!({"name": "web-QA"}).to_string().as_bytes()).unwrap();
        assert_eq!(create(parsed).unwrap().name, "web-QA");
        let parsed: EnvironmentBody = body::json(b"{}").unwrap();
        assert_eq!(create(parsed).unwrap_err().status, 400);
        // The same file: ProjectEnvironmentUpdateAPIModel, posted to `…/{environmentName}/rename`.
        let parsed: RenameBody = body::json(json!({"new_name": "web-STAGE"}).to_string().as_bytes()).unwrap();
        assert_eq!(new_name(parsed).unwrap(), "web-STAGE");
        assert_eq!(new_name(RenameBody::default()).unwrap_err().status, 400);
    }
}
