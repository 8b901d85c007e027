// The domain's libxl-json userdata (libxl__get/set_domain_configuration) for
// the attach and detach commands: read with xl list -l's parser (numbers keep
// their text), a device list set at its IDL place, stored back as the C libxl
// stores it (yajl beautified, NUL-terminated, a temporary file renamed over).

import { readFile, rename, writeFile } from 'node:fs/promises';
import { domain_config, renderJson, type JNode } from '../../config-parser/index.js';
import { getField, parseJNode, setField, type JMap } from './domain-config.js';

export async function readSavedConfig(path: string): Promise<JMap> {
  const n = parseJNode((await readFile(path, 'utf8')).replace(/\0+$/, ''));
  if (n.t !== 'map') throw new SyntaxError(`${path}: not a domain configuration`);
  return n;
}

/** libxl__userdata_store: a temporary file renamed over; the JSON is stored with its C string's NUL. */
export async function storeUserdata(path: string, json: string): Promise<void> {
  await writeFile(`${path}.new`, `${json}\0`, { mode: 0o600 });
  await rename(`${path}.new`, path);
}

export async function writeSavedConfig(path: string, cfg: JMap): Promise<void> {
  await storeUserdata(path, renderJson(cfg));
}

/** A device list of libxl_domain_config; an empty one goes away, as gen_json leaves it out. */
export function deviceList(cfg: JMap, name: 'disks' | 'nics'): JNode[] {
  const v = getField(cfg, name);
  return v?.t === 'arr' ? v.items : [];
}

export function setDeviceList(cfg: JMap, name: 'disks' | 'nics', items: JNode[]): void {
  setField(cfg, domain_config, name, items.length ? { t: 'arr', items } : undefined);
}
