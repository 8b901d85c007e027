// Disk specs per xl-disk-configuration(5), scanned like libxlu_disk_l.l.
import { describe, expect, it } from 'vitest';
import { DiskSpecParseError, parseDiskSpec } from '../../../src/config-parser/index.js';

const pick = (spec: string, version: '4.17' | '4.20' = '4.17') => {
  const d = parseDiskSpec(spec, version);
  return {
    pdev_path: d.pdev_path, vdev: d.vdev, format: d.format, readwrite: d.readwrite,
    is_cdrom: d.is_cdrom, removable: d.removable, backend: d.backend, script: d.script,
  };
};
const errOf = (spec: string, version: '4.17' | '4.20' = '4.17') => {
  try { parseDiskSpec(spec, version); } catch (e) { if (e instanceof DiskSpecParseError) return e.errors[0]; throw e; }
  throw new Error('expected an error');
};
const base = { removable: 0, is_cdrom: 0, backend: 'unknown', script: null };

describe('positional form', () => {
  it('target, format, vdev, access', () => {
    expect(pick('/dev/vg/guest-volume,raw,xvda,rw')).toEqual({ ...base, pdev_path: '/dev/vg/guest-volume', vdev: 'xvda', format: 'raw', readwrite: 1 });
    expect(pick('/srv/a.qcow2,qcow2,xvdb,ro')).toMatchObject({ format: 'qcow2', readwrite: 0 });
  });
  it('format defaults to raw and access to rw', () => {
    expect(pick('/srv/a.img,,xvda')).toMatchObject({ format: 'raw', readwrite: 1 });
  });
  it('without a prefix the second positional is the format', () => {
    expect(errOf('/dev/sda,xvda,w')).toMatchObject({ message: 'unknown value for format', near: 'xvda' });
  });
  it('too many positionals', () => {
    expect(errOf('/a,raw,xvda,w,extra').message).toBe('too many positional parameters');
  });
  it('bad access', () => {
    expect(errOf('/a,raw,xvda,rx').message).toBe('unknown value for access');
  });
});

describe('deprecated prefixes (xm era)', () => {
  it('phy: and file: only mark the spec as prefixed', () => {
    expect(pick('phy:/dev/vg/g,xvda,w')).toEqual({ ...base, pdev_path: '/dev/vg/g', vdev: 'xvda', format: 'raw', readwrite: 1 });
    expect(pick('file:/srv/g.img,hda,r')).toMatchObject({ pdev_path: '/srv/g.img', vdev: 'hda', readwrite: 0 });
  });
  it('tap:aio: and tap:qcow2:', () => {
    expect(pick('tap:aio:/srv/g.img,xvda,w')).toMatchObject({ pdev_path: '/srv/g.img', format: 'raw' });
    expect(pick('tap:qcow2:/srv/g.qcow2,xvda,w')).toMatchObject({ pdev_path: '/srv/g.qcow2', format: 'qcow2' });
    expect(pick('tap2:vhd:/srv/g.vhd,xvda,w')).toMatchObject({ format: 'vhd' });
  });
  it('iscsi:, nbd:, enbd:, drbd: set a block script; the rest is the target', () => {
    expect(pick('iscsi:iqn.2001-05.com.example:t1,xvda,w')).toMatchObject({ script: 'block-iscsi', pdev_path: 'iqn.2001-05.com.example:t1' });
    expect(pick('nbd:192.0.2.1:10809,xvdb,w')).toMatchObject({ script: 'block-nbd', pdev_path: '192.0.2.1:10809', vdev: 'xvdb' });
  });
  it('an unknown prefix is an error', () => {
    expect(errOf('floppy:/dev/fd0,xvda,w')).toMatchObject({ message: 'unknown deprecated disk prefix', near: 'floppy:' });
  });
  it('a colon not followed by / is part of the value (vdev:devtype)', () => {
    expect(pick('phy:/dev/x,hdc:cdrom,r')).toMatchObject({ vdev: 'hdc', is_cdrom: 1, removable: 1, readwrite: 0 });
    expect(pick('file:/x.iso,6:cdrom,r')).toMatchObject({ vdev: '6', is_cdrom: 1 });
    expect(pick('phy:/dev/x,xvda:disk,w')).toMatchObject({ vdev: 'xvda', is_cdrom: 0 });
  });
});

describe('key=value form', () => {
  it('format, vdev, access, target (target last, eating commas)', () => {
    expect(pick('format=qcow2, vdev=xvdb, access=r, target=/srv/a,b:c.img')).toEqual({
      ...base, pdev_path: '/srv/a,b:c.img', vdev: 'xvdb', format: 'qcow2', readwrite: 0,
    });
  });
  it('devtype=cdrom and the cdrom flag', () => {
    expect(pick('vdev=hdc,devtype=cdrom,target=/x.iso')).toMatchObject({ is_cdrom: 1, removable: 1, readwrite: 0, format: 'raw' });
    expect(pick('vdev=hdc,cdrom')).toMatchObject({ is_cdrom: 1, format: 'empty', pdev_path: null });
  });
  it('empty cdrom in positional form gets format empty', () => {
    expect(pick(',,hdc:cdrom,r')).toMatchObject({ pdev_path: '', vdev: 'hdc', format: 'empty', is_cdrom: 1 });
    expect(pick(',hdc:cdrom,r')).toMatchObject({ pdev_path: '', vdev: 'hdc', format: 'empty', is_cdrom: 1 });
  });
  it('backendtype, backend, script, specification', () => {
    const d = parseDiskSpec('backendtype=qdisk,backend=dd,script=block-drbd,specification=virtio,vdev=xvda,target=r0');
    expect([d.backend, d.backend_domname, d.script, d.specification]).toEqual(['qdisk', 'dd', 'block-drbd', 'virtio']);
  });
  it('flags: discard, no-discard, direct-io-safe, trusted, colo', () => {
    const d = parseDiskSpec('vdev=xvda,discard,direct-io-safe,untrusted,colo,colo-port=9000,target=/a', '4.20');
    expect([d.discard_enable, d.direct_io_safe, d.trusted, d.colo_enable, d.colo_port]).toEqual([true, true, false, true, 9000]);
    expect(parseDiskSpec('vdev=xvda,trusted,target=/a', '4.20').trusted).toBe(true);
    expect(parseDiskSpec('no-discard,vdev=xvda,target=/a').discard_enable).toBe(false);
  });
  it('4.17 (its stale generated lexer) reads trusted/untrusted as positional words', () => {
    expect(parseDiskSpec('vdev=xvda,untrusted', '4.17')).toMatchObject({ pdev_path: 'untrusted', vdev: 'xvda', trusted: null });
    expect(() => parseDiskSpec('vdev=xvda,untrusted,target=/a', '4.17')).toThrow(/target respecified/);
  });
  it('whitespace before parameters is skipped', () => {
    expect(pick('  vdev=xvda,\ttarget=/a')).toMatchObject({ vdev: 'xvda', pdev_path: '/a' });
  });
  it('unknown parameters are errors (libxlu shows one character of the value)', () => {
    expect(errOf('vdev=xvda,colour=red,target=/x')).toMatchObject({ message: 'unknown parameter', near: 'colour=r' });
  });
  it('respecified values are errors', () => {
    expect(errOf('vdev=xvda,vdev=xvdb,target=/a').message).toBe('vdev respecified');
    expect(errOf('format=raw,format=qcow2,vdev=x,target=/a').message).toBe('format respecified');
  });
  it('no vdev / no target', () => {
    expect(errOf('target=/a').message).toBe('no vdev specified');
    expect(errOf('vdev=xvda').message).toBe('no target specified (and device not removable)');
  });
  it('grant_usage= exists from 4.20 only', () => {
    expect(parseDiskSpec('grant_usage=1,vdev=xvda,target=/a', '4.20').grant_usage).toBe(true);
    expect(errOf('grant_usage=1,vdev=xvda,target=/a', '4.17').message).toBe('bad disk syntax');
  });
  it('several specs fill one disk (xlu_disk_parse with nspecs > 1)', () => {
    expect(parseDiskSpec(['vdev=xvda', 'target=/a']).pdev_path).toBe('/a');
  });
});
