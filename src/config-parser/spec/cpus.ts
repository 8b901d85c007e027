// CPU ranges for `cpus` / `cpus_soft` (xl_parse.c parse_cpurange): "all",
// "3", "0-3", "^2", "node:1", "nodes:0-1", comma-separated, applied in
// order. Bitmaps are sized like libxl_cpu_bitmap_alloc: the host's CPU
// count rounded up to whole bytes; bits past that are silently dropped.

import { strtoul } from '../cnum.js';
import type { Bitmap } from '../model/dsl.js';

export interface HostTopology {
  /** Number of physical CPUs (libxl_get_max_cpus). */
  maxCpus: number;
  /** CPUs of each NUMA node; defaults to one node holding every CPU. */
  nodeCpus?: number[][];
}

export class CpuRangeError extends Error {
  constructor(message: string) { super(message); this.name = 'CpuRangeError'; }
}

export function allocCpuBitmap(maxCpus: number): Bitmap {
  return { size: Math.ceil(Math.max(maxCpus, 1) / 8) * 8, bits: [] };
}

export function bitmapSet(b: Bitmap, bit: number): void {
  if (bit < 0 || bit >= b.size || b.bits.includes(bit)) return;
  b.bits.push(bit);
  b.bits.sort((x, y) => x - y);
}

export function bitmapReset(b: Bitmap, bit: number): void {
  b.bits = b.bits.filter((x) => x !== bit);
}

export function bitmapSetAny(b: Bitmap): void {
  b.bits = Array.from({ length: b.size }, (_, i) => i);
}

/** xl's parse_range: "N" or "N-M", base 10, nothing after. */
export function parseRange(s: string): [number, number] | undefined {
  const a = strtoul(s, 10);
  const ULONG_MAX = (1n << 64n) - 1n;
  if (a.end === 0 || a.value === ULONG_MAX) return undefined;
  let b = a.value;
  let end = a.end;
  if (s[end] === '-') {
    const r = strtoul(s, 10, end + 1);
    if (r.end === end + 1 || r.value === ULONG_MAX || r.value < a.value) return undefined;
    b = r.value;
    end = r.end;
  }
  if (end !== s.length) return undefined;
  return [Number(a.value), Number(b)];
}

export function parseCpuRange(spec: string, map: Bitmap, topo: HostTopology): void {
  for (const item of spec.split(',').filter((x) => x !== '')) {
    let s = item;
    let neg = false;
    let nodes = false;
    if (s.startsWith('^')) { neg = true; s = s.slice(1); }
    if (s.startsWith('node:')) { nodes = true; s = s.slice(5); }
    else if (s.startsWith('nodes:')) { nodes = true; s = s.slice(6); }
    if (s === 'all') {
      if (neg) throw new CpuRangeError('Can\'t combine "^" and "all".');
      bitmapSetAny(map);
      continue;
    }
    const r = parseRange(s);
    if (!r) throw new CpuRangeError(`Invalid pcpu range: ${s}.`);
    const nodeCpus = topo.nodeCpus ?? [Array.from({ length: topo.maxCpus }, (_, i) => i)];
    for (let id = r[0]; id <= r[1]; id++) {
      const cpus = nodes ? nodeCpus[id] ?? [] : [id];
      for (const c of cpus) (neg ? bitmapReset : bitmapSet)(map, c);
    }
  }
}
