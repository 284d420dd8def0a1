-- Registered resources (SPEC §5.6): a name is unique per type across the
-- instance. Deleting the project or the environment deletes them.
CREATE TABLE resources (
    resource_type TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    project TEXT COLLATE "C" NOT NULL REFERENCES projects (key) ON DELETE CASCADE,
    environment TEXT COLLATE "C" REFERENCES environments (name) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (resource_type, name)
);
CREATE INDEX resources_project ON resources (project, resource_type, name);
CREATE INDEX resources_environment ON resources (environment);
