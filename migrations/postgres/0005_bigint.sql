-- Every integer column is BIGINT, as every SQLite integer is 64-bit, so both backends decode
-- the same Rust types (`i64`) with one implementation. `ALTER … TYPE` rewrites each table in
-- place: its rows, keys and indexes stay.
ALTER TABLE invitation_events ALTER COLUMN smtp_code TYPE BIGINT;
ALTER TABLE answers ALTER COLUMN ordinal TYPE BIGINT;
ALTER TABLE rollups ALTER COLUMN value TYPE BIGINT;
