//! The numeric limits of SPEC §4–§6, in one place.

use time::Duration;

/// Project roles per project (SPEC §4).
pub const MAX_PROJECT_ROLES: usize = 30;
/// Custom global roles (SPEC §4).
pub const MAX_CUSTOM_GLOBAL_ROLES: usize = 30;
/// Global environments, `DEV` and `PROD` included (SPEC §5.4).
pub const MAX_GLOBAL_ENVIRONMENTS: usize = 30;
/// A project's own environments (SPEC §5.4).
pub const MAX_PROJECT_ENVIRONMENTS: usize = 30;
/// Failed logins within [`LOCKOUT_WINDOW`] that lock an account (SPEC §5.1).
pub const LOCKOUT_FAILURES: u32 = 10;
/// The window failed logins are counted in.
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
/// How long a lockout lasts.
pub const LOCKOUT_DURATION: Duration = Duration::minutes(15);
/// How long an invitation stays valid (SPEC §5.1).
pub const INVITATION_TTL: Duration = Duration::days(7);
/// How long a password-reset link works (SPEC §5.1).
pub const PASSWORD_RESET_TTL: Duration = Duration::hours(1);
/// Longest description of a project or token.
pub const MAX_DESCRIPTION: usize = 1_024;
/// Longest attribute of a profile an identity provider sends (SCIM
/// `externalId`, `displayName`, `name.givenName`, `name.familyName`).
pub const MAX_PROFILE_FIELD: usize = 256;
