// Reading typed values out of a parsed config with libxlu's rules
// (xlu_cfg_get_string/long/list/defbool): a wrong type is a warning and
// the key is ignored, as in the C xl, but our warnings name the place.

import type { Reporter } from './errors.js';
import type { CfgValue, ParsedConfig, Setting } from './parser.js';
import { strtol } from './cnum.js';

export type Got<T> = { ok: true; value: T; setting: Setting } | { ok: false; err: 'ESRCH' | 'EINVAL' | 'ERANGE' };

const ESRCH = { ok: false, err: 'ESRCH' } as const;
const EINVAL = { ok: false, err: 'EINVAL' } as const;

export class CfgReader {
  /** Keys the builder looked at, for unknown-key warnings. */
  readonly consulted = new Set<string>();

  constructor(readonly cfg: ParsedConfig, readonly report: Reporter) {}

  private at(s: Setting) { return { line: s.line, column: s.value.loc.column }; }

  find(name: string): Setting | undefined {
    this.consulted.add(name);
    return this.cfg.get(name);
  }

  has(name: string): boolean { return this.find(name) !== undefined; }

  getString(name: string, dontWarn = false): Got<string> {
    const s = this.find(name);
    if (!s) return ESRCH;
    if (s.value.type !== 'string') {
      if (!dontWarn) this.report.warn(`parameter \`${name}' is a list but should be a single value; ignored`, this.at(s), { key: name });
      return EINVAL;
    }
    return { ok: true, value: s.value.value, setting: s };
  }

  /** The string value, or undefined (absent or wrong type). */
  str(name: string, dontWarn = false): string | undefined {
    const g = this.getString(name, dontWarn);
    return g.ok ? g.value : undefined;
  }

  getLong(name: string, dontWarn = false, min?: bigint, max?: bigint): Got<bigint> {
    const s = this.find(name);
    if (!s) return ESRCH;
    const w = (msg: string) => { if (!dontWarn) this.report.warn(msg, this.at(s), { key: name }); };
    if (s.value.type !== 'string') {
      w(`parameter \`${name}' is a list but should be a single value; ignored`);
      return EINVAL;
    }
    if (s.op === '+=') {
      w(`can't use += with numbers for parameter \`${name}'; ignored`);
      return EINVAL;
    }
    const text = s.value.value;
    const r = strtol(text, 0);
    if (r.erange) {
      w(`parameter \`${name}' could not be parsed as a number: Numerical result out of range; ignored`);
      return { ok: false, err: 'ERANGE' };
    }
    if (r.end === 0 || r.end !== text.length) {
      w(`parameter \`${name}' is not a valid number (\`${text}'); ignored` +
        (/^0[0-7]*[89]/.test(text.trim()) ? ' (a leading 0 makes it octal)' : ''));
      return EINVAL;
    }
    if (min !== undefined && r.value < min) {
      w(`value \`${r.value}' is smaller than minimum bound '${min}'`);
      return EINVAL;
    }
    if (max !== undefined && r.value > max) {
      w(`value \`${r.value}' is greater than maximum bound '${max}'`);
      return EINVAL;
    }
    return { ok: true, value: r.value, setting: s };
  }

  /** The number, or undefined (absent or invalid). */
  long(name: string, dontWarn = false): bigint | undefined {
    const g = this.getLong(name, dontWarn);
    return g.ok ? g.value : undefined;
  }

  /** xlu_cfg_get_defbool: a number, true when non-zero. */
  defbool(name: string, dontWarn = false): boolean | undefined {
    const g = this.getLong(name, dontWarn);
    return g.ok ? g.value !== 0n : undefined;
  }

  getList(name: string, dontWarn = false): Got<CfgValue[]> {
    const s = this.find(name);
    if (!s) return ESRCH;
    if (s.value.type !== 'list') {
      if (!dontWarn) this.report.warn(`parameter \`${name}' is a single value but should be a list; ignored`, this.at(s), { key: name });
      return EINVAL;
    }
    return { ok: true, value: s.value.values, setting: s };
  }

  /**
   * xlu_cfg_get_list_as_string_list: libxl string lists end at NULL, so a
   * nested list item ends the list there.
   */
  getStringList(name: string, dontWarn = false): Got<string[]> {
    const g = this.getList(name, dontWarn);
    if (!g.ok) return g;
    const out: string[] = [];
    for (const v of g.value) {
      if (v.type !== 'string') {
        this.report.warn(`a nested list in \`${name}' ends the list there (as in the C xl)`, v.loc, { key: name });
        break;
      }
      out.push(v.value);
    }
    return { ok: true, value: out, setting: g.setting };
  }
}

/** xlu_cfg_get_listitem: the string at `i`, null for a nested list, undefined past the end. */
export function listItem(list: CfgValue[], i: number): string | null | undefined {
  if (i < 0 || i >= list.length) return undefined;
  const v = list[i];
  return v.type === 'string' ? v.value : null;
}
