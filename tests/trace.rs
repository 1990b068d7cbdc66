//! `trace` shows the real TCP states of both ends of one dialogue, for
//! both close orders, 10 runs out of 10: whoever closes first ends in
//! TIME_WAIT, the other end disappears (CLOSED); states too short to poll
//! are listed as inferred.
//!
//! On Windows, `trace` is checked by scripts/check-windows-exe.py: under
//! wine the server's end has once stayed unseen after its close.
#![cfg(target_os = "linux")]

use std::process::Command;

/// The states of `who`, in order, each with whether it was observed.
fn states_of(output: &str, who: &str) -> Vec<(String, bool)> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let first = words.next()?;
            // Observed lines start with a time; inferred lines with the label.
            let label = if first == who { first } else { words.next()? };
            if label != who {
                return None;
            }
            let state = words.next()?;
            let mark = words.next()?;
            let is_state = state
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            (is_state && matches!(mark, "observed" | "inferred:"))
                .then(|| (state.to_owned(), mark == "observed"))
        })
        .collect()
}

fn trace(close: &str) -> String {
    trace_with(&["trace", "--close", close])
}

fn trace_with(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tcp-playground"))
        .args(args)
        .output()
        .expect("trace runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // Stopping the server at the end wakes its listener by connecting to
    // it; under wine that was reported as a failure in 2 of 5 runs ("no
    // error set after POLLHUP") while it had worked.
    assert!(
        !stderr.contains("could not wake the listener"),
        "{stdout}\n{stderr}"
    );
    stdout
}

/// The observed states after the handshake. Its short states are now and
/// then observed: the client's ~60 µs in SYN_SENT (it announces its socket
/// before the SYN), and the server's end in SYN_RECV (watched from the
/// client's dial, before accept()).
fn observed_after_connect(states: &[(String, bool)]) -> Vec<&str> {
    let mut seen = observed(states);
    if matches!(seen.first(), Some(&"SYN_SENT" | &"SYN_RECV")) {
        seen.remove(0);
    }
    seen
}

/// How long `who` was observed in `state`: from that line's time to the
/// time of its next observed state, in milliseconds.
fn observed_for_ms(output: &str, who: &str, state: &str) -> Option<f64> {
    let times: Vec<(&str, f64)> = output
        .lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                [ms, label, state, "observed", ..] if *label == who => {
                    Some((*state, ms.parse().ok()?))
                }
                _ => None,
            }
        })
        .collect();
    let i = times.iter().position(|(s, _)| *s == state)?;
    Some(times.get(i + 1)?.1 - times[i].1)
}

fn observed(states: &[(String, bool)]) -> Vec<&str> {
    states
        .iter()
        .filter(|(_, o)| *o)
        .map(|(s, _)| s.as_str())
        .collect()
}

#[test]
fn server_closes_first_ten_times_out_of_ten() {
    for run in 1..=10 {
        let out = trace("server");
        let client = states_of(&out, "tab-1");
        let server = states_of(&out, "client-1");
        // The client announces its socket before its SYN, so its ~60 µs in
        // SYN_SENT is now and then observed rather than inferred.
        assert_eq!(
            client.first().map(|(state, _)| state.as_str()),
            Some("SYN_SENT"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            server.first().map(|(state, _)| state.as_str()),
            Some("SYN_RECV"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed_after_connect(&client).first(),
            Some(&"ESTABLISHED"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed_after_connect(&client).last(),
            Some(&"CLOSED"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed_after_connect(&server).first(),
            Some(&"ESTABLISHED"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed(&server).last(),
            Some(&"TIME_WAIT"),
            "run {run}:\n{out}"
        );
        assert!(
            out.contains("s left)"),
            "TIME_WAIT shows its time left:\n{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.contains("server    LISTEN       observed")),
            "{out}"
        );
    }
}

#[test]
fn client_closes_first_ten_times_out_of_ten() {
    for run in 1..=10 {
        let out = trace("client");
        let client = observed_after_connect(&states_of(&out, "tab-1")).join(" ");
        let server = observed_after_connect(&states_of(&out, "client-1")).join(" ");
        assert!(client.starts_with("ESTABLISHED"), "run {run}:\n{out}");
        assert!(client.ends_with("TIME_WAIT"), "run {run}:\n{out}");
        assert!(server.starts_with("ESTABLISHED"), "run {run}:\n{out}");
        assert!(server.ends_with("CLOSED"), "run {run}:\n{out}");
        // The server never sees TIME_WAIT when the client closes first.
        assert!(!server.contains("TIME_WAIT"), "run {run}:\n{out}");
    }
}

/// True when this process may capture (root; CI runs as root).
fn may_capture() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find(|l| l.starts_with("Uid:"));
    uid.is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
}

/// `(flags, from, to, seq, ack)` of each listed segment.
fn segments(output: &str) -> Vec<(String, String, String, u32, u32)> {
    let start = output
        .find("segments on the wire")
        .map_or(output.len(), |i| i);
    output[start..]
        .lines()
        .skip(1)
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            // time FLAGS from -> to seq=.. ack=.. len=..
            let num = |s: &str, key: &str| s.strip_prefix(key)?.parse::<u32>().ok();
            Some((
                w.get(1)?.to_string(),
                w.get(2)?.to_string(),
                w.get(4)?.to_string(),
                num(w.get(5)?, "seq=")?,
                num(w.get(6)?, "ack=")?,
            ))
        })
        .collect()
}

#[test]
fn with_privilege_the_real_segments_follow_the_handshake_arithmetic() {
    let out = trace("server");
    if !may_capture() {
        assert!(
            out.contains("CAP_NET_RAW"),
            "says how to grant capture:\n{out}"
        );
        return;
    }
    let segs = segments(&out);
    assert!(segs.len() >= 10, "{out}");
    let (syn, syn_ack, ack) = (&segs[0], &segs[1], &segs[2]);
    assert_eq!(
        (syn.0.as_str(), syn.1.as_str(), syn.2.as_str()),
        ("SYN", "tab-1", "client-1"),
        "{out}"
    );
    assert_eq!(syn_ack.0, "SYN+ACK", "{out}");
    assert_eq!(
        syn_ack.4,
        syn.3.wrapping_add(1),
        "SYN+ACK acknowledges seq+1:\n{out}"
    );
    assert_eq!(ack.0, "ACK", "{out}");
    assert_eq!(ack.3, syn.3.wrapping_add(1), "{out}");
    assert_eq!(
        ack.4,
        syn_ack.3.wrapping_add(1),
        "the ACK acknowledges the SYN+ACK:\n{out}"
    );
    // The server closes first: its FIN comes before the client's.
    let fins: Vec<_> = segs.iter().filter(|s| s.0.starts_with("FIN")).collect();
    assert_eq!(fins.len(), 2, "{out}");
    assert_eq!(fins[0].1, "client-1", "{out}");
    assert_eq!(
        fins[1].4,
        fins[0].3.wrapping_add(1),
        "the client's FIN acknowledges the server's:\n{out}"
    );
}

/// In slow motion, both half-closed states are observed, whichever side
/// closes first: the passive closer in CLOSE_WAIT, the active one in
/// FIN_WAIT_2, then TIME_WAIT on the active side. The close hold keeps
/// the passive closer in LAST_ACK (its FIN waits behind bytes the other
/// end is not reading). Deferred accept holds the server's end in SYN_RECV
/// first, so that is observed too. 10 runs out of 10.
fn slow_motion_shows_the_half_closed_states(close: &str, active: &str, passive: &str) {
    for run in 1..=10 {
        let out = trace_with(&["trace", "--slow", "--close", close]);
        let active_states = observed(&states_of(&out, active)).join(" ");
        let passive_states = observed(&states_of(&out, passive)).join(" ");
        assert!(
            active_states.ends_with("FIN_WAIT_2 TIME_WAIT"),
            "{close} closes first, run {run}: {active} saw {active_states:?}\n{out}"
        );
        assert!(
            passive_states.contains("ESTABLISHED CLOSE_WAIT")
                && passive_states.ends_with("CLOSE_WAIT LAST_ACK CLOSED"),
            "{close} closes first, run {run}: {passive} saw {passive_states:?}\n{out}"
        );
        // The hold is 1 s; allow for the polling and a busy machine.
        let last_ack = observed_for_ms(&out, passive, "LAST_ACK").unwrap_or(0.0);
        assert!(
            last_ack >= 700.0,
            "run {run}: {passive} held LAST_ACK for {last_ack} ms\n{out}"
        );
        let server_states = observed(&states_of(&out, "client-1")).join(" ");
        assert!(
            server_states.starts_with("SYN_RECV ESTABLISHED"),
            "run {run}: the server's end is held in SYN_RECV: {server_states:?}\n{out}"
        );
        assert!(
            out.contains("FIN queued after") && out.contains("up to the FIN"),
            "run {run}: the close hold is in the timeline\n{out}"
        );
        if close == "server" {
            // The server closes first with bytes the tab is not reading:
            // its FIN waits, FIN_WAIT_1 lasts the hold.
            assert!(
                active_states.ends_with("FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT"),
                "run {run}: {active} saw {active_states:?}\n{out}"
            );
            let fin_wait_1 = observed_for_ms(&out, active, "FIN_WAIT_1").unwrap_or(0.0);
            assert!(
                fin_wait_1 >= 700.0,
                "run {run}: {active} held FIN_WAIT_1 for {fin_wait_1} ms\n{out}"
            );
        }
    }
}

#[test]
fn slow_motion_server_first_holds_fin_wait_1_close_wait_fin_wait_2_last_ack() {
    slow_motion_shows_the_half_closed_states("server", "client-1", "tab-1");
}

#[test]
fn slow_motion_client_first_holds_close_wait_fin_wait_2_last_ack() {
    slow_motion_shows_the_half_closed_states("client", "tab-1", "client-1");
}
