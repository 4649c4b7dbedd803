-- The checkpoint registry: checkpoints, their files, the blobs they use, every stage move (the audit trail, with the
-- approval gate's rules), evaluations and exports. The columns are the embedded store's, so core's SqlCheckpoints
-- serves both: times in epoch milliseconds, final and override as 0 or 1, ids sorting byte by byte.

CREATE TABLE checkpoints (
    id              TEXT COLLATE "C" PRIMARY KEY,
    job_id          TEXT COLLATE "C" NOT NULL,
    tenant          TEXT NOT NULL,
    base_model      TEXT NOT NULL,
    step            BIGINT NOT NULL,
    final           INTEGER NOT NULL,
    source          TEXT NOT NULL,
    stage           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    approved_at     BIGINT,
    checkpoint_json TEXT NOT NULL,
    UNIQUE (job_id, source)
);
CREATE INDEX checkpoints_by_model ON checkpoints (base_model, stage, approved_at);
CREATE INDEX checkpoints_by_tenant ON checkpoints (tenant, created_at);
CREATE INDEX checkpoints_by_job ON checkpoints (job_id, final, step);
CREATE INDEX checkpoints_by_time ON checkpoints (created_at, id);

CREATE TABLE checkpoint_files (
    checkpoint_id TEXT COLLATE "C" NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    PRIMARY KEY (checkpoint_id, path)
);
CREATE INDEX checkpoint_files_by_blob ON checkpoint_files (sha256);

CREATE TABLE blobs (
    sha256    TEXT PRIMARY KEY,
    size      BIGINT NOT NULL,
    stored_at BIGINT NOT NULL
);

CREATE TABLE checkpoint_transitions (
    checkpoint_id TEXT COLLATE "C" NOT NULL,
    seq           INTEGER NOT NULL,
    from_stage    TEXT,
    to_stage      TEXT NOT NULL,
    actor         TEXT NOT NULL,
    time          BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    gate_json     TEXT,
    override      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_id, seq)
);

CREATE TABLE checkpoint_evaluations (
    id              TEXT COLLATE "C" PRIMARY KEY,
    checkpoint_id   TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL,
    evaluation_json TEXT NOT NULL
);
CREATE INDEX evaluations_by_checkpoint ON checkpoint_evaluations (checkpoint_id, created_at, id);

CREATE TABLE checkpoint_exports (
    checkpoint_id TEXT COLLATE "C" NOT NULL,
    seq           INTEGER NOT NULL,
    created_at    BIGINT NOT NULL,
    export_json   TEXT NOT NULL,
    PRIMARY KEY (checkpoint_id, seq)
);
