//! Backup and restore (SPEC §8). SQLite backs up with `VACUUM INTO` (a
//! consistent copy while serving); PostgreSQL writes one JSON document of
//! every table, read in one `REPEATABLE READ` transaction. Restore loads
//! either kind into an empty store of either backend, in one transaction.

use std::path::{Path, PathBuf};

use gatehouse_domain::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Connection as _;

use crate::codec::uint;
use crate::conn::{Arg, Conn, Row, args, assembled, tuples};
use crate::error::{corrupt, io};
use crate::store::{Backend, Store, schema_version, with_read_tx, with_write_tx};

/// What a JSON backup says it is.
const FORMAT: &str = "gatehouse-backup";

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// Rows per `INSERT` on restore (at most 16 columns: 8,000 parameters).
const BATCH: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Text,
    Int,
    Bool,
}

/// A table as backups see it.
struct Table {
    name: &'static str,
    /// Every column, in the order of the migrations.
    columns: &'static [(&'static str, Ty)],
    /// Its primary key, for a stable row order.
    order_by: &'static str,
}

use Ty::{Bool, Int, Text};

/// Every table, parents before children (the restore order).
// INVARIANT: the columns are exactly those of migrations/*/ — `check_columns`
// compares them with the database's catalogue before every export, so a
// column added by a migration but not here fails the backup instead of
// being silently left out.
const TABLES: &[Table] = &[
    Table {
        name: "revision",
        columns: &[("id", Int), ("value", Int)],
        order_by: "id",
    },
    Table {
        name: "audit_head",
        columns: &[("id", Int), ("last_id", Int), ("last_hash", Text)],
        order_by: "id",
    },
    Table {
        name: "settings",
        columns: &[("id", Int), ("billing", Text)],
        order_by: "id",
    },
    Table {
        name: "users",
        columns: &[
            ("username", Text),
            ("email", Text),
            ("email_normalized", Text),
            ("kind", Text),
            ("status", Text),
            ("admin", Bool),
            ("account_permissions", Text),
            ("password_hash", Text),
            ("managed_by", Text),
            ("created_at", Int),
            ("created_by", Text),
            ("last_login_at", Int),
            ("locked_until", Int),
            ("revision", Int),
            ("recent_failures", Text),
            ("external_id", Text),
            ("display_name", Text),
            ("given_name", Text),
            ("family_name", Text),
            ("modified_at", Int),
        ],
        order_by: "username",
    },
    Table {
        name: "user_groups",
        columns: &[
            ("name", Text),
            ("description", Text),
            ("revision", Int),
            ("external_id", Text),
            ("created_at", Int),
            ("modified_at", Int),
        ],
        order_by: "name",
    },
    Table {
        name: "group_members",
        columns: &[("group_name", Text), ("username", Text)],
        order_by: "group_name, username",
    },
    Table {
        name: "projects",
        columns: &[
            ("key", Text),
            ("display_name", Text),
            ("description", Text),
            ("manage_members", Bool),
            ("manage_resources", Bool),
            ("index_resources", Bool),
            ("created_at", Int),
            ("revision", Int),
        ],
        order_by: "key",
    },
    Table {
        name: "environments",
        columns: &[("name", Text), ("project", Text)],
        order_by: "name",
    },
    Table {
        name: "roles",
        columns: &[
            ("id", Int),
            ("project", Text),
            ("name", Text),
            ("description", Text),
            ("role_type", Text),
            ("mode", Text),
            ("categories", Text),
            ("actions", Text),
            ("revision", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "role_environments",
        columns: &[("role_id", Int), ("environment", Text), ("ord", Int)],
        order_by: "role_id, environment",
    },
    Table {
        name: "members",
        columns: &[
            ("id", Int),
            ("project", Text),
            ("kind", Int),
            ("name", Text),
            ("username", Text),
            ("group_name", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "member_roles",
        columns: &[("member_id", Int), ("role_id", Int)],
        order_by: "member_id, role_id",
    },
    Table {
        name: "resources",
        columns: &[
            ("resource_type", Text),
            ("name", Text),
            ("project", Text),
            ("environment", Text),
            ("created_at", Int),
        ],
        order_by: "resource_type, name",
    },
    Table {
        name: "tokens",
        columns: &[
            ("id", Text),
            ("username", Text),
            ("description", Text),
            ("scope", Text),
            ("secret_sha256", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", Int),
            ("created_by", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "invitations",
        columns: &[
            ("secret_sha256", Text),
            ("username", Text),
            ("expires_at", Int),
            ("purpose", Text),
        ],
        order_by: "secret_sha256",
    },
    Table {
        name: "sessions",
        columns: &[
            ("id_sha256", Text),
            ("username", Text),
            ("csrf_token", Text),
            ("created_at", Int),
            ("last_seen_at", Int),
        ],
        order_by: "id_sha256",
    },
    Table {
        name: "oidc_identities",
        columns: &[
            ("issuer", Text),
            ("subject", Text),
            ("username", Text),
            ("display_name", Text),
            ("linked_at", Int),
        ],
        order_by: "issuer, subject",
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Int),
            ("to_address", Text),
            ("subject", Text),
            ("body", Text),
            ("revision", Int),
            ("sent_at", Int),
            ("attempts", Int),
            ("last_error", Text),
            ("next_attempt_at", Int),
            ("link_username", Text),
            ("link_purpose", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "change_log",
        columns: &[("revision", Int), ("changes", Text)],
        order_by: "revision",
    },
    Table {
        name: "audit",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("revision", Int),
            ("actor_username", Text),
            ("actor_token_id", Text),
            ("actor_address", Text),
            ("actor_user_agent", Text),
            ("event", Text),
            ("target_type", Text),
            ("target_id", Text),
            ("project", Text),
            ("before_json", Text),
            ("after_json", Text),
            ("request_id", Text),
            ("prev_hash", Text),
            ("hash", Text),
            ("actor_via", Text),
        ],
        order_by: "id",
    },
];

/// A logical backup: every row of every table.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dump {
    format: String,
    /// The migration version of the schema the rows fit.
    schema: i64,
    revision: u64,
    tables: Vec<TableDump>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDump {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Store {
    /// Writes a consistent copy of the store to `path` (which must not
    /// exist) while it keeps serving, and answers the copy's revision.
    /// SQLite writes a SQLite file (`VACUUM INTO`); PostgreSQL a JSON
    /// document. [`Store::restore`] loads either into either backend.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if `path` exists or cannot be written. The
    /// file is created with mode 0600: it holds password and token hashes.
    pub async fn backup(&self, path: &Path) -> Result<u64, StoreError> {
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Backend(format!("backup path `{}` is not UTF-8", path.display())))?;
        match self.backend() {
            Backend::Sqlite => {
                // An empty file of our own making (mode 0600: a backup holds
                // password and token hashes) is a target `VACUUM INTO` takes.
                drop(create_private(path).map_err(|e| io(&format!("cannot create `{}`", path.display()), &e))?);
                let vacuum = crate::store::with_conn!(self, |c| c.execute("VACUUM INTO $1", args![target]).await);
                if let Err(error) = vacuum {
                    std::fs::remove_file(path).ok();
                    return Err(error);
                }
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
                let mut copy = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .map_err(crate::error::from_sqlx)?;
                let revision = crate::revision::current(&mut copy).await;
                copy.close().await.ok();
                revision
            }
            Backend::Postgres => {
                let dump = with_read_tx!(self, |c| export(c).await)?;
                let revision = dump.revision;
                write_file(path.to_owned(), dump).await?;
                Ok(revision)
            }
        }
    }

    /// Loads the backup at `path` (a SQLite file or a JSON document, from
    /// either backend) into this store, which must be empty (revision 0, no
    /// audit record, no row); answers the backup's revision. All or nothing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the store is not empty;
    /// [`StoreError::Backend`] if the backup cannot be read or does not fit
    /// this schema.
    pub async fn restore(&self, path: &Path) -> Result<u64, StoreError> {
        let dump = read_backup(path).await?;
        with_write_tx!(self, |c| import(c, &dump).await)?;
        Ok(dump.revision)
    }
}

/// Reads a backup of either kind as a [`Dump`].
async fn read_backup(path: &Path) -> Result<Dump, StoreError> {
    let bytes = {
        let owned = path.to_owned();
        tokio::task::spawn_blocking(move || std::fs::read(owned))
            .await
            .map_err(|e| StoreError::Backend(format!("reading the backup failed: {e}")))?
            .map_err(|e| io(&format!("cannot read backup `{}`", path.display()), &e))?
    };
    if bytes.starts_with(SQLITE_HEADER) {
        // Open a copy, not the backup itself: opening migrates, which brings
        // an older backup up to this schema and leaves the original alone.
        let dir = tempfile::tempdir().map_err(|e| io("cannot make a temporary directory", &e))?;
        let copy: PathBuf = dir.path().join("restore.db");
        std::fs::write(&copy, &bytes).map_err(|e| io("cannot copy the backup", &e))?;
        drop(bytes);
        let url = copy
            .to_str()
            .ok_or_else(|| StoreError::Backend("temporary path is not UTF-8".to_owned()))?;
        let source = Store::open(url).await?;
        let dump = with_read_tx!(source, |c| export(c).await);
        source.close().await;
        dump
    } else {
        let dump: Dump = serde_json::from_slice(&bytes).map_err(|e| corrupt("backup", e))?;
        if dump.format != FORMAT {
            return Err(corrupt("backup", format!("format `{}` is not `{FORMAT}`", dump.format)));
        }
        if dump.schema != schema_version() {
            return Err(StoreError::Backend(format!(
                "the backup has schema version {}, this build {}",
                dump.schema,
                schema_version()
            )));
        }
        Ok(dump)
    }
}

/// Writes `dump` as JSON to `path` through a temporary file, synced, so
/// that a crash leaves no half-written backup under the final name.
async fn write_file(path: PathBuf, dump: Dump) -> Result<(), StoreError> {
    tokio::task::spawn_blocking(move || {
        let json = serde_json::to_vec(&dump).map_err(|e| StoreError::Backend(format!("cannot encode backup: {e}")))?;
        let partial = path.with_extension("partial");
        let write = || -> std::io::Result<()> {
            if path.exists() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the file exists",
                ));
            }
            let mut file = create_private(&partial)?;
            std::io::Write::write_all(&mut file, &json)?;
            file.sync_all()?;
            std::fs::rename(&partial, &path)
        };
        write().map_err(|e| io(&format!("cannot write backup `{}`", path.display()), &e))
    })
    .await
    .map_err(|e| StoreError::Backend(format!("writing the backup failed: {e}")))?
}

/// Creates a new file only its owner may read (mode 0600 on Unix); fails
/// if `path` exists.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Checks that `table`'s columns in the database are exactly the spec's.
async fn check_columns<C: Conn>(c: &mut C, table: &Table) -> Result<(), StoreError> {
    let sql = if C::POSTGRES {
        "SELECT column_name AS name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
    } else {
        "SELECT name FROM pragma_table_info($1) ORDER BY cid"
    };
    let actual = c
        .fetch_all(sql, args![table.name])
        .await?
        .iter()
        .map(|r| r.text("name"))
        .collect::<Result<Vec<_>, _>>()?;
    let expected: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    if actual == expected {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "table `{}` has columns {actual:?}, backups know {expected:?}: update backup.rs",
            table.name
        )))
    }
}

fn cell(row: &impl Row, column: &str, ty: Ty) -> Result<Value, StoreError> {
    Ok(match ty {
        Text => row.opt_text(column)?.map_or(Value::Null, Value::String),
        Int => row.opt_int(column)?.map_or(Value::Null, |n| Value::Number(n.into())),
        Bool => Value::Bool(row.boolean(column)?),
    })
}

/// Reads every table; run in a read transaction.
async fn export<C: Conn>(c: &mut C) -> Result<Dump, StoreError> {
    let revision = crate::revision::current(c).await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        check_columns(c, table).await?;
        let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        // Names from the constant table above, never from input.
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            table.name,
            table.order_by
        );
        let rows = c.fetch_all_sql(assembled(sql), args![]).await?;
        let rows = rows
            .iter()
            .map(|row| table.columns.iter().map(|(name, ty)| cell(row, name, *ty)).collect())
            .collect::<Result<Vec<Vec<Value>>, StoreError>>()?;
        tables.push(TableDump {
            name: table.name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        });
    }
    Ok(Dump {
        format: FORMAT.to_owned(),
        schema: schema_version(),
        revision,
        tables,
    })
}

fn arg(value: &Value, ty: Ty, table: &str) -> Result<Arg, StoreError> {
    Ok(match (ty, value) {
        (Text, Value::String(s)) => Arg::Text(s.clone()),
        (Text, Value::Null) => Arg::OptText(None),
        (Int, Value::Number(n)) => Arg::Int(n.as_i64().ok_or_else(|| corrupt("backup", format!("{table}: {n}")))?),
        (Int, Value::Null) => Arg::OptInt(None),
        (Bool, Value::Bool(b)) => Arg::Bool(*b),
        _ => return Err(corrupt("backup", format!("{table}: {value} is not a {ty:?}"))),
    })
}

/// Loads `dump` into an empty store; run in a write transaction.
async fn import<C: Conn>(c: &mut C, dump: &Dump) -> Result<(), StoreError> {
    let revision_rows = dump
        .tables
        .iter()
        .find(|t| t.name == "revision")
        .map(|t| t.rows.as_slice());
    let expected = [vec![Value::from(1), Value::from(dump.revision)]];
    if revision_rows != Some(&expected[..]) {
        return Err(corrupt(
            "backup",
            format!("its revision table does not say revision {}", dump.revision),
        ));
    }
    // Locks the revision row (PostgreSQL) before looking: no commit can
    // slip in between the check and the load.
    let current = c
        .fetch_one(
            "UPDATE revision SET value = value WHERE id = 1 RETURNING value",
            args![],
        )
        .await?;
    let current = uint(current.int("value")?)?;
    if current > 0 {
        return Err(StoreError::Conflict(format!(
            "restore needs an empty store; this one is at revision {current}"
        )));
    }
    for table in TABLES.iter().filter(|t| !matches!(t.name, "revision" | "audit_head")) {
        let sql = format!("SELECT 1 AS one FROM {} LIMIT 1", table.name);
        if c.fetch_optional_sql(assembled(sql), args![]).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "restore needs an empty store; `{}` has rows",
                table.name
            )));
        }
    }
    c.execute("DELETE FROM revision", args![]).await?;
    c.execute("DELETE FROM audit_head", args![]).await?;
    for table in TABLES {
        let Some(data) = dump.tables.iter().find(|t| t.name == table.name) else {
            return Err(corrupt("backup", format!("table `{}` is missing", table.name)));
        };
        let expected: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        if data.columns != expected {
            return Err(corrupt(
                "backup",
                format!("table `{}` has columns {:?}", table.name, data.columns),
            ));
        }
        for chunk in data.rows.chunks(BATCH) {
            insert(c, table, chunk).await?;
        }
    }
    if C::POSTGRES {
        for sql in [
            "SELECT setval(pg_get_serial_sequence('roles', 'id'), COALESCE((SELECT MAX(id) FROM roles), 0) + 1, false)",
            "SELECT setval(pg_get_serial_sequence('members', 'id'), COALESCE((SELECT MAX(id) FROM members), 0) + 1, false)",
            "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false)",
        ] {
            c.fetch_all(sql, args![]).await?;
        }
    }
    Ok(())
}

/// One multi-row `INSERT` of `rows` into `table`.
async fn insert<C: Conn>(c: &mut C, table: &Table, rows: &[Vec<Value>]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = table.columns.len();
    let mut values = Vec::with_capacity(rows.len() * width);
    for row in rows {
        if row.len() != width {
            return Err(corrupt(
                "backup",
                format!("a row of `{}` has {} values", table.name, row.len()),
            ));
        }
        for (value, (_, ty)) in row.iter().zip(table.columns) {
            values.push(arg(value, *ty, table.name)?);
        }
    }
    // Table and column names come from `TABLES`; values are bound.
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        table
            .columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", "),
        tuples::<C>(rows.len(), width)
    );
    c.execute_sql(assembled(sql), values).await?;
    Ok(())
}
