-- Tracking sinks' state (how far each job's events reached the receiver) and the sinks' outboxes: shared, so the
-- instance that takes the jobs over goes on where the last one stopped. The embedded store's columns.

CREATE TABLE tracking_state (
    sink  TEXT NOT NULL,
    key   TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sink, key)
);

CREATE TABLE outbox (
    sink       TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    key        TEXT NOT NULL,
    type       TEXT NOT NULL,
    subject    TEXT,
    body       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at    BIGINT,
    PRIMARY KEY (sink, seq),
    UNIQUE (sink, key)
);
CREATE INDEX outbox_by_state ON outbox (sink, state, seq);
