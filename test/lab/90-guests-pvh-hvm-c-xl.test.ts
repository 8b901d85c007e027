// The PVH lab guest under the C xl (the HVM one boots in file 91), in the PVH/HVM phase at the end: these guests
// load the emulated CPU hardest, and a known lab flake (short-lived dom0 processes segfaulting while they run) is reported, not hidden.
import { afterAll, describe, expect, it } from 'vitest';
import { XEN, destroyAllGuests, dom0ok, guestConsole, reportSegfaults, waitFor } from './lab.js';

describe(`lab PVH and HVM guests under the C xl (Xen ${XEN})`, () => {
  afterAll(async () => {
    await destroyAllGuests();
    await reportSegfaults('PVH/HVM phase');
  });

  it('pvh.cfg boots to its marker', async () => {
    await dom0ok(['xl', 'create', '/lab/guests/pvh.cfg'], 120);
    const log = await waitFor('the PVH guest marker', 150, async () => {
      const text = await guestConsole('lab-pvh');
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    await dom0ok(['xl', 'destroy', 'lab-pvh']);
  });
  // hvm.cfg under the C xl: file 91 boots it to its marker with its disk.
});
