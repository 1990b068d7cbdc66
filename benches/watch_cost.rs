//! What watching TCP states costs: opens 1,000 loopback connections (2,000
//! sockets), then measures (1) one kernel lookup, and (2) the CPU the
//! watcher thread uses while it polls every socket at the app's interval.
//!
//! Run: `cargo bench --bench watch_cost` (Linux). Prints figures only.
//!
//! On Windows (or under wine: `. scripts/wine-env.sh; cargo bench --target
//! x86_64-pc-windows-gnu --bench watch_cost`) it measures instead what one
//! copy of the system's TCP table costs, with the table as the machine has
//! it and then with 2,000 more sockets in it.

#[cfg(target_os = "linux")]
fn main() {
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use tcp_playground::net::tcp_state::{SocketKey, StateReader};
    use tcp_playground::net::watch::{QUIET_INTERVAL, StateWatcher, WATCH_INTERVAL, poll_period};
    use tcp_playground::net::{EventSender, Origin};

    const CONNECTIONS: usize = 1000;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut pairs = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let client = TcpStream::connect(addr).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        pairs.push((client, server));
    }
    let keys: Vec<SocketKey> = pairs
        .iter()
        .flat_map(|(c, _)| {
            let (local, peer) = (c.local_addr().unwrap(), c.peer_addr().unwrap());
            [
                SocketKey {
                    local,
                    remote: peer,
                },
                SocketKey {
                    local: peer,
                    remote: local,
                },
            ]
        })
        .collect();

    // (1) One lookup, averaged over every socket, five times.
    let mut reader = StateReader::new().expect("netlink");
    let started = Instant::now();
    for _ in 0..5 {
        for key in &keys {
            reader.read(key).expect("read");
        }
    }
    let per_lookup = started.elapsed() / (5 * keys.len() as u32);
    println!(
        "one state lookup: {:.2} µs ({} sockets, 5 rounds)",
        per_lookup.as_secs_f64() * 1e6,
        keys.len()
    );

    // (2) The watcher's thread, polling all of them, for 10 s (open, idle
    // connections: after their first 2 s they count as quiet).
    let (tx, rx) = crossbeam_channel::unbounded();
    let watcher =
        StateWatcher::start(EventSender::new(tx), WATCH_INTERVAL, QUIET_INTERVAL).expect("watcher");
    for (i, key) in keys.iter().enumerate() {
        watcher.watch(Origin::ServerConn(i as u64), *key);
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = process_cpu();
    let window = Duration::from_secs(10);
    std::thread::sleep(window);
    let used = process_cpu() - before;
    let events = rx.try_iter().count();
    println!(
        "watcher with {} sockets (busy: every {:?}; quiet: every {:?}): {:.2}% of one core over {:?} ({} state events)",
        keys.len(),
        poll_period(WATCH_INTERVAL, keys.len()),
        poll_period(WATCH_INTERVAL, keys.len()).max(QUIET_INTERVAL),
        100.0 * used.as_secs_f64() / window.as_secs_f64(),
        window,
        events
    );
    drop(pairs);
}

/// CPU time used by this whole process so far (user + system), from /proc.
#[cfg(target_os = "linux")]
fn process_cpu() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name may contain spaces; fields start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // Linux reports in clock ticks of 1/100 s on every common configuration.
    std::time::Duration::from_millis(ticks * 10)
}

#[cfg(windows)]
fn main() {
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use tcp_playground::net::tcp_state::{SocketKey, StateReader};

    /// The median time of one read, each far enough from the last that
    /// the reader copies the table again (a copy answers for 2 ms).
    fn one_copy(reader: &mut StateReader, key: &SocketKey) -> Duration {
        let mut times: Vec<Duration> = (0..21)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(5));
                let started = Instant::now();
                reader.read(key).expect("read");
                started.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    }

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let key = SocketKey::listener(listener.local_addr().expect("addr"));
    let mut reader = StateReader::new().expect("the TCP table");
    println!(
        "one copy of the TCP table, as it is: {:.2} ms (median of 21)",
        one_copy(&mut reader, &key).as_secs_f64() * 1e3
    );
    let mut pairs = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let client = TcpStream::connect(key.local).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        pairs.push((client, server));
    }
    println!(
        "one copy with 2,000 more sockets: {:.2} ms (median of 21)",
        one_copy(&mut reader, &key).as_secs_f64() * 1e3
    );
    drop(pairs);
}

#[cfg(not(any(target_os = "linux", windows)))]
fn main() {
    println!(
        "watch_cost measures how TCP states are read on Linux and Windows; nothing to do here."
    );
}
