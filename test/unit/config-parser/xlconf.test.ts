// xl.conf settings that shape the domain config, and the global affinity masks.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseXlConf } from '../../../src/config-parser/index.js';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';

describe('parseXlConf', () => {
  it('reads the settings xl uses, new names winning over deprecated ones', () => {
    const { conf, warnings } = parseXlConf('run_hotplug_scripts=0\nvifscript="old"\nvif.default.script="vif-bridge"\nvif.default.bridge="xenbr0"\nclaim_mode=0\nmax_grant_frames=64\nvm.cpumask="0-3"\nautoballoon="off"\nbogus=1\n');
    expect(conf).toEqual({ runHotplugScripts: false, vifScript: 'vif-bridge', bridge: 'xenbr0', claimMode: false, maxGrantFrames: 64, vmCpumask: '0-3', autoballoon: 'off' });
    expect(warnings.map((w) => w.message)).toEqual([
      'the global config option vifscript is deprecated, please switch to vif.default.script',
      "unknown xl.conf setting `bogus' ignored",
    ]);
  });
  it('the upstream xl.conf (all comments) changes nothing', () => {
    expect(parseXlConf('#autoballoon="auto"\n#run_hotplug_scripts=1\n').conf).toEqual({});
  });
});

describe('global affinity masks in create -n', () => {
  const text = 'name = "a"\nkernel = "/k"\nvcpus = 2\n';
  it('full masks change nothing', async () => {
    const r = await dryRunCreate('a.cfg', [], { text, generateUuid: () => '00000000-0000-4000-8000-000000000000' });
    expect(JSON.parse(r.json).b_info.vcpu_hard_affinity).toBeUndefined();
  });
  it('vm.cpumask gives every vCPU a masked map', async () => {
    const r = await dryRunCreate('a.cfg', [], { text, host: { maxCpus: 4 }, globals: { vmCpumask: '1-2' }, generateUuid: () => '00000000-0000-4000-8000-000000000000' });
    expect(JSON.parse(r.json).b_info.vcpu_hard_affinity).toEqual([[1, 2], [1, 2]]);
  });
  it('an empty hard affinity stops xl (cpus= beyond the host)', async () => {
    const err = await dryRunCreate('a.cfg', [], { text: text + 'cpus = "9"\n', host: { maxCpus: 4 } }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/vcpu hard affinity map is empty/);
    await expect(dryRunCreate('a.cfg', [], { text: text + 'cpus = "9"\n', host: { maxCpus: 4 }, ignoreGlobalAffinityMasks: true })).resolves.toBeDefined();
  });
});
