//! The SQL of users (SPEC §5.1): create, replace, delete (with everything
//! hanging off a user, by cascade), login book-keeping, lookups and the
//! filtered listing.

use gatehouse_domain::StoreError;
use gatehouse_domain::entities::{Profile, User};
use gatehouse_domain::names::Username;
use gatehouse_domain::store::{Page, PageRequest, UserFilter};
use time::OffsetDateTime;

use crate::codec::{
    self, from_json, int, kind_str, managed_by_str, nanos, opt_nanos, opt_time, status_str, time, to_json, uint,
};
use crate::conn::{Arg, Conn, Row, args, assembled, tuples};
use crate::cursor;
use crate::error::missing;

macro_rules! user_columns {
    () => {
        "username, email, email_normalized, kind, status, admin, account_permissions, password_hash, managed_by, \
         created_at, created_by, last_login_at, recent_failures, locked_until, revision, external_id, display_name, \
         given_name, family_name, modified_at"
    };
}

/// How many columns [`user_columns!`] names.
const USER_COLUMNS: usize = 20;

fn from_row(row: &impl Row) -> Result<User, StoreError> {
    let created_at = time(row.int("created_at")?)?;
    Ok(User {
        username: codec::username(&row.text("username")?)?,
        email: row.opt_text("email")?.as_deref().map(codec::email).transpose()?,
        kind: codec::kind(&row.text("kind")?)?,
        status: codec::status(&row.text("status")?)?,
        admin: row.boolean("admin")?,
        account_permissions: from_json("account permissions", &row.text("account_permissions")?)?,
        password_hash: row.opt_text("password_hash")?,
        managed_by: codec::managed_by(&row.text("managed_by")?)?,
        created_at,
        modified_at: opt_time(row.opt_int("modified_at")?)?.unwrap_or(created_at),
        created_by: row
            .opt_text("created_by")?
            .as_deref()
            .map(codec::username)
            .transpose()?,
        last_login_at: opt_time(row.opt_int("last_login_at")?)?,
        recent_failures: failures_from(&row.text("recent_failures")?)?,
        locked_until: opt_time(row.opt_int("locked_until")?)?,
        revision: uint(row.int("revision")?)?,
        profile: Profile {
            external_id: row.opt_text("external_id")?,
            display_name: row.opt_text("display_name")?,
            given_name: row.opt_text("given_name")?,
            family_name: row.opt_text("family_name")?,
        },
    })
}

/// The stored form of recent failed logins: a JSON array of unix nanoseconds.
fn failures_text(times: &[time::OffsetDateTime]) -> Result<String, StoreError> {
    let nanos: Vec<i64> = times.iter().copied().map(nanos).collect::<Result<_, _>>()?;
    to_json(&nanos)
}

fn failures_from(text: &str) -> Result<Vec<time::OffsetDateTime>, StoreError> {
    let nanos: Vec<i64> = from_json("recent failures", text)?;
    nanos.into_iter().map(time).collect()
}

/// The columns of `user`, in [`user_columns!`] order, as written by the
/// commit of `revision` at `now`.
fn values(user: &User, revision: u64, now: OffsetDateTime) -> Result<Vec<crate::conn::Arg>, StoreError> {
    Ok(args![
        user.username.as_str(),
        user.email.as_ref().map(|e| e.as_str().to_owned()),
        user.email.as_ref().map(gatehouse_domain::names::Email::normalized),
        kind_str(user.kind),
        status_str(user.status),
        user.admin,
        to_json(&user.account_permissions)?,
        user.password_hash.clone(),
        managed_by_str(user.managed_by),
        nanos(user.created_at)?,
        user.created_by.as_ref().map(|u| u.as_str().to_owned()),
        opt_nanos(user.last_login_at)?,
        failures_text(&user.recent_failures)?,
        opt_nanos(user.locked_until)?,
        int(revision)?,
        user.profile.external_id.clone(),
        user.profile.display_name.clone(),
        user.profile.given_name.clone(),
        user.profile.family_name.clone(),
        nanos(now)?,
    ])
}

/// Inserts `user` as of `revision`, committed at `now`.
pub(crate) async fn create<C: Conn>(
    c: &mut C,
    user: &User,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    c.execute(
        concat!(
            "INSERT INTO users (",
            user_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ),
        values(user, revision, now)?,
    )
    .await?;
    Ok(())
}

/// Inserts `users` as of `revision` with one statement (a run of
/// `CreateUser`s in one commit: imports, fixtures).
pub(crate) async fn create_many<C: Conn>(
    c: &mut C,
    users: &[&User],
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut all = Vec::with_capacity(users.len() * USER_COLUMNS);
    for user in users {
        all.extend(values(user, revision, now)?);
    }
    let sql = format!(
        concat!("INSERT INTO users (", user_columns!(), ") VALUES {}"),
        tuples::<C>(users.len(), USER_COLUMNS)
    );
    c.execute_sql(assembled(sql), all).await?;
    Ok(())
}

/// Replaces every column of `user` (found by username) as of `revision`,
/// committed at `now`.
pub(crate) async fn update<C: Conn>(
    c: &mut C,
    user: &User,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let changed = c
        .execute(
            "UPDATE users SET email = $2, email_normalized = $3, kind = $4, status = $5, admin = $6, \
             account_permissions = $7, password_hash = $8, managed_by = $9, created_at = $10, created_by = $11, \
             last_login_at = $12, recent_failures = $13, locked_until = $14, revision = $15, external_id = $16, \
             display_name = $17, given_name = $18, family_name = $19, modified_at = $20 WHERE username = $1",
            values(user, revision, now)?,
        )
        .await?;
    if changed == 0 {
        Err(missing("user", user.username.as_str()))
    } else {
        Ok(())
    }
}

/// Deletes a user; its memberships, group memberships, tokens, sessions and
/// invitations go with it (`ON DELETE CASCADE`). The groups it leaves move
/// to `revision`, changed at `now`.
pub(crate) async fn delete<C: Conn>(
    c: &mut C,
    username: &Username,
    revision: u64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE user_groups SET revision = $1, modified_at = $3 \
         WHERE name IN (SELECT group_name FROM group_members WHERE username = $2)",
        args![int(revision)?, username.as_str(), nanos(now)?],
    )
    .await?;
    let deleted = c
        .execute("DELETE FROM users WHERE username = $1", args![username.as_str()])
        .await?;
    if deleted == 0 {
        Err(missing("user", username.as_str()))
    } else {
        Ok(())
    }
}

/// Saves the login book-keeping of `user`; the revision does not move.
pub(crate) async fn save_login_state<C: Conn>(c: &mut C, user: &User) -> Result<(), StoreError> {
    c.execute(
        "UPDATE users SET recent_failures = $2, last_login_at = $3 WHERE username = $1",
        args![
            user.username.as_str(),
            failures_text(&user.recent_failures)?,
            opt_nanos(user.last_login_at)?,
        ],
    )
    .await?;
    Ok(())
}

/// Replaces the password hash of `username` with `new` if it is still
/// `old` (a login re-hashing with today's parameters; the revision does not
/// move); answers whether it did.
pub(crate) async fn upgrade_password_hash<C: Conn>(
    c: &mut C,
    username: &Username,
    old: &str,
    new: &str,
) -> Result<bool, StoreError> {
    let updated = c
        .execute(
            "UPDATE users SET password_hash = $3 WHERE username = $1 AND password_hash = $2",
            args![username.as_str(), old, new],
        )
        .await?;
    Ok(updated > 0)
}

/// A user by username.
pub(crate) async fn get<C: Conn>(c: &mut C, username: &Username) -> Result<Option<User>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", user_columns!(), " FROM users WHERE username = $1"),
            args![username.as_str()],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user by email, compared without regard to case.
pub(crate) async fn by_email<C: Conn>(c: &mut C, email: &str) -> Result<Option<User>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", user_columns!(), " FROM users WHERE email_normalized = $1"),
            args![email.to_lowercase()],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user by the identity provider's id (exact; the unique index).
pub(crate) async fn by_external_id<C: Conn>(c: &mut C, external_id: &str) -> Result<Option<User>, StoreError> {
    let row = c
        .fetch_optional(
            concat!("SELECT ", user_columns!(), " FROM users WHERE external_id = $1"),
            args![external_id],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The listing's filters, after `username > $1`: `$2` a `LIKE` pattern of
/// the search (username or email), `$3` status, `$4` kind, `$5` manager.
macro_rules! user_filters {
    () => {
        " AND ($2 IS NULL OR username LIKE $2 ESCAPE '\\' OR email_normalized LIKE $2 ESCAPE '\\')\
         AND ($3 IS NULL OR status = $3)\
         AND ($4 IS NULL OR kind = $4)\
         AND ($5 IS NULL OR managed_by = $5)"
    };
}

/// How many users after the cursor a SQLite search reads in index order
/// before it asks the trigram index instead.
const SEARCH_WINDOW: i64 = 4_096;

/// Users by username, filtered by substring (of username or email),
/// status, kind and manager: keyset-paged on the username index, so a page
/// reads its rows in index order and stops at the limit.
///
/// A search that matches few users would read the whole table that way, so
/// a search of three characters or more first reads only the next
/// [`SEARCH_WINDOW`] users in order — enough when matches are common — and
/// otherwise finds the matches through a trigram index and sorts only them:
/// SQLite's `user_search` (FTS5), PostgreSQL's `users_search` (`pg_trgm`,
/// chosen by the planner). Either way the `LIKE` pattern has the last
/// word, so both paths answer the same rows.
pub(crate) async fn list<C: Conn>(
    c: &mut C,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<User>, StoreError> {
    let after: String = cursor::after("users", page)?.unwrap_or_default();
    let q = filter.q.as_deref().map(str::to_lowercase);
    let indexed = q.as_deref().is_some_and(|q| q.chars().count() >= 3);
    let limit = cursor::fetch_limit(page);
    // `$1`–`$6` of every statement, then its own.
    let arguments = |more: Vec<Arg>| {
        let mut all = args![
            after.clone(),
            cursor::contains_pattern(q.as_deref()),
            filter.status.map(|s| status_str(s).to_owned()),
            filter.kind.map(|k| kind_str(k).to_owned()),
            filter.managed_by.map(|m| managed_by_str(m).to_owned()),
            limit,
        ];
        all.extend(more);
        all
    };
    let rows = if indexed {
        let near = c
            .fetch_all(
                concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM (SELECT ",
                    user_columns!(),
                    " FROM users WHERE username > $1 ORDER BY username LIMIT $7) AS w WHERE username > $1",
                    user_filters!(),
                    " ORDER BY username LIMIT $6"
                ),
                arguments(args![SEARCH_WINDOW]),
            )
            .await?;
        if i64::try_from(near.len()).unwrap_or(i64::MAX) >= limit {
            near
        } else if C::POSTGRES {
            // Few match: the planner reads them through the trigram index
            // (a statement of its own, whose plan the scan's never shares).
            c.fetch_all(
                concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE (username LIKE $2 ESCAPE '\\' OR email_normalized LIKE $2 ESCAPE '\\')",
                    " AND username > $1",
                    user_filters!(),
                    " ORDER BY username LIMIT $6"
                ),
                arguments(Vec::new()),
            )
            .await?
        } else {
            // The index's phrase query, `"q"`: a substring of username or
            // email. CROSS JOIN keeps SQLite from walking the users instead.
            c.fetch_all(
                concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM (SELECT i.username AS found FROM user_search s CROSS JOIN user_search_ids i",
                    " WHERE s.user_search MATCH '\"' || replace($7, '\"', '\"\"') || '\"' AND i.id = s.rowid) AS f",
                    " CROSS JOIN users ON users.username = f.found WHERE username > $1",
                    user_filters!(),
                    " ORDER BY username LIMIT $6"
                ),
                arguments(args![q.clone()]),
            )
            .await?
        }
    } else {
        c.fetch_all(
            concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE username > $1",
                user_filters!(),
                " ORDER BY username LIMIT $6"
            ),
            arguments(Vec::new()),
        )
        .await?
    };
    let users = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    cursor::finish("users", page, users, |u| u.username.as_str().to_owned())
}
