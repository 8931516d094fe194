# phases.sh - the sid peers past the handshake (sourced by run.sh, which provides np_*).
#
#   resize    QEMU 11 vhost-user-blk-pci <-> qemu-storage-daemon 11: the disk
#             grows through qemu-storage-daemon's QMP (block_resize); the
#             export sends BACKEND_CONFIG_CHANGE_MSG on the back-end channel,
#             QEMU reads the config space again (GET_CONFIG) and the guest
#             sees the new capacity.  (QEMU 7.2's daemon never sends it.)
#   devstate  QEMU 11 vhost-user-fs-pci <-> Rust virtiofsd, migrated to a file
#             while the guest holds a file open, then restored by a second
#             QEMU against a second virtiofsd: SET_DEVICE_STATE_FD (a pipe,
#             save on the source, load on the destination) and
#             CHECK_DEVICE_STATE, each with its reply.
#   gpu       QEMU 11 vhost-user-gpu-pci <-> vhost-user-gpu (TCG, -display
#             none): GPU_SET_SOCKET hands over a socketpair end on which the
#             back-end speaks the GPU protocol (scanouts, updates).

# np_qmp PEER-SOCKET COMMAND [JSON] : QMP, from the host, into the chroot.
np_qmp() {
	python3 "$VHU_SRC/tests/realpeers/qmp.py" "$root$NP_DIR/$1" "${@:2}"
}

np_console_has() {
	grep -qs -- "$2" "$root$NP_DIR/$1"
}

scenario_resize() {
	np_scenario resize
	local w=$root$NP_DIR sock=$NP_DIR/blk.sock
	truncate -s 16M "$w/disk.img"
	np_start be qemu-storage-daemon \
		--chardev "socket,id=m0,path=$NP_DIR/qsd-qmp.sock,server=on,wait=off" --monitor chardev=m0 \
		--blockdev "driver=file,node-name=f0,filename=$NP_DIR/disk.img" \
		--blockdev driver=raw,node-name=d0,file=f0 \
		--export "type=vhost-user-blk,id=e0,node-name=d0,addr.type=unix,addr.path=$sock,writable=on,num-queues=1"
	np_wait_for "qemu-storage-daemon's socket" 60 be np_is_socket "$root$sock"
	np_qemu -chardev "socket,id=vu0,path=$sock" -device vhost-user-blk-pci,chardev=vu0,num-queues=1
	np_wait_for "the guest's disk (VHU-RESIZE-READY)" 200 fe np_console_has console.txt VHU-RESIZE-READY
	np_qmp qsd-qmp.sock block_resize '{"node-name": "d0", "size": 33554432}' >/dev/null ||
		np_fail "phase back-end channel: block_resize failed"
	np_wait_exit fe 120
	np_console_has console.txt VHU-RESIZE-OK ||
		np_fail "phase back-end channel: the guest never saw the new capacity: $(tail -3 "$w/console.txt")"
	np_stop be
	np_check --monitor-socket qsd-qmp.sock --phase "back-end channel" \
		--expect VHOST_USER_BACKEND_CONFIG_CHANGE_MSG --expect VHOST_USER_GET_CONFIG \
		--expect VHOST_USER_SET_BACKEND_REQ_FD
}

scenario_devstate() {
	np_scenario devstate
	local w=$root$NP_DIR sock=$NP_DIR/fs.sock
	np_shared_dir
	np_virtiofsd be "$sock"
	np_qemu -chardev "socket,id=fs0,path=$sock" -device vhost-user-fs-pci,chardev=fs0,tag=t \
		-qmp "unix:$NP_DIR/fe-qmp.sock,server=on,wait=off"
	np_wait_for "the guest's mount (VHU-DEVSTATE-UP)" 200 fe np_console_has console.txt VHU-DEVSTATE-UP
	np_qmp fe-qmp.sock migrate "{\"uri\": \"file:$NP_DIR/vm.state\"}" >/dev/null ||
		np_fail "phase device state: QMP migrate failed"
	np_qmp fe-qmp.sock --wait-migration 120 >"$w/migrate.log" ||
		np_fail "phase device state (save): $(cat "$w/migrate.log")"
	np_qmp fe-qmp.sock quit >/dev/null
	np_wait_exit fe 60
	np_wait_exit be 60
	np_log "migrated: $(stat -c %s "$w/vm.state") bytes of state"

	np_virtiofsd be2 "$sock"
	NP_FE=fe2 np_qemu -chardev "socket,id=fs0,path=$sock" -device vhost-user-fs-pci,chardev=fs0,tag=t \
		-incoming "file:$NP_DIR/vm.state"
	sleep 2
	touch "$w/shared/restored"
	np_wait_exit fe2 200
	np_console_has fe2-console.txt VHU-DEVSTATE-OK ||
		np_fail "phase device state (load): the guest did not go on after the restore: $(tail -3 "$w/fe2-console.txt")"
	np_wait_exit be2 60
	np_check --monitor-socket fe-qmp.sock --phase "device state (save)" \
		--expect VHOST_USER_SET_DEVICE_STATE_FD --expect VHOST_USER_CHECK_DEVICE_STATE
	NP_FE=fe2 NP_BE=be2 np_check --phase "device state (load)" \
		--expect VHOST_USER_SET_DEVICE_STATE_FD --expect VHOST_USER_CHECK_DEVICE_STATE
}

scenario_gpu() {
	np_scenario gpu
	# A small screen (640x480): a full-screen GPU_UPDATE is 1.2 MB
	# (4 MB at the default 1280x800), and strace must show whole
	# buffers for the cross-check.  Each update is 19 records in about
	# 7 spool chunks; the spool's claims wrap after nine of them.
	# VHU_NP_GPU_SCREEN=WxH sets another (the sample's is smaller).
	NP_STRACE_SIZE=1300000
	local sock=$NP_DIR/gpu.sock screen=${VHU_NP_GPU_SCREEN:-640x480}
	np_start be /usr/lib/qemu/vhost-user-gpu --socket-path="$sock"
	np_wait_for "vhost-user-gpu's socket" 60 be np_is_socket "$root$sock"
	np_qemu -chardev "socket,id=g0,path=$sock" \
		-device "vhost-user-gpu-pci,chardev=g0,xres=${screen%x*},yres=${screen#*x}"
	np_wait_exit fe 200
	np_console_has console.txt VHU-GPU-OK ||
		np_fail "phase GPU: the guest's virtio_gpu did not come up: $(tail -3 "$root$NP_DIR/console.txt")"
	np_wait_exit be 60
	# QEMU acks the guest's features as they are: VIRTIO_F_RING_RESET,
	# which vhost-user-gpu does not offer, too.
	NP_FINDINGS_KNOWN=feature-not-offered
	np_check --phase GPU --expect VHOST_USER_GPU_SET_SOCKET \
		--expect VHOST_USER_GPU_GET_DISPLAY_INFO --expect VHOST_USER_GPU_SCANOUT \
		--expect VHOST_USER_GPU_UPDATE
}
