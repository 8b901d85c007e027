// The QEMU log rotation of libxl_create_logfile, the BIOS type libxl writes for hvmloader, and a QEMU that exits
// before it is ready.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';
import { biosType, rotateLog, spawnDeviceModel } from '../../../src/libxl/device-model/device-model.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { FakeXenstored } from '../xenstore-client/fake-xenstored.js';

describe('qemu-dm log rotation', () => {
  it('keeps the file name, moves older logs up one and drops the eleventh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-log-'));
    expect(await rotateLog(dir, 'qemu-dm-g')).toBe(`${dir}/qemu-dm-g.log`);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(`${dir}/qemu-dm-g.log`, 'now');
    for (let i = 1; i <= 10; i++) writeFileSync(`${dir}/qemu-dm-g.log.${i}`, `old ${i}`);
    await rotateLog(dir, 'qemu-dm-g');
    expect(readFileSync(`${dir}/qemu-dm-g.log.1`, 'utf8')).toBe('now');
    expect(readFileSync(`${dir}/qemu-dm-g.log.2`, 'utf8')).toBe('old 1');
    expect(readFileSync(`${dir}/qemu-dm-g.log.10`, 'utf8')).toBe('old 9');
    expect(readdirSync(dir).sort()).toHaveLength(10);
  });
});

describe('hvmloader/bios', () => {
  const config = (extra: string[]) => dryRunCreate('/x/hvm.cfg', extra, {
    text: 'name="g"\ntype="hvm"\nmemory=64\n', host: { maxCpus: 2 },
  }).then((r) => r.config);
  it('is seabios unless the config names another', async () => {
    expect(biosType(await config([]))).toBe('seabios');
    expect(biosType(await config(['bios="ovmf"']))).toBe('ovmf');
  });
});

describe('spawnDeviceModel', () => {
  it('reports a QEMU that exits at once (before the log is closed) as exited, not as a timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-dm-'));
    const qemu = join(dir, 'qemu-fails');
    writeFileSync(qemu, '#!/bin/sh\necho "qemu: cannot set up guest memory" >&2\nexit 1\n');
    chmodSync(qemu, 0o755);
    const xsd = new FakeXenstored();
    const xs = await XenStore.connect({ path: await xsd.listen() });
    try {
      xsd.put('/local/domain/7/vm', '/vm/00000000-0000-4000-8000-000000000007');
      const { config } = await dryRunCreate('/x/hvm.cfg', [`device_model_override="${qemu}"`], {
        text: 'name="g"\ntype="hvm"\nmemory=64\n', host: { maxCpus: 2 },
      });
      for (let round = 0; round < 5; round++) {
        const err = await spawnDeviceModel(xs, { domid: 7, name: 'g', config, xenVersion: '4.17', timeoutSeconds: 20, logDir: dir })
          .then(() => null, (e: Error) => e.message);
        expect(err).toMatch(/^device model exited with status 1 before it was ready: qemu: cannot set up guest memory \(see /);
        expect(await xs.read('/local/domain/7/image/device-model-pid').catch(() => null)).toBe(null);
      }
    } finally {
      await xs.close();
      await xsd.close();
    }
  }, 30_000);
});
