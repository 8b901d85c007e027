// libxl create without Xen: what it reads from the config model, the device
// refusal, and the saved libxl-json (compared with a file the C libxl 4.17
// wrote for the lab's pv.cfg).
import { describe, expect, it } from 'vitest';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';
import { configDevices, savedConfigJson, viewConfig, viridianMask } from '../../../src/libxl/domain/create.js';

const PV_CFG = [
  'name = "lab-pv"', 'type = "pv"', 'kernel = "/lab/guests/vmlinuz"', 'ramdisk = "/lab/guests/initrd.gz"',
  'cmdline = "console=hvc0 loglevel=4"', 'memory = 128', 'vcpus = 1', '',
].join('\n');

const build = (text: string, overrides: string[] = []) =>
  dryRunCreate('/lab/guests/pv.cfg', overrides, { text, host: { maxCpus: 2 } }).then((r) => r.config);

describe('createNewDomain inputs', () => {
  it('reads name, memory, vcpus, images and libxl defaults', async () => {
    const v = viewConfig(await build(PV_CFG, ['vcpus=2', 'maxvcpus=3']));
    expect(v).toMatchObject({
      name: 'lab-pv', type: 'pv', maxVcpus: 3, maxMemKb: 131072, targetMemKb: 131072, kernel: '/lab/guests/vmlinuz',
      ramdisk: '/lab/guests/initrd.gz', cmdline: 'console=hvc0 loglevel=4', claim: true, eventChannels: 1023,
      maxGrantFrames: -1, maxMaptrackFrames: -1, maxGrantVersion: null,
    });
    expect([...v.availVcpus].sort()).toEqual([0, 1]);
    expect(v.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('names the device lists it cannot build yet', async () => {
    expect(configDevices(await build(PV_CFG))).toEqual([]);
    expect(configDevices(await build(PV_CFG, ['vif=["bridge=xenbr0"]', 'disk=["/tmp/d.img,raw,xvda,w"]']))).toEqual(['disks', 'nics']);
  });
});

describe('saved domain configuration (libxl-json userdata)', () => {
  // The layout of the file the C libxl 4.17 wrote in the lab for a pv.cfg guest (its device lists left out);
  // test/lab/40-create-pv.test.ts compares ours with the C file byte for byte on each Xen.
  it('is what the C libxl 4.17 saves for pv.cfg', async () => {
    const cfg = await build(PV_CFG, ['uuid="6a0c3ef4-1c4e-4b36-9f0b-2ff5a1e7a0d1"']);
    expect(savedConfigJson(cfg, '4.17')).toBe(`{
    "c_info": {
        "type": "pv",
        "name": "lab-pv",
        "domid": 4294967295,
        "uuid": "6a0c3ef4-1c4e-4b36-9f0b-2ff5a1e7a0d1",
        "run_hotplug_scripts": "True"
    },
    "b_info": {
        "max_vcpus": 1,
        "avail_vcpus": [
            0
        ],
        "max_memkb": 131072,
        "target_memkb": 131072,
        "video_memkb": 0,
        "sched_params": {

        },
        "claim_mode": "True",
        "kernel": "/lab/guests/vmlinuz",
        "cmdline": "console=hvc0 loglevel=4",
        "ramdisk": "/lab/guests/initrd.gz",
        "type.pv": {

        },
        "arch_arm": {

        },
        "arch_x86": {
            "msr_relaxed": "False"
        }
    },
    "on_reboot": "restart",
    "on_soft_reset": "soft_reset"
}
`);
  });
});

const HVM_CFG = [
  'name = "lab-hvm"', 'type = "hvm"', 'kernel = "/lab/guests/vmlinuz"', 'memory = 256', 'vcpus = 1', 'serial = "pty"', 'vnc = 0', '',
].join('\n');

describe('HVM create inputs (libxl setdefault for qemu-xen)', () => {
  it('settles the card\'s video RAM and the u.hvm defaults', async () => {
    const v = viewConfig(await build(HVM_CFG));
    expect(v).toMatchObject({ type: 'hvm', maxMemKb: 262144, targetMemKb: 262144, videoMemKb: 8192 });
    expect(v.hvm).toEqual({
      acpi: true, acpiS3: true, acpiS4: true, acpiLaptopSlate: false, hpet: true, vptAlign: true, viridian: 0n, mcaCaps: 0,
      pirq: false, vkbDevice: true, timeoffset: '', rtcTimeoffset: 0, localtime: false, firmware: null, systemFirmware: null,
      bios: 'unknown', mmioHoleKb: 0,
    });
    expect(viewConfig(await build(HVM_CFG, ['vga="stdvga"'])).videoMemKb).toBe(16384);
    expect(viewConfig(await build(HVM_CFG, ['acpi=0', 'hpet=0', 'vkb_device=0'])).hvm).toMatchObject({ acpi: false, hpet: false, vkbDevice: false });
    expect(viewConfig(await build(PV_CFG)).hvm).toBeNull();
  });

  it('computes libxl\'s viridian mask and refuses what libxl refuses', () => {
    // base, freq, time_ref_count, apic_assist, crash_ctl, no_vp_limit, cpu_hotplug
    expect(viridianMask(true, new Set(), new Set())).toBe(0x1865n);
    // base alone also sets HVMPV_no_freq
    expect(viridianMask(false, new Set([0]), new Set())).toBe(0x3n);
    // stimer brings time_ref_count and synic; freq disabled gives no_freq
    expect(viridianMask(true, new Set([8]), new Set([1]))).toBe(0x1865n | 0x2n | 0x80n | 0x100n);
    expect(viridianMask(false, new Set(), new Set())).toBe(0n);
    expect(() => viridianMask(true, new Set([5]), new Set([5]))).toThrow('apic_assist group both enabled and disabled');
    expect(() => viridianMask(false, new Set([2]), new Set())).toThrow('base group not enabled');
  });
});

describe('the unpacked-kernel cache', () => {
  it('unpacks once, then reads the cached ELF from its file; a damaged copy is unpacked again', async () => {
    const { mkdtemp, rm, stat, writeFile, readdir } = await import('node:fs/promises');
    const { gzipSync } = await import('node:zlib');
    const { makeElf, LINUX_NOTES } = await import('../../helpers/kernel-images.js');
    const { loadSegments } = await import('../../../src/domain-builder/elf.js');
    const { unpackedKernel } = await import('../../../src/libxl/domain/create.js');
    const dir = await mkdtemp('/tmp/kernel-cache-');
    try {
      const elf = makeElf({ notes: LINUX_NOTES, code: Buffer.from('CACHED-KERNEL-CODE'), memsz: 0x2000 });
      const packed = gzipSync(elf);
      await writeFile(`${dir}/vmlinux.gz`, packed);
      const st = await stat(`${dir}/vmlinux.gz`);
      let reads = 0;
      const read = async () => { reads++; return packed; };
      const load = async () => {
        const { kernel, release } = await unpackedKernel(`${dir}/vmlinux.gz`, st, read, `${dir}/cache`);
        const mem = Buffer.alloc(0x2000, 0xee);
        loadSegments(kernel.elf, kernel.image, mem);
        release();
        return { fromFile: !(kernel.image instanceof Uint8Array), mem, elf: kernel.elf };
      };
      const first = await load();
      expect([reads, first.fromFile]).toEqual([1, false]);
      const cached = (await readdir(`${dir}/cache`)).filter((n) => n.endsWith('.elf'));
      expect(cached).toHaveLength(1);
      const second = await load();
      expect([reads, second.fromFile]).toEqual([1, true]);
      expect(second.elf).toEqual(first.elf);
      expect(second.mem.equals(first.mem)).toBe(true);
      expect(second.mem.subarray(0, 18).toString()).toBe('CACHED-KERNEL-CODE');
      await writeFile(`${dir}/cache/${cached[0]}`, 'not an ELF');
      const third = await load();
      expect([reads, third.fromFile]).toEqual([2, false]);
      expect(third.mem.equals(first.mem)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
