// libxl's triggers, QMP HMP command, cd drive changes and VNC viewer command
// (libxl_send_trigger, libxl_qemu_monitor_command, libxl_cdrom_insert,
// libxl_vncviewer_exec of 4.17 and 4.20) over FakeXen, FakeXenstored and a
// fake QEMU monitor: the hypercalls, the QMP lines sent, the xenstore nodes
// and saved config written, and libxl's error lines.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDiskSpec, renderJson, type JNode } from '../../../src/config-parser/index.js';
import { rightsControl, sendWithFd } from '../../../src/privcmd/fd-passing.js';
import { cdromInsert, type CdromOptions } from '../../../src/libxl/devices/cdrom.js';
import { execVncviewer, qemuMonitorCommand, vncviewerCommand } from '../../../src/libxl/device-model/hvm-control.js';
import { QMP_FIRST_ID, QmpSession } from '../../../src/libxl/device-model/qmp-session.js';
import { sendTrigger, triggerFromString } from '../../../src/libxl/domain/shutdown.js';
import { LibxlError } from '../../../src/libxl/xs-util.js';
import { PrivcmdError } from '../../../src/privcmd/errors.js';
import { putDisk } from './device-nodes.js';
import { FakeQemu } from './fake-qemu.js';
import { fakeHost, uuidBytes, type FakeHost } from './fakes.js';

const UUID5 = '50515253-5455-5657-5859-5a5b5c5d5e5f';
const HVM = 2; // XEN_DOMINF_hvm_guest

let host: FakeHost | undefined;
let qemu: FakeQemu | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await host?.close();
  await qemu?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  host = qemu = tmp = undefined;
});

interface Trig { domid: number; trigger: number; vcpu: number }
interface Param { domid: number; index: number; value: bigint }

/** FakeXen answers sendtrigger (domctl 28) and HVMOP_set_param too; power/sleep need an HVM guest, as in Xen. */
function withTriggers(h: FakeHost): { triggers: Trig[]; params: Param[] } {
  const triggers: Trig[] = [];
  const params: Param[] = [];
  const xen = h.xen;
  const issue = xen.issue.bind(xen);
  xen.issue = (op, args, what) => {
    if (op === 36) {
      const b = xen.mem.at(args[0], 144);
      if (b.readUInt32LE(0) === 28) {
        const t = { domid: b.readUInt16LE(8), trigger: b.readUInt32LE(16), vcpu: b.readUInt32LE(20) };
        const dom = xen.cfg.domains?.find((d) => d.domid === t.domid);
        if (!dom) throw new PrivcmdError(3, what);
        if ((t.trigger === 3 || t.trigger === 4) && !((dom.flags ?? 0) & HVM)) throw new PrivcmdError(22, what);
        triggers.push(t);
        return 0;
      }
    }
    if (op === 34 && args[0] === 0n) { // hvm_op set_param: domid@0 index@4 value@8
      const b = xen.mem.at(args[1], 16);
      params.push({ domid: b.readUInt16LE(0), index: b.readUInt32LE(4), value: b.readBigUInt64LE(8) });
      return 0;
    }
    return issue(op, args, what);
  };
  return { triggers, params };
}

async function hvmHost(dm: string | null = 'qemu_xen', type = 'hvm') {
  host = await fakeHost([
    { domid: 0, name: 'Domain-0' },
    { domid: 5, name: 'g', flags: HVM, handle: uuidBytes(5) },
    { domid: 7, name: 'pv', handle: uuidBytes(7) },
  ]);
  host.xsd.put('/libxl/5/type', type);
  if (dm !== null) host.xsd.put('/libxl/5/dm-version', dm);
  host.xsd.put('/local/domain/5/image/device-model-pid', '4242');
  host.xsd.put('/libxl/7/type', 'pv');
  return host;
}

async function fakeQemu(domid = 5): Promise<FakeQemu> {
  qemu = await new FakeQemu(domid).listen();
  return qemu;
}

const errorOf = async (p: Promise<unknown>): Promise<LibxlError> => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(LibxlError);
  return e as LibxlError;
};

// -- triggers -------------------------------------------------------------------

describe('libxl_send_trigger', () => {
  it('names: libxl_trigger_from_string ignores case and knows "unknown"', () => {
    expect(['nmi', 'NMI', 'Power', 's3resume', 'unknown', 'bogus', ''].map(triggerFromString))
      .toEqual(['nmi', 'nmi', 'power', 's3resume', 'unknown', null, null]);
  });

  it('sends XEN_DOMCTL_sendtrigger with the domctl number of each trigger and the vcpu', async () => {
    const h = await hvmHost();
    const { triggers } = withTriggers(h);
    for (const t of ['nmi', 'reset', 'init', 'power', 'sleep'] as const) await sendTrigger(h.ctx, 5, t, 0);
    await sendTrigger(h.ctx, 5, 'nmi', 1);
    await sendTrigger(h.ctx, 5, 'nmi', -1); // strtol's -1 reaches Xen as 0xffffffff
    expect(triggers).toEqual([
      { domid: 5, trigger: 0, vcpu: 0 }, { domid: 5, trigger: 1, vcpu: 0 }, { domid: 5, trigger: 2, vcpu: 0 },
      { domid: 5, trigger: 3, vcpu: 0 }, { domid: 5, trigger: 4, vcpu: 0 }, { domid: 5, trigger: 0, vcpu: 1 },
      { domid: 5, trigger: 0, vcpu: 0xffffffff },
    ]);
  });

  it('reset is the domctl too, not QEMU (libxl 4.17/4.20 send no QMP for it)', async () => {
    const h = await hvmHost();
    const { triggers } = withTriggers(h);
    await sendTrigger(h.ctx, 5, 'reset');
    expect(triggers).toEqual([{ domid: 5, trigger: 1, vcpu: 0 }]);
  });

  it("logs Xen's refusal as libxl does, with strerror", async () => {
    const h = await hvmHost();
    withTriggers(h);
    const e = await errorOf(sendTrigger(h.ctx, 7, 'power'));
    expect(e.message).toBe("Domain 7:Send trigger 'power' failed: Invalid argument");
    expect(e.rc).toBe(-3);
    expect((await errorOf(sendTrigger(h.ctx, 9, 'nmi'))).message).toBe("Domain 9:Send trigger 'nmi' failed: No such process");
  });

  it('"unknown" reaches no hypercall: EINVAL', async () => {
    const h = await hvmHost();
    const { triggers } = withTriggers(h);
    expect((await errorOf(sendTrigger(h.ctx, 5, 'unknown'))).message).toBe("Domain 5:Send trigger 'unknown' failed: Invalid argument");
    expect(triggers).toEqual([]);
  });

  it('s3resume with qemu-xen asks QEMU for system_wakeup', async () => {
    const h = await hvmHost();
    const q = await fakeQemu();
    const { triggers, params } = withTriggers(h);
    await sendTrigger(h.ctx, 5, 's3resume', 0, { qmp: { runDir: q.runDir } });
    expect(q.commands).toEqual(['qmp_capabilities', 'system_wakeup']);
    expect(triggers).toEqual([]);
    expect(params).toEqual([]);
  });

  it("s3resume: QEMU's error, then libxl's rc line", async () => {
    const h = await hvmHost();
    const q = await fakeQemu();
    q.handlers.system_wakeup = () => ({ error: { class: 'GenericError', desc: 'Unable to wake up: guest is not in suspended state' } });
    const e = await errorOf(sendTrigger(h.ctx, 5, 's3resume', 0, { qmp: { runDir: q.runDir } }));
    expect(e.message).toBe("Domain 5:Unable to wake up: guest is not in suspended state\nDomain 5:Send trigger 's3resume' failed, rc=-28");
    expect(e.rc).toBe(-28);
  });

  it('s3resume with qemu-traditional sets HVM_PARAM_ACPI_S_STATE to 0', async () => {
    const h = await hvmHost(null);
    const { params } = withTriggers(h);
    await sendTrigger(h.ctx, 5, 's3resume');
    expect(params).toEqual([{ domid: 5, index: 14, value: 0n }]);
  });

  it('s3resume of a PV guest or with a bad dm-version is INVAL', async () => {
    const h = await hvmHost('qemu_nonsense');
    expect((await errorOf(sendTrigger(h.ctx, 7, 's3resume'))).message).toBe("Domain 7:Send trigger 's3resume' failed, rc=-6");
    expect((await errorOf(sendTrigger(h.ctx, 5, 's3resume'))).message)
      .toBe("Domain 5:fatal: /libxl/5/dm-version contain a wrong value (qemu_nonsense)\nDomain 5:Send trigger 's3resume' failed, rc=-6");
    expect((await errorOf(sendTrigger(h.ctx, 9, 's3resume'))).message)
      .toBe("unable to get domain type for domid=9\nDomain 9:Send trigger 's3resume' failed, rc=-6");
  });
});

// -- QMP --------------------------------------------------------------------------

describe('QMP as libxl__ev_qmp speaks it', () => {
  it('human-monitor-command: capabilities first, libxl ids, CRLF lines; the output comes back', async () => {
    const q = await fakeQemu();
    q.handlers['human-monitor-command'] = (a) => ({ return: `ran ${String(a?.['command-line'])}\r\n` });
    expect(await qemuMonitorCommand(5, 'info status', { runDir: q.runDir })).toBe('ran info status\r\n');
    expect(q.received.map((r) => r.line)).toEqual([
      `{"execute":"qmp_capabilities","id":${QMP_FIRST_ID}}\r\n`,
      `{"execute":"human-monitor-command","id":${QMP_FIRST_ID + 1},"arguments":{"command-line":"info status"}}\r\n`,
    ]);
  });

  it('no QEMU: the connect failure as libxl logs it', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-qmp-'));
    const e = await errorOf(qemuMonitorCommand(5, 'info status', { runDir: tmp }));
    expect(e.message).toBe(`Domain 5:Failed to connect to QMP socket ${tmp}/qmp-libxl-5: No such file or directory`);
    expect(e.rc).toBe(-3);
  });

  it('a QMP error: its desc, and the rc of its class (unknown classes said so)', async () => {
    const q = await fakeQemu();
    q.handlers['human-monitor-command'] = () => ({ error: { class: 'CommandNotFound', desc: 'The command foo has not been found' } });
    let e = await errorOf(qemuMonitorCommand(5, 'x', { runDir: q.runDir }));
    expect([e.message, e.rc]).toEqual(['Domain 5:The command foo has not been found', -29]);
    q.handlers['human-monitor-command'] = () => ({ error: { class: 'KVMMissingCap', desc: 'no' } });
    e = await errorOf(qemuMonitorCommand(5, 'x', { runDir: q.runDir }));
    expect([e.message, e.rc]).toEqual(["Unknown QMP error class 'KVMMissingCap'\nDomain 5:no", -27]);
  });

  it('a reply that is not a string is QEMU_API; a hang-up is a broken connection', async () => {
    const q = await fakeQemu();
    q.handlers['human-monitor-command'] = () => ({ return: {} });
    let e = await errorOf(qemuMonitorCommand(5, 'x', { runDir: q.runDir }));
    expect([e.message, e.rc]).toEqual(['Domain 5:Response has unexpected format', -32]);
    q.handlers['human-monitor-command'] = () => ({ hangup: true });
    e = await errorOf(qemuMonitorCommand(5, 'x', { runDir: q.runDir }));
    expect([e.message, e.rc]).toEqual(['Domain 5:Unexpected EOF on QMP socket\nDomain 5:Error happened with the QMP connection to QEMU', -26]);
  });

  it('one connection for several commands; the version from the greeting', async () => {
    const q = await fakeQemu();
    q.version = { major: 2, minor: 7, micro: 1 };
    const s = new QmpSession(5, { runDir: q.runDir });
    try {
      await s.send('query-version');
      await s.send('stop');
      expect(s.compareVersion(2, 8, 0)).toBeLessThan(0);
      expect(s.compareVersion(2, 7, 1)).toBe(0);
      expect(s.compareVersion(1, 99, 99)).toBeGreaterThan(0);
    } finally {
      s.close();
    }
    expect(q.connections).toBe(1);
    expect(q.received.map((r) => r.id)).toEqual([QMP_FIRST_ID, QMP_FIRST_ID + 1, QMP_FIRST_ID + 2]);
  });
});

describe('fd passing (SCM_RIGHTS)', () => {
  it('lays out the control message as CMSG_SPACE(sizeof(int)) bytes for each OS', () => {
    expect([...rightsControl(9, 'linux')]).toEqual([20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    expect([...rightsControl(9, 'freebsd')]).toEqual([20, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.runIf(process.platform === 'linux')('sendmsg through libc delivers the bytes', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-fd-'));
    const sockPath = path.join(tmp, 's');
    let got = '';
    const done = new Promise<void>((resolve) => {
      const server = net.createServer((c) => {
        c.on('data', (d) => { got += String(d); if (got.endsWith('\n')) { c.destroy(); server.close(); resolve(); } });
      }).listen(sockPath);
    });
    const c = net.createConnection(sockPath);
    await new Promise((r) => c.once('connect', r));
    const file = fs.openSync(__filename, 'r');
    const n = sendWithFd((c as unknown as { _handle: { fd: number } })._handle.fd, Buffer.from('{"execute":"add-fd"}\r\n'), file);
    fs.closeSync(file);
    await done;
    c.destroy();
    expect(n).toBe(22);
    expect(got).toBe('{"execute":"add-fd"}\r\n');
  });
});

// -- cd-insert / cd-eject ---------------------------------------------------------

const CD = 5632; // hdc

/** An HVM guest with xvda and an hdc cdrom (qdisk) in xenstore, its saved config, and a QEMU. */
async function cdGuest(dm: string | null = 'qemu_xen') {
  const h = await hvmHost(dm);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-cd-'));
  const cd1 = path.join(tmp, 'cd1.iso');
  const cd2 = path.join(tmp, 'cd2.iso');
  fs.writeFileSync(cd1, 'one');
  fs.writeFileSync(cd2, 'two');
  putDisk(h.xsd, { domid: 5, vdev: 'xvda' });
  const cd = putDisk(h.xsd, { domid: 5, devid: CD, vdev: 'hdc', type: 'qdisk', params: `aio:${cd1}` });
  for (const dir of [cd.be, cd.libxl]) {
    h.xsd.put(`${dir}/device-type`, 'cdrom');
    h.xsd.put(`${dir}/mode`, 'r');
    h.xsd.put(`${dir}/removable`, '1');
  }
  const str = (v: string): JNode => ({ t: 'str', v });
  const num = (v: number): JNode => ({ t: 'num', v: String(v) });
  const cfg: JNode = {
    t: 'map', entries: [
      ['c_info', { t: 'map', entries: [['type', str('hvm')], ['name', str('g')], ['uuid', str(UUID5)]] }],
      ['disks', { t: 'arr', items: [
        { t: 'map', entries: [['pdev_path', str('/x.img')], ['vdev', str('xvda')], ['format', str('raw')], ['readwrite', num(1)]] },
        { t: 'map', entries: [['pdev_path', str(cd1)], ['vdev', str('hdc')], ['format', str('raw')], ['removable', num(1)], ['is_cdrom', num(1)]] },
      ] }],
      ['on_reboot', str('restart')],
    ],
  };
  const cfgPath = path.join(tmp, `userdata-d.5.${UUID5}.libxl-json`);
  fs.writeFileSync(cfgPath, `${renderJson(cfg)}\0`);
  const q = dm === 'qemu_xen' ? await fakeQemu() : undefined;
  const sent: { fd: number; content: string }[] = [];
  const opts = (xenVersion: '4.17' | '4.20'): CdromOptions => ({
    xenVersion, libDir: tmp, runDir: tmp,
    qmp: {
      runDir: q?.runDir,
      // Record the file that travels with add-fd; the bytes go the usual way.
      sendWithFd: (_sock, _data, fd) => {
        sent.push({ fd, content: fs.readFileSync(fd, 'utf8') });
        return 0;
      },
    },
  });
  const saved = () => JSON.parse(fs.readFileSync(cfgPath, 'utf8').replace(/\0$/, '')) as { disks: Record<string, unknown>[] };
  return { h, q, cd, cd1, cd2, opts, sent, saved, cfgPath };
}

const spec = (vdev: string, target: string, v: '4.17' | '4.20' = '4.17') => parseDiskSpec(`vdev=${vdev},access=r,devtype=cdrom,target=${target}`, v);

describe('libxl_cdrom_insert', () => {
  it.each(['4.17', '4.20'] as const)('%s: insert with qemu-xen: eject, add-fd with the open file, blockdev-change-medium; xenstore and saved config follow', async (v) => {
    const g = await cdGuest();
    let paramsAtAddFd: (string | undefined)[] = [];
    g.q!.handlers['add-fd'] = () => {
      paramsAtAddFd = [g.h.xsd.get(`${g.cd.be}/params`), g.h.xsd.get(`${g.cd.libxl}/params`)];
      return { return: { 'fdset-id': 3, fd: 27 } };
    };
    await cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2, v), g.opts(v));
    expect(g.q!.received.map((r) => [r.execute, r.arguments])).toEqual([
      ['qmp_capabilities', undefined],
      ['query-version', undefined],
      ['eject', { id: 'ide-5632' }],
      ['add-fd', { opaque: `raw:${g.cd2}` }],
      ['blockdev-change-medium', { id: 'ide-5632', filename: '/dev/fdset/3', format: 'raw' }],
    ]);
    expect(g.sent.map((s) => s.content)).toEqual(['two']);
    // Between eject and insert: an empty drive (4.17), the new path without format (4.20).
    expect(paramsAtAddFd).toEqual(v === '4.17' ? ['', ''] : [g.cd2, g.cd2]);
    for (const dir of [g.cd.be, g.cd.libxl]) {
      expect(g.h.xsd.get(`${dir}/params`)).toBe(`aio:${g.cd2}`);
      expect(g.h.xsd.get(`${dir}/type`)).toBe('qdisk');
    }
    const disks = g.saved().disks;
    expect(disks.map((d) => d.vdev)).toEqual(['xvda', 'hdc']);
    expect(disks[1]).toEqual({ pdev_path: g.cd2, vdev: 'hdc', format: 'raw', removable: 1, is_cdrom: 1 });
  });

  it.each(['4.17', '4.20'] as const)('%s: eject: only "eject" goes to QEMU; params empty; the saved disk is an empty cdrom', async (v) => {
    const g = await cdGuest();
    await cdromInsert(g.h.ctx, 5, spec('hdc', '', v), g.opts(v));
    expect(g.q!.commands).toEqual(['qmp_capabilities', 'query-version', 'eject']);
    for (const dir of [g.cd.be, g.cd.libxl]) {
      expect(g.h.xsd.get(`${dir}/params`)).toBe('');
      expect(g.h.xsd.get(`${dir}/type`)).toBe('qdisk');
    }
    expect(g.saved().disks[1]).toEqual({ pdev_path: '', vdev: 'hdc', format: 'empty', removable: 1, is_cdrom: 1 });
    expect(g.sent).toEqual([]);
  });

  it('QEMU older than 2.8: the drive named by "device", and "change"', async () => {
    const g = await cdGuest();
    g.q!.version = { major: 2, minor: 7, micro: 0 };
    g.q!.handlers['add-fd'] = () => ({ return: { 'fdset-id': 0, fd: 9 } });
    await cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), g.opts('4.17'));
    expect(g.q!.received.slice(2).map((r) => [r.execute, r.arguments])).toEqual([
      ['eject', { device: 'ide-5632' }],
      ['add-fd', { opaque: `raw:${g.cd2}` }],
      ['change', { device: 'ide-5632', target: '/dev/fdset/0', arg: 'raw' }],
    ]);
  });

  it('qemu-traditional: no QMP, only xenstore (which that QEMU watches)', async () => {
    const g = await cdGuest(null);
    await cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), g.opts('4.17'));
    expect(g.h.xsd.get(`${g.cd.be}/params`)).toBe(`aio:${g.cd2}`);
    expect(g.saved().disks[1].pdev_path).toBe(g.cd2);
  });

  it('refuses what libxl refuses, with its messages', async () => {
    const g = await cdGuest();
    const o = g.opts('4.17');
    expect((await errorOf(cdromInsert(g.h.ctx, 7, spec('hdc', g.cd2), o))).message).toBe('Domain 7:cdrom-insert requires an HVM domain');
    expect((await errorOf(cdromInsert(g.h.ctx, 5, spec('hdd', g.cd2), o))).message).toBe('Domain 5:Virtual device not found');
    // xvda is a disk, not a cdrom
    expect((await errorOf(cdromInsert(g.h.ctx, 5, spec('xvda', g.cd2), o))).message).toBe('Domain 5:Virtual device not found');
    expect((await errorOf(cdromInsert(g.h.ctx, 9, spec('hdc', g.cd2), o))).message).toBe('unable to get domain type for domid=9');
    g.h.xsd.put('/local/domain/5/image/device-model-domid', '6');
    expect((await errorOf(cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), o))).message).toBe("Domain 5:cdrom-insert doesn't work for stub domains");
    expect(g.q!.received).toEqual([]);
    expect(g.h.xsd.get(`${g.cd.be}/params`)).toBe(`aio:${g.cd1}`);
  });

  it('4.17 wants a qdisk cdrom, 4.20 also takes phy', async () => {
    const g = await cdGuest();
    g.h.xsd.put(`${g.cd.libxl}/type`, 'phy');
    expect((await errorOf(cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), g.opts('4.17')))).message)
      .toBe('Domain 5:Backend for CD devices on HVM guests must be Qdisk');
    g.q!.handlers['add-fd'] = () => ({ return: { 'fdset-id': 1 } });
    await cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2, '4.20'), g.opts('4.20'));
    // phy: the backend is vbd's, params the bare path
    expect(g.h.xsd.get(`/local/domain/0/backend/vbd/5/${CD}/params`)).toBe(g.cd2);
    expect(g.h.xsd.get(`/local/domain/0/backend/vbd/5/${CD}/type`)).toBe('phy');
  });

  it('a QEMU error stops it: logged, nothing written', async () => {
    const g = await cdGuest();
    g.q!.handlers.eject = () => ({ error: { class: 'GenericError', desc: "Device 'ide-5632' is locked and force was not specified, wait for tray to open and try again" } });
    const e = await errorOf(cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), g.opts('4.17')));
    expect(e.message).toBe("Domain 5:Device 'ide-5632' is locked and force was not specified, wait for tray to open and try again");
    expect(g.h.xsd.get(`${g.cd.be}/params`)).toBe(`aio:${g.cd1}`);
    expect(g.saved().disks[1].pdev_path).toBe(g.cd1);
  });

  it('checks the device is still there before writing', async () => {
    const g = await cdGuest();
    const xs = await g.h.ctx.xs();
    await xs.rm(`${g.cd.libxl}/frontend`);
    expect((await errorOf(cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), g.opts('4.17')))).message)
      .toBe(`Domain 5:Internal error: /libxl/5/device/vbd/${CD}/frontend does not exist`);
  });

  it('times out like LIBXL_HOTPLUG_TIMEOUT when QEMU does not answer', async () => {
    const g = await cdGuest();
    g.q!.handlers.eject = () => ({ silent: true });
    const e = await errorOf(cdromInsert(g.h.ctx, 5, spec('hdc', g.cd2), { ...g.opts('4.17'), timeoutMs: 200 }));
    expect([e.message, e.rc]).toEqual(['Domain 5:cdrom insertion timed out', -9]);
  });
});

// -- vncviewer ----------------------------------------------------------------------

describe('libxl_vncviewer_exec', () => {
  it('the display from vnc-port and vnc-listen (localhost without it); -autopass only with a password', async () => {
    const h = await hvmHost();
    const base = '/local/domain/5/console';
    expect((await errorOf(vncviewerCommand(h.ctx, 5, false, {}))).message).toBe('Domain 5:Cannot get vnc-port');
    h.xsd.put(`${base}/vnc-port`, '5901');
    expect(await vncviewerCommand(h.ctx, 5, false, {})).toEqual({ file: 'vncviewer', argv: ['vncviewer', 'localhost:1'], password: null });
    h.xsd.put(`${base}/vnc-listen`, '0.0.0.0');
    h.xsd.put(`${base}/vnc-pass`, 's3cret');
    expect(await vncviewerCommand(h.ctx, 5, false, { VNCVIEWER: '/opt/tv' })).toEqual({ file: '/opt/tv', argv: ['/opt/tv', '0.0.0.0:1'], password: null });
    expect(await vncviewerCommand(h.ctx, 5, true, {})).toEqual({ file: 'vncviewer', argv: ['vncviewer', '0.0.0.0:1', '-autopass'], password: 's3cret' });
    h.xsd.put(`${base}/vnc-port`, 'junk');
    expect((await vncviewerCommand(h.ctx, 5, false, {})).argv[1]).toBe('0.0.0.0:-5900');
  });

  it('runs the viewer with that argv, the password on stdin; its status is ours', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xl-vnc-'));
    const viewer = path.join(tmp, 'viewer');
    const log = path.join(tmp, 'log');
    fs.writeFileSync(viewer, `#!/bin/sh\necho "$0 $*" > ${log}\ncat >> ${log}\nexit 3\n`, { mode: 0o755 });
    const r = await execVncviewer(5, { file: viewer, argv: [viewer, 'localhost:1', '-autopass'], password: 'pw' });
    expect(r).toEqual({ status: 3, signal: null });
    expect(fs.readFileSync(log, 'utf8')).toBe(`${viewer} localhost:1 -autopass\npw`);
    expect(fs.readdirSync('/tmp').filter((n) => n.startsWith('vncautopass.'))).toEqual([]);
    expect(await execVncviewer(5, { file: path.join(tmp, 'nosuch'), argv: ['x'], password: null }))
      .toEqual({ execError: `cannot execute ${path.join(tmp, 'nosuch')}: No such file or directory` });
  });
});
