-- The daemon's schedule, the source of truth for what is due: one row per wave tick of a
-- program (survey, channel, period, wave) with its fire time computed in the program's time
-- zone. A daemon claims a due tick for a short while (`claimed_by`, `claim_expires_at`),
-- plans its period idempotently, then marks it done with its outcome: `planned`, or
-- `missed` when the period had closed before any daemon could run it. Restarts and several
-- daemons therefore run each tick once.
CREATE TABLE daemon_ticks (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id        TEXT    COLLATE "C" NOT NULL,
    survey_id         TEXT    COLLATE "C" NOT NULL,
    channel_id        TEXT    COLLATE "C" NOT NULL,
    period            TEXT    COLLATE "C" NOT NULL,
    wave              BIGINT  NOT NULL,
    fire_at           BIGINT  NOT NULL,
    claimed_by        TEXT,
    claim_expires_at  BIGINT,
    done_at           BIGINT,
    outcome           TEXT,
    UNIQUE (program_id, survey_id, channel_id, period, wave)
);
CREATE INDEX daemon_ticks_due ON daemon_ticks (done_at, fire_at);

-- Periods closed by the daemon: answers are no longer accepted, their pending invitations
-- expired, and their reports are final.
CREATE TABLE closed_periods (
    program_id  TEXT    COLLATE "C" NOT NULL,
    period      TEXT    COLLATE "C" NOT NULL,
    closed_at   BIGINT  NOT NULL,
    PRIMARY KEY (program_id, period)
);
