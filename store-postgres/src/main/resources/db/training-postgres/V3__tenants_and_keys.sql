-- Tenants with the tier their jobs get, and their API keys (only a SHA-256 of each secret): every instance accepts a
-- key made through any of them. Times in epoch milliseconds, as in the embedded store.

CREATE TABLE tenants (
    name       TEXT PRIMARY KEY,
    tier       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    tenant     TEXT NOT NULL REFERENCES tenants (name),
    role       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
