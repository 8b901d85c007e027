// xl info, dmesg, uptime and vcpu-list: our xl next to Debian's C xl on the same host, byte for byte where the
// output is stable; only values that change between two calls are compared loosely (free memory, uptimes, the
// cpu time, pcpu and state of dom0's running vcpus). One guest of our own (h6-a, made paused with the C xl, never
// booted: the tree and the vcpu are what is read) gives uptime and vcpu-list a domU; its vcpu line must match exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUR_XL, XEN, destroyAllGuests, diedBySignal, dom0, noteRetry, waitFor, type Dom0Result } from './lab.js';

const OURS = OUR_XL;
const GUEST = 'h6-a';
/** A domid nobody uses (below DOMID_FIRST_RESERVED). */
const NO_DOMID = '32000';

/** The C xl, again (counted) if it died by a signal: the emulated dom0's known flake, not ours to judge. */
async function cxl(...args: string[]): Promise<Dom0Result> {
  for (let i = 0; ; i++) {
    const r = await dom0(['xl', ...args]);
    if (!diedBySignal(r) || i === 2) return r;
    noteRetry(`C xl ${args.join(' ')}`, `died: code ${r.code}, signal ${r.signal}`);
  }
}
/** Our xl, once: a crash of ours is a failure. */
const ours = (...args: string[]) => dom0([OURS, ...args]);

async function domids(): Promise<Map<string, string>> {
  const r = await cxl('list');
  return new Map(r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)).map(([name, id]) => [name, id]));
}

beforeAll(async () => {
  // Guests left by other files (an HVM guest's firmware logs to the ring) would keep dmesg moving.
  await destroyAllGuests();
  // The gzipped ELF kernel: no xz for the C xl to unpack (its XZ probe failed now and then in the lab).
  await waitFor(`${GUEST} to be created`, 180, async () =>
    (await cxl('create', '-p', '/lab/guests/pv.cfg', `name="${GUEST}"`, 'kernel="/lab/guests/vmlinux.gz"')).code === 0);
});

afterAll(async () => {
  if ((await domids()).has(GUEST)) await cxl('destroy', GUEST);
});

/** `label : value` lines with the values of `labels` replaced. */
const maskFields = (text: string, labels: string[]) =>
  text.replace(new RegExp(`^(${labels.join('|')})( +): .*$`, 'gm'), '$1$2: <masked>');
const fieldOf = (text: string, label: string) => new RegExp(`^${label} +: (.*)$`, 'm').exec(text)?.[1];

describe(`xl info (Xen ${XEN})`, () => {
  it('prints what the C xl prints, free memory aside', async () => {
    const [c, o] = [await cxl('info'), await ours('info')];
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toBe('');
    expect(maskFields(o.stdout, ['free_memory'])).toBe(maskFields(c.stdout, ['free_memory']));
    expect(o.stdout.split('\n').length).toBeGreaterThan(30);
    expect(Math.abs(Number(fieldOf(o.stdout, 'free_memory')) - Number(fieldOf(c.stdout, 'free_memory')))).toBeLessThanOrEqual(512);
  });

  it('-n adds the same cpu, device and NUMA topology', async () => {
    const [c, o] = [await cxl('info', '-n'), await ours('info', '-n')];
    expect(o.code, o.stderr).toBe(0);
    // memfree is the third column of numa_info's rows only (cpu_topology's rows have the same shape: keep them)
    const mask = (t: string) => maskFields(t, ['free_memory'])
      .replace(/(^numa_info +:\nnode: .*\n)((?: *\d+: .*\n)+)/m, (_m, head: string, rows: string) =>
        head + rows.replace(/^( *\d+: +\d+ +)\d+/gm, '$1<masked>'));
    expect(mask(o.stdout)).toBe(mask(c.stdout));
    expect(o.stdout).toMatch(/^cpu_topology +:\ncpu: +core +socket +node\n/m);
    expect(o.stdout).toMatch(/^numa_info +:\nnode: +memsize +memfree +distances\n/m);
  });

  it.each(['xen_version', 'virt', 'cc_', 'nosuch'])('with a name (%j) prints the same values', async (name) => {
    const [c, o] = [await cxl('info', name), await ours('info', name)];
    expect({ code: o.code, stdout: o.stdout, stderr: o.stderr }).toEqual({ code: c.code, stdout: c.stdout, stderr: c.stderr });
  });

  it('rejects an unknown option as the C xl does', async () => {
    const [c, o] = [await cxl('info', '-x'), await ours('info', '-x')];
    expect({ code: o.code, stderr: o.stderr }).toEqual({ code: c.code, stderr: c.stderr });
    expect(o.code).toBe(2);
  });

  it('--json carries the same facts', async () => {
    const [c, o] = [await cxl('info'), await ours('info', '--json')];
    expect(o.code, o.stderr).toBe(0);
    const j = JSON.parse(o.stdout);
    for (const k of ['host', 'release', 'machine', 'nr_cpus', 'max_cpu_id', 'nr_nodes', 'total_memory', 'free_cpus', 'xen_major',
      'xen_version', 'xen_scheduler', 'xen_pagesize', 'xen_changeset', 'xen_commandline', 'cc_compiler', 'build_id']) {
      expect(String(j[k]), k).toBe(fieldOf(c.stdout, k));
    }
    expect(j.xen_caps.trimEnd()).toBe(fieldOf(c.stdout, 'xen_caps')!.trimEnd());
    expect(j.virt_caps.join(' ')).toBe(fieldOf(c.stdout, 'virt_caps'));
    expect(j.hw_caps.join(':')).toBe(fieldOf(c.stdout, 'hw_caps'));
    expect(j.cpu_khz / 1000).toBeCloseTo(Number(fieldOf(c.stdout, 'cpu_mhz')), 3);
  });
});

describe(`xl dmesg (Xen ${XEN})`, () => {
  it('prints the same ring as the C xl', async () => {
    await cxl('debug-keys', 'h'); // something in the ring even after an earlier clear
    // The ring may grow between the two reads; it is quiet enough that one of a few tries sees it still.
    const same = await waitFor('two equal reads', 30, async () => {
      const [c, o] = [await cxl('dmesg'), await ours('dmesg')];
      expect(o.code, o.stderr).toBe(0);
      return c.stdout === o.stdout && c.stdout;
    });
    expect(same).toMatch(/^\(XEN\) /);
  });

  it('-c clears the ring for the C xl, and the C xl -c clears it for ours', async () => {
    await cxl('debug-keys', 'h');
    const before = (await cxl('dmesg')).stdout;
    const cleared = await ours('dmesg', '-c');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout.startsWith(before)).toBe(true);
    expect((await cxl('dmesg')).stdout).not.toContain(before.split('\n')[0]);
    await cxl('debug-keys', 'h');
    const fresh = (await cxl('dmesg')).stdout;
    expect(fresh).toMatch(/^\(XEN\) 'h' pressed -> showing installed handlers\n/);

    const c = await cxl('dmesg', '--clear');
    expect(c.stdout.startsWith(fresh)).toBe(true);
    expect((await ours('dmesg')).stdout).not.toContain("'h' pressed");
    await cxl('debug-keys', 'h');
    const [o2, c2] = [await ours('dmesg'), await cxl('dmesg')];
    expect(o2.stdout).toMatch(/^\(XEN\) 'h' pressed -> showing installed handlers\n/);
    expect(o2.stdout).toBe(c2.stdout);
  });
});

/** Uptime rows by "name id", with the uptime in seconds. */
function uptimeRows(text: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const l of text.trim().split('\n').slice(1)) {
    const m = /^(\S+) +(\d+) (?:(\d+) days?, )?([ \d]\d):(\d\d):(\d\d)$/.exec(l);
    if (!m) throw new Error(`not an uptime row: ${JSON.stringify(l)}`);
    rows.set(`${m[1]} ${m[2]}`, Number(m[3] ?? 0) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]));
  }
  return rows;
}

/** Seconds our xl may run after the C xl (node starts slowly under TCG). */
const SLACK = 90;

describe(`xl uptime (Xen ${XEN})`, () => {
  it('lists the same domains in the same order, uptimes a few seconds apart', async () => {
    const c = await cxl('uptime');
    const o = await ours('uptime');
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout.split('\n')[0]).toBe(c.stdout.split('\n')[0]);
    const [cr, or] = [uptimeRows(c.stdout), uptimeRows(o.stdout)];
    // Another user's domains may come and go meanwhile; ours and dom0 stay.
    const both = [...cr.keys()].filter((k) => or.has(k));
    expect(both).toEqual([...or.keys()].filter((k) => cr.has(k)));
    expect(both[0]).toBe('Domain-0 0');
    expect(both.some((k) => k.startsWith(`${GUEST} `))).toBe(true);
    for (const k of both) {
      const d = or.get(k)! - cr.get(k)!;
      expect(d, k).toBeGreaterThanOrEqual(0);
      expect(d, k).toBeLessThanOrEqual(SLACK);
    }
  });

  it('-s prints the clock and the uptime to the minute', async () => {
    const [c, o] = [await cxl('uptime', '-s', GUEST, '0'), await ours('uptime', '-s', GUEST, '0')];
    expect(o.code, o.stderr).toBe(0);
    const re = /^ (\d\d):(\d\d):(\d\d) up (?:(\d+) days?, )?([ \d]\d):(\d\d), (\S+) \((\d+)\)$/;
    const parse = (t: string) => t.trimEnd().split('\n').map((l) => {
      const m = re.exec(l);
      if (!m) throw new Error(`not a short uptime row: ${JSON.stringify(l)}`);
      return { clock: +m[1] * 3600 + +m[2] * 60 + +m[3], up: (+(m[4] ?? 0) * 24 + +m[5]) * 60 + +m[6], who: `${m[7]} (${m[8]})` };
    });
    const [cr, or] = [parse(c.stdout), parse(o.stdout)];
    expect(or.map((r) => r.who)).toEqual(cr.map((r) => r.who));
    for (const [i, r] of or.entries()) {
      expect((r.clock - cr[i].clock + 86400) % 86400).toBeLessThanOrEqual(SLACK);
      expect(r.up - cr[i].up).toBeGreaterThanOrEqual(0);
      expect(r.up - cr[i].up).toBeLessThanOrEqual(Math.ceil(SLACK / 60) + 1);
    }
  });

  it('takes domains by name and id, in the order given', async () => {
    const [c, o] = [await cxl('uptime', GUEST, '0', 'Domain-0'), await ours('uptime', GUEST, '0', 'Domain-0')];
    expect([...uptimeRows(o.stdout).keys()]).toEqual([...uptimeRows(c.stdout).keys()]);
  });

  it('fails on an unknown name with the C message and status, and prints only the header for an unused domid', async () => {
    const args = [GUEST, 'nosuch-h6'];
    const [cb, ob] = [await cxl('uptime', ...args), await ours('uptime', ...args)];
    expect({ code: ob.code, stdout: ob.stdout, stderr: ob.stderr }).toEqual({ code: cb.code, stdout: cb.stdout, stderr: cb.stderr });
    expect(ob.code).toBe(1);
    const [c, o] = [await cxl('uptime', NO_DOMID), await ours('uptime', NO_DOMID)];
    expect({ code: o.code, stdout: o.stdout }).toEqual({ code: c.code, stdout: c.stdout });
    expect(o.stderr).toContain(`Domain ${NO_DOMID}:Can't get start time of domain`);
  });

  it('--json gives the domain, its uptime and the start time libxl recorded', async () => {
    const c = uptimeRows((await cxl('uptime', GUEST)).stdout);
    const o = await ours('uptime', '--json', GUEST);
    const [row] = JSON.parse(o.stdout);
    const id = (await domids()).get(GUEST)!;
    expect(row).toMatchObject({ name: GUEST, domid: Number(id) });
    expect(row.uptime - c.get(`${GUEST} ${id}`)!).toBeGreaterThanOrEqual(0);
    expect(row.uptime - c.get(`${GUEST} ${id}`)!).toBeLessThanOrEqual(SLACK);
    const vm = (await dom0(['xenstore-read', `/local/domain/${id}/vm`])).stdout.trim();
    const start = (await dom0(['xenstore-read', `${vm}/start_time`])).stdout.trim();
    expect(row.start_time).toBe(Math.trunc(Number(start)));
  });
});

/** vcpu-list rows keyed by name, id and vcpu; with dom0's moving parts (cpu, state, time) cut off when asked. */
function vcpuRows(text: string, stable: (name: string) => boolean): Map<string, string> {
  const rows = new Map<string, string>();
  for (const l of text.trimEnd().split('\n').slice(1)) {
    const m = /^(\S+) +(\d+) +(\d+)( +[-\d]+ +\S{3} +[\d.]+  )(.*)$/.exec(l);
    if (!m) throw new Error(`not a vcpu-list row: ${JSON.stringify(l)}`);
    rows.set(`${m[1]} ${m[2]} ${m[3]}`, stable(m[1]) ? l : `${l.slice(0, l.length - m[4].length - m[5].length)} ... ${m[5]}`);
  }
  return rows;
}

describe(`xl vcpu-list (Xen ${XEN})`, () => {
  beforeAll(async () => {
    // Created paused and never run: its vcpu holds still, the same cpu, state and time for both.
    expect((await cxl('list', GUEST)).stdout).toMatch(new RegExp(`^${GUEST} .* --p--- `, 'm'));
  });

  const stable = (name: string) => name === GUEST;

  it('prints the same header and rows; the paused guest exactly', async () => {
    // Ours runs between two C runs: the guest's row (never run, paused) is the same in all three; dom0's vcpu time
    // is the one thing that moves, and ours must lie between the two C readings (and be more than nothing).
    const guestRow = (t: string) => t.split('\n').find((l) => l.startsWith(`${GUEST} `));
    const [c1, o, c2] = [await cxl('vcpu-list'), await ours('vcpu-list'), await cxl('vcpu-list')];
    const c = guestRow(o.stdout) === guestRow(c2.stdout) ? c2 : c1;
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout.split('\n')[0]).toBe('Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)');
    expect(o.stdout.split('\n')[0]).toBe(c.stdout.split('\n')[0]);
    const [cr, or] = [vcpuRows(c.stdout, stable), vcpuRows(o.stdout, stable)];
    const both = [...or.keys()].filter((k) => cr.has(k));
    expect(both.filter((k) => k.startsWith('Domain-0 0 ')).length).toBeGreaterThan(0);
    expect(both.filter((k) => k.startsWith(`${GUEST} `)).length).toBe(1);
    for (const k of both) expect(or.get(k), k).toBe(cr.get(k));
    const [gc] = c.stdout.split('\n').filter((l) => l.startsWith(`${GUEST} `));
    expect(o.stdout).toContain(`${gc}\n`);
    const dom0Times = (t: string) => [...t.matchAll(/^Domain-0 +0 +(\d+) +[-\d]+ +\S{3} +([\d.]+) /gm)].map((m) => Number(m[2]));
    const [t1, to, t2] = [dom0Times(c1.stdout), dom0Times(o.stdout), dom0Times(c2.stdout)];
    expect(to.length, o.stdout).toBeGreaterThan(0);
    for (const [i, t] of to.entries()) {
      expect(t, `dom0 vcpu ${i}: C ${t1[i]}, ours ${t}, C again ${t2[i]}`).toBeGreaterThanOrEqual(t1[i]!);
      expect(t, `dom0 vcpu ${i}: C ${t1[i]}, ours ${t}, C again ${t2[i]}`).toBeLessThanOrEqual(t2[i]!);
      expect(t).toBeGreaterThan(0);
    }
  });

  it('takes domains by name and id, in the order given', async () => {
    const [c, o] = [await cxl('vcpu-list', GUEST, '0'), await ours('vcpu-list', GUEST, '0')];
    expect([...vcpuRows(o.stdout, stable)]).toEqual([...vcpuRows(c.stdout, stable)]);
  });

  it('stops at an unknown name as the C xl does, after the domains before it', async () => {
    const args = [GUEST, 'nosuch-h6'];
    const [c, o] = [await cxl('vcpu-list', ...args), await ours('vcpu-list', ...args)];
    expect({ code: o.code, stdout: o.stdout, stderr: o.stderr }).toEqual({ code: c.code, stdout: c.stdout, stderr: c.stderr });
    expect(o.code).toBe(1);
    expect(o.stdout.split('\n')).toHaveLength(3); // header and the guest's one vcpu
  });

  it('prints only the header for an unused domid, with an error from libxl and status 0', async () => {
    const [c, o] = [await cxl('vcpu-list', NO_DOMID), await ours('vcpu-list', NO_DOMID)];
    expect({ code: o.code, stdout: o.stdout }).toEqual({ code: c.code, stdout: c.stdout });
    expect(o.stderr).toMatch(new RegExp(`^libxl: error: .*Domain ${NO_DOMID}:`));
  });

  it('--json gives the same vcpus', async () => {
    const text = (await cxl('vcpu-list', GUEST)).stdout.trimEnd().split('\n')[1].split(/\s+/);
    const rows = JSON.parse((await ours('vcpu-list', '--json', GUEST)).stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: GUEST, domid: Number(text[1]), vcpu: Number(text[2]), cpu: Number(text[3]), state: text[4] });
    expect(rows[0].time).toBeCloseTo(Number(text[5]), 0);
    expect(`${rows[0].hard_affinity_text} / ${rows[0].soft_affinity_text}`).toBe(text.slice(6).join(' '));
  });
});
