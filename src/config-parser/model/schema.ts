// zod schemas derived from the IDL table: the domain config the builder
// produces (or a caller assembles by hand) is checked against the IDL's
// types, ranges and enum values, with errors naming the field path and,
// where one exists, the config key that sets it.

// zod/mini with the English messages alone: the classic API with every locale
// put 750 KB in front of each `xl create` (a second of compiling under TCG).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { versionIncludes, type IdlType, type KeyedUnionType, type StructType, type XenVersion } from './dsl.js';
import { domain_config } from './idl.js';

z.config(en());

const int = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const u64 = z.bigint().check(z.minimum(0n), z.maximum((1n << 64n) - 1n));
const reg32 = z.nullable(z.string().check(z.length(32)));
const nat = z.int().check(z.minimum(0));
const bitmap = z.strictObject({ size: nat, bits: z.array(nat) });

export function schemaOf(t: IdlType, version: XenVersion): z.ZodMiniType {
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
        case 'string': return z.nullable(z.string());
        case 'defbool': return z.nullable(z.boolean());
        case 'uuid': return z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/));
        case 'mac': return z.array(int(0, 255)).check(z.length(6));
        case 'ms_vm_genid': return z.array(int(0, 255)).check(z.length(16));
        case 'bitmap': return bitmap;
        case 'string_list': return z.nullable(z.array(z.string()));
        case 'key_value_list': return z.nullable(z.array(z.tuple([z.string(), z.nullable(z.string())])));
        case 'cpuid_policy_list':
          return z.nullable(z.strictObject({
            cpuid: z.array(z.strictObject({
              leaf: int(0, 0xffffffff), subleaf: z.nullable(int(0, 0xffffffff)),
              regs: z.tuple([reg32, reg32, reg32, reg32]),
            })),
            msr: z.array(z.strictObject({ index: int(0, 0xffffffff), policy: z.string().check(z.length(64)) })),
          }));
      }
      break;
    case 'enum': {
      const names = t.values.filter((v) => versionIncludes(version, v.since)).map((v) => v.name);
      return z.nullable(z.enum(names as [string, ...string[]]));
    }
    case 'array': return z.array(schemaOf(t.elem, version));
    case 'struct': return structSchema(t, version);
    case 'keyed_union': break;
  }
  throw new Error(`no schema for ${JSON.stringify(t)}`);
}

function structSchema(st: StructType<any>, version: XenVersion): z.ZodMiniType {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const f of st.fields) {
    if (f.type.kind === 'keyed_union') {
      const ku = f.type as KeyedUnionType;
      shape[ku.keyvar] = schemaOf(ku.keyType, version);
      const members: Record<string, z.ZodMiniType> = {};
      for (const [name, m] of Object.entries(ku.variants)) {
        members[name] = z.optional(m ? structSchema(m, version) : z.strictObject({}));
      }
      shape[f.name] = z.strictObject(members);
    } else {
      // fields newer than `version` may be present (initialised) but unused
      shape[f.name] = versionIncludes(version, f.since) ? schemaOf(f.type, version) : z.unknown();
    }
  }
  return z.strictObject(shape);
}

const cache = new Map<XenVersion, z.ZodMiniType>();

/** The zod schema of libxl_domain_config for one Xen release. */
export function domainConfigSchema(version: XenVersion = '4.17'): z.ZodMiniType {
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
