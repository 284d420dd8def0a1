-- Registered resources (SPEC §5.6): a name is unique per type across the
-- instance. Deleting the project or the environment deletes them.
CREATE TABLE resources (
    resource_type TEXT NOT NULL,
    name TEXT NOT NULL,
    project TEXT NOT NULL REFERENCES projects (key) ON DELETE CASCADE,
    environment TEXT REFERENCES environments (name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (resource_type, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX resources_project ON resources (project, resource_type, name);
CREATE INDEX resources_environment ON resources (environment);
