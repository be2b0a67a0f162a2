//! The parts of a program that are strings in the file but typed values everywhere else,
//! parsed once by validation: later stages read them and never report a parse error.

use std::collections::BTreeMap;

use jiff::civil::{Time, Weekday};
use lettre::message::Mailbox;

use super::calendar::Calendar;

/// Everything validation parsed out of a program, ready for the stages that run it.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Time zone, waves, cadence and windows.
    pub calendar: Calendar,
    /// Who invitations come from.
    pub sender: Mailbox,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<Mailbox>,
    /// Each channel's typed settings, by channel id.
    pub channels: BTreeMap<String, ResolvedChannel>,
}

/// A channel's settings as the dispatcher applies them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedChannel {
    /// When messages may leave, in the recipient's local time; any time when absent.
    pub send_window: Option<SendHours>,
    /// The most messages per second (positive and finite), when limited.
    pub rate_per_second: Option<f64>,
}

/// The days and hours of a send window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendHours {
    /// Allowed days; empty means every day.
    pub days: Vec<Weekday>,
    /// Opening time, inclusive.
    pub from: Time,
    /// Closing time, exclusive (after `from`).
    pub to: Time,
}
