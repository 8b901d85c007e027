// zod schemas derived from the IDL table: the domain config the builder
// produces (or a caller assembles by hand) is checked against the IDL's
// types, ranges and enum values, with errors naming the field path and,
// where one exists, the config key that sets it.

import { z } from 'zod';
import { versionIncludes, type IdlType, type KeyedUnionType, type StructType, type XenVersion } from './dsl.js';
import { domain_config } from './idl.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const u64 = z.bigint().min(0n).max((1n << 64n) - 1n);
const reg32 = z.string().length(32).nullable();
const bitmap = z.strictObject({ size: z.number().int().min(0), bits: z.array(z.number().int().min(0)) });

export function schemaOf(t: IdlType, version: XenVersion): z.ZodType {
  switch (t.kind) {
    case 'builtin':
      switch (t.name) {
        case 'integer': return int(-2147483648, 2147483647);
        case 'uint8': return int(0, 0xff);
        case 'uint16': return int(0, 0xffff);
        case 'uint32': case 'domid': return int(0, 0xffffffff);
        case 'devid': return int(-2147483648, 2147483647);
        case 'uint64': case 'memkb': return u64;
        case 'bool': return z.boolean();
        case 'string': return z.string().nullable();
        case 'defbool': return z.boolean().nullable();
        case 'uuid': return z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        case 'mac': return z.array(int(0, 255)).length(6);
        case 'ms_vm_genid': return z.array(int(0, 255)).length(16);
        case 'bitmap': return bitmap;
        case 'string_list': return z.array(z.string()).nullable();
        case 'key_value_list': return z.array(z.tuple([z.string(), z.string().nullable()])).nullable();
        case 'cpuid_policy_list':
          return z.strictObject({
            cpuid: z.array(z.strictObject({
              leaf: int(0, 0xffffffff), subleaf: int(0, 0xffffffff).nullable(),
              regs: z.tuple([reg32, reg32, reg32, reg32]),
            })),
            msr: z.array(z.strictObject({ index: int(0, 0xffffffff), policy: z.string().length(64) })),
          }).nullable();
      }
      break;
    case 'enum': {
      const names = t.values.filter((v) => versionIncludes(version, v.since)).map((v) => v.name);
      return z.enum(names as [string, ...string[]]).nullable();
    }
    case 'array': return z.array(schemaOf(t.elem, version));
    case 'struct': return structSchema(t, version);
    case 'keyed_union': break;
  }
  throw new Error(`no schema for ${JSON.stringify(t)}`);
}

function structSchema(st: StructType<any>, version: XenVersion): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const f of st.fields) {
    if (f.type.kind === 'keyed_union') {
      const ku = f.type as KeyedUnionType;
      shape[ku.keyvar] = schemaOf(ku.keyType, version);
      const members: Record<string, z.ZodType> = {};
      for (const [name, m] of Object.entries(ku.variants)) {
        members[name] = (m ? structSchema(m, version) : z.strictObject({})).optional();
      }
      shape[f.name] = z.strictObject(members);
    } else {
      // fields newer than `version` may be present (initialised) but unused
      shape[f.name] = versionIncludes(version, f.since) ? schemaOf(f.type, version) : z.unknown();
    }
  }
  return z.strictObject(shape);
}

const cache = new Map<XenVersion, z.ZodType>();

/** The zod schema of libxl_domain_config for one Xen release. */
export function domainConfigSchema(version: XenVersion = '4.17'): z.ZodType {
  let s = cache.get(version);
  if (!s) { s = schemaOf(domain_config, version); cache.set(version, s); }
  return s;
}

export interface ModelIssue { path: string; message: string }

/** Checks a domain config against the IDL; returns the problems found. */
export function validateDomainConfig(config: unknown, version: XenVersion = '4.17'): ModelIssue[] {
  const r = domainConfigSchema(version).safeParse(config);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
