#!/usr/bin/env python3
"""The tutorial's threaded name-dialogue server, as PROTOCOL.md describes it.

A test peer for TCP Playground: it behaves like the tutorial's script,
pitfalls included (reply and prompt as two small sends, so Nagle's
algorithm delays the prompt; no check for an empty recv at end of stream).

Usage: tcp_server.py [PORT]   (default 6000; 0 picks a free port)
The one addition: with an explicit port argument, the first line printed is
"Listening on HOST:PORT", so a test can learn the real port.
"""
import socket
import sys
import threading


def tcplink(sock, addr):
    print('Accept new connection from %s:%s' % addr, flush=True)
    sock.send(b'Welcome!\n')
    while True:
        sock.send(b'Whats your name?')
        data = sock.recv(1024)
        if data == b'exit':
            sock.send(b'Good bye!\n')
            break
        sock.send(b'Hello ' + data + b'!\n')
    sock.close()
    print('Connection from %s:%s is closed' % addr, flush=True)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', port))
    s.listen(5)
    if len(sys.argv) > 1:
        print('Listening on %s:%s' % s.getsockname(), flush=True)
    print('Waiting for connection...', flush=True)
    while True:
        sock, addr = s.accept()
        t = threading.Thread(target=tcplink, args=(sock, addr), daemon=True)
        t.start()


if __name__ == '__main__':
    main()
