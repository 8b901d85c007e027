// `xl version` (ours; the C xl has none): a self-check of what this build
// runs on and which Xen interfaces the host offers.
import { existsSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { sprintf } from '../format.js';
import { out } from '../output.js';
import type { CommandContext, Target } from '../types.js';

// Replaced by scripts/build.mjs with the package.json version.
declare const __XL_VERSION__: string | undefined;

/** Device nodes and files the lower layers open, in the order they matter. */
export const XEN_PATHS = ['/dev/xen/privcmd', '/dev/xen/xenbus', '/var/run/xenstored/socket', '/proc/xen'];

export function versionFacts(target: Target, exists: (path: string) => boolean = existsSync): [string, string | boolean][] {
  return [
    ['xenlight_ts_version', typeof __XL_VERSION__ === 'string' ? __XL_VERSION__ : 'unbuilt'],
    ['node_version', process.version],
    ['os', `${platform()} ${release()}`],
    ['arch', arch()],
    ['xl_compat', `${target.xen} (${target.source})`],
    ...XEN_PATHS.map((p): [string, boolean] => [p, exists(p)]),
  ];
}

export function run(ctx: CommandContext): number {
  let json = false;
  for (const { opt } of ctx.options()) if (opt === 'json') json = true;
  const facts = versionFacts(ctx.target);
  if (json) {
    out(JSON.stringify(Object.fromEntries(facts), null, 2) + '\n');
  } else {
    // Laid out like `xl info` ("%-23s: "), widened if a name is longer.
    const width = Math.max(23, ...facts.map(([name]) => name.length + 1));
    for (const [name, value] of facts) {
      out(sprintf('%-*s: %s\n', width, name, typeof value === 'boolean' ? (value ? 'present' : 'absent') : value));
    }
  }
  return 0;
}
