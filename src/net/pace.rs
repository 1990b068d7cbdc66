//! A shared pace: at most so many operations a second, spread evenly over
//! however many threads take turns.
//!
//! The bots of a load run ([`super::load`]) use it when asked to go no
//! faster than a given rate (`tcp-playground bench --rate`, or the window
//! keeping itself smooth). The idea is a timeline of turns, one every
//! `1 / rate` seconds. A thread that wants to go claims the next free turn
//! with one atomic compare-and-swap, then sleeps until that moment. No
//! lock, no thread that hands out turns, and the turns come out evenly
//! spaced whatever the number of threads.
//!
//! Turns nobody claimed are not saved up for long: a pace that sat idle
//! allows at most [`BURST`] worth of turns at once afterwards, not a flood.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much unclaimed time may be used up at once (see the module docs).
pub const BURST: Duration = Duration::from_millis(20);

/// At most `rate` turns a second, shared by every thread that holds it.
#[derive(Debug)]
pub struct Pace {
    /// Where the timeline starts; turns are nanoseconds after it.
    origin: Instant,
    /// Nanoseconds between two turns; zero means no limit.
    interval_ns: AtomicU64,
    /// The next turn nobody has claimed yet.
    next_ns: AtomicU64,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::unlimited()
    }
}

impl Pace {
    /// A pace that never makes anyone wait (until a rate is set).
    pub fn unlimited() -> Self {
        Pace {
            origin: Instant::now(),
            interval_ns: AtomicU64::new(0),
            next_ns: AtomicU64::new(0),
        }
    }

    /// Sets the rate in turns a second; `None` (or a rate that is not a
    /// positive number) lifts the limit. Turns already claimed keep their
    /// time, and new ones come after them at the new rate: lowering the
    /// rate never lets new turns slip in between old ones.
    pub fn set_rate(&self, per_second: Option<f64>) {
        let interval = match per_second {
            Some(rate) if rate.is_finite() && rate > 0.0 => {
                // At least one nanosecond apart: 0 would mean "no limit".
                (1e9 / rate).round().max(1.0) as u64
            }
            _ => 0,
        };
        self.interval_ns.store(interval, Ordering::Relaxed);
        // A timeline that fell behind starts again from now.
        self.next_ns.fetch_max(self.now_ns(), Ordering::Relaxed);
    }

    /// The rate in turns a second, or `None` without a limit.
    pub fn rate(&self) -> Option<f64> {
        match self.interval_ns.load(Ordering::Relaxed) {
            0 => None,
            interval => Some(1e9 / interval as f64),
        }
    }

    /// Claims the next free turn and returns how long until it comes
    /// (zero: go now). The caller sleeps that long, then goes.
    pub fn claim(&self) -> Duration {
        self.claim_at(self.now_ns())
    }

    /// [`Pace::claim`] at the moment `now` (nanoseconds on the timeline):
    /// the whole rule, with the clock left out so tests can give it times.
    fn claim_at(&self, now: u64) -> Duration {
        let interval = self.interval_ns.load(Ordering::Relaxed);
        if interval == 0 {
            return Duration::ZERO;
        }
        // Turns older than this were missed, and stay missed.
        let oldest = now.saturating_sub(BURST.as_nanos() as u64);
        let mut next = self.next_ns.load(Ordering::Relaxed);
        loop {
            let turn = next.max(oldest);
            // Move the shared "next free turn" one interval past ours; if
            // another thread moved it first, try again with what it left.
            match self.next_ns.compare_exchange_weak(
                next,
                turn + interval,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Duration::from_nanos(turn.saturating_sub(now)),
                Err(seen) => next = seen,
            }
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_rate_nobody_waits() {
        let pace = Pace::unlimited();
        assert_eq!(pace.rate(), None);
        for _ in 0..1000 {
            assert_eq!(pace.claim(), Duration::ZERO);
        }
    }

    /// One second into the timeline, in nanoseconds.
    const ONE_S: u64 = 1_000_000_000;

    #[test]
    fn turns_are_one_interval_apart() {
        // 100 a second: a turn every 10 ms. Ten claims at the same moment
        // get turns now, in 10 ms, in 20 ms…
        let pace = Pace::unlimited();
        pace.set_rate(Some(100.0));
        assert_eq!(pace.rate(), Some(100.0));
        pace.next_ns.store(ONE_S, Ordering::Relaxed);
        let waits: Vec<u128> = (0..10).map(|_| pace.claim_at(ONE_S).as_millis()).collect();
        assert_eq!(waits, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        // Later claims count from their own moment: 5 ms on, the next turn
        // (at 100 ms) is 95 ms away.
        assert_eq!(pace.claim_at(ONE_S + 5_000_000).as_millis(), 95);
    }

    #[test]
    fn an_idle_pace_saves_up_only_a_short_burst() {
        // 1,000 a second, and nobody claimed a turn for a whole second:
        // only the last 20 ms of missed turns (BURST) are still there, and
        // the one due now: 21 go at once, then each waits its turn.
        let pace = Pace::unlimited();
        pace.set_rate(Some(1000.0));
        pace.next_ns.store(0, Ordering::Relaxed);
        let waits: Vec<u128> = (0..23).map(|_| pace.claim_at(ONE_S).as_millis()).collect();
        assert!(waits[..21].iter().all(|&w| w == 0), "{waits:?}");
        assert_eq!(waits[21..], [1, 2]);
    }

    #[test]
    fn a_new_rate_keeps_the_turns_already_claimed() {
        // 10 a second, and turns claimed up to 500 ms ahead; then the rate
        // goes up to 1,000 a second. New turns come after the claimed ones,
        // a millisecond apart, not from now.
        let pace = Pace::unlimited();
        pace.set_rate(Some(10.0));
        let now = pace.now_ns();
        pace.next_ns.store(now + 500_000_000, Ordering::Relaxed);
        pace.set_rate(Some(1000.0));
        let first = pace.claim_at(now).as_millis();
        let second = pace.claim_at(now).as_millis();
        assert_eq!((first, second), (500, 501));
    }

    #[test]
    fn lifting_the_limit_frees_everyone() {
        let pace = Pace::unlimited();
        pace.set_rate(Some(1.0));
        let _ = pace.claim();
        assert!(pace.claim() > Duration::from_millis(500));
        pace.set_rate(None);
        assert_eq!(pace.claim(), Duration::ZERO);
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            pace.set_rate(Some(bad));
            assert_eq!(pace.rate(), None, "{bad} is no limit");
        }
    }

    #[test]
    fn many_threads_never_share_a_turn() {
        // Four threads claim 1,000 turns each as fast as they can. Every
        // successful claim moves the shared timeline on by at least one
        // interval, so no two threads got the same turn: after 4,000
        // claims it has moved at least 4,000 intervals.
        let pace = Pace::unlimited();
        pace.set_rate(Some(1e6)); // a turn every microsecond
        let start = pace.next_ns.load(Ordering::Relaxed);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        let _ = pace.claim();
                    }
                });
            }
        });
        let moved = pace.next_ns.load(Ordering::Relaxed) - start;
        assert!(moved >= 4000 * 1000, "the timeline moved {moved} ns");
    }
}
