//! The TCP state machine, used to fill in the states too short to see.
//!
//! Polling the kernel shows most states of a connection, but on loopback
//! some last only microseconds: SYN_SENT (~60 µs), SYN_RECV (~5 µs),
//! LAST_ACK (~10 µs). Yet the state machine says they must have happened:
//! a client cannot become ESTABLISHED without having been in SYN_SENT. This
//! module knows the machine's transitions (RFC 793, figure 6) and completes
//! a sequence of observed states with the states that must lie between
//! them, each marked as inferred and saying why. Pure: no sockets.

#![forbid(unsafe_code)]

use super::tcp_state::TcpState;

/// Which socket of a dialogue a timeline belongs to: it decides where the
/// socket's life starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The client's socket: starts CLOSED, opens with `connect()` (SYN_SENT).
    Client,
    /// A socket returned by `accept()`: born from the listener when a SYN
    /// arrived (SYN_RECV).
    Accepted,
    /// The listening socket: starts CLOSED, then LISTEN.
    Listener,
}

impl Role {
    /// The state a socket of this role is in before anything is observed.
    pub fn origin(self) -> TcpState {
        match self {
            Role::Client | Role::Listener => TcpState::Closed,
            Role::Accepted => TcpState::Listen,
        }
    }
}

/// One state of a completed timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The state.
    pub state: TcpState,
    /// `Some(i)`: the `i`-th observed state. `None`: inferred.
    pub observed: Option<usize>,
    /// For an inferred state, why it must have happened.
    pub why: Option<String>,
}

/// The states a socket may go to from `state` (RFC 793, figure 6).
pub fn successors(state: TcpState) -> &'static [TcpState] {
    use TcpState::*;
    match state {
        Closed => &[Listen, SynSent],
        Listen => &[SynRecv, SynSent, Closed],
        SynSent => &[Established, SynRecv, Closed],
        SynRecv => &[Established, FinWait1, Listen],
        Established => &[FinWait1, CloseWait],
        FinWait1 => &[FinWait2, Closing, TimeWait],
        FinWait2 => &[TimeWait],
        Closing => &[TimeWait],
        TimeWait => &[Closed],
        CloseWait => &[LastAck],
        LastAck => &[Closed],
    }
}

/// The shortest chain of states strictly between `from` and `to`, or
/// `None` if the machine has no way from one to the other.
///
/// A chain never passes through TIME_WAIT, which lasts a minute so a
/// watcher never misses it (so ESTABLISHED → CLOSED is the passive close,
/// through CLOSE_WAIT and LAST_ACK), nor through CLOSED, where a watched
/// socket's life ends.
pub fn between(from: TcpState, to: TcpState) -> Option<Vec<TcpState>> {
    if from == to {
        return Some(Vec::new());
    }
    // Breadth-first search over at most 11 states.
    let mut previous: Vec<(TcpState, TcpState)> = Vec::new();
    let mut frontier = vec![from];
    let mut seen = vec![from];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for state in frontier {
            for &succ in successors(state) {
                let never_inferred = matches!(succ, TcpState::TimeWait | TcpState::Closed);
                if seen.contains(&succ) || (never_inferred && succ != to) {
                    continue;
                }
                seen.push(succ);
                previous.push((succ, state));
                if succ == to {
                    let mut chain = Vec::new();
                    let mut at = state;
                    while at != from {
                        chain.push(at);
                        at = previous.iter().find(|(s, _)| *s == at).map(|(_, p)| *p)?;
                    }
                    chain.reverse();
                    return Some(chain);
                }
                next.push(succ);
            }
        }
        frontier = next;
    }
    None
}

/// Completes the observed states of one socket with the inferred ones.
///
/// Consecutive observations that the machine cannot join are kept as they
/// are, with nothing inferred. (A reset jumps to CLOSED from any state;
/// callers that know of one should not ask for the states before it.)
pub fn complete(role: Role, observed: &[TcpState]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut last = role.origin();
    for (i, &state) in observed.iter().enumerate() {
        if let Some(chain) = between(last, state) {
            for inferred in chain {
                steps.push(Step {
                    state: inferred,
                    observed: None,
                    why: Some(format!(
                        "too short to observe; the state machine passes through it between {last} and {state}"
                    )),
                });
            }
        }
        steps.push(Step {
            state,
            observed: Some(i),
            why: None,
        });
        last = state;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use TcpState::*;

    fn states(steps: &[Step]) -> Vec<(TcpState, bool)> {
        steps
            .iter()
            .map(|s| (s.state, s.observed.is_some()))
            .collect()
    }

    #[test]
    fn a_client_was_in_syn_sent_before_established() {
        let steps = complete(Role::Client, &[Established]);
        assert_eq!(states(&steps), [(SynSent, false), (Established, true)]);
        assert!(
            steps[0]
                .why
                .as_deref()
                .unwrap()
                .contains("between CLOSED and ESTABLISHED")
        );
    }

    #[test]
    fn an_accepted_socket_was_in_syn_recv() {
        let steps = complete(Role::Accepted, &[Established, CloseWait, Closed]);
        assert_eq!(
            states(&steps),
            [
                (SynRecv, false),
                (Established, true),
                (CloseWait, true),
                (LastAck, false),
                (Closed, true)
            ]
        );
    }

    #[test]
    fn the_active_closer_passes_fin_wait_1() {
        let steps = complete(Role::Client, &[Established, TimeWait]);
        assert_eq!(
            states(&steps),
            [
                (SynSent, false),
                (Established, true),
                (FinWait1, false),
                (TimeWait, true)
            ]
        );
    }

    #[test]
    fn a_closed_socket_without_time_wait_closed_passively() {
        assert_eq!(between(Established, Closed), Some(vec![CloseWait, LastAck]));
        // FIN_WAIT_2 ends in TIME_WAIT, which would have been seen; Linux
        // may also drop an orphaned FIN_WAIT_2 socket: nothing to infer.
        assert_eq!(between(FinWait2, Closed), None);
    }

    #[test]
    fn impossible_jumps_infer_nothing() {
        assert_eq!(between(TimeWait, Established), None);
        // A passive closer never goes back to FIN_WAIT_2.
        let steps = complete(Role::Accepted, &[Established, CloseWait, FinWait2]);
        assert_eq!(
            states(&steps),
            [
                (SynRecv, false),
                (Established, true),
                (CloseWait, true),
                (FinWait2, true)
            ]
        );
    }
}
