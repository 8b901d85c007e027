// One entry per Xen version the lab can boot: which Debian suite carries it, which packages make the dom0 and how
// that suite's layout differs. Versions of the top-level packages are pinned here; a pin that the archive no longer
// serves falls back to the suite's candidate with a loud warning, and every build records what it really used.

const commonPackages = [
  'busybox-static', 'bash', 'coreutils', 'util-linux', 'mount', 'iproute2', 'bridge-utils', 'kmod', 'mawk', 'sed',
  'grep', 'findutils', 'procps', 'gzip', 'xz-utils', 'zstd',
  'qemu-system-xen', 'qemu-system-data', 'seabios', 'ipxe-qemu',
];

export const LAB_VERSIONS = {
  '4.17': {
    suite: 'bookworm',
    suites: ['bookworm', 'bookworm-updates'],
    securitySuite: 'bookworm-security',
    xenLibDir: 'usr/lib/xen-4.17',
    xenImage: 'boot/xen-4.17-amd64.gz',
    // The kernel package is named by its ABI; when the pinned ABI is gone the one linux-image-amd64 names is used.
    kernelPackage: 'linux-image-6.1.0-56-amd64',
    // 6.1 knows no cache=readahead; cache=none keeps host edits visible at once.
    ninePCache: 'none',
    mergedUsr: false,
    pins: {
      'xen-hypervisor-4.17-amd64': '4.17.7+13-g2445b30a44-0+deb12u1',
      'xen-utils-4.17': '4.17.7+13-g2445b30a44-0+deb12u1',
      'xenstore-utils': '4.17.7+13-g2445b30a44-0+deb12u1',
      'linux-image-6.1.0-56-amd64': '6.1.192-2',
      'qemu-system-xen': '1:7.2+dfsg-7+deb12u18+b3',
    },
    packages: [...commonPackages],
  },
  '4.20': {
    suite: 'trixie',
    suites: ['trixie', 'trixie-updates'],
    securitySuite: 'trixie-security',
    xenLibDir: 'usr/lib/xen-4.20',
    xenImage: 'boot/xen-4.20-amd64.gz',
    kernelPackage: 'linux-image-6.12.117+deb13-amd64',
    // 9p with cache=none on 6.12 is ~50x slower for big files; readahead still sees host edits.
    ninePCache: 'readahead',
    mergedUsr: true,
    pins: {
      'xen-hypervisor-4.20-amd64': '4.20.4+63-g7abfd2bce2-0+deb13u1',
      'xen-utils-4.20': '4.20.4+63-g7abfd2bce2-0+deb13u1',
      'xenstore-utils': '4.20.4+63-g7abfd2bce2-0+deb13u1',
      'linux-image-6.12.117+deb13-amd64': '6.12.117-1',
      'qemu-system-xen': '1:10.0.13+ds-0+deb13u1',
    },
    packages: [...commonPackages],
  },
};

export function labVersion(name) {
  const v = LAB_VERSIONS[name];
  if (!v) throw new Error(`unknown Xen version '${name}' (known: ${Object.keys(LAB_VERSIONS).join(', ')})`);
  return { name, ...v };
}
