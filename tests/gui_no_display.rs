//! Started where there is no display (a server, SSH), the app says so in
//! one line and exits with an error, instead of crashing.

#[test]
#[cfg(all(unix, not(target_os = "macos")))]
fn without_a_display_the_window_explains_and_exits_non_zero() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tcp-playground"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: no display found"), "{stderr}");
    assert!(stderr.contains("tcp-playground serve"), "{stderr}");
    assert!(output.stdout.is_empty());
}
