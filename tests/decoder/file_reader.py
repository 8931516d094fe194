#!/usr/bin/env python3
"""file_reader.py - a capture in a regular file, whose blocks the decoder
reads itself while they are plain enhanced packet blocks, decodes as the
same bytes from standard input, which libpcap reads: stdout, stderr and
exit status, one line and -V (-2 reads a file twice, not a pipe).  On
the captures as they are (one larger than the reader's 256 KiB buffer),
with their interface's time stamps in other units and offset (the reader
takes nanoseconds without dividing), and with their blocks broken: cut
anywhere (also at the buffer's edges), lengths, trailers, interface ids,
captured lengths, block types, time stamps, bytes added.

usage: file_reader.py DECODER WORKDIR CAPTURE...
"""
import os
import random
import struct
import subprocess
import sys

CHUNK = 256 * 1024
MUTATIONS = 40          # per capture
# (digits of the time stamps' unit, offset in seconds) of an interface;
# the shim's is (9, 0)
RETIMES = ((9, 1700000000), (6, 0), (6, -3), (3, 42))
MODES = ([], ["-V"])
# with JSON, which shows each record's own time (the lines and trees show
# it from the first record's)
TIMED_MODES = MODES + (["-T", "json"],)


def blocks(data):
    """(offset, type, length) of each block, little-endian pcapng."""
    out, off = [], 0
    while len(data) - off >= 12:
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or blen > len(data) - off:
            break
        out.append((off, btype, blen))
        off += blen
    return out


def retime(data, digits, offset):
    """data with its interface's time stamps in units of 10^-digits
    seconds, offset by offset seconds (if_tsresol, if_tsoffset); its other
    options kept."""
    off, btype, blen = blocks(data)[1]
    assert btype == 1
    opts, i = [], off + 16
    while i + 4 <= off + blen - 4:
        code, olen = struct.unpack_from("<HH", data, i)
        if code == 0:
            break
        if code not in (9, 14):
            opts.append(data[i:i + 4 + (olen + 3) // 4 * 4])
        i += 4 + (olen + 3) // 4 * 4
    opts.append(struct.pack("<HHB3x", 9, 1, digits))
    if offset:
        opts.append(struct.pack("<HHq", 14, 8, offset))
    body = data[off + 8:off + 16] + b"".join(opts) + struct.pack("<HH", 0, 0)
    n = len(body) + 12
    idb = struct.pack("<II", 1, n) + body + struct.pack("<I", n)
    return data[:off] + idb + data[off + blen:]


def mutate(data, rnd):
    """data with one of its record blocks (past the section and the
    interface) broken at random."""
    d = bytearray(data)
    off, _, blen = rnd.choice(blocks(data)[2:])
    kind = rnd.randrange(9)
    if kind == 0:
        return bytes(d[:rnd.randrange(off, len(d))])
    if kind == 1:
        struct.pack_into("<I", d, off + 4, rnd.choice(
            [0, 8, 12, 28, 31, 32, blen - 4, blen + 4, blen + 1, 0x1000001, 0xffffffff]))
    elif kind == 2:
        struct.pack_into("<I", d, off + blen - 4, blen + rnd.choice([-4, 1, 4]))
    elif kind == 3:
        struct.pack_into("<I", d, off + 8, rnd.choice([1, 2, 0xffffffff]))
    elif kind == 4:
        struct.pack_into("<I", d, off + 20, rnd.choice(
            [blen - 31, blen - 32, 0x40000, 0xffffffff]))
    elif kind == 5:
        struct.pack_into("<I", d, off, rnd.choice([1, 2, 3, 5, 0x0A0D0D0A, 0x80000001]))
    elif kind == 6:
        d += bytes(rnd.randrange(1, 12))
    elif kind == 7:
        struct.pack_into("<I", d, off + 12, rnd.randrange(1 << 32))
    else:
        d[off + rnd.randrange(blen)] ^= 0xff
    return bytes(d)


def decode(decoder, path, args, from_stdin):
    if from_stdin:
        with open(path, "rb") as f:
            p = subprocess.run([decoder] + args + ["-r", "-"], stdin=f,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    else:
        p = subprocess.run([decoder] + args + ["-r", path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def agree(decoder, path, what, modes):
    for args in modes:
        a = decode(decoder, path, args, False)
        b = decode(decoder, path, args, True)
        if a != b:
            print("FAIL: %s %s: the file and standard input decode differently"
                  % (what, " ".join(args) or "one line"))
            return False
    return True


def main():
    decoder, work = sys.argv[1], sys.argv[2]
    rnd = random.Random(19)
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "broken.pcapng")
    ok = True
    for cap in sys.argv[3:]:
        with open(cap, "rb") as f:
            data = f.read()
        ok &= agree(decoder, cap, cap, TIMED_MODES)
        cuts = [n for n in (CHUNK - 1, CHUNK, CHUNK + 5) if n < len(data)]
        variants = [(data[:n], MODES) for n in cuts]
        variants += [(mutate(data, rnd), MODES) for _ in range(MUTATIONS)]
        variants += [(retime(data, d, o), TIMED_MODES) for d, o in RETIMES]
        for i, (v, modes) in enumerate(variants):
            with open(path, "wb") as f:
                f.write(v)
            if not agree(decoder, path, "%s, variant %d" % (cap, i), modes):
                ok = False
                os.replace(path, os.path.join(work, "failed-%d.pcapng" % i))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
