#!/usr/bin/env python3
"""test_delay_relay.py - the benchmark's delay relay really delays, in order, both ways.

Lower bounds only (a loaded machine can only make the relay later, never earlier): connect plus
the first echo pays two round trips (the TCP handshake and the data), each later echo on the
same connection one more; a burst of numbered chunks comes back whole and in order; a second
connection is served while the first is waiting on its delay; a server's close reaches the
client. Usage: test_delay_relay.py [RTT_MS]
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def echo_server():
    """A loopback echo server; 'close' makes it close the connection."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data or data == b"close":
                    return
                conn.sendall(data)

    def accept():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv.getsockname()[1]


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        data = s.recv(n - len(out))
        if not data:
            raise AssertionError("connection closed after %d of %d bytes" % (len(out), n))
        out += data
    return out


def main():
    rtt_ms = float(sys.argv[1]) if len(sys.argv) > 1 else 100.0
    rtt = rtt_ms / 1000.0
    target = echo_server()
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        relay = subprocess.Popen([sys.executable, os.path.join(HERE, "delay_relay.py"),
                                  "--target", "127.0.0.1:%d" % target, "--rtt-ms", str(rtt_ms),
                                  "--port-file", port_file])
        try:
            deadline = time.monotonic() + 20
            while not os.path.exists(port_file):
                if relay.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the relay did not start")
                time.sleep(0.02)
            port = int(open(port_file).read())
            failures = check(port, rtt)
        finally:
            relay.terminate()
            relay.wait(10)
    if relay.returncode != 0:
        failures.append("the relay exited %d on SIGTERM" % relay.returncode)
    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else "%d failure(s)" % len(failures))
    return 1 if failures else 0


def check(port, rtt):
    failures = []
    t0 = time.monotonic()
    a = socket.create_connection(("127.0.0.1", port))
    a.sendall(b"ping")
    got = recv_exactly(a, 4)
    first = time.monotonic() - t0
    print("connect + first echo: %.1f ms (at least %.0f)" % (first * 1000, 2 * rtt * 1000))
    if got != b"ping" or first < 2 * rtt:
        failures.append("first echo %r after %.1f ms" % (got, first * 1000))

    # A second connection is served while the first waits on its delay.
    b = socket.create_connection(("127.0.0.1", port))
    t1 = time.monotonic()
    a.sendall(b"again")
    b.sendall(b"other")
    got_b = recv_exactly(b, 5)
    got_a = recv_exactly(a, 5)
    second = time.monotonic() - t1
    print("second echo on a kept connection: %.1f ms (at least %.0f)" % (second * 1000, rtt * 1000))
    if got_a != b"again" or got_b != b"other" or second < rtt:
        failures.append("second round %r %r after %.1f ms" % (got_a, got_b, second * 1000))

    # Order and completeness: 200 numbered chunks sent back to back.
    sent = b"".join(b"%05d;" % i for i in range(200))
    for i in range(0, len(sent), 60):
        a.sendall(sent[i:i + 60])
    back = recv_exactly(a, len(sent))
    if back != sent:
        failures.append("a burst came back reordered or changed")

    # The server's close reaches the client, and not before its one-way delay.
    t2 = time.monotonic()
    b.sendall(b"close")
    b.settimeout(30)
    rest = b.recv(10)
    closed = time.monotonic() - t2
    print("server close seen after %.1f ms (at least %.0f)" % (closed * 1000, rtt * 1000))
    if rest != b"" or closed < rtt:
        failures.append("close: %r after %.1f ms" % (rest, closed * 1000))
    a.close()
    b.close()
    return failures


if __name__ == "__main__":
    sys.exit(main())
