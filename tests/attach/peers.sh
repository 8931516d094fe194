# peers.sh - helpers of the attach tests with real peers (sourced after
# tests/realpeers/lib.sh, which runs each peer under the shim and strace).

# att_start ARGS... : vhost-user-capture ARGS writing att.pcapng in the
# background ($att), once its programs are attached (loading them may
# take a minute on a busy machine).
att_start() {
	"$VHU_CAPTURE" "$@" -w "$RP_DIR/att.pcapng" >"$RP_DIR/att.out" 2>"$RP_DIR/att.err" &
	att=$!
	RP_PIDS="$RP_PIDS $att"
	rp_wait_for "the attach" 120 grep -q attached "$RP_DIR/att.err"
}

# att_finish : stops the attach if it still runs and checks its status;
# the shim's captures of be and fe decoded into shim.json.
att_finish() {
	kill -INT "$att" 2>/dev/null
	wait "$att" || rp_fail "the attach exited with status $?"
	cat "$RP_DIR/att.err"
	local p
	for p in be fe; do
		"$VHU_DECODE" -r "$RP_DIR/$p.pcapng" -T json >"$RP_DIR/$p.json" ||
			rp_fail "vhost-user-decode failed on $p.pcapng"
		cat "$RP_DIR/$p.json" >>"$RP_DIR/shim.json"
	done
}

# att_pids : "FE,BE", the pids the shim recorded the two peers under
att_pids() {
	local p out=
	for p in fe be; do
		out=$out${out:+,}$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$RP_DIR/$p.json" | head -n 1)
	done
	echo "$out"
}
