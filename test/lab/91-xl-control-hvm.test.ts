// Our xl list -l, unpause and destroy on HVM guests (QEMU device model) next to the C xl. In the heavy phase at the
// end, with the other HVM tests. The first three tests share one guest (A) from a fixture, so each passes alone too.
// The guests boot no Linux: hvmloader, SeaBIOS and QEMU's disk run a boot sector that prints a marker (lab.ts
// BOOT_SECTOR); file 94 boots Linux on our own HVM guest, where the guest's PV disk must connect.
import { afterAll, describe, expect, it } from 'vitest';
import {
  OUR_XL, XEN, bootSectorRan, bundleForDom0, createPausedHvm, destroyIfThere, dom0, dom0ok, dom0sh, once, putBootSectorGuest,
  settle, stateOf, waitFor, xenstorePaths,
} from './lab.js';

const OURS = OUR_XL;
const P = 'xlt91';

/** `${P}-a`, created paused (C xl) by the first test that asks; the unpause test boots it, the destroy test ends it. */
const bootSectorGuest = once(putBootSectorGuest);
const createPaused = async (name: string) => {
  await bootSectorGuest();
  return createPausedHvm(name, [], [], 'boot-sector');
};
const guestA = once(() => createPaused(`${P}-a`));

/** Destroy with `xl`; what it removed from xenstore (normalised) and what it left. */
async function destroy(xl: string, name: string, g: { id: number; uuid: string; qemu: number }) {
  const before = await xenstorePaths();
  const d = await dom0([xl, 'destroy', name], 180);
  expect(d.code, d.stderr).toBe(0);
  const after = await xenstorePaths();
  const mine = (p: string) => p.includes(g.uuid) || new RegExp(`/${g.id}(/|$)`).test(p);
  return {
    removed: before.filter((p) => !after.includes(p))
      .map((p) => p.replaceAll(g.uuid, 'UUID').replace(new RegExp(`/${g.id}(/|$)`, 'g'), '/ID$1')).sort(),
    leftovers: after.filter(mine),
    // QEMU's process, once it has had 30 s to exit: '' when gone
    qemu: await settle(30, async () => (await dom0sh(`ps -o pid,args | awk '$1 == ${g.qemu}'`)).stdout.trim(), (p) => p === ''),
    qmpSockets: (await dom0sh(`ls /var/run/xen | grep -- '-${g.id}$'`)).stdout,
    loop: (await dom0ok(['losetup', '-a'])).includes(`/tmp/${name}.img`),
  };
}

describe(`our xl on HVM guests next to the C xl (Xen ${XEN})`, () => {
  afterAll(async () => {
    await destroyIfThere(`${P}-a`, `${P}-b`, `${P}-c`);
    await dom0sh(`rm -f /tmp/${P}-*.img`);
  });

  it('list -l of a paused HVM guest (vcpus from QEMU over QMP) is the C xl\'s JSON, byte for byte', async () => {
    await guestA();
    const c = await dom0(['xl', 'list', '-l', `${P}-a`]);
    const o = await dom0([OURS, 'list', '-l', `${P}-a`]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toBe(c.stdout);
    expect(JSON.parse(o.stdout)[0].config.c_info.type).toBe('hvm');
  }, 600_000);

  it('unpause resumes QEMU ("cont" over QMP) and the domain: the C xl\'s guest boots to its marker and reads its disk', async () => {
    // libxl leaves QEMU running for xl create -p; stop it, so that only our unpause can restart it.
    const qmp = await bundleForDom0('test/lab/programs/qmp.ts');
    const id = String((await guestA()).id);
    const status = async () => JSON.parse(await dom0ok(['node', qmp, id, 'query-status']))[0].status as string;
    await dom0ok(['node', qmp, id, 'stop']);
    expect(await status()).toBe('paused');
    const o = await dom0([OURS, 'unpause', `${P}-a`]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toBe('');
    expect(await dom0ok(['xl', 'list', `${P}-a`])).not.toMatch(/--p---/);
    expect(await status()).toBe('running');
    // SeaBIOS read the boot sector through QEMU's disk and the vcpu ran it.
    await waitFor('the boot sector\'s marker', 120, () => bootSectorRan(id));
  }, 600_000); // run alone, it creates A too

  it('destroy of the running HVM guest: QEMU killed, QMP sockets, loop device and xenstore nodes gone', async () => {
    const a = await guestA();
    // Run without the unpause test, A is still paused: the C xl starts it (in the full run ours has booted it).
    if ((await stateOf(`${P}-a`)).includes('p')) await dom0ok(['xl', 'unpause', `${P}-a`]);
    const r = await destroy(OURS, `${P}-a`, a);
    expect(r).toMatchObject({ leftovers: [], qemu: '', qmpSockets: '', loop: false });
    expect(await dom0ok(['xl', 'list'])).not.toContain(`${P}-a`);
  }, 600_000);

  it('destroy removes from xenstore exactly what the C xl removes for the same HVM guest', async () => {
    const c = await destroy('xl', `${P}-b`, await createPaused(`${P}-b`));
    const o = await destroy(OURS, `${P}-c`, await createPaused(`${P}-c`));
    expect(o.leftovers).toEqual([]);
    expect(o.removed).toEqual(c.removed);
    expect(o.removed).toContain('/local/domain/0/device-model/ID');
  });
});
