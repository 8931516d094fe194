#!/bin/bash
# qemu-fs.sh - QEMU 7.2 vhost-user-fs-pci <-> QEMU 7.2's C virtiofsd (/usr/lib/qemu/virtiofsd).
#
# A tiny guest (make-guest.sh) mounts the shared directory with virtiofs,
# reads a file from it, writes one back, unmounts and powers off.
# Witnesses: strace on both peers and QEMU's -trace 'vhost_user_*'
# (virtiofsd logs nothing per message).

. "$(dirname "$0")/lib.sh"

virtiofsd=${VHU_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
rp_init qemu-fs-virtiofsd
rp_need qemu-system-x86_64 "$virtiofsd"
guest=${VHU_RP_GUEST:-}
[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.gz" ] ||
	rp_fail "no test guest in VHU_RP_GUEST='$guest' (tests/realpeers/make-guest.sh DIR builds it)"
sock=$RP_DIR/vhost.sock
mkdir "$RP_DIR/shared"
echo "hello from the host" >"$RP_DIR/shared/hello.txt"

rp_start be "$virtiofsd" --socket-path="$sock" -o source="$RP_DIR/shared" \
	-o cache=none -o sandbox=chroot
rp_wait_for "the back-end's socket" 60 rp_is_socket "$sock"

rp_start fe qemu-system-x86_64 -nodefaults -no-user-config -display none \
	-monitor none -no-reboot -machine q35,accel=tcg,memory-backend=mem \
	-cpu max -smp 1 -m 256M \
	-object memory-backend-memfd,id=mem,size=256M,share=on \
	-chardev "socket,id=fs0,path=$sock" \
	-device vhost-user-fs-pci,chardev=fs0,tag=t \
	-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet vhu.test=fs" \
	-serial "file:$RP_DIR/console.log" \
	-trace 'vhost_user_*' -D "$RP_DIR/qemu.trace" -pidfile "$RP_DIR/fe.pid"

# The guest powers off when done; virtiofsd exits when QEMU disconnects.
rp_wait_exit fe 240
grep -q VHU-FS-OK "$RP_DIR/console.log" ||
	rp_fail "the guest could not use the shared directory: $(tail -5 "$RP_DIR/console.log")"
grep -q written-by-guest "$RP_DIR/shared/from-guest.txt" ||
	rp_fail "the guest's file did not reach the host"
rp_wait_exit be 60

RP_CAPTURED="be fe"
rp_check --qemu-trace "$RP_DIR/qemu.trace" \
	--expect VHOST_USER_ADD_MEM_REG --expect VHOST_USER_SET_BACKEND_REQ_FD \
	--expect VHOST_USER_SET_VRING_KICK \
	--expect VHOST_USER_GET_VRING_BASE
