-- Single-use secrets have a purpose — an invitation or a password reset
-- (SPEC §5.1) — and an outbox message names the secret whose link the
-- sender mints when it sends it: the outbox never holds a link (SPEC §9.4).
ALTER TABLE invitations ADD COLUMN purpose TEXT NOT NULL DEFAULT 'invitation';
ALTER TABLE outbox ADD COLUMN link_username TEXT COLLATE "C";
ALTER TABLE outbox ADD COLUMN link_purpose TEXT;
-- Links that earlier versions wrote into bodies were readable by every
-- holder of accounts.manage: they are withdrawn, and their invitations
-- must be re-sent.
UPDATE outbox SET body = '', next_attempt_at = NULL,
    last_error = 'the link was withdrawn at an upgrade; re-send the invitation'
    WHERE body LIKE '%/invitations/%';
DELETE FROM invitations;
