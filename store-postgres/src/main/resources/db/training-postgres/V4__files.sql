-- The records of uploaded files; their contents are in the folder every instance shares (training.files.dir).
-- Times in epoch milliseconds, as in the embedded store; ids sort byte by byte, as there.

CREATE TABLE files (
    id         TEXT COLLATE "C" PRIMARY KEY,
    tenant     TEXT NOT NULL,
    filename   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    format     TEXT NOT NULL,
    bytes      BIGINT NOT NULL,
    examples   BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX files_by_tenant ON files (tenant, id);
