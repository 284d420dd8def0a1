//! [`Store`]: one enum over a SQLite and a PostgreSQL pool — opening,
//! migrating, and running a piece of SQL on a connection, a read
//! transaction or a write transaction of whichever backend it holds.

use std::str::FromStr as _;
use std::time::Duration;

use gatehouse_domain::StoreError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Database, PgPool, SqlitePool, Transaction};

use crate::error::from_sqlx;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite writer waits for the write lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Rows SQLite's worker thread may hand over ahead of the reader. sqlx's
/// default (50) makes a reader of millions of rows (the model at start)
/// wait on the worker, and wake it, every few rows.
const SQLITE_ROW_BUFFER: usize = 4_096;

/// How long a PostgreSQL request waits for a connection (made again after
/// a lost one) before it fails as unavailable.
const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database a [`Store`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL database, which several instances may share.
    Postgres,
}

/// Gatehouse's store: everything it keeps, in SQLite or PostgreSQL. Cheap to
/// clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens (creating it if needed) and migrates the store at `url`:
    /// `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite://path`
    /// (with options such as `?mode=rwc`) or a plain file path for SQLite.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL` (a committed write
    /// survives `kill -9` and power loss), foreign keys on, and a 30 s busy
    /// timeout for writers waiting on each other.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the database cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            refuse_multi_host(url)?;
            let options = PgConnectOptions::from_str(url).map_err(from_sqlx)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                // A lost server answers 503 within this, not 30 s later.
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(from_sqlx)?;
            Pool::Postgres(pool)
        } else {
            let options = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url).map_err(from_sqlx)?
            } else {
                SqliteConnectOptions::new().filename(url).create_if_missing(true)
            };
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .row_buffer_size(SQLITE_ROW_BUFFER);
            let file = options.get_filename().to_owned();
            let create = !url.starts_with("sqlite:") || url.contains("mode=rwc");
            private_file(&file, create)?;
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(from_sqlx)?;
            // SQLite gives its -wal and -shm files the database file's mode;
            // files left by an earlier process are set again.
            for suffix in ["-wal", "-shm"] {
                let mut name = file.clone().into_os_string();
                name.push(suffix);
                private_file(std::path::Path::new(&name), false)?;
            }
            Pool::Sqlite(pool)
        };
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens and migrates the store at `url` as [`Store::open`] does, but
    /// only if it already holds a Gatehouse store: a missing SQLite file,
    /// or a database without Gatehouse's tables, is refused and nothing is
    /// created (SPEC §8: the operator commands never back up or verify an
    /// empty store made up on the spot).
    ///
    /// # Errors
    /// [`StoreError::Backend`] saying there is no store there, or why the
    /// database cannot be opened.
    pub async fn open_existing(url: &str) -> Result<Self, StoreError> {
        const TABLES: &str = "('revision', 'audit_head', 'users')";
        let found: i64 = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(from_sqlx)?;
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(from_sqlx)?;
            let found = sqlx::query_scalar(concat!(
                "SELECT COUNT(*) FROM information_schema.tables ",
                "WHERE table_schema = current_schema() AND table_name IN ('revision', 'audit_head', 'users')"
            ))
            .fetch_one(&pool)
            .await
            .map_err(from_sqlx);
            pool.close().await;
            found?
        } else {
            let options = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url).map_err(from_sqlx)?
            } else {
                SqliteConnectOptions::new().filename(url)
            };
            let file = options.get_filename().to_owned();
            if !file.is_file() {
                return Err(StoreError::Backend(format!(
                    "no Gatehouse store at `{}` (the file does not exist)",
                    file.display()
                )));
            }
            // Neither created nor switched to WAL: only looked at.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.create_if_missing(false))
                .await
                .map_err(from_sqlx)?;
            let found = sqlx::query_scalar(concat!(
                "SELECT COUNT(*) FROM sqlite_master ",
                "WHERE type = 'table' AND name IN ('revision', 'audit_head', 'users')"
            ))
            .fetch_one(&pool)
            .await
            .map_err(from_sqlx);
            pool.close().await;
            found?
        };
        if found != 3 {
            return Err(StoreError::Backend(format!(
                "the database holds no Gatehouse store (tables {TABLES} missing)"
            )));
        }
        Self::open(url).await
    }

    /// Applies the migrations this build has and the database lacks.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if a migration fails, or the database holds
    /// a migration this build does not know.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        result.map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// Which database this store uses.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database's size in bytes (SQLite: its pages; PostgreSQL: `pg_database_size`).
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the size cannot be read.
    pub async fn size_bytes(&self) -> Result<u64, StoreError> {
        let bytes: i64 = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
                    .fetch_one(pool)
                    .await
                    .map_err(from_sqlx)?
            }
            Pool::Postgres(pool) => sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(pool)
                .await
                .map_err(from_sqlx)?,
        };
        Ok(u64::try_from(bytes).unwrap_or_default())
    }

    /// Closes every connection; the store is unusable afterwards.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) const fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// Refuses libpq's failover forms — several hosts (`postgres://a,b/db`)
/// or `target_session_attrs` — which the driver (sqlx) does not support
/// and would otherwise misread or silently ignore: a failover setting that
/// does nothing is worse than none. docs/operations.md says what to put in
/// front instead (a PgBouncer, HAProxy or a managed endpoint).
fn refuse_multi_host(url: &str) -> Result<(), StoreError> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, hosts)| hosts);
    let query = url.split_once('?').map_or("", |(_, query)| query);
    if hosts.contains(',') || query.split('&').any(|p| p.starts_with("target_session_attrs=")) {
        return Err(StoreError::Backend(
            "database_url: several hosts and `target_session_attrs` are not supported by this PostgreSQL \
             driver; give one host — a PgBouncer, HAProxy or managed endpoint that follows the primary \
             (see docs/operations.md, \"Failover\")"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Makes the SQLite file `file` readable and writable by its owner only
/// (it holds password and token hashes): created with mode 0600 when
/// `create` and it is missing, set to 0600 when it exists with more.
fn private_file(file: &std::path::Path, create: bool) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        return Ok(());
    }
    let failed = |e: std::io::Error| StoreError::Backend(format!("cannot make `{}` private: {e}", file.display()));
    match std::fs::metadata(file) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(failed)
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            // An empty file is an empty SQLite database.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
            {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                // A directory that does not exist is sqlx's to report.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(failed(e)),
            }
        }
        Err(_) => Ok(()),
    }
}

/// The newest schema version this build has: backups record it.
pub(crate) fn schema_version() -> i64 {
    SQLITE_MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Commits `tx` if `result` is `Ok`, else rolls it back; answers `result`.
pub(crate) async fn finish<DB: Database, T>(
    tx: Transaction<'static, DB>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(from_sqlx)?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback closes the connection; the error that
            // matters is the one that caused it.
            tx.rollback().await.ok();
            Err(error)
        }
    }
}

/// `with_conn!(store, |c| body)`: runs `body` (which may `.await`) with `c`,
/// a `&mut impl Conn` on a pooled connection in autocommit mode.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite(pool) => {
                let mut pooled = pool.acquire().await.map_err($crate::error::from_sqlx)?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::store::Pool::Postgres(pool) => {
                let mut pooled = pool.acquire().await.map_err($crate::error::from_sqlx)?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// `with_read_tx!(store, |c| body)`: runs `body` in a read transaction that
/// sees one consistent state (SQLite: a WAL read snapshot; PostgreSQL:
/// `REPEATABLE READ, READ ONLY`).
macro_rules! with_read_tx {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite(pool) => {
                let mut tx = pool.begin().await.map_err($crate::error::from_sqlx)?;
                let result = {
                    let $conn = &mut *tx;
                    $body
                };
                $crate::store::finish(tx, result).await
            }
            $crate::store::Pool::Postgres(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
                    .map_err($crate::error::from_sqlx)?;
                let result = {
                    let $conn = &mut *tx;
                    $body
                };
                $crate::store::finish(tx, result).await
            }
        }
    };
}
pub(crate) use with_read_tx;

/// `with_write_tx!(store, |c| body)`: runs `body` in a write transaction,
/// committed if it answers `Ok`, rolled back otherwise.
///
/// SQLite: `BEGIN IMMEDIATE` takes the database's write lock at the start,
/// so two writers never interleave. PostgreSQL: `READ COMMITTED`; a body
/// that commits a revision takes the revision row's lock first thing (see
/// `revision::bump`), which serialises writers just as well.
macro_rules! with_write_tx {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err($crate::error::from_sqlx)?;
                let result = {
                    let $conn = &mut *tx;
                    $body
                };
                $crate::store::finish(tx, result).await
            }
            $crate::store::Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err($crate::error::from_sqlx)?;
                let result = {
                    let $conn = &mut *tx;
                    $body
                };
                $crate::store::finish(tx, result).await
            }
        }
    };
}
pub(crate) use with_write_tx;

#[cfg(test)]
mod tests {
    use super::refuse_multi_host;

    #[test]
    fn libpq_failover_forms_are_refused_not_ignored() {
        assert!(refuse_multi_host("postgres://u@db:5432/gatehouse?sslmode=require").is_ok());
        assert!(refuse_multi_host("postgres://u:p%2C@db/gatehouse").is_ok());
        for url in [
            "postgres://u@db1:5432,db2:5432/gatehouse",
            "postgresql://db1,db2/gatehouse",
            "postgres://u@db/gatehouse?target_session_attrs=read-write",
            "postgres://u@db/gatehouse?sslmode=require&target_session_attrs=primary",
        ] {
            let refused = refuse_multi_host(url).unwrap_err().to_string();
            assert!(refused.contains("docs/operations.md"), "{url}: {refused}");
        }
    }
}
