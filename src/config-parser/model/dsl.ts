// A small IDL in the style of libxl's idl.py: types are plain data (kind,
// fields, init values, the release a field appeared in). TypeScript types,
// initial values, the config check and the `xl create -n` JSON are all derived
// from these objects, so the table in idl.ts is the single source of truth.

export const XEN_VERSIONS = ['4.17', '4.20'] as const;
export type XenVersion = (typeof XEN_VERSIONS)[number];

export function versionIncludes(v: XenVersion, since?: XenVersion): boolean {
  return since === undefined || XEN_VERSIONS.indexOf(v) >= XEN_VERSIONS.indexOf(since);
}

/** libxl_bitmap: `size` is in bits (libxl allocates whole bytes). */
export interface Bitmap { size: number; bits: number[] }

/** libxl_cpuid_policy_list: CPUID leaves (and, from 4.20, MSRs). */
export interface CpuidLeaf { leaf: number; subleaf: number | null; regs: [string | null, string | null, string | null, string | null] }
export interface MsrPolicy { index: number; policy: string }
export interface CpuidPolicy { cpuid: CpuidLeaf[]; msr: MsrPolicy[] }

export type KeyValueList = Array<[string, string | null]>;

interface BuiltinTs {
  integer: number; uint8: number; uint16: number; uint32: number; uint64: bigint; memkb: bigint;
  bool: boolean; string: string | null; defbool: boolean | null; domid: number; devid: number;
  uuid: string; mac: number[]; bitmap: Bitmap; cpuid_policy_list: CpuidPolicy | null;
  string_list: string[] | null; key_value_list: KeyValueList | null; ms_vm_genid: number[];
}
export type BuiltinName = keyof BuiltinTs;

export interface BuiltinType<N extends BuiltinName = BuiltinName> { kind: 'builtin'; name: N }
export interface EnumValueDef { value: number; name: string; since?: XenVersion }
export interface EnumType<V extends string = string> {
  kind: 'enum'; name: string; values: EnumValueDef[]; init?: V; _ts?: V;
}
export interface FieldOpts { init?: unknown; since?: XenVersion; const?: boolean }
export interface FieldSpec<T extends IdlType = IdlType> { kind: 'field'; type: T; opts: FieldOpts }
export type FieldDef = IdlType | FieldSpec;
export interface Field { name: string; type: IdlType; init?: unknown; since?: XenVersion; const: boolean }
export interface StructType<F = Record<string, FieldDef>> { kind: 'struct'; name: string; fields: Field[]; _f?: F }
export interface ArrayType<E extends IdlType = IdlType> { kind: 'array'; elem: E }
export interface KeyedUnionType<KV extends string = string, E extends EnumType = EnumType, V = Record<string, StructType | null>> {
  kind: 'keyed_union'; keyvar: KV; keyType: E; variants: Record<string, StructType | null>; keyInit?: string; _v?: V;
}
export type IdlType = BuiltinType | EnumType | StructType<any> | ArrayType<any> | KeyedUnionType<any, any, any>;

// ---- type-level derivation ----------------------------------------------

type FieldTypeOf<D> = D extends FieldSpec<infer T> ? T : D;
type KUKeys<F> = { [K in keyof F]: FieldTypeOf<F[K]> extends KeyedUnionType<any, any, any> ? K : never }[keyof F];
type PlainPart<F> = { -readonly [K in Exclude<keyof F, KUKeys<F>>]: TsOf<FieldTypeOf<F[K]>> };
type KUPart<F> = [KUKeys<F>] extends [never] ? unknown
  : FieldTypeOf<F[KUKeys<F>]> extends KeyedUnionType<infer KV, infer E, infer V>
    ? { -readonly [P in KV]: TsOf<E> } & { -readonly [P in KUKeys<F>]: { -readonly [N in keyof V]?: V[N] extends StructType<any> ? TsOf<V[N]> : Record<string, never> } }
    : unknown;

/** The TypeScript type of a value of IDL type T. */
export type TsOf<T> =
  T extends BuiltinType<infer N> ? BuiltinTs[N]
  : T extends EnumType<infer V> ? V | null
  : T extends ArrayType<infer E> ? TsOf<E>[]
  : T extends StructType<infer F> ? PlainPart<F> & KUPart<F>
  : never;

// ---- constructors ---------------------------------------------------------

const bi = <N extends BuiltinName>(name: N): BuiltinType<N> => ({ kind: 'builtin', name });
export const integer = bi('integer');
export const uint8 = bi('uint8');
export const uint16 = bi('uint16');
export const uint32 = bi('uint32');
export const uint64 = bi('uint64');
export const bool = bi('bool');
export const string = bi('string');
export const defbool = bi('defbool');
export const domid = bi('domid');
export const devid = bi('devid');
export const uuid = bi('uuid');
export const mac = bi('mac');
export const bitmap = bi('bitmap');
export const cpuid_policy_list = bi('cpuid_policy_list');
export const string_list = bi('string_list');
export const key_value_list = bi('key_value_list');
export const ms_vm_genid = bi('ms_vm_genid');
/** libxl's MemKB: a uint64 whose "unset" value is ~0. */
export const MemKB = bi('memkb');

export const MEMKB_DEFAULT = (1n << 64n) - 1n;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

type EnumSpec = readonly (readonly [number, string] | readonly [number, string, { since: XenVersion }])[];
type Lower<S extends string> = Lowercase<S>;

export function enumeration<const S extends EnumSpec, I extends Lower<S[number][1]> | undefined = undefined>(
  name: string, values: S, init?: I,
): EnumType<Lower<S[number][1]>> {
  return {
    kind: 'enum', name, init: init as Lower<S[number][1]> | undefined,
    values: values.map((v) => ({ value: v[0], name: v[1].toLowerCase(), since: v[2]?.since })),
  };
}

export function field<T extends IdlType>(type: T, opts: FieldOpts): FieldSpec<T> {
  return { kind: 'field', type, opts };
}

export function struct<const F extends Record<string, FieldDef>>(name: string, defs: F): StructType<F> {
  const fields: Field[] = Object.entries(defs).map(([n, d]) => {
    const spec = (d as FieldSpec).kind === 'field' ? (d as FieldSpec) : undefined;
    const type = spec ? spec.type : (d as IdlType);
    return { name: n, type, init: spec?.opts.init, since: spec?.opts.since, const: spec?.opts.const ?? false };
  });
  return { kind: 'struct', name, fields };
}

export function array<E extends IdlType>(elem: E): ArrayType<E> {
  return { kind: 'array', elem };
}

export function keyedUnion<KV extends string, E extends EnumType, const V extends Record<string, StructType<any> | null>>(
  keyvar: KV, keyType: E, variants: V, keyInit?: string,
): KeyedUnionType<KV, E, V> {
  return { kind: 'keyed_union', keyvar, keyType, variants, keyInit };
}

// ---- enum helpers -----------------------------------------------------------

export function enumNumber(t: EnumType, name: string | null): number {
  if (name === null) return 0;
  const v = t.values.find((x) => x.name === name);
  if (!v) throw new Error(`${t.name}: no value ${name}`);
  return v.value;
}

export function enumName(t: EnumType, n: number, version?: XenVersion): string | null {
  const v = t.values.find((x) => x.value === n && (!version || versionIncludes(version, x.since)));
  return v ? v.name : null;
}

/** libxl_<enum>_from_string: case-insensitive, as libxl__enum_from_string. */
export function enumFromString(t: EnumType, s: string, version: XenVersion): string | undefined {
  const lower = s.toLowerCase();
  const v = t.values.find((x) => x.name === lower && versionIncludes(version, x.since));
  return v?.name;
}
