// The domain's libxl-json userdata (libxl__get/set_domain_configuration):
// read as a JSON tree that keeps number literals as written (uint64 fields
// stay exact), edited, and stored back as the C libxl stores it (yajl
// beautified, NUL-terminated, a temporary file renamed over).

import { readFile, rename, writeFile } from 'node:fs/promises';
import type { JNode } from '../config-parser/index.js';
import { domain_config, renderJson } from '../config-parser/index.js';
import { XEN_LIB_DIR } from './paths.js';

/** JSON text to a JNode; numbers keep their text. */
export function parseJNode(text: string): JNode {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const fail = (what: string): never => { throw new Error(`bad JSON at offset ${i}: ${what}`); };
  const value = (): JNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<[string, JNode]> = [];
      ws();
      if (text[i] === '}') { i++; return { t: 'map', entries }; }
      for (;;) {
        ws();
        const k = value();
        if (k.t !== 'str') fail('key');
        ws();
        if (text[i++] !== ':') fail('colon');
        entries.push([(k as { v: string }).v, value()]);
        ws();
        const d = text[i++];
        if (d === '}') return { t: 'map', entries };
        if (d !== ',') fail('comma');
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') { i++; return { t: 'arr', items }; }
      for (;;) {
        items.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return { t: 'arr', items };
        if (d !== ',') fail('comma');
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!m) fail('string');
      i += m![0].length;
      return { t: 'str', v: JSON.parse(m![0]) as string };
    }
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail('value');
    i += m![0].length;
    if (m![0] === 'true' || m![0] === 'false') return { t: 'bool', v: m![0] === 'true' };
    if (m![0] === 'null') return { t: 'null' };
    return { t: 'num', v: m![0] };
  };
  const v = value();
  ws();
  if (i < text.length && text.slice(i).replace(/\0/g, '').trim() !== '') fail('trailing text');
  return v;
}

const FIELD_ORDER = domain_config.fields.map((f) => f.name);

/** Set a top-level member of libxl_domain_config, at its IDL position; an empty list goes away (as libxl omits it). */
export function setMember(cfg: JNode, name: string, value: JNode | null): void {
  if (cfg.t !== 'map') throw new Error('saved config is not an object');
  const at = cfg.entries.findIndex(([k]) => k === name);
  const empty = value === null || (value.t === 'arr' && value.items.length === 0);
  if (at >= 0) {
    if (empty) cfg.entries.splice(at, 1);
    else cfg.entries[at][1] = value!;
    return;
  }
  if (empty) return;
  const rank = FIELD_ORDER.indexOf(name);
  const before = cfg.entries.findIndex(([k]) => FIELD_ORDER.indexOf(k) > rank);
  cfg.entries.splice(before < 0 ? cfg.entries.length : before, 0, [name, value!]);
}

export function member(cfg: JNode, name: string): JNode | undefined {
  return cfg.t === 'map' ? cfg.entries.find(([k]) => k === name)?.[1] : undefined;
}

export const userdataPath = (domid: number, uuid: string, libDir = XEN_LIB_DIR): string =>
  `${libDir}/userdata-d.${domid}.${uuid}.libxl-json`;

export async function readSavedConfig(path: string): Promise<JNode> {
  return parseJNode((await readFile(path, 'utf8')).replace(/\0+$/, ''));
}

export async function writeSavedConfig(path: string, cfg: JNode): Promise<void> {
  await writeFile(`${path}.new`, `${renderJson(cfg)}\0`, { mode: 0o600 });
  await rename(`${path}.new`, path);
}
