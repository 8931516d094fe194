#!/bin/sh
# uml-init.sh - init of the user-mode-linux kernel of uml-blk.sh (runs inside UML).
#
# Loads virtio_blk (a module in Debian's UML kernel), reads the first
# sector of the vhost-user disk, writes the second, says VHU-UML-OK if all
# went as expected, and powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
insmod "/usr/lib/uml/modules/$(uname -r)/kernel/drivers/block/virtio_blk.ko"
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/vda ] && break
	sleep 0.5
done
if [ "$(head -c 15 /dev/vda)" = VHU-UML-SECTOR0 ] &&
   printf 'written-by-uml' | dd of=/dev/vda bs=512 seek=1 conv=fsync status=none; then
	echo VHU-UML-OK
else
	echo VHU-UML-FAILED
fi
echo o > /proc/sysrq-trigger
sleep 10
