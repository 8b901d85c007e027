// koffi for this process, loaded the cheap way where it can be. `require('koffi')` walks node_modules, compiles
// koffi's JS and reads node's own ELF headers to pick the native addon: 380-430 ms a start in the emulated lab
// dom0, where opening the addon itself takes 77 ms. On Linux with glibc, and on FreeBSD, the addon of this
// platform's package is opened directly; anything unexpected falls back to koffi's own loader.

// Aliased: the bundles' banner declares a top-level createRequire.
import { createRequire as requireFrom } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

let loaded: unknown;

/** The platform package's addon for this process, or null when only koffi's own loader can tell. */
function directAddon(require: NodeJS.Require): string | null {
  const { platform, arch } = process;
  if (platform !== 'linux' && platform !== 'freebsd') return null;
  // A musl system (its dynamic loader in /lib) needs koffi's own choice of addon.
  if (platform === 'linux' && readdirSync('/lib').some((n) => n.startsWith('ld-musl-'))) return null;
  try {
    const pkg = dirname(require.resolve(`@koromix/koffi-${platform}-${arch}/package.json`));
    const file = join(pkg, `${platform}_${arch}`, 'koffi.node');
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

/** koffi's API object (the native module; koffi's JS adds only deprecated aliases to it). */
export function loadKoffi<T>(from: string): T {
  if (loaded) return loaded as T;
  const require = requireFrom(from);
  const addon = process.env.XL_KOFFI_LOADER === 'koffi' ? null : directAddon(require);
  if (addon) {
    try {
      const m = { exports: {} as unknown };
      process.dlopen(m as { exports: object }, addon);
      loaded = m.exports;
      return loaded as T;
    } catch {
      // koffi's own loader says why, if it also fails
    }
  }
  loaded = require('koffi');
  return loaded as T;
}
