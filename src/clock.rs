//! The one clock the dispatcher, the daemon's scheduler and the web server read: the real
//! time in production, or a rehearsal clock that starts at another instant (`send --at`) and
//! may run faster than real time (`daemon --at … --clock-rate N`), so a test sees a month of
//! waves, reminders and closes in seconds.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// Wall time as ecoute acts on it; cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// The real instant the clock was set.
    set_at: Timestamp,
    /// What the clock read at `set_at`.
    reading: Timestamp,
    /// Clock seconds per real second (1 in real life).
    rate: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::real()
    }
}

impl Clock {
    /// The real time.
    pub fn real() -> Clock {
        let now = Timestamp::now();
        Clock {
            set_at: now,
            reading: now,
            rate: 1.0,
        }
    }

    /// A clock that reads `at` now and then runs `rate` times as fast as real time (a rate
    /// that is not a positive number counts as 1).
    pub fn starting_at(at: Timestamp, rate: f64) -> Clock {
        Clock {
            set_at: Timestamp::now(),
            reading: at,
            rate: if rate.is_finite() && rate > 0.0 {
                rate
            } else {
                1.0
            },
        }
    }

    /// The current instant by this clock.
    pub fn now(&self) -> Timestamp {
        let real = Timestamp::now();
        if self.rate == 1.0 && self.set_at == self.reading {
            return real;
        }
        let elapsed = real.duration_since(self.set_at).as_secs_f64() * self.rate;
        SignedDuration::try_from_secs_f64(elapsed)
            .ok()
            .and_then(|span| self.reading.checked_add(span).ok())
            .unwrap_or(real)
    }

    /// Clock seconds per real second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// How long to really wait until this clock reaches `at` (zero when it already has).
    pub fn real_wait_until(&self, at: Timestamp) -> Duration {
        let ahead = self.now().duration_until(at).as_secs_f64();
        Duration::try_from_secs_f64(ahead.max(0.0) / self.rate).unwrap_or(Duration::MAX)
    }

    /// A real duration as this clock counts it (a lease of 5 real minutes lasts 5 minutes
    /// whatever the rate).
    pub fn scaled(&self, real: Duration) -> Duration {
        Duration::try_from_secs_f64(real.as_secs_f64() * self.rate).unwrap_or(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_runs_rate_times_real_time_from_its_start() {
        let start: Timestamp = "2026-11-02T08:00:00Z".parse().expect("timestamp");
        let clock = Clock::starting_at(start, 3600.0);
        let read = clock.now();
        assert!(read >= start, "{read}");
        assert!(read < start + SignedDuration::from_hours(1), "{read}");
        let tomorrow = start + SignedDuration::from_hours(24);
        let wait = clock.real_wait_until(tomorrow);
        assert!(wait <= Duration::from_secs(24), "{wait:?}");
        assert!(wait > Duration::from_secs(23), "{wait:?}");
        assert_eq!(clock.real_wait_until(start), Duration::ZERO);
        assert_eq!(
            clock.scaled(Duration::from_secs(2)),
            Duration::from_secs(7200)
        );
        assert_eq!(Clock::starting_at(start, -1.0).rate(), 1.0);
    }

    #[test]
    fn the_real_clock_reads_the_real_time() {
        let before = Timestamp::now();
        let read = Clock::real().now();
        assert!(read >= before);
        assert_eq!(
            Clock::real().scaled(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
    }
}
