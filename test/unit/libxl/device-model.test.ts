// The QEMU log rotation of libxl_create_logfile, and the BIOS type libxl writes for hvmloader.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dryRunCreate } from '../../../src/libxl/create-dry-run.js';
import { biosType, rotateLog } from '../../../src/libxl/device-model.js';

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
