//! What operators watch, as pure functions: the scheduler liveness rule of `/healthz` and the
//! Prometheus text exposition of `/metrics` (format 0.0.4). The web server gathers the
//! numbers (`collect`), this module judges and writes them.

use std::fmt::Write;
use std::time::Duration;

use jiff::Timestamp;

/// How the scheduler of `ecoute daemon` is doing, as `/healthz` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// A pass completed within the allowed delay.
    Alive,
    /// No pass has completed since the daemon started.
    NoPassYet,
    /// The last pass is older than the allowed delay.
    Stale {
        /// Seconds since the last pass.
        seconds: i64,
    },
}

impl Liveness {
    /// Judges the last completed pass at `now`: alive while it is at most `stale_after` old
    /// (a pass stamped slightly in the future, by a clock step, counts as alive).
    pub fn judge(last_pass: Option<Timestamp>, now: Timestamp, stale_after: Duration) -> Self {
        let Some(last) = last_pass else {
            return Liveness::NoPassYet;
        };
        let seconds = now.as_second() - last.as_second();
        if u64::try_from(seconds).is_ok_and(|s| s > stale_after.as_secs()) {
            Liveness::Stale { seconds }
        } else {
            Liveness::Alive
        }
    }

    /// Whether `/healthz` may answer 200.
    pub fn is_alive(self) -> bool {
        self == Liveness::Alive
    }

    /// The word `/healthz` shows for the scheduler.
    pub fn describe(self) -> String {
        match self {
            Liveness::Alive => "ok".to_owned(),
            Liveness::NoPassYet => "no pass yet".to_owned(),
            Liveness::Stale { seconds } => format!("stale: last pass {seconds} s ago"),
        }
    }
}

/// Everything `/metrics` shows, gathered at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Invitations per (program, state).
    pub invitations: Vec<(String, String, u64)>,
    /// Messages accepted by the mail server per (program, channel): invitations, reminders.
    pub sent: Vec<(String, String, u64, u64)>,
    /// SMTP replies recorded per code class (2, 4, 5 for 2xx, 4xx, 5xx).
    pub smtp_replies: Vec<(u16, u64)>,
    /// Responses stored, every program and channel.
    pub responses: u64,
    /// Per program: seconds since its oldest due message became due (0 when none is due).
    pub oldest_due_seconds: Vec<(String, i64)>,
    /// Per program: when the daemon's scheduler next fires; empty under `ecoute serve`.
    pub next_ticks: Vec<(String, Timestamp)>,
    /// When the daemon's scheduler last completed a pass; `None` under `ecoute serve`.
    pub scheduler_last_pass: Option<Timestamp>,
    /// Per program: open cases past their promised call-back.
    pub overdue_cases: Vec<(String, u64)>,
}

/// The media type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes `snapshot` in the Prometheus text exposition format: one `# HELP` and `# TYPE`
/// per metric, then one sample per label set. A metric without samples is left out.
pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
        if samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    family(
        "ecoute_invitations",
        "gauge",
        "Invitations per program and state.",
        snapshot
            .invitations
            .iter()
            .map(|(program, state, n)| {
                (
                    labels(&[("program", program), ("state", state)]),
                    n.to_string(),
                )
            })
            .collect(),
    );
    family(
        "ecoute_messages_sent_total",
        "counter",
        "Messages accepted by the mail server, per program, channel and kind.",
        snapshot
            .sent
            .iter()
            .flat_map(|(program, channel, invitations, reminders)| {
                [("invitation", invitations), ("reminder", reminders)].map(|(kind, n)| {
                    let set = [
                        ("program", program.as_str()),
                        ("channel", channel),
                        ("kind", kind),
                    ];
                    (labels(&set), n.to_string())
                })
            })
            .collect(),
    );
    family(
        "ecoute_smtp_replies_total",
        "counter",
        "SMTP replies recorded, per code class.",
        snapshot
            .smtp_replies
            .iter()
            .map(|(class, n)| (labels(&[("class", &format!("{class}xx"))]), n.to_string()))
            .collect(),
    );
    family(
        "ecoute_responses_stored_total",
        "counter",
        "Responses stored, every program and channel.",
        vec![(String::new(), snapshot.responses.to_string())],
    );
    family(
        "ecoute_oldest_due_message_age_seconds",
        "gauge",
        "Seconds since the oldest message that is due and not yet sent became due (0 when none).",
        snapshot
            .oldest_due_seconds
            .iter()
            .map(|(program, s)| (labels(&[("program", program)]), s.to_string()))
            .collect(),
    );
    family(
        "ecoute_next_tick_timestamp_seconds",
        "gauge",
        "When the scheduler next fires for the program (unix seconds).",
        snapshot
            .next_ticks
            .iter()
            .map(|(program, at)| (labels(&[("program", program)]), at.as_second().to_string()))
            .collect(),
    );
    family(
        "ecoute_scheduler_last_pass_timestamp_seconds",
        "gauge",
        "When the scheduler last completed a pass (unix seconds).",
        snapshot
            .scheduler_last_pass
            .iter()
            .map(|at| (String::new(), at.as_second().to_string()))
            .collect(),
    );
    family(
        "ecoute_cases_overdue",
        "gauge",
        "Open follow-up cases past their promised call-back, per program.",
        snapshot
            .overdue_cases
            .iter()
            .map(|(program, n)| (labels(&[("program", program)]), n.to_string()))
            .collect(),
    );
    out
}

/// `{name="value",…}` with the values escaped as the format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn the_scheduler_is_stale_past_the_allowed_delay() {
        let now = at("2026-11-30T10:00:00Z");
        let two_minutes = Duration::from_secs(120);
        assert_eq!(Liveness::judge(None, now, two_minutes), Liveness::NoPassYet);
        let exactly = Some(at("2026-11-30T09:58:00Z"));
        assert_eq!(Liveness::judge(exactly, now, two_minutes), Liveness::Alive);
        let one_second_late = Some(at("2026-11-30T09:57:59Z"));
        assert_eq!(
            Liveness::judge(one_second_late, now, two_minutes),
            Liveness::Stale { seconds: 121 }
        );
        let ahead = Some(at("2026-11-30T10:00:05Z"));
        assert!(Liveness::judge(ahead, now, two_minutes).is_alive());
        assert_eq!(
            Liveness::Stale { seconds: 121 }.describe(),
            "stale: last pass 121 s ago"
        );
        assert!(!Liveness::NoPassYet.is_alive());
    }

    #[test]
    fn metrics_are_written_in_the_text_exposition_format() {
        let snapshot = Snapshot {
            invitations: vec![
                ("fidelite".into(), "planned".into(), 3),
                ("fidelite".into(), "sent".into(), 12),
            ],
            sent: vec![("fidelite".into(), "email".into(), 12, 4)],
            smtp_replies: vec![(2, 16), (4, 1), (5, 2)],
            responses: 5,
            oldest_due_seconds: vec![("fidelite".into(), 90)],
            next_ticks: vec![("a\"b".into(), at("2026-12-02T09:00:00Z"))],
            scheduler_last_pass: Some(at("2026-11-30T10:00:00Z")),
            overdue_cases: vec![("fidelite".into(), 2)],
        };
        let expected = "\
# HELP ecoute_invitations Invitations per program and state.
# TYPE ecoute_invitations gauge
ecoute_invitations{program=\"fidelite\",state=\"planned\"} 3
ecoute_invitations{program=\"fidelite\",state=\"sent\"} 12
# HELP ecoute_messages_sent_total Messages accepted by the mail server, per program, channel and kind.
# TYPE ecoute_messages_sent_total counter
ecoute_messages_sent_total{program=\"fidelite\",channel=\"email\",kind=\"invitation\"} 12
ecoute_messages_sent_total{program=\"fidelite\",channel=\"email\",kind=\"reminder\"} 4
# HELP ecoute_smtp_replies_total SMTP replies recorded, per code class.
# TYPE ecoute_smtp_replies_total counter
ecoute_smtp_replies_total{class=\"2xx\"} 16
ecoute_smtp_replies_total{class=\"4xx\"} 1
ecoute_smtp_replies_total{class=\"5xx\"} 2
# HELP ecoute_responses_stored_total Responses stored, every program and channel.
# TYPE ecoute_responses_stored_total counter
ecoute_responses_stored_total 5
# HELP ecoute_oldest_due_message_age_seconds Seconds since the oldest message that is due and not yet sent became due (0 when none).
# TYPE ecoute_oldest_due_message_age_seconds gauge
ecoute_oldest_due_message_age_seconds{program=\"fidelite\"} 90
# HELP ecoute_next_tick_timestamp_seconds When the scheduler next fires for the program (unix seconds).
# TYPE ecoute_next_tick_timestamp_seconds gauge
ecoute_next_tick_timestamp_seconds{program=\"a\\\"b\"} 1796202000
# HELP ecoute_scheduler_last_pass_timestamp_seconds When the scheduler last completed a pass (unix seconds).
# TYPE ecoute_scheduler_last_pass_timestamp_seconds gauge
ecoute_scheduler_last_pass_timestamp_seconds 1796032800
# HELP ecoute_cases_overdue Open follow-up cases past their promised call-back, per program.
# TYPE ecoute_cases_overdue gauge
ecoute_cases_overdue{program=\"fidelite\"} 2
";
        assert_eq!(render(&snapshot), expected);
        let empty =
            "# HELP ecoute_responses_stored_total Responses stored, every program and channel.
# TYPE ecoute_responses_stored_total counter
ecoute_responses_stored_total 0
";
        assert_eq!(render(&Snapshot::default()), empty);
    }
}
