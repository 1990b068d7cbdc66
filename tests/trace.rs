//! `trace` shows the real TCP states of both ends of one dialogue, for
//! both close orders, 10 runs out of 10: whoever closes first ends in
//! TIME_WAIT, the other end disappears (CLOSED); states too short to poll
//! are listed as inferred.
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
            let is_state = state.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            (is_state && matches!(mark, "observed" | "inferred:"))
                .then(|| (state.to_owned(), mark == "observed"))
        })
        .collect()
}

fn trace(close: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tcp-playground"))
        .args(["trace", "--close", close])
        .output()
        .expect("trace runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
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
        assert_eq!(
            client.first(),
            Some(&("SYN_SENT".to_owned(), false)),
            "run {run}:\n{out}"
        );
        assert_eq!(
            server.first(),
            Some(&("SYN_RECV".to_owned(), false)),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed(&client).first(),
            Some(&"ESTABLISHED"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed(&client).last(),
            Some(&"CLOSED"),
            "run {run}:\n{out}"
        );
        assert_eq!(
            observed(&server).first(),
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
        let client = observed(&states_of(&out, "tab-1")).join(" ");
        let server = observed(&states_of(&out, "client-1")).join(" ");
        assert!(client.starts_with("ESTABLISHED"), "run {run}:\n{out}");
        assert!(client.ends_with("TIME_WAIT"), "run {run}:\n{out}");
        assert!(server.starts_with("ESTABLISHED"), "run {run}:\n{out}");
        assert!(server.ends_with("CLOSED"), "run {run}:\n{out}");
        // The server never sees TIME_WAIT when the client closes first.
        assert!(!server.contains("TIME_WAIT"), "run {run}:\n{out}");
    }
}
