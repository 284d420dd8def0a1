//! First start (SPEC §6.4): the `DEV` and `PROD` environments, the
//! catalogue's predefined roles and the platform admin `admin`, invited
//! until its first login — one commit into an empty store.

use gatehouse_authz::Catalogue;
use time::OffsetDateTime;

use crate::commit::{AuditActor, AuditEntry, Commit, Mutation, Via};
use crate::entities::{Environment, Role, RoleMode, User};
use crate::error::DomainError;
use crate::names::{Description, EnvName, EnvPart, RoleName, Username};

/// The first admin's username.
pub const FIRST_ADMIN: &str = "admin";

/// The commit that initialises an empty store.
///
/// # Errors
/// Never for the shipped catalogues; a custom catalogue's role names must
/// be valid role names.
pub fn initialize(
    catalogue: &Catalogue,
    admin_password_hash: String,
    now: OffsetDateTime,
) -> Result<Commit, DomainError> {
    let mut mutations = Vec::new();
    for name in gatehouse_authz::catalogue::PROTECTED_ENVIRONMENTS {
        let name = EnvName::global(&EnvPart::parse(name)?);
        mutations.push(Mutation::CreateEnvironment(Environment { name, project: None }));
    }
    for role in catalogue.predefined_roles() {
        mutations.push(Mutation::PutRole(Role {
            name: RoleName::parse(&role.name)?,
            project: None,
            description: Description::parse("description", &role.description, 1_024)?,
            role_type: role.role_type,
            mode: RoleMode::Basic,
            categories: role.categories.clone(),
            actions: Vec::new(),
            environments: role.environments.iter().map(|e| EnvName::from_trusted(e)).collect(),
            revision: 0,
        }));
    }
    let admin = Username::parse(FIRST_ADMIN)?;
    let mut user = User::new(admin, None, now, None);
    user.admin = true;
    user.password_hash = Some(admin_password_hash);
    mutations.push(Mutation::CreateUser(user));

    let audit = AuditEntry {
        actor: AuditActor {
            via: Some(Via::System),
            ..AuditActor::default()
        },
        event: "instance.initialized".into(),
        target_type: "instance".into(),
        target_id: catalogue.name().into(),
        project: None,
        before: None,
        after: Some(serde_json::json!({"catalogue": catalogue.name(), "admin": FIRST_ADMIN})),
        request_id: None,
    };
    Ok(Commit {
        mutations,
        audit,
        expected_revision: Some(0),
    })
}
