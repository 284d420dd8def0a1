//! One page of a list answer and the list query (SPEC §7).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page: `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// The cursor of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Items when no `limit` is given.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// The largest `limit`; above it, 422.
    pub const MAX_LIMIT: u32 = 1_000;

    /// A page of `items` converted to their wire shape.
    #[must_use]
    pub fn map<U, F: FnMut(U) -> T>(items: impl IntoIterator<Item = U>, next_cursor: Option<String>, f: F) -> Self {
        Self {
            items: items.into_iter().map(f).collect(),
            next_cursor,
        }
    }
}
