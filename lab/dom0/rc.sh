# dom0 bring-up (busybox init's sysinit), in the order Debian's xen init script uses, then the command agent and the
# readiness marker on the console. Any failure prints XENLAB-FAILED so the host stops waiting at once.
. /lab/env
export PATH=$XEN_LIB_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

say() { echo "xenlab-dom0: $*"; }
fail() { echo "XENLAB-FAILED: $*"; exit 1; }
step() { "$@" || fail "$*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/lock /run/xen /run/xenstored /var/log/xen/console /var/lib/xenstored
# Xen's hotplug locking stats /dev/stdin; without these links it hangs.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
hostname -F /etc/hostname
ip link set lo up

while read -r m; do insmod "$m" || say "insmod $m failed"; done < /lab/modules.order
step mount -t xenfs xenfs /proc/xen

step mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=$NINEP_CACHE project /project
step mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=$NINEP_CACHE,ro hostnode /mnt/hostnode
# node is big and 9p is slow for big files: run it from dom0's RAM.
step cp /mnt/hostnode/node /usr/local/bin/node

XENSTORED_ROOTDIR=/var/lib/xenstored step xenstored --pid-file=/run/xenstored.pid
i=0
until xenstore-read -s / >/dev/null 2>&1 || xenstore-read / >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 100 ] && fail "xenstored did not answer"; sleep 0.1
done
step xen-init-dom0
step xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console

for q in /usr/libexec/xen-qemu-system-i386 /usr/bin/qemu-system-i386; do [ -x $q ] && QEMU=$q && break; done
[ -n "$QEMU" ] || fail "no qemu for the dom0 qdisk backend"
step $QEMU -xen-domid 0 -xen-attach -name dom0 -nographic -M xenpv -daemonize -monitor /dev/null \
  -serial /dev/null -parallel /dev/null -nodefaults -no-user-config -pidfile /run/xen/qemu-dom0.pid

step ip link add xenbr0 type bridge
step ip link set xenbr0 up

# The test guests' disks: sparse, with a marker the guest prints back.
for d in disk disk-hvm; do
  step dd if=/dev/zero of=/lab/guests/$d.img bs=1M count=0 seek=16 status=none
  printf 'LAB-DISK-CONTENT %s xen-%s\n' "$d" "$XEN_VERSION" | dd of=/lab/guests/$d.img conv=notrunc status=none
done

for p in /sys/class/virtio-ports/*; do
  [ "$(cat $p/name 2>/dev/null)" = xenlab.agent ] && AGENT_DEV=/dev/${p##*/}
done
[ -n "$AGENT_DEV" ] || fail "agent port not found"
# Supervised: should the agent die (the lab's known dom0 segfault flake), the next one picks up the resent requests.
(while :; do node /lab/agent.mjs "$AGENT_DEV"; echo "agent exited with $? at $(date)"; sleep 1; done) \
  </dev/null >>/var/log/xenlab-agent.log 2>&1 &
echo "XENLAB-READY xen=$XEN_VERSION kernel=$KERNEL_RELEASE"
