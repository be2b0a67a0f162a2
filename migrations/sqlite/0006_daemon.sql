-- The daemon's schedule, the source of truth for what is due: one row per wave tick of a
-- program (survey, channel, period, wave) with its fire time computed in the program's time
-- zone. A daemon claims a due tick for a short while (`claimed_by`, `claim_expires_at`),
-- plans its period idempotently, then marks it done with its outcome: `planned`, or
-- `missed` when the period had closed before any daemon could run it. Restarts and several
-- daemons therefore run each tick once.
CREATE TABLE daemon_ticks (
    id                INTEGER PRIMARY KEY,
    program_id        TEXT    NOT NULL,
    survey_id         TEXT    NOT NULL,
    channel_id        TEXT    NOT NULL,
    period            TEXT    NOT NULL,
    wave              INTEGER NOT NULL,
    fire_at           INTEGER NOT NULL,
    claimed_by        TEXT,
    claim_expires_at  INTEGER,
    done_at           INTEGER,
    outcome           TEXT,
    UNIQUE (program_id, survey_id, channel_id, period, wave)
);
CREATE INDEX daemon_ticks_due ON daemon_ticks (done_at, fire_at);

-- Periods closed by the daemon: answers are no longer accepted, their pending invitations
-- expired, and their reports are final.
CREATE TABLE closed_periods (
    program_id  TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    closed_at   INTEGER NOT NULL,
    PRIMARY KEY (program_id, period)
);
