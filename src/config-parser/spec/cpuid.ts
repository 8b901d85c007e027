// `cpuid` (xl.cfg(5)): the xend list form ["leaf[,subleaf]:eax=...,ebx=..."]
// and the libxl string form "host,flag=value,...". Each register is a
// 32-character policy string, bit 31 first. Errors are reported and the
// item skipped, as the C xl does.

import { strtoul } from '../cnum.js';
import type { CpuidLeaf, CpuidPolicy, XenVersion } from '../model/dsl.js';
import { CPUID_FEATURES_417, CPUID_FLAGS_417 } from './cpuid-names-4.17.js';
import { CPUID_FEATURES_420, CPUID_FLAGS_420 } from './cpuid-names-4.20.js';

interface Flag { leaf: number; subleaf: number | null; reg: number; bit: number; length: number }

const flagTable = (rows: string) => new Map<string, Flag>(
  rows.split(';').map((row) => {
    const [name, leaf, sub, reg, bit, length] = row.split(' ');
    return [name, { leaf: parseInt(leaf, 16), subleaf: sub === '-' ? null : Number(sub), reg: 'abcd'.indexOf(reg), bit: Number(bit), length: Number(length) }];
  }),
);
const featureTable = (rows: string) => new Map(rows.split(';').map((r) => { const [n, b] = r.split(' '); return [n, Number(b)] as const; }));

type FeatureWord = { leaf: number; subleaf: number | null; reg: number } | { msr: number; high: boolean };

/** Featureset word -> CPUID leaf/subleaf/register, or the MSR it lives in (libxl's feature_to_policy). */
const FEATURE_WORDS_420: FeatureWord[] = [
  { leaf: 0x1, subleaf: null, reg: 3 }, { leaf: 0x1, subleaf: null, reg: 2 },
  { leaf: 0x80000001, subleaf: null, reg: 3 }, { leaf: 0x80000001, subleaf: null, reg: 2 },
  { leaf: 0xd, subleaf: 1, reg: 0 }, { leaf: 0x7, subleaf: 0, reg: 1 }, { leaf: 0x7, subleaf: 0, reg: 2 },
  { leaf: 0x80000007, subleaf: null, reg: 3 }, { leaf: 0x80000008, subleaf: null, reg: 1 },
  { leaf: 0x7, subleaf: 0, reg: 3 }, { leaf: 0x7, subleaf: 1, reg: 0 }, { leaf: 0x80000021, subleaf: null, reg: 0 },
  { leaf: 0x7, subleaf: 1, reg: 1 }, { leaf: 0x7, subleaf: 2, reg: 3 }, { leaf: 0x7, subleaf: 1, reg: 2 },
  { leaf: 0x7, subleaf: 1, reg: 3 }, { msr: 0x10a, high: false }, { msr: 0x10a, high: true },
];

/** Per release: libxl's own flag table, the featureset names, the featureset words (4.17.7 has 0x80000021 ecx). */
const NAMES: Record<XenVersion, { flags: Map<string, Flag>; features: Map<string, number>; words: FeatureWord[] }> = {
  '4.17': {
    flags: flagTable(CPUID_FLAGS_417), features: featureTable(CPUID_FEATURES_417),
    words: [...FEATURE_WORDS_420, { leaf: 0x80000021, subleaf: null, reg: 2 }],
  },
  '4.20': { flags: flagTable(CPUID_FLAGS_420), features: featureTable(CPUID_FEATURES_420), words: FEATURE_WORDS_420 },
};

function findLeaf(p: CpuidPolicy, leaf: number, subleaf: number | null): CpuidLeaf {
  let e = p.cpuid.find((x) => x.leaf === leaf && x.subleaf === subleaf);
  if (!e) { e = { leaf, subleaf, regs: [null, null, null, null] }; p.cpuid.push(e); }
  return e;
}

const XEND_ERRORS: Record<number, string> = {
  1: 'illegal leaf number', 2: 'illegal subleaf number', 3: 'missing colon',
  4: 'invalid register name (must be e[abcd]x)', 5: 'policy string must be exactly 32 characters long',
};

/** libxl_cpuid_parse_config_xend; returns 0 or libxl's error number. */
export function parseCpuidXend(p: CpuidPolicy, s: string): number {
  const l = strtoul(s, 0);
  if (l.end === 0) return 1;
  const leaf = Number(BigInt.asUintN(32, l.value));
  let end = l.end;
  let subleaf: number | null = null;
  if (s[end] === ',') {
    const sl = strtoul(s, 0, end + 1);
    if (sl.end === end + 1) return 2;
    subleaf = Number(BigInt.asUintN(32, sl.value));
    if (subleaf === 0xffffffff) subleaf = null;
    end = sl.end;
  }
  if (s[end] !== ':') return 3;
  const entry = findLeaf(p, leaf, subleaf);
  let i = end + 1;
  while (i < s.length) {
    if (s[i] !== 'e' || s[i + 2] !== 'x') return 4;
    const reg = s.charCodeAt(i + 1) - 97;
    const eq = s.indexOf('=', i);
    if (reg < 0 || reg > 3 || eq < 0) return 4;
    i = eq + 1;
    let comma = s.indexOf(',', i);
    if (comma < 0) comma = s.length;
    if (comma - i !== 32) return 5;
    entry.regs[reg] = s.slice(i, comma);
    if (comma === s.length) break;
    i = comma + 1;
    while (s[i] === ' ' || s[i] === '\n') i++;
  }
  return 0;
}

/** libxl_cpuid_parse_config: libxl's own table, then featureset names; 0 or an error number. */
export function parseCpuidFlag(p: CpuidPolicy, str: string, version: XenVersion): number {
  const eq = str.indexOf('=');
  if (eq < 0) return 1;
  const name = str.slice(0, eq);
  const val = str.slice(eq + 1);
  const { flags, features, words } = NAMES[version];
  const flag = flags.get(name);
  if (flag) return cpuidAdd(p, name, flag, val);
  const bit = features.get(name);
  if (bit === undefined) return 2;
  const word = words[bit >> 5];
  if ('msr' in word) {
    let m = p.msr.find((x) => x.index === word.msr);
    if (!m) { m = { index: word.msr, policy: 'x'.repeat(64) }; p.msr.push(m); }
    if (val.length !== 1 || !'01xks'.includes(val)) return 3;
    const at = 63 - ((bit % 32) + (word.high ? 32 : 0));
    m.policy = m.policy.slice(0, at) + (val === 's' ? 'k' : val) + m.policy.slice(at + 1);
    return 0;
  }
  return cpuidAdd(p, name, { leaf: word.leaf, subleaf: word.subleaf, reg: word.reg, bit: bit % 32, length: 1 }, val);
}

export const parseCpuidFlag417 = (p: CpuidPolicy, str: string) => parseCpuidFlag(p, str, '4.17');
export const parseCpuidFlag420 = (p: CpuidPolicy, str: string) => parseCpuidFlag(p, str, '4.20');

function cpuidAdd(p: CpuidPolicy, name: string, flag: Flag, val: string): number {
  const entry = findLeaf(p, flag.leaf, flag.subleaf);
  const n = strtoul(val, 0);
  let num = n.value;
  let flags: string[];
  if (n.end !== 0) {
    flags = [];
    for (let i = 0; i < flag.length; i++) flags[flag.length - 1 - i] = ((num >> BigInt(i)) & 1n) !== 0n ? '1' : '0';
  } else if (val[0] === 'x' || val[0] === 'k' || val[0] === 's') {
    flags = new Array(flag.length).fill(val[0]);
  } else {
    return 3;
  }
  const res = (entry.regs[flag.reg] ?? 'x'.repeat(32)).split('');
  const put = (at: number, chars: string[]) => chars.forEach((ch, k) => { res[at + k] = ch; });
  if (name === 'family') {
    if (num < 16n) {
      put(28 - flag.bit, flags.slice(4, 8));
      put(4, '00000000'.split(''));
    } else {
      num -= 15n;
      put(28 - flag.bit, '1111'.split(''));
      for (let i = 0; i < 7; i++) { flags[7 - i] = (num & 1n) ? '1' : '0'; num >>= 1n; }
      put(4, flags.slice(0, 8));
    }
  } else if (name === 'model') {
    put(12, flags.slice(0, 4));
    put(28 - flag.bit, flags.slice(4, 8));
  } else {
    put(32 - flag.length - flag.bit, flags);
  }
  entry.regs[flag.reg] = res.join('');
  return 0;
}

const FLAG_ERRORS: Record<number, string> = {
  1: 'missing "=" in key=value', 2: 'unknown CPUID flag name', 3: 'illegal CPUID value (must be: [0|1|x|k|s])',
};

function emptyPolicy(p: CpuidPolicy | null): CpuidPolicy {
  return p ?? { cpuid: [], msr: [] };
}

export function parseCpuidList(p: CpuidPolicy | null, items: string[], _version: XenVersion, onError: (msg: string) => void): CpuidPolicy | null {
  const policy = emptyPolicy(p);
  for (const item of items) {
    const e = parseCpuidXend(policy, item);
    if (e) onError(`while parsing CPUID line "${item}": error #${e}: ${XEND_ERRORS[e] ?? 'unknown error'}`);
  }
  return policy.cpuid.length || policy.msr.length ? policy : p;
}

export function parseCpuidString(p: CpuidPolicy | null, s: string, version: XenVersion, onError: (msg: string) => void): CpuidPolicy | null {
  const words = s.split(',').filter((w) => w !== '');
  if (words.length === 0) return p;
  if (words[0] !== 'host') {
    onError(`while parsing CPUID string "${s}": error: first word must be "host"`);
    return p;
  }
  const policy = emptyPolicy(p);
  for (const w of words.slice(1)) {
    const e = parseCpuidFlag(policy, w, version);
    if (e) onError(`while parsing CPUID flag "${w}": error #${e}: ${FLAG_ERRORS[e] ?? 'unknown error'}`);
  }
  return policy.cpuid.length || policy.msr.length ? policy : p;
}
