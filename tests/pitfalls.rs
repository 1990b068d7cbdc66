//! The five pitfall demos (`src/net/pitfall.rs`) show what they promise,
//! measured on real loopback sockets.
//!
//! The demos measure time, so they run one at a time (a shared lock):
//! two demos at once on a 2-core machine would slow each other down and
//! blur the figures (a 20 ms pause, a 40 ms delayed ACK, a 1 s retry).
//! Thresholds are chosen with a wide margin for a busy machine.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tcp_playground::net::CloseReason;
use tcp_playground::net::pitfall::{
    self, BacklogOptions, ConnectOutcome, EmptyRecvOptions, Expect, GluedOptions, Leave,
    NagleOptions, NagleSetup, NaiveEnd, Pitfall, PitfallReport, RecvOutcome,
};
use tcp_playground::net::protocol::{PROMPT, WELCOME};
use tcp_playground::net::tcp_state::TcpState;

/// One demo at a time (see the module docs).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn glued_messages_hang_the_naive_client_unless_paced() {
    let _one = one_at_a_time();
    let report = pitfall::glued_messages(GluedOptions::default()).expect("the demo runs");
    eprintln!("{report:#?}");

    // Pacing off: the very first recv holds the welcome and the prompt.
    let unpaced = &report.unpaced;
    let recvs: Vec<_> = unpaced.recvs().collect();
    assert_eq!(recvs[0].expected, Expect::Welcome);
    assert!(recvs[0].bytes.as_slice().starts_with(WELCOME));
    assert!(recvs[0].bytes.as_slice().ends_with(PROMPT));
    assert_eq!(recvs[0].messages.len(), 2);
    // Then it waits for the prompt it already has.
    assert_eq!(recvs[1].expected, Expect::Prompt);
    assert_eq!(recvs[1].outcome, RecvOutcome::TimedOut);
    assert!(unpaced.hung && !unpaced.completed);
    assert_eq!(unpaced.first_hang, Some(1));
    // The reply to a name is glued to the next prompt as well.
    let hello = recvs
        .iter()
        .find(|r| r.expected == Expect::Hello)
        .expect("a recv for the greeting");
    assert_eq!(hello.bytes.as_slice(), b"Hello Alice!\nWhats your name?");
    assert_eq!(hello.messages.len(), 2);

    // Pacing on: each message on its own, every run completes.
    assert!(!report.paced.hung && report.paced.completed, "{report:#?}");
    assert_eq!(report.paced.recvs().count(), 5);
    assert_eq!(report.paced_completed, report.paced_runs);
}

#[test]
fn two_small_writes_wait_for_the_delayed_ack() {
    let _one = one_at_a_time();
    let report = pitfall::nagle_delay(NagleOptions::default()).expect("the demo runs");
    eprintln!("{report:#?}");
    let median = |setup| report.timing(setup).expect("measured").median;
    // Linux delays an ACK by at least 40 ms.
    assert!(
        median(NagleSetup::TwoWritesNagle) >= Duration::from_millis(20),
        "{report:#?}"
    );
    assert!(
        median(NagleSetup::TwoWritesNoDelay) < Duration::from_millis(10),
        "{report:#?}"
    );
    assert!(
        median(NagleSetup::OneWrite) < Duration::from_millis(10),
        "{report:#?}"
    );
}

#[test]
fn a_tiny_backlog_drops_handshakes() {
    let _one = one_at_a_time();
    let opts = BacklogOptions::default();
    let report = pitfall::tiny_backlog(opts).expect("the demo runs");
    eprintln!(
        "small: fast {} slow {} retransmitted {} failed {} overflows {:?}; \
         large: fast {} slow {} retransmitted {} failed {} overflows {:?}; \
         somaxconn {:?} abort_on_overflow {:?}",
        report.small.fast,
        report.small.slow,
        report.small.retransmitted,
        report.small.failed,
        report.small.listen_overflows,
        report.large.fast,
        report.large.slow,
        report.large.retransmitted,
        report.large.failed,
        report.large.listen_overflows,
        report.somaxconn,
        report.abort_on_overflow,
    );
    for run in [&report.small, &report.large] {
        let mut millis: Vec<String> = run
            .outcomes
            .iter()
            .map(|outcome| match outcome {
                ConnectOutcome::Connected(t) => format!("{}", t.as_millis()),
                ConnectOutcome::Failed { after, .. } => format!("failed@{}", after.as_millis()),
            })
            .collect();
        millis.sort();
        eprintln!(
            "backlog {}: connect() ms: {}",
            run.backlog,
            millis.join(" ")
        );
        assert_eq!(run.outcomes.len(), opts.clients);
        assert_eq!(
            run.fast + run.slow + run.retransmitted + run.failed,
            opts.clients
        );
    }
    let held_up = |run: &pitfall::BacklogRun| run.retransmitted + run.failed;
    // The small queue turned many clients away; the large one fewer.
    assert!(held_up(&report.small) >= opts.clients / 2, "{report:#?}");
    assert!(
        held_up(&report.large) < held_up(&report.small),
        "{report:#?}"
    );
}

#[test]
fn time_wait_needs_so_reuseaddr_to_bind_again() {
    let _one = one_at_a_time();
    let report = pitfall::time_wait_rebind().expect("the demo runs");
    eprintln!("{report:#?}");
    if cfg!(target_os = "linux") {
        assert_eq!(report.old_state, Some(TcpState::TimeWait), "{report:#?}");
        let left = report.time_wait_left.expect("time left in TIME_WAIT");
        assert!(left > Duration::from_secs(50), "{left:?}");
        assert_eq!(report.time_wait_len, Some(Duration::from_secs(60)));
        let refused = report.plain_bind.as_ref().expect_err("refused");
        assert_eq!(refused.kind, std::io::ErrorKind::AddrInUse, "{refused:?}");
        assert_eq!(refused.os_code, Some(98));
    } else if report.old_state.is_none() {
        assert!(report.state_error.is_some());
    }
    assert!(report.reuse_bind.is_ok(), "{report:#?}");
}

#[test]
fn an_empty_recv_is_the_end_of_the_stream() {
    let _one = one_at_a_time();
    let opts = EmptyRecvOptions::default();
    let report = pitfall::empty_recv(opts).expect("the demo runs");
    eprintln!("{report:#?}");
    // A client that closes: the naive server greets nobody before the
    // reset stops it.
    let closed = &report.closed;
    assert_eq!(closed.leave, Leave::Close);
    assert!(
        closed.empty_recvs >= 1 && closed.hellos_sent >= 1,
        "{closed:?}"
    );
    assert!(
        matches!(
            closed.end,
            NaiveEnd::SendFailed { .. } | NaiveEnd::RecvFailed { .. }
        ),
        "{closed:?}"
    );
    // A client that half-closes: the loop spins until the cap.
    let half = &report.half_closed;
    assert_eq!(half.end, NaiveEnd::Capped, "{half:?}");
    assert!(half.empty_recvs > 1, "{half:?}");
    assert_eq!(half.hellos_sent, half.empty_recvs, "{half:?}");
    // Our server: one Closed event, reason EOF.
    assert_eq!(report.ours, Some(CloseReason::Eof));
    assert_eq!(report.ours_closed_events, 1);
}

#[test]
fn every_pitfall_has_a_report_of_its_own_kind() {
    assert_eq!(Pitfall::ALL.len(), 5);
    let _one = one_at_a_time();
    // The quickest demo through `run`, as the window calls it.
    let report = pitfall::run(Pitfall::TimeWait);
    assert_eq!(report.pitfall(), Pitfall::TimeWait);
    assert!(matches!(report, PitfallReport::TimeWait(_)), "{report:?}");
}
