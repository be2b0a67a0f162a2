-- Operational indicators: counters per program, period, indicator, touchpoint, segment and
-- breakdown category ('' when none), added to by `ecoute indicators import` so a report
-- reads the same whatever the number of imported rows. A mean keeps n, total and total of
-- squares (and how many aggregates came without a standard deviation); a ratio, quotient or
-- count keeps numerator and denominator.
CREATE TABLE indicator_counters (
    program_id  TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    indicator   TEXT    NOT NULL,
    touchpoint  TEXT    NOT NULL DEFAULT '',
    segment     TEXT    NOT NULL DEFAULT '',
    category    TEXT    NOT NULL DEFAULT '',
    n           INTEGER NOT NULL DEFAULT 0,
    total       REAL    NOT NULL DEFAULT 0,
    total_sq    REAL    NOT NULL DEFAULT 0,
    without_sd  INTEGER NOT NULL DEFAULT 0,
    numerator   REAL    NOT NULL DEFAULT 0,
    denominator REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, period, indicator, touchpoint, segment, category)
);

-- The `row_id`s already imported, so importing a file again adds nothing twice.
CREATE TABLE indicator_rows (
    program_id  TEXT    NOT NULL,
    row_id      TEXT    NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (program_id, row_id)
);
