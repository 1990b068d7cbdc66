#!/usr/bin/env bash
# The name dialogue between two hosts: the server in one network namespace,
# the clients in another, joined by a veth pair (a virtual cable), as on a
# classroom LAN. When the kernel has netem, the cable also gets 50 ms of
# delay and 1% loss; otherwise the script says so and goes on without.
#
#   sudo bash scripts/two-hosts.sh [BIN]     # BIN: the tcp-playground binary
#
# Needs root and iproute2 (ip, tc) and python3. It runs our `connect` and
# the tutorial's Python client (tests/python/tcp_client.py) against our
# `serve`, then checks the server's transcript: both names heard, both
# connections accepted from the other host and closed after `exit`.
# Everything it creates (namespaces, links, files) is removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${1:-target/debug/tcp-playground}
BIN=$(realpath "$BIN")
[ "$(id -u)" = 0 ] || { echo "two-hosts: needs root (network namespaces)" >&2; exit 2; }
command -v ip > /dev/null || { echo "two-hosts: needs iproute2 (ip)" >&2; exit 2; }

tag=$$
server_ns=tcpp-srv-$tag
client_ns=tcpp-cli-$tag
# Addresses of our own two test hosts, inside namespaces made here.
server_ip=10.231.0.1
client_ip=10.231.0.2
work=$(mktemp -d)
server_pid=

cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null || true
    ip netns del "$server_ns" 2> /dev/null || true
    ip netns del "$client_ns" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$server_ns"
ip netns add "$client_ns"
ip link add "tcpp-s$tag" type veth peer name "tcpp-c$tag"
ip link set "tcpp-s$tag" netns "$server_ns"
ip link set "tcpp-c$tag" netns "$client_ns"
ip -n "$server_ns" addr add "$server_ip/24" dev "tcpp-s$tag"
ip -n "$client_ns" addr add "$client_ip/24" dev "tcpp-c$tag"
for ns in "$server_ns" "$client_ns"; do ip -n "$ns" link set lo up; done
ip -n "$server_ns" link set "tcpp-s$tag" up
ip -n "$client_ns" link set "tcpp-c$tag" up

if ip netns exec "$server_ns" tc qdisc add dev "tcpp-s$tag" root netem delay 50ms loss 1% 2> /dev/null; then
    echo "two-hosts: the cable has 50 ms delay and 1% loss (netem)"
else
    echo "two-hosts: this kernel has no netem: the cable has no added delay or loss"
fi

# The server, reachable from the other host (it warns about that on stderr).
ip netns exec "$server_ns" "$BIN" serve --bind "$server_ip:0" \
    --transcript "$work/server.jsonl" > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
    grep -q "Waiting for connection" "$work/server.out" 2> /dev/null && break
    sleep 0.1
done
grep -q "Waiting for connection" "$work/server.out" || {
    echo "two-hosts: the server did not start:" >&2; cat "$work/server.err" >&2; exit 1; }
# Its first line is "Listening on ADDR:PORT", with the port the system chose.
port=$(head -n 1 "$work/server.out" | sed 's/.*://')

# Our client, then the tutorial's, from the other host.
ip netns exec "$client_ns" timeout 30 "$BIN" connect "$server_ip:$port" \
    --name Alice --name exit > "$work/ours.out"
printf '张三\nexit\n' | ip netns exec "$client_ns" timeout 30 \
    python3 tests/python/tcp_client.py "$server_ip" "$port" > "$work/tutorial.out"

# Stop the server (it saves its transcript) and check what it heard.
kill -INT "$server_pid"
wait "$server_pid" || { echo "two-hosts: the server failed:" >&2; cat "$work/server.err" >&2; exit 1; }
server_pid=
fail() { echo "two-hosts: $1" >&2; cat "$work/server.out" >&2; exit 1; }
grep -q "Hello Alice!" "$work/ours.out" || fail "our client was not greeted"
grep -q "Hello 张三!" "$work/tutorial.out" || fail "the tutorial's client was not greeted"
[ "$(grep -c "Accept new connection from $client_ip:" "$work/server.out")" = 2 ] \
    || fail "the server did not accept both clients from $client_ip"
[ "$(grep -c "Connection from $client_ip:.* is closed" "$work/server.out")" = 2 ] \
    || fail "the server did not close both connections"
python3 - "$work/server.jsonl" << 'EOF'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]
names = [e['heard']['name'].get('text') for e in events
         if e.get('event') == 'heard' and isinstance(e.get('heard'), dict) and 'name' in e['heard']]
print('two-hosts: names in the server transcript:', ', '.join(map(str, names)))
if sorted(names) != sorted(['Alice', '张三']):
    sys.exit('two-hosts: the transcript does not hold exactly the two names')
EOF
echo "two-hosts: ok: both clients talked to the server across the cable"
