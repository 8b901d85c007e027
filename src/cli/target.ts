// Which C xl to mimic. Its command table is fixed when it is compiled, so the
// best stand-in is the release of the hypervisor this host runs, read from
// sysfs (no hypercall, so `xl help` works anywhere). XL_XEN_VERSION overrides.
import { readFileSync } from 'node:fs';
import { XlError } from '../libxl/errors.js';
import type { Arch, Target, XenVersion } from './types.js';

export const DEFAULT_XEN: XenVersion = '4.20';

const VERSION_RE = /^\d+\.\d+$/;

export function compareXen(a: XenVersion, b: XenVersion): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

export function archOf(nodeArch: string): Arch {
  if (nodeArch === 'x64' || nodeArch === 'ia32') return 'x86';
  if (nodeArch === 'arm' || nodeArch === 'arm64') return 'arm';
  return 'other';
}

function readHypervisorVersion(read: (path: string) => string): XenVersion | undefined {
  try {
    const v = `${read('/sys/hypervisor/version/major').trim()}.${read('/sys/hypervisor/version/minor').trim()}`;
    return VERSION_RE.test(v) ? (v as XenVersion) : undefined;
  } catch {
    return undefined;
  }
}

export function detectTarget(
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  nodeArch: string = process.arch,
): Target {
  const arch = archOf(nodeArch);
  const forced = env.XL_XEN_VERSION;
  if (forced) {
    if (!VERSION_RE.test(forced)) throw new XlError(`XL_XEN_VERSION must be like 4.17, not "${forced}"`);
    return { xen: forced as XenVersion, arch, source: 'env' };
  }
  const found = readHypervisorVersion(read);
  return found ? { xen: found, arch, source: 'hypervisor' } : { xen: DEFAULT_XEN, arch, source: 'default' };
}
