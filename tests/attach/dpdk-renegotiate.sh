#!/bin/bash
# SPDX-License-Identifier: MIT
# dpdk-renegotiate.sh - attach to a DPDK pair past its handshake and make
# it renegotiate.
#
# testpmd net_vhost (back-end) <-> testpmd virtio_user (front-end), both
# under the capture shim (tests/realpeers/lib.sh).  Once the device is
# ready, `vhost-user-capture --all` attaches and the front-end's port is
# stopped, given an offload that needs another feature bit, and started:
# DPDK 22.11's virtio_user then resets the device and sets it up again on
# the same connection (SET_VRING_ENABLE 0, GET_VRING_BASE, SET_FEATURES,
# SET_STATUS, SET_MEM_TABLE, SET_VRING_NUM/_BASE/_ADDR/_KICK per ring,
# SET_VRING_ENABLE 1); quitting stops it once more.  `port stop all` /
# `port start all` alone send nothing, nor do `port 0 rxq 0 stop/setup/
# start`; `port reset 0` is not supported by virtio_user; `port close 0`,
# `port detach 0` and `port attach net_virtio_user1,...` make a new
# connection with a whole new handshake.  Per process, channel and
# direction, the attach capture must hold exactly the last messages of the
# shim's (same requests, flags, sizes, decoded fields, fd kinds and
# inodes), and the reset's and the new setup's messages must be among
# them, in order, in both processes.
# Environment: as the realpeers tests, plus VHU_CHECK (tests/attach/check.py).

. "$VHU_SRC/tests/realpeers/lib.sh"
. "$VHU_SRC/tests/attach/peers.sh"

[ "$(id -u)" -eq 0 ] || { echo "attach tests need root"; exit 77; }
rp_init attach-dpdk
# loading the BPF programs may take a minute on a busy machine
RP_PEER_TIMEOUT=400
RP_DPDK_PREFIXES="vhu-be-$$ vhu-fe-$$"
rp_need dpdk-testpmd
sock=$RP_DIR/vhost.sock
eal=(-l 0,1 --no-huge -m 256 --no-pci --no-shconf)

rp_start be dpdk-testpmd "${eal[@]}" --file-prefix="vhu-be-$$" \
	--vdev "net_vhost0,iface=$sock,queues=1" \
	--log-level=lib.vhost.config:debug -- -i --total-num-mbufs=2048
rp_wait_for "the back-end's socket" 60 rp_is_socket "$sock"
rp_start fe dpdk-testpmd "${eal[@]}" --file-prefix="vhu-fe-$$" \
	--vdev "virtio_user0,path=$sock,queues=1,queue_size=256" \
	-- -i --total-num-mbufs=2048
rp_wait_prompt be "testpmd>" 60
rp_wait_prompt fe "testpmd>" 60
rp_send be "set fwd rxonly"
rp_send be "start"
rp_wait_log be "virtio is now ready for processing" 60

# Past the handshake: attach, then renegotiate.
att_start --all
rp_send fe "port stop all"
rp_send fe "port config 0 rx_offload tcp_cksum on"
rp_send fe "port start all"
# the new setup goes out while the port starts; the check below looks
# for it in the capture
sleep 5
rp_send fe "quit"
rp_wait_exit fe 60
rp_send be "quit"
rp_wait_exit be 60
att_finish
# --all sees the whole host: keep the pair's processes
"$VHU_DECODE" -r "$RP_DIR/att.pcapng" -T json >"$RP_DIR/att-all.json" || true
python3 - "$RP_DIR" <<'PY' || rp_fail "the pair is not in the attach capture"
import json, sys
d = sys.argv[1]
pids = {json.loads(l)["pid"] for l in open(d + "/shim.json") if l.startswith("{")}
with open(d + "/att.json", "w") as out:
    for l in open(d + "/att-all.json"):
        if l.startswith("{") and json.loads(l).get("pid") in pids:
            out.write(l)
PY
python3 "$VHU_CHECK" same "$RP_DIR/shim.json" "$RP_DIR/att.json" ||
	rp_fail "the attach capture differs from the shim's"
pids=$(att_pids)
python3 "$VHU_CHECK" sequence "$RP_DIR/att.json" "$pids" 'fe->be' \
	VHOST_USER_SET_VRING_ENABLE VHOST_USER_GET_VRING_BASE VHOST_USER_SET_FEATURES \
	VHOST_USER_SET_STATUS VHOST_USER_SET_MEM_TABLE \
	VHOST_USER_SET_VRING_NUM VHOST_USER_SET_VRING_BASE VHOST_USER_SET_VRING_ADDR \
	VHOST_USER_SET_VRING_KICK VHOST_USER_SET_VRING_NUM VHOST_USER_SET_VRING_BASE \
	VHOST_USER_SET_VRING_ADDR VHOST_USER_SET_VRING_KICK VHOST_USER_SET_VRING_ENABLE \
	VHOST_USER_GET_VRING_BASE &&
python3 "$VHU_CHECK" sequence "$RP_DIR/att.json" "$pids" 'be->fe' \
	VHOST_USER_GET_VRING_BASE VHOST_USER_GET_STATUS VHOST_USER_GET_VRING_BASE ||
	rp_fail "the reset and the new setup are not in the attach capture of both processes"
rp_log "PASS"
