//! The dialogue across a real (virtual) network: `scripts/two-hosts.sh`
//! puts the server and the clients in two network namespaces joined by a
//! veth pair, runs our client and the tutorial's Python client from the
//! other host, and checks the server's transcript. It needs root (CI runs
//! as root); elsewhere the test says why it cannot run and passes.
#![cfg(target_os = "linux")]

use std::process::Command;

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find(|l| l.starts_with("Uid:"));
    uid.is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
}

fn has_ip() -> bool {
    Command::new("ip")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn both_clients_talk_to_the_server_across_two_hosts() {
    if !is_root() || !has_ip() {
        eprintln!("skipped: needs root and iproute2 to make network namespaces");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/two-hosts.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_tcp-playground"))
        .output()
        .expect("the script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("names in the server transcript: Alice, 张三"),
        "{stdout}"
    );
    assert!(stdout.contains("two-hosts: ok"), "{stdout}");
}
