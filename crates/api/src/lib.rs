//! Gatehouse's wire layer: the native API's JSON shapes (SPEC Appendix A),
//! the one table from error codes to HTTP statuses, and the problem+json
//! error shape (SPEC §7).
//!
//! No HTTP server, runtime or SQL here: the server turns these into
//! responses. Request bodies are strict (`deny_unknown_fields`).
#![deny(missing_docs)]

pub mod error_code;
pub mod problem;
pub mod secret;
pub mod wire;

pub use error_code::ErrorCode;
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, ProblemField};
pub use secret::Secret;
pub use wire::audit::{AuditActor, AuditChain, AuditRecord, AuditTarget};
pub use wire::catalogue::{Catalogue, CatalogueAction, CategoryEntry, ResourceTypeEntry};
pub use wire::check::{
    BatchRequest, BatchResponse, CheckRequest, CheckResponse, CheckResult, Grant, PermissionEntry, Permissions,
    ResourceRef, Via, WhoCan, WhoCanUser, grant,
};
pub use wire::document::{
    DOCUMENT_VERSION, DocGroup, DocProject, DocResource, DocRole, DocUser, Document, ImportReport,
};
pub use wire::environments::{CreateEnvironment, Environment};
pub use wire::groups::{CreateGroup, Group, PatchGroup, PatchGroupMembers};
pub use wire::impact::{DryRun, Impact};
pub use wire::invitations::{
    AcceptInvitation, CreateInvitation, DeliveryStatus, InvitationSent, Message, RequestPasswordReset, ResetPassword,
};
pub use wire::members::{Member, MemberKind, SetRoles};
pub use wire::page::Page;
pub use wire::projects::{AdminPrivileges, CreateProject, PatchProject, Project};
pub use wire::resources::{CreateResource, Resource};
pub use wire::roles::{CreateRole, PatchRole, Role, RoleKind, RoleMode};
pub use wire::scope_kind::ScopeKind;
pub use wire::settings::{Billing, Instance, PutSettings, Settings};
pub use wire::tokens::{CreateToken, CreatedToken, Scope, ScopeEntry, Token};
pub use wire::users::{
    CreateUser, LinkOidc, Login, LoginResponse, ManagedBy, Membership, OidcInfo, OidcTokenRequest, PatchUser,
    SetPassword, TokenRequest, User, UserKind, UserStatus,
};
