#!/usr/bin/env python3
"""Checks the Windows exe under wine, as a Windows user would use it.

    python3 scripts/check-windows-exe.py path/to/tcp-playground.exe

Run it after sourcing scripts/wine-env.sh (which sets up wine). It checks:

- the exe is a windowed (GUI-subsystem) program with an icon and version
  information (scripts/check-pe.py);
- `--version` prints the version;
- `trace --close client` shows ESTABLISHED and TIME_WAIT as *observed*:
  real states read from Windows' TCP table, not inferred;
- `trace --slow --close client` holds the close's short states long enough
  to observe them: the client's FIN_WAIT_1 and TIME_WAIT, the server's
  CLOSE_WAIT and LAST_ACK (the close hold, on Windows' recv());
- `serve --bind 127.0.0.1:0` prints `Listening on ...` and serves the
  tutorial's own client (tests/python/tcp_client.py) ten times in a row;
- the window "TCP Playground" opens on the X display ($DISPLAY, e.g. an
  Xvfb started by scripts/test-windows.sh before wine's first program),
  and a screenshot of it is not blank (saved as shots/windows-window.png).

Every wait has a time limit; nothing waits on a bare sleep. It ends with
one line "N passed, M failed" and exits non-zero if anything failed.
"""
import os
import queue
import re
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIAL_CLIENT = os.path.join(ROOT, "tests", "python", "tcp_client.py")

results = []


def check(name, ok, detail=""):
    """Records one check and prints it at once."""
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f"\n{detail}" if detail and not ok else ""))
    sys.stdout.flush()


def run(args, timeout, stdin=None):
    """Runs a command; returns (exit code, stdout, stderr), or None on a time-out."""
    try:
        p = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check_pe(exe):
    r = run([sys.executable, os.path.join(ROOT, "scripts", "check-pe.py"), exe], 30)
    check("GUI subsystem, icon and version resources", r is not None and r[0] == 0, r and r[1] + r[2])


def check_version(exe):
    r = run(["wine", exe, "--version"], 60)
    ok = r is not None and r[0] == 0 and re.search(r"tcp-playground \d+\.\d+\.\d+", r[1])
    check("--version prints the version", bool(ok), r and r[1] + r[2])


def check_trace(exe):
    r = run(["wine", exe, "trace", "--close", "client"], 60)
    out = r[1] if r else ""
    observed = set(re.findall(r"tab-1\s+([A-Z_0-9]+)\s+observed", out))
    ok = r is not None and r[0] == 0 and {"ESTABLISHED", "TIME_WAIT"} <= observed
    check("trace --close client: ESTABLISHED and TIME_WAIT observed", ok, out + (r[2] if r else "time-out"))


def check_slow_trace(exe):
    r = run(["wine", exe, "trace", "--slow", "--close", "client"], 90)
    out = r[1] if r else ""
    tab = set(re.findall(r"tab-1\s+([A-Z_0-9]+)\s+observed", out))
    server = set(re.findall(r"client-1\s+([A-Z_0-9]+)\s+observed", out))
    ok = (
        r is not None
        and r[0] == 0
        and {"FIN_WAIT_1", "TIME_WAIT"} <= tab
        and {"CLOSE_WAIT", "LAST_ACK"} <= server
    )
    check(
        "trace --slow --close client: FIN_WAIT_1, CLOSE_WAIT, LAST_ACK, TIME_WAIT observed",
        ok,
        out + (r[2] if r else "time-out"),
    )


def read_lines(stream, lines):
    for line in iter(stream.readline, b""):
        lines.put(line.decode("utf-8", "replace"))


def check_serve(exe, runs=10):
    server = subprocess.Popen(
        ["wine", exe, "serve", "--bind", "127.0.0.1:0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines = queue.Queue()
    threading.Thread(target=read_lines, args=(server.stdout, lines), daemon=True).start()
    try:
        port = None
        try:
            while port is None:
                line = lines.get(timeout=60)
                m = re.search(r"Listening on 127\.0\.0\.1:(\d+)", line)
                port = m and int(m.group(1))
        except queue.Empty:
            check("serve prints Listening on ...", False, "no such line within 60 s")
            return
        check("serve prints Listening on ...", True)
        served = 0
        for i in range(runs):
            r = run([sys.executable, TUTORIAL_CLIENT, "127.0.0.1", str(port)], 20, b"Alice\nexit\n")
            out = r[1] if r else ""
            if r and r[0] == 0 and "Hello Alice!" in out and "Good bye!" in out:
                served += 1
            else:
                print(f"run {i + 1}:", out, r and r[2])
        check(f"serve: the tutorial's client, {runs} times in a row", served == runs, f"{served} of {runs}")
    finally:
        server.kill()
        server.wait(timeout=30)


def check_window(exe):
    shots = os.path.join(ROOT, "shots")
    os.makedirs(shots, exist_ok=True)
    shot = os.path.join(shots, "windows-window.png")
    if not os.environ.get("DISPLAY"):
        check("the window draws", False, "no X display: run it under xvfb-run (see scripts/test-windows.sh)")
        return
    # Start the exe, wait (at most 90 s) for its window, let it draw its
    # first frames, take a picture of the screen.
    inner = (
        'wine "$0" > /dev/null 2>&1 & app=$!; '
        'trap "kill $app 2> /dev/null" EXIT; '
        'timeout 90 xdotool search --sync --name "^TCP Playground$" > /dev/null || exit 3; '
        'for _ in 1 2 3 4 5 6 7 8 9 10; do '
        '  import -window root "$1"; '
        '  [ "$(convert "$1" -format %k info:)" -gt 50 ] && exit 0; '
        '  sleep 0.5; '
        'done; exit 4'
    )
    r = run(["bash", "-c", inner, exe, shot], 180)
    if r is None:
        check("the window draws", False, "time-out")
        return
    colours = run(["convert", shot, "-format", "%k", "info:"], 30)
    check(
        "the window 'TCP Playground' draws (screenshot not blank)",
        r[0] == 0,
        f"exit {r[0]} (3: no window, 4: blank); colours {colours and colours[1]}; {r[2][-2000:]}",
    )
    print(f"     screenshot: {shot}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    exe = sys.argv[1]
    check_pe(exe)
    check_version(exe)
    check_trace(exe)
    check_slow_trace(exe)
    check_serve(exe)
    check_window(exe)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
