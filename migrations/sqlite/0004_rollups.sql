-- Report rollups: mergeable counters per (program, period, segment, survey, touchpoint,
-- channel, question, answer value), kept up to date in the same transaction as each
-- response, so a report reads a few thousand counters instead of millions of answers.
-- segment = '' and segment_value = '' is "all respondents"; otherwise one row set per
-- respondent attribute and value. question_id = '' (value 0) counts the responses.
-- No personal data: counts only.
CREATE TABLE rollups (
    program_id     TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    segment        TEXT    NOT NULL,
    segment_value  TEXT    NOT NULL,
    survey_id      TEXT    NOT NULL,
    touchpoint_id  TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    question_id    TEXT    NOT NULL,
    value          INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (program_id, period, segment, segment_value, survey_id, touchpoint_id,
                 channel, question_id, value)
) WITHOUT ROWID;

-- Where a period's verbatims are, so theme counts read only that period's texts.
CREATE TABLE verbatim_refs (
    program_id   TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    response_id  INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id  TEXT    NOT NULL,
    PRIMARY KEY (program_id, period, response_id, question_id)
) WITHOUT ROWID;
