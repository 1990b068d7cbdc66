//! Windows: socket states from the system's TCP table (what `netstat` uses).
//!
//! Windows has no call that looks up one socket by its 4-tuple. It has
//! `GetExtendedTcpTable` (iphlpapi), which copies the whole table of TCP
//! sockets into a buffer: one row per socket with its addresses, ports
//! and state. It needs no privilege and lists TIME_WAIT sockets too, after
//! the program closed them. It does not say how long a TIME_WAIT socket
//! has left (Windows keeps them 120 s by default, where Linux keeps 60 s).
//!
//! IPv4 asks for the basic table (`TCP_TABLE_BASIC_ALL`): finding the
//! process that owns each socket is work this program does not need, and
//! under wine it makes each copy about a hundred times slower. IPv6 has
//! only the table with owners (`TCP_TABLE_OWNER_PID_ALL`).
//!
//! The table costs more than a Linux lookup (about 30 ms for 5,000 rows,
//! a few hundred microseconds for the few hundred rows of a lab PC), so
//! one copy answers every question asked within [`FRESH_FOR`]: the watcher
//! reads all its sockets in one pass, and that pass costs one copy.
//!
//! The parsing below is plain Rust on a byte slice, so it is tested on
//! every system; only the copy itself ([`crate::net::sys::tcp_table`]) is
//! Windows code. Layouts (from `tcpmib.h`, all fields 32 bits, in the
//! machine's byte order except where said):
//!
//! ```text
//! MIB_TCPTABLE            u32 count, then `count` rows
//! MIB_TCPROW               u32 state, local addr (4 bytes, network order),
//!                          local port (network order, in the first 2 bytes),
//!                          remote addr, remote port                   20 bytes
//! MIB_TCP6TABLE_OWNER_PID  u32 count, then `count` rows
//! MIB_TCP6ROW_OWNER_PID    local addr (16 bytes), u32 scope, local port,
//!                          remote addr (16 bytes), u32 scope, remote port,
//!                          u32 state, u32 owner pid                   56 bytes
//! ```

#![cfg_attr(not(windows), allow(dead_code))]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::{Observation, SocketKey, StateError, TcpState};

/// How long one copy of the table answers questions, at least. Short
/// enough that a state lasting a few tens of milliseconds is still seen;
/// long enough that one pass of the watcher over all its sockets costs one
/// copy. A copy that took longer to make than this stays fresh for as long
/// as it took (under wine, 1,500 rows take about 50 ms): otherwise every
/// question would wait for a new copy, and a pass over three sockets
/// would take three copies.
pub const FRESH_FOR: Duration = Duration::from_millis(2);

/// Windows' state numbers (`MIB_TCP_STATE`), one row per state. This is
/// the only place that knows them.
const MIB_STATES: [(u32, TcpState); 12] = [
    (1, TcpState::Closed),
    (2, TcpState::Listen),
    (3, TcpState::SynSent),
    (4, TcpState::SynRecv),
    (5, TcpState::Established),
    (6, TcpState::FinWait1),
    (7, TcpState::FinWait2),
    (8, TcpState::CloseWait),
    (9, TcpState::Closing),
    (10, TcpState::LastAck),
    (11, TcpState::TimeWait),
    // DELETE_TCB: the system is removing the socket right now.
    (12, TcpState::Closed),
];

/// The state that Windows numbers `n`, if it is one.
pub fn state_from_windows(n: u32) -> Option<TcpState> {
    MIB_STATES
        .iter()
        .find(|(number, _)| *number == n)
        .map(|&(_, state)| state)
}

/// The address family of a table: IPv4 or IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `AF_INET`.
    V4,
    /// `AF_INET6`.
    V6,
}

impl Family {
    /// The family of the socket `key`.
    fn of(key: &SocketKey) -> Family {
        match key.local {
            SocketAddr::V4(_) => Family::V4,
            SocketAddr::V6(_) => Family::V6,
        }
    }

    /// The size of one row of this family's table.
    fn row_len(self) -> usize {
        match self {
            Family::V4 => 20,
            Family::V6 => 56,
        }
    }
}

/// One row of the table: a socket and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The socket's own address and its peer's.
    pub key: SocketKey,
    /// Its state.
    pub state: TcpState,
}

/// Reads the rows of a table that `GetExtendedTcpTable` wrote into
/// `bytes`. A row with a state number this program does not know is an
/// error: better to say so than to show a wrong state.
pub fn parse_table(family: Family, bytes: &[u8]) -> Result<Vec<Row>, StateError> {
    let count = u32_at(bytes, 0).ok_or(StateError::Protocol("TCP table too short"))?;
    let count = usize::try_from(count).map_err(|_| StateError::Protocol("TCP table too long"))?;
    let rows = &bytes[4..];
    if rows.len() / family.row_len() < count {
        return Err(StateError::Protocol("TCP table cut short"));
    }
    rows.chunks_exact(family.row_len())
        .take(count)
        .map(|row| parse_row(family, row))
        .collect()
}

/// One row (exactly `family.row_len()` bytes).
fn parse_row(family: Family, row: &[u8]) -> Result<Row, StateError> {
    let field = |at: usize| u32_at(row, at).unwrap_or(0);
    let (state, local, remote) = match family {
        Family::V4 => (
            field(0),
            SocketAddr::new(ipv4_at(row, 4).into(), port_at(row, 8)),
            SocketAddr::new(ipv4_at(row, 12).into(), port_at(row, 16)),
        ),
        Family::V6 => (
            field(48),
            SocketAddr::new(ipv6_at(row, 0).into(), port_at(row, 20)),
            SocketAddr::new(ipv6_at(row, 24).into(), port_at(row, 44)),
        ),
    };
    let state = state_from_windows(state).ok_or(StateError::Protocol("unknown TCP state"))?;
    Ok(Row {
        key: SocketKey { local, remote },
        state,
    })
}

/// The state of `key` in `rows`: [`TcpState::Closed`] when it is not
/// there. The same 4-tuple can appear twice for a moment: an old
/// connection in TIME_WAIT and a new one reusing its ports, or a socket
/// being deleted (CLOSED) beside its TIME_WAIT. A live state tells most,
/// then TIME_WAIT, then CLOSED.
pub fn find(rows: &[Row], key: &SocketKey) -> TcpState {
    let rank = |state: TcpState| match state {
        TcpState::Closed => 0,
        TcpState::TimeWait => 1,
        _ => 2,
    };
    rows.iter()
        .filter(|row| same_socket(&row.key, key))
        .map(|row| row.state)
        .max_by_key(|&state| rank(state))
        .unwrap_or(TcpState::Closed)
}

/// Whether a row names the socket `key`. IPv6 scope ids are not compared
/// (the table keeps them apart from the address, `SocketAddr` does not).
fn same_socket(row: &SocketKey, key: &SocketKey) -> bool {
    fn same(a: SocketAddr, b: SocketAddr) -> bool {
        a.ip() == b.ip() && a.port() == b.port()
    }
    same(row.local, key.local) && same(row.remote, key.remote)
}

/// A copy of the table of one family, when it was taken, and how long it
/// answers questions.
struct Snapshot {
    taken: Instant,
    fresh_for: Duration,
    rows: Vec<Row>,
}

/// Reads states from copies of the system's TCP tables.
pub struct TcpTable {
    v4: Option<Snapshot>,
    v6: Option<Snapshot>,
}

impl TcpTable {
    /// Checks that the table can be read at all, so that a reader that
    /// cannot work says so at once.
    pub fn open() -> Result<TcpTable, StateError> {
        let mut table = TcpTable { v4: None, v6: None };
        table.rows(Family::V4)?;
        Ok(table)
    }

    /// The state of the socket `key`.
    pub fn read(&mut self, key: &SocketKey) -> Result<Observation, StateError> {
        let state = find(self.rows(Family::of(key))?, key);
        // Windows does not say how long TIME_WAIT has left.
        Ok(Observation {
            state,
            time_wait_left: None,
        })
    }

    /// The rows of `family`'s table, copied again if the last copy is no
    /// longer fresh (see [`FRESH_FOR`]).
    fn rows(&mut self, family: Family) -> Result<&[Row], StateError> {
        let slot = match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        };
        let stale = slot
            .as_ref()
            .is_none_or(|snapshot| snapshot.taken.elapsed() > snapshot.fresh_for);
        if stale {
            let taken = Instant::now();
            let rows = parse_table(family, &copy_table(family)?)?;
            let fresh_for = taken.elapsed().max(FRESH_FOR);
            *slot = Some(Snapshot {
                taken,
                fresh_for,
                rows,
            });
        }
        Ok(slot.as_ref().map_or(&[][..], |snapshot| &snapshot.rows))
    }
}

/// A copy of the system's table of `family`, as bytes.
#[cfg(windows)]
fn copy_table(family: Family) -> Result<Vec<u8>, StateError> {
    Ok(crate::net::sys::tcp_table(family == Family::V6)?)
}

/// Only Windows has this table.
#[cfg(not(windows))]
fn copy_table(_family: Family) -> Result<Vec<u8>, StateError> {
    Err(StateError::Unsupported)
}

/// A 32-bit number in the machine's byte order at `at` (Windows runs
/// little-endian on every processor it supports).
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
}

/// An IPv4 address stored in network byte order: its bytes in order.
fn ipv4_at(row: &[u8], at: usize) -> Ipv4Addr {
    let mut octets = [0u8; 4];
    octets.copy_from_slice(&row[at..at + 4]);
    Ipv4Addr::from(octets)
}

/// An IPv6 address: its 16 bytes in order.
fn ipv6_at(row: &[u8], at: usize) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&row[at..at + 16]);
    Ipv6Addr::from(octets)
}

/// A port: a 32-bit field whose first two bytes are the port in network
/// byte order (big-endian); the other two are unused.
fn port_at(row: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([row[at], row[at + 1]])
}

/// Builds table bytes as Windows lays them out: for the tests, and for a
/// reader who wants to see the layout in code.
#[cfg(test)]
fn table_bytes(family: Family, rows: &[(u32, SocketKey)]) -> Vec<u8> {
    use std::net::IpAddr;

    fn addr(bytes: &mut Vec<u8>, ip: IpAddr) {
        match ip {
            IpAddr::V4(ip) => bytes.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => bytes.extend_from_slice(&ip.octets()),
        }
    }
    fn port(bytes: &mut Vec<u8>, port: u16) {
        bytes.extend_from_slice(&port.to_be_bytes());
        bytes.extend_from_slice(&[0xAA, 0xBB]); // unused: must be ignored
    }
    let mut bytes = u32::try_from(rows.len())
        .unwrap_or(0)
        .to_le_bytes()
        .to_vec();
    for &(state, key) in rows {
        match family {
            Family::V4 => {
                bytes.extend_from_slice(&state.to_le_bytes());
                addr(&mut bytes, key.local.ip());
                port(&mut bytes, key.local.port());
                addr(&mut bytes, key.remote.ip());
                port(&mut bytes, key.remote.port());
            }
            Family::V6 => {
                addr(&mut bytes, key.local.ip());
                bytes.extend_from_slice(&0u32.to_le_bytes());
                port(&mut bytes, key.local.port());
                addr(&mut bytes, key.remote.ip());
                bytes.extend_from_slice(&0u32.to_le_bytes());
                port(&mut bytes, key.remote.port());
                bytes.extend_from_slice(&state.to_le_bytes());
                bytes.extend_from_slice(&4242u32.to_le_bytes());
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(local: &str, remote: &str) -> SocketKey {
        SocketKey {
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
        }
    }

    #[test]
    fn every_windows_state_number_has_one_meaning() {
        let names: Vec<_> = (1..=12)
            .map(|n| state_from_windows(n).unwrap().name())
            .collect();
        assert_eq!(
            names,
            [
                "CLOSED",
                "LISTEN",
                "SYN_SENT",
                "SYN_RECV",
                "ESTABLISHED",
                "FIN_WAIT_1",
                "FIN_WAIT_2",
                "CLOSE_WAIT",
                "CLOSING",
                "LAST_ACK",
                "TIME_WAIT",
                "CLOSED"
            ]
        );
        assert_eq!(state_from_windows(0), None);
        assert_eq!(state_from_windows(13), None);
    }

    #[test]
    fn an_ipv4_table_gives_addresses_ports_and_states() {
        let listener = SocketKey::listener("127.0.0.1:6000".parse().unwrap());
        let server_end = key("127.0.0.1:6000", "127.0.0.1:50123");
        let client_end = key("127.0.0.1:50123", "127.0.0.1:6000");
        let bytes = table_bytes(
            Family::V4,
            &[(2, listener), (5, server_end), (11, client_end)],
        );
        let rows = parse_table(Family::V4, &bytes).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(find(&rows, &listener), TcpState::Listen);
        assert_eq!(find(&rows, &server_end), TcpState::Established);
        assert_eq!(find(&rows, &client_end), TcpState::TimeWait);
        // Ports are big-endian on the wire: 6000 is 0x1770, not 0x7017.
        assert_eq!(rows[0].key.local.port(), 6000);
        assert_eq!(
            find(&rows, &key("127.0.0.1:50124", "127.0.0.1:6000")),
            TcpState::Closed
        );
    }

    #[test]
    fn an_ipv6_table_gives_addresses_ports_and_states() {
        let ours = key("[::1]:6000", "[::1]:50000");
        let bytes = table_bytes(Family::V6, &[(8, ours)]);
        let rows = parse_table(Family::V6, &bytes).unwrap();
        assert_eq!(
            rows,
            [Row {
                key: ours,
                state: TcpState::CloseWait
            }]
        );
    }

    #[test]
    fn of_two_rows_for_the_same_ports_the_one_that_tells_more_wins() {
        let k = key("127.0.0.1:40000", "127.0.0.1:6000");
        let state_of = |numbers: &[u32]| {
            let rows: Vec<_> = numbers.iter().map(|&n| (n, k)).collect();
            find(
                &parse_table(Family::V4, &table_bytes(Family::V4, &rows)).unwrap(),
                &k,
            )
        };
        // A new connection on the ports of an old one in TIME_WAIT.
        assert_eq!(state_of(&[11, 5]), TcpState::Established);
        assert_eq!(state_of(&[5, 11]), TcpState::Established);
        // TIME_WAIT beside a CLOSED row.
        assert_eq!(state_of(&[11, 1]), TcpState::TimeWait);
        assert_eq!(state_of(&[1, 11]), TcpState::TimeWait);
        assert_eq!(state_of(&[1]), TcpState::Closed);
    }

    #[test]
    fn short_or_strange_tables_are_errors_not_guesses() {
        assert!(parse_table(Family::V4, &[]).is_err());
        let k = key("127.0.0.1:1", "127.0.0.1:2");
        let mut bytes = table_bytes(Family::V4, &[(5, k)]);
        bytes.truncate(bytes.len() - 1);
        assert!(parse_table(Family::V4, &bytes).is_err());
        let unknown = table_bytes(Family::V4, &[(99, k)]);
        assert!(parse_table(Family::V4, &unknown).is_err());
        // A buffer larger than the rows it holds is fine (Windows pads).
        let mut padded = table_bytes(Family::V4, &[(5, k)]);
        padded.extend_from_slice(&[0; 30]);
        assert_eq!(parse_table(Family::V4, &padded).unwrap().len(), 1);
    }
}
