//! Account permissions: the instance-wide permissions of SPEC §3.1, the same in
//! every catalogue.

use std::fmt;

/// An instance-wide permission held by a user (SPEC §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountPermission {
    /// Invite and modify accounts; manage groups.
    AccountsManage,
    /// Read and change the billing details.
    BillingManage,
    /// Create projects and change any project's settings.
    ProjectsManage,
    /// Read and export the audit log.
    AuditRead,
    /// Ask the check API about any user.
    AuthzQuery,
}

impl AccountPermission {
    /// Every account permission, in wire order.
    pub const ALL: [Self; 5] = [
        Self::AccountsManage,
        Self::BillingManage,
        Self::ProjectsManage,
        Self::AuditRead,
        Self::AuthzQuery,
    ];

    /// Wire name. Never rename; add a variant.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccountsManage => "accounts.manage",
            Self::BillingManage => "billing.manage",
            Self::ProjectsManage => "projects.manage",
            Self::AuditRead => "audit.read",
            Self::AuthzQuery => "authz.query",
        }
    }

    /// The seed's wording for the permission.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::AccountsManage => "Invite and modify accounts",
            Self::BillingManage => "Billing",
            Self::ProjectsManage => "Create and modify projects",
            Self::AuditRead => "Read the audit log",
            Self::AuthzQuery => "Query permissions",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for AccountPermission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of account permissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccountPermissions(u8);

impl AccountPermissions {
    /// No account permission.
    pub const NONE: Self = Self(0);

    /// Whether the set holds `permission`.
    #[must_use]
    pub const fn contains(self, permission: AccountPermission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Adds `permission`.
    pub fn insert(&mut self, permission: AccountPermission) {
        self.0 |= permission.bit();
    }

    /// The permissions in wire order.
    pub fn iter(self) -> impl Iterator<Item = AccountPermission> {
        AccountPermission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl serde::Serialize for AccountPermissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(AccountPermission::as_str))
    }
}

impl<'de> serde::Deserialize<'de> for AccountPermissions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                AccountPermission::parse(n)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown account permission `{n}`")))
            })
            .collect()
    }
}

impl FromIterator<AccountPermission> for AccountPermissions {
    fn from_iter<I: IntoIterator<Item = AccountPermission>>(iter: I) -> Self {
        let mut set = Self::NONE;
        for permission in iter {
            set.insert(permission);
        }
        set
    }
}
