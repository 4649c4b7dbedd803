-- Jobs and their events, and GPU-hour budgets and reservations: what several service instances share.
-- The same columns as the embedded store, so one set of statements serves both (core's SqlJobStore and
-- SqlQuotaLedger): times as ISO-8601 text (exact to the nanosecond, sorting as they do), ids sorting byte by byte
-- (COLLATE "C"), settled as 0 or 1.

CREATE TABLE jobs (
    id              TEXT COLLATE "C" PRIMARY KEY,
    tenant          TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    job_json        TEXT NOT NULL,
    executor        TEXT,
    execution_ref   TEXT,
    events_offset   BIGINT NOT NULL DEFAULT 0,
    cancel_requests INTEGER NOT NULL DEFAULT 0,
    attempt_phase   TEXT,
    launch_token    TEXT,
    launched_at     TEXT,
    last_seq        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
CREATE INDEX jobs_by_status ON jobs (status, id);

CREATE TABLE job_events (
    job_id    TEXT COLLATE "C" NOT NULL REFERENCES jobs (id),
    seq       BIGINT NOT NULL,
    time      TEXT NOT NULL,
    level     TEXT NOT NULL,
    type      TEXT NOT NULL,
    message   TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE quota_budgets (
    tenant    TEXT COLLATE "C" PRIMARY KEY,
    gpu_hours DOUBLE PRECISION NOT NULL
);

CREATE TABLE quota_entries (
    job_id   TEXT COLLATE "C" PRIMARY KEY,
    tenant   TEXT COLLATE "C" NOT NULL,
    period   TEXT NOT NULL,
    reserved DOUBLE PRECISION NOT NULL,
    used     DOUBLE PRECISION NOT NULL DEFAULT 0,
    settled  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX quota_by_tenant ON quota_entries (tenant, period);

CREATE TABLE quota_attempts (
    job_id    TEXT COLLATE "C" NOT NULL,
    attempt   INTEGER NOT NULL,
    gpu_hours DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, attempt)
);
