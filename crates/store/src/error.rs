//! From database errors to [`StoreError`]: constraint violations are
//! conflicts the caller can explain, everything else is a backend failure.

use gatehouse_domain::StoreError;
use sqlx::error::ErrorKind;

/// Maps a sqlx error: a unique, foreign-key, not-null or check violation
/// becomes [`StoreError::Conflict`]; a lost or refused connection, a server
/// shutting down, a read-only server (a standby after failover) or a full
/// disk [`StoreError::Unavailable`]; anything else [`StoreError::Backend`].
pub(crate) fn from_sqlx(error: sqlx::Error) -> StoreError {
    if let Some(full) = unavailable(&error) {
        return StoreError::Unavailable {
            full,
            detail: error.to_string(),
        };
    }
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

/// `Some(full)` when `error` means the store cannot be reached or cannot
/// write just now — retrying later may succeed — and `None` otherwise.
fn unavailable(error: &sqlx::Error) -> Option<bool> {
    match error {
        sqlx::Error::Io(io) => Some(is_full(io)),
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_) => Some(false),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            let code = code.as_ref();
            if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
                // 08: connection exception; 57P01–57P03: admin shutdown,
                // crash shutdown, cannot connect now; 25006: read-only
                // transaction (a standby); 53100: disk full; 53xxx: other
                // insufficient resources.
                match code {
                    "53100" => Some(true),
                    "25006" | "57P01" | "57P02" | "57P03" => Some(false),
                    c if c.starts_with("08") || c.starts_with("53") => Some(false),
                    _ => None,
                }
            } else {
                // SQLite primary result codes, in the low byte of the
                // extended code: 13 SQLITE_FULL; 5 SQLITE_BUSY, 6
                // SQLITE_LOCKED, 10 SQLITE_IOERR, 14 SQLITE_CANTOPEN.
                match code.parse::<i64>().ok()? & 0xff {
                    13 => Some(true),
                    5 | 6 | 10 | 14 => Some(false),
                    _ => None,
                }
            }
        }
        _ => None,
    }
}

/// Whether an I/O error says the disk is full (`ENOSPC`, `EDQUOT`).
fn is_full(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
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
    if is_full(error) {
        return StoreError::Unavailable {
            full: true,
            detail: format!("{context}: {error}"),
        };
    }
    StoreError::Backend(format!("{context}: {error}"))
}
