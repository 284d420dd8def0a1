//! What a caller needs to reach a route (STYLE §2.4): the account-level
//! rule the route table (`router.rs`) attaches to each route and the guard
//! (`guard.rs`) enforces before the handler runs.

use gatehouse_authz::AccountPermission;

/// What a caller needs to reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Anyone, authenticated or not.
    Public,
    /// Any authenticated user; the handler or the domain decides the rest.
    Authenticated,
    /// A platform admin, or a holder of this account permission, acting
    /// with a full-scope credential.
    Account(AccountPermission),
    /// A platform admin acting with a full-scope credential.
    Admin,
}
