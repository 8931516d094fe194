#!/bin/bash
# uml-blk.sh - user-mode-linux's virtio_uml <-> qemu-storage-daemon's vhost-user-blk.
#
# The front-end is a Linux kernel itself: user-mode-linux (Debian package
# user-mode-linux) with virtio_uml.device=SOCK:2 (2: a virtio block
# device) speaks vhost-user to qemu-storage-daemon's vhost-user-blk
# export.  UML boots with the host's root directory as its own (hostfs,
# read-only) and uml-init.sh as init: it loads virtio_blk, reads the
# disk's first sector, writes the second and powers off.  UML runs its
# kernel threads on 16 KiB stacks, and its I/O to the socket happens on
# them: the shim must stay within what is left.
#
# UML ptraces its own processes, so strace follows only its first one,
# which is the one that talks vhost-user (RP_STRACE_ONE).  UML logs
# nothing per message: strace is the witness of both sides.

. "$(dirname "$0")/lib.sh"

rp_init uml-blk
rp_need linux.uml qemu-storage-daemon insmod truncate
sock=$RP_DIR/vhost.sock
truncate -s 16M "$RP_DIR/disk.img"
printf 'VHU-UML-SECTOR0' | dd of="$RP_DIR/disk.img" conv=notrunc status=none

rp_start_qsd_blk "$sock" "$RP_DIR/disk.img"

RP_STRACE_ONE=fe
# UML's memory is a file in TMPDIR; its console is its stdout (fe.log).
TMPDIR=$RP_DIR rp_start fe linux.uml mem=64M root=/dev/root rootfstype=hostfs rootflags=/ ro \
	init="$VHU_SRC/tests/realpeers/uml-init.sh" "virtio_uml.device=$sock:2" \
	con=null con0=fd:0,fd:1 quiet
rp_wait_exit fe 240
grep -q VHU-UML-OK "$RP_DIR/fe.log" ||
	rp_fail "UML could not use the disk: $(tail -5 "$RP_DIR/fe.log")"
[ "$(dd if="$RP_DIR/disk.img" bs=512 skip=1 count=1 status=none | head -c 14)" = written-by-uml ] ||
	rp_fail "what UML wrote did not reach the disk"
rp_signal_pidfile "$RP_DIR/be.pid" TERM
rp_wait_exit be 60

RP_CAPTURED="be fe"
# UML asks for a reply to the SET_PROTOCOL_FEATURES that negotiates REPLY_ACK.
RP_FINDINGS_KNOWN=need-reply-without-reply-ack
rp_check --expect VHOST_USER_SET_BACKEND_REQ_FD --expect VHOST_USER_GET_CONFIG \
	--expect VHOST_USER_SET_MEM_TABLE --expect VHOST_USER_SET_VRING_CALL \
	--expect VHOST_USER_SET_VRING_KICK
