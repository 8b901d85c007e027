// Our xl list -l, unpause and destroy on HVM guests (QEMU device model) next to the C xl. In the heavy phase at the
// end, with the other HVM tests.
import { afterAll, describe, expect, it } from 'vitest';
import { XEN, bundleForDom0, dom0, dom0ok, dom0sh, guestConsole, settle, waitFor } from './lab.js';

const OURS = '/project/bin/xl';
const P = 'xlt91';

/** C xl create -p of hvm.cfg under `name`, on its own copy of the disk. */
async function createPaused(name: string): Promise<{ id: number; uuid: string; qemu: number }> {
  const r = await dom0sh(`cp /lab/guests/disk-hvm.img /tmp/${name}.img && ` +
    `xl create -p /lab/guests/hvm.cfg 'name="${name}"' 'disk=["file:/tmp/${name}.img,xvda,w"]'`, 240);
  expect(r.code, r.stderr).toBe(0);
  const id = Number((await dom0ok(['xl', 'domid', name])).trim());
  const uuid = (await dom0ok(['xenstore-read', `/local/domain/${id}/vm`])).trim().replace('/vm/', '');
  const qemu = Number((await dom0ok(['xenstore-read', `/local/domain/${id}/image/device-model-pid`])).trim());
  return { id, uuid, qemu };
}

const snapshot = async () => (await dom0ok(['xenstore-ls', '-f'])).trimEnd().split('\n').map((l) => l.replace(/ = .*$/, ''));

/** Destroy with `xl`; what it removed from xenstore (normalised) and what it left. */
async function destroy(xl: string, name: string, g: { id: number; uuid: string; qemu: number }) {
  const before = await snapshot();
  const d = await dom0([xl, 'destroy', name], 180);
  expect(d.code, d.stderr).toBe(0);
  const after = await snapshot();
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
    await dom0sh(`for n in ${P}-a ${P}-b ${P}-c; do xl destroy $n 2>/dev/null; done; rm -f /tmp/${P}-*.img; true`);
  });

  it('list -l of a paused HVM guest (vcpus from QEMU over QMP) is the C xl\'s JSON, byte for byte', async () => {
    await createPaused(`${P}-a`);
    const c = await dom0(['xl', 'list', '-l', `${P}-a`]);
    const o = await dom0([OURS, 'list', '-l', `${P}-a`]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toBe(c.stdout);
    expect(JSON.parse(o.stdout)[0].config.c_info.type).toBe('hvm');
  });

  it('unpause resumes QEMU ("cont" over QMP) and the domain: the C xl\'s guest boots to its marker and reads its disk', async () => {
    // libxl leaves QEMU running for xl create -p; stop it, so that only our unpause can restart it.
    const qmp = await bundleForDom0('test/lab/programs/qmp.ts');
    const id = (await dom0ok(['xl', 'domid', `${P}-a`])).trim();
    const status = async () => JSON.parse(await dom0ok(['node', qmp, id, 'query-status']))[0].status as string;
    await dom0ok(['node', qmp, id, 'stop']);
    expect(await status()).toBe('paused');
    const o = await dom0([OURS, 'unpause', `${P}-a`]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toBe('');
    expect(await dom0ok(['xl', 'list', `${P}-a`])).not.toMatch(/--p---/);
    expect(await status()).toBe('running');
    const log = await waitFor('the HVM guest marker', 240, async () => {
      const text = await guestConsole(`${P}-a`);
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    // hvm.cfg under the C xl boots through hvmloader and QEMU and reads its disk (the reference for file 94)
    expect(log).toContain('LAB-GUEST-READY');
    expect(log).toContain(`LAB-DISK-CONTENT disk-hvm xen-${XEN}`);
  });

  it('destroy of the running HVM guest: QEMU killed, QMP sockets, loop device and xenstore nodes gone', async () => {
    const id = Number((await dom0ok(['xl', 'domid', `${P}-a`])).trim());
    const uuid = (await dom0ok(['xenstore-read', `/local/domain/${id}/vm`])).trim().replace('/vm/', '');
    const qemu = Number((await dom0ok(['xenstore-read', `/local/domain/${id}/image/device-model-pid`])).trim());
    const r = await destroy(OURS, `${P}-a`, { id, uuid, qemu });
    expect(r).toMatchObject({ leftovers: [], qemu: '', qmpSockets: '', loop: false });
    expect(await dom0ok(['xl', 'list'])).not.toContain(`${P}-a`);
  });

  it('destroy removes from xenstore exactly what the C xl removes for the same HVM guest', async () => {
    const c = await destroy('xl', `${P}-b`, await createPaused(`${P}-b`));
    const o = await destroy(OURS, `${P}-c`, await createPaused(`${P}-c`));
    expect(o.leftovers).toEqual([]);
    expect(o.removed).toEqual(c.removed);
    expect(o.removed).toContain('/local/domain/0/device-model/ID');
  });
});
