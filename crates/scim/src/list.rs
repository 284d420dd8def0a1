//! Paging by `startIndex` and `count` (RFC 7644 §3.4.2.4) and the
//! `ListResponse` message.

use serde_json::{Value, json};

use crate::error::ScimError;

/// A page request: a 1-based start and a count already capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// 1-based index of the first result.
    pub start_index: usize,
    /// How many results at most; 0 asks only for the total.
    pub count: usize,
}

impl Paging {
    /// Reads `startIndex` and `count` as given in the query: a start below 1
    /// is 1, a negative count is 0, a count above [`crate::MAX_RESULTS`] is
    /// capped (never refused).
    ///
    /// # Errors
    /// `invalidValue` when either is not an integer.
    pub fn from_query(start_index: Option<&str>, count: Option<&str>) -> Result<Self, ScimError> {
        let int = |name: &str, v: Option<&str>, default: i64| -> Result<i64, ScimError> {
            v.map_or(Ok(default), |s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::invalid_value(format!("`{name}` must be an integer")))
            })
        };
        let start = int("startIndex", start_index, 1)?.max(1);
        let count = int("count", count, crate::MAX_RESULTS as i64)?.clamp(0, crate::MAX_RESULTS as i64);
        Ok(Self {
            start_index: usize::try_from(start).unwrap_or(usize::MAX),
            count: usize::try_from(count).unwrap_or(0),
        })
    }

    /// The 0-based offset of the first result.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.start_index - 1
    }
}

/// A `ListResponse` of `resources` (already the page), out of `total`.
#[must_use]
pub fn list_response(total: usize, paging: Paging, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [crate::LIST_RESPONSE],
        "totalResults": total,
        "startIndex": paging.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_caps_and_floors() {
        let p = |s, c| Paging::from_query(s, c).unwrap();
        assert_eq!(
            p(None, None),
            Paging {
                start_index: 1,
                count: crate::MAX_RESULTS
            }
        );
        assert_eq!(
            p(Some("0"), Some("-3")),
            Paging {
                start_index: 1,
                count: 0
            }
        );
        assert_eq!(
            p(Some("5"), Some("100000")),
            Paging {
                start_index: 5,
                count: crate::MAX_RESULTS
            }
        );
        assert_eq!(p(Some("5"), Some("0")).offset(), 4);
        assert!(Paging::from_query(Some("x"), None).is_err());
    }
}
