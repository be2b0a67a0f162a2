-- Closing the loop: a case is opened with a response that matches an alert rule, in the
-- same transaction. Its alert emails are outbox rows of their own kind: invitations whose
-- `case_id` names the case, in a wave of their own (channel `!alert`, one per case), so
-- they are claimed, leased, fenced, retried and paced like invitations. Each recipient's
-- personal link to the case page is the token hash of their alert row.
CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    response_id     INTEGER NOT NULL REFERENCES responses (id),
    program_id      TEXT    NOT NULL,
    survey_id       TEXT    NOT NULL,
    touchpoint_id   TEXT,
    period          TEXT    NOT NULL,
    rule_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN
                        ('open', 'contacted', 'resolved', 'not_reachable')),
    note            TEXT,
    opened_at       INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    contacted_at    INTEGER,
    resolved_at     INTEGER,
    unreachable_at  INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (response_id, rule_id)
);
CREATE INDEX cases_program ON cases (program_id, status, due_at);

ALTER TABLE invitations ADD COLUMN case_id INTEGER REFERENCES cases (id);
CREATE INDEX invitations_case ON invitations (case_id);
