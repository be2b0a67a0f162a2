-- ecoute store, SQLite flavour. Timestamps are INTEGER unix seconds (UTC) everywhere.
-- Emails are stored normalised (trimmed, domain lower-cased); TEXT compares bytewise,
-- which is the order the PostgreSQL schema gets from COLLATE "C".

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    email       TEXT    NOT NULL UNIQUE,
    first_name  TEXT,
    last_name   TEXT,
    locale      TEXT,
    attributes  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    revision    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE suppression (
    email   TEXT    NOT NULL,
    reason  TEXT    NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'erased')),
    detail  TEXT,
    at      INTEGER NOT NULL,
    PRIMARY KEY (email, reason)
);

CREATE TABLE program_versions (
    program_id     TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (program_id, sha256)
);

CREATE TABLE waves (
    id              INTEGER PRIMARY KEY,
    program_id      TEXT    NOT NULL,
    survey_id       TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    wave            INTEGER NOT NULL,
    sample_id       TEXT    NOT NULL,
    seed            TEXT    NOT NULL,
    program_sha256  TEXT,
    planned_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (program_id, survey_id, channel_id, period, wave)
);

CREATE TABLE invitations (
    id                  INTEGER PRIMARY KEY,
    wave_id             INTEGER NOT NULL REFERENCES waves (id),
    email               TEXT,
    locale              TEXT,
    contact_data        TEXT    CHECK (contact_data IS NULL OR json_valid(contact_data)),
    token_hash          BLOB    UNIQUE,
    state               TEXT    NOT NULL DEFAULT 'planned' CHECK (state IN
                            ('planned', 'sending', 'sent', 'failed', 'deferred', 'suppressed', 'expired')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER,
    lease_owner         TEXT,
    lease_expires_at    INTEGER,
    fence               INTEGER NOT NULL DEFAULT 0,
    possibly_duplicate  INTEGER NOT NULL DEFAULT 0 CHECK (possibly_duplicate IN (0, 1)),
    reminders_sent      INTEGER NOT NULL DEFAULT 0,
    last_reminder_at    INTEGER,
    sent_at             INTEGER,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (wave_id, email)
);
CREATE INDEX invitations_due ON invitations (state, next_attempt_at);
CREATE INDEX invitations_email ON invitations (email);

CREATE TABLE invitation_events (
    id             INTEGER PRIMARY KEY,
    invitation_id  INTEGER NOT NULL REFERENCES invitations (id),
    from_state     TEXT,
    to_state       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    detail         TEXT,
    smtp_code      INTEGER,
    at             INTEGER NOT NULL
);
CREATE INDEX invitation_events_invitation ON invitation_events (invitation_id);

CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    invitation_id  INTEGER UNIQUE REFERENCES invitations (id),
    program_id     TEXT    NOT NULL,
    survey_id      TEXT    NOT NULL,
    touchpoint_id  TEXT,
    channel        TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    submitted_at   INTEGER NOT NULL,
    email          TEXT,
    respondent     TEXT    CHECK (respondent IS NULL OR json_valid(respondent)),
    external_id    TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (program_id, external_id)
);
CREATE INDEX responses_period ON responses (program_id, survey_id, period);
CREATE INDEX responses_email ON responses (email);

CREATE TABLE answers (
    response_id  INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id  TEXT    NOT NULL,
    ordinal      INTEGER NOT NULL DEFAULT 0,
    num_value    REAL,
    choice       TEXT,
    text_value   TEXT,
    PRIMARY KEY (response_id, question_id, ordinal)
);

CREATE TABLE contact_history (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    program_id    TEXT    NOT NULL,
    contacted_at  INTEGER NOT NULL
);
CREATE INDEX contact_history_email ON contact_history (email, contacted_at);
