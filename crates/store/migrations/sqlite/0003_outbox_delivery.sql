-- Delivery of outbox messages over SMTP (SPEC §9.4): when a message was
-- sent, how often sending failed and why, and when a sender may try next
-- (NULL once sent or given up). A sender claims a message by moving its
-- next attempt past a lease, so two instances never send it twice at once.
ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER DEFAULT 0;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
