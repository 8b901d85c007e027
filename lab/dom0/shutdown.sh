# Run by busybox init before power-off: stop guests and daemons so the 9p shares unmount cleanly.
. /lab/env
export PATH=$XEN_LIB_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
for id in $(xl list 2>/dev/null | awk 'NR > 2 { print $2 }'); do xl destroy "$id" >/dev/null 2>&1; done
kill $(cat /run/xen/qemu-dom0.pid 2>/dev/null) 2>/dev/null
sync
umount /project /mnt/hostnode 2>/dev/null
echo "XENLAB-POWEROFF"
