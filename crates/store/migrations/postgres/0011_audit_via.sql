-- The face a change or event came through (SPEC §13): `api`, `ui`, `cli`,
-- `scim`, `jfrog`, `oidc` or `system`. Records written before it have none,
-- and their hashes leave it out (docs/audit.md).
ALTER TABLE audit ADD COLUMN actor_via TEXT;
