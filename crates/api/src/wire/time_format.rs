//! Times on the wire: RFC 3339 in UTC (SPEC Appendix A).

use time::{OffsetDateTime, UtcOffset};

/// The same instant in UTC, as the wire shows it.
#[must_use]
pub fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(UtcOffset::UTC)
}
