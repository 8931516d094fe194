#!/bin/bash
# SPDX-License-Identifier: MIT
# qemu-reset.sh - attach to QEMU 7.2 and qemu-storage-daemon past their
# handshake and reset the machine through QMP.
#
# QEMU vhost-user-blk-pci <-> qemu-storage-daemon, both under the capture
# shim (tests/realpeers/lib.sh); no guest kernel: SeaBIOS probes the disk,
# which makes QEMU start the device.  Once it has, `vhost-user-capture -p`
# attaches to both processes and `system_reset` goes through QMP.  What
# QEMU 7.2 sends then: the reset stops the device (SET_VRING_ENABLE 0,
# GET_VRING_BASE and its reply); the firmware, probing the disk again,
# starts it again (SET_FEATURES, SET_VRING_CALL, SET_VRING_NUM, _BASE,
# _ADDR, _KICK, SET_VRING_ENABLE 1).  The memory table is not sent again:
# with CONFIGURE_MEM_SLOTS QEMU sends ADD_MEM_REG/REM_MEM_REG only for
# regions that changed, and a stop leaves the back-end's table in place.
# Both processes' halves of the stop and of the restart, then of the
# final stop (SIGTERM), must be in the attach capture, in order; and per
# process, channel and direction it must hold exactly the last messages
# of the shim's (same requests, flags, sizes, decoded fields, fd kinds
# and inodes).
# Environment: as the realpeers tests, plus VHU_CHECK (tests/attach/check.py).

. "$VHU_SRC/tests/realpeers/lib.sh"
. "$VHU_SRC/tests/attach/peers.sh"

[ "$(id -u)" -eq 0 ] || { echo "attach tests need root"; exit 77; }
rp_init attach-qemu-reset
# loading the BPF programs may take a minute on a busy machine
RP_PEER_TIMEOUT=400
rp_need qemu-system-x86_64 qemu-storage-daemon truncate
sock=$RP_DIR/vhost.sock
qmp=$RP_DIR/qmp.sock
truncate -s 16M "$RP_DIR/disk.img"

rp_start_qsd_blk "$sock" "$RP_DIR/disk.img"
# No -no-reboot: with it a system_reset would make QEMU exit.
rp_start fe qemu-system-x86_64 -nodefaults -no-user-config -display none \
	-monitor none -machine q35,accel=tcg,memory-backend=mem \
	-cpu max -smp 1 -m 256M \
	-object memory-backend-memfd,id=mem,size=256M,share=on \
	-chardev "socket,id=vu0,path=$sock" \
	-device vhost-user-blk-pci,chardev=vu0,num-queues=1 \
	-serial "file:$RP_DIR/console.log" -qmp "unix:$qmp,server=on,wait=off" \
	-trace 'vhost_user_*' -D "$RP_DIR/qemu.trace" -pidfile "$RP_DIR/fe.pid"

# kicks COUNT: QEMU's trace holds COUNT SET_VRING_KICK (12), the last step
# of a device start
kicks() {
	local n
	n=$(grep -c 'vhost_user_write req:12 ' "$RP_DIR/qemu.trace" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
rp_wait_for "QEMU to start the device" 120 kicks 1
rp_wait_for "QEMU's QMP socket" 60 rp_is_socket "$qmp"
rp_wait_for "the pid files" 60 test -s "$RP_DIR/fe.pid" -a -s "$RP_DIR/be.pid"
sleep 0.5

# Past the handshake: attach to both processes, then reset.  (The peers
# remove their pid files when they exit.)
fe=$(cat "$RP_DIR/fe.pid")
be=$(cat "$RP_DIR/be.pid")
att_start -p "$fe" -p "$be"
python3 "$VHU_SRC/tests/realpeers/qmp.py" "$qmp" system_reset >/dev/null ||
	rp_fail "QMP system_reset failed"
rp_wait_for "the firmware to start the device again" 120 kicks 2
sleep 0.5
rp_signal_pidfile "$RP_DIR/fe.pid" TERM
rp_wait_exit fe 60
rp_signal_pidfile "$RP_DIR/be.pid" TERM
rp_wait_exit be 60
# the attach ends by itself once its targets are gone
rp_wait_for "the attach to end" 30 sh -c "! kill -0 $att 2>/dev/null"
att_finish
"$VHU_DECODE" -r "$RP_DIR/att.pcapng" -T json >"$RP_DIR/att.json" ||
	rp_fail "vhost-user-decode failed on the attach capture"
python3 "$VHU_CHECK" same "$RP_DIR/shim.json" "$RP_DIR/att.json" ||
	rp_fail "the attach capture differs from the shim's"
python3 "$VHU_CHECK" sequence "$RP_DIR/att.json" "$fe,$be" 'fe->be' \
	VHOST_USER_SET_VRING_ENABLE VHOST_USER_GET_VRING_BASE \
	VHOST_USER_SET_FEATURES VHOST_USER_SET_VRING_CALL VHOST_USER_SET_VRING_NUM \
	VHOST_USER_SET_VRING_BASE VHOST_USER_SET_VRING_ADDR VHOST_USER_SET_VRING_KICK \
	VHOST_USER_SET_VRING_ENABLE VHOST_USER_SET_VRING_ENABLE VHOST_USER_GET_VRING_BASE &&
python3 "$VHU_CHECK" sequence "$RP_DIR/att.json" "$fe,$be" 'be->fe' \
	VHOST_USER_GET_VRING_BASE VHOST_USER_GET_VRING_BASE ||
	rp_fail "the reset's stop and restart are not in the attach capture of both processes"
rp_log "PASS"
