// HVM guests built by our xl (issue: PVH and HVM): the lab HVM config (hvmloader, SeaBIOS, QEMU with direct kernel
// boot, a file-backed disk, the serial port on a pty) next to the C xl's create of the same config: the xenstore
// subtrees with perms (domain, /vm, /libxl, the device-model node, the console, vbd and vkbd backends), QEMU's
// command line and the saved config are equal; the guest boots to its marker; the C xl destroys it and nothing is
// left. A QEMU that is missing, or that exits before it is ready, and failures injected at the HVM build and the
// device model start fail in one line and leave nothing. In the PVH/HVM phase at the end, like file 90.
import { afterEach, describe, expect, it } from 'vitest';
import {
  OUR_XL, XEN, destroyIfThere, dom0, dom0ok, dom0sh, domainTree, domidOf, guestConsole, leftovers, monitorLines, monitorSettled,
  normaliseLoop, normaliseMac, NO_CLIENT, noteRetry, onPty, savedConfig, settle, timed, unpauseOnceAttached, waitFor,
} from './lab.js';

const OURS = 'hvm-ours';
const THEIRS = 'hvm-c';
const BAD = 'hvm-bad';
const CFG = '/lab/guests/hvm.cfg';
const disk = (name: string) => `disk=["file:/tmp/${name}.img,xvda,w"]`;
const BACKENDS = ['vbd', 'console', 'vkbd', 'vif'];
/** An emulated nic (QEMU's tap) that the guest's netfront takes over: two hotplug runs, vif and tap. */
const NIC = 'vif=["bridge=xenbr0"]';

const normalise = (name: string, domid: string) => (text: string): string => normaliseMac(normaliseLoop(text))
  .replace(/device-model-pid = "\d+"/, 'device-model-pid = "PID"')
  .replaceAll(`/tmp/${name}.img`, '/tmp/DISK.img')
  .replaceAll(`qemu-dm-${name}`, 'qemu-dm-NAME')
  .replace(new RegExp(`-${domid}\\b`, 'g'), '-D')
  .replace(new RegExp(`vif${domid}\\.`, 'g'), 'vifD.')
  .replace(new RegExp(`([(,][nrwb])${domid}(?=[,)])`, 'g'), '$1D')
  .replace(new RegExp(`(-xen-domid|-name) \\S+`, 'g'), '$1 X');

/** What QEMU and the device-model node look like for a guest: its argv (one per line) and the node's subtree. */
async function deviceModel(name: string): Promise<{ argv: string; node: string; pid: string }> {
  const domid = String(await domidOf(name));
  const pid = (await dom0ok(['xenstore-read', `/local/domain/${domid}/image/device-model-pid`])).trim();
  const argv = (await dom0ok(['sh', '-c', `tr '\\0' '\\n' < /proc/${pid}/cmdline`])).replace(/\n$/, '');
  const node = await dom0ok(['xenstore-ls', '-p', `/local/domain/0/device-model/${domid}`]);
  const n = normalise(name, domid);
  return { argv: n(argv.replace(/\n/g, ' ')), node: n(node.replace(/\s+\.[ .]*\(/g, ' (')), pid };
}

describe(`xl create of an HVM guest by our xl (Xen ${XEN})`, () => {
  // Each test starts from nothing, whatever the one before left.
  afterEach(async () => {
    await destroyIfThere(OURS, THEIRS, BAD);
    await dom0sh('rm -f /tmp/hvm-*.img');
  });

  it('boots hvm.cfg; tree, device-model node, QEMU argv and saved config equal the C xl\'s; the C xl destroys it', async () => {
    expect(await leftovers(BACKENDS)).toBe('');
    await dom0sh(`for n in ${OURS} ${THEIRS}; do cp --sparse=always /lab/guests/disk-hvm.img /tmp/$n.img; done; rm -f /var/log/xen/console/guest-${OURS}.log`);
    const createOurs = [OUR_XL, 'create', '-p', CFG, `name="${OURS}"`, disk(OURS), NIC];
    const [ours, oursMs] = await timed(createOurs);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stderr).toBe(`Parsing config from ${CFG}\n`);
    const [theirs, theirsMs] = await timed(['xl', 'create', '-p', CFG, `name="${THEIRS}"`, disk(THEIRS), NIC]);
    expect(theirs.code, theirs.stderr).toBe(0);
    console.log(`xl create -p hvm.cfg with disk+vif wall time: ours ${oursMs} ms, C xl ${theirsMs} ms (Xen ${XEN})`);

    let oursId = String(await domidOf(OURS));
    const theirsId = String(await domidOf(THEIRS));
    const tree = async (name: string, id: string) => normalise(name, id)(await domainTree(name, BACKENDS));
    expect(await tree(OURS, oursId)).toBe(await tree(THEIRS, theirsId));
    let dmOurs = await deviceModel(OURS);
    const dmTheirs = await deviceModel(THEIRS);
    expect(dmOurs.argv).toBe(dmTheirs.argv);
    expect(dmOurs.node).toBe(dmTheirs.node);
    expect(normalise(OURS, oursId)(await savedConfig(OURS))).toBe(normalise(THEIRS, theirsId)(await savedConfig(THEIRS)));
    // QEMU's serial port is a pty xl recorded for `xl console -t serial`.
    const tty = (await dom0ok(['xenstore-read', `/local/domain/${oursId}/serial/0/tty`])).trim();
    expect(tty).toMatch(/^\/dev\/pts\/\d+$/);
    expect((await dom0sh(`test -c ${tty}`)).code).toBe(0);
    // Both ends of the nic are in the bridge: netback's vif and QEMU's tap.
    const bridged = (await dom0sh(`brctl show xenbr0 | awk 'NR>1 {print $NF}'`)).stdout.split('\n');
    expect(bridged).toEqual(expect.arrayContaining([`vif${oursId}.0`, `vif${oursId}.0-emu`]));
    await dom0ok(['xl', 'destroy', THEIRS]);

    expect(await dom0ok(['xl', 'list', OURS])).toMatch(new RegExp(`^${OURS}\\s+${oursId}\\s+\\d+\\s+1\\s+--p---`, 'm'));
    // Our `xl console -t serial` on a terminal, attached before the unpause: the guest's init writes to ttyS0 too.
    // An HVM boot under TCG on a slow day took over 120 s to the marker: the marker's own 300 s, as below.
    const serialBoot = () => onPty([{ expect: 'LAB-GUEST-XVDA' }, { send: '\x1d' }],
      [OUR_XL, 'console', '-t', 'serial', OURS], unpauseOnceAttached(OURS, 'serial/0/tty', 60), 300);
    // The monitor writes its line as the console closes: give it a moment.
    const shutDown = (id: string) => new RegExp(`Domain ${id} has shut down, reason code`);
    const endOf = async (id: string) => settle(10, () => monitorLines(id), (l) => shutDown(id).test(l));
    let pty = await serialBoot();
    let ended = pty.stepsDone < 2 ? await endOf(oursId) : '';
    if (shutDown(oursId).test(ended)) {
      // The guest ended by itself before its marker (the console closes with it): once, visibly, boot a new one.
      noteRetry(`${OURS} serial boot`, `the guest shut down before its marker: ${ended.split('\n').find((l) => shutDown(oursId).test(l))}`);
      const settled = await monitorSettled(oursId);
      console.warn(`${OURS}: monitor: ${settled}\nconsole tail: ${pty.output.slice(-600)}`);
      expect(settled, 'the monitor done with the guest that shut down').toMatch(/Done\. Exiting now|restarted as domid|restarting domain .* failed/);
      await destroyIfThere(OURS);
      expect(await leftovers(BACKENDS), 'after the restarted guest was destroyed').toBe('');
      await dom0sh(`cp --sparse=always /lab/guests/disk-hvm.img /tmp/${OURS}.img; rm -f /var/log/xen/console/guest-${OURS}.log`);
      const again = await dom0(createOurs, 400);
      expect(again.code, again.stderr).toBe(0);
      oursId = String(await domidOf(OURS));
      dmOurs = await deviceModel(OURS);
      pty = await serialBoot();
      ended = pty.stepsDone < 2 ? await endOf(oursId) : '';
    }
    expect(pty.stderr).not.toMatch(NO_CLIENT);
    expect(pty, `${pty.stderr}\nmonitor: ${ended}\nconsole tail: ${pty.output.slice(-600)}`).toMatchObject({ code: 0, stepsDone: 2 });
    const log = await waitFor('the HVM guest marker', 300, async () => {
      const text = await guestConsole(OURS);
      return /LAB-GUEST-XVDA/.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    await dom0ok(['xl', 'destroy', OURS]);
    expect(await leftovers(BACKENDS)).toBe('');
    expect((await dom0sh(`kill -0 ${dmOurs.pid}`)).code).not.toBe(0);
    expect((await dom0sh(`xenstore-ls /local/domain/0/device-model/${oursId}`)).code).not.toBe(0);
  }, 900_000);

  it('a seed-style config (hda, hdc cdrom, boot="dca", vnc=1, serial pty) starts as the C xl\'s; our cd-eject/cd-insert reach QEMU', async () => {
    await dom0sh(`for n in ${OURS} ${THEIRS}; do cp --sparse=always /lab/guests/disk-hvm.img /tmp/$n.img; done
      for c in cd1 cd2; do dd if=/dev/urandom of=/tmp/hvm-$c.iso bs=64k count=16 2>/dev/null; done`);
    const seed = (name: string) => [`name="${name}"`, 'boot="dca"', 'vnc=1', 'serial="pty"',
      `disk=["file:/tmp/${name}.img,hda,w", "file:/tmp/hvm-cd1.iso,hdc:cdrom,r"]`];
    const ours = await dom0([OUR_XL, 'create', '-p', CFG, ...seed(OURS)], 400);
    expect(ours.code, ours.stderr).toBe(0);
    const theirs = await dom0(['xl', 'create', '-p', CFG, ...seed(THEIRS)], 400);
    expect(theirs.code, theirs.stderr).toBe(0);
    const oursId = String(await domidOf(OURS));
    const theirsId = String(await domidOf(THEIRS));
    // Each QEMU takes the next free VNC display.
    const tree = async (name: string, id: string) =>
      normalise(name, id)(await domainTree(name, ['vbd', 'qdisk', 'console', 'vkbd'])).replace(/vnc-port = "\d+"/, 'vnc-port = "PORT"');
    expect(await tree(OURS, oursId)).toBe(await tree(THEIRS, theirsId));
    expect((await deviceModel(OURS)).argv).toBe((await deviceModel(THEIRS)).argv);
    expect(await dom0ok(['xenstore-read', `/local/domain/${oursId}/console/vnc-port`])).toMatch(/^59\d\d/);

    const drive = async () => (await dom0ok([OUR_XL, 'qemu-monitor-command', OURS, 'info block']))
      .split(/\r?\n/).find((l) => l.startsWith('ide-5632')) ?? '';
    expect(await drive()).not.toContain('not inserted');
    await dom0ok([OUR_XL, 'cd-eject', OURS, 'hdc']);
    expect(await drive()).toContain('not inserted');
    await dom0ok([OUR_XL, 'cd-insert', OURS, 'hdc', '/tmp/hvm-cd2.iso']);
    expect(await drive()).not.toContain('not inserted');
    expect((await dom0ok(['xenstore-read', `/local/domain/0/backend/qdisk/${oursId}/5632/params`]))).toContain('/tmp/hvm-cd2.iso');
  }, 900_000);

  it('a QEMU that is missing, or exits before it is ready: one line, exit 1, nothing left', async () => {
    await dom0sh(`cp --sparse=always /lab/guests/disk-hvm.img /tmp/${BAD}.img; rm -f /var/log/xen/qemu-dm-${BAD}.log*`);
    const missing = await dom0([OUR_XL, 'create', CFG, `name="${BAD}"`, disk(BAD), 'device_model_version="qemu-xen"', 'device_model_override="/nonexistent/qemu"'], 200);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      `Parsing config from ${CFG}`, `xl create: domain '${BAD}': device model /nonexistent/qemu is not executable`,
    ]);
    expect(await dom0ok(['xl', 'list'])).not.toContain(BAD);

    // A QEMU that says why it stops and exits: its last words and the log file are in the error.
    await dom0sh(`printf '#!/bin/sh\\necho "qemu: cannot start: lab test" >&2\\nexit 1\\n' > /tmp/fake-qemu && chmod +x /tmp/fake-qemu`);
    const dies = await dom0([OUR_XL, 'create', CFG, `name="${BAD}"`, disk(BAD), 'device_model_version="qemu-xen"', 'device_model_override="/tmp/fake-qemu"'], 300);
    expect(dies.code).toBe(1);
    expect(dies.stderr.trim().split('\n')).toEqual([
      `Parsing config from ${CFG}`,
      `xl create: starting device model for domain '${BAD}': device model exited with status 1 before it was ready: ` +
        `qemu: cannot start: lab test (see /var/log/xen/qemu-dm-${BAD}.log)`,
    ]);
    expect(await dom0ok(['xl', 'list'])).not.toContain(BAD);
    expect(await leftovers(BACKENDS)).toBe('');
  }, 600_000);

  it('failures at an HVM build step and at the device model start are rolled back, QEMU included', async () => {
    await dom0sh(`cp --sparse=always /lab/guests/disk-hvm.img /tmp/${BAD}.img`);
    for (const step of ['hvm info table', 'starting device model']) {
      const r = await dom0(['env', `XL_TEST_FAIL_AT=${step}`, OUR_XL, 'create', '-q', CFG, `name="${BAD}"`, disk(BAD)], 300);
      expect(r.code, step).toBe(1);
      const subject = step === 'hvm info table' ? `building domain '${BAD}': ${step}` : `${step} for domain '${BAD}'`;
      expect(r.stderr.trim(), step).toBe(`xl create: ${subject}: failure injected for testing`);
      expect(await dom0ok(['xl', 'list'])).not.toContain(BAD);
      expect(await leftovers(BACKENDS), step).toBe('');
    }
    // After QEMU is up: the failure comes at the saved config, and destroy kills QEMU.
    const r = await dom0(['env', 'XL_TEST_FAIL_AT=saving domain configuration', OUR_XL, 'create', '-q', CFG, `name="${BAD}"`, disk(BAD)], 300);
    expect(r.code).toBe(1);
    expect(await leftovers(BACKENDS)).toBe('');
    expect((await dom0sh(`pgrep -f 'qemu.*-name ${BAD}'`)).code).not.toBe(0);
  }, 600_000);
});
