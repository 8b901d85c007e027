import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderJson } from '../../../src/config-parser/model/json.js';
import { listDetails, parseJNode } from '../../../src/libxl/domain/domain-config.js';
import { domainInfo } from '../../../src/libxl/domain/domains.js';
import { fakeHost, uuidBytes, type FakeHost } from './fakes.js';

const UUID5 = '50515253-5455-5657-5859-5a5b5c5d5e5f';

/** A stored libxl-json as libxl writes it (abridged). */
const STORED = `{
    "c_info": {
        "type": "pv",
        "name": "old-name",
        "uuid": "${UUID5}",
        "run_hotplug_scripts": "True"
    },
    "b_info": {
        "max_vcpus": 2,
        "avail_vcpus": [
            0,
            1
        ],
        "max_memkb": 131072,
        "target_memkb": 131072,
        "video_memkb": 0,
        "sched_params": {

        },
        "shadow_memkb": 18446744073709551615
    },
    "disks": [
        {
            "pdev_path": "/tmp/d.img",
            "vdev": "xvda",
            "format": "raw",
            "readwrite": 1
        },
        {
            "pdev_path": "/tmp/gone.img",
            "vdev": "xvdb",
            "format": "raw",
            "readwrite": 1
        }
    ],
    "nics": [
        {
            "devid": 0,
            "mac": "00:16:3e:00:00:01"
        }
    ],
    "on_reboot": "restart"
}
`;

let host: FakeHost | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('JSON tree', () => {
  it('parse and render round-trip yajl text, keeping uint64 numbers exact', () => {
    expect(renderJson(parseJNode(STORED))).toBe(STORED);
    expect(() => parseJNode('{"a": }')).toThrow(SyntaxError);
    expect(() => parseJNode('[1] x')).toThrow(/trailing/);
  });
});

describe('xl list -l (libxl_retrieve_domain_configuration)', () => {
  it('refreshes name, uuid, vcpus, memory, scheduler, and drops devices gone from xenstore', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }, { domid: 5, name: 'new-name', handle: uuidBytes(5), sched: { weight: 512, cap: 0 } }]);
    const x = host.xsd;
    x.put('/local/domain/5/cpu/0/availability', 'online');
    x.put('/local/domain/5/cpu/1/availability', 'offline');
    x.put('/local/domain/5/memory/target', '65536');
    x.put('/local/domain/5/memory/static-max', '131072');
    x.put('/libxl/5/device/vbd/51712/backend', '/local/domain/0/backend/vbd/5/51712');
    x.put('/local/domain/0/backend/vbd/5/51712/dev', 'xvda');
    x.put('/libxl/5/device/vif/0/backend', '/local/domain/0/backend/vif/5/0');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-details-'));
    fs.writeFileSync(path.join(tmp, `userdata-d.5.${UUID5}.libxl-json`), STORED + '\0');
    const warnings: string[] = [];
    const d0 = (await domainInfo(host.ctx, 0))!;
    const d5 = (await domainInfo(host.ctx, 5))!;
    const text = await listDetails(host.ctx, [d0, d5], { libDir: tmp, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      'Domain 0: Fail to get domain configuration',
      'Domain 5: Device present in JSON but not in xenstore, ignored',
    ]);
    const j = JSON.parse(text);
    expect(j).toHaveLength(1);
    expect(j[0].domid).toBe(5);
    const cfg = j[0].config;
    expect(cfg.c_info).toEqual({ type: 'pv', name: 'new-name', uuid: UUID5, run_hotplug_scripts: 'True' });
    expect(cfg.b_info.avail_vcpus).toEqual([0]);
    expect(cfg.b_info.target_memkb).toBe(65536);
    expect(cfg.b_info.sched_params).toEqual({ sched: 'credit2', weight: 512, cap: 0 });
    expect(cfg.disks.map((d: { vdev: string }) => d.vdev)).toEqual(['xvda']);
    expect(cfg.nics).toHaveLength(1);
    expect(text).toContain('"shadow_memkb": 18446744073709551615');
    expect(text.startsWith('[\n    {\n        "domid": 5,\n        "config": {\n            "c_info": {')).toBe(true);
  });

  it('a stored config without video_memkb (dom0\'s) shows the target 1 KiB low, as the C uint64 sum does', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }]);
    host.xsd.put('/local/domain/0/memory/target', '1048576');
    host.xsd.put('/local/domain/0/memory/static-max', '1048576');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-details-'));
    fs.writeFileSync(path.join(tmp, 'userdata-d.0.00000000-0000-0000-0000-000000000000.libxl-json'),
      '{\n    "c_info": {\n        "type": "pv"\n    },\n    "b_info": {\n        "sched_params": {\n\n        }\n    }\n}\n\0');
    const j = JSON.parse(await listDetails(host.ctx, [(await domainInfo(host.ctx, 0))!], { libDir: tmp }));
    // The nil uuid is a default and stays out; max_memkb goes before target_memkb (IDL order).
    expect(j[0].config.c_info).toEqual({ type: 'pv', name: 'Domain-0' });
    expect(Object.keys(j[0].config.b_info)).toEqual(['max_memkb', 'target_memkb', 'sched_params']);
    expect(j[0].config.b_info.target_memkb).toBe(1048575);
  });

  it('no stored configs at all: an empty array', async () => {
    host = await fakeHost([{ domid: 0, name: 'Domain-0' }]);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-details-'));
    expect(await listDetails(host.ctx, [(await domainInfo(host.ctx, 0))!], { libDir: tmp })).toBe('[\n\n]\n\n');
  });
});
