-- SCIM provisioning (SPEC §13): the identity provider's own id for a user
-- or a group (`externalId`, unique when present, looked up by `externalId
-- eq` filters through the index), and the profile a provider sends beside
-- the username and email (display name, given and family names).
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN family_name TEXT;
CREATE UNIQUE INDEX users_external_id ON users (external_id);
ALTER TABLE user_groups ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX user_groups_external_id ON user_groups (external_id);
