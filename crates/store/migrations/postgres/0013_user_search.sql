-- Searching users by a part of the username or email (`?q=`) without
-- reading the whole table: a trigram index of both, which the planner uses
-- for `LIKE '%q%'`. It needs the pg_trgm extension (PostgreSQL's contrib,
-- which a database owner may create since PostgreSQL 13). Where it cannot
-- be created, searches still answer the same, by reading the table, and
-- the notice says why.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm cannot be created (%): user search reads the table', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX users_search ON users USING gin (username gin_trgm_ops, email_normalized gin_trgm_ops);
    END IF;
END
$$;
