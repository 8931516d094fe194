#!/bin/bash
# qemu-net-dpdk.sh - QEMU 7.2 virtio-net-pci (vhost-user netdev) <-> DPDK testpmd net_vhost.
#
# A tiny guest (make-guest.sh) brings eth0 up and sends a few pings, which
# the back-end receives (fwd rxonly), then powers off.  Witnesses: strace on
# both peers, QEMU's -trace 'vhost_user_*', DPDK's lib.vhost.config debug log.
# vectors=0: QEMU 7.2 crashes in vhost_net_start when the guest starts the
# device with MSI-X (fixed in later QEMU); without vectors it uses INTx.
#
# Usage: qemu-net-dpdk.sh [mq|iotlb]
#   mq: two queue pairs on both sides (queues=2, mq=on): GET_QUEUE_NUM
#       answers 2, four rings are set up and each is enabled on its own
#       (the guest's one CPU uses the first pair; the second is disabled).
#   iotlb: a vIOMMU between the guest and the device (intel-iommu with
#       device-iotlb, iommu_platform=on and ats=on on the device, testpmd
#       iommu-support=1, the guest with intel_iommu=on): the back-end asks
#       for translations (BACKEND_IOTLB_MSG misses on the back-end channel)
#       and QEMU answers with IOTLB_MSG updates.

. "$(dirname "$0")/lib.sh"

mode=${1:-}
case $mode in
"") queues=1 name=qemu-net-dpdk mq=() expect=() iommu=() be_opt= append= ;;
iotlb)
	queues=1 name=qemu-net-iotlb mq=(,disable-legacy=on,iommu_platform=on,ats=on) be_opt=,iommu-support=1
	iommu=(-device intel-iommu,intremap=off,device-iotlb=on) append=" intel_iommu=on"
	expect=(--phase IOTLB --expect VHOST_USER_IOTLB_MSG --expect VHOST_USER_BACKEND_IOTLB_MSG)
	;;
mq)
	queues=2 name=qemu-net-mq mq=(,mq=on) iommu=() be_opt= append=
	expect=(--phase multiqueue --expect VHOST_USER_GET_QUEUE_NUM --expect-rings 4)
	;;
*) echo "usage: $0 [mq|iotlb]" >&2; exit 2 ;;
esac
rp_init $name
RP_DPDK_PREFIXES="vhu-be-$$"
rp_need qemu-system-x86_64 dpdk-testpmd
guest=${VHU_RP_GUEST:-}
[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.gz" ] ||
	rp_fail "no test guest in VHU_RP_GUEST='$guest' (tests/realpeers/make-guest.sh DIR builds it)"
sock=$RP_DIR/vhost.sock

rp_start be dpdk-testpmd -l 0,1 --no-huge -m 256 --no-pci --no-shconf \
	--file-prefix="vhu-be-$$" --vdev "net_vhost0,iface=$sock,queues=$queues$be_opt" \
	--log-level=lib.vhost.config:debug -- -i --total-num-mbufs=2048
rp_wait_for "the back-end's socket" 60 rp_is_socket "$sock"
rp_wait_prompt be "testpmd>" 60
rp_send be "set fwd rxonly"
rp_send be "start"

rp_start fe qemu-system-x86_64 -nodefaults -no-user-config -display none \
	-monitor none -no-reboot -machine q35,accel=tcg,memory-backend=mem \
	-cpu max -smp 1 -m 256M \
	-object memory-backend-memfd,id=mem,size=256M,share=on \
	-chardev "socket,id=vu0,path=$sock" "${iommu[@]}" \
	-netdev vhost-user,id=n0,chardev=vu0,queues=$queues \
	-device "virtio-net-pci,netdev=n0,romfile=,vectors=0${mq[*]}" \
	-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet vhu.test=net$append" \
	-serial "file:$RP_DIR/console.log" \
	-trace 'vhost_user_*' -D "$RP_DIR/qemu.trace" -pidfile "$RP_DIR/fe.pid"

# The guest powers the machine off when it is done: QEMU exits by itself.
rp_wait_exit fe 240
grep -q VHU-NET-OK "$RP_DIR/console.log" ||
	rp_fail "the guest did not bring the network up: $(tail -5 "$RP_DIR/console.log")"
rp_send be "stop"
rp_send be "quit"
rp_wait_exit be 60

RP_CAPTURED="be fe"
rp_check --qemu-trace "$RP_DIR/qemu.trace" --dpdk-log "$RP_DIR/be.log" \
	--expect VHOST_USER_SET_MEM_TABLE --expect VHOST_USER_SET_VRING_KICK \
	--expect VHOST_USER_SET_VRING_ENABLE --expect VHOST_USER_GET_VRING_BASE "${expect[@]}"
