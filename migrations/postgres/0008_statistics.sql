-- Question versions and NPS drivers (issue 14 points 3 and 4). No personal data: survey
-- definitions, fingerprints and counts only, so `contacts forget` leaves them as they are.
--
-- Each version of a survey's questions (definition and wording fingerprints per question,
-- see `program::fingerprint`) once, named by its own fingerprint; each response names the
-- version it answered, so `db rebuild-rollups` recomputes the two tables below.
CREATE TABLE survey_versions (
    fingerprint  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    questions    JSONB NOT NULL
);
ALTER TABLE responses ADD COLUMN survey_version TEXT;

-- Per period and question, each definition and wording fingerprint answered, with the
-- earliest submission (unix seconds) that used it; `detail` is the definition, or the
-- wording fingerprints per locale, as JSON.
CREATE TABLE question_versions (
    program_id   TEXT    COLLATE "C" NOT NULL,
    period       TEXT    COLLATE "C" NOT NULL,
    survey_id    TEXT    COLLATE "C" NOT NULL,
    question_id  TEXT    COLLATE "C" NOT NULL,
    aspect       TEXT    COLLATE "C" NOT NULL,
    fingerprint  TEXT    COLLATE "C" NOT NULL,
    detail       TEXT    COLLATE "C" NOT NULL,
    first_seen   BIGINT  NOT NULL,
    PRIMARY KEY (program_id, period, survey_id, question_id, aspect, fingerprint)
);

-- Driver counters: respondents per NPS class and answer of each closed question (answer ''
-- = answered the question at all).
CREATE TABLE driver_counts (
    program_id   TEXT    COLLATE "C" NOT NULL,
    period       TEXT    COLLATE "C" NOT NULL,
    survey_id    TEXT    COLLATE "C" NOT NULL,
    question_id  TEXT    COLLATE "C" NOT NULL,
    answer       TEXT    COLLATE "C" NOT NULL,
    nps_class    TEXT    COLLATE "C" NOT NULL,
    n            BIGINT  NOT NULL,
    PRIMARY KEY (program_id, period, survey_id, question_id, answer, nps_class)
);
