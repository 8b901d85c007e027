// The lab's PV test guests, run with Debian's C xl: they are what later issues build with our own code, so prove here
// that they boot, see their disk and network, and shut down.
import { afterAll, describe, expect, it } from 'vitest';
import { XEN, destroyAllGuests, dom0ok, dom0sh, guestConsole, waitFor } from './lab.js';

describe(`lab PV guests under the C xl (Xen ${XEN})`, () => {
  afterAll(destroyAllGuests);

  it('pv-devices.cfg boots, reads its disk, has eth0 and a vif in xenbr0, and powers off', async () => {
    await dom0ok(['xl', 'create', '/lab/guests/pv-devices.cfg'], 120);
    const log = await waitFor('the guest marker and device report', 90, async () => {
      const text = await guestConsole('lab-pv-devices');
      return /LAB-GUEST-ETH0 /.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    expect(log).toContain(`LAB-GUEST-XVDA LAB-DISK-CONTENT disk xen-${XEN}`);
    expect(log).toMatch(/LAB-GUEST-ETH0 00:16:3e(:[0-9a-f]{2}){3}/);
    const domid = (await dom0ok(['xl', 'domid', 'lab-pv-devices'])).trim();
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).toContain(`vif${domid}.0`);

    const shut = await dom0sh('xl shutdown -w lab-pv-devices', 120);
    expect(shut.code, shut.stderr).toBe(0);
    // -w returns at the shutdown; xl's own monitor then destroys the domain (on_poweroff=destroy).
    await waitFor('the domain to be destroyed', 30, async () => !(await dom0ok(['xl', 'list'])).includes('lab-pv-devices'));
    expect((await dom0sh(`xenstore-ls /local/domain/${domid}`)).code).not.toBe(0);
  });

  it('pv.cfg boots to its marker with no devices', async () => {
    await dom0ok(['xl', 'create', '/lab/guests/pv.cfg'], 120);
    const log = await waitFor('the guest marker', 90, async () => {
      const text = await guestConsole('lab-pv');
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-XVDA none');
    expect(log).toContain('LAB-GUEST-ETH0 none');
    await dom0ok(['xl', 'destroy', 'lab-pv']);
  });
});
