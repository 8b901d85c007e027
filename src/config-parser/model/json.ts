// libxl's generated *_gen_json, driven by the IDL table: a field is written
// only when it differs from its default (init value, or the type's
// "is default" check), aggregates always, keyed unions as "key.member".
// The text is laid out as yajl's beautifier does (4 spaces, empty
// containers on two lines), which is what `xl create -n` prints.

import {
  MEMKB_DEFAULT, NIL_UUID, enumName, enumNumber, versionIncludes,
  type Bitmap, type CpuidPolicy, type EnumType, type IdlType, type KeyValueList,
  type KeyedUnionType, type StructType, type XenVersion,
} from './dsl.js';

export type JNode =
  | { t: 'map'; entries: Array<[string, JNode]> }
  | { t: 'arr'; items: JNode[] }
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

const str = (v: string): JNode => ({ t: 'str', v });
const num = (v: number | bigint): JNode => ({ t: 'num', v: String(v) });
const NULL: JNode = { t: 'null' };

function isDefault(type: IdlType, value: unknown, init: unknown): boolean {
  if (type.kind === 'struct' || type.kind === 'keyed_union') return false; // always emitted
  if (type.kind === 'array') return (value as unknown[]).length === 0;
  if (init !== undefined) return value === init;
  if (type.kind === 'enum') {
    if (type.init !== undefined) return value === type.init;
    return enumNumber(type, value as string | null) === 0;
  }
  switch (type.name) {
    case 'memkb': return value === MEMKB_DEFAULT;
    case 'devid': return value === -1;
    case 'defbool': case 'string': case 'cpuid_policy_list': return value === null || (type.name === 'cpuid_policy_list' && cpuidEmpty(value as CpuidPolicy));
    case 'string_list': case 'key_value_list': return value === null || (value as unknown[]).length === 0;
    case 'uuid': return value === NIL_UUID;
    case 'mac': case 'ms_vm_genid': return (value as number[]).every((b) => b === 0);
    case 'bitmap': return (value as Bitmap).bits.length === 0;
    case 'bool': return value === false;
    case 'uint64': return value === 0n;
    default: return value === 0;
  }
}

function cpuidEmpty(p: CpuidPolicy): boolean {
  return p.cpuid.length === 0 && p.msr.length === 0;
}

function hex2(n: number): string { return n.toString(16).padStart(2, '0'); }

function genCpuid(p: CpuidPolicy | null): JNode {
  const leaves: JNode = {
    t: 'arr',
    items: (p?.cpuid ?? []).map((l) => {
      const entries: Array<[string, JNode]> = [['leaf', num(l.leaf)]];
      if (l.subleaf !== null) entries.push(['subleaf', num(l.subleaf)]);
      (['eax', 'ebx', 'ecx', 'edx'] as const).forEach((r, i) => { if (l.regs[i] !== null) entries.push([r, str(l.regs[i]!)]); });
      return { t: 'map', entries } as JNode;
    }),
  };
  const msr: JNode = {
    t: 'arr',
    items: (p?.msr ?? []).map((m) => ({ t: 'map', entries: [['index', num(m.index)], ['policy', str(m.policy)]] }) as JNode),
  };
  return { t: 'map', entries: [['cpuid', leaves], ['msr', msr]] };
}

export function genValue(type: IdlType, value: unknown, version: XenVersion): JNode {
  switch (type.kind) {
    case 'enum': {
      const n = enumNumber(type, value as string | null);
      const name = enumName(type as EnumType, n, version);
      return name === null ? NULL : str(name);
    }
    case 'array':
      return { t: 'arr', items: (value as unknown[]).map((x) => genValue(type.elem, x, version)) };
    case 'struct':
      return genStruct(type, value as Record<string, unknown>, version);
    case 'keyed_union':
      throw new Error('keyed union outside a struct');
    case 'builtin':
      switch (type.name) {
        case 'integer': case 'uint8': case 'uint16': case 'uint32': case 'domid': case 'devid':
          return num(value as number);
        case 'uint64': case 'memkb': return num(value as bigint);
        case 'bool': return { t: 'bool', v: value as boolean };
        case 'string': return value === null ? NULL : str(value as string);
        case 'defbool': return str(value === null ? '<default>' : value ? 'True' : 'False');
        case 'uuid': return str(value as string);
        case 'mac': return str((value as number[]).map(hex2).join(':'));
        case 'bitmap': {
          const b = value as Bitmap;
          return { t: 'arr', items: [...b.bits].filter((x) => x < b.size).sort((x, y) => x - y).map(num) };
        }
        case 'string_list': return { t: 'arr', items: ((value as string[] | null) ?? []).map(str) };
        case 'key_value_list':
          return { t: 'map', entries: ((value as KeyValueList | null) ?? []).map(([k, v]) => [k, v === null ? NULL : str(v)]) };
        case 'ms_vm_genid': return { t: 'arr', items: (value as number[]).map(num) };
        case 'cpuid_policy_list': return genCpuid(value as CpuidPolicy | null);
      }
  }
  throw new Error('unreachable');
}

export function genStruct(st: StructType<any>, value: Record<string, unknown>, version: XenVersion): JNode {
  const entries: Array<[string, JNode]> = [];
  for (const f of st.fields) {
    if (f.const || !versionIncludes(version, f.since)) continue;
    if (f.type.kind === 'keyed_union') {
      const ku = f.type as KeyedUnionType;
      const key = value[ku.keyvar] as string | null;
      if (key === null || !(key in ku.variants)) continue; // no case in the C switch
      const member = ku.variants[key];
      const u = value[f.name] as Record<string, unknown>;
      entries.push([`${ku.keyvar}.${key}`, member ? genStruct(member, u[key] as Record<string, unknown>, version) : { t: 'map', entries: [] }]);
      continue;
    }
    const v = value[f.name];
    if (isDefault(f.type, v, f.init)) continue;
    entries.push([f.name, genValue(f.type, v, version)]);
  }
  return { t: 'map', entries };
}

// ---- yajl_gen with yajl_gen_beautify ---------------------------------------

function yajlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\r': out += '\\r'; break;
      case '\n': out += '\\n'; break;
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\f': out += '\\f'; break;
      case '\b': out += '\\b'; break;
      case '\t': out += '\\t'; break;
      default:
        out += c < 32 ? '\\u00' + c.toString(16).toUpperCase().padStart(2, '0') : ch;
    }
  }
  return out + '"';
}

const INDENT = '    ';

function render(n: JNode, depth: number): string {
  switch (n.t) {
    case 'str': return yajlString(n.v);
    case 'num': return n.v;
    case 'bool': return n.v ? 'true' : 'false';
    case 'null': return 'null';
    case 'map': {
      const inner = n.entries.map(([k, v]) => INDENT.repeat(depth + 1) + yajlString(k) + ': ' + render(v, depth + 1));
      return '{\n' + inner.join(',\n') + '\n' + INDENT.repeat(depth) + '}';
    }
    case 'arr': {
      const inner = n.items.map((v) => INDENT.repeat(depth + 1) + render(v, depth + 1));
      return '[\n' + inner.join(',\n') + '\n' + INDENT.repeat(depth) + ']';
    }
  }
}

/** The text libxl_<type>_to_json returns (yajl beautified, final newline). */
export function renderJson(n: JNode): string {
  return render(n, 0) + '\n';
}

/** Plain JS view of a JNode (for tests and for tools that want objects). */
export function toPlain(n: JNode): unknown {
  switch (n.t) {
    case 'map': return Object.fromEntries(n.entries.map(([k, v]) => [k, toPlain(v)]));
    case 'arr': return n.items.map(toPlain);
    case 'str': return n.v;
    case 'num': return Number(n.v);
    case 'bool': return n.v;
    case 'null': return null;
  }
}
