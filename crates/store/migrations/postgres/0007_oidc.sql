-- Log in with an OpenID Connect provider (SPEC §13). Keep in step with
-- ../sqlite/0007_oidc.sql.
--
-- An identity at a provider — (issuer, subject), never the email or the
-- username, which the provider may reassign — belongs to one Gatehouse user;
-- the display name is the provider's, refreshed at each login.
CREATE TABLE oidc_identities (
    issuer TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    username TEXT COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    display_name TEXT,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX oidc_identities_username ON oidc_identities (issuer, username);

-- Logins started and not yet finished: the SHA-256 of their `state`, with
-- the nonce and PKCE verifier the callback needs. Each is taken once (a
-- replayed state finds nothing) and expires after ten minutes.
CREATE TABLE oidc_pending (
    state_sha256 TEXT COLLATE "C" PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
