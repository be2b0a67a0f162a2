-- Response collection: transactional events posted to the API (`POST /api/v1/events`).
-- The invitations they schedule live in wave 0 of their survey, channel and period.

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    program_id   TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    email        TEXT,
    attributes   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    occurred_at  INTEGER NOT NULL,
    received_at  INTEGER NOT NULL
);
CREATE INDEX events_program ON events (program_id, event, occurred_at);
CREATE INDEX events_email ON events (email);
