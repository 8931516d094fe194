#!/bin/bash
# qemu-blk.sh - QEMU 7.2 vhost-user-blk-pci <-> qemu-storage-daemon.
#
# Usage: qemu-blk.sh firmware|guest
#   firmware: no guest kernel; SeaBIOS probes the disk, which makes QEMU
#             start the device (memory table, rings).  QEMU is then stopped
#             with SIGTERM, which stops the device: GET_VRING_BASE.
#   guest:    the tiny guest (make-guest.sh, VHU_RP_GUEST) reads the disk
#             with the virtio_blk driver and powers off.  QEMU writes its own view of the main
# channel with -trace 'vhost_user_*'; qemu-storage-daemon logs nothing per
# message, strace is its witness.

. "$(dirname "$0")/lib.sh"

mode=${1:-firmware}
case $mode in
firmware) boot=() ;;
guest)
	guest=${VHU_RP_GUEST:-}
	boot=(-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz"
	      -append "console=ttyS0 panic=-1 quiet vhu.test=blk")
	;;
*) echo "usage: $0 firmware|guest" >&2; exit 2 ;;
esac

rp_init "qemu-blk-$mode"
rp_need qemu-system-x86_64 qemu-storage-daemon truncate
if [ "$mode" = guest ] && ! [ -s "$guest/vmlinuz" ]; then
	rp_fail "no test guest in VHU_RP_GUEST='$guest' (tests/realpeers/make-guest.sh DIR builds it)"
fi
sock=$RP_DIR/vhost.sock
truncate -s 16M "$RP_DIR/disk.img"

rp_start_qsd_blk "$sock" "$RP_DIR/disk.img"

# accel=tcg: KVM may be absent or unusable on the machines this runs on.
rp_start fe qemu-system-x86_64 -nodefaults -no-user-config -display none \
	-monitor none -no-reboot -machine q35,accel=tcg,memory-backend=mem \
	-cpu max -smp 1 -m 256M \
	-object memory-backend-memfd,id=mem,size=256M,share=on \
	-chardev "socket,id=vu0,path=$sock" \
	-device vhost-user-blk-pci,chardev=vu0,num-queues=1 "${boot[@]}" \
	-serial "file:$RP_DIR/console.log" \
	-trace 'vhost_user_*' -D "$RP_DIR/qemu.trace" -pidfile "$RP_DIR/fe.pid"

if [ "$mode" = firmware ]; then
	# SET_VRING_KICK (12) is the last step of the device start.
	rp_wait_for "QEMU to start the device" 120 grep -qs 'vhost_user_write req:12 ' "$RP_DIR/qemu.trace"
	sleep 0.5
	rp_signal_pidfile "$RP_DIR/fe.pid" TERM
	rp_wait_exit fe 60
else
	# The guest powers the machine off when it is done.
	rp_wait_exit fe 240
	grep -q VHU-BLK-OK "$RP_DIR/console.log" ||
		rp_fail "the guest could not read the disk: $(tail -5 "$RP_DIR/console.log")"
fi
rp_signal_pidfile "$RP_DIR/be.pid" TERM
rp_wait_exit be 60

RP_CAPTURED="be fe"
rp_check --qemu-trace "$RP_DIR/qemu.trace" \
	--expect VHOST_USER_SET_BACKEND_REQ_FD --expect VHOST_USER_GET_CONFIG \
	--expect VHOST_USER_ADD_MEM_REG --expect VHOST_USER_SET_VRING_KICK \
	--expect VHOST_USER_GET_VRING_BASE
