// What guests can leave behind in dom0, as one sorted list of items: every xenstore path, the domains Xen has, loop
// devices, bridge ports, device-model processes and userdata files. A failed or destroyed create must leave the
// list as it found it; comparing whole snapshots catches a leak wherever it is (a /libxl/<domid>, a console backend)
// without knowing the domid. Shared by the lab tests (through dom0sh) and the programs run in dom0.

/** A bash script printing the snapshot: "<kind> <item>" lines, sorted. */
export const HOST_STATE_SCRIPT = `{
  xenstore-ls -f / | sed -e 's/ = .*$//' -e 's/^/xenstore /'
  xl list | awk 'NR > 1 { print "domain " $2 }'
  losetup -a | sed -e 's/:.*(/ /' -e 's/)$//' -e 's/^/loop /'
  for p in /sys/class/net/xenbr0/brif/*; do [ -e "$p" ] && echo "bridge-port \${p##*/}"; done
  ps -o pid,args | awk '/[q]emu-system-i386 .*-xen-domid [1-9]/ { print "device-model " $1 }'
  ls /var/lib/xen | grep '^userdata-d\\.[1-9]' | sed 's/^/userdata /'
} | sort`;

/** Items of `after` that `before` does not have. */
export function added(before: string, after: string): string[] {
  const had = new Set(before.split('\n'));
  return after.split('\n').filter((l) => l && !had.has(l));
}
