-- Response collection: transactional events posted to the API (`POST /api/v1/events`).
-- The invitations they schedule live in wave 0 of their survey, channel and period.

CREATE TABLE events (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id   TEXT    COLLATE "C" NOT NULL,
    event        TEXT    COLLATE "C" NOT NULL,
    email        TEXT    COLLATE "C",
    attributes   JSONB   NOT NULL DEFAULT '{}',
    occurred_at  BIGINT  NOT NULL,
    received_at  BIGINT  NOT NULL
);
CREATE INDEX events_program ON events (program_id, event, occurred_at);
CREATE INDEX events_email ON events (email);
