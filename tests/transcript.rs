//! Transcript exports: JSON Lines round trips every byte; text and CSV read
//! well; saving is atomic and a failed save loses nothing.

use std::net::SocketAddr;

use tcp_playground::net::{Bytes, CloseReason, EventKind, Heard, NetEvent, Origin, ServerMessage};
use tcp_playground::transcript::{Format, Transcript, TranscriptError};

fn sample() -> Transcript {
    let peer: SocketAddr = "127.0.0.1:42101".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:6000".parse().unwrap();
    let conn = Origin::ServerConn(1);
    let tab = Origin::Client(1);
    let gbk_name = Bytes(b"\xd5\xc5\xc8\xfd".to_vec());
    let mut t = Transcript::new();
    for (origin, kind) in [
        (Origin::Listener, EventKind::Listening { addr: local }),
        (
            tab,
            EventKind::Connecting {
                target: "127.0.0.1:6000".into(),
            },
        ),
        (
            conn,
            EventKind::Accepted {
                peer,
                local,
                thread: "client-1".into(),
            },
        ),
        (
            tab,
            EventKind::Connected {
                local: peer,
                peer: local,
            },
        ),
        (
            conn,
            EventKind::Sent {
                bytes: Bytes::from("Welcome!\n"),
            },
        ),
        (
            tab,
            EventKind::Message {
                message: ServerMessage::Welcome,
            },
        ),
        (
            conn,
            EventKind::Received {
                bytes: Bytes::from("张三"),
            },
        ),
        (
            conn,
            EventKind::Heard {
                heard: Heard::Name {
                    name: Bytes::from("张三"),
                    cut: false,
                },
            },
        ),
        (
            conn,
            EventKind::Received {
                bytes: gbk_name.clone(),
            },
        ),
        (
            conn,
            EventKind::Heard {
                heard: Heard::Name {
                    name: gbk_name.clone(),
                    cut: true,
                },
            },
        ),
        (
            tab,
            EventKind::Message {
                message: ServerMessage::Hello(gbk_name),
            },
        ),
        (
            conn,
            EventKind::Received {
                bytes: Bytes::from("\x1b[2J\0"),
            },
        ),
        (
            conn,
            EventKind::Heard {
                heard: Heard::EmptyName,
            },
        ),
        (conn, EventKind::Heard { heard: Heard::Exit }),
        (
            tab,
            EventKind::Message {
                message: ServerMessage::Unexpected(Bytes(vec![0xff])),
            },
        ),
        (
            conn,
            EventKind::Closed {
                reason: CloseReason::Exit,
            },
        ),
        (
            tab,
            EventKind::Closed {
                reason: CloseReason::ConnectFailed("refused".into()),
            },
        ),
        (
            Origin::Listener,
            EventKind::Error {
                message: "accept() failed".into(),
            },
        ),
        (Origin::Listener, EventKind::Stopped),
    ] {
        t.push(NetEvent::now(origin, kind));
    }
    t
}

#[test]
fn json_lines_round_trip_every_byte() {
    let t = sample();
    let mut out = Vec::new();
    t.write_jsonl(&mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert_eq!(text.lines().count(), t.len());
    assert!(text.contains(r#""name":{"text":"张三"}"#), "{text}");
    assert!(text.contains(r#"{"hex":"d5c5c8fd"}"#), "{text}");
    let back = Transcript::read_jsonl(out.as_slice()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn a_bad_json_line_names_its_line_number() {
    let err = Transcript::read_jsonl("\n{\"nope\":1}\n".as_bytes()).unwrap_err();
    assert!(
        matches!(err, TranscriptError::BadLine { line: 2, .. }),
        "{err}"
    );
}

#[test]
fn text_reads_like_the_tutorial_console_with_escapes() {
    let mut out = Vec::new();
    sample().write_text(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("server    Listening on 127.0.0.1:6000"),
        "{}",
        lines[0]
    );
    assert!(lines[2].contains("client-1  Accept new connection from 127.0.0.1:42101"));
    assert!(text.contains("name \"张三\""));
    assert!(text.contains("recv 4 bytes: \"\\xd5\\xc5\\xc8\\xfd\""));
    // A terminal escape sequence is shown, never sent to the terminal.
    assert!(text.contains("\\x1b[2J\\x00"));
    assert!(!text.contains('\x1b'));
    assert!(text.contains("client-1  Connection from 127.0.0.1:42101 is closed (said exit)"));
    // Each line starts with a time HH:MM:SS.mmm.
    assert!(
        lines
            .iter()
            .all(|l| l.as_bytes()[2] == b':' && l.as_bytes()[8] == b'.')
    );
}

#[test]
fn csv_has_a_header_and_one_row_per_event() {
    let mut out = Vec::new();
    let t = sample();
    t.write_csv(&mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["time", "origin", "event", "detail", "hex"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), t.len());
    let gbk = rows
        .iter()
        .find(|r| &r[4] == "d5c5c8fd")
        .expect("hex column");
    assert_eq!(&gbk[1], "client-1");
}

#[test]
fn save_picks_the_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let t = sample();
    for format in Format::ALL {
        let path = dir.path().join(format!("t.{}", format.extension()));
        assert_eq!(t.save(&path).unwrap(), format);
        let mut expected = Vec::new();
        t.write(format, &mut expected).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }
    let err = t.save(&dir.path().join("t.docx")).unwrap_err();
    assert!(
        err.to_string().contains("use .txt, .jsonl or .csv"),
        "{err}"
    );
}

#[test]
fn a_failed_save_says_why_and_keeps_the_old_file_and_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let t = sample();
    let missing = dir.path().join("no-such-folder").join("t.txt");
    let err = t.save(&missing).unwrap_err();
    assert!(err.to_string().starts_with("cannot save"), "{err}");
    assert_eq!(t.len(), sample().len(), "the transcript is still all there");

    // Replacing a file that is a directory fails; the directory is untouched
    // and no temporary file is left behind.
    let target = dir.path().join("taken.txt");
    std::fs::create_dir(&target).unwrap();
    assert!(t.save(&target).is_err());
    assert!(target.is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// A folder nobody may write in, not even root (sysfs is read-only): the
/// save fails with the system's reason, and the transcript is intact.
#[cfg(target_os = "linux")]
#[test]
fn saving_into_a_read_only_folder_says_why_and_loses_nothing() {
    let t = sample();
    let err = t
        .save(std::path::Path::new("/sys/transcript.txt"))
        .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("cannot save"), "{message}");
    assert!(message.contains("/sys/transcript.txt"), "{message}");
    assert!(
        message.contains("ermission denied") || message.contains("ead-only"),
        "the system's reason: {message}"
    );
    assert_eq!(t.len(), sample().len());
}

/// A full disk (a 16 KiB tmpfs, mounted for the test; root only, as in
/// CI): the save fails with the system's reason, the file already there is
/// untouched, no temporary file is left, and the transcript is intact.
#[cfg(target_os = "linux")]
#[test]
fn saving_onto_a_full_disk_says_why_and_loses_nothing() {
    use std::process::Command;

    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    // Unmount however the test ends.
    struct Unmount<'a>(&'a std::path::Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(dir.path());

    let target = dir.path().join("lesson.jsonl");
    std::fs::write(&target, b"the last good save\n").unwrap();
    let mut t = sample();
    let name = Bytes("张三".repeat(200).into_bytes());
    for _ in 0..200 {
        t.push(NetEvent::now(
            Origin::ServerConn(1),
            EventKind::Received {
                bytes: name.clone(),
            },
        ));
    }
    let events = t.len();

    let message = t.save(&target).unwrap_err().to_string();
    assert!(message.starts_with("cannot save"), "{message}");
    assert!(message.contains("No space left on device"), "{message}");
    assert_eq!(t.len(), events, "the transcript is still all there");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"the last good save\n",
        "the old file is untouched"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file is left: {files:?}");
}

/// A transcript keeps up to its limit, counts what it could not keep, and
/// warns from 80% on; reading a saved file is never cut short.
#[test]
fn the_limit_is_counted_not_silent_and_reading_keeps_everything() {
    let mut t = Transcript::with_limit(10);
    let event = || {
        NetEvent::now(
            Origin::ServerConn(1),
            EventKind::Received {
                bytes: Bytes::from("x"),
            },
        )
    };
    for _ in 0..7 {
        assert!(t.push(event()));
    }
    assert!(!t.is_filling_up());
    assert!(t.push(event()));
    assert!(t.is_filling_up(), "8 of 10");
    for _ in 0..4 {
        t.push(event());
    }
    assert_eq!((t.len(), t.dropped()), (10, 2));

    let mut file = Vec::new();
    t.write_jsonl(&mut file).unwrap();
    let read = Transcript::read_jsonl(file.as_slice()).unwrap();
    assert_eq!(read.len(), 10);
    assert_eq!(read.limit(), usize::MAX, "a file is read whole");
    t.clear();
    assert_eq!((t.len(), t.dropped()), (0, 0));
}
