// Disks and network interfaces built by our xl (issue: devices): the lab PV
// guest with a file-backed disk and a vif on xenbr0 reads its disk and has
// eth0, dom0 has vif<domid>.0 in xenbr0, the xenstore subtrees (with perms)
// and the saved config equal the C xl's for the same config; destroy leaves no
// loop device, no vif and no node; a failing or hanging hotplug script fails
// the create in one line with the script's words and leaves nothing behind;
// devices attached and detached at runtime are seen by both toolstacks. Guests that boot take the lab kernel as a
// gzipped ELF (FAST: file 40 boots the bzImage); creates that fail before the unpause take a tiny ELF (TINY).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINUX_NOTES, makeElf } from '../helpers/kernel-images.js';
import {
  OUR_XL, XEN, destroyIfThere, dom0, dom0ok, dom0sh, domidOf, domainTree, guestConsole, hostState, leftSince, leftovers, normaliseLoop,
  normaliseMac, savedConfig, timed, waitFor,
} from './lab.js';

const OURS = 'dev-ours';
const THEIRS = 'dev-c';
const FAIL = 'dev-fail';
const HOT = 'dev-hot';
const CFG = '/lab/guests/pv-devices.cfg';
/** The lab kernel as a gzipped ELF: unpacks in about a second, where the bzImage's xz/zstd takes many. */
const FAST = 'kernel="/lab/guests/vmlinux.gz"';
/** A page of hlt with Linux's Xen notes: what a create that fails before the unpause needs of a kernel. */
const TINY = ['kernel="/tmp/dev-tiny.elf"', 'memory=32'];
/** The C xl's guest gets its own copy of the disk: the block script refuses an image another guest has open. */
const C_DISK = '/tmp/dev-c-disk.img';

/** Everything xenstore holds about a domain and its backends, with the loop device, MAC and the C guest's disk copy normalised too. */
async function tree(name: string): Promise<string> {
  return normaliseLoop(normaliseDevices(await domainTree(name, ['console', 'vbd', 'vif'])));
}

async function userdata(name: string): Promise<string> {
  return normaliseDevices(await savedConfig(name));
}

/** The random MAC, and the C xl guest's own copy of the disk. */
const normaliseDevices = (text: string): string =>
  normaliseMac(text).replace(new RegExp(C_DISK, 'g'), '/lab/guests/disk.img');

/** The backends whose nodes a domain may leave in dom0 (lab.ts leftovers: with loop devices and vifs in the bridge). */
const BACKENDS = ['vbd', 'vif', 'qdisk'];

describe(`disks and network interfaces by our xl (Xen ${XEN})`, () => {
  beforeAll(async () => {
    // Test hotplug scripts: one fails after saying why on stderr, one hangs, one is the block script after a pause.
    await dom0ok(['bash', '-c', `cat > /tmp/vif-fail <<'EOF'
#!/bin/bash
echo "vif-fail: about to fail for $vif" >&2
echo "vif-fail: bridge xenbr9 does not exist" >&2
exit 1
EOF
cat > /tmp/vif-hang <<'EOF'
#!/bin/bash
# Hangs bringing the vif up only: the rollback's "offline" returns at once.
[ "$1" = online ] || exit 0
echo "vif-hang: waiting forever" >&2
exec sleep 600
EOF
cat > /tmp/block-slow <<'EOF'
#!/bin/bash
[ "$1" = add ] && sleep 5
exec /etc/xen/scripts/block "$@"
EOF
chmod 755 /tmp/vif-fail /tmp/vif-hang /tmp/block-slow`]);
    const tiny = makeElf({ notes: LINUX_NOTES, code: Buffer.alloc(4096, 0xf4) }).toString('base64');
    await dom0ok(['sh', '-c', `echo ${tiny} | base64 -d > /tmp/dev-tiny.elf`]);
  });
  afterAll(async () => {
    await destroyIfThere(OURS, THEIRS, FAIL, HOT);
    await dom0sh('rm -f /tmp/vif-fail /tmp/vif-hang /tmp/block-slow /tmp/dev-tiny.elf');
  });

  it('the guest reads its disk and has eth0; vif in xenbr0; the tree and saved config equal the C xl\'s; destroy leaves nothing', async () => {
    expect(await leftovers(BACKENDS)).toBe('');
    await dom0sh(`rm -f /var/log/xen/console/guest-${OURS}.log`);
    const r = await dom0([OUR_XL, 'create', '-p', CFG, `name="${OURS}"`, FAST], 400);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`Parsing config from ${CFG}\n`);
    await dom0ok(['cp', '--sparse=always', '/lab/guests/disk.img', C_DISK]);
    await dom0ok(['xl', 'create', '-p', CFG, `name="${THEIRS}"`, FAST, `disk=["file:${C_DISK},xvda,w"]`], 400);
    // Both paused: backends in InitWait, scripts done.
    expect(await tree(OURS)).toBe(await tree(THEIRS));
    expect(await userdata(OURS)).toBe(await userdata(THEIRS));
    await dom0ok(['xl', 'destroy', THEIRS]);

    const domid = String(await domidOf(OURS));
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).toContain(`vif${domid}.0`);
    await dom0ok(['xl', 'unpause', OURS]);
    const log = await waitFor('the guest device report', 180, async () => {
      const text = await guestConsole(OURS);
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    expect(log).toContain(`LAB-GUEST-XVDA LAB-DISK-CONTENT disk xen-${XEN}`);
    const mac = (await dom0ok(['xenstore-read', `/local/domain/0/backend/vif/${domid}/0/mac`])).trim();
    expect(log).toContain(`LAB-GUEST-ETH0 ${mac}`);
    // Connected as the C xl sees it.
    const blocks = await dom0ok(['xl', 'block-list', OURS]);
    expect(blocks).toMatch(new RegExp(`^51712\\s+0\\s+${domid}\\s+4\\s+`, 'm'));
    const nets = await dom0ok(['xl', 'network-list', OURS]);
    expect(nets).toMatch(new RegExp(`^0\\s+0\\s+${mac}\\s+0\\s+4\\s+`, 'm'));

    await dom0ok([OUR_XL, 'destroy', OURS]);
    expect(await leftovers(BACKENDS)).toBe('');
    for (const p of [`/local/domain/${domid}`, `/libxl/${domid}`]) expect((await dom0sh(`xenstore-ls ${p}`)).code, p).not.toBe(0);
  }, 900_000);

  it('attach and detach at runtime, cross-checked: ours attaches, the C xl lists and detaches, and the other way round', async () => {
    await dom0ok(['bash', '-c', 'rm -f /tmp/hot.img; dd if=/dev/zero of=/tmp/hot.img bs=1M count=0 seek=8 status=none']);
    const made = await dom0([OUR_XL, 'create', '/lab/guests/pv.cfg', `name="${HOT}"`, FAST], 400);
    expect(made.code, made.stderr).toBe(0);
    await waitFor('the guest marker', 180, async () => /LAB-GUEST-ETH0/.test(await guestConsole(HOT)));
    const domid = String(await domidOf(HOT));

    // Disk: ours attaches; the guest's blkfront connects (state 4) as the C xl sees it; the saved config has it.
    const att = await dom0([OUR_XL, 'block-attach', HOT, 'file:/tmp/hot.img,xvdb,w']);
    expect(att.code, att.stderr).toBe(0);
    const cList = await waitFor('xvdb connected', 60, async () => {
      const out = await dom0ok(['xl', 'block-list', HOT]);
      return /^51728\s+0\s+\d+\s+4\s+/m.test(out) && out;
    });
    expect(cList).toContain(`/local/domain/0/backend/vbd/${domid}/51728`);
    expect(await dom0ok([OUR_XL, 'block-list', HOT])).toBe(await dom0ok(['xl', 'block-list', HOT]));
    expect(await dom0ok(['xl', 'list', '-l', HOT])).toContain('"pdev_path": "/tmp/hot.img"');
    expect((await dom0ok(['losetup', '-a'])).trim()).toContain('/tmp/hot.img');
    // The C xl detaches what ours attached: loop device and nodes go.
    await dom0ok(['xl', 'block-detach', HOT, 'xvdb'], 120);
    expect(await dom0ok([OUR_XL, 'block-list', HOT])).toBe('Vdev  BE  handle state evt-ch ring-ref BE-path                       \n');
    expect((await dom0ok(['losetup', '-a'])).trim()).toBe('');

    // Network: the C xl attaches, ours lists the same and detaches it.
    await dom0ok(['xl', 'network-attach', HOT, 'bridge=xenbr0', 'mac=00:16:3e:12:34:56'], 120);
    const nets = await waitFor('vif connected', 60, async () => {
      const out = await dom0ok(['xl', 'network-list', HOT]);
      return /^0\s+0\s+00:16:3e:12:34:56\s+0\s+4\s+/m.test(out) && out;
    });
    expect(await dom0ok([OUR_XL, 'network-list', HOT])).toBe(nets);
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).toContain(`vif${domid}.0`);
    const det = await dom0([OUR_XL, 'network-detach', HOT, '00:16:3e:12:34:56'], 120);
    expect(det.code, det.stderr).toBe(0);
    expect((await dom0ok(['xl', 'network-list', HOT])).split('\n').filter(Boolean)).toHaveLength(1);
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).not.toContain(`vif${domid}.`);
    expect(await dom0ok(['xl', 'list', '-l', HOT])).not.toContain('"nics"');

    // Ours attaches a nic and the C xl detaches it; a disk already there is refused in one line.
    expect((await dom0([OUR_XL, 'network-attach', HOT, 'bridge=xenbr0'], 120)).code).toBe(0);
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).toContain(`vif${domid}.`);
    await dom0ok(['xl', 'network-detach', HOT, '0'], 120);
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).not.toContain(`vif${domid}.`);

    await dom0ok([OUR_XL, 'destroy', HOT]);
    expect(await leftovers(BACKENDS)).toBe('');
  }, 900_000);

  it('a failing vif script: one-line error with its stderr, exit 1, the disk set up alongside is taken down, nothing left', async () => {
    const before = await hostState();
    // The disk's block script is still adding when the vif's fails: the rollback must wait for it before "remove"
    // (it once sent "remove" at once, which failed, and the late "add" could leave its loop device).
    const [r, ms] = await timed([OUR_XL, 'create', CFG, `name="${FAIL}"`, ...TINY, 'vif=["bridge=xenbr0,script=/tmp/vif-fail"]',
      'disk=["file:/lab/guests/disk.img,xvda,w,script=/tmp/block-slow"]'], 400);
    expect(r.code).toBe(1);
    expect(ms, 'the create waited for the disk\'s delayed add before its rollback').toBeGreaterThanOrEqual(5000);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`Parsing config from ${CFG}`);
    // One error line; the rollback's run of the same broken script for "offline" may warn before it.
    const error = lines.slice(1).filter((l) => !l.startsWith('xl: warning: /tmp/vif-fail offline exited with status 1'));
    expect(error, r.stderr).toHaveLength(1);
    expect(error[0]).toMatch(/adding devices for domain 'dev-fail': network interface 0: \/tmp\/vif-fail online type_if=vif failed \(exit status 1\)/);
    expect(error[0]).toContain('vif-fail: bridge xenbr9 does not exist');
    expect(await dom0ok(['xl', 'list'])).not.toContain(FAIL);
    expect(await leftovers(BACKENDS)).toBe('');
    expect(await leftSince(before)).toEqual([]);
  }, 600_000);

  it('a hanging script is killed at the timeout and the create fails cleanly', async () => {
    const before = await hostState();
    const t0 = Date.now();
    const r = await dom0sh(`XL_TEST_HOTPLUG_TIMEOUT=20 ${OUR_XL} create ${CFG} name='"${FAIL}"' ${TINY.map((t) => `'${t}'`).join(' ')} 'vif=["bridge=xenbr0,script=/tmp/vif-hang"]'`, 400);
    const took = (Date.now() - t0) / 1000;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/network interface 0: \/tmp\/vif-hang online type_if=vif killed after 20 s timeout/);
    expect(r.stderr).toContain('vif-hang: waiting forever');
    expect(took).toBeLessThan(200);
    expect((await dom0sh('pgrep -f vif-hang')).code).not.toBe(0);
    expect(await dom0ok(['xl', 'list'])).not.toContain(FAIL);
    expect(await leftovers(BACKENDS)).toBe('');
    expect(await leftSince(before)).toEqual([]);
  }, 600_000);

  it('a missing disk image fails before any domain is made', async () => {
    const before = await hostState();
    const r = await dom0([OUR_XL, 'create', CFG, `name="${FAIL}"`, ...TINY, 'disk=["file:/lab/guests/nope.img,xvda,w"]'], 400);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('disk xvda: failed to stat /lab/guests/nope.img: No such file or directory');
    expect(await dom0ok(['xl', 'list'])).not.toContain(FAIL);
    expect(await leftovers(BACKENDS)).toBe('');
    expect(await leftSince(before)).toEqual([]);
  }, 600_000);
});
