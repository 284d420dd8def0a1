//! Gatehouse's authorization core: the permission catalogue, the compiled
//! in-memory model, and the answers to "may this user do this here?" with
//! their explanations (SPEC §1–§4).
//!
//! Pure by design: no I/O, no clock, no async runtime, no wire types. Time
//! and identity come in as arguments; names come in through [`Model`] and
//! [`Change`] and are interned to dense ids so that [`Snapshot::check`]
//! reads a few arrays and one hash slot, and allocates nothing.
//!
//! ```
//! use std::sync::Arc;
//! use gatehouse_authz::{Catalogue, Model, Snapshot, UserSpec, ProjectSpec, MemberSpec, Principal};
//!
//! let catalogue = Arc::new(Catalogue::platform().unwrap());
//! let mut model = Model::new(&catalogue);
//! model.users.push(UserSpec::person("alice"));
//! model.projects.push(ProjectSpec { key: "web".into(), admin_privileges: Default::default() });
//! model.members.push(MemberSpec {
//!     project: "web".into(),
//!     principal: Principal::User("alice".into()),
//!     roles: vec!["Developer".into()],
//! });
//! let snapshot = Snapshot::compile(catalogue, &model).unwrap();
//! let q = snapshot.query("alice", "repository.deploy", "web", Some("DEV")).unwrap().unwrap();
//! assert!(snapshot.check(&q).unwrap());
//! let q = snapshot.query("alice", "repository.deploy", "web", Some("PROD")).unwrap().unwrap();
//! assert!(!snapshot.check(&q).unwrap());
//! ```
#![deny(missing_docs)]

mod account;
mod batch;
pub mod catalogue;
mod check;
mod chunk_vec;
mod escalation;
mod ids;
mod impact;
mod model;
mod reverse;
mod scope;
mod sets;
mod snapshot;

pub use account::{AccountPermission, AccountPermissions};
pub use catalogue::{Catalogue, CatalogueError, CatalogueErrorKind, RoleType};
pub use check::{Denial, Explanation, Grant, Grants, Member, Query, QueryError};
pub use escalation::{Actor, Escalation, Shortfall};
pub use ids::{ActionId, EnvId, GroupId, ProjectId, RoleId, UserId};
pub use impact::{AccountChange, DecisionChange, Impact};
pub use model::{
    AdminPrivileges, Change, EnvironmentSpec, GroupSpec, MemberSpec, Model, Principal, ProjectSpec, ResourceSpec,
    RoleGrants, RoleSpec, UserKind, UserSpec, UserStatus,
};
pub use reverse::{Allowed, Permission};
pub use scope::{ScopeEntrySpec, TokenScope};
pub use sets::ActionSet;
pub use snapshot::{ModelError, RoleView, Snapshot};
