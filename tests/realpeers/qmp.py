#!/usr/bin/env python3
# qmp.py - sends one QMP command to QEMU or qemu-storage-daemon and prints its answer.
#
# Usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
#        qmp.py SOCKET --wait-migration SECONDS
# The first form prints the "return" value as JSON and exits 0, or prints
# the error and exits 1.  The second polls query-migrate until the status
# is "completed" (exit 0), "failed" or the time is up (exit 1).
# Standard library only: the tests run on a fresh Debian 12.

import json
import socket
import sys
import time


class Qmp:
	def __init__(self, path, timeout=30):
		self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		self.sock.settimeout(timeout)
		self.sock.connect(path)
		self.buf = b""
		self._read()			# the greeting
		self.command("qmp_capabilities")

	def _read(self):
		"""One JSON object from the server; events are skipped."""
		while True:
			while b"\n" not in self.buf:
				chunk = self.sock.recv(65536)
				if not chunk:
					raise SystemExit("qmp: the server closed the connection")
				self.buf += chunk
			line, self.buf = self.buf.split(b"\n", 1)
			if not line.strip():
				continue
			obj = json.loads(line)
			if "event" not in obj:
				return obj

	def command(self, name, args=None):
		msg = {"execute": name}
		if args:
			msg["arguments"] = args
		self.sock.sendall(json.dumps(msg).encode() + b"\n")
		answer = self._read()
		if "error" in answer:
			raise SystemExit("qmp: %s: %s" % (name, answer["error"].get("desc", answer["error"])))
		return answer.get("return")


def wait_migration(qmp, seconds):
	deadline = time.monotonic() + seconds
	status = None
	while time.monotonic() < deadline:
		info = qmp.command("query-migrate")
		status = info.get("status")
		if status == "completed":
			print(json.dumps(info))
			return 0
		if status in ("failed", "cancelled"):
			print("qmp: migration %s: %s" % (status, info.get("error-desc", "")))
			return 1
		time.sleep(0.2)
	print("qmp: migration not completed after %ss (status %s)" % (seconds, status))
	return 1


def main():
	if len(sys.argv) < 3:
		raise SystemExit(__doc__)
	qmp = Qmp(sys.argv[1])
	if sys.argv[2] == "--wait-migration":
		return wait_migration(qmp, float(sys.argv[3]))
	args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
	print(json.dumps(qmp.command(sys.argv[2], args)))
	return 0


if __name__ == "__main__":
	sys.exit(main())
