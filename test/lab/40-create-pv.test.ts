// Our `xl create` builds the lab's PV guest (pv.cfg: Debian kernel bzImage,
// busybox initramfs, no devices) through our own hypercalls: the guest boots
// to its marker on xenconsoled's log, the C xl sees and destroys it cleanly,
// its xenstore tree equals the one the C xl writes for the same config, and a
// bad kernel fails in one line leaving no domain behind.
import { afterAll, describe, expect, it } from 'vitest';
import {
  OUR_XL, XEN, destroyIfThere, dom0, dom0ok, dom0sh, domidOf, domainTree as tree, guestConsole, hostState, leftSince,
  savedConfig as userdata, waitFor,
} from './lab.js';

const OURS = 'h8-lab-ours';
const THEIRS = 'h8-lab-c';
const BAD = 'h8-lab-bad';

describe(`xl create of a PV guest by our domain builder (Xen ${XEN})`, () => {
  afterAll(async () => {
    await destroyIfThere(OURS, THEIRS, BAD, 'h8-lab-paused', 'h8-lab-fail');
  });

  it('boots pv.cfg to its marker; the C xl lists it; the tree matches the C xl; C xl destroy removes it', async () => {
    await dom0sh(`rm -f /var/log/xen/console/guest-${OURS}.log`);
    const t0 = Date.now();
    const r = await dom0([OUR_XL, 'create', '/lab/guests/pv.cfg', `name="${OURS}"`], 400);
    const oursMs = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('Parsing config from /lab/guests/pv.cfg\n');
    const log = await waitFor('the guest marker', 180, async () => {
      const text = await guestConsole(OURS);
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    expect(log).toContain('LAB-GUEST-XVDA none');

    const list = await dom0ok(['xl', 'list', OURS]);
    expect(list).toMatch(new RegExp(`^${OURS}\\s+\\d+\\s+128\\s+1\\s+`, 'm'));

    await dom0sh(`rm -f /var/log/xen/console/guest-${THEIRS}.log`);
    const c0 = Date.now();
    await dom0ok(['xl', 'create', '/lab/guests/pv.cfg', `name="${THEIRS}"`], 400);
    const cMs = Date.now() - c0;
    console.log(`xl create pv.cfg wall time: ours ${oursMs} ms, C xl ${cMs} ms (Xen ${XEN})`);
    // The guest kernels write nodes of their own (control/feature-*): compare once both have booted.
    const theirLog = await waitFor('the C xl guest marker', 180, async () => { const t = await guestConsole(THEIRS); return /LAB-GUEST-ETH0/.test(t) && t; });
    // pv.cfg under the C xl: no disk, no nic (the reference for ours above)
    expect(theirLog).toContain('LAB-GUEST-XVDA none');
    expect(theirLog).toContain('LAB-GUEST-ETH0 none');
    expect(log).toContain('LAB-GUEST-ETH0 none');
    expect(await tree(OURS)).toBe(await tree(THEIRS));
    // The saved config (libxl-json userdata) as the C libxl writes it, so `xl list -l` and reboot find it.
    expect(await userdata(OURS)).toBe(await userdata(THEIRS));
    const listL = await dom0(['xl', 'list', '-l', OURS]);
    expect(listL.code, listL.stderr).toBe(0);
    expect(listL.stdout).toContain(`"name": "${OURS}"`);

    const domid = String(await domidOf(OURS));
    await dom0ok(['xl', 'destroy', OURS]);
    expect(await dom0ok(['xl', 'list'])).not.toContain(OURS);
    for (const p of [`/local/domain/${domid}`, `/libxl/${domid}`, `/local/domain/0/backend/console/${domid}`]) {
      expect((await dom0sh(`xenstore-ls ${p}`)).code, p).not.toBe(0);
    }
    await dom0ok(['xl', 'destroy', THEIRS]);
  }, 900_000);

  it('-p leaves the guest paused; the C xl unpause starts it', async () => {
    const name = 'h8-lab-paused';
    await dom0sh(`rm -f /var/log/xen/console/guest-${name}.log`);
    const r = await dom0([OUR_XL, 'create', '-p', '/lab/guests/pv.cfg', `name="${name}"`], 400);
    expect(r.code, r.stderr).toBe(0);
    expect(await dom0ok(['xl', 'list', name])).toMatch(new RegExp(`^${name}\\s+\\d+\\s+128\\s+1\\s+--p---`, 'm'));
    await dom0ok(['xl', 'unpause', name]);
    await waitFor('the guest marker', 180, async () => (await guestConsole(name)).includes('LAB-GUEST-READY'));
    await dom0ok(['xl', 'destroy', name]);
  }, 600_000);

  it('a file that is not a PV kernel: one-line error naming the step, no domain left', async () => {
    const before = await hostState();
    const r = await dom0([OUR_XL, 'create', '/lab/guests/pv.cfg', `name="${BAD}"`, 'kernel="/lab/guests/pv.cfg"'], 120);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Parsing config from /lab/guests/pv.cfg\n' +
      `xl create: building domain '${BAD}': kernel /lab/guests/pv.cfg is not a Xen PV kernel (not an ELF or bzImage kernel)\n`);
    expect(await dom0ok(['xl', 'list'])).not.toContain(BAD);
    // Nothing left anywhere: xenstore, domains, loop devices, bridge ports, userdata.
    expect(await leftSince(before)).toEqual([]);
  }, 120_000);

  it('a missing kernel and a name already in use fail cleanly', async () => {
    const r = await dom0([OUR_XL, 'create', '/lab/guests/pv.cfg', `name="${BAD}"`, 'kernel="/nonexistent"'], 120);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`xl create: building domain '${BAD}': kernel /nonexistent: No such file or directory\n`);
    expect(await dom0ok(['xl', 'list'])).not.toContain(BAD);
    const clash = await dom0([OUR_XL, 'create', '/lab/guests/pv.cfg', 'name="Domain-0"'], 120);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("xl create: domain 'Domain-0' already exists\n");
  }, 120_000);
  // Failure injection at every step: 41-lifecycle-pv.
});
