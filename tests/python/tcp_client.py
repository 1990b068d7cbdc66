#!/usr/bin/env python3
"""The tutorial's name-dialogue client, as PROTOCOL.md describes it.

A test peer for TCP Playground. Like the tutorial's script it treats one
recv(1024) as one message, so it hangs when two messages arrive together.

Usage: tcp_client.py [HOST] [PORT]   (default 127.0.0.1 6000); names on stdin.
"""
import socket
import sys


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host, port))
    print(s.recv(1024).decode('utf-8'), flush=True)
    name = 'start'
    while True:
        if name:
            print(s.recv(1024).decode('utf-8'), flush=True)
        name = input()
        if not name:
            continue
        s.send(name.encode('utf-8'))
        print(s.recv(1024).decode('utf-8'), flush=True)
        if name == 'exit':
            break
    s.close()


if __name__ == '__main__':
    main()
