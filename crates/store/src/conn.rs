//! One interface over a SQLite or a PostgreSQL connection: statements with
//! typed arguments, rows read by column name. The rest of the crate is
//! written once against [`Conn`]; the few statements that differ ask
//! [`Conn::POSTGRES`].

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::future::Future;

use gatehouse_domain::StoreError;
use sqlx::{AssertSqlSafe, SqlSafeStr as _, SqlStr};

use crate::error::missing;

/// A statement: its text, and whether the connection keeps it prepared.
pub(crate) struct Statement {
    sql: SqlStr,
    persistent: bool,
}

impl Statement {
    fn literal(sql: &'static str) -> Self {
        Self {
            sql: SqlStr::from_static(sql),
            persistent: true,
        }
    }
}

/// A statement assembled from this crate's own table and column names and
/// placeholders (multi-row inserts, backups) — never from input: values
/// are always bound as [`Arg`]s. Not kept prepared: each is used once.
pub(crate) fn assembled(sql: String) -> Statement {
    Statement {
        sql: AssertSqlSafe(sql).into_sql_str(),
        persistent: false,
    }
}

/// `($1, $2), ($3, $4), …` (PostgreSQL) or `(?, ?), (?, ?), …` (SQLite):
/// the placeholders of `rows` tuples of `width` values, for multi-row
/// statements. SQLite looks each `$N` name up in a list, which is
/// quadratic in the number of parameters; plain `?`s are numbered in order.
pub(crate) fn tuples<C: Conn>(rows: usize, width: usize) -> String {
    tuples_from::<C>(1, rows, width)
}

/// [`tuples`] whose first placeholder is the statement's `first`th (the
/// ones before it written with [`placeholder`]).
pub(crate) fn tuples_from<C: Conn>(first: usize, rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 6);
    for row in 0..rows {
        out.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..width {
            if col > 0 {
                out.push_str(", ");
            }
            push_placeholder::<C>(&mut out, first + row * width + col);
        }
        out.push(')');
    }
    out
}

/// The statement's `n`th placeholder (from 1): `$n` (PostgreSQL) or `?`
/// (SQLite, numbered in the order they appear).
pub(crate) fn placeholder<C: Conn>(n: usize) -> String {
    let mut out = String::new();
    push_placeholder::<C>(&mut out, n);
    out
}

fn push_placeholder<C: Conn>(out: &mut String, n: usize) {
    if C::POSTGRES {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "${n}");
    } else {
        out.push('?');
    }
}

/// `UPDATE table SET column = value, … WHERE key IN (keys)`: moves every
/// row of `keys` at once; a conflict naming the first key without a row,
/// as `kind` (`"group"`, `"project"`). `table` and the column names are
/// this crate's own, never input.
pub(crate) async fn touch_each<C: Conn>(
    c: &mut C,
    (table, key): (&str, &str),
    set: Vec<(&str, Arg)>,
    keys: &BTreeSet<&str>,
    kind: &str,
) -> Result<(), StoreError> {
    let assignments: Vec<String> = (1..)
        .zip(&set)
        .map(|(n, (column, _))| format!("{column} = {}", placeholder::<C>(n)))
        .collect();
    let sql = format!(
        "UPDATE {table} SET {} WHERE {key} IN {}",
        assignments.join(", "),
        tuples_from::<C>(set.len() + 1, 1, keys.len())
    );
    let mut values: Vec<Arg> = set.into_iter().map(|(_, value)| value).collect();
    values.extend(keys.iter().map(|k| Arg::from(*k)));
    let changed = c.execute_sql(assembled(sql), values).await?;
    if usize::try_from(changed).ok() == Some(keys.len()) {
        return Ok(());
    }
    let sql = format!(
        "SELECT {key} FROM {table} WHERE {key} IN {}",
        tuples::<C>(1, keys.len())
    );
    let found = c
        .fetch_all_sql(assembled(sql), keys.iter().map(|k| Arg::from(*k)).collect())
        .await?
        .iter()
        .map(|row| row.text(key))
        .collect::<Result<BTreeSet<String>, _>>()?;
    let absent = keys.iter().find(|k| !found.contains(**k)).copied().unwrap_or_default();
    Err(missing(kind, absent))
}

/// One statement argument. Every column of the schema is text, a 64-bit
/// integer or a boolean, so these are all the types either backend sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// `TEXT`.
    Text(String),
    /// Nullable `TEXT`.
    OptText(Option<String>),
    /// `BIGINT` (`INTEGER` in SQLite).
    Int(i64),
    /// Nullable `BIGINT`.
    OptInt(Option<i64>),
    /// `BOOLEAN` (`INTEGER` 0/1 in SQLite).
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::OptText(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::OptText(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::OptInt(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

/// `args![a, b, …]`: a statement's arguments, in `$1, $2, …` order.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        vec![$($crate::conn::Arg::from($arg)),*]
    };
}
pub(crate) use args;

/// A row, read by column name.
pub(crate) trait Row: Send + Sync {
    /// A non-null text column.
    fn text(&self, column: &str) -> Result<String, StoreError>;
    /// A nullable text column.
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// A non-null integer column.
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    /// A boolean column.
    fn boolean(&self, column: &str) -> Result<bool, StoreError>;
}

/// A connection (or a transaction's connection) of either backend.
///
/// SQL is written with `$1, $2, …` placeholders, which SQLite accepts too.
/// The methods take `&'static str` (SQL literals); the `*_sql` ones take
/// text made by [`assembled`].
pub(crate) trait Conn: Send {
    /// The backend's row type.
    type Row: Row;
    /// Whether this is PostgreSQL (for the few statements that differ).
    const POSTGRES: bool;

    /// Runs a statement; answers the number of rows it changed.
    fn execute_sql(&mut self, sql: Statement, args: Vec<Arg>) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a query; answers every row.
    fn fetch_all_sql(
        &mut self,
        sql: Statement,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;

    /// Runs a query; answers its first row, if any.
    fn fetch_optional_sql(
        &mut self,
        sql: Statement,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<Self::Row>, StoreError>> + Send;

    /// Runs a query and hands each row to `each` as it arrives, never
    /// holding them all: for the model's largest tables, millions of rows.
    fn for_each_row<F>(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
        each: F,
    ) -> impl Future<Output = Result<(), StoreError>> + Send
    where
        F: FnMut(&Self::Row) -> Result<(), StoreError> + Send;

    /// Runs a statement; answers the number of rows it changed.
    fn execute(&mut self, sql: &'static str, args: Vec<Arg>) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.execute_sql(Statement::literal(sql), args)
    }

    /// Runs a query; answers every row.
    fn fetch_all(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send {
        self.fetch_all_sql(Statement::literal(sql), args)
    }

    /// Runs a query; answers its first row, if any.
    fn fetch_optional(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<Self::Row>, StoreError>> + Send {
        self.fetch_optional_sql(Statement::literal(sql), args)
    }

    /// Runs a query that must answer exactly one row.
    fn fetch_one(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Self::Row, StoreError>> + Send {
        let row = self.fetch_optional(sql, args);
        async move {
            row.await?
                .ok_or_else(|| StoreError::Backend("a query that answers one row answered none".to_owned()))
        }
    }
}

/// Implements [`Row`] and [`Conn`] for one backend, in a module of its own;
/// the two bodies are the same text, compiled against each backend's
/// concrete types.
macro_rules! backend {
    ($module:ident, $db:ty, $conn:ty, $row:ty, $postgres:expr) => {
        mod $module {
            use gatehouse_domain::StoreError;
            use sqlx::query::Query;
            use sqlx::{Database, Row as _};
            use tokio_stream::StreamExt as _;

            use super::{Arg, Conn, Row, Statement};
            use crate::error::from_sqlx;

            fn bind<'q>(statement: Statement, args: Vec<Arg>) -> Query<'q, $db, <$db as Database>::Arguments> {
                let mut query = sqlx::query(statement.sql).persistent(statement.persistent);
                for arg in args {
                    query = match arg {
                        Arg::Text(v) => query.bind(v),
                        Arg::OptText(v) => query.bind(v),
                        Arg::Int(v) => query.bind(v),
                        Arg::OptInt(v) => query.bind(v),
                        Arg::Bool(v) => query.bind(v),
                    };
                }
                query
            }

            impl Row for $row {
                fn text(&self, column: &str) -> Result<String, StoreError> {
                    self.try_get::<String, _>(column).map_err(from_sqlx)
                }
                fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
                    self.try_get::<Option<String>, _>(column).map_err(from_sqlx)
                }
                fn int(&self, column: &str) -> Result<i64, StoreError> {
                    self.try_get::<i64, _>(column).map_err(from_sqlx)
                }
                fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
                    self.try_get::<Option<i64>, _>(column).map_err(from_sqlx)
                }
                fn boolean(&self, column: &str) -> Result<bool, StoreError> {
                    self.try_get::<bool, _>(column).map_err(from_sqlx)
                }
            }

            impl Conn for $conn {
                type Row = $row;
                const POSTGRES: bool = $postgres;

                async fn execute_sql(&mut self, sql: Statement, args: Vec<Arg>) -> Result<u64, StoreError> {
                    Ok(bind(sql, args)
                        .execute(self)
                        .await
                        .map_err(from_sqlx)?
                        .rows_affected())
                }

                async fn fetch_all_sql(&mut self, sql: Statement, args: Vec<Arg>) -> Result<Vec<$row>, StoreError> {
                    bind(sql, args).fetch_all(self).await.map_err(from_sqlx)
                }

                async fn fetch_optional_sql(
                    &mut self,
                    sql: Statement,
                    args: Vec<Arg>,
                ) -> Result<Option<$row>, StoreError> {
                    bind(sql, args).fetch_optional(self).await.map_err(from_sqlx)
                }

                async fn for_each_row<F>(
                    &mut self,
                    sql: &'static str,
                    args: Vec<Arg>,
                    mut each: F,
                ) -> Result<(), StoreError>
                where
                    F: FnMut(&$row) -> Result<(), StoreError> + Send,
                {
                    let mut rows = bind(Statement::literal(sql), args).fetch(self);
                    while let Some(row) = rows.next().await {
                        each(&row.map_err(from_sqlx)?)?;
                    }
                    Ok(())
                }
            }
        }
    };
}

backend!(
    sqlite,
    sqlx::Sqlite,
    sqlx::SqliteConnection,
    sqlx::sqlite::SqliteRow,
    false
);
backend!(
    postgres,
    sqlx::Postgres,
    sqlx::PgConnection,
    sqlx::postgres::PgRow,
    true
);
