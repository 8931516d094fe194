#!/usr/bin/env python3
"""stream_test.py - vhost-user-decode reading a pipe prints each message as
soon as it is complete: the capture is fed a packet at a time and the line
of each packet must come out before the next packet is written (a decoder
that buffered its output would block this test until ctest's timeout)."""
import struct
import subprocess
import sys


def blocks(data):
    """Splits a little-endian pcapng file into its blocks."""
    off = 0
    while off < len(data):
        (length,) = struct.unpack_from("<I", data, off + 4)
        yield data[off:off + length]
        off += length


def main():
    decoder, capture = sys.argv[1], sys.argv[2]
    with open(capture, "rb") as f:
        parts = list(blocks(f.read()))
    header, packets = parts[0] + parts[1], parts[2:]
    p = subprocess.Popen([decoder, "-r", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    p.stdin.write(header)
    p.stdin.flush()
    for n, pkt in enumerate(packets, 1):
        p.stdin.write(pkt)
        p.stdin.flush()
        line = p.stdout.readline().decode()
        frame = int(line.split()[0])
        if frame != n:
            print(f"packet {n}: got the line of frame {frame}: {line}")
            return 1
    p.stdin.close()
    rest = p.stdout.read()
    if rest or p.wait() != 0:
        print(f"unexpected trailing output or status: {rest!r}")
        return 1
    print(f"{len(packets)} packets, one line each, in time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
