#!/bin/bash
# dpdk-pair.sh - DPDK testpmd net_vhost back-end <-> testpmd virtio_user front-end, no VM.
#
# Usage: dpdk-pair.sh server|client
#   server: the back-end listens on the socket (the usual DPDK set-up)
#   client: the front-end listens (virtio_user server=1, net_vhost client=1)
# Both peers run under strace and the capture shim; the back-end logs every
# message it reads (lib.vhost.config:debug), a third witness.

. "$(dirname "$0")/lib.sh"

mode=${1:-server}
case $mode in
server) be_opt= ; fe_opt= ;;
client) be_opt=,client=1 ; fe_opt=,server=1 ;;
*) echo "usage: $0 server|client" >&2; exit 2 ;;
esac

rp_init "dpdk-$mode"
RP_DPDK_PREFIXES="vhu-be-$$ vhu-fe-$$"
rp_need dpdk-testpmd
sock=$RP_DIR/vhost.sock
# --no-huge: no hugepages on a test machine; --no-shconf: no shared runtime
# files, so two testpmd instances and other users of DPDK do not collide.
eal=(-l 0,1 --no-huge -m 256 --no-pci --no-shconf)

start_backend() {
	rp_start be dpdk-testpmd "${eal[@]}" --file-prefix="vhu-be-$$" \
		--vdev "net_vhost0,iface=$sock,queues=1$be_opt" \
		--log-level=lib.vhost.config:debug -- -i --total-num-mbufs=2048
}

start_frontend() {
	rp_start fe dpdk-testpmd "${eal[@]}" --file-prefix="vhu-fe-$$" \
		--vdev "virtio_user0,path=$sock,queues=1,queue_size=256$fe_opt" \
		-- -i --total-num-mbufs=2048
}

if [ "$mode" = server ]; then
	start_backend
	rp_wait_for "the back-end's socket" 60 rp_is_socket "$sock"
	start_frontend
else
	start_frontend
	rp_wait_for "the front-end's socket" 60 rp_is_socket "$sock"
	start_backend
fi
rp_wait_prompt be "testpmd>" 60
rp_wait_prompt fe "testpmd>" 60
rp_send be "set fwd rxonly"
rp_send be "start"
# The device is ready once the back-end has seen the rings enabled.
rp_wait_log be "virtio is now ready for processing" 60
rp_send fe "start tx_first"
sleep 1
rp_send fe "stop"
rp_send fe "quit"
rp_wait_exit fe 60
rp_send be "quit"
rp_wait_exit be 60

RP_CAPTURED="be fe"
rp_check --dpdk-log "$RP_DIR/be.log" \
	--expect VHOST_USER_SET_MEM_TABLE --expect VHOST_USER_SET_VRING_KICK \
	--expect VHOST_USER_GET_VRING_BASE
