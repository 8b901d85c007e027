// Generic C struct layout: declare fields in C order, get offsets computed
// with the natural-alignment rules of the LP64 ABIs Xen supports (x86_64,
// aarch64). Decode/encode are driven by the layout, so every versioned struct
// is data, not code. Tests pin the computed offsets to values taken from the
// real headers.

export type Scalar = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | 'ptr';

const SCALAR_SIZE: Record<Scalar, number> = {
  u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, ptr: 8,
};

/** Opaque bytes with an explicit alignment (C unions we only size, padding). */
export interface Blob { readonly bytes: number; readonly align: number }

export type FieldDecl =
  | readonly [name: string, type: Scalar]
  | readonly [name: string, type: Scalar | 'char', count: number]
  | readonly [name: string, type: StructLayout | Blob];

export type FieldInfo =
  | { kind: 'scalar'; name: string; offset: number; size: number; type: Scalar }
  | { kind: 'array'; name: string; offset: number; size: number; type: Scalar; count: number }
  | { kind: 'chars'; name: string; offset: number; size: number; count: number }
  | { kind: 'struct'; name: string; offset: number; size: number; struct: StructLayout }
  | { kind: 'blob'; name: string; offset: number; size: number };

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: Readonly<Record<string, FieldInfo>>;
  readonly order: readonly string[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function isLayout(t: unknown): t is StructLayout {
  return typeof t === 'object' && t !== null && 'fields' in t;
}

/** Build a layout from C-ordered declarations. */
export function defineStruct(name: string, decls: readonly FieldDecl[]): StructLayout {
  let off = 0;
  let maxAlign = 1;
  const fields: Record<string, FieldInfo> = {};
  const order: string[] = [];
  for (const d of decls) {
    const [fname, type] = d;
    if (fields[fname]) throw new Error(`${name}: duplicate field ${fname}`);
    let info: FieldInfo;
    let align: number;
    if (typeof type === 'string') {
      const count = d.length === 3 ? d[2] : undefined;
      if (type === 'char') {
        if (count === undefined) throw new Error(`${name}.${fname}: char needs a count`);
        align = 1;
        off = alignUp(off, align);
        info = { kind: 'chars', name: fname, offset: off, size: count, count };
      } else {
        const sz = SCALAR_SIZE[type];
        align = sz;
        off = alignUp(off, align);
        info = count === undefined
          ? { kind: 'scalar', name: fname, offset: off, size: sz, type }
          : { kind: 'array', name: fname, offset: off, size: sz * count, type, count };
      }
    } else if (isLayout(type)) {
      align = type.align;
      off = alignUp(off, align);
      info = { kind: 'struct', name: fname, offset: off, size: type.size, struct: type };
    } else {
      align = type.align;
      off = alignUp(off, align);
      info = { kind: 'blob', name: fname, offset: off, size: type.bytes };
    }
    fields[fname] = info;
    order.push(fname);
    off += info.size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { name, size: alignUp(off, maxAlign), align: maxAlign, fields, order };
}

export type Value = number | bigint | string | Uint8Array | number[] | bigint[] | Decoded;
export interface Decoded { [field: string]: Value }

function readScalar(buf: Buffer, off: number, t: Scalar): number | bigint {
  switch (t) {
    case 'u8': return buf.readUInt8(off);
    case 'u16': return buf.readUInt16LE(off);
    case 'u32': return buf.readUInt32LE(off);
    case 'i32': return buf.readInt32LE(off);
    case 'u64': case 'ptr': return buf.readBigUInt64LE(off);
    case 'i64': return buf.readBigInt64LE(off);
  }
}

function writeScalar(buf: Buffer, off: number, t: Scalar, v: unknown, where: string): void {
  const isBig = t === 'u64' || t === 'i64' || t === 'ptr';
  if (isBig) {
    if (typeof v !== 'bigint' && typeof v !== 'number') throw new TypeError(`${where}: expected bigint`);
    const b = BigInt(v);
    if (t === 'i64') buf.writeBigInt64LE(b, off);
    else buf.writeBigUInt64LE(BigInt.asUintN(64, b), off);
    return;
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`${where}: expected number`);
  const n = Number(v);
  switch (t) {
    case 'u8': buf.writeUInt8(n, off); break;
    case 'u16': buf.writeUInt16LE(n, off); break;
    case 'u32': buf.writeUInt32LE(n >>> 0, off); break;
    case 'i32': buf.writeInt32LE(n, off); break;
  }
}

/** Decode a struct at `base` in `buf`. u64/i64/ptr become bigint, char[] a string. */
export function decode(layout: StructLayout, buf: Buffer, base = 0): Decoded {
  if (base + layout.size > buf.length) {
    throw new RangeError(`${layout.name}: need ${layout.size} bytes at ${base}, have ${buf.length - base}`);
  }
  const out: Decoded = {};
  for (const name of layout.order) {
    const f = layout.fields[name];
    const off = base + f.offset;
    switch (f.kind) {
      case 'scalar': out[name] = readScalar(buf, off, f.type); break;
      case 'array':
        if (f.type === 'u8') {
          out[name] = Uint8Array.from(buf.subarray(off, off + f.count));
        } else {
          const step = SCALAR_SIZE[f.type];
          const arr: (number | bigint)[] = [];
          for (let i = 0; i < f.count; i++) arr.push(readScalar(buf, off + i * step, f.type));
          out[name] = arr as number[] | bigint[];
        }
        break;
      case 'chars': {
        const raw = buf.subarray(off, off + f.count);
        const nul = raw.indexOf(0);
        out[name] = raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1');
        break;
      }
      case 'struct': out[name] = decode(f.struct, buf, off); break;
      case 'blob': out[name] = Uint8Array.from(buf.subarray(off, off + f.size)); break;
    }
  }
  return out;
}

/**
 * Encode the given fields at `base`. Fields not present are left untouched, so
 * callers zero the buffer first (hypercall structs must not carry garbage).
 */
export function encode(layout: StructLayout, value: Readonly<Record<string, unknown>>, buf: Buffer, base = 0): void {
  if (base + layout.size > buf.length) {
    throw new RangeError(`${layout.name}: need ${layout.size} bytes at ${base}, have ${buf.length - base}`);
  }
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const f = layout.fields[name];
    if (!f) throw new Error(`${layout.name}: no field ${name}`);
    const off = base + f.offset;
    const where = `${layout.name}.${name}`;
    switch (f.kind) {
      case 'scalar': writeScalar(buf, off, f.type, v, where); break;
      case 'array': {
        const arr = v as ArrayLike<number | bigint>;
        if (arr.length > f.count) throw new RangeError(`${where}: ${arr.length} > ${f.count}`);
        const step = SCALAR_SIZE[f.type];
        for (let i = 0; i < arr.length; i++) writeScalar(buf, off + i * step, f.type, arr[i], where);
        break;
      }
      case 'chars': {
        const s = Buffer.from(String(v), 'latin1');
        if (s.length > f.count) throw new RangeError(`${where}: string too long`);
        buf.fill(0, off, off + f.count);
        s.copy(buf, off);
        break;
      }
      case 'struct': encode(f.struct, v as Record<string, unknown>, buf, off); break;
      case 'blob': {
        const bytes = v as Uint8Array;
        if (bytes.length > f.size) throw new RangeError(`${where}: ${bytes.length} > ${f.size}`);
        buf.set(bytes, off);
        break;
      }
    }
  }
}

/** Offset of a dotted field path, e.g. "cpumap_hard.bitmap". */
export function offsetOf(layout: StructLayout, path: string): number {
  let cur: StructLayout = layout;
  let off = 0;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const f = cur.fields[parts[i]];
    if (!f) throw new Error(`${layout.name}: no field ${path}`);
    off += f.offset;
    if (i < parts.length - 1) {
      if (f.kind !== 'struct') throw new Error(`${layout.name}: ${parts[i]} is not a struct`);
      cur = f.struct;
    }
  }
  return off;
}
