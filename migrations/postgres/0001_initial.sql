-- ecoute store, PostgreSQL flavour. Timestamps are BIGINT unix seconds (UTC) everywhere, as on
-- SQLite. Keys and emails use COLLATE "C" so ORDER BY is bytewise, the same order as SQLite's
-- and Rust's, whatever the database's locale.

CREATE TABLE contacts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       TEXT    COLLATE "C" NOT NULL UNIQUE,
    first_name  TEXT,
    last_name   TEXT,
    locale      TEXT,
    attributes  JSONB   NOT NULL DEFAULT '{}'::jsonb,
    revision    BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE suppression (
    email   TEXT    COLLATE "C" NOT NULL,
    reason  TEXT    NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'erased')),
    detail  TEXT,
    at      BIGINT  NOT NULL,
    PRIMARY KEY (email, reason)
);

CREATE TABLE program_versions (
    program_id     TEXT    COLLATE "C" NOT NULL,
    sha256         TEXT    COLLATE "C" NOT NULL,
    first_seen_at  BIGINT  NOT NULL,
    PRIMARY KEY (program_id, sha256)
);

CREATE TABLE waves (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id      TEXT    COLLATE "C" NOT NULL,
    survey_id       TEXT    COLLATE "C" NOT NULL,
    channel_id      TEXT    COLLATE "C" NOT NULL,
    period          TEXT    COLLATE "C" NOT NULL,
    wave            BIGINT  NOT NULL,
    sample_id       TEXT    NOT NULL,
    seed            TEXT    NOT NULL,
    program_sha256  TEXT,
    planned_at      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    UNIQUE (program_id, survey_id, channel_id, period, wave)
);

CREATE TABLE invitations (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wave_id             BIGINT  NOT NULL REFERENCES waves (id),
    email               TEXT    COLLATE "C",
    locale              TEXT,
    contact_data        JSONB,
    token_hash          BYTEA   UNIQUE,
    state               TEXT    NOT NULL DEFAULT 'planned' CHECK (state IN
                            ('planned', 'sending', 'sent', 'failed', 'deferred', 'suppressed', 'expired')),
    attempts            BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT,
    lease_owner         TEXT,
    lease_expires_at    BIGINT,
    fence               BIGINT  NOT NULL DEFAULT 0,
    possibly_duplicate  BOOLEAN NOT NULL DEFAULT FALSE,
    reminders_sent      BIGINT  NOT NULL DEFAULT 0,
    last_reminder_at    BIGINT,
    sent_at             BIGINT,
    last_error          TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (wave_id, email)
);
CREATE INDEX invitations_due ON invitations (state, next_attempt_at);
CREATE INDEX invitations_email ON invitations (email);

CREATE TABLE invitation_events (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id  BIGINT  NOT NULL REFERENCES invitations (id),
    from_state     TEXT,
    to_state       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    detail         TEXT,
    smtp_code      INTEGER,
    at             BIGINT  NOT NULL
);
CREATE INDEX invitation_events_invitation ON invitation_events (invitation_id);

CREATE TABLE responses (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id  BIGINT  UNIQUE REFERENCES invitations (id),
    program_id     TEXT    COLLATE "C" NOT NULL,
    survey_id      TEXT    COLLATE "C" NOT NULL,
    touchpoint_id  TEXT    COLLATE "C",
    channel        TEXT    COLLATE "C" NOT NULL,
    period         TEXT    COLLATE "C" NOT NULL,
    submitted_at   BIGINT  NOT NULL,
    email          TEXT    COLLATE "C",
    respondent     JSONB,
    external_id    TEXT    COLLATE "C",
    created_at     BIGINT  NOT NULL,
    UNIQUE (program_id, external_id)
);
CREATE INDEX responses_period ON responses (program_id, survey_id, period);
CREATE INDEX responses_email ON responses (email);

CREATE TABLE answers (
    response_id  BIGINT  NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id  TEXT    COLLATE "C" NOT NULL,
    ordinal      INTEGER NOT NULL DEFAULT 0,
    num_value    DOUBLE PRECISION,
    choice       TEXT,
    text_value   TEXT,
    PRIMARY KEY (response_id, question_id, ordinal)
);

CREATE TABLE contact_history (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    COLLATE "C" NOT NULL,
    program_id    TEXT    COLLATE "C" NOT NULL,
    contacted_at  BIGINT  NOT NULL
);
CREATE INDEX contact_history_email ON contact_history (email, contacted_at);
