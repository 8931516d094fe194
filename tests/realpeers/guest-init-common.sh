# guest-init-common.sh - the tiny test guests' /init, shared by both make-guest.sh (sourced, bash).
#
# write_guest_init FILE: writes the guest's /init to FILE.  The test cases,
# the arms of "case $test in" for each vhu.test= value, come on stdin: the
# rest (busybox, /proc, /sys, /dev, modules from /modules/order, the
# vhu.test= argument, power off) is the same in every guest.

write_guest_init() {
	{
		cat <<'EOF'
#!/bin/busybox sh
# Test guest: exercise the device named by vhu.test=, then power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do
	insmod /modules/$m.ko || echo "VHU: insmod $m failed"
done
test=
for arg in $(cat /proc/cmdline); do
	case $arg in vhu.test=*) test=${arg#vhu.test=} ;; esac
done
case $test in
EOF
		cat
		cat <<'EOF'
esac
sync
poweroff -f
EOF
	} >"$1"
	chmod 755 "$1"
}
