#!/usr/bin/env python3
"""Floods a media port on 127.0.0.1 with garbage datagrams and reports how
many the kernel dropped for a full receive buffer (`RcvbufErrors` in
/proc/net/snmp, counted for the whole machine, so run it on a quiet one).

    python3 scripts/udp-flood.py --port 50000 --count 100000

Used for docs/benchmarks.md ("media socket under a datagram flood"); only
ever sends to 127.0.0.1.
"""

import argparse
import os
import socket
import time


def rcvbuf_errors() -> int:
    with open("/proc/net/snmp") as snmp:
        rows = [line.split() for line in snmp if line.startswith("Udp:")]
    header, values = rows[0], rows[1]
    return int(values[header.index("RcvbufErrors")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # RTP-looking garbage (first byte 0x80): it reaches the demultiplexer,
    # which drops it, as it would an attacker's.
    payloads = [bytes([0x80]) + os.urandom(args.size - 1) for _ in range(64)]
    before = rcvbuf_errors()
    started = time.monotonic()
    for n in range(args.count):
        sender.sendto(payloads[n % 64], ("127.0.0.1", args.port))
    took = time.monotonic() - started
    time.sleep(1.0)  # let the receiver drain what it can
    dropped = rcvbuf_errors() - before
    print(
        f"sent {args.count} datagrams of {args.size} B in {took:.2f} s; "
        f"kernel dropped {dropped} ({100.0 * dropped / args.count:.1f} %) for a full receive buffer"
    )


if __name__ == "__main__":
    main()
