//! Report rollups: per-(program, period, segment, survey, touchpoint, channel, question,
//! value) counters, updated in the same transaction as each response (see
//! `insert_response`), from which every KPI, margin and test of a report is exact.
//!
//! The counters a response adds come from [`crate::rollup::counters`], the one pure rule
//! shared by the incremental path and `ecoute db rebuild-rollups`. Verbatim locations (not
//! their text) go to `verbatim_refs` so a report reads only its period's texts.

/// Columns of a counter row, in insert order.
pub(super) const INSERT_ROLLUPS: &str = "INSERT INTO rollups (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value, n) ";
/// Adds to existing counters instead of failing on them.
pub(super) const ADD_TO_ROLLUPS: &str = " ON CONFLICT (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value) \
     DO UPDATE SET n = rollups.n + excluded.n";
pub(super) const INSERT_VERBATIM_REFS: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) ";
/// A verbatim location already recorded is left alone.
pub(super) const VERBATIM_REFS_TAIL: &str = " ON CONFLICT DO NOTHING";
pub(super) const INSERT_SURVEY_VERSION: &str = "INSERT INTO survey_versions \
     (fingerprint, questions) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(super) const INSERT_DRIVER_COUNTS: &str = "INSERT INTO driver_counts (program_id, period, \
     survey_id, question_id, answer, nps_class, n) ";
pub(super) const ADD_TO_DRIVER_COUNTS: &str = " ON CONFLICT (program_id, period, survey_id, \
     question_id, answer, nps_class) DO UPDATE SET n = driver_counts.n + excluded.n";
pub(super) const INSERT_QUESTION_VERSIONS: &str = "INSERT INTO question_versions (program_id, \
     period, survey_id, question_id, aspect, fingerprint, detail, first_seen) ";
/// A version seen again keeps its earliest sighting.
pub(super) const KEEP_EARLIEST: &str = " ON CONFLICT (program_id, period, survey_id, \
     question_id, aspect, fingerprint) DO UPDATE SET first_seen = excluded.first_seen \
     WHERE excluded.first_seen < question_versions.first_seen";
pub(super) const SURVEY_VERSIONS: &str = "SELECT fingerprint, questions FROM survey_versions";
pub(super) const DRIVER_COUNTS: &str = "SELECT period, survey_id, question_id, answer, \
     nps_class, n FROM driver_counts WHERE program_id = $1 AND period IN ";
pub(super) const QUESTION_VERSIONS: &str = "SELECT period, survey_id, question_id, aspect, \
     fingerprint, detail, first_seen FROM question_versions WHERE program_id = $1 AND period IN ";
pub(super) const CLEAR_ROLLUPS: &str = "DELETE FROM rollups";
/// How many counters there are (after a rebuild: how many it wrote).
pub(super) const COUNT_ROLLUPS: &str = "SELECT COUNT(*) FROM rollups";
pub(super) const CLEAR_STATISTICS: [&str; 2] =
    ["DELETE FROM driver_counts", "DELETE FROM question_versions"];
/// Drops the counters nobody is counted in any more.
pub(super) const DROP_EMPTY_ROLLUPS: &str = "DELETE FROM rollups WHERE n <= 0";
pub(super) const CLEAR_VERBATIM_REFS: &str = "DELETE FROM verbatim_refs";
pub(super) const REBUILD_VERBATIM_REFS: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) \
     SELECT DISTINCT r.program_id, r.period, a.response_id, a.question_id \
     FROM answers a JOIN responses r ON r.id = a.response_id \
     WHERE a.text_value IS NOT NULL AND TRIM(a.text_value) <> ''";
pub(super) const RESPONSES_PAGE: &str = "SELECT id, program_id, survey_id, touchpoint_id, \
     channel, period, respondent, submitted_at, survey_version FROM responses \
     WHERE id > $1 ORDER BY id LIMIT $2";
pub(super) const ANSWERS_OF_PAGE: &str = "SELECT response_id, question_id, ordinal, num_value, \
     choice, text_value FROM answers WHERE response_id >= $1 AND response_id <= $2 \
     AND (num_value IS NOT NULL OR choice IS NOT NULL)";
/// Start of a counter read, on SQLite: the counters of a program, segment and periods as one
/// JSON array of `[[key fields…], n]`, the layout a [`RollupCount`] deserialises from (sqlx
/// hands SQLite rows over one at a time between threads, which costs more than the query
/// itself for a few thousand counters); the backend appends the period list.
pub(super) const SELECT_ROLLUPS_SQLITE: &str = "SELECT COALESCE(json_group_array(json_array(\
     json_array(program_id, period, segment, segment_value, survey_id, touchpoint_id, channel, \
     question_id, value), n)), '[]') FROM rollups \
     WHERE program_id = $1 AND segment = $2 AND period IN ";
/// The same read on PostgreSQL, with its JSON functions.
pub(super) const SELECT_ROLLUPS_POSTGRES: &str = "SELECT COALESCE(json_agg(json_build_array(\
     json_build_array(program_id, period, segment, segment_value, survey_id, touchpoint_id, \
     channel, question_id, value), n)), '[]') FROM rollups \
     WHERE program_id = $1 AND segment = $2 AND period IN ";
pub(super) const SEGMENTS: &str = "SELECT DISTINCT segment FROM rollups \
     WHERE program_id = $1 AND segment <> '' AND period IN ";
pub(super) const FIRST_PERIOD: &str =
    "SELECT MIN(period) FROM rollups WHERE program_id = $1 AND segment = ''";
pub(super) const DELIVERIES: &str = "SELECT w.period, w.survey_id, w.channel_id, \
     COUNT(i.id), COUNT(r.id) FROM waves w JOIN invitations i ON i.wave_id = w.id \
     LEFT JOIN responses r ON r.invitation_id = i.id \
     WHERE w.program_id = $1 AND i.state = 'sent' AND w.period IN ";
pub(super) const DELIVERIES_TAIL: &str = " GROUP BY w.period, w.survey_id, w.channel_id";
pub(super) const VERBATIM_RESPONSES: &str = "SELECT r.id, r.survey_id, r.touchpoint_id, \
     r.channel, r.respondent, a.question_id, a.ordinal, a.num_value, a.choice, a.text_value \
     FROM responses r JOIN answers a ON a.response_id = r.id \
     WHERE r.id IN (SELECT response_id FROM verbatim_refs WHERE program_id = $1 AND period IN ";
pub(super) const VERBATIM_RESPONSES_TAIL: &str = ") ORDER BY r.id, a.question_id, a.ordinal";
pub(super) const EXPORT_RESPONSES: &str = "SELECT id, invitation_id, program_id, survey_id, \
     channel, period, submitted_at, email, respondent, external_id FROM responses \
     WHERE program_id = $1 AND survey_id = $2 ORDER BY submitted_at, id";
pub(super) const EXPORT_ANSWERS: &str = "SELECT a.response_id, a.question_id, a.ordinal, \
     a.num_value, a.choice, a.text_value FROM answers a JOIN responses r ON r.id = a.response_id \
     WHERE r.program_id = $1 AND r.survey_id = $2 ORDER BY a.response_id, a.question_id, a.ordinal";
pub(super) const CALL_LIST: &str = "SELECT i.id, i.email, i.locale, i.contact_data, i.state \
     FROM invitations i JOIN waves w ON w.id = i.wave_id \
     WHERE w.program_id = $1 AND w.survey_id = $2 AND w.channel_id = $3 AND w.period = $4 \
     AND w.wave = $5 ORDER BY i.id";

/// `($first, $first+1, …)` for an `IN` list of `count` values.
pub(super) fn in_list(first: usize, count: usize) -> String {
    let params: Vec<String> = (first..first + count).map(|i| format!("${i}")).collect();
    format!("({})", params.join(", "))
}
