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
