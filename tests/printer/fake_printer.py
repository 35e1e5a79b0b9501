#!/usr/bin/env python3
"""fake_printer.py - a network receipt printer on raw TCP (the JetDirect port 9100 kind) for
the end-to-end tests: it keeps every byte it receives, answers the ESC/POS real-time status
request DLE EOT n as an Epson TM printer does, can be made to drop a connection part-way
through a receipt, and can decode what it received with escpos-decode.

    usage: fake_printer.py DIR [--port N] [--close-after N] [--decode ESCPOS_DECODE]

DIR (created if needed) holds:
  port           the TCP port, written once listening on 127.0.0.1 (--port 0, the default,
                 takes a free one; --port N lets a restarted printer come back on the same)
  received.bin   every byte received, all connections in order
  conn-K.bin     the bytes of connection K (1, 2, ...)
  events.jsonl   {"event":"connect"|"status_request"|"close", "connection":K, ...} per line
  decoded.jsonl  with --decode: when connection K ends, escpos-decode's JSON lines for its bytes,
                 then {"connection":K,"bytes":N,"closed_by":"client"|"printer","decoded":bool}
  status         written by the test, read at every status request: words among
                 paper_out, near_end, cover_open, offline (empty or absent: ready), and
                 "close_after N" (drop the next connection after its N-th byte; the printer then
                 takes these two words out of the file, so it drops one connection only), or
                 "die_after N" (SIGKILL itself after the next connection's N-th byte, as a
                 printer losing power mid-receipt: no decoded.jsonl entry for that connection,
                 the rest of what the kernel had taken for it lost; taken out of the file too)
Signals: SIGUSR1 toggles paper out, SIGUSR2 toggles the cover; SIGTERM stops.

The status bytes follow Epson's DLE EOT table: bits 1 and 4 always on, bits 0 and 7 off;
n=1 bit 3 offline; n=2 bit 2 cover open, bit 5 printing stopped by paper end, bit 6 error;
n=3 (error causes) nothing; n=4 bits 2-3 paper near end, bits 5-6 paper out.
Like a real printer it reacts to DLE EOT n wherever it appears in the stream.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys

FIXED = 0x12
LIMITS = ("close_after", "die_after")  # status file words that take a byte count


class Printer:
    def __init__(self, directory, close_after, decoder):
        self.dir = directory
        self.close_after = close_after
        self.decoder = decoder
        self.toggled = {"paper_out": False, "cover_open": False}
        self.conns = {}
        # a printer restarted on the same DIR numbers its connections after the earlier ones
        self.count = sum(1 for f in os.listdir(directory) if f.startswith("conn-"))
        self.received = open(os.path.join(directory, "received.bin"), "ab")
        self.events = open(os.path.join(directory, "events.jsonl"), "a")

    def event(self, **fields):
        self.events.write(json.dumps(fields) + "\n")
        self.events.flush()

    def state(self):
        """The printer's condition: the status file's words, then the signal toggles."""
        words = set()
        limits = {}
        try:
            with open(os.path.join(self.dir, "status")) as f:
                tokens = f.read().split()
        except FileNotFoundError:
            tokens = []
        i = 0
        while i < len(tokens):
            if tokens[i] in LIMITS and i + 1 < len(tokens):
                limits[tokens[i]] = int(tokens[i + 1])
                i += 2
                continue
            words.add(tokens[i])
            i += 1
        for word, on in self.toggled.items():
            if on:
                words.symmetric_difference_update({word})
        return words, limits

    def forget_limits(self, used):
        """The status file's close_after and die_after act on one connection: those used are
        taken out of the file."""
        path = os.path.join(self.dir, "status")
        with open(path) as f:
            tokens = f.read().split()
        kept = []
        i = 0
        while i < len(tokens):
            if tokens[i] in used:
                i += 2
                continue
            kept.append(tokens[i])
            i += 1
        with open(path + ".tmp", "w") as f:
            f.write(" ".join(kept) + "\n")
        os.rename(path + ".tmp", path)

    def status_byte(self, n):
        words, _ = self.state()
        paper_out = "paper_out" in words
        cover = "cover_open" in words
        offline = paper_out or cover or "offline" in words
        if n == 1:
            return FIXED | (0x08 if offline else 0)
        if n == 2:
            return FIXED | (0x04 if cover else 0) | (0x20 if paper_out else 0) | \
                (0x40 if "offline" in words and not (cover or paper_out) else 0)
        if n == 3:
            return FIXED
        return FIXED | (0x0C if "near_end" in words else 0) | (0x60 if paper_out else 0)

    def accept(self, server, sel):
        sock, _ = server.accept()
        self.count += 1
        k = self.count
        _, limits = self.state()
        limit = None
        used = set()
        if self.close_after is not None:
            limit, self.close_after = self.close_after, None
        elif "close_after" in limits:
            limit = limits["close_after"]
            used.add("close_after")
        die = limits.get("die_after")
        if die is not None:
            used.add("die_after")
        if used:
            self.forget_limits(used)
        conn = {"k": k, "sock": sock, "data": bytearray(), "limit": limit, "die": die,
                "tail": b"", "file": open(os.path.join(self.dir, "conn-%d.bin" % k), "wb")}
        self.conns[sock] = conn
        sel.register(sock, selectors.EVENT_READ, "conn")
        self.event(event="connect", connection=k, close_after=limit, die_after=die)

    def receive(self, sock, sel):
        conn = self.conns[sock]
        try:
            chunk = sock.recv(65536)
        except ConnectionError:
            chunk = b""
        if not chunk:
            self.finish(conn, sel, "client")
            return
        cut = die = False
        if conn["limit"] is not None and len(conn["data"]) + len(chunk) >= conn["limit"]:
            chunk = chunk[:conn["limit"] - len(conn["data"])]
            cut = True
        if conn["die"] is not None and len(conn["data"]) + len(chunk) >= conn["die"]:
            chunk = chunk[:conn["die"] - len(conn["data"])]
            die = True
        conn["data"] += chunk
        conn["file"].write(chunk)
        conn["file"].flush()
        self.received.write(chunk)
        self.received.flush()
        if die:
            self.event(event="killed", connection=conn["k"], bytes=len(conn["data"]))
            os.kill(os.getpid(), signal.SIGKILL)
        self.answer_status_requests(conn, chunk)
        if cut:
            self.finish(conn, sel, "printer")

    def answer_status_requests(self, conn, chunk):
        # A request split across two reads is still seen: the last two bytes of the previous
        # read go in front (a whole request is three bytes, so none of them was answered yet).
        scan = conn["tail"] + chunk
        i = scan.find(b"\x10\x04")
        while 0 <= i < len(scan) - 2:
            n = scan[i + 2]
            if 1 <= n <= 4:
                b = self.status_byte(n)
                try:
                    conn["sock"].sendall(bytes([b]))
                except OSError:
                    pass
                self.event(event="status_request", connection=conn["k"], n=n, answer=b)
            i = scan.find(b"\x10\x04", i + 1)
        conn["tail"] = scan[-2:]

    def finish(self, conn, sel, closed_by):
        sel.unregister(conn["sock"])
        del self.conns[conn["sock"]]
        if closed_by == "printer":
            # RST rather than FIN: a printer that lost power does not say goodbye.
            conn["sock"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn["sock"].close()
        conn["file"].close()
        self.event(event="close", connection=conn["k"], bytes=len(conn["data"]), closed_by=closed_by)
        if self.decoder:
            self.decode(conn, closed_by)

    def decode(self, conn, closed_by):
        path = os.path.join(self.dir, "conn-%d.bin" % conn["k"])
        run = subprocess.run([self.decoder, path], capture_output=True, text=True)
        with open(os.path.join(self.dir, "decoded.jsonl"), "a") as out:
            out.write(run.stdout)
            out.write(json.dumps({"connection": conn["k"], "bytes": len(conn["data"]),
                                  "closed_by": closed_by, "decoded": run.returncode == 0}) + "\n")


def main():
    ap = argparse.ArgumentParser(description="a raw-TCP ESC/POS printer for the tests")
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--close-after", type=int, default=None,
                    help="drop the first connection after this many bytes")
    ap.add_argument("--decode", metavar="ESCPOS_DECODE", default=None,
                    help="decode each connection's bytes with this escpos-decode")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    printer = Printer(args.dir, args.close_after, args.decode)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(4)
    port_file = os.path.join(args.dir, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)

    def toggle(word):
        def handler(_sig, _frame):
            printer.toggled[word] = not printer.toggled[word]
            printer.event(event="toggle", what=word, on=printer.toggled[word])
        return handler
    signal.signal(signal.SIGUSR1, toggle("paper_out"))
    signal.signal(signal.SIGUSR2, toggle("cover_open"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, "server")
    try:
        while True:
            for key, _ in sel.select():
                if key.data == "server":
                    printer.accept(server, sel)
                else:
                    printer.receive(key.fileobj, sel)
    finally:
        for conn in list(printer.conns.values()):
            printer.finish(conn, sel, "client")


if __name__ == "__main__":
    main()
