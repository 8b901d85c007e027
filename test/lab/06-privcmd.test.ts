// Our privcmd layer against the real hypervisor: version detection picks exactly the booted Xen's interface
// versions, and what our hypercalls return agrees with Debian's C tools on the same host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XEN, bundleForDom0, dom0, dom0ok, dom0sh, domidOf } from './lab.js';

const EXPECTED_ABI: Record<string, { domctl: string; sysctl: string }> = {
  '4.17': { domctl: '0x15', sysctl: '0x15' },
  '4.20': { domctl: '0x17', sysctl: '0x15' },
};
const GUEST = 'lab-privcmd';

describe(`privcmd hypercalls on real Xen ${XEN}`, () => {
  let probe: Record<string, any>;
  let guestId: number;
  beforeAll(async () => {
    const program = await bundleForDom0('test/lab/programs/privcmd-probe.ts');
    await dom0ok(['xl', 'create', '/lab/guests/pv.cfg', `name="${GUEST}"`], 120);
    guestId = await domidOf(GUEST);
    const r = await dom0(['node', program], 120);
    expect(r.code, r.stderr).toBe(0);
    probe = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await dom0sh(`xl destroy ${GUEST}`);
  });

  it('detects the booted version and accepts only its interface versions', () => {
    const want = EXPECTED_ABI[XEN];
    const m = probe.versionMatrix.value;
    expect(Object.entries(m.domctl).filter(([, v]) => v === 'ok').map(([k]) => k)).toEqual([want.domctl]);
    expect(Object.entries(m.sysctl).filter(([, v]) => v === 'ok').map(([k]) => k)).toEqual([want.sysctl]);
    expect(probe.detect.value.xen).toEqual({ major: Number(XEN.split('.')[0]), minor: Number(XEN.split('.')[1]) });
    expect(probe.detect.value.domctlVersion).toBe(Number(want.domctl));
  });

  it('xen_version and physinfo agree with the C xl info', async () => {
    const info = await dom0ok(['xl', 'info']);
    const field = (k: string) => new RegExp(`^${k}\\s+: (.*)$`, 'm').exec(info)?.[1];
    const v = probe.versionInfo.value;
    expect(v.version).toBe(field('xen_version'));
    expect(v.capabilities.trim()).toBe(field('xen_caps')?.trim());
    expect(v.commandline).toBe(field('xen_commandline'));
    expect(v.compiler).toBe(field('cc_compiler'));
    const p = probe.physinfo.value;
    expect(p.nrCpus).toBe(Number(field('nr_cpus')));
    expect(Math.floor((p.totalPages * 4096) / 1048576)).toBe(Number(field('total_memory')));
    expect(probe.scheduler.value.name).toBe(field('xen_scheduler'));
  });

  it('lists the same domains as the C xl, and a missing domain is null', async () => {
    const ours = probe.listDomains.value.map((d: any) => d.domid).sort((a: number, b: number) => a - b);
    const theirs = (await dom0ok(['xl', 'list'])).trim().split('\n').slice(1).map((l) => Number(l.split(/\s+/)[1])).sort((a, b) => a - b);
    expect(ours).toEqual(theirs);
    expect(ours).toContain(guestId);
    expect(probe.missingDomain.value).toBeNull();
    const dom0Info = probe.listDomains.value.find((d: any) => d.domid === 0);
    expect(dom0Info.totPages * 4).toBe(1024 * 1024);
  });

  it('reads dom0 vCPUs as the C xl vcpu-list shows them', async () => {
    const rows = (await dom0ok(['xl', 'vcpu-list', '0'])).trim().split('\n').slice(1);
    expect(probe.dom0Vcpus.value.map((v: any) => v.vcpu)).toEqual(rows.map((r) => Number(r.split(/\s+/)[2])));
  });

  it('reads the console ring as xl dmesg does', async () => {
    const dmesg = await dom0ok(['xl', 'dmesg']);
    const tail = String(probe.consoleTail.value.tail).trim().split('\n').slice(-3, -1);
    expect(tail.length).toBeGreaterThan(0);
    for (const line of tail) expect(dmesg).toContain(line);
  });

  it('maps a guest frame with per-page errors for a bad one', () => {
    const f = probe.foreignMap;
    expect(f.ok, JSON.stringify(f)).toBe(true);
    const errors = f.value.errors as (null | { code: string })[];
    expect(errors.filter((e) => e === null).length).toBeGreaterThanOrEqual(1);
    expect(errors.filter((e) => e !== null), JSON.stringify(errors)).not.toEqual([]);
  });
});
