#!/usr/bin/env python3
# cut-gpu-updates.py - keeps a GPU capture small: the GPU socket's data up to the end of its Nth GPU_UPDATE.
#
# Usage: cut-gpu-updates.py IN.pcapng OUT.pcapng N
#
# One process's capture (before the two peers' files are merged).  Every
# block is copied as it is, except the data records of a GPU socket
# (channel 3) that come after the record ending its Nth GPU_UPDATE, sent or
# received: the rest of the session (the main channel's stop sequence, the
# sockets' closes) stays.  The cut must fall on a record boundary that is
# also a message boundary, so the stream that is kept ends with a whole
# message; otherwise nothing is written and the exit status is 1.

import struct
import sys

EPB = 6
EV_SENT, EV_RECV = 1, 2
CHAN_GPU = 3
GPU_UPDATE = 8
IT_DATA = 5


def blocks(buf):
	"""(block type, bytes) of each pcapng block, little-endian files only."""
	off = 0
	while off + 12 <= len(buf):
		btype, blen = struct.unpack_from("<II", buf, off)
		if blen < 12 or off + blen > len(buf):
			sys.exit("cut-gpu-updates: a cut block at offset %d" % off)
		yield btype, buf[off:off + blen]
		off += blen


def record_of(block):
	"""The capture record inside an EPB: past the exported-PDU tags."""
	caplen = struct.unpack_from("<I", block, 20)[0]
	pkt = block[28:28 + caplen]
	p = 0
	while p + 4 <= len(pkt):
		tag, tlen = struct.unpack_from(">HH", pkt, p)
		p += 4 + tlen
		if tag == 0:
			return pkt[p:]
	return b""


def data_of(rec):
	"""(event, conn id, channel, data bytes) of a data record, or None."""
	if len(rec) < 40 or rec[:2] != b"VU" or rec[3] not in (EV_SENT, EV_RECV):
		return None
	hdr_len = struct.unpack_from("<H", rec, 4)[0]
	conn = struct.unpack_from("<Q", rec, 16)[0]
	q, data = hdr_len, b""
	while q + 8 <= len(rec):
		itype, _, ilen = struct.unpack_from("<HHI", rec, q)
		if itype == IT_DATA:
			data = rec[q + 8:q + 8 + ilen]
		q += 8 + ilen
	return rec[3], conn, rec[30], data


class Stream:
	"""One direction of a GPU socket: counts whole messages as bytes come."""

	def __init__(self):
		self.pending = b""
		self.updates = 0

	def feed(self, data):
		"""Adds a record's bytes; True if they end on a message boundary."""
		self.pending += data
		while len(self.pending) >= 12:
			req, _, size = struct.unpack_from("<III", self.pending, 0)
			if len(self.pending) < 12 + size:
				break
			self.pending = self.pending[12 + size:]
			if req == GPU_UPDATE:
				self.updates += 1
		return not self.pending


def main():
	src, dst, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
	with open(src, "rb") as f:
		buf = f.read()
	out, streams, cut, dropped = [], {}, set(), 0
	for btype, block in blocks(buf):
		d = data_of(record_of(block)) if btype == EPB else None
		if d is None or d[2] != CHAN_GPU:
			out.append(block)
			continue
		event, conn, _, data = d
		if conn in cut:
			dropped += 1
			continue
		s = streams.setdefault((conn, event), Stream())
		before = s.updates
		boundary = s.feed(data)
		out.append(block)
		if s.updates >= keep > before:
			if not boundary:
				sys.exit("cut-gpu-updates: GPU_UPDATE %d of connection %x ends inside a record" %
					 (keep, conn))
			cut.add(conn)
	if not cut:
		sys.exit("cut-gpu-updates: %s has fewer than %d GPU updates" % (src, keep))
	with open(dst, "wb") as f:
		f.write(b"".join(out))
	print("cut-gpu-updates: %s: %d GPU data records after update %d left out" % (dst, dropped, keep))
	return 0


if __name__ == "__main__":
	sys.exit(main())
