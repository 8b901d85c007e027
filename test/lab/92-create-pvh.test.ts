// PVH guests built by our domain builder (issue: PVH and HVM): the lab PVH
// config with a file-backed disk and a vif boots to its marker through the
// PHYS32 entry, reads its disk and has eth0; the xenstore subtrees (with
// perms) and the saved config equal the C xl's for the same config; the C xl
// lists and destroys it; a kernel without the PVH entry fails in one line and
// leaves nothing. In the PVH/HVM phase at the end, like file 90: dom0
// segfaults seen meanwhile are reported, not hidden.
import { afterAll, describe, expect, it } from 'vitest';
import { LINUX_NOTES, makeElf } from '../helpers/kernel-images.js';
import {
  OUR_XL, XEN, destroyIfThere, dom0, dom0ok, dom0sh, domidOf, domainTree, guestConsole, leftovers, normaliseLoop, normaliseMac,
  reportSegfaults, savedConfig, timed, waitFor,
} from './lab.js';

const OURS = 'pvh-ours';
const THEIRS = 'pvh-c';
const CFG = '/lab/guests/pvh.cfg';
const C_DISK = '/tmp/pvh-c-disk.img';
/** The lab kernel as a gzipped ELF (unpacks in about a second; the bzImage's xz takes 15 s), for both toolstacks. */
const KERNEL = 'kernel="/lab/guests/vmlinux.gz"';
const DEVICES = ['vif=["bridge=xenbr0"]', KERNEL];

/** XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h): the 32-bit physical entry a PVH guest starts at. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };

const normalise = (text: string): string =>
  normaliseMac(normaliseLoop(text)).replace(new RegExp(C_DISK, 'g'), '/lab/guests/disk.img');

/** The backends whose nodes a guest of ours must not leave behind (lab.ts leftovers). */
const BACKENDS = ['vbd', 'vif', 'console'];

describe(`xl create of a PVH guest by our domain builder (Xen ${XEN})`, () => {
  afterAll(async () => {
    await destroyIfThere(OURS, THEIRS, 'pvh-bad');
    await dom0sh('rm -f /tmp/pvh-tiny.elf');
    await reportSegfaults('PVH phase');
  });

  it('boots with a disk and a vif; tree and saved config equal the C xl\'s; the C xl lists and destroys it', async () => {
    expect(await leftovers(BACKENDS)).toBe('');
    await dom0sh(`rm -f /var/log/xen/console/guest-${OURS}.log; cp --sparse=always /lab/guests/disk.img ${C_DISK}`);
    const disk = (p: string) => `disk=["file:${p},xvda,w"]`;
    const [ours, oursMs] = await timed([OUR_XL, 'create', '-p', CFG, `name="${OURS}"`, disk('/lab/guests/disk.img'), ...DEVICES]);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stderr).toBe(`Parsing config from ${CFG}\n`);
    const [theirs, theirsMs] = await timed(['xl', 'create', '-p', CFG, `name="${THEIRS}"`, disk(C_DISK), ...DEVICES]);
    expect(theirs.code, theirs.stderr).toBe(0);
    console.log(`xl create -p pvh.cfg with disk+vif wall time: ours ${oursMs} ms, C xl ${theirsMs} ms (Xen ${XEN})`);

    const kinds = ['console', 'vbd', 'vif'];
    expect(normalise(await domainTree(OURS, kinds))).toBe(normalise(await domainTree(THEIRS, kinds)));
    expect(normalise(await savedConfig(OURS))).toBe(normalise(await savedConfig(THEIRS)));
    await dom0ok(['xl', 'destroy', THEIRS]);

    const domid = String(await domidOf(OURS));
    const list = await dom0ok(['xl', 'list', OURS]);
    expect(list).toMatch(new RegExp(`^${OURS}\\s+${domid}\\s+256\\s+1\\s+--p---`, 'm'));
    await dom0ok(['xl', 'unpause', OURS]);
    const log = await waitFor('the PVH guest marker', 240, async () => {
      const text = await guestConsole(OURS);
      return /LAB-GUEST-ETH0/.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    expect(log).toContain(`LAB-GUEST-XVDA LAB-DISK-CONTENT disk xen-${XEN}`);
    const mac = (await dom0ok(['xenstore-read', `/local/domain/0/backend/vif/${domid}/0/mac`])).trim();
    expect(log).toContain(`LAB-GUEST-ETH0 ${mac}`);
    // Booted as PVH with our ACPI tables: the kernel read the MADT (no IO-APIC) and the FADT's SCI, as it does
    // for the C xl's PVH guest (a PV guest has no ACPI at all).
    expect(log).toContain('ACPI: No IOAPIC entries present');
    expect(log).toContain('ACPI: OSL: SCI (ACPI GSI 9) not registered');
    await dom0ok(['xl', 'destroy', OURS]);
    expect(await leftovers(BACKENDS)).toBe('');
    expect((await dom0sh(`xenstore-ls /local/domain/${domid}`)).code).not.toBe(0);
  }, 900_000);

  it('a failure at a PVH build step (ACPI tables; grant table, with a disk and a vif) is rolled back', async () => {
    // A page of hlt with the PVH entry note stands in for the kernel: the guest never runs.
    const tiny = makeElf({ notes: [...LINUX_NOTES, [XEN_ELFNOTE_PHYS32_ENTRY, u32(0x1000000)]], code: Buffer.alloc(4096, 0xf4) });
    await dom0ok(['sh', '-c', `echo ${tiny.toString('base64')} | base64 -d > /tmp/pvh-tiny.elf`]);
    // The devices' scripts cost seconds each way: the last step has them, so its rollback takes them down too.
    for (const [step, devices] of [['load ACPI tables', []], ['grant table', ['disk=["file:/lab/guests/disk.img,xvda,w"]', 'vif=["bridge=xenbr0"]']]] as const) {
      const r = await dom0(['env', `XL_TEST_FAIL_AT=${step}`, OUR_XL, 'create', '-q', CFG, 'name="pvh-bad"',
        ...devices, 'kernel="/tmp/pvh-tiny.elf"', 'memory=32'], 300);
      expect(r.code, step).toBe(1);
      expect(r.stderr.trim(), step).toBe(`xl create: building domain 'pvh-bad': ${step}: failure injected for testing`);
      expect(await dom0ok(['xl', 'list'])).not.toContain('pvh-bad');
      expect(await leftovers(BACKENDS), step).toBe('');
    }
  }, 600_000);

  it('a kernel without the PVH entry point: one line naming the step, exit 1, nothing left', async () => {
    const r = await dom0([OUR_XL, 'create', CFG, 'name="pvh-bad"', 'kernel="/etc/hostname"'], 200);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([`Parsing config from ${CFG}`, expect.stringMatching(/^xl create: building domain 'pvh-bad': kernel \/etc\/hostname is not a Xen PVH kernel/)]);
    expect(await dom0ok(['xl', 'list'])).not.toContain('pvh-bad');
    expect(await leftovers(BACKENDS)).toBe('');
  }, 600_000);
});
