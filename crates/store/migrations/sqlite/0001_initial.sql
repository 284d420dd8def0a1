-- Gatehouse schema, SQLite. Keep in step with ../postgres/0001_initial.sql:
-- the same tables and columns, so a backup of either loads into the other.
--
-- Times are unix nanoseconds (INTEGER); lists and documents are JSON text;
-- booleans are 0/1. Names compare byte-wise (BINARY), like PostgreSQL's "C".

-- The revision: one row, updated inside every write transaction, so its
-- order is the commit order (SPEC §8). Never a sequence.
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
INSERT INTO revision (id, value) VALUES (1, 0);

-- One row per commit: its model changes (serde JSON of Vec<Change>).
CREATE TABLE change_log (
    revision INTEGER PRIMARY KEY,
    changes TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    email TEXT,
    email_normalized TEXT UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled', 'locked')),
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
    account_permissions TEXT NOT NULL,
    password_hash TEXT,
    managed_by TEXT NOT NULL CHECK (managed_by IN ('local', 'scim', 'oidc')),
    created_at INTEGER NOT NULL,
    created_by TEXT,
    last_login_at INTEGER,
    failed_logins INTEGER NOT NULL CHECK (failed_logins >= 0),
    failed_window_start INTEGER,
    locked_until INTEGER,
    revision INTEGER NOT NULL,
    CHECK ((email IS NULL) = (email_normalized IS NULL))
) STRICT;

CREATE TABLE user_groups (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    revision INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES user_groups (name) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    PRIMARY KEY (group_name, username)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_username ON group_members (username);

CREATE TABLE projects (
    key TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    manage_members INTEGER NOT NULL CHECK (manage_members IN (0, 1)),
    manage_resources INTEGER NOT NULL CHECK (manage_resources IN (0, 1)),
    index_resources INTEGER NOT NULL CHECK (index_resources IN (0, 1)),
    created_at INTEGER NOT NULL,
    revision INTEGER NOT NULL
) STRICT;

-- Global environments have no project.
CREATE TABLE environments (
    name TEXT PRIMARY KEY,
    project TEXT REFERENCES projects (key) ON DELETE CASCADE
) STRICT;
CREATE INDEX environments_project ON environments (project);

-- Global roles have no project. A project key is never empty, so
-- COALESCE(project, '') makes (project, name) unique with NULLs too.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    project TEXT REFERENCES projects (key) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    role_type TEXT NOT NULL CHECK (role_type IN ('ADMIN', 'PREDEFINED', 'CUSTOM', 'CUSTOM_GLOBAL')),
    mode TEXT NOT NULL CHECK (mode IN ('basic', 'advanced')),
    categories TEXT NOT NULL,
    actions TEXT NOT NULL,
    revision INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX roles_project_name ON roles (COALESCE(project, ''), name);
CREATE INDEX roles_project ON roles (project);

CREATE TABLE role_environments (
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    environment TEXT NOT NULL REFERENCES environments (name) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    PRIMARY KEY (role_id, environment)
) STRICT, WITHOUT ROWID;
CREATE INDEX role_environments_environment ON role_environments (environment);

-- A member is a user (kind 0) or a group (kind 1); users list first. The
-- FK column of its kind repeats the name, so deleting the user or group
-- deletes the membership.
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL REFERENCES projects (key) ON DELETE CASCADE,
    kind INTEGER NOT NULL CHECK (kind IN (0, 1)),
    name TEXT NOT NULL,
    username TEXT REFERENCES users (username) ON DELETE CASCADE,
    group_name TEXT REFERENCES user_groups (name) ON DELETE CASCADE,
    CHECK ((kind = 0 AND username IS NOT NULL AND username = name AND group_name IS NULL)
        OR (kind = 1 AND group_name IS NOT NULL AND group_name = name AND username IS NULL))
) STRICT;
CREATE UNIQUE INDEX members_listing ON members (project, kind, name);
CREATE INDEX members_username ON members (username);
CREATE INDEX members_group_name ON members (group_name);

CREATE TABLE member_roles (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, role_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX member_roles_role ON member_roles (role_id);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    description TEXT NOT NULL,
    scope TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    created_by TEXT NOT NULL
) STRICT;
CREATE INDEX tokens_username ON tokens (username, created_at);

CREATE TABLE invitations (
    secret_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX invitations_username ON invitations (username);

CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_username ON sessions (username);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    revision INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    billing TEXT NOT NULL
) STRICT;

-- The end of the audit chain: one row, locked by every append so that
-- records form one line, and checked by verification so that a record
-- removed from the end is noticed.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only (SPEC §9.1); each record's hash covers the previous one's.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    revision INTEGER,
    actor_username TEXT,
    actor_token_id TEXT,
    actor_address TEXT,
    actor_user_agent TEXT,
    event TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    project TEXT,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_actor ON audit (actor_username);
CREATE INDEX audit_event ON audit (event);
CREATE INDEX audit_target ON audit (target_id);
CREATE INDEX audit_project ON audit (project);
CREATE INDEX audit_at ON audit (at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
