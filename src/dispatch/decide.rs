//! The dispatcher's decisions about one claimed message, as pure functions over facts the
//! engine gathered beforehand (store reads, the clock, the program): whether to send it now
//! (`screen`), what an attempt's result means (`judge`) and when its next reminder is due
//! (`next_reminder`). No I/O and no shared state here, so each rule is unit-tested with
//! fixed clocks; the engine only gathers, calls and applies.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::policy::{
    RetryPolicy, SendWindow, SmtpStage, Verdict, judge_network_error, judge_reply,
};
use super::transport::Attempt;
use crate::dispatch::outbox::{Claimed, Outcome, Resolution};

/// A wave with what its messages need, resolved once per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavePlan {
    /// The survey its messages invite to.
    pub survey_id: String,
    /// The channel they go through.
    pub channel_id: String,
    /// When its period closes: nothing of the wave leaves after that.
    pub closes_at: Timestamp,
}

/// The send window of a message's channel, as far as the screen is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelWindow<'a> {
    /// The channel is no longer in the program.
    Gone,
    /// The channel sends at any hour.
    Anytime,
    /// The channel sends only inside this window.
    Within(&'a SendWindow),
}

/// What the engine knows about one claimed message just before screening it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The message's wave, `None` when the wave appeared after the run started.
    pub wave: Option<&'a WavePlan>,
    /// The wave's channel and its send window.
    pub channel: ChannelWindow<'a>,
    /// The address is on the suppression list (unsubscribed, bounced, erased).
    pub suppressed: bool,
    /// The store refused the invitation its person's contact: contacted, or held by another
    /// invitation, within the fatigue window (`Claimed::fatigued`).
    pub contacted_recently: bool,
}

/// Why a message is suppressed at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The address is on the suppression list.
    Listed,
    /// The person was contacted too recently (invitations only, never reminders).
    Fatigue,
}

/// What the screen decided for one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// Send it now.
    Send,
    /// Its wave is unknown to this run: hand it back until `until`.
    WaveUnknown {
        /// When it is due again.
        until: Timestamp,
    },
    /// Its period has closed.
    Expire {
        /// When the period closed.
        closed_at: Timestamp,
    },
    /// Never send it.
    Suppress(Suppression),
    /// Its channel has left the program: it fails.
    ChannelGone {
        /// The channel the wave names.
        channel_id: String,
    },
    /// Outside the send window: hand it back until the window opens.
    WaitUntil(Timestamp),
}

/// Decides whether a claimed message may leave at `now`. Checks run in this order: unknown
/// wave, period closed, suppression list, fatigue (invitations only), channel gone, send
/// window in the recipient's time zone (their `timezone` attribute, else `program_zone`).
pub fn screen(
    item: &Claimed,
    facts: &Facts<'_>,
    program_zone: &TimeZone,
    now: Timestamp,
) -> Screening {
    let Some(wave) = facts.wave else {
        return Screening::WaveUnknown {
            until: now + 1.hour(),
        };
    };
    if now >= wave.closes_at {
        return Screening::Expire {
            closed_at: wave.closes_at,
        };
    }
    if facts.suppressed {
        return Screening::Suppress(Suppression::Listed);
    }
    if item.message == 0 && facts.contacted_recently {
        return Screening::Suppress(Suppression::Fatigue);
    }
    let window = match facts.channel {
        ChannelWindow::Gone => {
            return Screening::ChannelGone {
                channel_id: wave.channel_id.clone(),
            };
        }
        ChannelWindow::Anytime => return Screening::Send,
        ChannelWindow::Within(window) => window,
    };
    let opening = window.next_opening(now, &recipient_zone(item, program_zone));
    if opening > now {
        Screening::WaitUntil(opening)
    } else {
        Screening::Send
    }
}

impl Screening {
    /// The outcome to record for a message the screen settled, with the reason shown in
    /// `ecoute status`; `None` when it is to be sent.
    pub fn outcome(self, item: &Claimed) -> Option<Outcome> {
        let (resolution, reason, detail) = match self {
            Screening::Send => return None,
            Screening::WaveUnknown { until } => (
                Resolution::Postponed { until },
                "unknown wave",
                Some("the wave appeared after this run started".into()),
            ),
            Screening::Expire { closed_at } => (
                Resolution::Expired,
                "period closed",
                Some(format!("the period closed at {closed_at}")),
            ),
            Screening::Suppress(Suppression::Listed) => {
                (Resolution::Suppressed, "suppressed", None)
            }
            Screening::Suppress(Suppression::Fatigue) => (
                Resolution::Suppressed,
                "fatigue",
                Some("contacted recently by another survey".into()),
            ),
            Screening::ChannelGone { channel_id } => (
                Resolution::Failed,
                "unknown channel",
                Some(format!(
                    "channel `{channel_id}` is no longer in the program"
                )),
            ),
            Screening::WaitUntil(opening) => (
                Resolution::Postponed { until: opening },
                "send window",
                Some(format!("waits for the send window at {opening}")),
            ),
        };
        Some(outcome(item, resolution, reason, detail))
    }
}

/// Decides whether a claimed alert email may leave: at once, unless the case opened
/// without an address for it (its row says why), which fails it alone. Alerts go to the
/// program's own staff: no period, fatigue, suppression or send window holds them back.
pub fn screen_alert(item: &Claimed) -> Option<Outcome> {
    let problem = item.contact_data.get("problem").and_then(|p| p.as_str())?;
    Some(outcome(
        item,
        Resolution::Failed,
        "no recipient",
        Some(problem.to_owned()),
    ))
}

/// The recipient's own time zone (their `timezone` attribute, when it names a known zone),
/// else the program's.
pub fn recipient_zone(item: &Claimed, program_zone: &TimeZone) -> TimeZone {
    item.contact_data
        .get("timezone")
        .and_then(|v| v.as_str())
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or_else(|| program_zone.clone())
}

/// An outcome for `item` with nothing from a server in it.
pub fn outcome(
    item: &Claimed,
    resolution: Resolution,
    reason: &str,
    detail: Option<String>,
) -> Outcome {
    Outcome {
        invitation_id: item.invitation_id,
        fence: item.fence,
        message: item.message,
        resolution,
        reason: reason.to_owned(),
        detail,
        smtp_code: None,
        maybe_delivered: false,
        bounce_email: None,
        contact: None,
    }
}

/// Hands a message back untried: due again now, not counted as an attempt.
pub fn untried(item: &Claimed, now: Timestamp) -> Outcome {
    outcome(
        item,
        Resolution::Postponed { until: now },
        "not attempted",
        Some("the run stopped before this message was sent".into()),
    )
}

/// What judging an attempt tells the run about the server, besides the message's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSignal {
    /// The server took a message: the count of failed connections starts again.
    Accepted,
    /// The server could not be reached: one more failed connection.
    Unreachable(String),
    /// No retry fixes this (credentials, sender, outbox folder): the run stops.
    Fatal(String),
    /// Nothing to note about the server.
    Quiet,
}

/// A judged attempt: the outcome to record and what it says about the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// What becomes of the message.
    pub outcome: Outcome,
    /// What the run learns about the server.
    pub signal: ServerSignal,
}

/// The fixed inputs of `judge`, besides the attempt and the message.
#[derive(Debug, Clone, Copy)]
pub struct JudgeContext<'a> {
    /// The dispatcher's clock.
    pub now: Timestamp,
    /// When the message's period closes: no retry or reminder after that.
    pub closes_at: Timestamp,
    /// Backoff of temporary failures.
    pub retry: &'a RetryPolicy,
    /// A draw in [0, 1) that picks the retry's jitter (random in production).
    pub jitter: f64,
    /// Days from the invitation to each reminder.
    pub reminder_days: &'a [i64],
    /// The program's time zone, in which reminder days are counted.
    pub zone: &'a TimeZone,
    /// The program, recorded with a first contact for the fatigue rule.
    pub program_id: &'a str,
}

/// Judges one attempt at `item`: accepted (with its next reminder), retried with backoff on
/// 4xx and lost connections (unless the budget is spent or the period closes first), failed
/// on 5xx (a bounce when the recipient itself was refused), or handed back on a fatal error.
pub fn judge(item: &Claimed, attempt: Attempt, context: &JudgeContext<'_>) -> Judgement {
    let now = context.now;
    let mut signal = ServerSignal::Quiet;
    let (verdict, code, reason, detail) = match attempt {
        Attempt::Accepted { code, text } => {
            (Verdict::Sent, Some(code), "accepted".to_owned(), text)
        }
        Attempt::Refused { stage, code, text } => (
            judge_reply(stage, code),
            Some(code),
            format!("smtp {code}"),
            text,
        ),
        Attempt::NoReply { stage, error } => {
            if stage == SmtpStage::Connect {
                signal = ServerSignal::Unreachable(error.clone());
            }
            (
                judge_network_error(stage),
                None,
                "no reply".to_owned(),
                error,
            )
        }
        Attempt::Fatal { error } => {
            return Judgement {
                outcome: untried(item, now),
                signal: ServerSignal::Fatal(error),
            };
        }
    };
    if verdict == Verdict::Sent {
        signal = ServerSignal::Accepted;
    }
    let mut result = outcome(item, Resolution::Failed, &reason, Some(detail));
    result.smtp_code = code.filter(|_| reason != "accepted");
    match verdict {
        Verdict::Sent => {
            let invitation_sent_at = if item.message == 0 {
                now
            } else {
                item.sent_at.unwrap_or(now)
            };
            result.resolution = Resolution::Sent {
                next_reminder_at: next_reminder(
                    item.message,
                    invitation_sent_at,
                    context.reminder_days,
                    context.zone,
                    context.closes_at,
                ),
            };
            result.detail = None;
            result.maybe_delivered = item.taken_over;
            if item.message == 0 {
                result.contact = Some((item.email.clone(), context.program_id.to_owned()));
            }
        }
        Verdict::Retry { maybe_delivered } => {
            result.maybe_delivered = maybe_delivered;
            result.resolution = match context.retry.delay_after(item.attempts + 1, context.jitter) {
                Some(delay) => {
                    let at = now.checked_add(delay).unwrap_or(Timestamp::MAX);
                    if at >= context.closes_at {
                        result.reason = format!("{reason}; the period closes before a retry");
                        Resolution::Expired
                    } else {
                        Resolution::Retry { at }
                    }
                }
                None => {
                    result.reason = format!(
                        "{reason}; gave up after {} attempts",
                        context.retry.max_attempts
                    );
                    Resolution::Failed
                }
            };
        }
        Verdict::Fail { bounce } => {
            if bounce {
                result.bounce_email = Some(item.email.clone());
            }
        }
    }
    Judgement {
        outcome: result,
        signal,
    }
}

/// When the reminder after message `message` (0 for the invitation) is due: `reminder_days`
/// whole days after the invitation was sent, counted on the calendar of `zone` (so the hour
/// of day holds across a DST change), and only if that is before the period closes.
pub fn next_reminder(
    message: u32,
    invitation_sent_at: Timestamp,
    reminder_days: &[i64],
    zone: &TimeZone,
    closes_at: Timestamp,
) -> Option<Timestamp> {
    let index = usize::try_from(message).ok()?;
    let days = *reminder_days.get(index)?;
    let at = invitation_sent_at
        .to_zoned(zone.clone())
        .checked_add(days.days())
        .ok()?
        .timestamp();
    (at < closes_at).then_some(at)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use jiff::civil::Time;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("tz")
    }

    fn claimed(message: u32) -> Claimed {
        Claimed {
            invitation_id: 7,
            wave_id: 3,
            fence: 11,
            message,
            email: "camille@example.org".into(),
            locale: None,
            contact_data: Default::default(),
            attempts: 0,
            sent_at: None,
            taken_over: false,
            fatigued: false,
            suppressed: false,
            case_id: None,
        }
    }

    fn in_zone(mut item: Claimed, zone: &str) -> Claimed {
        item.contact_data
            .insert("timezone".into(), serde_json::Value::from(zone));
        item
    }

    fn wave(closes_at: &str) -> WavePlan {
        WavePlan {
            survey_id: "livraison".into(),
            channel_id: "email".into(),
            closes_at: at(closes_at),
        }
    }

    static EVERY_DAY_NINE_TO_SEVEN: SendWindow = SendWindow {
        days: Vec::new(),
        from: Time::constant(9, 0, 0, 0),
        to: Time::constant(19, 0, 0, 0),
    };

    fn facts(wave: &WavePlan) -> Facts<'_> {
        Facts {
            wave: Some(wave),
            channel: ChannelWindow::Anytime,
            suppressed: false,
            contacted_recently: false,
        }
    }

    fn windowed(wave: &WavePlan) -> Facts<'_> {
        Facts {
            channel: ChannelWindow::Within(&EVERY_DAY_NINE_TO_SEVEN),
            ..facts(wave)
        }
    }

    /// Asserts that `screening` records the invitation as handed back until `until`.
    fn assert_handed_back(screening: Screening, until: &str, reason: &str) {
        let outcome = screening.outcome(&claimed(0)).expect("settled");
        assert_eq!(
            outcome.resolution,
            Resolution::Postponed { until: at(until) }
        );
        assert_eq!(outcome.reason, reason);
    }

    // Wednesday 2026-11-25 10:00 in Paris.
    const WEDNESDAY_MORNING: &str = "2026-11-25T09:00:00Z";
    const END_OF_NOVEMBER: &str = "2026-11-30T23:00:00Z";

    #[test]
    fn an_open_period_with_no_window_sends_now() {
        let wave = wave(END_OF_NOVEMBER);
        let now = at(WEDNESDAY_MORNING);
        assert_eq!(
            screen(&claimed(0), &facts(&wave), &paris(), now),
            Screening::Send
        );
        assert_eq!(Screening::Send.outcome(&claimed(0)), None);
    }

    #[test]
    fn a_wave_unknown_to_the_run_comes_back_in_an_hour() {
        let facts = Facts {
            wave: None,
            channel: ChannelWindow::Gone,
            suppressed: true,
            contacted_recently: true,
        };
        let screening = screen(&claimed(0), &facts, &paris(), at("2026-11-25T09:00:00Z"));
        assert_eq!(
            screening,
            Screening::WaveUnknown {
                until: at("2026-11-25T10:00:00Z")
            }
        );
        assert_handed_back(screening, "2026-11-25T10:00:00Z", "unknown wave");
    }

    #[test]
    fn at_the_close_of_the_period_the_message_expires_before_anything_else() {
        let wave = wave("2026-11-25T09:00:00Z");
        let facts = Facts {
            suppressed: true,
            ..facts(&wave)
        };
        // Closed at the very instant of the close, open one second before it.
        let screening = screen(&claimed(0), &facts, &paris(), at("2026-11-25T09:00:00Z"));
        assert_eq!(
            screening,
            Screening::Expire {
                closed_at: at("2026-11-25T09:00:00Z")
            }
        );
        assert_eq!(
            screen(&claimed(0), &facts, &paris(), at("2026-11-25T08:59:59Z")),
            Screening::Suppress(Suppression::Listed)
        );
        let outcome = screening.outcome(&claimed(0)).expect("settled");
        assert_eq!(outcome.resolution, Resolution::Expired);
        assert_eq!(outcome.reason, "period closed");
        assert_eq!(
            outcome.detail.as_deref(),
            Some("the period closed at 2026-11-25T09:00:00Z")
        );
        assert_eq!((outcome.invitation_id, outcome.fence), (7, 11));
    }

    #[test]
    fn the_suppression_list_wins_over_fatigue_and_a_gone_channel() {
        let wave = wave(END_OF_NOVEMBER);
        let facts = Facts {
            channel: ChannelWindow::Gone,
            suppressed: true,
            contacted_recently: true,
            ..facts(&wave)
        };
        let screening = screen(&claimed(1), &facts, &paris(), at(WEDNESDAY_MORNING));
        assert_eq!(screening, Screening::Suppress(Suppression::Listed));
        let outcome = screening.outcome(&claimed(1)).expect("settled");
        assert_eq!(
            (outcome.resolution, outcome.reason.as_str(), outcome.detail),
            (Resolution::Suppressed, "suppressed", None)
        );
    }

    #[test]
    fn fatigue_holds_back_invitations_but_never_reminders() {
        let wave = wave(END_OF_NOVEMBER);
        let facts = Facts {
            contacted_recently: true,
            ..facts(&wave)
        };
        let now = at(WEDNESDAY_MORNING);
        let screening = screen(&claimed(0), &facts, &paris(), now);
        assert_eq!(screening, Screening::Suppress(Suppression::Fatigue));
        assert_eq!(screen(&claimed(1), &facts, &paris(), now), Screening::Send);
        let outcome = screening.outcome(&claimed(0)).expect("settled");
        assert_eq!(outcome.resolution, Resolution::Suppressed);
        assert_eq!(outcome.reason, "fatigue");
    }

    #[test]
    fn a_channel_that_left_the_program_fails_the_message() {
        let wave = wave(END_OF_NOVEMBER);
        let facts = Facts {
            channel: ChannelWindow::Gone,
            ..facts(&wave)
        };
        let screening = screen(&claimed(0), &facts, &paris(), at(WEDNESDAY_MORNING));
        assert_eq!(
            screening,
            Screening::ChannelGone {
                channel_id: "email".into()
            }
        );
        let outcome = screening.outcome(&claimed(0)).expect("settled");
        assert_eq!(outcome.resolution, Resolution::Failed);
        assert_eq!(
            outcome.detail.as_deref(),
            Some("channel `email` is no longer in the program")
        );
    }

    #[test]
    fn outside_the_window_the_message_waits_for_the_opening_across_the_autumn_change() {
        // Saturday 2026-10-24 22:00 CEST (20:00 UTC); clocks go back at 03:00 on Sunday 25
        // October, so Sunday 09:00 in Paris is 09:00 CET = 08:00 UTC (not 07:00 UTC).
        let wave = wave(END_OF_NOVEMBER);
        let facts = windowed(&wave);
        let screening = screen(&claimed(0), &facts, &paris(), at("2026-10-24T20:00:00Z"));
        assert_eq!(screening, Screening::WaitUntil(at("2026-10-25T08:00:00Z")));
        assert_handed_back(screening, "2026-10-25T08:00:00Z", "send window");
    }

    #[test]
    fn the_window_is_read_in_the_recipients_zone_else_the_programs() {
        // Wednesday 2026-11-25 14:00 UTC is 15:00 in Paris (open) and 23:00 in Tokyo
        // (shut until Thursday 09:00 Tokyo, UTC+9, which is 00:00 UTC).
        let wave = wave(END_OF_NOVEMBER);
        let facts = windowed(&wave);
        let now = at("2026-11-25T14:00:00Z");
        assert_eq!(screen(&claimed(0), &facts, &paris(), now), Screening::Send);
        assert_eq!(
            screen(&in_zone(claimed(0), "Asia/Tokyo"), &facts, &paris(), now),
            Screening::WaitUntil(at("2026-11-26T00:00:00Z"))
        );
        // An unknown zone name falls back to the program's zone.
        assert_eq!(
            screen(&in_zone(claimed(0), "Mars/Olympus"), &facts, &paris(), now),
            Screening::Send
        );
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(60),
            cap: Duration::from_secs(3600),
            max_attempts: 3,
            jitter: 0.2,
        }
    }

    const LATE_CLOSE: &str = "2026-04-30T22:00:00Z";

    /// Judges `attempt` at 2026-03-27 09:00 UTC (Friday 10:00 in Paris), reminders after 3
    /// and 7 days, with the jitter in its middle (the delay is exactly the backoff).
    fn judged(item: &Claimed, attempt: Attempt, closes_at: &str) -> Judgement {
        let retry = policy();
        let zone = paris();
        let context = JudgeContext {
            now: at("2026-03-27T09:00:00Z"),
            closes_at: at(closes_at),
            retry: &retry,
            jitter: 0.5,
            reminder_days: &[3, 7],
            zone: &zone,
            program_id: "satisfaction",
        };
        judge(item, attempt, &context)
    }

    fn accepted() -> Attempt {
        Attempt::Accepted {
            code: 250,
            text: "queued".into(),
        }
    }

    fn refused(stage: SmtpStage, code: u16) -> Attempt {
        Attempt::Refused {
            stage,
            code,
            text: "go away".into(),
        }
    }

    #[test]
    fn an_accepted_invitation_counts_as_a_contact_and_schedules_its_reminder() {
        let judgement = judged(&claimed(0), accepted(), LATE_CLOSE);
        assert_eq!(judgement.signal, ServerSignal::Accepted);
        let outcome = judgement.outcome;
        // Sent Friday 10:00 CET; 3 days on, Monday 30 March 10:00 CEST = 08:00 UTC.
        assert_eq!(
            outcome.resolution,
            Resolution::Sent {
                next_reminder_at: Some(at("2026-03-30T08:00:00Z"))
            }
        );
        assert_eq!(outcome.reason, "accepted");
        assert_eq!((outcome.smtp_code, outcome.detail), (None, None));
        assert_eq!(
            outcome.contact,
            Some(("camille@example.org".into(), "satisfaction".into()))
        );
        assert!(!outcome.maybe_delivered);
    }

    #[test]
    fn an_accepted_reminder_is_no_new_contact_and_a_taken_over_one_may_be_a_duplicate() {
        let mut reminder = claimed(1);
        reminder.sent_at = Some(at("2026-03-20T09:00:00Z"));
        reminder.taken_over = true;
        let outcome = judged(&reminder, accepted(), LATE_CLOSE).outcome;
        // Counted from the invitation (Friday 20 March 10:00 CET), 7 days: Friday 27
        // March 10:00 CET = 09:00 UTC.
        assert_eq!(
            outcome.resolution,
            Resolution::Sent {
                next_reminder_at: Some(at("2026-03-27T09:00:00Z"))
            }
        );
        assert_eq!(outcome.contact, None);
        assert!(outcome.maybe_delivered);
    }

    #[test]
    fn a_4xx_is_retried_after_the_backoff() {
        let judgement = judged(&claimed(0), refused(SmtpStage::Mail, 451), LATE_CLOSE);
        assert_eq!(judgement.signal, ServerSignal::Quiet);
        let outcome = judgement.outcome;
        assert_eq!(
            outcome.resolution,
            Resolution::Retry {
                at: at("2026-03-27T09:01:00Z")
            }
        );
        assert_eq!(outcome.reason, "smtp 451");
        assert_eq!(outcome.smtp_code, Some(451));
        assert_eq!(outcome.detail.as_deref(), Some("go away"));
        assert_eq!(outcome.bounce_email, None);
    }

    #[test]
    fn the_third_temporary_failure_of_three_allowed_gives_up() {
        let mut item = claimed(0);
        item.attempts = 2;
        let outcome = judged(&item, refused(SmtpStage::Recipient, 450), LATE_CLOSE).outcome;
        assert_eq!(outcome.resolution, Resolution::Failed);
        assert_eq!(outcome.reason, "smtp 450; gave up after 3 attempts");
        assert_eq!(outcome.bounce_email, None);
    }

    #[test]
    fn a_retry_that_would_land_after_the_close_expires() {
        let mut item = claimed(0);
        item.attempts = 1;
        // Second failure: 120 s of backoff, 09:02:00, and the period closes at 09:02:00.
        let outcome = judged(&item, refused(SmtpStage::Data, 421), "2026-03-27T09:02:00Z").outcome;
        assert_eq!(outcome.resolution, Resolution::Expired);
        assert_eq!(outcome.reason, "smtp 421; the period closes before a retry");
        let outcome = judged(&item, refused(SmtpStage::Data, 421), "2026-03-27T09:02:01Z").outcome;
        assert_eq!(
            outcome.resolution,
            Resolution::Retry {
                at: at("2026-03-27T09:02:00Z")
            }
        );
    }

    #[test]
    fn a_5xx_at_rcpt_bounces_the_address_and_elsewhere_only_fails() {
        let bounced = judged(&claimed(0), refused(SmtpStage::Recipient, 550), LATE_CLOSE).outcome;
        assert_eq!(bounced.resolution, Resolution::Failed);
        assert_eq!(bounced.reason, "smtp 550");
        assert_eq!(bounced.smtp_code, Some(550));
        assert_eq!(bounced.bounce_email.as_deref(), Some("camille@example.org"));
        let refused_body = judged(&claimed(0), refused(SmtpStage::Body, 554), LATE_CLOSE).outcome;
        assert_eq!(refused_body.resolution, Resolution::Failed);
        assert_eq!(refused_body.bounce_email, None);
    }

    #[test]
    fn no_reply_is_retried_and_tells_whether_the_server_may_hold_the_message() {
        let lost_body = judged(
            &claimed(0),
            Attempt::NoReply {
                stage: SmtpStage::Body,
                error: "connection reset".into(),
            },
            LATE_CLOSE,
        );
        assert_eq!(lost_body.signal, ServerSignal::Quiet);
        assert!(lost_body.outcome.maybe_delivered);
        assert_eq!(lost_body.outcome.reason, "no reply");
        assert_eq!(lost_body.outcome.smtp_code, None);
        let refused_connection = judged(
            &claimed(0),
            Attempt::NoReply {
                stage: SmtpStage::Connect,
                error: "connection refused".into(),
            },
            LATE_CLOSE,
        );
        assert_eq!(
            refused_connection.signal,
            ServerSignal::Unreachable("connection refused".into())
        );
        assert!(!refused_connection.outcome.maybe_delivered);
        assert_eq!(
            refused_connection.outcome.resolution,
            Resolution::Retry {
                at: at("2026-03-27T09:01:00Z")
            }
        );
    }

    #[test]
    fn a_fatal_error_stops_the_run_and_hands_the_message_back_untried() {
        let judgement = judged(
            &claimed(0),
            Attempt::Fatal {
                error: "535 authentication failed".into(),
            },
            LATE_CLOSE,
        );
        assert_eq!(
            judgement.signal,
            ServerSignal::Fatal("535 authentication failed".into())
        );
        assert_eq!(
            judgement.outcome.resolution,
            Resolution::Postponed {
                until: at("2026-03-27T09:00:00Z")
            }
        );
        assert_eq!(judgement.outcome.reason, "not attempted");
    }

    #[test]
    fn reminders_keep_the_local_hour_across_the_spring_change() {
        // Sent Friday 27 March 2026 10:00 CET (09:00 UTC); clocks go forward on Sunday 29.
        let sent = at("2026-03-27T09:00:00Z");
        let close = at(LATE_CLOSE);
        let days = [3, 7];
        // 3 days: Monday 30 March 10:00 CEST = 08:00 UTC (72 h would give 09:00 UTC).
        assert_eq!(
            next_reminder(0, sent, &days, &paris(), close),
            Some(at("2026-03-30T08:00:00Z"))
        );
        // 7 days from the invitation: Friday 3 April 10:00 CEST = 08:00 UTC.
        assert_eq!(
            next_reminder(1, sent, &days, &paris(), close),
            Some(at("2026-04-03T08:00:00Z"))
        );
        // No third reminder.
        assert_eq!(next_reminder(2, sent, &days, &paris(), close), None);
    }

    #[test]
    fn reminders_keep_the_local_hour_across_the_autumn_change() {
        // Sent Friday 23 October 2026 10:00 CEST (08:00 UTC); clocks go back on Sunday 25.
        // 3 days: Monday 26 October 10:00 CET = 09:00 UTC.
        assert_eq!(
            next_reminder(
                0,
                at("2026-10-23T08:00:00Z"),
                &[3],
                &paris(),
                at("2026-10-31T23:00:00Z")
            ),
            Some(at("2026-10-26T09:00:00Z"))
        );
    }

    #[test]
    fn no_reminder_at_or_after_the_close() {
        let sent = at("2026-03-27T09:00:00Z");
        let due = "2026-03-30T08:00:00Z";
        assert_eq!(next_reminder(0, sent, &[3], &paris(), at(due)), None);
        assert_eq!(
            next_reminder(0, sent, &[3], &paris(), at("2026-03-30T08:00:01Z")),
            Some(at(due))
        );
    }
}
