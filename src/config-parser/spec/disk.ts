// Disk specs (xl-disk-configuration(5)), scanned as libxlu_disk_l.l does:
// flex rules tried at each position, longest match wins (trailing context
// counts towards the length), the earlier rule on a tie. Positional
// parameters are target, format, vdev, access; `target=` eats the rest.

import { atoi } from '../cnum.js';
import type { XenVersion } from '../model/dsl.js';
import { device_disk, type DeviceDisk } from '../model/idl.js';
import { initStruct } from '../model/init.js';

export interface DiskSpecError { message: string; near?: string; spec: string }

export class DiskSpecParseError extends Error {
  constructor(readonly errors: DiskSpecError[]) {
    super(errors.map((e) => `${e.message}${e.near !== undefined ? `: near \`${e.near}'` : ''} in \`${e.spec}'`).join('; '));
    this.name = 'DiskSpecParseError';
  }
}

interface Ctx {
  disk: DeviceDisk;
  spec: string;
  errors: DiskSpecError[];
  hadDeprPrefix: boolean;
  accessSet: boolean;
  version: XenVersion;
}

type Action = (ctx: Ctx, text: string) => 'stop' | void;
interface Rule { re: RegExp; trail?: (s: string, at: number) => number; action: Action; since?: XenVersion }

const err = (ctx: Ctx, near: string | undefined, message: string) => { ctx.errors.push({ message, near, spec: ctx.spec }); };
const strip = (t: string) => (t.endsWith(',') ? t.slice(0, -1) : t);
const fromEquals = (t: string) => strip(t).slice(t.indexOf('=') + 1);
const restOfLine = (s: string, at: number) => { const nl = s.indexOf('\n', at); return (nl < 0 ? s.length : nl) - at; };

type EnumField = 'format' | 'backend' | 'specification';
function dset(ctx: Ctx, member: EnumField, value: string, near: string): void {
  const cur = ctx.disk[member];
  if (cur !== 'unknown' && cur !== value) err(ctx, near, `${member} respecified`);
  else (ctx.disk as Record<EnumField, string>)[member] = value;
}

type StrField = 'vdev' | 'pdev_path' | 'script' | 'backend_domname' | 'colo_host' | 'colo_export' | 'active_disk' | 'hidden_disk';
function savestring(ctx: Ctx, what: string, field: StrField, value: string): void {
  const cur = ctx.disk[field];
  if (cur !== null && cur !== '') { err(ctx, value, `${what} respecified`); return; }
  ctx.disk[field] = value;
}

function setformat(ctx: Ctx, s: string): void {
  const formats: Record<string, string> = { '': 'raw', raw: 'raw', qcow: 'qcow', qcow2: 'qcow2', vhd: 'vhd', empty: 'empty', qed: 'qed' };
  if (s in formats) dset(ctx, 'format', formats[s], s);
  else err(ctx, s, 'unknown value for format');
}

function setaccess(ctx: Ctx, s: string): void {
  if (s === 'r' || s === 'ro') ctx.disk.readwrite = 0;
  else if (s === 'rw' || s === 'w' || s === '') ctx.disk.readwrite = 1;
  else err(ctx, s, 'unknown value for access');
}

function vdevAndDevtype(ctx: Ctx, s: string): boolean {
  const colon = s.lastIndexOf(':');
  if (colon < 0) return false;
  savestring(ctx, 'vdev', 'vdev', s.slice(0, colon));
  const type = s.slice(colon + 1);
  if (type === 'cdrom') ctx.disk.is_cdrom = 1;
  else if (type === 'disk') ctx.disk.is_cdrom = 0;
  else err(ctx, type, 'unknown deprecated type');
  return true;
}

const kv = (name: string) => new RegExp(`${name}=[^,]*,?`, 'y');
const flag = (name: string) => new RegExp(`${name},?`, 'y');

const RULES: Rule[] = [
  { re: /[ \t\n]+/y, trail: (s, at) => (at < s.length && !' \t\n'.includes(s[at]) ? restOfLine(s, at) : 0), action: () => {} },
  { re: kv('format'), action: (c, t) => setformat(c, fromEquals(t)) },
  { re: flag('cdrom'), action: (c) => { c.disk.is_cdrom = 1; } },
  { re: flag('devtype=cdrom'), action: (c) => { c.disk.is_cdrom = 1; } },
  { re: flag('devtype=disk'), action: (c) => { c.disk.is_cdrom = 0; } },
  { re: kv('devtype'), action: (c, t) => err(c, t, 'unknown value for type') },
  { re: kv('access'), action: (c, t) => setaccess(c, fromEquals(t)) },
  { re: kv('backend'), action: (c, t) => savestring(c, 'backend', 'backend_domname', fromEquals(t)) },
  {
    re: kv('backendtype'), action: (c, t) => {
      const v = fromEquals(t);
      if (['phy', 'tap', 'qdisk', 'standalone'].includes(v)) dset(c, 'backend', v, v);
      else err(c, v, 'unknown value for backendtype');
    },
  },
  {
    re: kv('specification'), action: (c, t) => {
      const v = fromEquals(t);
      if (v === 'xen' || v === 'virtio') dset(c, 'specification', v, v);
      else err(c, v, 'unknown value for specification');
    },
  },
  { re: kv('vdev'), action: (c, t) => savestring(c, 'vdev', 'vdev', fromEquals(t)) },
  { re: kv('script'), action: (c, t) => savestring(c, 'script', 'script', fromEquals(t)) },
  { re: flag('direct-io-safe'), action: (c) => { c.disk.direct_io_safe = true; } },
  { re: flag('discard'), action: (c) => { c.disk.discard_enable = true; } },
  { re: flag('no-discard'), action: (c) => { c.disk.discard_enable = false; } },
  { re: flag('colo'), action: (c) => { c.disk.colo_enable = true; } },
  { re: flag('no-colo'), action: (c) => { c.disk.colo_enable = false; } },
  { re: kv('colo-host'), action: (c, t) => savestring(c, 'colo-host', 'colo_host', fromEquals(t)) },
  {
    re: kv('colo-port'), action: (c, t) => {
      const v = fromEquals(t);
      const port = atoi(v);
      if (port) c.disk.colo_port = port; else err(c, v, 'unknown value for colo_port');
    },
  },
  { re: kv('colo-export'), action: (c, t) => savestring(c, 'colo-export', 'colo_export', fromEquals(t)) },
  { re: kv('active-disk'), action: (c, t) => savestring(c, 'active-disk', 'active_disk', fromEquals(t)) },
  { re: kv('hidden-disk'), action: (c, t) => savestring(c, 'hidden-disk', 'hidden_disk', fromEquals(t)) },
  // 4.17's libxlu_disk_l.c was not regenerated after these rules joined the
  // .l file, so its xl reads them as positional words (4.20's was).
  { re: flag('trusted'), since: '4.20', action: (c) => { c.disk.trusted = true; } },
  { re: flag('untrusted'), since: '4.20', action: (c) => { c.disk.trusted = false; } },
  { re: flag('grant_usage=1'), since: '4.20', action: (c) => { c.disk.grant_usage = true; } },
  { re: flag('grant_usage=0'), since: '4.20', action: (c) => { c.disk.grant_usage = false; } },
  { re: /target=[^\n]*/y, action: (c, t) => savestring(c, 'target', 'pdev_path', fromEquals(t)) },
  { re: /[a-z][-a-z0-9]*=[^,],?/y, action: (c, t) => err(c, t, 'unknown parameter') },
  { re: /(?:raw|qcow2?|vhd):/y, trail: restOfLine, action: (c, t) => { c.hadDeprPrefix = true; setformat(c, t.slice(0, -1)); } },
  {
    re: /(?:iscsi|e?nbd|drbd):/y, trail: restOfLine, action: (c, t) => {
      c.hadDeprPrefix = true;
      savestring(c, 'script', 'script', `block-${t.slice(0, -1)}`);
    },
  },
  { re: /tapdisk:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  { re: /tap2?:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  { re: /aio:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  { re: /ioemu:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  { re: /file:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  { re: /phy:/y, trail: restOfLine, action: (c) => { c.hadDeprPrefix = true; } },
  {
    re: /[a-z][a-z0-9]*:/y,
    trail: (s, at) => (at < s.length && !/[a-z0-9\n]/.test(s[at]) ? restOfLine(s, at) : 0),
    action: (c, t) => { err(c, t, 'unknown deprecated disk prefix'); return 'stop'; },
  },
  { re: /[^=,]*,|[^=,]+,?/y, action: positional },
];

function positional(c: Ctx, t: string): 'stop' | void {
  const s = strip(t);
  if (c.errors.length) return; // earlier errors would only cascade
  if (c.disk.pdev_path === null) {
    savestring(c, 'target', 'pdev_path', s);
  } else if (!c.hadDeprPrefix && c.disk.format === 'unknown') {
    if (c.disk.pdev_path === '' && vdevAndDevtype(c, s)) c.disk.format = 'empty';
    else setformat(c, s);
  } else if (c.disk.vdev === null) {
    if (!vdevAndDevtype(c, s)) savestring(c, 'vdev', 'vdev', s);
  } else if (!c.accessSet) {
    c.accessSet = true;
    setaccess(c, s);
  } else {
    err(c, s, 'too many positional parameters');
    return 'stop';
  }
}

function scan(ctx: Ctx, spec: string): void {
  let pos = 0;
  while (pos < spec.length) {
    let best: { rule: Rule; head: string; total: number } | undefined;
    for (const rule of RULES) {
      if (rule.since === '4.20' && ctx.version === '4.17') continue;
      rule.re.lastIndex = pos;
      const m = rule.re.exec(spec);
      if (!m || m[0].length === 0) continue;
      const total = m[0].length + (rule.trail ? rule.trail(spec, pos + m[0].length) : 0);
      if (!best || total > best.total) best = { rule, head: m[0], total };
    }
    if (!best) {
      // flex's `.` then <LEXERR>.*: the rest of the line is the culprit
      err(ctx, spec.slice(pos, pos + 1 + restOfLine(spec, pos + 1)), 'bad disk syntax');
      return;
    }
    pos += best.head.length;
    if (best.rule.action(ctx, best.head) === 'stop') return;
  }
}

/**
 * xlu_disk_parse: parses one or more spec strings into a disk, filling
 * the defaults libxlu applies. Throws DiskSpecParseError like the C xl
 * exits.
 */
export function parseDiskSpec(specs: string | string[], version: XenVersion = '4.17'): DeviceDisk {
  const disk = initStruct(device_disk);
  disk.readwrite = 1;
  const list = Array.isArray(specs) ? specs : [specs];
  const ctx: Ctx = { disk, spec: list[0] ?? '', errors: [], hadDeprPrefix: false, accessSet: false, version };
  for (const spec of list) {
    ctx.spec = spec;
    scan(ctx, spec);
    if (ctx.errors.length) throw new DiskSpecParseError(ctx.errors);
  }
  if (disk.format === 'unknown') disk.format = 'raw';
  if (disk.is_cdrom) {
    disk.removable = 1;
    disk.readwrite = 0;
    if (disk.pdev_path === null || disk.pdev_path === '') disk.format = 'empty';
  }
  if (disk.vdev === null) err(ctx, undefined, 'no vdev specified');
  else if (disk.pdev_path === null && !disk.removable) err(ctx, undefined, 'no target specified (and device not removable)');
  if (ctx.errors.length) throw new DiskSpecParseError(ctx.errors);
  return disk;
}
