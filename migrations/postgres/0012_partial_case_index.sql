-- The alert-email index covers only the invitations that belong to a case.
--
-- A full index on `invitations.case_id` let SQLite's planner answer the survey links'
-- lookup (`case_id IS NULL AND token_hash IN (…)`, eight links or more) by walking every
-- invitation that has no case, that is nearly all of them: 60 ms per batch of links at
-- 100,000 invitations instead of a fraction of a millisecond. A partial index cannot serve
-- `case_id IS NULL`, so the link lookup goes through the token index again, and lookups by
-- case (`case_id = …`, `case_id IN (…)`) still use this one.
DROP INDEX invitations_case;
CREATE INDEX invitations_case ON invitations (case_id) WHERE case_id IS NOT NULL;
