-- The key-value store of package kv on PostgreSQL.
--
-- kv_buckets: one row per bucket, with its sequence (a uint64 held in a
-- bigint, bit for bit). Bucket 0 is the root: its keys are the top-level
-- buckets.
CREATE TABLE kv_buckets (
    id  bigserial PRIMARY KEY,
    seq bigint NOT NULL DEFAULT 0
);
INSERT INTO kv_buckets (id) VALUES (0);

-- kv_items: the keys of every bucket, in byte order (bytea compares as
-- bytes). A key holds either a value (value not null, possibly empty) or
-- a nested bucket (child, an id of kv_buckets).
CREATE TABLE kv_items (
    bucket bigint NOT NULL,
    key    bytea  NOT NULL,
    value  bytea,
    child  bigint,
    PRIMARY KEY (bucket, key),
    CHECK ((value IS NULL) <> (child IS NULL))
);

-- The nested buckets of a bucket, for deleting a bucket and all it holds.
CREATE INDEX kv_items_children ON kv_items (bucket, key) WHERE child IS NOT NULL;
