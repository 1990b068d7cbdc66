//! The headless command line: `serve` prints the tutorial's console lines,
//! `connect` behaves like the tutorial's client, failures are one clear line.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::*;

fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn serve_prints_the_tutorial_console_lines_and_saves_the_transcript_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("session.jsonl");
    let mut server = Spawned::start(app(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--transcript",
        transcript.to_str().unwrap(),
    ]));
    let port = server.listening_port();
    assert_eq!(server.next_line(), "Waiting for connection...");

    let target = format!("127.0.0.1:{port}");
    let output = run_with_input(
        app(&["connect", &target]),
        "张三\n\nexit\n".as_bytes(),
        Duration::from_secs(20),
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Welcome!\nWhats your name?\n张三\nHello 张三!\nWhats your name?\nexit\nGood bye!\n"
    );

    let accepted = server.next_line();
    let peer = accepted
        .strip_prefix("Accept new connection from ")
        .unwrap_or_else(|| panic!("{accepted:?}"));
    assert!(peer.starts_with("127.0.0.1:"));
    assert_eq!(
        server.next_line(),
        format!("Connection from {peer} is closed")
    );

    interrupt(&server.child);
    let status = server.child.wait().unwrap();
    assert!(
        status.success(),
        "serve exits cleanly on Ctrl+C: {status:?}"
    );
    let saved = std::fs::read_to_string(&transcript).expect("transcript saved");
    assert!(saved.contains(r#""event":"listening""#));
    assert!(saved.contains("张三"));
    assert!(
        saved
            .lines()
            .last()
            .unwrap()
            .contains(r#""event":"stopped""#)
    );
}

/// Without a transcript to save, `serve` reports only connections coming
/// and going, and logs only unusual endings; the debug log asks for every
/// step and every ending, and gets them.
#[test]
fn serve_logs_every_step_when_the_debug_log_asks_for_it() {
    for (log, steps) in [
        ("tcp_playground=debug", true),
        ("tcp_playground=info", false),
    ] {
        let mut command = app(&["serve", "--bind", "127.0.0.1:0"]);
        command
            .env("RUST_LOG", log)
            .stderr(std::process::Stdio::piped());
        let mut server = Spawned::start(command);
        let target = format!("127.0.0.1:{}", server.listening_port());
        let output = run_with_input(
            app(&["connect", &target]),
            "张三\nexit\n".as_bytes(),
            Duration::from_secs(20),
        );
        assert!(output.status.success(), "{output:?}");
        // The console's lines are the same either way.
        assert_eq!(server.next_line(), "Waiting for connection...");
        assert!(
            server
                .next_line()
                .starts_with("Accept new connection from ")
        );
        assert!(server.next_line().ends_with(" is closed"));
        interrupt(&server.child);
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut server.child.stderr.take().unwrap(), &mut stderr)
            .unwrap();
        assert!(server.child.wait().unwrap().success());
        for detail in [r#"name "张三""#, "closed: said exit"] {
            assert_eq!(stderr.contains(detail), steps, "{log}: {stderr}");
        }
    }
}

#[test]
fn connect_to_a_closed_port_fails_with_one_clear_line() {
    let target = closed_port().to_string();
    let output = run_with_input(app(&["connect", &target]), b"", Duration::from_secs(20));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: could not connect: connection to"),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn connect_reports_a_server_that_breaks_the_protocol() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
        // Keep the connection open until the client gives up on it.
        let _ = std::io::Read::read(&mut s, &mut [0u8; 16]);
    });
    let output = run_with_input(app(&["connect", &target]), b"", Duration::from_secs(20));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the server broke the protocol: it sent \"SSH-2.0-OpenSSH_9.2\\r\\n\""),
        "{stderr}"
    );
    drop(server);
}

#[test]
fn connect_times_out_on_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let output = run_with_input(
        app(&["connect", &target, "--timeout", "1"]),
        b"",
        Duration::from_secs(20),
    );
    drop(listener);
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: timed out\n"
    );
}

#[test]
fn serve_refuses_a_bad_address_and_a_port_in_use() {
    let output = run_with_input(
        app(&["serve", "--bind", "example.com:6000"]),
        b"",
        Duration::from_secs(20),
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an IP address"));

    let (server, _events) = start_server(0);
    let bind = server.local_addr().to_string();
    let output = run_with_input(
        app(&["serve", "--bind", &bind]),
        b"",
        Duration::from_secs(20),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is already in use"), "{stderr}");
}

/// `trace | head -1`: a reader that goes away early does not make the
/// program panic; it finishes its dialogue and exits cleanly.
#[test]
fn trace_into_a_closed_pipe_exits_cleanly() {
    let mut child = common::app(&["trace"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("trace starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("trace ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs `command` as the user `nobody` (root only, as in CI); `None` when
/// this machine cannot switch users, so the caller skips.
#[cfg(target_os = "linux")]
fn as_nobody(args: &[&str]) -> Option<std::process::Command> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    if !root {
        return None;
    }
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_tcp-playground"))
        .args(args);
    Some(command)
}

/// A normal user may not listen below port 1024: one line that says so and
/// what to do instead.
#[cfg(target_os = "linux")]
#[test]
fn serve_on_a_privileged_port_as_a_normal_user_is_permission_denied() {
    let Some(command) = as_nobody(&["serve", "--bind", "127.0.0.1:80"]) else {
        eprintln!("skipped: switching to an unprivileged user needs root");
        return;
    };
    let output = run_with_input(command, b"", Duration::from_secs(20));
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: permission denied to listen on port 80: ports below 1024 need \
         special rights; use a port from 1024 up\n"
    );
}

/// A machine with no network at all (a fresh network namespace, where even
/// loopback is down; root only, as in CI): connecting says the address is
/// unreachable, at once, in one line.
#[cfg(target_os = "linux")]
#[test]
fn connect_without_a_route_says_unreachable() {
    let mut command = Command::new("unshare");
    command
        .arg("-n")
        .arg(env!("CARGO_BIN_EXE_tcp-playground"))
        .args(["connect", "127.0.0.1:7"]);
    let output = run_with_input(command, b"", Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("unshare failed") {
        eprintln!("skipped: a new network namespace needs root ({stderr})");
        return;
    }
    assert!(!output.status.success());
    assert_eq!(
        stderr,
        "error: could not connect: 127.0.0.1:7 is unreachable from this machine\n"
    );
}

/// `bench --serve`: figures each second, a summary, no errors; against a
/// closed port, the errors and their first cause, and a failing exit code.
#[test]
fn bench_prints_figures_and_the_first_cause_of_errors() {
    let output = run_with_input(
        app(&["bench", "--serve", "--bots", "4", "--seconds", "1"]),
        b"",
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("4 bots, round trips, against 127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains(" per second\nlatency over "), "{stdout}");
    assert!(stdout.ends_with("errors: 0\n"), "{stdout}");

    let target = closed_port().to_string();
    let output = run_with_input(
        app(&["bench", &target, "--bots", "2", "--seconds", "1"]),
        b"",
        Duration::from_secs(30),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("errors; the first: connection to"),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
}

/// `bench --rate`: the bots together stay under the rate asked (they may
/// do fewer on a busy machine, never more than the rate and its short
/// burst allow); a rate that is not a positive number is refused.
#[test]
fn bench_keeps_to_the_rate_asked() {
    let output = run_with_input(
        app(&[
            "bench",
            "--serve",
            "--bots",
            "8",
            "--seconds",
            "2",
            "--rate",
            "100",
        ]),
        b"",
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("at most 100 a second"), "{stdout}");
    // "total: N round trips in S s = R per second"
    let total = stdout
        .lines()
        .find_map(|line| line.strip_prefix("total: "))
        .expect("a summary line");
    let mut words = total.split_whitespace();
    let completed: f64 = words.next().unwrap().parse().unwrap();
    let seconds: f64 = words.nth(3).unwrap().parse().unwrap();
    // 100 a second, plus the 20 ms burst and the turn due at the start.
    assert!(
        completed <= 100.0 * seconds + 4.0,
        "{completed} round trips in {seconds} s"
    );
    assert!(completed > 0.0, "{stdout}");

    let output = run_with_input(
        app(&["bench", "--serve", "--rate", "0"]),
        b"",
        Duration::from_secs(30),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"0\" is not a positive number of operations a second"),
        "{stderr}"
    );
}
