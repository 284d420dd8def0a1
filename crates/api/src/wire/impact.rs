//! The answer of a dry run (SPEC §7.2): what a write would do to people's
//! access — the decisions it flips and the account permissions it gives or
//! takes — computed against the model at `revision`, with nothing written.

use gatehouse_authz as authz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a decision or permission is gained or lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Allowed after the write, not before.
    Gained,
    /// Allowed before the write, not after.
    Lost,
}

impl Change {
    fn of(gained: bool) -> Self {
        if gained { Self::Gained } else { Self::Lost }
    }
}

/// One (user, project, environment, action) decision the write flips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DecisionChange {
    /// The user.
    pub user: String,
    /// The project's key.
    pub project: String,
    /// The environment; `null` for an action that is not environment-scoped.
    pub environment: Option<String>,
    /// The action's id.
    pub action: String,
    /// Gained or lost.
    pub change: Change,
}

/// One account permission the write gives or takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountChange {
    /// The user.
    pub user: String,
    /// The account permission (`accounts.manage`, …).
    pub permission: String,
    /// Gained or lost.
    pub change: Change,
}

/// What the write does to access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Impact {
    /// Distinct users whose access changes.
    pub users: usize,
    /// Decisions that become allowed.
    pub gained: usize,
    /// Decisions that become denied.
    pub lost: usize,
    /// At most `limit` changes, by user, project, environment, action.
    pub changes: Vec<DecisionChange>,
    /// Account permissions given or taken.
    pub account_changes: Vec<AccountChange>,
    /// More changes exist than are listed.
    pub truncated: bool,
    /// Changes in projects the caller may not ask about: counted, never listed.
    pub hidden: usize,
}

impl From<&authz::Impact> for Impact {
    fn from(impact: &authz::Impact) -> Self {
        Self {
            users: impact.users,
            gained: impact.gained,
            lost: impact.lost,
            changes: impact
                .changes
                .iter()
                .map(|c| DecisionChange {
                    user: c.user.to_string(),
                    project: c.project.to_string(),
                    environment: c.environment.as_deref().map(str::to_owned),
                    action: c.action.to_string(),
                    change: Change::of(c.gained),
                })
                .collect(),
            account_changes: impact
                .account_changes
                .iter()
                .map(|c| AccountChange {
                    user: c.user.to_string(),
                    permission: c.permission.as_str().to_owned(),
                    change: Change::of(c.gained),
                })
                .collect(),
            truncated: impact.truncated,
            hidden: impact.hidden,
        }
    }
}

/// `?dry_run=true` on a write: its impact, and nothing written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DryRun {
    /// Always `true`.
    pub dry_run: bool,
    /// The revision of the model the impact was computed against.
    pub revision: u64,
    /// What the write would do.
    pub impact: Impact,
}
