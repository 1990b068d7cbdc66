#!/usr/bin/env python3
"""A simple load for a name-dialogue server: N line clients that send
names as fast as the server answers, for a number of seconds.

Usage: load.py HOST PORT CLIENTS SECONDS
Prints the round trips completed and their rate.
"""
import socket
import sys
import threading
import time

PROMPT = b'Whats your name?'


def client(host, port, stop_at, counts, i):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b''
    n = 0
    while not buf.endswith(PROMPT):
        buf += s.recv(4096)
    while time.time() < stop_at:
        s.sendall(b'bot%d\n' % i)
        buf = b''
        while not buf.endswith(PROMPT):
            data = s.recv(4096)
            if not data:
                counts[i] = n
                return
            buf += data
        n += 1
    s.sendall(b'exit\n')
    s.close()
    counts[i] = n


def main():
    host, port, clients, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    counts = [0] * clients
    stop_at = time.time() + seconds
    threads = [threading.Thread(target=client, args=(host, port, stop_at, counts, i)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts)
    print('load: %d clients, %d round trips in %.0f s (%.0f/s)' % (clients, total, seconds, total / seconds))


if __name__ == '__main__':
    main()
