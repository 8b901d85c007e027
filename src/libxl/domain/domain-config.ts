// `xl list -l`: libxl_retrieve_domain_configuration for each domain, printed
// as the C xl does (a JSON array of {"domid", "config"}). The stored config
// is the libxl-json userdata file libxl wrote at creation; like libxl we
// refresh what can change at run time (name, uuid, online vcpus, memory
// target, scheduler parameters, devices that went away) and re-emit it in
// yajl's layout. We work on the JSON tree itself, so every field libxl
// stored comes back unchanged.
import { promises as fsp } from 'node:fs';
import { MEMKB_DEFAULT, NIL_UUID, type Field, type KeyedUnionType, type StructType } from '../../config-parser/model/dsl.js';
import { device_disk, domain_build_info, domain_create_info } from '../../config-parser/model/idl.js';
import { renderJson, type JNode } from '../../config-parser/model/json.js';
import type { LibxlContext } from '../context.js';
import { XEN_LIB_DIR, userdataPath } from '../paths.js';
import type { Dominfo } from './domains.js';
import { SCHEDULERS } from '../../privcmd/abi.js';
import { qmpExecute } from '../device-model/qmp.js';
import { xsDirectory, xsRead } from '../xs-util.js';

// ---- JSON text <-> JNode, keeping key order and number text ------------------

/** Parse JSON into a JNode; numbers keep their text (uint64 values stay exact). */
export function parseJNode(text: string): JNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at offset ${i}`);
  };
  const value = (): JNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<[string, JNode]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'map', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { t: 'map', entries };
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'arr', items };
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    const lit = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!lit) return fail('unexpected character');
    i += lit[0].length;
    if (lit[0] === 'true' || lit[0] === 'false') return { t: 'bool', v: lit[0] === 'true' };
    if (lit[0] === 'null') return { t: 'null' };
    return { t: 'num', v: lit[0] };
  };
  const str = (): string => {
    const m = /^"(?:[^"\\]|\\.)*"/s.exec(text.slice(i));
    if (!m) return fail('unterminated string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing data');
  return v;
}

export type JMap = Extract<JNode, { t: 'map' }>;

const num = (v: number | bigint): JNode => ({ t: 'num', v: String(v) });
const str = (v: string): JNode => ({ t: 'str', v });

export function getField(m: JMap, key: string): JNode | undefined {
  return m.entries.find(([k]) => k === key)?.[1];
}

function getMap(m: JMap, key: string): JMap | undefined {
  const v = getField(m, key);
  return v?.t === 'map' ? v : undefined;
}

function getNum(m: JMap, key: string): bigint | undefined {
  const v = getField(m, key);
  return v?.t === 'num' ? BigInt(v.v) : undefined;
}

function getStr(m: JMap, key: string): string | undefined {
  const v = getField(m, key);
  return v?.t === 'str' ? v.v : undefined;
}

/** The JSON key(s) of an IDL field: its name, or "<keyvar>.<case>" for a keyed union. */
function fieldMatches(f: Field, key: string): boolean {
  return f.type.kind === 'keyed_union' ? key.startsWith(`${(f.type as KeyedUnionType).keyvar}.`) : f.name === key;
}

/**
 * Set `key` of a struct's JSON map in place, or insert it where the IDL
 * order puts it; `undefined` removes it (gen_json leaves defaults out).
 */
export function setField(m: JMap, st: StructType<any>, key: string, value: JNode | undefined): void {
  const at = m.entries.findIndex(([k]) => k === key);
  if (value === undefined) {
    if (at >= 0) m.entries.splice(at, 1);
    return;
  }
  if (at >= 0) {
    m.entries[at] = [key, value];
    return;
  }
  const order = (k: string) => st.fields.findIndex((f) => fieldMatches(f, k));
  const mine = order(key);
  const next = m.entries.findIndex(([k]) => order(k) > mine);
  m.entries.splice(next >= 0 ? next : m.entries.length, 0, [key, value]);
}

const U64 = (1n << 64n) - 1n;

// ---- the refresh libxl does --------------------------------------------------

export interface SchedParams {
  sched: string;
  weight?: number;
  cap?: number;
  period?: number;
  budget?: number;
}

export interface DetailsOptions {
  libDir?: string;
  /** libxl's errors for domains it skips (one line each). */
  warn?: (message: string) => void;
  /** libxl_domain_sched_params_get (default: ask Xen). */
  schedParams?: (d: Dominfo) => SchedParams | null;
}

/**
 * libxl_domain_sched_params_get: the scheduler of the domain's cpupool and
 * its per-domain parameters; null where libxl fails (sedf, arinc653).
 */
export function schedParams(ctx: LibxlContext, d: Dominfo): SchedParams | null {
  const xc = ctx.xc();
  const id = xc.cpupoolSchedId(d.cpupool);
  const sched = id === null ? undefined : SCHEDULERS[id];
  switch (sched) {
    case 'credit':
    case 'credit2': {
      const p = xc.schedulerDomainGet(d.domid, id!);
      return { sched, weight: p.weight, cap: p.cap };
    }
    case 'rtds': {
      const p = xc.schedulerDomainGet(d.domid, id!);
      return { sched, period: p.period, budget: p.budget };
    }
    case 'null':
      return { sched };
    default:
      return null;
  }
}

/** Field order of libxl_domain_sched_params (libxl_types.idl). */
const SCHED_FIELDS = ['sched', 'weight', 'cap', 'period', 'slice', 'latency', 'extratime', 'budget'] as const;
/** Where each array of devices lives in libxl_domain_config, and its xenstore kind. */
const DEVICE_ARRAYS: readonly { key: string; kind: string; id: 'devid' | 'vdev' }[] = [
  { key: 'disks', kind: 'vbd', id: 'vdev' },
  { key: 'nics', kind: 'vif', id: 'devid' },
  { key: 'vtpms', kind: 'vtpm', id: 'devid' },
  { key: 'p9s', kind: '9pfs', id: 'devid' },
  { key: 'vdispls', kind: 'vdispl', id: 'devid' },
  { key: 'vkbs', kind: 'vkbd', id: 'devid' },
  { key: 'vsnds', kind: 'vsnd', id: 'devid' },
  { key: 'vfbs', kind: 'vfb', id: 'devid' },
];

/** The stored config, or null (libxl: "Fail to get domain configuration"). */
async function storedConfig(libDir: string, d: Dominfo): Promise<JMap | null> {
  let text: string;
  try {
    text = await fsp.readFile(userdataPath(d.domid, d.uuid, libDir), 'utf8');
  } catch {
    return null;
  }
  // libxl stores the text with its terminating NUL.
  text = text.replace(/\0+$/, '');
  if (text.length === 0) return null;
  const n = parseJNode(text);
  return n.t === 'map' ? n : null;
}

/** Bits of b_info.avail_vcpus: which vcpus are online now. */
async function onlineVcpus(ctx: LibxlContext, d: Dominfo, type: string, maxVcpus: number): Promise<number[]> {
  const xs = await ctx.xs();
  if (type === 'hvm') {
    const dm = (await xsRead(xs, `/libxl/${d.domid}/dm-version`)) ?? 'qemu_xen_traditional';
    if (dm === 'qemu_xen') {
      const [cpus] = await qmpExecute(d.domid, [{ execute: 'query-cpus-fast' }]);
      return (Array.isArray(cpus) ? cpus : [])
        .map((c: { 'cpu-index'?: number }) => c['cpu-index'])
        .filter((i): i is number => typeof i === 'number' && i < maxVcpus)
        .sort((a, b) => a - b);
    }
  }
  const bits: number[] = [];
  const avail = await Promise.all(
    Array.from({ length: maxVcpus }, (_, i) => xsRead(xs, `/local/domain/${d.domid}/cpu/${i}/availability`)));
  avail.forEach((a, i) => {
    if (a === 'online') bits.push(i);
  });
  return bits;
}

/** Names of devices of one kind libxl has in xenstore, by devid or vdev. */
async function presentDevices(ctx: LibxlContext, domid: number, kind: string, id: 'devid' | 'vdev'): Promise<Set<string>> {
  const xs = await ctx.xs();
  const devids = await xsDirectory(xs, `/libxl/${domid}/device/${kind}`);
  if (id === 'devid') return new Set(devids);
  const vdevs = await Promise.all(devids.map(async (devid) => {
    const be = await xsRead(xs, `/libxl/${domid}/device/${kind}/${devid}/backend`);
    return be === null ? null : xsRead(xs, `${be}/dev`);
  }));
  return new Set(vdevs.filter((v): v is string => v !== null));
}

/**
 * libxl_retrieve_domain_configuration as a JSON tree, or null when libxl
 * would fail (the C xl then leaves the domain out).
 */
export async function retrieveConfig(ctx: LibxlContext, d: Dominfo, opts: DetailsOptions = {}): Promise<JMap | null> {
  const warn = opts.warn ?? (() => undefined);
  const cfg = await storedConfig(opts.libDir ?? XEN_LIB_DIR, d);
  if (!cfg) {
    warn(`Domain ${d.domid}: Fail to get domain configuration`);
    return null;
  }
  const xs = await ctx.xs();
  const cInfo = getMap(cfg, 'c_info');
  const bInfo = getMap(cfg, 'b_info');
  if (!cInfo || !bInfo) {
    warn(`Domain ${d.domid}: Fail to get domain configuration`);
    return null;
  }
  // Name (libxl keeps the stored one if the domain has none) and uuid.
  if (d.name !== null) setField(cInfo, domain_create_info, 'name', str(d.name));
  setField(cInfo, domain_create_info, 'uuid', d.uuid === NIL_UUID ? undefined : str(d.uuid));

  const type = (getStr(cInfo, 'type') ?? 'pv').toLowerCase();
  const maxVcpus = Number(getNum(bInfo, 'max_vcpus') ?? 0n);
  const bits = await onlineVcpus(ctx, d, type, maxVcpus);
  setField(bInfo, domain_build_info, 'avail_vcpus', bits.length ? { t: 'arr', items: bits.map(num) } : undefined);

  // Memory: xenstore's target plus libxl's fudge; static-max as max_memkb.
  const target = await xsRead(xs, `/local/domain/${d.domid}/memory/target`);
  const staticMax = await xsRead(xs, `/local/domain/${d.domid}/memory/static-max`);
  if (target === null || staticMax === null || !/^\d+$/.test(target) || !/^\d+$/.test(staticMax)) {
    warn(`Domain ${d.domid}: Fail to get memory target`);
    return null;
  }
  // Absent fields hold LIBXL_MEMKB_DEFAULT, and C adds in uint64_t: a stored
  // config without video_memkb (dom0's) comes out one KiB below its target.
  const storedMax = getNum(bInfo, 'max_memkb') ?? MEMKB_DEFAULT;
  const storedTarget = getNum(bInfo, 'target_memkb') ?? MEMKB_DEFAULT;
  const video = getNum(bInfo, 'video_memkb') ?? MEMKB_DEFAULT;
  // libxl__get_targetmem_fudge: LIBXL_MAXMEM_CONSTANT for HVM guests with room above the target.
  const fudge = video + (type === 'hvm' && storedMax > storedTarget ? 1024n : 0n);
  const memkb = (v: bigint): JNode | undefined => (v & U64) === MEMKB_DEFAULT ? undefined : num(v & U64);
  setField(bInfo, domain_build_info, 'max_memkb', memkb(BigInt(staticMax)));
  setField(bInfo, domain_build_info, 'target_memkb', memkb(BigInt(target) + fudge));

  {
    const sp = (opts.schedParams ?? ((x: Dominfo) => schedParams(ctx, x)))(d);
    if (!sp) {
      warn(`Domain ${d.domid}: Fail to get scheduler parameters`);
      return null;
    }
    const entries: Array<[string, JNode]> = [];
    for (const f of SCHED_FIELDS) {
      const v = sp[f as keyof SchedParams];
      // -1 is each numeric field's "default", which libxl leaves out.
      if (f === 'sched') entries.push([f, str(sp.sched)]);
      else if (typeof v === 'number' && v !== -1) entries.push([f, num(v)]);
    }
    setField(bInfo, domain_build_info, 'sched_params', { t: 'map', entries });
  }

  // Devices that are gone from xenstore are dropped; a removable disk with
  // no medium in xenstore shows as empty.
  for (const { key, kind, id } of DEVICE_ARRAYS) {
    const arr = getField(cfg, key);
    if (arr?.t !== 'arr' || arr.items.length === 0) continue;
    const present = await presentDevices(ctx, d.domid, kind, id);
    arr.items = arr.items.filter((dev) => {
      if (dev.t !== 'map') return true;
      const v = id === 'devid' ? String(getNum(dev, 'devid') ?? 0n) : getStr(dev, 'vdev');
      const keep = v !== undefined && present.has(v);
      if (!keep) warn(`Domain ${d.domid}: Device present in JSON but not in xenstore, ignored`);
      return keep;
    });
    if (kind === 'vbd') await mergeRemovable(ctx, d.domid, arr.items);
  }
  return cfg;
}

/** libxl_device_disk_merge: an ejected CD-ROM reads as empty. */
async function mergeRemovable(ctx: LibxlContext, domid: number, disks: JNode[]): Promise<void> {
  const xs = await ctx.xs();
  for (const disk of disks) {
    if (disk.t !== 'map' || getNum(disk, 'removable') !== 1n) continue;
    const vdev = getStr(disk, 'vdev');
    for (const devid of await xsDirectory(xs, `/libxl/${domid}/device/vbd`)) {
      const be = await xsRead(xs, `/libxl/${domid}/device/vbd/${devid}/backend`);
      if (!be || (await xsRead(xs, `${be}/dev`)) !== vdev) continue;
      const params = await xsRead(xs, `${be}/params`);
      if (!params) {
        setField(disk, device_disk, 'pdev_path', str(''));
        setField(disk, device_disk, 'format', str('empty'));
      }
    }
  }
}

/** What `xl list -l` prints for these domains. */
export async function listDetails(ctx: LibxlContext, doms: readonly Dominfo[], opts: DetailsOptions = {}): Promise<string> {
  const items: JNode[] = [];
  for (const d of doms) {
    const cfg = await retrieveConfig(ctx, d, opts);
    if (!cfg) continue;
    items.push({ t: 'map', entries: [['domid', num(d.domid)], ['config', cfg]] });
  }
  // yajl ends the document with a newline and xl's puts() adds another.
  return renderJson({ t: 'arr', items }) + '\n';
}
