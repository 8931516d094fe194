#!/bin/bash
# dpdk-pair-session.sh - a short live vhost-user session between two DPDK testpmd processes, no VM.
#
# Usage: scripts/dpdk-pair-session.sh [--capture LAUNCHER] DIR
#
# Starts, in DIR, a testpmd net_vhost back-end (the vhost-user server socket
# vhost.sock, a relative path: no path of the machine shows in captures) and a testpmd virtio_user front-end that connects,
# negotiates and starts the rings; the front-end sends a burst (start
# tx_first), stops and quits, which makes it fetch the ring bases
# (GET_VRING_BASE); then the back-end quits.  No hugepages, no PCI, no
# shared runtime files: it runs as an unprivileged user too.
#
#   --capture LAUNCHER  run each peer as `LAUNCHER -w DIR/NAME.pcapng -- testpmd ...`
#                       (NAME: be, fe); without it the peers run as they are,
#                       e.g. when the whole script runs under a capture already
#
# The peers' output goes to DIR/be.log and DIR/fe.log.  Exit status 0 when
# both peers ended normally, 1 otherwise (with the end of their logs).

set -u

capture=
while [ $# -gt 0 ]; do
	case $1 in
	--capture) capture=${2:?--capture needs the launcher}; shift 2 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "dpdk-pair-session: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
work=${1:?usage: dpdk-pair-session.sh [--capture LAUNCHER] DIR}
mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd)
cd "$work" || exit 1

command -v dpdk-testpmd >/dev/null || {
	echo "dpdk-pair-session: dpdk-testpmd is missing (apt-get install dpdk)" >&2
	exit 1
}

pids=
cleanup() {
	local pid
	# Stop only what this script started (timeout(1) leads a process
	# group of its own, the signal reaches testpmd through it).
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -f "$work/be.in" "$work/fe.in"
	# root's DPDK runtime directories (others': under XDG_RUNTIME_DIR)
	rm -rf "/var/run/dpdk/vhu-session-be-$$" "/var/run/dpdk/vhu-session-fe-$$" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# DPDK keeps its runtime directory there; an unprivileged user has no
# /var/run/dpdk.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
sock=vhost.sock
eal=(-l 0,1 --no-huge -m 256 --no-pci --no-shconf)

# start_peer NAME ARGS... : testpmd (under the launcher if given); commands
# through the fifo NAME.in.
start_peer() {
	local name=$1 fd
	local -a wrap=()
	shift
	[ -n "$capture" ] && wrap=("$capture" -w "$work/$name.pcapng" --)
	rm -f "$work/$name.in"
	mkfifo "$work/$name.in"
	exec {fd}<>"$work/$name.in"
	eval "fd_$name=$fd"
	timeout -k 5 120 "${wrap[@]}" dpdk-testpmd "${eal[@]}" --file-prefix="vhu-session-$name-$$" \
		"$@" -- -i --total-num-mbufs=2048 <"$work/$name.in" >"$work/$name.log" 2>&1 &
	pids="$pids $!"
	eval "pid_$name=$!"
}

send() {
	local fd
	eval "fd=\$fd_$1"
	printf '%s\n' "$2" >&"$fd"
}

wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 600; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "dpdk-pair-session: timed out waiting for $what" >&2
	tail -n 20 "$work"/*.log >&2
	exit 1
}

wait_exit() {
	local pid
	eval "pid=\$pid_$1"
	wait_for "$1 to exit" eval "! kill -0 $pid"
	wait "$pid" || {
		echo "dpdk-pair-session: $1 failed" >&2
		tail -n 20 "$work/$1.log" >&2
		exit 1
	}
}

start_peer be --vdev "net_vhost0,iface=$sock,queues=1"
wait_for "the back-end's socket" test -S "$sock"
wait_for "the back-end's prompt" grep -q "testpmd>" "$work/be.log"
send be "set fwd rxonly"
send be "start"
start_peer fe --vdev "virtio_user0,path=$sock,queues=1,queue_size=256"
wait_for "the device to be ready" grep -q "virtio is now ready" "$work/be.log"
wait_for "the front-end's prompt" grep -q "testpmd>" "$work/fe.log"
send fe "start tx_first"
sleep 1
send fe "stop"
send fe "quit"
wait_exit fe
send be "quit"
wait_exit be
exit 0
