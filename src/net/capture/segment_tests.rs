//! The parser against hand-made frames: every header built byte by byte.

use super::*;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

/// A TCP header (with `options`) followed by `payload`.
fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, options: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0, "options are padded to 32-bit words");
    let mut h = Vec::new();
    h.extend_from_slice(&sport.to_be_bytes());
    h.extend_from_slice(&dport.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.push((((20 + options.len()) / 4) as u8) << 4);
    h.push(flags);
    h.extend_from_slice(&65_483u16.to_be_bytes()); // window
    h.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    h.extend_from_slice(options);
    h
}

/// An IPv4 header with `ip_options`, then `transport` and `payload`.
fn ipv4(protocol: u8, ip_options: &[u8], transport: &[u8], payload: &[u8]) -> Vec<u8> {
    let header_len = 20 + ip_options.len();
    let total = (header_len + transport.len() + payload.len()) as u16;
    let mut p = vec![0x40 | (header_len / 4) as u8, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00]); // id; "don't fragment"
    p.extend_from_slice(&[64, protocol, 0, 0]); // ttl, protocol, checksum
    p.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 2]);
    p.extend_from_slice(ip_options);
    p.extend_from_slice(transport);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 header (`next` header), then `transport` and `payload`.
fn ipv6(next: u8, transport: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = (transport.len() + payload.len()) as u16;
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    p.extend_from_slice(&"fd00::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    p.extend_from_slice(transport);
    p.extend_from_slice(payload);
    p
}

/// A loopback Ethernet frame: zero MAC addresses, then `ethertype`.
fn ethernet(ethertype: u16, packet: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(packet);
    f
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

#[test]
fn an_ipv4_syn_with_options_is_read_field_by_field() {
    // MSS 65495, SACK permitted, timestamps, NOP, window scale 7: 20 bytes.
    let options = [
        2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let frame = ethernet(
        0x0800,
        &ipv4(
            6,
            &[],
            &tcp(40_000, 5_000, 0xdead_beef, 0, SYN, &options),
            b"",
        ),
    );
    let s = parse_ethernet(&frame, t0()).unwrap();
    assert_eq!(s.src, "127.0.0.1:40000".parse().unwrap());
    assert_eq!(s.dst, "127.0.0.2:5000".parse().unwrap());
    assert_eq!(s.seq, 0xdead_beef);
    assert_eq!(s.ack, 0);
    assert_eq!(s.flags, Flags::SYN);
    assert_eq!(s.window, 65_483);
    assert_eq!(s.payload_len, 0);
    assert_eq!(s.time, t0());
    assert_eq!(s.seq_len(), 1, "a SYN uses one sequence number");
}

#[test]
fn ipv4_options_move_the_tcp_header() {
    // IHL 6: one word of options (four NOPs) before TCP.
    let frame = ethernet(
        0x0800,
        &ipv4(6, &[1, 1, 1, 1], &tcp(1, 2, 7, 9, PSH | ACK, &[]), b"Alice"),
    );
    let s = parse_ethernet(&frame, t0()).unwrap();
    assert_eq!((s.src.port(), s.dst.port(), s.seq, s.ack), (1, 2, 7, 9));
    assert_eq!(s.flags.to_string(), "PSH+ACK");
    assert_eq!(s.payload_len, 5);
}

#[test]
fn the_payload_length_comes_from_the_ip_header_not_the_captured_bytes() {
    let mut frame = ethernet(
        0x0800,
        &ipv4(6, &[], &tcp(1, 2, 100, 0, ACK, &[]), &[b'x'; 1000]),
    );
    // The capture keeps only the first bytes of a frame.
    frame.truncate(14 + 20 + 20);
    let s = parse_ethernet(&frame, t0()).unwrap();
    assert_eq!(s.payload_len, 1000);
    assert_eq!(s.seq_len(), 1000);
}

#[test]
fn an_ipv6_fin_ack_with_data() {
    let frame = ethernet(
        0x86DD,
        &ipv6(
            6,
            &tcp(5000, 40000, 10, 20, FIN | PSH | ACK, &[]),
            b"Good bye!\n",
        ),
    );
    let s = parse_ethernet(&frame, t0()).unwrap();
    assert_eq!(s.src, "[::1]:5000".parse().unwrap());
    assert_eq!(s.dst, "[fd00::2]:40000".parse().unwrap());
    assert_eq!(s.flags.to_string(), "FIN+PSH+ACK");
    assert_eq!(s.payload_len, 10);
    assert_eq!(s.seq_len(), 11, "ten bytes and the FIN");
}

#[test]
fn a_packet_without_link_header_is_read_by_its_version() {
    let v4 = ipv4(6, &[], &tcp(1, 2, 3, 4, ACK, &[]), b"");
    let v6 = ipv6(6, &tcp(1, 2, 3, 4, ACK, &[]), b"");
    assert!(parse_ip(&v4, t0()).unwrap().src.is_ipv4());
    assert!(parse_ip(&v6, t0()).unwrap().src.is_ipv6());
    assert_eq!(parse_ip(&[], t0()), Err(NotASegment::Truncated));
    assert_eq!(parse_ip(&[0x50; 40], t0()), Err(NotASegment::NotIp));
}

#[test]
fn what_is_not_a_tcp_segment_says_why() {
    let udp = ipv4(17, &[], &[0; 8], b"");
    assert_eq!(
        parse_ethernet(&ethernet(0x0800, &udp), t0()),
        Err(NotASegment::NotTcp)
    );
    assert_eq!(
        parse_ethernet(&ethernet(0x0806, &[0; 28]), t0()),
        Err(NotASegment::NotIp),
        "ARP"
    );
    // IPv6 with a hop-by-hop options header (next header 0) before TCP.
    let hop_by_hop = ipv6(0, &[6, 0, 1, 4, 0, 0, 0, 0], b"");
    assert_eq!(
        parse_ethernet(&ethernet(0x86DD, &hop_by_hop), t0()),
        Err(NotASegment::Ipv6Extensions)
    );
    let icmpv6 = ipv6(58, &[0; 8], b"");
    assert_eq!(
        parse_ethernet(&ethernet(0x86DD, &icmpv6), t0()),
        Err(NotASegment::NotTcp)
    );
    let mut fragment = ipv4(6, &[], &tcp(1, 2, 3, 4, ACK, &[]), b"");
    fragment[6] = 0x20; // more fragments
    assert_eq!(
        parse_ethernet(&ethernet(0x0800, &fragment), t0()),
        Err(NotASegment::Fragment)
    );
}

#[test]
fn short_or_inconsistent_headers_are_refused_not_panicked_on() {
    let good = ethernet(0x0800, &ipv4(6, &[], &tcp(1, 2, 3, 4, ACK, &[]), b"hi"));
    for len in 0..(14 + 40) {
        assert_eq!(
            parse_ethernet(&good[..len], t0()),
            Err(NotASegment::Truncated),
            "{len} bytes"
        );
    }
    let mut bad_ihl = good.clone();
    bad_ihl[14] = 0x44; // IHL 4 words: shorter than the minimum
    assert_eq!(parse_ethernet(&bad_ihl, t0()), Err(NotASegment::BadLength));
    let mut bad_offset = good.clone();
    bad_offset[14 + 20 + 12] = 0xf0; // TCP header of 60 bytes in 22
    assert_eq!(
        parse_ethernet(&bad_offset, t0()),
        Err(NotASegment::BadLength)
    );
    let mut zero_total = good;
    zero_total[16..18].copy_from_slice(&[0, 0]);
    assert_eq!(
        parse_ethernet(&zero_total, t0()),
        Err(NotASegment::BadLength)
    );
}

#[test]
fn flags_read_as_people_say_them() {
    let show = |bits: u8| Flags::from_bits(bits).to_string();
    assert_eq!(show(SYN), "SYN");
    assert_eq!(show(SYN | ACK), "SYN+ACK");
    assert_eq!(show(ACK), "ACK");
    assert_eq!(show(PSH | ACK), "PSH+ACK");
    assert_eq!(show(FIN | ACK), "FIN+ACK");
    assert_eq!(show(0x04), "RST");
    assert_eq!(show(0x04 | ACK), "RST+ACK");
    assert_eq!(show(0), "none");
    for bits in 0..=u8::MAX {
        assert_eq!(show(bits).parse::<Flags>(), Ok(Flags::from_bits(bits)));
    }
    assert!("SYN+AKC".parse::<Flags>().is_err());
}

#[test]
fn a_segment_round_trips_through_json_with_flags_as_text() {
    let frame = ethernet(
        0x0800,
        &ipv4(6, &[], &tcp(5000, 40000, 1, 2, SYN | ACK, &[]), b""),
    );
    let s = parse_ethernet(&frame, t0()).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains(r#""flags":"SYN+ACK""#), "{json}");
    assert_eq!(serde_json::from_str::<Segment>(&json).unwrap(), s);
    assert_eq!(
        s.to_string(),
        "127.0.0.1:5000 → 127.0.0.2:40000 SYN+ACK seq=1 ack=2 win=65483 len=0"
    );
}
