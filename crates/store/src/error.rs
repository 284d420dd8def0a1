//! From database errors to [`StoreError`]: constraint violations are
//! conflicts the caller can explain, everything else is a backend failure.

use gatehouse_domain::StoreError;
use sqlx::error::ErrorKind;

/// Maps a sqlx error: a unique, foreign-key, not-null or check violation
/// becomes [`StoreError::Conflict`], anything else [`StoreError::Backend`].
pub(crate) fn from_sqlx(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        let what = match db.kind() {
            ErrorKind::UniqueViolation => Some("already exists"),
            ErrorKind::ForeignKeyViolation => Some("refers to something that does not exist"),
            ErrorKind::NotNullViolation | ErrorKind::CheckViolation => Some("is not allowed"),
            _ => None,
        };
        if let Some(what) = what {
            return StoreError::Conflict(format!("{what} ({})", db.message()));
        }
    }
    StoreError::Backend(error.to_string())
}

/// Names the mutation or operation a conflict arose in, e.g.
/// "create user `bob`: already exists (UNIQUE constraint failed: users.username)".
pub(crate) fn in_context(error: StoreError, context: impl FnOnce() -> String) -> StoreError {
    match error {
        StoreError::Conflict(message) => StoreError::Conflict(format!("{}: {message}", context())),
        other => other,
    }
}

/// A row the mutation names is not there.
pub(crate) fn missing(kind: &str, name: &str) -> StoreError {
    StoreError::Conflict(format!("{kind} `{name}` does not exist"))
}

/// A value read back from the database that does not fit its type.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in the database: {detail}"))
}

/// An I/O failure outside the database (backup files).
pub(crate) fn io(context: &str, error: &std::io::Error) -> StoreError {
    StoreError::Backend(format!("{context}: {error}"))
}
