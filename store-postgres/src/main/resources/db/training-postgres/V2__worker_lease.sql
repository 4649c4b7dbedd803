-- The lease of the instance that runs the jobs (one row per lease name): whoever holds an unexpired row places jobs
-- and supervises trainers. Times are the server's clock, so the instances' clocks need not agree.

CREATE TABLE worker_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    renewed_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
