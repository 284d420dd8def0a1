-- The lockout window slides (SPEC §5.1): ten failed password logins within
-- any 15 minutes lock. A count and the start of a fixed window cannot say
-- that (nine failures at the end of one window and nine at the start of
-- the next never locked), so a user keeps the times of its recent
-- failures instead: a JSON array of unix nanoseconds, oldest first, none
-- older than the window. Counts of the old form are not carried over.
ALTER TABLE users ADD COLUMN recent_failures TEXT NOT NULL DEFAULT '[]';
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN failed_window_start;
