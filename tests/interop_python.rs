//! Interop with the tutorial's two scripts (Python versions written from
//! PROTOCOL.md, in tests/python), both ways, and with a line client.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;

/// The tutorial's client against our server with its default pacing: it
/// treats one recv as one message, so it only completes if every message
/// arrives on its own. 20 dialogues out of 20 must complete.
///
/// The pause only works if the client reads the first message before the
/// second arrives; a busy machine can keep the Python process off the CPU
/// for a few milliseconds. The default (20 ms) leaves room for that: with
/// 5 ms, runs under four CPU hogs on two cores failed now and then.
#[test]
fn tutorial_client_completes_20_of_20_dialogues_against_our_default_server() {
    let (server, _events) = start_server_with(tcp_playground::net::ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    });
    let port = server.local_addr().port().to_string();
    for run in 1..=20 {
        let output = run_with_input(
            python("tcp_client.py", &["127.0.0.1", &port]),
            "Alice\n\n张三\nexit\n".as_bytes(),
            Duration::from_secs(20),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {stdout} {:?}",
            output.stderr
        );
        assert_eq!(
            stdout,
            "Welcome!\n\nWhats your name?\nHello Alice!\n\nWhats your name?\nHello 张三!\n\nWhats your name?\nGood bye!\n\n",
            "run {run}"
        );
    }
}

/// Our client (the `connect` command) against the tutorial's server, which
/// glues its first prompt to the welcome and sends reply and prompt as two
/// writes delayed by Nagle.
#[test]
fn our_client_completes_against_the_tutorial_server() {
    let server = Spawned::start(python("tcp_server.py", &["0"]));
    let port = server.listening_port();
    assert_eq!(server.next_line(), "Waiting for connection...");
    let target = format!("127.0.0.1:{port}");
    let output = run_with_input(
        app(&["connect", &target, "--name", "Alice", "--name", "张三"]),
        b"",
        Duration::from_secs(20),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout,
        "Welcome!\nWhats your name?\nAlice\nHello Alice!\nWhats your name?\n张三\nHello 张三!\nWhats your name?\nexit\nGood bye!\n"
    );
    assert!(
        server
            .next_line()
            .starts_with("Accept new connection from 127.0.0.1:")
    );
    assert!(server.next_line().ends_with(" is closed"));
}

/// A line client, as `nc` would be: names end with a line break.
#[test]
fn a_line_client_talks_to_our_server_without_pacing() {
    let (server, _events) = start_server(0);
    let mut s = connect(&server);
    expect_bytes(&mut s, b"Welcome!\nWhats your name?");
    s.write_all("张三\r\n".as_bytes()).unwrap();
    expect_bytes(&mut s, "Hello 张三!\nWhats your name?".as_bytes());
    s.write_all(b"exit\n").unwrap();
    assert_eq!(read_to_end(&mut s), b"Good bye!\n");
}
