-- When a user or a group last changed (SCIM `meta.lastModified`, SPEC §13):
-- set by every commit that writes the row, in unix nanoseconds as every
-- time here. A user's starts at its creation; a group created before this
-- migration has no creation time and no change time until it next changes.
ALTER TABLE users ADD COLUMN modified_at BIGINT;
UPDATE users SET modified_at = created_at;
ALTER TABLE user_groups ADD COLUMN created_at BIGINT;
ALTER TABLE user_groups ADD COLUMN modified_at BIGINT;
