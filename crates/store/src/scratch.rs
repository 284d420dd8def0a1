//! Scratch PostgreSQL databases for benchmarks and tests that need one of
//! their own: created through an admin URL, dropped afterwards.

use gatehouse_domain::StoreError;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use crate::error::from_sqlx;

/// A database `gh_<suffix>` created on the server of `admin_url`.
#[derive(Clone, Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |i| i + 2) => &base[..slash],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl ScratchDatabase {
    /// Creates `gh_<suffix>` (`suffix`: lowercase letters, digits, `_`).
    ///
    /// # Errors
    /// An unreachable server, or a suffix that is not a safe identifier.
    pub async fn create(admin_url: &str, suffix: &str) -> Result<Self, StoreError> {
        if suffix.is_empty()
            || !suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Backend(format!("unsafe database suffix `{suffix}`")));
        }
        let name = format!("gh_{suffix}");
        let mut admin = PgConnection::connect(admin_url).await.map_err(from_sqlx)?;
        // The name is checked above: letters, digits and underscores only.
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .map_err(from_sqlx)?;
        admin.close().await.map_err(from_sqlx)?;
        Ok(Self {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// Ends every connection to this database whose `application_name` is
    /// `application` (`pg_terminate_backend`), as a lost network or a
    /// restarted server would; answers how many were ended. For fault tests
    /// and `gatehouse-bench cluster`.
    ///
    /// # Errors
    /// An unreachable server.
    pub async fn terminate_connections(&self, application: &str) -> Result<u64, StoreError> {
        let mut admin = PgConnection::connect(&self.admin_url).await.map_err(from_sqlx)?;
        let ended: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .bind(application)
        .fetch_one(&mut admin)
        .await
        .map_err(from_sqlx)?;
        admin.close().await.map_err(from_sqlx)?;
        Ok(u64::try_from(ended).unwrap_or(0))
    }

    /// The URL of the database for a process named `application` (its
    /// connections carry that `application_name`).
    #[must_use]
    pub fn url_for(&self, application: &str) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}application_name={application}", self.url)
    }

    /// Drops the database.
    ///
    /// # Errors
    /// An unreachable server.
    pub async fn drop_database(self) -> Result<(), StoreError> {
        let mut admin = PgConnection::connect(&self.admin_url).await.map_err(from_sqlx)?;
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .map_err(from_sqlx)?;
        admin.close().await.map_err(from_sqlx)
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "gh_x"),
            "postgres://u@h:5432/gh_x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "gh_x"),
            "postgres://u@h/gh_x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:5432", "gh_x"), "postgres://u@h:5432/gh_x");
    }
}
