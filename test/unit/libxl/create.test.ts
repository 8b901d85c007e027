// libxl create without Xen: what it reads from the config model, the device
// refusal, and the saved libxl-json (compared with a file the C libxl 4.17
// wrote for the lab's pv.cfg).
import { describe, expect, it } from 'vitest';
import { dryRunCreate } from '../../../src/libxl/create-dry-run.js';
import { configDevices, savedConfigJson, viewConfig } from '../../../src/libxl/create.js';

const PV_CFG = [
  'name = "lab-pv"', 'type = "pv"', 'kernel = "/lab/guests/vmlinuz"', 'ramdisk = "/lab/guests/initrd.gz"',
  'cmdline = "console=hvc0 loglevel=4"', 'memory = 128', 'vcpus = 1', '',
].join('\n');

const build = (text: string, overrides: string[] = []) =>
  dryRunCreate('/lab/guests/pv.cfg', overrides, { text, host: { maxCpus: 2 } }).then((r) => r.config);

describe('createPvDomain inputs', () => {
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
