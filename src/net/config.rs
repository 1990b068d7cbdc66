//! Checked settings for the server and the client.
//!
//! Text typed by a user (an address, a port, a number of milliseconds) is
//! parsed once, here, into a [`ServerConfig`] or [`ClientConfig`] that
//! cannot be invalid. A bad value becomes a [`ConfigError`] whose message
//! says what is wrong, to be shown next to the field that holds it.

#![forbid(unsafe_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use thiserror::Error;

/// The tutorial's port.
pub const DEFAULT_PORT: u16 = 6000;
/// The tutorial's host.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// How many clients a server serves at once unless told otherwise: far
/// more than a class needs, well within the usual limit of open files.
pub const DEFAULT_MAX_CLIENTS: usize = 1000;

/// A setting that could not be understood.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The port is not a whole number from 0 to 65535.
    #[error("port must be a whole number from 0 to 65535, not \"{0}\"")]
    BadPort(String),
    /// The bind address is not an IP address of the right form.
    #[error("\"{0}\" is not an IP address (try 127.0.0.1, 0.0.0.0 or ::1)")]
    BadAddress(String),
    /// `host:port` could not be split into a host and a port.
    #[error("\"{0}\" is not HOST:PORT (for example 127.0.0.1:6000 or [::1]:6000)")]
    BadTarget(String),
    /// The host part is empty.
    #[error("the host is empty")]
    EmptyHost,
    /// A number of milliseconds or seconds is not a whole number in range.
    #[error("{what} must be a whole number from {min} to {max}, not \"{text}\"")]
    BadNumber {
        what: &'static str,
        text: String,
        min: u64,
        max: u64,
    },
}

/// How the server listens and paces its dialogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen. Port 0 asks the system for a free port.
    pub bind: SocketAddr,
    /// How many finished handshakes the kernel may queue before `accept()`
    /// takes them (the `backlog` of `listen()`). The system may lower it.
    pub backlog: i32,
    /// The pause before each prompt that follows another message, so that a
    /// client that treats one `recv` as one message gets them one by one.
    /// Zero turns pacing off: reply and prompt then go out in one write.
    pub pace: Duration,
    /// Sets `TCP_NODELAY` (Nagle's algorithm off) on accepted sockets, so
    /// small messages are sent at once instead of waiting for an ACK.
    pub nodelay: bool,
    /// A client that sends nothing for this long is closed. `None`: never.
    pub idle_timeout: Option<Duration>,
    /// A `send` that cannot finish for this long (the client does not read)
    /// closes that client.
    pub write_timeout: Duration,
    /// Deferred accept (`TCP_DEFER_ACCEPT`, Linux): new connections stay in
    /// SYN_RECV for about this long before `accept()` can take them, so a
    /// class can watch the state. Zero: off. See [`super::sys`].
    pub defer_accept: Duration,
    /// The most clients served at once. One more is told so in one line
    /// and closed, so a storm of connections cannot exhaust the threads
    /// and file descriptors that everyone else needs.
    pub max_clients: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
            backlog: 1024,
            // Long enough that a client reading one message per recv() gets
            // them one by one even when the machine is busy and the client
            // waits for the CPU; too short for a person to notice.
            pace: Duration::from_millis(20),
            nodelay: true,
            idle_timeout: Some(Duration::from_secs(600)),
            write_timeout: Duration::from_secs(10),
            defer_accept: Duration::ZERO,
            max_clients: DEFAULT_MAX_CLIENTS,
        }
    }
}

impl ServerConfig {
    /// True when the server would be reachable from other machines, which
    /// deserves a warning: a teaching server is meant for this machine.
    pub fn is_exposed(&self) -> bool {
        !self.bind.ip().is_loopback()
    }
}

/// Where a client connects and how long it waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Host name or IP address; a name may resolve to several addresses,
    /// which are tried in turn.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    /// How long to wait for the server's answer (greeting, reply) before
    /// giving up. Waiting for the user to type a name never times out.
    pub reply_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            connect_timeout: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(10),
        }
    }
}

impl ClientConfig {
    /// A client for `HOST:PORT` (or just `HOST`, port 6000), with default timeouts.
    pub fn for_target(target: &str) -> Result<Self, ConfigError> {
        let (host, port) = parse_target(target)?;
        Ok(ClientConfig {
            host,
            port,
            ..ClientConfig::default()
        })
    }

    /// `host:port` as typed, with brackets around an IPv6 address.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses a port typed by a user.
pub fn parse_port(text: &str) -> Result<u16, ConfigError> {
    text.trim()
        .parse::<u16>()
        .map_err(|_| ConfigError::BadPort(text.to_owned()))
}

/// Parses an IP address to bind to; `localhost` means 127.0.0.1.
pub fn parse_bind_ip(text: &str) -> Result<IpAddr, ConfigError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    unbracketed
        .parse::<IpAddr>()
        .map_err(|_| ConfigError::BadAddress(text.to_owned()))
}

/// Parses `ADDR:PORT` to bind to, e.g. `127.0.0.1:6000`, `[::1]:0`,
/// `localhost:6000`, or `:6000` for 127.0.0.1.
pub fn parse_bind(text: &str) -> Result<SocketAddr, ConfigError> {
    let (host, port) = parse_target(text)?;
    let ip = if host.is_empty() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        parse_bind_ip(&host)?
    };
    Ok(SocketAddr::new(ip, port))
}

/// Splits `HOST:PORT`; a bare host gets port 6000. IPv6 addresses need
/// brackets when a port follows (`[::1]:6000`); a bare `::1` is a host.
pub fn parse_target(text: &str) -> Result<(String, u16), ConfigError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| ConfigError::BadTarget(text.to_owned()))?;
        let port = match after {
            "" => DEFAULT_PORT,
            _ => parse_port(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| ConfigError::BadTarget(text.to_owned()))?,
            )?,
        };
        return Ok((host.to_owned(), port));
    }
    match text.matches(':').count() {
        0 if text.is_empty() => Err(ConfigError::EmptyHost),
        0 => Ok((text.to_owned(), DEFAULT_PORT)),
        1 => {
            let (host, port) = text.split_once(':').unwrap_or((text, ""));
            Ok((host.to_owned(), parse_port(port)?))
        }
        // Several colons and no brackets: an IPv6 address without a port.
        _ => Ok((text.to_owned(), DEFAULT_PORT)),
    }
}

/// Parses a whole number of milliseconds (or any unit) within `min..=max`.
pub fn parse_number(
    what: &'static str,
    text: &str,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::BadNumber {
            what,
            text: text.to_owned(),
            min,
            max,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_with_and_without_ports() {
        assert_eq!(
            parse_target("127.0.0.1:6000"),
            Ok(("127.0.0.1".into(), 6000))
        );
        assert_eq!(parse_target("localhost"), Ok(("localhost".into(), 6000)));
        assert_eq!(parse_target("[::1]:7"), Ok(("::1".into(), 7)));
        assert_eq!(parse_target("::1"), Ok(("::1".into(), 6000)));
        assert_eq!(parse_target(""), Err(ConfigError::EmptyHost));
        assert_eq!(
            parse_target("host:99999"),
            Err(ConfigError::BadPort("99999".into()))
        );
        assert!(matches!(
            parse_target("[::1"),
            Err(ConfigError::BadTarget(_))
        ));
    }

    #[test]
    fn bind_addresses() {
        assert_eq!(parse_bind(":0"), Ok("127.0.0.1:0".parse().unwrap()));
        assert_eq!(
            parse_bind("localhost:6000"),
            Ok("127.0.0.1:6000".parse().unwrap())
        );
        assert_eq!(parse_bind("[::1]:6000"), Ok("[::1]:6000".parse().unwrap()));
        assert_eq!(
            parse_bind("example.com:6000"),
            Err(ConfigError::BadAddress("example.com".into()))
        );
    }

    #[test]
    fn ports_and_numbers_say_what_is_wrong() {
        assert_eq!(parse_port(" 80 "), Ok(80));
        let err = parse_port("http").unwrap_err();
        assert_eq!(
            err.to_string(),
            "port must be a whole number from 0 to 65535, not \"http\""
        );
        assert!(parse_number("pacing (ms)", "1001", 0, 1000).is_err());
        assert_eq!(parse_number("pacing (ms)", "5", 0, 1000), Ok(5));
    }

    #[test]
    fn only_loopback_is_not_exposed() {
        let mut config = ServerConfig::default();
        assert!(!config.is_exposed());
        config.bind = "0.0.0.0:6000".parse().unwrap();
        assert!(config.is_exposed());
    }
}
