// Initial values of IDL types, as libxl's generated *_init functions:
// zero everything, then apply the IDL's init values. Keyed unions start
// at their key's init value; `initKeyedUnion` is *_init_<key>.

import {
  MEMKB_DEFAULT, NIL_UUID, type EnumType, type IdlType, type KeyedUnionType, type StructType, type TsOf,
} from './dsl.js';
import { domain_build_info, domain_config, type BuildInfo, type DomainConfig, type DomainType } from './idl.js';

function enumInit(t: EnumType): string | null {
  if (t.init !== undefined) return t.init;
  return t.values.find((v) => v.value === 0)?.name ?? null;
}

export function initValue(t: IdlType): unknown {
  switch (t.kind) {
    case 'builtin':
      switch (t.name) {
        case 'integer': case 'uint8': case 'uint16': case 'uint32': case 'domid': return 0;
        case 'devid': return -1;
        case 'uint64': return 0n;
        case 'memkb': return MEMKB_DEFAULT;
        case 'bool': return false;
        case 'string': case 'defbool': case 'cpuid_policy_list': case 'string_list': case 'key_value_list': return null;
        case 'uuid': return NIL_UUID;
        case 'mac': return [0, 0, 0, 0, 0, 0];
        case 'bitmap': return { size: 0, bits: [] };
        case 'ms_vm_genid': return new Array(16).fill(0);
      }
      break;
    case 'enum': return enumInit(t);
    case 'array': return [];
    case 'struct': return initStruct(t);
    case 'keyed_union': return {};
  }
  throw new Error('unreachable');
}

export function initStruct<T extends StructType<any>>(t: T): TsOf<T> {
  const o: Record<string, unknown> = {};
  for (const f of t.fields) {
    if (f.type.kind === 'keyed_union') {
      const ku = f.type as KeyedUnionType;
      const key = ku.keyInit ?? enumInit(ku.keyType);
      o[ku.keyvar] = key;
      o[f.name] = variantInit(ku, key);
    } else {
      o[f.name] = f.init !== undefined ? f.init : initValue(f.type);
    }
  }
  return o as TsOf<T>;
}

function variantInit(ku: KeyedUnionType, key: string | null): Record<string, unknown> {
  if (key === null || !(key in ku.variants)) return {};
  const v = ku.variants[key];
  return { [key]: v ? initStruct(v) : {} };
}

/** libxl_<struct>_init_<keyvar>: selects and initialises a union member. */
export function initKeyedUnion(owner: Record<string, unknown>, st: StructType<any>, unionField: string, key: string): void {
  const f = st.fields.find((x) => x.name === unionField);
  if (!f || f.type.kind !== 'keyed_union') throw new Error(`${st.name}.${unionField} is not a keyed union`);
  const ku = f.type as KeyedUnionType;
  owner[ku.keyvar] = key;
  owner[unionField] = variantInit(ku, key);
}

export function initDomainConfig(): DomainConfig {
  return initStruct(domain_config);
}

/** libxl_domain_build_info_init_type */
export function initBuildInfoType(b: BuildInfo, type: DomainType): void {
  initKeyedUnion(b as unknown as Record<string, unknown>, domain_build_info, 'u', type);
}
