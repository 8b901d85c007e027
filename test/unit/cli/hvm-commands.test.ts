// xl trigger, button-press, qemu-monitor-command, cd-insert, cd-eject and
// vncviewer (C xl_misc.c, xl_cdrom.c, xl_console.c) end to end over the
// fakes: the C xl's messages and exit statuses, what reaches Xen, QEMU
// (a fake QMP socket where libxl looks for it) and xenstore.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Target } from '../../../src/cli/types.js';
import { renderJson, type JNode } from '../../../src/config-parser/index.js';
import { PrivcmdError } from '../../../src/privcmd/errors.js';
import { putDisk } from '../libxl/device-nodes.js';
import { FakeQemu } from '../libxl/fake-qemu.js';
import { fakeHost, uuidBytes, type FakeHost } from '../libxl/fakes.js';
import { runMain } from './capture.js';
import { releaseHost, useHost } from './fake-context.js';

// libxl's run and lib directories, where our xl looks for QMP sockets and saved configs.
const dirs = vi.hoisted(() => ({ root: `${process.env.TMPDIR ?? '/tmp'}/xl-hvm-cli-${process.pid}` }));
vi.mock('../../../src/libxl/paths.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/libxl/paths.js')>();
  return {
    ...real,
    XEN_RUN_DIR: dirs.root,
    XEN_LIB_DIR: dirs.root,
    userdataPath: (domid: number, uuid: string, libDir = dirs.root) => real.userdataPath(domid, uuid, libDir),
  };
});

vi.mock('../../../src/libxl/context.js', async (importOriginal) => (await import('./fake-context.js')).contextModule(importOriginal));

const T17: Target = { xen: '4.17', arch: 'x86', source: 'env' };
const T20: Target = { xen: '4.20', arch: 'x86', source: 'env' };
const xl = (args: string[], target = T17) => runMain(args, { target });

const UUID5 = '50515253-5455-5657-5859-5a5b5c5d5e5f';
const HVM = 2;
const CD = 5632;
const WARNING = 'WARNING: "button-press" is deprecated. Please use "trigger"\n';

let host: FakeHost | undefined;
let qemu: FakeQemu | undefined;
let triggers: { domid: number; trigger: number; vcpu: number }[] = [];

beforeAll(() => fs.mkdirSync(dirs.root, { recursive: true }));
afterAll(() => fs.rmSync(dirs.root, { recursive: true, force: true }));

beforeEach(async () => {
  host = useHost(await fakeHost([
    { domid: 0, name: 'Domain-0' },
    { domid: 5, name: 'g', flags: HVM, handle: uuidBytes(5) },
    { domid: 7, name: 'p', handle: uuidBytes(7) },
  ]));
  const x = host.xsd;
  x.put('/libxl/5/type', 'hvm');
  x.put('/libxl/5/dm-version', 'qemu_xen');
  x.put('/local/domain/5/image/device-model-pid', '4242');
  x.put('/libxl/7/type', 'pv');
  // Xen's sendtrigger: power and sleep only for HVM guests.
  triggers = [];
  const xen = host.xen;
  const issue = xen.issue.bind(xen);
  xen.issue = (op, args, what) => {
    const b = op === 36 ? xen.mem.at(args[0], 144) : null;
    if (b && b.readUInt32LE(0) === 28) {
      const t = { domid: b.readUInt16LE(8), trigger: b.readUInt32LE(16), vcpu: b.readUInt32LE(20) };
      if ((t.trigger === 3 || t.trigger === 4) && t.domid !== 5) throw new PrivcmdError(22, what);
      triggers.push(t);
      return 0;
    }
    return issue(op, args, what);
  };
  qemu = await new FakeQemu(5, dirs.root).listen();
});

afterEach(async () => {
  await releaseHost();
  await qemu?.close();
  host = qemu = undefined;
});

// -- trigger / button-press ---------------------------------------------------------

describe('trigger', () => {
  it('sends the trigger to vcpu 0, or the one given; exit 0 and nothing printed', async () => {
    expect(await xl(['trigger', 'g', 'nmi'])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(await xl(['trigger', '5', 'INIT', '1'])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(triggers).toEqual([{ domid: 5, trigger: 0, vcpu: 0 }, { domid: 5, trigger: 2, vcpu: 1 }]);
  });

  it('a VCPU that is no number: warned about, vcpu 0', async () => {
    expect(await xl(['trigger', 'g', 'reset', 'one'])).toEqual({ stdout: '', stderr: 'Invalid vcpuid, using default vcpuid=0.\n\n', status: 0 });
    expect(await xl(['trigger', 'g', 'reset', '0x3'])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(triggers.map((t) => t.vcpu)).toEqual([0, 0]);
  });

  it('an unknown trigger name: exit 1, after the domain was found', async () => {
    expect(await xl(['trigger', 'g', 'bogus'])).toEqual({ stdout: '', stderr: 'Invalid trigger "bogus"\n', status: 1 });
    expect(await xl(['trigger', 'nosuch', 'bogus'])).toEqual({ stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n', status: 1 });
    expect(triggers).toEqual([]);
  });

  it("libxl's failure is logged but the exit status stays 0", async () => {
    expect(await xl(['trigger', 'p', 'power'])).toEqual({
      stdout: '', stderr: "libxl: error: Domain 7:Send trigger 'power' failed: Invalid argument\n", status: 0,
    });
    expect(await xl(['trigger', 'g', 'unknown'])).toEqual({
      stdout: '', stderr: "libxl: error: Domain 5:Send trigger 'unknown' failed: Invalid argument\n", status: 0,
    });
  });

  it('s3resume goes to QEMU; its complaint and libxl\'s rc line are printed, exit 0', async () => {
    qemu!.handlers.system_wakeup = () => ({ error: { class: 'GenericError', desc: 'Unable to wake up: guest is not in suspended state' } });
    expect(await xl(['trigger', 'g', 's3resume'])).toEqual({
      stdout: '',
      stderr: 'libxl: error: Domain 5:Unable to wake up: guest is not in suspended state\n' +
        "libxl: error: Domain 5:Send trigger 's3resume' failed, rc=-28\n",
      status: 0,
    });
    expect(qemu!.commands).toEqual(['qmp_capabilities', 'system_wakeup']);
  });

  it('usage errors as the C xl', async () => {
    const r = await xl(['trigger', 'g']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("'xl trigger' requires at least 2 arguments.\n\n");
  });
});

describe('button-press', () => {
  it('warns that it is deprecated, then sends the power or sleep trigger', async () => {
    expect(await xl(['button-press', 'g', 'power'])).toEqual({ stdout: '', stderr: WARNING, status: 0 });
    expect(await xl(['button-press', 'g', 'sleep'], T20)).toEqual({ stdout: '', stderr: WARNING, status: 0 });
    expect(triggers).toEqual([{ domid: 5, trigger: 3, vcpu: 0 }, { domid: 5, trigger: 4, vcpu: 0 }]);
  });

  it('other buttons are refused (exit 1); the warning comes even before usage errors and help', async () => {
    expect(await xl(['button-press', 'g', 'nmi'])).toEqual({ stdout: '', stderr: `${WARNING}nmi is an invalid button identifier\n`, status: 1 });
    const u = await xl(['button-press', 'g']);
    expect(u.status).toBe(2);
    expect(u.stderr).toBe(`${WARNING}'xl button-press' requires at least 2 arguments.\n\n`);
    const h = await xl(['button-press', '-h']);
    expect([h.status, h.stderr]).toEqual([0, WARNING]);
    expect(h.stdout).toMatch(/^Usage: xl \[-vtTf\] button-press <Domain> <Button>\n/);
    expect(triggers).toEqual([]);
  });

  it('a PV guest has no ACPI button: logged, exit 0', async () => {
    expect(await xl(['button-press', 'p', 'power'])).toEqual({
      stdout: '', stderr: `${WARNING}libxl: error: Domain 7:Send trigger 'power' failed: Invalid argument\n`, status: 0,
    });
  });
});

// -- qemu-monitor-command -------------------------------------------------------------

describe('qemu-monitor-command', () => {
  it("prints QEMU's output and a newline", async () => {
    qemu!.handlers['human-monitor-command'] = (a) => ({ return: a?.['command-line'] === 'info status' ? 'VM status: paused\r\n' : '' });
    expect(await xl(['qemu-monitor-command', 'g', 'info status'])).toEqual({ stdout: 'VM status: paused\r\n\n', stderr: '', status: 0 });
    expect(await xl(['qemu-monitor-command', 'g', 'stop'])).toEqual({ stdout: '\n', stderr: '', status: 0 });
    expect(qemu!.received.filter((r) => r.execute === 'human-monitor-command').map((r) => r.arguments))
      .toEqual([{ 'command-line': 'info status' }, { 'command-line': 'stop' }]);
  });

  it('one word too many: "Invalid arguments."', async () => {
    expect(await xl(['qemu-monitor-command', 'g', 'info', 'status'])).toEqual({ stdout: '', stderr: 'Invalid arguments.\n', status: 1 });
    expect(qemu!.received).toEqual([]);
  });

  it('no QEMU for the domain: the connect error, exit 1', async () => {
    expect(await xl(['qemu-monitor-command', 'p', 'info status'])).toEqual({
      stdout: '',
      stderr: `libxl: error: Domain 7:Failed to connect to QMP socket ${dirs.root}/qmp-libxl-7: No such file or directory\n`,
      status: 1,
    });
  });
});

// -- cd-insert / cd-eject ------------------------------------------------------------------

function cdrom(): { be: string; libxl: string; cfgPath: string; iso: string } {
  const x = host!.xsd;
  putDisk(x, { domid: 5, vdev: 'xvda' });
  const iso = join(dirs.root, 'cd1.iso');
  fs.writeFileSync(iso, 'one');
  const cd = putDisk(x, { domid: 5, devid: CD, vdev: 'hdc', type: 'qdisk', params: `aio:${iso}` });
  for (const dir of [cd.be, cd.libxl]) {
    x.put(`${dir}/device-type`, 'cdrom');
    x.put(`${dir}/mode`, 'r');
  }
  const str = (v: string): JNode => ({ t: 'str', v });
  const cfg: JNode = {
    t: 'map', entries: [
      ['c_info', { t: 'map', entries: [['type', str('hvm')], ['name', str('g')], ['uuid', str(UUID5)]] }],
      ['disks', { t: 'arr', items: [
        { t: 'map', entries: [['pdev_path', str('/x.img')], ['vdev', str('xvda')]] },
        { t: 'map', entries: [['pdev_path', str(iso)], ['vdev', str('hdc')], ['is_cdrom', { t: 'num', v: '1' }]] },
      ] }],
    ],
  };
  const cfgPath = join(dirs.root, `userdata-d.5.${UUID5}.libxl-json`);
  fs.writeFileSync(cfgPath, `${renderJson(cfg)}\0`);
  return { ...cd, cfgPath, iso };
}

describe('cd-insert / cd-eject', () => {
  it('cd-insert: QEMU gets the new medium through an fdset, xenstore and the saved config follow; exit 0', async () => {
    const cd = cdrom();
    const iso2 = join(dirs.root, 'cd2.iso');
    fs.writeFileSync(iso2, 'two');
    qemu!.handlers['add-fd'] = () => ({ return: { 'fdset-id': 2, fd: 30 } });
    expect(await xl(['cd-insert', 'g', 'hdc', iso2])).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(qemu!.commands).toEqual(['qmp_capabilities', 'query-version', 'eject', 'add-fd', 'blockdev-change-medium']);
    expect(qemu!.received[4].arguments).toEqual({ id: 'ide-5632', filename: '/dev/fdset/2', format: 'raw' });
    expect(host!.xsd.get(`${cd.be}/params`)).toBe(`aio:${iso2}`);
    expect(host!.xsd.get(`${cd.libxl}/params`)).toBe(`aio:${iso2}`);
    const saved = JSON.parse(fs.readFileSync(cd.cfgPath, 'utf8').replace(/\0$/, '')) as { disks: { vdev: string; pdev_path: string }[] };
    expect(saved.disks.map((d) => [d.vdev, d.pdev_path])).toEqual([['xvda', '/x.img'], ['hdc', iso2]]);
  });

  it('cd-eject: the drive empties (4.20 too)', async () => {
    const cd = cdrom();
    expect(await xl(['cd-eject', 'g', 'hdc'], T20)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(qemu!.commands).toEqual(['qmp_capabilities', 'query-version', 'eject']);
    expect(host!.xsd.get(`${cd.be}/params`)).toBe('');
    expect(host!.xsd.get(`${cd.libxl}/type`)).toBe('qdisk');
  });

  it('a file that cannot be stat\'ed is refused before libxl is asked', async () => {
    cdrom();
    expect(await xl(['cd-insert', 'g', 'hdc', '/nonexistent/x.iso'])).toEqual({ stdout: '', stderr: 'Cannot stat file: /nonexistent/x.iso\n', status: 1 });
    expect(qemu!.received).toEqual([]);
  });

  it("libxl's refusals: its log line, exit 1", async () => {
    const cd = cdrom();
    expect(await xl(['cd-eject', 'p', 'hdc'])).toEqual({ stdout: '', stderr: 'libxl: error: Domain 7:cdrom-insert requires an HVM domain\n', status: 1 });
    expect(await xl(['cd-insert', 'g', 'xvda', cd.iso])).toEqual({ stdout: '', stderr: 'libxl: error: Domain 5:Virtual device not found\n', status: 1 });
    expect(await xl(['cd-eject', 'g', 'hdd'])).toEqual({ stdout: '', stderr: 'libxl: error: Domain 5:Virtual device not found\n', status: 1 });
    qemu!.handlers.eject = () => ({ error: { class: 'DeviceNotFound', desc: "Device 'ide-5632' not found" } });
    expect(await xl(['cd-eject', 'g', 'hdc'])).toEqual({ stdout: '', stderr: "libxl: error: Domain 5:Device 'ide-5632' not found\n", status: 1 });
  });

  it('a bad disk spec is xlu_disk_parse\'s error; usage as the C xl', async () => {
    const r = await xl(['cd-insert', 'g', 'hdc,bogus=1', '/x']);
    expect([r.status, r.stderr]).toEqual([1, "command line: config parsing error in disk specification: unknown parameter: near `bogus=1,' in `vdev=hdc,bogus=1,access=r,devtype=cdrom,target=/x'\n"]);
    const u = await xl(['cd-insert', 'g', 'hdc']);
    expect([u.status, u.stderr]).toEqual([2, "'xl cd-insert' requires at least 3 arguments.\n\n"]);
  });
});

// -- vncviewer --------------------------------------------------------------------------

describe('vncviewer', () => {
  it('no VNC server: libxl says so, exit 1', async () => {
    expect(await xl(['vncviewer', 'g'])).toEqual({ stdout: '', stderr: 'libxl: error: Domain 5:Cannot get vnc-port\n', status: 1 });
  });

  it('runs $VNCVIEWER with host:display (and -autopass, the password on stdin); its exit status is ours', async () => {
    host!.xsd.put('/local/domain/5/console/vnc-port', '5902');
    host!.xsd.put('/local/domain/5/console/vnc-listen', '127.0.0.1');
    host!.xsd.put('/local/domain/5/console/vnc-pass', 'pw');
    const viewer = join(dirs.root, 'viewer');
    const log = join(dirs.root, 'viewer.log');
    fs.writeFileSync(viewer, `#!/bin/sh\necho "$*" >> ${log}\n[ "$2" = -autopass ] && cat >> ${log}\nexit 7\n`, { mode: 0o755 });
    vi.stubEnv('VNCVIEWER', viewer);
    expect(await xl(['vncviewer', 'g'])).toEqual({ stdout: '', stderr: '', status: 7 });
    expect(await xl(['vncviewer', '--autopass', 'g'])).toEqual({ stdout: '', stderr: '', status: 7 });
    expect(fs.readFileSync(log, 'utf8')).toBe('127.0.0.1:2\n127.0.0.1:2 -autopass\npw');
  });

  it('a viewer that cannot be run: libxl\'s exec error, exit 255', async () => {
    host!.xsd.put('/local/domain/5/console/vnc-port', '5900');
    vi.stubEnv('VNCVIEWER', join(dirs.root, 'nosuch-viewer'));
    expect(await xl(['vncviewer', 'g'])).toEqual({
      stdout: '', stderr: `libxl: cannot execute ${join(dirs.root, 'nosuch-viewer')}: No such file or directory\n`, status: 255,
    });
  });
});
