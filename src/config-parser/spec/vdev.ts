// Virtual disk names to Xen device numbers, as libxl__device_disk_dev_number
// (libxl_device.c): xvdX / dNpM, then a plain number (any C base), then
// hdX and sdX. Returns -1 for names libxl rejects.

import { scanfInt, strtoul } from '../cnum.js';

export interface DiskDevNumber {
  devnum: number;
  /** Disk index and partition, when the name encodes them. */
  disk?: number;
  partition?: number;
}

const INT_MAX = 2147483647;

/** Decodes `<prefix><letters>[<partition>]`, letters in bijective base 26. */
function virtdiskMatches(name: string, prefix: string, maxIndex: number, maxPartition: number): { disk: number; partition: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  let index = -1;
  let p = prefix.length;
  while (p < name.length && name[p] >= 'a' && name[p] <= 'z') {
    index = (index + 1) * 26 + (name.charCodeAt(p) - 97);
    p++;
    if (index > maxIndex) return undefined;
  }
  if (p === name.length) return { disk: index, partition: 0 };
  if (name[p] === '0') return undefined; // no leading zeroes in partitions
  const r = strtoul(name, 10, p);
  if (r.end === 0 || r.end !== name.length) return undefined;
  const pl = BigInt.asIntN(64, r.value); // stored in a C long
  if (pl > BigInt(maxPartition)) return undefined;
  return { disk: index, partition: Number(pl) };
}

/** sscanf(name, "d%ip%i%n") fully consuming the name. */
function dNpM(name: string): { disk: number; partition: number } | undefined {
  if (name[0] !== 'd') return undefined;
  const d = scanfInt(name, 1, 'i');
  if (!d || name[d.end] !== 'p') return undefined;
  const p = scanfInt(name, d.end + 1, 'i');
  if (!p || p.end !== name.length) return undefined;
  if (!(d.value < 1 << 20 && p.value < 256)) return undefined;
  return { disk: d.value, partition: p.value };
}

export function diskDevNumber(vdev: string): DiskDevNumber {
  const x = dNpM(vdev) ?? virtdiskMatches(vdev, 'xvd', (1 << 20) - 1, 255);
  if (x) {
    const devnum = x.disk <= 15 && x.partition <= 15
      ? (202 << 8) | (x.disk << 4) | x.partition
      : (1 << 28) | (x.disk << 8) | x.partition;
    return { devnum, ...x };
  }
  const n = strtoul(vdev, 0);
  if (n.end === vdev.length && !n.erange && n.value <= BigInt(INT_MAX)) {
    return { devnum: Number(n.value) };
  }
  const hd = virtdiskMatches(vdev, 'hd', 3, 63);
  if (hd) return { devnum: ((hd.disk < 2 ? 3 : 22) << 8) | ((hd.disk & 1) << 6) | hd.partition, ...hd };
  const sd = virtdiskMatches(vdev, 'sd', 15, 15);
  if (sd) return { devnum: (8 << 8) | (sd.disk << 4) | sd.partition, ...sd };
  return { devnum: -1 };
}

/** libxl__device_disk_dev_number(vdev, NULL, NULL). */
export function diskDevNumberOf(vdev: string): number {
  return diskDevNumber(vdev).devnum;
}

/** libxl__devid_to_vdev's naming: device number back to an xvd name. */
export function devnumToVdev(devnum: number): string | undefined {
  const enc = (n: number): string => (n >= 26 ? enc(Math.floor(n / 26) - 1) : '') + String.fromCharCode(97 + (n % 26));
  let disk: number, part: number;
  if (devnum >> 8 === 202) { disk = (devnum >> 4) & 0xf; part = devnum & 0xf; }
  else if (devnum & (1 << 28)) { disk = (devnum & ((1 << 28) - 1)) >> 8; part = devnum & 0xff; }
  else return undefined;
  return 'xvd' + enc(disk) + (part ? String(part) : '');
}
