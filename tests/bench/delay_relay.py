#!/usr/bin/env python3
"""delay_relay.py - a TCP relay that puts a network's round trip between posterm and the simulator.

This machine's kernel has no netem, so the delay is made in user space: the relay listens on
127.0.0.1, connects to the target for each client connection, and delivers every chunk it reads,
in either direction, one-way delay (RTT / 2) after it read it, in order, connections independent
of each other (asyncio: one reader and one timed writer per direction). The client's TCP connect
to the relay completes at once in the kernel, so the client's first bytes are also held until
three one-way delays after the accept: where a real SYN, SYN-ACK and that first data segment
would have arrived. TCP, TLS and HTTP round trips therefore all pay the configured RTT. A close
(FIN) travels with the same delay, so a gateway closing an idle connection is seen late, as over
a real link.

Python, not C: the benchmark that drives it is Python, and asyncio's timers make per-chunk
delivery times a few lines; its own cost (well under a millisecond a chunk) is inside the
floor the benchmark measures through the same relay.

    delay_relay.py --target HOST:PORT --rtt-ms N [--port P] [--port-file FILE]
"""
import argparse
import asyncio
import os
import signal
import sys

CHUNK = 65536


async def pump(reader, writer, delay_s, not_before):
    """Copies reader to writer, each chunk delay_s after it was read (and not before
    not_before, a loop time), in order. The end of the stream is passed on the same way."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        try:
            while True:
                data = await reader.read(CHUNK)
                queue.put_nowait((loop.time() + delay_s, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time() + delay_s, b""))

    reading = asyncio.ensure_future(read_side())
    try:
        while True:
            due, data = await queue.get()
            wait = max(due, not_before) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        reading.cancel()


async def serve_one(client_reader, client_writer, target, one_way_s):
    loop = asyncio.get_running_loop()
    accepted = loop.time()
    try:
        up_reader, up_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    try:
        # Client to server: SYN (+1 one-way), SYN-ACK (+1), then the data itself (+1).
        await asyncio.gather(
            pump(client_reader, up_writer, one_way_s, accepted + 3 * one_way_s),
            pump(up_reader, client_writer, one_way_s, 0.0))
    except asyncio.CancelledError:
        pass  # the relay is stopping
    finally:
        for w in (up_writer, client_writer):
            w.close()


async def main_async(args):
    host, _, port = args.target.rpartition(":")
    target = (host or "127.0.0.1", int(port))
    one_way_s = args.rtt_ms / 2000.0
    server = await asyncio.start_server(
        lambda r, w: serve_one(r, w, target, one_way_s), "127.0.0.1", args.port)
    listen_port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % listen_port)
        os.replace(tmp, args.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    ap = argparse.ArgumentParser(description="TCP relay adding a round-trip delay")
    ap.add_argument("--target", required=True, help="HOST:PORT to relay to")
    ap.add_argument("--rtt-ms", type=float, required=True, help="round trip to add, ms (>= 0)")
    ap.add_argument("--port", type=int, default=0, help="127.0.0.1 port; 0 picks a free one")
    ap.add_argument("--port-file", help="write the listening port here once listening")
    args = ap.parse_args()
    if args.rtt_ms < 0:
        ap.error("--rtt-ms must be >= 0")
    if not args.target.rpartition(":")[2].isdigit():
        ap.error("--target must be HOST:PORT, not %r" % args.target)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
