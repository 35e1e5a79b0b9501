#!/usr/bin/env python3
"""test_fake_printer.py - the fake network printer the end-to-end tests print to behaves as
its header says: it keeps and decodes a receipt, answers DLE EOT n with the status bytes of
Epson's table as the status file and the signals change them, drops a connection after N
bytes, and comes back on the same port after a restart.

    usage: test_fake_printer.py ESCPOS_DECODE
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def wait_for(pred, what, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    check(False, "timed out waiting for " + what)
    return False


def start(d, decoder, *extra):
    port_file = os.path.join(d, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_printer.py"), d,
                          "--decode", decoder, *extra])
    wait_for(lambda: os.path.exists(port_file), "the port file")
    return p, int(open(port_file).read())


def ask(sock, n):
    sock.sendall(bytes([0x10, 0x04, n]))
    sock.settimeout(5)
    return sock.recv(1)[0]


def decoded(d):
    try:
        with open(os.path.join(d, "decoded.jsonl")) as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []


def trailers(d):
    return [x for x in decoded(d) if "connection" in x]


RECEIPT = (b"\x1b@\x1c&\x1ba\x01\x1d!\x11" + "收银".encode("gb18030") + b"\n\x1d!\x00\x1ba\x00"
           b"Total 12.00\n\x1bd\x02\x1dVB\x00")


def main():
    decoder = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        p, port = start(d, decoder)
        try:
            # a receipt, with status requests before and in the middle of it
            s = socket.create_connection(("127.0.0.1", port))
            check(ask(s, 1) == 0x12, "ready: DLE EOT 1 answers 0x12 (online)")
            check(ask(s, 4) == 0x12, "ready: DLE EOT 4 answers 0x12 (paper present)")
            s.sendall(RECEIPT[:14])  # up to the end of 收
            check(ask(s, 2) == 0x12, "a status request inside a receipt is answered")
            s.sendall(RECEIPT[14:])
            open(os.path.join(d, "status"), "w").write("paper_out near_end\n")
            check(ask(s, 1) == 0x1A, "paper out: DLE EOT 1 says offline (0x1a)")
            check(ask(s, 2) == 0x32, "paper out: DLE EOT 2 says stopped by paper end (0x32)")
            check(ask(s, 4) == 0x7E, "paper out and near end: DLE EOT 4 answers 0x7e")
            open(os.path.join(d, "status"), "w").write("")
            os.kill(p.pid, signal.SIGUSR2)
            time.sleep(0.3)
            check(ask(s, 2) == 0x16, "SIGUSR2: cover open, DLE EOT 2 answers 0x16")
            os.kill(p.pid, signal.SIGUSR2)
            time.sleep(0.3)
            check(ask(s, 2) == 0x12, "SIGUSR2 again: cover closed")
            s.close()
            wait_for(lambda: len(trailers(d)) == 1, "connection 1 decoded")
            lines = decoded(d)
            texts = [x["text"] for x in lines if "text" in x]
            check(texts == ["收银", "Total 12.00"], "the receipt's lines decoded: %r" % texts)
            check({"cut": "partial"} in lines, "the cut decoded")
            check(sum(1 for x in lines if "status_request" in x) == 8,
                  "the status requests are in the decoded stream")
            t = trailers(d)[0]
            check(t["decoded"] and t["closed_by"] == "client", "connection 1 closed by the client, decoded")

            # close_after: the printer drops the next connection after 12 bytes (inside 收)
            open(os.path.join(d, "status"), "w").write("close_after 12\n")
            s = socket.create_connection(("127.0.0.1", port))
            dropped = False
            try:
                for i in range(50):
                    s.sendall(RECEIPT)
                    time.sleep(0.02)
            except OSError:
                dropped = True
            s.close()
            check(dropped, "the connection was dropped mid-receipt")
            wait_for(lambda: len(trailers(d)) == 2, "connection 2 decoded")
            check(os.path.getsize(os.path.join(d, "conn-2.bin")) == 12, "exactly 12 bytes kept")
            t = trailers(d)[1]
            check(not t["decoded"] and t["closed_by"] == "printer",
                  "connection 2: closed by the printer, not a whole receipt")
            check(any("error" in x for x in decoded(d)), "the cut-short receipt is reported as an error")
        finally:
            p.terminate()
            p.wait(10)
        # a restart on the same port (an e2e test killing the printer mid-receipt)
        p, port2 = start(d, decoder, "--port", str(port))
        try:
            check(port2 == port, "restarted on the same port")
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(RECEIPT)
            s.close()
            wait_for(lambda: len(trailers(d)) == 3, "connection 3 decoded")
            size = os.path.getsize(os.path.join(d, "received.bin"))
            check(size == 2 * len(RECEIPT) + 8 * 3 + 12,
                  "received.bin holds every byte of every connection (%d)" % size)
            check(trailers(d)[2]["connection"] == 3 and os.path.exists(os.path.join(d, "conn-3.bin")),
                  "the restarted printer numbers its connections after the earlier ones")
        finally:
            p.terminate()
            p.wait(10)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
