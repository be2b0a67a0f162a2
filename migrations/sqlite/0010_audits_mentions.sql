-- Mystery-shopper audits and social mentions (issue 15 points 4 and 5).
--
-- Per audit survey and period, sums over visits of the visit's audit score (percent) and of
-- its square, so a report has the mean score and its t interval from one row, whatever the
-- number of visits. Each item's met / applicable counts are ordinary rollups (a `check`
-- answer is stored as 1 or 0). No personal data: sums only.
CREATE TABLE audit_scores (
    program_id     TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    survey_id      TEXT    NOT NULL,
    touchpoint_id  TEXT    NOT NULL,
    visits         INTEGER NOT NULL,
    score_sum      REAL    NOT NULL,
    score_squares  REAL    NOT NULL,
    PRIMARY KEY (program_id, period, survey_id, touchpoint_id)
) WITHOUT ROWID;

-- Social mentions imported from the team's listening tool (`ecoute mentions import`): the
-- verbatims of channel `social`, themed and counted by reports. `fingerprint` (SHA-256 of
-- date, source, text and url) makes a file imported twice stored once.
CREATE TABLE mentions (
    id             INTEGER PRIMARY KEY,
    program_id     TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    posted_at      INTEGER NOT NULL,
    source         TEXT    NOT NULL,
    text           TEXT    NOT NULL,
    rating         INTEGER CHECK (rating BETWEEN 1 AND 5),
    url            TEXT,
    touchpoint_id  TEXT,
    fingerprint    TEXT    NOT NULL,
    UNIQUE (program_id, fingerprint)
);
CREATE INDEX mentions_period ON mentions (program_id, period);
