//! Rate limits: a pacer that hands out send instants on a fixed grid, so that no one-second
//! window, as the receiving server sees it, holds more messages than the limit.
//!
//! Why not governor's `until_ready` (used before): it decides when a waiter wakes up, so
//! every late wake-up (the timer's millisecond, a busy runtime) is time lost for good, and
//! a limit of 200/s gave 95 % of it. Here each caller reserves the next free slot before
//! sleeping, so a late wake-up delays that one message and never the grid.
//!
//! The bound: slots `T` apart put at most ⌈L / T⌉ messages in any window of length `L`.
//! The receiving server's clock sees each message a variable delay after its slot (our
//! wake-up, the network, the server's own pauses); with that variation under
//! [`JITTER_GUARD`], a one-second window at the server maps to a window of at most
//! 1 s + guard at ours. Pacing at `K / (1 s + guard)`, `K` the whole number of messages
//! the limit allows per second, keeps ⌈(1 + guard) / T⌉ = K. Up to 51 a second, pacing at
//! `K − 1` a second is slower still and tolerates more: ⌈(1 + J)(K − 1)⌉ ≤ K for any
//! variation J up to 1 / (K − 1) s (111 ms at 10/s, 250 ms at 5/s), so the slower of the
//! two is used.

use std::time::Duration;

use tokio::time::Instant;

/// The delay variation between our send instant and the server's clock that the pacer
/// absorbs without any one-second window going over the limit.
pub const JITTER_GUARD: Duration = Duration::from_millis(20);

/// Messages per second the pacer sends at for a limit of `limit` per second, `K = ⌊limit⌋`:
/// the slower of `K / (1 + guard)` and `K − 1` (one message of margin, when `K ≥ 2`), or
/// the limit itself below one message per second.
pub fn paced_rate(limit: f64) -> f64 {
    let whole = limit.floor();
    if whole < 1.0 {
        return limit;
    }
    let guarded = whole / (1.0 + JITTER_GUARD.as_secs_f64());
    if whole >= 2.0 {
        guarded.min(whole - 1.0)
    } else {
        guarded
    }
}

/// Hands out send instants `1 / paced_rate(limit)` apart, shared by every sender of a run.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: std::sync::Mutex<Instant>,
}

impl Pacer {
    /// A pacer for `limit` messages per second; `None` when the limit is not a positive
    /// number the pacer can follow (over a billion a second, or under one a day).
    pub fn new(limit: f64) -> Option<Pacer> {
        if !(limit.is_finite() && limit > 0.0) {
            return None;
        }
        let nanos = (1e9 / paced_rate(limit)).round();
        if !(1.0..=86_400e9).contains(&nanos) {
            return None;
        }
        // A whole number within 1 ns..1 day: the conversion is exact.
        let interval = Duration::from_nanos(nanos as u64);
        Some(Pacer {
            interval,
            next: std::sync::Mutex::new(Instant::now()),
        })
    }

    /// Waits for this caller's slot (see [`reserve`]).
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            reserve(&mut next, Instant::now(), self.interval)
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The slot of a caller arriving at `now` when the first free slot is `next`: that slot, or
/// `now` when it passed unused (the grid starts again from now: no burst to catch up); the
/// next free slot becomes one `interval` later.
fn reserve(next: &mut Instant, now: Instant, interval: Duration) -> Instant {
    let slot = (*next).max(now);
    *next = slot + interval;
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paced_rate_fits_the_limit_in_any_window_of_a_second_and_the_guard() {
        // 200/s: K = 200, 200 / 1.02 = 196.078… per second, 98.04 % of the limit.
        assert!((paced_rate(200.0) - 196.078_431).abs() < 1e-5);
        // 10.9/s allows 10 messages in a second; 10 / 1.02 = 9.80 is faster than 10 − 1 = 9.
        assert!((paced_rate(10.9) - 9.0).abs() < 1e-12);
        // 60/s: 60 / 1.02 = 58.82 is slower than 59.
        assert!((paced_rate(60.0) - 58.823_529).abs() < 1e-5);
        // 1.5/s allows one a second: 1 / 1.02 = 0.98039…
        assert!((paced_rate(1.5) - 0.980_392).abs() < 1e-5);
        // Below one a second, the limit itself: one message every two seconds.
        assert!((paced_rate(0.5) - 0.5).abs() < 1e-12);
        // In a window of 1.02 s the grid holds ⌈1.02 × rate⌉ slots: never more than K.
        for limit in [1.0, 2.0, 5.0, 10.0, 20.0, 199.5, 200.0, 1000.0] {
            let slots = (1.02 * paced_rate(limit) - 1e-9).ceil();
            assert!(slots <= limit.floor(), "{limit}: {slots}");
        }
    }

    #[test]
    fn a_limit_that_is_not_a_positive_rate_makes_no_pacer() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 1e-6] {
            assert!(Pacer::new(bad).is_none(), "{bad}");
        }
        assert!(Pacer::new(200.0).is_some());
    }

    #[test]
    fn slots_are_reserved_on_a_grid_that_waiting_does_not_shift() {
        // 100/s: paced at 100 / 1.02 = 98.04/s (slower than 99), one slot every
        // 1.02 / 100 s = 10.2 ms.
        assert_eq!(
            Pacer::new(100.0).expect("pacer").interval,
            Duration::from_micros(10_200)
        );
        // 5/s: paced at 5 − 1 = 4/s (slower than 5 / 1.02), one slot every 250 ms.
        let pacer = Pacer::new(5.0).expect("pacer");
        assert_eq!(pacer.interval, Duration::from_millis(250));
        let ms = Duration::from_millis;
        let start = Instant::now();
        let mut next = start;
        // Three callers at once get 0, 250 and 500 ms: their slots are fixed when they
        // arrive, however late each of them then wakes up.
        let slots: Vec<Duration> = (0..3)
            .map(|_| reserve(&mut next, start, pacer.interval) - start)
            .collect();
        assert_eq!(slots, [ms(0), ms(250), ms(500)]);
        // The slot at 750 ms passes unused; a caller at 800 ms goes at once, and the next
        // slot is 800 + 250 = 1050 ms (no catching up in a burst).
        assert_eq!(
            reserve(&mut next, start + ms(800), pacer.interval) - start,
            ms(800)
        );
        assert_eq!(
            reserve(&mut next, start + ms(900), pacer.interval) - start,
            ms(1050)
        );
    }
}
