//! The backends every conformance test runs on: a SQLite file in a temporary
//! directory always, and a fresh PostgreSQL database `gh_<uuid>` when
//! `GATEHOUSE_TEST_POSTGRES` names a server (unreachable: the test fails,
//! it never skips).

use std::future::Future;
use std::path::PathBuf;

use gatehouse_store::{Backend, Store};
use sqlx::{AssertSqlSafe, Connection as _, PgConnection, SqliteConnection};
use tempfile::TempDir;

/// The variable naming the PostgreSQL server, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
const POSTGRES_VAR: &str = "GATEHOUSE_TEST_POSTGRES";

/// A fresh, migrated store and how to reach its database behind its back.
#[derive(Clone, Debug)]
pub struct Db {
    pub store: Store,
    /// The URL the store was opened with.
    pub url: String,
    /// A directory that lives as long as the test (SQLite: holds the file).
    pub dir: PathBuf,
}

impl Db {
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Runs SQL directly, outside the store (to tamper, or to look).
    pub async fn exec(&self, sql: &str) {
        match self.backend() {
            Backend::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// Runs SQL directly and answers whether it succeeded.
    pub async fn try_exec(&self, sql: &str) -> bool {
        match self.backend() {
            Backend::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .is_ok()
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .is_ok()
            }
        }
    }

    /// One integer a query answers, read directly.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.backend() {
            Backend::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
        }
    }

    /// The number of rows of `table`, counted directly.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        match self.backend() {
            Backend::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
            }
        }
    }
}

/// The backends this run tests.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if std::env::var_os(POSTGRES_VAR).is_some() {
        all.push(Backend::Postgres);
    }
    all
}

/// A fresh database of `backend` and what removes it.
pub struct Fresh {
    pub db: Db,
    _dir: TempDir,
    drop_database: Option<(String, String)>,
}

impl Fresh {
    /// Closes the store and drops its database (PostgreSQL).
    pub async fn remove(self) {
        self.db.store.close().await;
        if let Some((admin_url, name)) = self.drop_database {
            let mut admin = PgConnection::connect(&admin_url).await.unwrap();
            let sql = AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            sqlx::raw_sql(sql).execute(&mut admin).await.unwrap();
            admin.close().await.unwrap();
        }
    }
}

/// Makes a fresh, migrated store of `backend`.
pub async fn fresh(backend: Backend) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("gatehouse.db").display());
            let store = Store::open(&url).await.unwrap();
            Fresh {
                db: Db {
                    store,
                    url,
                    dir: dir.path().to_owned(),
                },
                _dir: dir,
                drop_database: None,
            }
        }
        Backend::Postgres => {
            let admin_url = std::env::var(POSTGRES_VAR).unwrap();
            let name = format!("gh_{}", uuid::Uuid::new_v4().simple());
            let mut admin = PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("{POSTGRES_VAR} is set but `{admin_url}` is unreachable: {e}"));
            let sql = AssertSqlSafe(format!("CREATE DATABASE \"{name}\""));
            sqlx::raw_sql(sql).execute(&mut admin).await.unwrap();
            admin.close().await.unwrap();
            let url = with_database(&admin_url, &name);
            let store = Store::open(&url).await.unwrap();
            Fresh {
                db: Db {
                    store,
                    url,
                    dir: dir.path().to_owned(),
                },
                _dir: dir,
                drop_database: Some((admin_url, name)),
            }
        }
    }
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs `body` on a fresh store of every backend in turn; the database is
/// removed afterwards even if `body` panics (the panic then goes on).
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for backend in backends() {
        let fresh = fresh(backend).await;
        let outcome = tokio::spawn(body(fresh.db.clone())).await;
        fresh.remove().await;
        if let Err(error) = outcome {
            eprintln!("failed on {backend:?}");
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

/// `conformance!(name, body)`: a multi-threaded tokio test running the
/// async function `body(Db)` on every backend.
macro_rules! conformance {
    ($name:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            $crate::backend::each_backend($body).await;
        }
    };
}
pub(crate) use conformance;
