//! The pure rules of dispatch: how an SMTP reply is judged, when a deferred message is tried
//! again, and when a send window lets a message leave. No I/O here, so every rule is
//! unit-tested with fixed clocks.

use std::time::Duration;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// The SMTP step a reply or an error belongs to: it decides whether the server may already
/// hold the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStage {
    /// Opening the connection, EHLO, STARTTLS, AUTH.
    Connect,
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO`: a 5xx here is about the recipient.
    Recipient,
    /// The `DATA` command.
    Data,
    /// The message body and the final reply: a dropped connection here is ambiguous.
    Body,
}

/// What to do with a message after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted by the server.
    Sent,
    /// Try again later (4xx, connection trouble). `maybe_delivered` when the server may
    /// already hold the message (connection lost after the body was sent).
    Retry {
        /// The server may have the message already.
        maybe_delivered: bool,
    },
    /// Never retry (5xx). `bounce` when the recipient address itself was refused, so the
    /// person is suppressed.
    Fail {
        /// The recipient was refused.
        bounce: bool,
    },
}

/// Judges an SMTP reply code at a stage.
pub fn judge_reply(stage: SmtpStage, code: u16) -> Verdict {
    match code {
        200..=399 => Verdict::Sent,
        400..=499 => Verdict::Retry {
            maybe_delivered: false,
        },
        _ => Verdict::Fail {
            bounce: stage == SmtpStage::Recipient,
        },
    }
}

/// Judges a lost connection or timeout (no reply) at a stage.
pub fn judge_network_error(stage: SmtpStage) -> Verdict {
    Verdict::Retry {
        maybe_delivered: stage == SmtpStage::Body,
    }
}

/// Exponential backoff with jitter for temporary failures, persisted as `next_attempt_at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the second attempt.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub cap: Duration,
    /// Attempts in all (the first one included) before a message is given up as failed.
    pub max_attempts: u32,
    /// Spread of the delay, 0.2 meaning ±20 %, so a wave deferred together does not come
    /// back all at once.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(60),
            cap: Duration::from_secs(6 * 3600),
            max_attempts: 8,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// The delay after the `attempts`-th failed attempt (1 for the first), or `None` when
    /// the budget is spent. `unit` in [0, 1) picks the jitter (a random draw in production).
    pub fn delay_after(&self, attempts: u32, unit: f64) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let raw = self.base.as_secs_f64() * f64::from(1u32 << exponent);
        let capped = raw.min(self.cap.as_secs_f64());
        let spread = 1.0 + self.jitter * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        Some(Duration::from_secs_f64((capped * spread).max(0.0)))
    }
}

/// Local days and hours when messages may leave, e.g. Monday to Friday 9:00–19:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    /// Allowed days; empty means every day.
    pub days: Vec<Weekday>,
    /// Opening time, inclusive.
    pub from: Time,
    /// Closing time, exclusive.
    pub to: Time,
}

impl From<&crate::program::SendHours> for SendWindow {
    fn from(hours: &crate::program::SendHours) -> Self {
        SendWindow {
            days: hours.days.clone(),
            from: hours.from,
            to: hours.to,
        }
    }
}

impl SendWindow {
    /// The first instant at or after `now` when a message may leave in time zone `zone`:
    /// `now` itself inside the window, else the next opening (DST-correct).
    pub fn next_opening(&self, now: Timestamp, zone: &TimeZone) -> Timestamp {
        let local = now.to_zoned(zone.clone());
        if self.day_allowed(local.weekday()) && self.contains(local.time()) {
            return now;
        }
        let mut date = local.date();
        for _ in 0..8 {
            if self.day_allowed(date.weekday()) {
                let opening = date
                    .to_datetime(self.from)
                    .to_zoned(zone.clone())
                    .map(|z: Zoned| z.timestamp());
                if let Ok(opening) = opening
                    && opening >= now
                {
                    return opening;
                }
            }
            match date.checked_add(1.day()) {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        now
    }

    fn day_allowed(&self, day: Weekday) -> bool {
        self.days.is_empty() || self.days.contains(&day)
    }

    fn contains(&self, time: Time) -> bool {
        if self.from <= self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        }
    }
}

/// Replaces CR, LF and other control characters with spaces: text from contact data that
/// ends up in a header (a subject, a display name) can never start a new header.
pub fn header_safe(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_judged_by_class_and_stage() {
        assert_eq!(judge_reply(SmtpStage::Body, 250), Verdict::Sent);
        assert_eq!(
            judge_reply(SmtpStage::Recipient, 450),
            Verdict::Retry {
                maybe_delivered: false
            }
        );
        assert_eq!(
            judge_reply(SmtpStage::Recipient, 550),
            Verdict::Fail { bounce: true }
        );
        assert_eq!(
            judge_reply(SmtpStage::Body, 554),
            Verdict::Fail { bounce: false }
        );
        assert_eq!(
            judge_network_error(SmtpStage::Mail),
            Verdict::Retry {
                maybe_delivered: false
            }
        );
        assert_eq!(
            judge_network_error(SmtpStage::Body),
            Verdict::Retry {
                maybe_delivered: true
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let policy = RetryPolicy {
            base: Duration::from_secs(60),
            cap: Duration::from_secs(300),
            max_attempts: 5,
            jitter: 0.2,
        };
        // unit 0.5 means no jitter: 60, 120, 240, then capped at 300.
        let delays: Vec<u64> = (1..5)
            .map(|n| policy.delay_after(n, 0.5).expect("within budget").as_secs())
            .collect();
        assert_eq!(delays, [60, 120, 240, 300]);
        assert_eq!(policy.delay_after(5, 0.5), None);
        // The jitter stays within ±20 %: 48 s to 72 s for the first retry.
        assert_eq!(policy.delay_after(1, 0.0).map(|d| d.as_secs()), Some(48));
        assert_eq!(policy.delay_after(1, 1.0).map(|d| d.as_secs()), Some(72));
    }

    fn weekdays_nine_to_seven() -> SendWindow {
        SendWindow {
            days: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            from: Time::constant(9, 0, 0, 0),
            to: Time::constant(19, 0, 0, 0),
        }
    }

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("tz")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn inside_the_window_a_message_leaves_now() {
        // Wednesday 2026-11-25 10:00 in Paris is 09:00 UTC.
        let now = at("2026-11-25T09:00:00Z");
        assert_eq!(weekdays_nine_to_seven().next_opening(now, &paris()), now);
    }

    #[test]
    fn at_ten_in_the_evening_it_waits_for_nine_the_next_morning() {
        // Wednesday 22:00 Paris (21:00 UTC) → Thursday 09:00 Paris (08:00 UTC).
        let now = at("2026-11-25T21:00:00Z");
        assert_eq!(
            weekdays_nine_to_seven().next_opening(now, &paris()),
            at("2026-11-26T08:00:00Z")
        );
    }

    #[test]
    fn on_friday_evening_it_waits_for_monday() {
        // Friday 2026-11-27 20:00 Paris → Monday 2026-11-30 09:00 Paris.
        let now = at("2026-11-27T19:00:00Z");
        assert_eq!(
            weekdays_nine_to_seven().next_opening(now, &paris()),
            at("2026-11-30T08:00:00Z")
        );
    }

    #[test]
    fn the_opening_follows_daylight_saving_time() {
        // Saturday 2026-03-28 → Monday 2026-03-30 09:00 CEST (UTC+2) = 07:00 UTC.
        let now = at("2026-03-28T12:00:00Z");
        assert_eq!(
            weekdays_nine_to_seven().next_opening(now, &paris()),
            at("2026-03-30T07:00:00Z")
        );
    }

    #[test]
    fn the_recipients_own_time_zone_is_used() {
        // 15:00 UTC is 16:00 in Paris (open) but 10:00 in New York... and 00:00 in Tokyo.
        let now = at("2026-11-25T15:00:00Z");
        let tokyo = TimeZone::get("Asia/Tokyo").expect("tz");
        assert_eq!(weekdays_nine_to_seven().next_opening(now, &paris()), now);
        assert_eq!(
            weekdays_nine_to_seven().next_opening(now, &tokyo),
            at("2026-11-26T00:00:00Z")
        );
    }

    #[test]
    fn header_text_loses_line_breaks() {
        assert_eq!(
            header_safe("Camille\r\nBcc: everyone@example.org"),
            "Camille Bcc: everyone@example.org"
        );
        assert_eq!(header_safe("  Léa \t Dupont "), "Léa Dupont");
    }
}
