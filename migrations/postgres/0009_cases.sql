-- Closing the loop (PostgreSQL flavour, as 0008 on SQLite): a case is opened with a response that matches an alert rule, in the
-- same transaction. Its alert emails are outbox rows of their own kind: invitations whose
-- `case_id` names the case, in a wave of their own (channel `!alert`, one per case), so
-- they are claimed, leased, fenced, retried and paced like invitations. Each recipient's
-- personal link to the case page is the token hash of their alert row.
CREATE TABLE cases (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id     BIGINT  NOT NULL REFERENCES responses (id),
    program_id      TEXT    COLLATE "C" NOT NULL,
    survey_id       TEXT    COLLATE "C" NOT NULL,
    touchpoint_id   TEXT    COLLATE "C",
    period          TEXT    COLLATE "C" NOT NULL,
    rule_id         TEXT    COLLATE "C" NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN
                        ('open', 'contacted', 'resolved', 'not_reachable')),
    note            TEXT,
    opened_at       BIGINT  NOT NULL,
    due_at          BIGINT  NOT NULL,
    contacted_at    BIGINT,
    resolved_at     BIGINT,
    unreachable_at  BIGINT,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (response_id, rule_id)
);
CREATE INDEX cases_program ON cases (program_id, status, due_at);

ALTER TABLE invitations ADD COLUMN case_id BIGINT REFERENCES cases (id);
CREATE INDEX invitations_case ON invitations (case_id);
