// Our xl's trigger, button-press, qemu-monitor-command, cd-eject/cd-insert and vncviewer next to the C xl, on two
// paused HVM guests the C xl creates (each with an hdc cdrom from a file made here): A with a VNC server, on which
// both toolstacks run the read-only and error cases and ours changes the cd; B without VNC, on which the C xl
// changes the cd the same way, so A's drive (xenstore, saved config, QEMU) can be compared with B's. In the PVH/HVM
// phase at the end, like file 90: dom0 segfaults seen meanwhile are reported, not hidden.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUR_XL, XEN, createPausedHvm, destroyIfThere, dom0, dom0ok, dom0sh, domidOf, reportSegfaults, type Dom0Result,
} from './lab.js';

const OURS = OUR_XL;
const P = 'xlt93';
const A = `${P}-a`;
const B = `${P}-b`;
const CD1 = `/tmp/${P}-cd1.iso`;
const CD2 = `/tmp/${P}-cd2.iso`;
const BIN = `/tmp/${P}-bin`;
const VNCPASS = 'labpw93';
/** hdc: libxl__device_disk_dev_number, and the QEMU drive id "ide-<devid>". */
const HDC = 5632;

/** The C xl's log lines carry file:line:function; ours do not. */
const norm = (s: string) => s.replace(/(libxl: (?:error|warning|info|debug): )[A-Za-z0-9_]+\.c:\d+:[A-Za-z0-9_]+: /g, '$1');
const result = (r: Dom0Result) => ({ code: r.code, stdout: r.stdout, stderr: norm(r.stderr) });

/** Run the same xl command line with the C xl and ours. */
async function both(args: string[], timeout = 120) {
  const c = await dom0(['xl', ...args], timeout);
  const o = await dom0([OURS, ...args], timeout);
  return { c: result(c), o: result(o) };
}

/** C xl create -p of hvm.cfg on its own copy of the disk, with the cdrom and `extra` settings; its domid. */
const createPaused = async (name: string, extra: string[]) =>
  (await createPausedHvm(name, extra, [`file:${CD1},hdc:cdrom,r`])).id;

/**
 * What a toolstack leaves of the cd drive: its backend and libxl xenstore nodes (domid normalised), its disk entry
 * in `xl list -l` (the saved config), and QEMU's `info block` line for it (node name and fdset number normalised).
 */
async function cdState(name: string) {
  const id = await domidOf(name);
  const nodes = await dom0sh(`for p in /local/domain/0/backend/qdisk/${id}/${HDC} /libxl/${id}/device/vbd/${HDC}; do xenstore-ls -f $p; done`);
  expect(nodes.code, nodes.stderr).toBe(0);
  const list = JSON.parse(await dom0ok(['xl', 'list', '-l', name])) as { config: { disks: { vdev: string }[] } }[];
  const block = await dom0ok(['xl', 'qemu-monitor-command', name, 'info block']);
  const drive = block.split(/\r?\n/).find((l) => l.startsWith(`ide-${HDC}`)) ?? '';
  return {
    xenstore: nodes.stdout
      .replace(new RegExp(`/${id}/`, 'g'), '/D/')
      .replace(new RegExp(`(frontend-id) = "${id}"`, 'g'), '$1 = "D"'),
    disk: list[0].config.disks.find((d) => d.vdev === 'hdc'),
    drive: drive.replace(/#block\d+/, '#blockN').replace(/fdset\/\d+/, 'fdset/N').trimEnd(),
  };
}

describe(`our xl's HVM commands next to the C xl (Xen ${XEN})`, () => {
  beforeAll(async () => {
    const r = await dom0sh(`set -e
      dd if=/dev/urandom of=${CD1} bs=64k count=16 2>/dev/null
      dd if=/dev/urandom of=${CD2} bs=64k count=16 2>/dev/null
      mkdir -p ${BIN}
      printf '#!/bin/sh\\necho "$*" > "$VNCLOG"\\n[ "$2" = -autopass ] && cat >> "$VNCLOG"\\nexit 0\\n' > ${BIN}/vncviewer
      chmod 755 ${BIN}/vncviewer`);
    expect(r.code, r.stderr).toBe(0);
    const a = await createPaused(A, ['vnc=1']);
    await createPaused(B, ['vnc=0']);
    // The password node libxl writes for vncpasswd=, put there directly: QEMU's password option is not what is tested.
    await dom0ok(['xenstore-write', `/local/domain/${a}/console/vnc-pass`, VNCPASS]);
  }, 700_000);

  afterAll(async () => {
    await destroyIfThere(A, B);
    await dom0sh(`rm -rf /tmp/${P}-* ${BIN}`);
    await reportSegfaults('PVH/HVM phase');
  });

  it('qemu-monitor-command prints what the C xl prints; extra words and a guest without QEMU fail alike', async () => {
    const status = await both(['qemu-monitor-command', A, 'info status']);
    expect(status.c.stdout).toMatch(/^VM status: /);
    expect(status.o).toEqual(status.c);
    const version = await both(['qemu-monitor-command', A, 'info version']);
    expect(version.o).toEqual(version.c);
    const extra = await both(['qemu-monitor-command', A, 'info', 'status']);
    expect(extra.c).toEqual({ code: 1, stdout: '', stderr: 'Invalid arguments.\n' });
    expect(extra.o).toEqual(extra.c);
    const dom0qmp = await both(['qemu-monitor-command', '0', 'info status']);
    expect(dom0qmp.c.code).not.toBe(0);
    expect(dom0qmp.o).toEqual(dom0qmp.c);
  });

  it('trigger: nmi is sent (exit 0, silent), bad names and VCPUs get the C messages, s3resume fails alike', async () => {
    const nmi = await both(['trigger', A, 'nmi']);
    expect(nmi.c).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(nmi.o).toEqual(nmi.c);
    for (const args of [[A, 'bogus'], [A, 'NMI', 'x'], ['nosuch-93', 'nmi'], [A], [A, 'unknown'], [A, 's3resume'], [A, 'nmi', '99']]) {
      const r = await both(['trigger', ...args]);
      expect(r.o, `trigger ${args.join(' ')}`).toEqual(r.c);
    }
  });

  it('button-press: the deprecation warning and the trigger, or the C refusal', async () => {
    for (const args of [[A, 'power'], [A, 'reset'], [A], ['-h']]) {
      const r = await both(['button-press', ...args]);
      expect(r.c.stderr).toMatch(/^WARNING: "button-press" is deprecated/);
      expect(r.o, `button-press ${args.join(' ')}`).toEqual(r.c);
    }
  });

  it('vncviewer: no VNC server fails alike; with one, the viewer in PATH gets the same argv (and password) from both', async () => {
    const none = await both(['vncviewer', B]);
    expect(none.c.code).toBe(1);
    expect(none.c.stderr).toMatch(/Cannot get vnc-port/);
    expect(none.o).toEqual(none.c);
    for (const opt of [[], ['--autopass']]) {
      const run = async (xl: string, log: string) => {
        const r = await dom0sh(`rm -f ${log}; PATH=${BIN}:$PATH VNCLOG=${log} ${xl} vncviewer ${opt.join(' ')} ${A}; echo "exit=$?"; cat ${log}`);
        return { ...result(r) };
      };
      const c = await run('xl', `/tmp/${P}-vnc-c.log`);
      const o = await run(OURS, `/tmp/${P}-vnc-o.log`);
      expect(c.stdout).toMatch(/exit=0\n127\.0\.0\.1:\d+/);
      if (opt.length) expect(c.stdout).toContain(`-autopass\n${VNCPASS}`);
      expect(o).toEqual(c);
    }
    expect((await dom0sh('ls /tmp | grep -c ^vncautopass || true')).stdout.trim()).toBe('0');
  });

  it('cd-eject then cd-insert: our xl on A leaves the drive as the C xl leaves it on B (xenstore, saved config, QEMU)', async () => {
    const start = [await cdState(A), await cdState(B)];
    expect(start[0]).toEqual(start[1]);
    expect(start[0].drive).toContain(CD1);

    const ec = await dom0(['xl', 'cd-eject', B, 'hdc']);
    const eo = await dom0([OURS, 'cd-eject', A, 'hdc']);
    expect(result(eo)).toEqual(result(ec));
    expect(ec.code, ec.stderr).toBe(0);
    const ejected = [await cdState(A), await cdState(B)];
    expect(ejected[0].drive).toMatch(/\[not inserted\]/);
    expect(ejected[0]).toEqual(ejected[1]);

    const ic = await dom0(['xl', 'cd-insert', B, 'hdc', CD2]);
    const io = await dom0([OURS, 'cd-insert', A, 'hdc', CD2]);
    expect(result(io)).toEqual(result(ic));
    expect(ic.code, ic.stderr).toBe(0);
    const inserted = [await cdState(A), await cdState(B)];
    expect(inserted[0].drive).toContain('/dev/fdset/');
    expect(inserted[0]).toEqual(inserted[1]);
    expect(inserted[0].xenstore).toContain(`params = "aio:${CD2}"`);
  });

  it('cd-insert/cd-eject refusals: the same messages and exit codes', async () => {
    for (const args of [
      ['cd-insert', A, 'hdc', '/nonexistent/x.iso'],
      ['cd-insert', A, 'xvda', CD2],
      ['cd-eject', A, 'hdd'],
      ['cd-insert', A, 'hdc'],
      ['cd-eject', 'nosuch-93', 'hdc'],
      ['cd-eject', '0', 'hdc'],
    ]) {
      const r = await both(args);
      expect(r.c.code, args.join(' ')).not.toBe(0);
      expect(r.o, args.join(' ')).toEqual(r.c);
    }
  });
});
