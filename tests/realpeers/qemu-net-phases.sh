#!/bin/bash
# qemu-net-phases.sh - QEMU 7.2 virtio-net <-> DPDK testpmd past the handshake: migration, reconnect.
#
# Usage: qemu-net-phases.sh migrate|reconnect
# The tiny guest keeps its NIC busy (vhu.test=netloop) until QEMU is told
# to quit through QMP.
#
# migrate: live migration with dirty logging.
# Source: QEMU 7.2 with a vhost-user netdev on testpmd's net_vhost, a tiny
# guest that keeps its NIC busy (vhu.test=netloop).  QMP "migrate" to a
# file (exec:cat > FILE) starts dirty logging: SET_FEATURES with LOG_ALL,
# SET_LOG_BASE with the log's memfd (testpmd offers LOG_SHMFD, so QEMU
# waits for its reply) and SET_VRING_ADDR with the log flag; when the
# migration completes the source stops the device (GET_VRING_BASE).
# Destination: a second QEMU with -incoming from that file against a second
# testpmd: the whole handshake again, the rings started where the source
# left them once the guest runs.  Each pair is cross-checked on its own
# (strace, QEMU's trace, DPDK's log, the decoder).
#
# reconnect: the back-end crashes and comes back.  QEMU's chardev has
# reconnect=1; testpmd is killed (SIGKILL) while the guest uses the NIC,
# a second testpmd listens on the same path, QEMU connects again within
# a second and starts the device anew: two sessions on one path in QEMU's
# one capture, the second's SET_VRING_BASE carrying the rings' positions.

. "$(dirname "$0")/lib.sh"

mode=${1:-}
case $mode in
migrate | reconnect) ;;
*) echo "usage: $0 migrate|reconnect" >&2; exit 2 ;;
esac
rp_init "qemu-net-$mode"
# The migration stream (about 80 MB) goes through QEMU's write() and cat:
# strace shows the first KiB of each buffer, more than any message here.
RP_STRACE_SIZE=1024
RP_DPDK_PREFIXES="vhu-be-$$ vhu-be2-$$"
rp_need qemu-system-x86_64 dpdk-testpmd
guest=${VHU_RP_GUEST:-}
[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.gz" ] ||
	rp_fail "no test guest in VHU_RP_GUEST='$guest' (tests/realpeers/make-guest.sh DIR builds it)"
qmp() {
	python3 "$VHU_SRC/tests/realpeers/qmp.py" "$RP_DIR/$1-qmp.sock" "${@:2}"
}

# start_be BE SOCKET : testpmd listening on SOCKET, forwarding started.
start_be() {
	rp_start "$1" dpdk-testpmd -l 0,1 --no-huge -m 256 --no-pci --no-shconf \
		--file-prefix="vhu-$1-$$" --vdev "net_vhost0,iface=$2,queues=1" \
		--log-level=lib.vhost.config:debug -- -i --total-num-mbufs=2048
	rp_wait_for "$1's socket" 60 rp_is_socket "$2"
	rp_wait_prompt "$1" "testpmd>" 60
	rp_send "$1" "set fwd rxonly"
	rp_send "$1" "start"
}

# start_pair BE FE CHARDEV-OPTIONS [QEMU ARGS...] : testpmd on BE.sock, then QEMU on it.
start_pair() {
	local be=$1 fe=$2 opts=$3
	shift 3
	start_be "$be" "$RP_DIR/$be.sock"
	rp_start "$fe" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-monitor none -no-reboot -machine q35,accel=tcg,memory-backend=mem \
		-cpu max -smp 1 -m 256M \
		-object memory-backend-memfd,id=mem,size=256M,share=on \
		-chardev "socket,id=vu0,path=$RP_DIR/$be.sock$opts" \
		-netdev vhost-user,id=n0,chardev=vu0,queues=1 \
		-device virtio-net-pci,netdev=n0,romfile=,vectors=0 \
		-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet vhu.test=netloop" \
		-serial "file:$RP_DIR/$fe-console.log" \
		-qmp "unix:$RP_DIR/$fe-qmp.sock,server=on,wait=off" \
		-trace 'vhost_user_*' -D "$RP_DIR/$fe.trace" "$@"
	rp_wait_for "$fe's QMP socket" 60 rp_is_socket "$RP_DIR/$fe-qmp.sock"
}

# stop_pair BE FE : QEMU quits through QMP, then testpmd.
stop_pair() {
	qmp "$2" quit >/dev/null || rp_fail "QMP quit on $2 failed"
	rp_wait_exit "$2" 60
	rp_send "$1" "stop"
	rp_send "$1" "quit"
	rp_wait_exit "$1" 60
}

# SET_VRING_KICK (12) is the last step of a device start; started FE N:
# QEMU has sent N of them.
started() {
	[ "$(grep -c 'vhost_user_write req:12 ' "$RP_DIR/$1.trace" 2>/dev/null)" -ge "$2" ]
}

if [ "$mode" = reconnect ]; then
	start_pair be fe ,reconnect=1
	rp_wait_for "the guest's NIC (VHU-NET-UP)" 240 grep -qs VHU-NET-UP "$RP_DIR/fe-console.log"
	rp_wait_for "phase reconnect: the first device start" 60 started fe 2
	sleep 1
	rp_kill be
	# testpmd leaves its socket file behind when it dies.
	rm -f "$RP_DIR/be.sock"
	start_be be2 "$RP_DIR/be.sock"
	rp_wait_for "phase reconnect: QEMU's device start on the new back-end (SET_VRING_KICK)" 60 \
		started fe 4
	sleep 1
	qmp fe quit >/dev/null || rp_fail "QMP quit failed"
	rp_wait_exit fe 60
	rp_send be2 "stop"
	rp_send be2 "quit"
	rp_wait_exit be2 60
	RP_CAPTURED="be be2 fe"
	rp_check --qemu-trace "$RP_DIR/fe.trace" --dpdk-log "$RP_DIR/be.log" \
		--dpdk-log "$RP_DIR/be2.log" --monitor-socket fe-qmp.sock --phase reconnect \
		--expect-sessions 2 --expect VHOST_USER_SET_VRING_BASE \
		--expect VHOST_USER_SET_VRING_KICK --expect VHOST_USER_GET_VRING_BASE
	exit 0
fi

start_pair be fe ""
rp_wait_for "the source guest's NIC (VHU-NET-UP)" 240 grep -qs VHU-NET-UP "$RP_DIR/fe-console.log"
qmp fe migrate "{\"uri\": \"exec:cat > $RP_DIR/vm.state\"}" >/dev/null ||
	rp_fail "phase migration: QMP migrate failed"
qmp fe --wait-migration 120 >"$RP_DIR/migrate.log" ||
	rp_fail "phase migration: $(cat "$RP_DIR/migrate.log")"
rp_log "migrated: $(stat -c %s "$RP_DIR/vm.state") bytes of state"
stop_pair be fe

start_pair be2 fe2 "" -incoming "exec:cat $RP_DIR/vm.state"
rp_wait_for "phase restore: the destination's device start (two SET_VRING_KICK)" 120 started fe2 2
sleep 1
stop_pair be2 fe2

RP_CAPTURED="be fe"
rp_check --qemu-trace "$RP_DIR/fe.trace" --dpdk-log "$RP_DIR/be.log" \
	--monitor-socket fe-qmp.sock --phase "migration source" --expect-dirty-log \
	--expect VHOST_USER_SET_VRING_KICK --expect VHOST_USER_GET_VRING_BASE
RP_CAPTURED="be2 fe2"
rp_check --qemu-trace "$RP_DIR/fe2.trace" --dpdk-log "$RP_DIR/be2.log" \
	--monitor-socket fe2-qmp.sock --phase "migration destination" \
	--expect VHOST_USER_SET_MEM_TABLE --expect VHOST_USER_SET_VRING_BASE \
	--expect VHOST_USER_SET_VRING_KICK --expect VHOST_USER_GET_VRING_BASE
