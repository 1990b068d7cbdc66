//! What this operating system does differently, said in one line in the
//! user's language.
//!
//! The lessons were measured on Linux. Windows runs the same dialogue on
//! the same socket calls, but some things differ: it keeps TIME_WAIT for
//! 120 s and does not say how much is left, it has no deferred accept, it
//! refuses a client whose handshake finds a full backlog after about 2 s,
//! and it lets a program capture segments only with administrator rights.
//! Rather than hide a lesson, the window says in one line what Windows
//! does instead. macOS is told plainly that it has no state reader yet.
//!
//! Every function takes the [`Os`] to speak of, so the notes of each
//! system are tested on any system.

#![forbid(unsafe_code)]

use rust_i18n::t;

use crate::net::capture::CaptureError;
use crate::net::pitfall::Pitfall;
use crate::net::tcp_state::StateError;

/// The operating systems whose behaviour the window explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// Linux: everything is shown, as measured.
    Linux,
    /// Windows: real states from the system's TCP table; see the notes.
    Windows,
    /// macOS: no state reader yet.
    MacOs,
    /// Any other system.
    Other,
}

impl Os {
    /// The system this program was built for.
    pub const fn current() -> Os {
        if cfg!(target_os = "linux") {
            Os::Linux
        } else if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Other
        }
    }
}

/// Why real TCP states are not shown, in the user's language.
pub fn states_unavailable(error: &StateError, os: Os) -> String {
    match (error, os) {
        (StateError::Unsupported, Os::MacOs) => t!("platform.states_macos").into_owned(),
        (StateError::Unsupported, _) => t!("platform.states_unsupported").into_owned(),
        (StateError::Io(e), _) => t!("platform.states_failed", why = e).into_owned(),
        (StateError::Protocol(what), _) => t!("platform.states_failed", why = what).into_owned(),
    }
}

/// Why real segments are not drawn, and what the diagram does instead.
pub fn segments_unavailable(error: &CaptureError, os: Os) -> String {
    match (error, os) {
        (CaptureError::NoPrivilege, _) => t!("platform.capture_no_privilege").into_owned(),
        (CaptureError::Unsupported, Os::Windows) => t!("platform.capture_windows").into_owned(),
        (CaptureError::Unsupported, _) => t!("platform.capture_unsupported").into_owned(),
        (CaptureError::Io(e), _) => t!("platform.capture_failed", why = e).into_owned(),
    }
}

/// Why "Hold SYN_RECV" is not offered, where it is not.
pub fn hold_syn_recv_missing(os: Os) -> Option<String> {
    match os {
        Os::Linux => None,
        Os::Windows => Some(t!("platform.hold_syn_recv_windows").into_owned()),
        Os::MacOs | Os::Other => Some(t!("platform.hold_syn_recv_other").into_owned()),
    }
}

/// What a TIME_WAIT without a countdown means, where the system gives
/// none.
pub fn time_wait_without_countdown(os: Os) -> String {
    match os {
        Os::Windows => t!("platform.time_wait_windows").into_owned(),
        _ => t!("platform.time_wait_no_countdown").into_owned(),
    }
}

/// What this system does differently in a lesson, if anything.
pub fn pitfall_note(pitfall: Pitfall, os: Os) -> Option<String> {
    if os != Os::Windows {
        return None;
    }
    let note = match pitfall {
        Pitfall::Nagle => t!("platform.windows.nagle"),
        Pitfall::Backlog => t!("platform.windows.backlog"),
        Pitfall::TimeWait => t!("platform.windows.time_wait"),
        Pitfall::Glued | Pitfall::EmptyRecv => return None,
    };
    Some(note.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each note is found (not its key shown). The unit tests run in
    /// English; `lang::every_key_is_translated` checks the Chinese texts.
    #[test]
    fn every_note_has_a_text() {
        let notes = [
            states_unavailable(&StateError::Unsupported, Os::MacOs),
            states_unavailable(&StateError::Unsupported, Os::Other),
            states_unavailable(&StateError::Protocol("odd"), Os::Windows),
            segments_unavailable(&CaptureError::Unsupported, Os::Windows),
            segments_unavailable(&CaptureError::Unsupported, Os::MacOs),
            segments_unavailable(&CaptureError::NoPrivilege, Os::Linux),
            hold_syn_recv_missing(Os::Windows).unwrap_or_default(),
            hold_syn_recv_missing(Os::MacOs).unwrap_or_default(),
            time_wait_without_countdown(Os::Windows),
            time_wait_without_countdown(Os::MacOs),
            pitfall_note(Pitfall::Backlog, Os::Windows).unwrap_or_default(),
            pitfall_note(Pitfall::TimeWait, Os::Windows).unwrap_or_default(),
            pitfall_note(Pitfall::Nagle, Os::Windows).unwrap_or_default(),
        ];
        for note in notes {
            assert!(note.len() > 20, "too short: {note:?}");
            assert!(!note.contains("platform."), "missing text: {note}");
        }
    }

    #[test]
    fn linux_needs_no_notes_and_windows_says_what_it_does_instead() {
        assert_eq!(hold_syn_recv_missing(Os::Linux), None);
        for pitfall in Pitfall::ALL {
            assert_eq!(pitfall_note(pitfall, Os::Linux), None);
        }
        assert!(
            hold_syn_recv_missing(Os::Windows)
                .unwrap()
                .contains("TCP_DEFER_ACCEPT")
        );
        assert!(time_wait_without_countdown(Os::Windows).contains("120"));
        assert!(segments_unavailable(&CaptureError::Unsupported, Os::Windows).contains("Npcap"));
        assert!(states_unavailable(&StateError::Unsupported, Os::MacOs).contains("macOS"));
    }
}
