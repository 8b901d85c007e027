// Our xl list / domid / domname / rename / pause / unpause / destroy next to Debian's C xl on the same guests:
// guests are created with the C xl, outputs are compared with the C xl's on the same state (only Time(s) masked),
// and what our control commands do is checked with the C xl and xenstore-ls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUR_XL, XEN, caseKey, diedBySignal, dom0, dom0ok, dom0sh, domidOf, guestConsole, noteRetry, once, settle, shellWords, sideBySide,
  stateOf, uuidOf, waitFor, xenstorePaths,
  type Dom0Result, type SideBySide,
} from './lab.js';

const OURS = OUR_XL;
const P = 'xlt20'; // guest names unique to this file
const RUN = `${P}-run`;
const PAUSED = `${P}-paused`;
const DISK = `/tmp/${P}-disk.img`;

/** The lab kernel as a gzipped ELF, quicker to unpack than the bzImage (file 40 boots that). */
const FAST = `'kernel="/lab/guests/vmlinux.gz"'`;
/** C xl create of pv-devices.cfg with our own disk copy (the lab's image is in use elsewhere). */
const createDevices = (name: string, disk: string) =>
  dom0sh(`cp /lab/guests/disk.img ${disk} && xl create /lab/guests/pv-devices.cfg 'name="${name}"' ${FAST} 'disk=["file:${disk},xvda,w"]'`, 180);

/** Time(s) is the 9 characters after column 70 of each domain row: the only column masked. Every row is kept. */
const maskTime = (text: string) =>
  text.split('\n').map((l, i) => (i > 0 && l.length >= 79 ? l.slice(0, 70) + ' T.T'.padStart(9) + l.slice(79) : l)).join('\n');

/** A domU row's state column may move between r and b from one call to the next (an idle guest's tick). */
const noRB = (t: string) => t.replace(/ (r-|-b)(----) /g, ' ??$2 ');
const flipsOnly = (a: string, b: string) => a !== b && noRB(a) === noRB(b);

/** Why a C, ours, C triple must run again ('' when it need not): the host moved between the two C runs, or ours
 * differs from the C xl only where an idle guest's r/b state moved. */
const movedBetween = (mask: (t: string) => string, c1: string, ours: string, c2: string) =>
  mask(c1) !== mask(c2) ? 'the two C xl runs differ'
    : flipsOnly(mask(ours), mask(c1)) ? 'ours differs from the C xl only in a guest\'s r/b state' : '';

/**
 * Run the C xl, ours (once), the C xl again with the same arguments. Ours must equal the C xl's output when both C
 * runs agree. When they do not, the host moved between the calls and the triple is run again; so too when ours
 * differs from both only where an idle guest's r/b state moved. Each such rerun is counted in the summary; a death
 * of our xl is never rerun.
 */
async function compareWithC(args: string, mask = maskTime): Promise<{ c: string; ours: string; oursErr: string; code: number }> {
  for (let attempt = 0; ; attempt++) {
    const r = await dom0sh(
      `xl ${args} >/tmp/${P}-c1 2>/tmp/${P}-c1e; echo $? >/tmp/${P}-c1s; ` +
      `${OURS} ${args} >/tmp/${P}-o 2>/tmp/${P}-oe; echo $? >/tmp/${P}-os; ` +
      `xl ${args} >/tmp/${P}-c2 2>/dev/null; ` +
      `for f in c1 c1s o os c2 oe; do cat /tmp/${P}-$f; echo "@@@"; done`);
    const [c1, c1s, o, os, c2, oe] = r.stdout.split('@@@\n');
    expect(Number(os) === 7 || Number(os) >= 128, `our xl died on "${args}" (status ${os.trim()}): ${oe}`).toBe(false);
    const moved = movedBetween(mask, c1, o, c2);
    if (moved && attempt < 4) {
      noteRetry(`xl ${args}`, moved);
      continue;
    }
    expect(Number(os), `exit status of ours for "${args}"`).toBe(Number(c1s));
    return { c: mask(c1), ours: mask(o), oursErr: oe, code: Number(os) };
  }
}

/** Our xl, once: a death of ours (signal, node's status 7, a timeout) fails the test with what was seen. */
async function ours(args: string[], timeout = 120): Promise<Dom0Result> {
  const r = await dom0sh(`${OURS} ${shellWords(args)}; exit $?`, timeout);
  expect(diedBySignal(r) || r.code === 7, `our xl died on "${args.join(' ')}": code ${r.code}, signal ${r.signal}, ` +
    `timedOut ${r.timedOut}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}`).toBe(false);
  return r;
}


describe(`our xl list and domain control next to the C xl (Xen ${XEN})`, () => {
  beforeAll(async () => {
    await dom0sh(`for n in ${RUN} ${PAUSED} ${P}-c ${P}-o; do xl destroy $n 2>/dev/null; done; rm -f /var/log/xen/console/guest-${RUN}.log; true`);
    const a = await createDevices(RUN, DISK);
    expect(a.code, a.stderr).toBe(0);
    const b = await dom0sh(`xl create -p /lab/guests/pv.cfg 'name="${PAUSED}"' ${FAST}`, 120);
    expect(b.code, b.stderr).toBe(0);
    // The running guest settles once its kernel idles.
    await waitFor(`${RUN} to run`, 120, async () => /-b----|r-----/.test(await dom0ok(['xl', 'list', RUN])));
  });

  // The lab's PV guest with a disk and a vif under the C xl: the reference the other files compare ours with.
  it('the C xl\'s pv-devices guest boots, reads its disk, has eth0 and a vif in xenbr0', async () => {
    const log = await waitFor('the guest device report', 120, async () => {
      const text = await guestConsole(RUN);
      return /LAB-GUEST-ETH0 /.test(text) && text;
    });
    expect(log).toContain('LAB-GUEST-READY');
    expect(log).toContain(`LAB-GUEST-XVDA LAB-DISK-CONTENT disk xen-${XEN}`);
    const id = await domidOf(RUN);
    const mac = (await dom0ok(['xenstore-read', `/local/domain/0/backend/vif/${id}/0/mac`])).trim();
    expect(log).toContain(`LAB-GUEST-ETH0 ${mac}`);
    expect(await dom0ok(['brctl', 'show', 'xenbr0'])).toContain(`vif${id}.0`);
  });

  afterAll(async () => {
    await dom0sh(`for n in ${RUN} ${PAUSED} ${P}-c ${P}-o ${P}-renamed; do xl destroy $n 2>/dev/null; done; ` +
      `rm -f /tmp/${P}-*; true`);
  });

  // Every comparison that only reads the host runs in one dom0 process (lab.ts sideBySide): the C xl, our main()
  // in-process, the C xl again. The last test below runs some of them through the real installed xl as well.
  const LISTS = ['', '-v', '-Z', '-c', '-n', '-v -c -n', '-Z -c', '--verbose --cpupool', '0', RUN, PAUSED]
    .map((a) => ['list', ...a.split(' ').filter(Boolean)]);
  const BAD_INPUT = [
    ['domid', 'no-such-guest'], ['domname', '4000'], ['domname', 'abc'], ['domname', ''],
    ['list', 'no-such-guest'], ['list', '4000'], ['list', 'a', 'b'],
    ['pause', 'no-such-guest'], ['unpause', 'no-such-guest'], ['destroy', 'no-such-guest'], ['destroy', '4000'], ['destroy', '0'],
    ['rename', 'no-such-guest', 'x'],
  ];
  const NAMES = async () => [['domid', RUN], ['domid', 'Domain-0'], ['domname', '0'], ['domname', String(await domidOf(PAUSED))]];
  const masked = (argv: string[]) => (argv[0] === 'list' ? maskTime : (t: string) => t);
  // The first test to ask for a result waits for every case: sideBySide's own 900 s limit and the reruns' time.
  const COMPARED_TIMEOUT = 1_500_000;

  /** The side-by-side results: a case whose two C xl runs differ (or where ours differs from both only in a guest's
   * r/b state) is run again, up to four times, each rerun counted; a death of ours is never rerun. */
  const compared = once(async () => {
    const cases = [...LISTS, ['list', String(await domidOf(PAUSED))], ...await NAMES(), ...BAD_INPUT];
    const done = new Map<string, SideBySide>();
    let todo = cases;
    for (let attempt = 0; todo.length; attempt++) {
      const results = await sideBySide(todo, { again: true });
      todo = todo.filter((argv) => {
        const r = results.get(caseKey(argv));
        if (!r) return false; // the C xl kept dying: result() fails the case, naming it
        const mask = masked(argv);
        const moved = movedBetween(mask, r.c.stdout, r.ours.stdout, r.c2!.stdout);
        if (moved && attempt < 4) {
          noteRetry(`xl ${argv.join(' ')}`, moved);
          return true;
        }
        done.set(caseKey(argv), r);
        return false;
      });
    }
    return done;
  });
  const result = async (argv: string[]) => {
    const r = (await compared()).get(caseKey(argv));
    expect(r, `a result for xl ${argv.join(' ')}`).toBeDefined();
    expect(r!.ours.code, `exit status of ours for "${argv.join(' ')}"`).toBe(r!.c.code);
    const mask = masked(argv);
    return { c: mask(r!.c.stdout), ours: mask(r!.ours.stdout), cErr: r!.c.stderr, oursErr: r!.ours.stderr };
  };

  it.each(LISTS.map((a) => [a.slice(1).join(' '), a] as const))('xl list %s matches the C xl', async (_label, argv) => {
    const { c, ours } = await result(argv);
    expect(ours).toBe(c);
    expect(c).toContain('Name ');
  }, COMPARED_TIMEOUT);

  it('xl list <domid> and the paused guest\'s state letters', async () => {
    const id = await domidOf(PAUSED);
    const { c, ours } = await result(['list', String(id)]);
    expect(ours).toBe(c);
    expect(ours).toMatch(new RegExp(`^${PAUSED} +${id} +128 +1 +--p--- `, 'm'));
  }, COMPARED_TIMEOUT);

  it('xl list -l: the same JSON as the C xl for each guest', async () => {
    for (const name of [RUN, PAUSED]) {
      const c = await dom0(['xl', 'list', '-l', name]);
      const o = await ours(['list', '-l', name]);
      expect(o.code, o.stderr).toBe(c.code);
      expect(JSON.parse(o.stdout)).toEqual(JSON.parse(c.stdout));
      expect(o.stdout).toBe(c.stdout);
    }
  });

  it('xl list -l for dom0 alone: empty array, a one-line note, exit 0 like the C xl', async () => {
    const c = await dom0(['xl', 'list', '-l', '0']);
    const o = await ours(['list', '-l', '0']);
    expect(o.stdout).toBe(c.stdout);
    expect(o.code).toBe(c.code);
    expect(o.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('xl domid and xl domname agree with the C xl', async () => {
    for (const argv of await NAMES()) {
      const { c, ours } = await result(argv);
      expect(ours).toBe(c);
    }
  }, COMPARED_TIMEOUT);

  it.each(BAD_INPUT.map((a) => [a.map((w) => w || '""').join(' '), a] as const))('bad input: xl %s exits like the C xl, with its message', async (label, argv) => {
    const { c, ours, cErr, oursErr } = await result(argv);
    // The C xl's whole stderr but libxl's own log lines (libxl: error: <file>.c:<line>:...), which ours does not
    // print; for `destroy 4000` ours puts the reason libxl logged on the C xl's last line.
    const cOwn = cErr.split('\n').filter((l) => !l.startsWith('libxl: ')).join('\n');
    const want = label === 'destroy 4000' ? cOwn.replace(/\n$/, ': Domain 4000: non-existent domain\n') : cOwn;
    expect(oursErr, `C xl's stderr: ${cErr}`).toBe(want);
    expect(ours).toBe(c);
  }, COMPARED_TIMEOUT);

  it('the real installed xl answers as main() did in-process (list, list -v, two refusals)', async () => {
    for (const argv of [LISTS[0], LISTS[1], BAD_INPUT[0], BAD_INPUT[10]]) {
      const inProcess = await result(argv);
      const { c, ours: installed, oursErr } = await compareWithC(argv.join(' '), masked(argv));
      expect(installed, `xl ${argv.join(' ')}`).toBe(c);
      expect(oursErr, `xl ${argv.join(' ')}: installed stderr against in-process`).toBe(inProcess.oursErr);
      // An idle guest's r/b may move between the two runs of ours.
      expect(noRB(installed), `xl ${argv.join(' ')}: installed against in-process`).toBe(noRB(inProcess.ours));
    }
  }, COMPARED_TIMEOUT);

  it('as a non-root user: exit status of the C xl and one line asking "are you root?"', async () => {
    for (const args of ['list', `domid ${RUN}`, `pause ${RUN}`]) {
      const c = await dom0sh(`setpriv --reuid=65534 --regid=65534 --clear-groups xl ${args}`);
      const o = await dom0sh(`setpriv --reuid=65534 --regid=65534 --clear-groups ${OURS} ${args}; exit $?`);
      expect(o.code).toBe(c.code);
      expect(c.stderr).toContain('cannot init xl context');
      expect(o.stderr).toMatch(/^xl: cannot init xl context: .*are you root\?\n$/);
    }
  });

  it('pause and unpause: the C xl sees the p flag come and go', async () => {
    // The state column as the C xl shows it; r and b are the vcpu's scheduling at that instant (a vcpu paused
    // while blocked keeps b until an event clears it), so only the p flag is the pause's.
    const paused = async (name: string) => {
      const st = await stateOf(name);
      expect(st, `${name}'s state in the C xl's list`).toMatch(/^[r-][b-][p-][s-][c-][d-]$/);
      return st[2] === 'p';
    };
    expect((await ours(['pause', RUN])).code).toBe(0);
    expect(await paused(RUN)).toBe(true);
    expect((await ours(['unpause', String(await domidOf(RUN))])).code).toBe(0);
    expect(await paused(RUN)).toBe(false);
    // The guest created paused starts running under our unpause, and pauses again.
    expect((await ours(['unpause', PAUSED])).code).toBe(0);
    expect(await paused(PAUSED)).toBe(false);
    expect((await ours(['pause', PAUSED])).code).toBe(0);
    expect(await paused(PAUSED)).toBe(true);
  });

  it('rename: the C xl finds the new name, xenstore has it in both places; clashes fail like the C xl', async () => {
    const id = await domidOf(PAUSED);
    const uuid = await uuidOf(id);
    expect((await ours(['rename', PAUSED, `${P}-renamed`])).code).toBe(0);
    expect(await domidOf(`${P}-renamed`)).toBe(id);
    expect((await dom0ok(['xenstore-read', `/vm/${uuid}/name`])).trim()).toBe(`${P}-renamed`);
    const c = await dom0(['xl', 'rename', `${P}-renamed`, RUN]);
    const o = await ours(['rename', `${P}-renamed`, RUN]);
    expect(o.code).toBe(c.code);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(new RegExp(`^Can't rename domain '${P}-renamed': Domain with name "${RUN}" already exists\\.\\n$`));
    expect((await ours(['rename', String(id), PAUSED])).code).toBe(0);
    expect((await dom0ok(['xl', 'list', PAUSED]))).toContain(PAUSED);
  });

  describe('destroy', () => {
    const SHARED_BACKEND_PARENTS = ['/local/domain/0/backend', '/local/domain/0/backend/vbd', '/local/domain/0/backend/vif'];
    /** Every xenstore path, with this guest's domid and uuid replaced, as a sorted list. */
    const xenstoreSnapshot = async () => (await xenstorePaths()).sort();

    /** What one destroy removed from xenstore, normalised, and what it left behind; the guest is created here
     * unless it is there already (RUN, which the file's beforeAll made the same way). */
    async function destroyWith(xl: string, name: string, disk: string) {
      if (name !== RUN) {
        const r = await createDevices(name, disk);
        expect(r.code, r.stderr).toBe(0);
      }
      const id = await domidOf(name);
      const uuid = await uuidOf(id);
      // Both backends connected (state 4), so the snapshots of the two guests hold the same nodes.
      await waitFor(`${name}'s devices to connect`, 90, async () => (await dom0sh(
        `[ "$(xenstore-read /local/domain/0/backend/vbd/${id}/51712/state)" = 4 ] && ` +
        `[ "$(xenstore-read /local/domain/0/backend/vif/${id}/0/state)" = 4 ] && ip link show vif${id}.0`)).code === 0);
      const monitor = async () => (await dom0sh(`ps | grep -v grep | grep -c 'xl create.*${name}'`)).stdout.trim();
      const before = await xenstoreSnapshot();
      const userdata = (await dom0sh(`ls /var/lib/xen | grep -c '\\.${id}\\.${uuid}\\.'`)).stdout.trim();
      const d = xl === OURS ? await ours(['destroy', name]) : await dom0([xl, 'destroy', name], 120);
      expect(d.code, d.stderr).toBe(0);
      expect(d.stderr).toBe('');
      const after = await xenstoreSnapshot();
      const norm = (p: string) => p.replaceAll(uuid, 'UUID').replace(new RegExp(`/${id}(/|$)`, 'g'), '/ID$1');
      // Only the guest's own paths: a backend directory both share (backend/vbd) goes with the last guest that
      // has such a device, as libxl's path cleanup does, and which guest is last depends on the order here.
      const gone = before.filter((p) => !after.includes(p)).map(norm);
      const own = (p: string) => p.includes('/ID') || p.includes('UUID');
      const removed = gone.filter(own).sort();
      const shared = gone.filter((p) => !own(p)).sort();
      const leftovers = after.filter((p) => p.includes(uuid) || new RegExp(`/${id}(/|$)`).test(p));
      return {
        id, removed, shared, leftovers, userdata,
        nulls: (await dom0ok(['xenstore-ls', '-f'])).includes('(null)'),
        listed: (await dom0ok(['xl', 'list'])).includes(name),
        loop: (await dom0ok(['losetup', '-a'])).includes(disk),
        vif: (await dom0sh(`ip link show vif${id}.0`)).code === 0,
        // xl create processes still watching the guest, once they have had 30 s to exit
        monitors: await settle(30, monitor, (n) => n === '0'),
        files: (await dom0sh(`ls /var/lib/xen | grep '\\.${id}\\.${uuid}\\.'`)).stdout,
      };
    }

    // Ours destroys the file's running guest: one Linux boot fewer than a guest of its own.
    it('tears a PV guest with vif and disk down exactly as far as the C xl does', async () => {
      const c = await destroyWith('xl', `${P}-c`, `/tmp/${P}-c.img`);
      const o = await destroyWith(OURS, RUN, DISK);
      expect(Number(o.userdata)).toBeGreaterThan(0);
      for (const r of [c, o]) {
        expect(r).toMatchObject({ leftovers: [], nulls: false, listed: false, loop: false, vif: false, monitors: '0', files: '' });
      }
      expect(o.removed).toEqual(c.removed);
      expect(o.removed).toContain('/local/domain/ID');
      // What else went can only be one of the shared backend parents, never another guest's or dom0's node.
      for (const r of [c, o]) expect(r.shared.filter((p) => !SHARED_BACKEND_PARENTS.includes(p))).toEqual([]);
    });

    it('the C xl lists nothing of the destroyed running guest and the paused one goes too', async () => {
      const id = await domidOf(PAUSED);
      expect((await ours(['destroy', String(id)], 120)).code).toBe(0);
      const list = await dom0ok(['xl', 'list']);
      expect(list).not.toContain(PAUSED);
      expect((await dom0sh(`xenstore-ls /local/domain/${id}`)).code).not.toBe(0);
      // The running guest went in the test before; run alone, this test destroys it here.
      if (list.includes(RUN)) expect((await ours(['destroy', RUN], 120)).code).toBe(0);
      expect(await dom0ok(['xl', 'list'])).not.toContain(RUN);
      expect(await dom0ok(['losetup', '-a'])).not.toContain(DISK);
    });
  });
});
