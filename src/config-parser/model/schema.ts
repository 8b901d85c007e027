// The domain config the builder produces (or a caller assembles by hand), checked against the IDL table's types,
// ranges and enum values, with problems naming the field path. The check walks the IDL data itself: a schema
// library built its whole object tree per process first, which cost 0.5-1 s of every `xl create` under TCG.
import { versionIncludes, type BuiltinName, type IdlType, type KeyedUnionType, type StructType, type XenVersion } from './dsl.js';
import { domain_config } from './idl.js';

export interface ModelIssue { path: string; message: string }

type Path = (string | number)[];
type Out = ModelIssue[];

const issue = (out: Out, path: Path, message: string): void => { out.push({ path: path.join('.'), message }); };

/** How a value's type is named in the messages. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const expected = (out: Out, path: Path, what: string, v: unknown) =>
  issue(out, path, `Invalid input: expected ${what}, received ${typeName(v)}`);

function checkInt(v: unknown, min: number, max: number, path: Path, out: Out): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) return expected(out, path, 'number', v);
  if (!Number.isInteger(v)) return expected(out, path, 'int', v);
  if (v > max) issue(out, path, `Too big: expected number to be <=${max}`);
  else if (v < min) issue(out, path, `Too small: expected number to be >=${min}`);
}

const U64_MAX = (1n << 64n) - 1n;
function checkU64(v: unknown, path: Path, out: Out): void {
  if (typeof v !== 'bigint') return expected(out, path, 'bigint', v);
  if (v > U64_MAX) issue(out, path, `Too big: expected bigint to be <=${U64_MAX}`);
  else if (v < 0n) issue(out, path, 'Too small: expected bigint to be >=0');
}

function checkString(v: unknown, path: Path, out: Out, length?: number): void {
  if (typeof v !== 'string') return expected(out, path, 'string', v);
  if (length !== undefined && v.length !== length) {
    issue(out, path, `Too ${v.length > length ? 'big' : 'small'}: expected string to have exactly ${length} characters`);
  }
}

/** An array (of exactly `length` items when given) whose items, holes included, each pass `item`. */
function checkArray(v: unknown, path: Path, out: Out, item: (x: unknown, p: Path) => void, length?: number): void {
  if (!Array.isArray(v)) return expected(out, path, 'array', v);
  for (let i = 0; i < v.length; i++) item(v[i], [...path, i]);
  if (length !== undefined && v.length !== length) {
    issue(out, path, `Too ${v.length > length ? 'big' : 'small'}: expected array to have exactly ${length} items`);
  }
}

/** A fixed-size tuple: its length first, then each item. */
function checkTuple(v: unknown, path: Path, out: Out, item: (x: unknown, p: Path) => void, length: number): void {
  if (!Array.isArray(v)) return expected(out, path, 'tuple', v);
  if (v.length !== length) {
    issue(out, path, `Too ${v.length > length ? 'big' : 'small'}: expected array to have ${v.length > length ? '<=' : '>='}${length} items`);
    return;
  }
  for (let i = 0; i < length; i++) item(v[i], [...path, i]);
}

/** An object with exactly these keys (absent ones are checked as undefined); extra keys are one issue. */
function checkObject(v: unknown, path: Path, out: Out, fields: Record<string, (x: unknown, p: Path) => void>): void {
  if (!isRecord(v)) return expected(out, path, 'object', v);
  for (const [k, check] of Object.entries(fields)) check(v[k], [...path, k]);
  unrecognized(v, (k) => Object.hasOwn(fields, k), path, out);
}

function unrecognized(v: Record<string, unknown>, known: (k: string) => boolean, path: Path, out: Out): void {
  const extra = Object.keys(v).filter((k) => !known(k));
  if (extra.length) issue(out, path, `Unrecognized key${extra.length > 1 ? 's' : ''}: ${extra.map((k) => `"${k}"`).join(', ')}`);
}

const nullable = (check: (x: unknown, p: Path, o: Out) => void) => (x: unknown, p: Path, o: Out) => { if (x !== null) check(x, p, o); };
const int = (min: number, max: number) => (x: unknown, p: Path, o: Out) => checkInt(x, min, max, p, o);
const bool = (x: unknown, p: Path, o: Out) => { if (typeof x !== 'boolean') expected(o, p, 'boolean', x); };
const str = (x: unknown, p: Path, o: Out) => checkString(x, p, o);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const bytes = (n: number) => (x: unknown, p: Path, o: Out) => checkArray(x, p, o, (b, bp) => checkInt(b, 0, 255, bp, o), n);
const nat = int(0, Number.MAX_SAFE_INTEGER);
const u32 = int(0, 0xffffffff);
const reg32 = nullable((x, p, o) => checkString(x, p, o, 32));

/** One check per IDL builtin. */
const BUILTINS: Record<BuiltinName, (v: unknown, path: Path, out: Out) => void> = {
  integer: int(-2147483648, 2147483647),
  uint8: int(0, 0xff),
  uint16: int(0, 0xffff),
  uint32: u32,
  domid: u32,
  devid: int(-2147483648, 2147483647),
  uint64: checkU64,
  memkb: checkU64,
  bool,
  string: nullable(str),
  defbool: nullable(bool),
  uuid: (x, p, o) => {
    if (typeof x !== 'string') expected(o, p, 'string', x);
    else if (!UUID.test(x)) issue(o, p, `Invalid string: must match pattern ${UUID}`);
  },
  mac: bytes(6),
  ms_vm_genid: bytes(16),
  bitmap: (x, p, o) => checkObject(x, p, o, {
    size: (s, sp) => nat(s, sp, o),
    bits: (b, bp) => checkArray(b, bp, o, (n, np) => nat(n, np, o)),
  }),
  string_list: nullable((x, p, o) => checkArray(x, p, o, (s, sp) => str(s, sp, o))),
  key_value_list: nullable((x, p, o) => checkArray(x, p, o, (kv, kp) => checkTuple(kv, kp, o, (e, ep) =>
    (ep[ep.length - 1] === 0 ? str : nullable(str))(e, ep, o), 2))),
  cpuid_policy_list: nullable((x, p, o) => checkObject(x, p, o, {
    cpuid: (c, cp) => checkArray(c, cp, o, (leaf, lp) => checkObject(leaf, lp, o, {
      leaf: (v, vp) => u32(v, vp, o),
      subleaf: (v, vp) => nullable(u32)(v, vp, o),
      regs: (v, vp) => checkTuple(v, vp, o, (r, rp) => reg32(r, rp, o), 4),
    })),
    msr: (m, mp) => checkArray(m, mp, o, (msr, sp) => checkObject(msr, sp, o, {
      index: (v, vp) => u32(v, vp, o),
      policy: (v, vp) => checkString(v, vp, o, 64),
    })),
  })),
};

/** Checks a value of IDL type `t` (as of `version`), pushing what is wrong onto `out`. */
export function checkValue(t: IdlType, v: unknown, version: XenVersion, path: Path, out: Out): void {
  switch (t.kind) {
    case 'builtin': return BUILTINS[t.name](v, path, out);
    case 'enum': {
      if (v === null) return;
      const names = t.values.filter((e) => versionIncludes(version, e.since)).map((e) => e.name);
      if (typeof v !== 'string' || !names.includes(v)) issue(out, path, `Invalid option: expected one of ${names.map((n) => `"${n}"`).join('|')}`);
      return;
    }
    case 'array': return checkArray(v, path, out, (x, p) => checkValue(t.elem, x, version, p, out));
    case 'struct': return checkStruct(t, v, version, path, out);
    case 'keyed_union': throw new Error(`a keyed union outside a struct: ${JSON.stringify(t)}`);
  }
}

function checkStruct(st: StructType<any>, v: unknown, version: XenVersion, path: Path, out: Out): void {
  if (!isRecord(v)) return expected(out, path, 'object', v);
  const known = new Set<string>();
  for (const f of st.fields) {
    if (f.type.kind === 'keyed_union') {
      const ku = f.type as KeyedUnionType;
      known.add(ku.keyvar).add(f.name);
      checkValue(ku.keyType, v[ku.keyvar], version, [...path, ku.keyvar], out);
      const members = v[f.name];
      const at = [...path, f.name];
      if (!isRecord(members)) { expected(out, at, 'object', members); continue; }
      for (const [name, m] of Object.entries(ku.variants)) {
        const mv = members[name];
        if (mv === undefined) continue;
        if (m) checkStruct(m, mv, version, [...at, name], out);
        else if (!isRecord(mv)) expected(out, [...at, name], 'object', mv);
        else unrecognized(mv, () => false, [...at, name], out);
      }
      unrecognized(members, (k) => Object.hasOwn(ku.variants, k), at, out);
    } else {
      known.add(f.name);
      // fields newer than `version` may be present (initialised) but unused
      if (versionIncludes(version, f.since)) checkValue(f.type, v[f.name], version, [...path, f.name], out);
    }
  }
  unrecognized(v, (k) => known.has(k), path, out);
}

/** Checks a domain config against the IDL; returns the problems found. */
export function validateDomainConfig(config: unknown, version: XenVersion = '4.17'): ModelIssue[] {
  const out: ModelIssue[] = [];
  checkValue(domain_config, config, version, [], out);
  return out;
}
