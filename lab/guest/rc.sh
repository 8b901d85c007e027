# Test guest init (busybox): print the marker, then what the guest sees of its disk and network, on every console
# it has (hvc0 for PV/PVH, ttyS0 too for HVM). `poweroff` (from xl shutdown) goes through busybox init.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m 2>/dev/null; done
say() { for c in /dev/hvc0 /dev/ttyS0; do [ -c $c ] && echo "$*" > $c 2>/dev/null; done; }
say "LAB-GUEST-READY"
i=0; while [ ! -b /dev/xvda ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/xvda ]; then say "LAB-GUEST-XVDA $(head -c 64 /dev/xvda | head -n 1)"; else say "LAB-GUEST-XVDA none"; fi
if [ -e /sys/class/net/eth0 ]; then say "LAB-GUEST-ETH0 $(cat /sys/class/net/eth0/address)"; else say "LAB-GUEST-ETH0 none"; fi
# Lines typed on hvc0 (xl console tests) come back as a marker.
if [ -c /dev/hvc0 ]; then (while read -r line; do echo "LAB-GUEST-GOT $line" > /dev/hvc0; done < /dev/hvc0) & fi
