//! Keyset paging: a cursor is base64url (no padding) of the JSON
//! `{"l": "<listing>", "a": <last key>}`; the next page starts after that
//! key. A cursor that does not decode, or belongs to another listing, is
//! [`StoreError::InvalidCursor`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Page, PageRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The most items one page holds, whatever the request asks.
pub(crate) const MAX_LIMIT: usize = 10_000;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor<T> {
    l: String,
    a: T,
}

/// The key to start after, from a request's cursor for `listing`.
pub(crate) fn after<T: DeserializeOwned>(listing: &str, page: &PageRequest) -> Result<Option<T>, StoreError> {
    let Some(raw) = &page.cursor else { return Ok(None) };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| StoreError::InvalidCursor)?;
    let cursor: Cursor<T> = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if cursor.l == listing {
        Ok(Some(cursor.a))
    } else {
        Err(StoreError::InvalidCursor)
    }
}

/// How many rows to ask the database for: one more than the page holds,
/// to learn whether another page follows.
pub(crate) fn fetch_limit(page: &PageRequest) -> i64 {
    i64::try_from(limit(page) + 1).unwrap_or(i64::MAX)
}

/// The page size: the request's limit, at least 1 and at most [`MAX_LIMIT`].
pub(crate) fn limit(page: &PageRequest) -> usize {
    page.limit.clamp(1, MAX_LIMIT)
}

/// Cuts `items` (fetched with [`fetch_limit`]) to the page and, if more
/// follow, makes the cursor after its last item.
pub(crate) fn finish<T, K: Serialize>(
    listing: &str,
    page: &PageRequest,
    mut items: Vec<T>,
    key: impl Fn(&T) -> K,
) -> Result<Page<T>, StoreError> {
    let limit = limit(page);
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| encode(listing, &key(last))).transpose()?
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

fn encode<K: Serialize>(listing: &str, key: &K) -> Result<String, StoreError> {
    let json = serde_json::to_vec(&Cursor {
        l: listing.to_owned(),
        a: key,
    })
    .map_err(|e| StoreError::Backend(format!("cannot encode a cursor: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// A `LIKE` pattern matching `q` anywhere, case-insensitively when compared
/// with a lower-cased column; `%`, `_` and `\` in `q` match themselves
/// (the statements say `ESCAPE '\'`).
pub(crate) fn contains_pattern(q: Option<&str>) -> Option<String> {
    q.map(|q| {
        let mut pattern = String::with_capacity(q.len() + 2);
        pattern.push('%');
        for c in q.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    })
}
