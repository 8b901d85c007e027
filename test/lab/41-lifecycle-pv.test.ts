// The life of a PV guest made by our xl: our `xl console` (driven through a real pty) sees the guest boot and
// answers typed lines; `xl create -c` attaches at once; `xl shutdown -w` and `xl reboot -w` ask the guest over its
// control node and our shared monitor applies on_poweroff / on_reboot (destroy, restart with the same uuid and a new
// domid, preserve, rename-restart); `-F` keeps the monitor in the foreground, `-e` has none; our destroy leaves no
// node behind. Linux boots only where the guest must answer (console, shutdown, reboot); where only the monitor's
// action is the point, a page of code that shuts its domain down at once stands in (selfShutdownCode). Then failure
// injection at every step of the build, xenstored refusing a write and too little memory for Xen: each create fails in one line and leaves only Domain-0. A test that uses another's guest gets it from a
// fixture (once()) that makes it when that test did not run, so each test passes alone (vitest -t).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINUX_NOTES, makeElf, selfShutdownCode } from '../helpers/kernel-images.js';
import {
  OUR_XL, XEN, bundleForDom0, destroyAllGuests, dom0, dom0ok, dom0sh, domidIfAny, domidOf, guestConsole, hostState, leftSince,
  NO_CLIENT, nodesOfDomain as nodesOf, onPty, once, settle, stateOf, unpauseOnceAttached, uuidOf, waitFor,
} from './lab.js';

const XL = OUR_XL;
const P = 'lc41';
/** The lab kernel as a gzipped ELF: unpacks in about a second, where the bzImage's xz/zstd takes 15 s. */
const FAST = ['kernel="/lab/guests/vmlinux.gz"'];
/** A guest that powers itself off as soon as it runs: no boot to wait for. */
const POWEROFF = [`kernel="/tmp/${P}-poweroff.elf"`, 'memory=32'];

/** Writes a minimal PV ELF with Linux's Xen notes and `code` to `path` in dom0. */
const putElf = (path: string, code: Buffer, memsz?: number) =>
  dom0ok(['sh', '-c', `echo ${makeElf({ notes: LINUX_NOTES, code, memsz }).toString('base64')} | base64 -d > ${path}`]);

/** Puts the self-shutdown guest's kernel into dom0 (once; every test that needs it asks). */
const poweroffKernel = once(() => putElf(`/tmp/${P}-poweroff.elf`, selfShutdownCode('poweroff')));

/** Destroys every domain whose name starts with this file's prefix, with the given xl. */
const destroyOurGuests = (xl = 'xl') =>
  dom0sh(`for n in $(xl list | awk 'NR > 2 { print $1 }' | grep '^${P}'); do ${xl} destroy $n; done; true`, 300);

const monitors = async () => Number((await dom0sh("ps -o args | grep -c '[m]onitor.js'")).stdout.trim());
const monitorLog = async () => (await dom0sh('cat /var/log/xen/xl-monitor.log 2>/dev/null')).stdout;

async function createOurs(name: string, extra: string[] = [], opts: string[] = [], kernel = FAST): Promise<number> {
  const r = await dom0([XL, 'create', ...opts, '/lab/guests/pv.cfg', `name="${name}"`, ...kernel, ...extra], 300);
  expect(r.code, r.stderr).toBe(0);
  return domidOf(name);
}

async function bootedTimes(name: string, n: number): Promise<void> {
  await waitFor(`${name} to boot (${n})`, 240, async () => (await guestConsole(name)).split('LAB-GUEST-ETH0').length > n);
}

/** `${P}-con`, created paused by the first test that asks: the console test, which unpauses it once attached. */
const con = once(() => createOurs(`${P}-con`, [], ['-p']));

/** `${P}-con` booted: as the console test leaves it, or unpaused (by the C xl) and booted here without that test. */
async function conBooted(): Promise<number> {
  await con();
  if ((await stateOf(`${P}-con`)).includes('p')) await dom0ok(['xl', 'unpause', `${P}-con`]);
  await bootedTimes(`${P}-con`, 1);
  return domidOf(`${P}-con`);
}

/** `${P}-reb` booted: as the create -c/reboot test leaves it (its second incarnation), or created here without it. */
async function rebBooted(): Promise<number> {
  const id = (await domidIfAny(`${P}-reb`)) ?? (await createOurs(`${P}-reb`));
  await bootedTimes(`${P}-reb`, 1);
  return id;
}

describe(`our xl console, shutdown, reboot and the shared monitor on a PV guest (Xen ${XEN})`, () => {
  beforeAll(async () => {
    await destroyOurGuests();
    await dom0sh(`rm -f /var/log/xen/console/guest-${P}*.log`);
  });
  afterAll(async () => {
    await destroyOurGuests();
  });

  it('xl console on a pty: sees the boot after unpause, answers a typed line, ^] detaches and restores the terminal', async () => {
    const id = await con();
    const r = await onPty(
      [{ expect: 'LAB-GUEST-READY' }, { expect: 'LAB-GUEST-ETH0' }, { send: 'ping-42\r' }, { expect: 'LAB-GUEST-GOT ping-42' }, { send: '\x1d' }],
      [XL, 'console', `${P}-con`],
      // our unpause once our console has the guest's pty open, so that it sees the whole boot
      unpauseOnceAttached(`${P}-con`, 'console/tty', 60, XL),
    );
    expect(r.stderr).not.toMatch(NO_CLIENT);
    expect(r.stepsDone, `${r.output}\n${r.stderr}`).toBe(5);
    expect(r.code).toBe(0);
    expect(r.ttyModeRestored).toBe(true);
    // xenconsoled's log has the same boot.
    expect(await guestConsole(`${P}-con`)).toContain('LAB-GUEST-READY');
    // Both xls list it unpaused: blocked as an idle guest mostly is, or running when sampled mid-tick.
    for (const xl of ['xl', XL]) expect(await dom0ok([xl, 'list', `${P}-con`])).toMatch(new RegExp(`${P}-con\\s+${id}\\s+128\\s+1\\s+(?:r-|-b)----`));
  }, 600_000);

  it('xl console refuses Domain-0, an unknown type, and a domain without a console', async () => {
    await con();
    const d0 = await dom0([XL, 'console', '0']);
    expect(d0).toMatchObject({ code: 22, stderr: "xenconsole: Can't specify Domain-0\nUnable to attach console\n" });
    const t = await dom0([XL, 'console', '-t', 'vga', `${P}-con`]);
    expect(t).toMatchObject({ code: 1, stderr: 'console type supported are: pv, serial, vuart\n' });
    const none = await dom0([XL, 'console', '-n', '3', `${P}-con`], 60);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('xenconsole: Could not read tty from store\nUnable to attach console\n');
  }, 120_000);

  it('xl shutdown -w: the guest powers off, the monitor destroys it (on_poweroff=destroy), nothing is left', async () => {
    const id = await conBooted();
    const uuid = await uuidOf(id);
    const r = await dom0([XL, 'shutdown', '-w', `${P}-con`], 200);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`Shutting down domain ${id}\nWaiting for 1 domains\nDomain ${id} has been shut down, reason code 0\n`);
    expect(await guestConsole(`${P}-con`)).toContain('LAB-GUEST-POWEROFF');
    await waitFor('the monitor to destroy it', 120, async () => (await domidIfAny(`${P}-con`)) === null);
    expect(await nodesOf(id, uuid)).toEqual([]);
    const log = await monitorLog();
    expect(log).toContain(`Domain ${id} has shut down, reason code 0 0x0`);
    expect(log).toContain('Action for shutdown reason code 0 is destroy');
    expect((await dom0sh(`ls /var/run/xen/xl-monitor/${id}.json 2>&1`)).code).not.toBe(0);
  }, 400_000);

  it('xl create -c attaches the console at once; xl reboot -w restarts the guest with a new domid and the same uuid', async () => {
    const r = await onPty([{ expect: 'LAB-GUEST-ETH0' }, { send: '\x1d' }],
      [XL, 'create', '-c', '/lab/guests/pv.cfg', `name="${P}-reb"`, ...FAST]);
    expect(r.stepsDone, r.output).toBe(2);
    expect(r.code).toBe(0);
    expect(r.output).toContain('LAB-GUEST-READY');
    const id = await domidOf(`${P}-reb`);
    const uuid = await uuidOf(id);
    await bootedTimes(`${P}-reb`, 1);
    const reb = await dom0([XL, 'reboot', '-w', `${P}-reb`], 200);
    expect(reb.code, reb.stderr).toBe(0);
    expect(reb.stderr).toBe(`Rebooting domain ${id}\nWaiting for 1 domains\nDomain ${id} has been shut down, reason code 1\n`);
    const id2 = await waitFor('the new incarnation', 240, async () => {
      const n = await domidIfAny(`${P}-reb`);
      return n !== null && n !== id && n;
    });
    expect(await uuidOf(id2)).toBe(uuid);
    await bootedTimes(`${P}-reb`, 2);
    expect(await nodesOf(id, uuid).then((ps) => ps.filter((p) => !p.includes(`/${id2}`) && !p.startsWith(`/vm/${uuid}`)))).toEqual([]);
    expect(await monitorLog()).toContain(`Domain ${P}-reb restarted as domid ${id2}`);
    // The C xl sees the restarted guest like any other.
    expect(await dom0ok(['xl', 'list', `${P}-reb`])).toContain(`${P}-reb`);
  }, 600_000);

  it('our xl destroy of our guest removes every node and its monitor registration', async () => {
    const id = await rebBooted();
    const uuid = await uuidOf(id);
    const r = await dom0([XL, 'destroy', `${P}-reb`], 120);
    expect(r.code, r.stderr).toBe(0);
    expect(await nodesOf(id, uuid)).toEqual([]);
    await waitFor('the monitor to drop it', 60, async () => (await dom0sh(`test -e /var/run/xen/xl-monitor/${id}.json`)).code !== 0);
  }, 400_000); // run alone, it boots ${P}-reb first

  it('one monitor for all; a name in use is refused; on_poweroff=preserve keeps the shut-down domain; on_reboot=rename-restart keeps the old one renamed and starts a new one', async () => {
    await poweroffKernel();
    // ${P}-pre powers itself off at once; the monitor must keep it, shut down.
    const a = await createOurs(`${P}-pre`, ['on_poweroff="preserve"'], [], POWEROFF);
    const b = await createOurs(`${P}-ren`, ['on_reboot="rename-restart"']);
    // One monitor process looks after both (a second one started in a race gives way within seconds).
    await waitFor('one monitor process', 60, async () => (await monitors()) === 1);
    // A second create under the same name fails cleanly and leaves the first alone.
    const again = await dom0([XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${P}-pre"`, ...POWEROFF], 300);
    expect(again).toMatchObject({ code: 1, stderr: `xl create: domain '${P}-pre' already exists\n` });
    expect(await domidIfAny(`${P}-pre`)).toBe(a);
    await bootedTimes(`${P}-ren`, 1);
    const uuidB = await uuidOf(b);
    // Without -w: the command returns once the guest is asked; the restart is waited for here.
    const reb = await dom0([XL, 'reboot', `${P}-ren`], 200);
    expect(reb, reb.stderr).toMatchObject({ code: 0, stderr: `Rebooting domain ${b}\n` });
    await waitFor('the renamed restart', 240, async () => {
      const n = await domidIfAny(`${P}-ren`);
      return n !== null && n !== b;
    });
    const list = await dom0ok(['xl', 'list']);
    expect(list).toMatch(new RegExp(`${P}-pre\\s+${a}\\s.*s-`)); // still there, shut down
    expect(list).toMatch(new RegExp(`${P}-ren-\\d{8}T\\d{4}Z\\s+${b}\\s`));
    expect(await uuidOf(b)).not.toBe(uuidB);
    expect(await uuidOf(await domidOf(`${P}-ren`))).toBe(uuidB);
    const log = await monitorLog();
    expect(log).toContain(`Domain ${a} has shut down, reason code 0 0x0`);
    expect(log).toContain('Action for shutdown reason code 0 is preserve');
    expect(log).toContain('Action for shutdown reason code 1 is rename-restart');
  }, 600_000);

  it('-F keeps the monitor in the foreground until the domain is gone; -e leaves a shut-down domain alone; the shared monitor exits once none of its domains is left', async () => {
    await poweroffKernel();
    // The guest powers off as soon as it runs; -F's monitor sees it and destroys it (on_poweroff=destroy).
    const fg = await dom0sh(`${XL} create -F /lab/guests/pv.cfg 'name="${P}-fg"' ${POWEROFF.map((f) => `'${f}'`).join(' ')} 2>&1; echo "exit=$?"`, 400);
    const out = fg.stdout;
    expect(out).toMatch(new RegExp(`Waiting for domain ${P}-fg \\(domid \\d+\\) to die`));
    expect(out).toContain('Action for shutdown reason code 0 is destroy');
    expect(out.trim().endsWith('exit=0'), out).toBe(true);
    expect(await domidIfAny(`${P}-fg`)).toBe(null);

    const e = await createOurs(`${P}-e`, [], ['-e'], POWEROFF);
    await waitFor(`${P}-e to shut itself down`, 60, async () => /s-/.test(await stateOf(`${P}-e`)));
    // 5 s for anything to act on it (a monitor destroying it, or logging its shutdown), sooner if something does.
    const acted = (v: { list: string; log: string }) =>
      !new RegExp(`${P}-e\\s+${e}\\s`).test(v.list) || v.log.includes(`Domain ${e} has shut down`);
    const seen = await settle(5, async () => ({ list: await dom0ok(['xl', 'list']), log: await monitorLog() }), acted);
    expect(seen.list).toMatch(new RegExp(`${P}-e\\s+${e}\\s.*s-`));
    expect(seen.log).not.toContain(`Domain ${e} has shut down`);
    expect((await dom0sh(`test -e /var/run/xen/xl-monitor/${e}.json`)).code).not.toBe(0);
    // With none of our guests left, the monitor goes too.
    await destroyOurGuests(XL);
    await waitFor('the monitor to exit', 60, async () => (await monitors()) === 0);
  }, 600_000);
});

describe(`a failed xl create leaves nothing behind (Xen ${XEN})`, () => {
  const FAIL = `${P}-fail`;
  /** The host as the file's beforeAll found it (host-state.ts): a failed create must leave it exactly so. */
  let clean = '';
  const onlyDom0 = async () => expect(await leftSince(clean)).toEqual([]);
  /**
   * The rollback of each step is tried on a minimal PV ELF (Xen notes, a page of code): every hypercall and
   * xenstore write of a real build, without unpacking a 65 MB kernel 25 times. It is never unpaused.
   */
  const TINY = [`kernel="/tmp/${P}-tiny.elf"`, 'memory=32'];
  beforeAll(async () => {
    await destroyAllGuests();
    await putElf(`/tmp/${P}-tiny.elf`, Buffer.alloc(4096, 0xf4));
    // The parents the first create of a boot leaves for good (xl's too): this part may run first on a fresh lab.
    await dom0sh('for p in /libxl /vm; do xenstore-exists $p || xenstore-write $p ""; done');
    clean = await hostState();
    expect(clean).toContain('domain 0\n');
    expect(clean).not.toMatch(/^domain [1-9]/m);
  });

  it('the leftover check sees a leak injected into the rollback (a /libxl/<domid> node kept)', async () => {
    const r = await dom0(['env', 'XL_TEST_FAIL_AT=populate physmap', 'XL_TEST_ROLLBACK_LEAK=/libxl/%d/leak',
      XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${FAIL}"`, ...TINY], 300);
    expect(r.code).toBe(1);
    const leaked = await leftSince(clean);
    await dom0sh("for d in $(xenstore-list /libxl); do xenstore-exists /libxl/$d/leak && xenstore-rm /libxl/$d; done; true");
    expect(leaked).toEqual([expect.stringMatching(/^xenstore \/libxl\/\d+$/), expect.stringMatching(/^xenstore \/libxl\/\d+\/leak$/)]);
    await onlyDom0();
  }, 300_000);

  // Every step of libxl__domain_make / build_pre / build_pv / build_post / console_add after createdomain.
  const steps: [string, string][] = [
    ['writing xenstore nodes', `writing xenstore nodes for domain '${FAIL}'`],
    ['setting vcpus', `setting vcpus for domain '${FAIL}'`],
    ['setting maximum memory', `setting maximum memory for domain '${FAIL}'`],
    ['allocating event channels', `allocating event channels for domain '${FAIL}'`],
    ...['memory layout', 'set address size', 'populate physmap', 'load kernel', 'load ramdisk',
      'clear xenstore and console pages', 'write p2m', 'write page tables', 'read domain info', 'write start_info',
      'pin page tables', 'shared info', 'vcpu context', 'grant table']
      .map((s): [string, string] => [s, `building domain '${FAIL}': ${s}`]),
    ['introducing domain to xenstored', `introducing domain to xenstored for domain '${FAIL}'`],
    ['adding console', `adding console for domain '${FAIL}'`],
    ['saving domain configuration', `saving domain configuration for domain '${FAIL}'`],
    ['unpausing domain', `unpausing domain '${FAIL}'`],
  ];
  // Through the CLI (the one-line message and exit status) for one step of each phase...
  for (const [step, text] of steps.filter(([st]) => ['writing xenstore nodes', 'populate physmap', 'unpausing domain'].includes(st))) {
    it(`xl create with a failure at "${step}": one line, exit 1, rolled back`, async () => {
      const r = await dom0(['env', `XL_TEST_FAIL_AT=${step}`, XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${FAIL}"`, ...TINY], 300);
      expect(r.stderr).toBe(`xl create: ${text}: failure injected for testing\n`);
      expect(r.code).toBe(1);
      await onlyDom0();
    }, 300_000);
  }

  // ...and every step through our libxl in one process, the C tools checking what is left after each.
  it(`a failure at each of the ${steps.length} steps is rolled back (libxl create, one process)`, async () => {
    const prog = await bundleForDom0('test/lab/programs/create-failures.ts');
    const quoted = steps.map(([st]) => `'${st}'`).join(' ');
    const r = await dom0sh(`node ${prog} /lab/guests/pv.cfg ${XEN} ${FAIL} ${quoted} -- ${TINY.map((t) => `'${t}'`).join(' ')}`, 600);
    expect(r.code, r.stderr).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: string; error: string; domains: string[]; leftovers: string[] });
    expect(results.map((x) => x.step)).toEqual(steps.map(([st]) => st));
    for (const [i, [step, text]] of steps.entries()) {
      expect(results[i], step).toEqual({ step, error: `${text}: failure injected for testing`, domains: ['Domain-0'], leftovers: [] });
    }
    await onlyDom0();
  }, 600_000);

  it('a domain destroyed under the create (as by another xl): the rollback still frees its disk and nic', async () => {
    const r = await dom0(['env', 'XL_TEST_FAIL_AT=vanish:saving domain configuration', XL, 'create', '-q', '/lab/guests/pv.cfg',
      `name="${FAIL}"`, ...TINY, 'disk=["file:/lab/guests/disk.img,xvda,w"]', 'vif=["bridge=xenbr0"]'], 300);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `xl create: saving domain configuration for domain '${FAIL}': domain destroyed under the create (injected for testing)`);
    await onlyDom0();
  }, 300_000);

  it('xenstored refusing a write (ENOENT: a transaction it does not know) is rolled back', async () => {
    const r = await dom0(['env', 'XL_TEST_XS_REFUSE=/memory/target$', XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${FAIL}"`, ...TINY], 300);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xl create: writing xenstore nodes for domain '${FAIL}': .*ENOENT.*\\n$`));
    await onlyDom0();
  }, 300_000);

  it('more memory than Xen has free: the hypervisor refuses, the create is rolled back', async () => {
    const r = await dom0([XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${FAIL}"`, ...TINY, 'memory=2600'], 300);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xl create: building domain '${FAIL}': (claim pages|populate physmap): .*\\n$`));
    await onlyDom0();
  }, 300_000);

  it('too little memory for the kernel and its tables: one line, nothing left', async () => {
    // The layout refuses it: the kernel is placed at 16 MiB (makeElf's paddr) and its bss runs to 32 MiB, in an
    // 8 MiB guest.
    await putElf(`/tmp/${P}-big.elf`, Buffer.alloc(4096, 0xf4), 16 << 20);
    const r = await dom0([XL, 'create', '-q', '/lab/guests/pv.cfg', `name="${FAIL}"`, `kernel="/tmp/${P}-big.elf"`, 'memory=8'], 300);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xl create: building domain '${FAIL}': .*not enough memory.*\\n$`));
    await onlyDom0();
  }, 300_000);
});
