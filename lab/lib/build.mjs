// Builds one lab version from Debian packages: the Xen image, the dom0 kernel, a dom0 initramfs (Xen tools, qemu,
// hotplug userland, our agent) and the test guests (kernel, busybox initramfs, configs) that dom0 carries in /lab.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AptSuite } from './apt.mjs';
import { LAB_DIR, LabError, STATE_DIR, exists, log, mkdirp, rmrf, run } from './util.mjs';

// Modules dom0 loads, in dependency order after resolution (Debian builds them as modules, not in the kernel).
const DOM0_MODULES = [
  'virtio_pci', 'virtio_console', '9p', '9pnet_virtio', 'xenfs', 'xen-evtchn', 'xen-privcmd', 'xen-gntdev',
  'xen-gntalloc', 'xen-blkback', 'xen-netback', 'bridge', 'tun', 'loop',
];
const GUEST_MODULES = ['xen-blkfront', 'xen-netfront'];

// What the dom0 image leaves out of the extracted packages: documentation, Perl and Python (pygrub), other architectures'
// firmware, and the kernel's module tree (only the modules above are copied in).
const DOM0_EXCLUDES = [
  './usr/share/doc', './usr/share/man', './usr/share/info', './usr/share/locale', './usr/share/lintian',
  './usr/share/i18n', './usr/share/zoneinfo', './usr/share/bash-completion', './usr/share/bug', './usr/share/zsh',
  './usr/lib/python3*', './usr/lib/python3', './lib/modules', './usr/lib/modules', './boot',
  './usr/share/initramfs-tools', './usr/lib/udev/hwdb.d', './lib/udev/hwdb.d', './usr/lib/x86_64-linux-gnu/gconv',
  './usr/share/qemu/*ppc*', './usr/share/qemu/*sparc*', './usr/share/qemu/*riscv*', './usr/share/qemu/s390*',
  './usr/share/qemu/hppa*', './usr/share/qemu/skiboot*', './usr/share/qemu/slof*', './usr/share/qemu/npcm*',
  './usr/share/qemu/*.dtb', './usr/share/qemu/palcode*', './usr/share/qemu/vof*', './usr/share/qemu/*.lid',
  './usr/share/qemu/edk2*', './usr/share/qemu/firmware', './var/cache', './var/lib/dpkg',
  './usr/share/perl*', './usr/lib/x86_64-linux-gnu/perl*', './usr/lib/x86_64-linux-gnu/libperl*', './usr/bin/perl*',
  './usr/bin/python3*', './usr/share/iso-codes', './usr/share/xml', './usr/share/common-licenses',
];

export function labPaths(ver) {
  const dir = path.join(STATE_DIR, ver.name);
  return {
    dir,
    root: path.join(dir, 'root'),
    dom0: path.join(dir, 'dom0'),
    guestTree: path.join(dir, 'guest-initrd'),
    xen: path.join(dir, 'xen'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'dom0.cpio.gz'),
    versions: path.join(dir, 'versions.txt'),
    stamp: path.join(dir, 'build.json'),
    run: path.join(dir, 'run'),
  };
}

/** Hash of everything the images are made from here, so an edit to the dom0 or guest files triggers a rebuild. */
function inputsHash(ver) {
  const h = crypto.createHash('sha256').update(JSON.stringify(ver));
  const files = ['lib/build.mjs', 'lib/versions.mjs', 'lib/apt.mjs'];
  for (const dir of ['dom0', 'guest']) for (const f of fs.readdirSync(path.join(LAB_DIR, dir)).sort()) files.push(`${dir}/${f}`);
  for (const f of files) h.update(f).update(fs.readFileSync(path.join(LAB_DIR, f)));
  return h.digest('hex');
}

export function isBuilt(ver) {
  const p = labPaths(ver);
  if (![p.xen, p.kernel, p.initrd, p.stamp].every((f) => fs.existsSync(f))) return false;
  try {
    return JSON.parse(fs.readFileSync(p.stamp, 'utf8')).inputs === inputsHash(ver);
  } catch {
    return false;
  }
}

/** Choose pinned versions where the archive still has them. */
function resolveSpecs(ver, apt) {
  const warnings = [];
  let kernel = ver.kernelPackage;
  if (apt.versions(kernel).length === 0) {
    const current = apt.currentKernelPackage();
    warnings.push(`pinned kernel ${kernel} is gone from ${ver.suite}; using ${current}`);
    kernel = current;
  }
  const names = [...ver.packages, `xen-hypervisor-${ver.name}-amd64`, `xen-utils-${ver.name}`, 'xenstore-utils', kernel];
  const specs = names.map((name) => {
    const pin = ver.pins[name];
    if (!pin) return name;
    if (apt.versions(name).includes(pin)) return `${name}=${pin}`;
    warnings.push(`pinned ${name}=${pin} is gone from ${ver.suite}; using the suite's candidate`);
    return name;
  });
  return { specs, kernel, kernelRelease: kernel.replace(/^linux-image-/, ''), warnings };
}

export async function build(ver, { force = false } = {}) {
  const p = labPaths(ver);
  if (!force && isBuilt(ver)) {
    log(`Xen ${ver.name} lab is up to date (${p.dir}); 'build --force' rebuilds`);
    return;
  }
  const t0 = Date.now();
  // Taken now: files edited while this build runs must make the next one rebuild.
  const inputs = inputsHash(ver);
  const apt = new AptSuite(ver);
  apt.setup();
  apt.update();
  const { specs, kernelRelease, warnings } = resolveSpecs(ver, apt);
  for (const w of warnings) log(`WARNING: ${w}`);
  const plan = apt.download(specs);

  log(`extracting ${plan.length} packages`);
  rmrf(p.root);
  mkdirp(p.root);
  for (const pkg of plan) run('dpkg-deb', ['-x', pkg.file, p.root]);

  fs.copyFileSync(path.join(p.root, `boot/vmlinuz-${kernelRelease}`), p.kernel);
  // QEMU's multiboot loader wants the plain ELF, Debian ships it gzipped.
  fs.writeFileSync(p.xen, zlib.gunzipSync(fs.readFileSync(path.join(p.root, ver.xenImage))));

  assembleDom0(ver, p, kernelRelease);
  buildGuests(ver, p, kernelRelease);
  log('packing dom0 initramfs');
  packCpio(p.dom0, p.initrd);

  const lines = plan.map((x) => `${x.name} ${x.version}`).sort();
  fs.writeFileSync(p.versions, `${lines.join('\n')}\n`);
  const stamp = { xen: ver.name, suite: ver.suite, kernelRelease, builtAt: new Date().toISOString(), warnings, inputs };
  fs.writeFileSync(p.stamp, `${JSON.stringify(stamp, null, 2)}\n`);
  rmrf(p.root);
  log(`Xen ${ver.name} lab built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${p.dir})`);
}

function assembleDom0(ver, p, kernelRelease) {
  log('assembling dom0 tree');
  rmrf(p.dom0);
  mkdirp(p.dom0);
  const excludes = DOM0_EXCLUDES.flatMap((e) => ['--exclude', e]);
  const tar = `tar -C ${q(p.root)} ${excludes.map(q).join(' ')} -cf - . | tar -C ${q(p.dom0)} -xf -`;
  run('bash', ['-o', 'pipefail', '-c', tar]);
  if (ver.mergedUsr) mergeUsr(p.dom0);

  // Busybox fills in what the packages lack (mount, insmod, init...); real binaries win where both exist.
  const busybox = ['bin/busybox', 'usr/bin/busybox'].find((b) => exists(path.join(p.dom0, b)));
  if (!busybox) throw new LabError('busybox missing from the dom0 tree');
  const applets = run(path.join(p.dom0, busybox), ['--list-full']).stdout.split('\n').filter(Boolean);
  const binDirs = ['bin', 'sbin', 'usr/bin', 'usr/sbin'];
  for (const a of applets) {
    const target = path.join(p.dom0, a);
    const name = path.basename(a);
    if (!binDirs.some((d) => exists(resolveInTree(p.dom0, `${d}/${name}`)))) {
      mkdirp(path.dirname(target));
      fs.symlinkSync(`/${busybox}`, target);
    }
  }

  const modDir = path.join(p.dom0, 'lib/modules', kernelRelease);
  const order = copyModules(p.root, kernelRelease, DOM0_MODULES, modDir);
  mkdirp(path.join(p.dom0, 'lab'));
  fs.writeFileSync(path.join(p.dom0, 'lab/modules.order'), `${order.map((m) => path.join('/lib/modules', kernelRelease, m)).join('\n')}\n`);

  for (const f of ['rc.sh', 'agent.mjs', 'shutdown.sh']) {
    fs.copyFileSync(path.join(LAB_DIR, 'dom0', f), path.join(p.dom0, 'lab', f));
  }
  fs.chmodSync(path.join(p.dom0, 'lab/rc.sh'), 0o755);
  fs.writeFileSync(path.join(p.dom0, 'lab/env'), [
    `XEN_VERSION=${ver.name}`,
    `XEN_LIB_DIR=/${ver.xenLibDir}`,
    `NINEP_CACHE=${ver.ninePCache}`,
    `KERNEL_RELEASE=${kernelRelease}`,
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(p.dom0, 'etc/inittab'), [
    '::sysinit:/bin/busybox sh /lab/rc.sh',
    '::shutdown:/bin/busybox sh /lab/shutdown.sh',
    '::respawn:/bin/busybox cttyhack /bin/bash -l',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(p.dom0, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.writeFileSync(path.join(p.dom0, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(p.dom0, 'etc/hostname'), `xenlab-${ver.name.replace('.', '')}\n`);
  for (const d of ['proc', 'sys', 'dev', 'run', 'tmp', 'root', 'project', 'usr/local/bin', 'mnt/hostnode', 'var/log/xen/console', 'var/lib/xen', 'var/lib/xenstored']) {
    mkdirp(path.join(p.dom0, d));
  }
  // Debian's tools find their sockets and locks under /var/run and /var/lock.
  for (const [link, to] of [['var/run', '/run'], ['var/lock', '/run/lock']]) {
    rmrf(path.join(p.dom0, link));
    fs.symlinkSync(to, path.join(p.dom0, link));
  }
  rmrf(path.join(p.dom0, 'init'));
  fs.symlinkSync(`/${busybox}`, path.join(p.dom0, 'init'));
}

/** Move /bin, /sbin, /lib, /lib64 into /usr and leave symlinks, as a merged-/usr system has them. */
function mergeUsr(tree) {
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
    const top = path.join(tree, d);
    const usr = path.join(tree, 'usr', d);
    mkdirp(usr);
    if (exists(top) && !fs.lstatSync(top).isSymbolicLink()) {
      run('cp', ['-a', `${top}/.`, `${usr}/`]);
      rmrf(top);
    }
    if (!exists(top)) fs.symlinkSync(`usr/${d}`, top);
  }
}

/** Path of `rel` inside `tree`, following symlinked top-level directories (merged /usr). */
function resolveInTree(tree, rel) {
  const [first, ...rest] = rel.split('/');
  const top = path.join(tree, first);
  if (exists(top) && fs.lstatSync(top).isSymbolicLink()) {
    return path.join(tree, fs.readlinkSync(top).replace(/^\//, ''), ...rest);
  }
  return path.join(tree, rel);
}

/** Copy the named modules and everything they depend on (from each .ko's modinfo); returns load order. */
function copyModules(root, kernelRelease, wanted, destDir) {
  const srcDir = ['lib/modules', 'usr/lib/modules'].map((d) => path.join(root, d, kernelRelease)).find((d) => fs.existsSync(d));
  if (!srcDir) throw new LabError(`kernel modules for ${kernelRelease} not found`);
  const byName = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.ko(\.xz|\.zst)?$/.test(e.name)) byName.set(e.name.replace(/\.ko(\.xz|\.zst)?$/, '').replace(/-/g, '_'), f);
    }
  };
  walk(path.join(srcDir, 'kernel'));
  mkdirp(destDir);
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    const key = name.replace(/-/g, '_');
    if (seen.has(key)) return;
    seen.add(key);
    const file = byName.get(key);
    if (!file) return; // built into the kernel
    const data = readModule(file);
    const deps = /(?:^|\0)depends=([^\0]*)/.exec(data.toString('latin1'))?.[1] ?? '';
    for (const d of deps.split(',').filter(Boolean)) visit(d);
    const out = `${key}.ko`;
    fs.writeFileSync(path.join(destDir, out), data);
    order.push(out);
  };
  for (const m of wanted) visit(m);
  return order;
}

function readModule(file) {
  if (file.endsWith('.ko')) return fs.readFileSync(file);
  if (file.endsWith('.xz')) return run('xz', ['-dc', file], { encoding: 'buffer' }).stdout;
  return run('zstd', ['-dc', file], { encoding: 'buffer' }).stdout;
}

function buildGuests(ver, p, kernelRelease) {
  log('building test guests');
  const guests = mkdirp(path.join(p.dom0, 'lab/guests'));
  fs.copyFileSync(p.kernel, path.join(guests, 'vmlinuz'));
  writeGzippedElf(p.kernel, path.join(guests, 'vmlinux.gz'));
  const g = p.guestTree;
  rmrf(g);
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'modules']) mkdirp(path.join(g, d));
  const busybox = ['bin/busybox', 'usr/bin/busybox'].map((b) => path.join(p.root, b)).find((b) => fs.existsSync(b));
  fs.copyFileSync(busybox, path.join(g, 'bin/busybox'));
  fs.chmodSync(path.join(g, 'bin/busybox'), 0o755);
  const order = copyModules(p.root, kernelRelease, GUEST_MODULES, path.join(g, 'modules'));
  fs.writeFileSync(path.join(g, 'modules/order'), `${order.join('\n')}\n`);
  fs.copyFileSync(path.join(LAB_DIR, 'guest/rc.sh'), path.join(g, 'etc/rc.sh'));
  fs.writeFileSync(path.join(g, 'etc/inittab'), '::sysinit:/bin/busybox sh /etc/rc.sh\n::shutdown:/bin/busybox sh -c "echo LAB-GUEST-POWEROFF >/dev/console"\n');
  fs.symlinkSync('/bin/busybox', path.join(g, 'init'));
  fs.symlinkSync('/bin/busybox', path.join(g, 'sbin/poweroff'));
  fs.symlinkSync('/bin/busybox', path.join(g, 'bin/sh'));
  packCpio(g, path.join(guests, 'initrd.gz'));
  for (const f of fs.readdirSync(path.join(LAB_DIR, 'guest'))) {
    if (f.endsWith('.cfg')) fs.copyFileSync(path.join(LAB_DIR, 'guest', f), path.join(guests, f));
  }
}

/**
 * The same kernel as a gzipped ELF, a form libxc loads too (xc_dom_kernel_file gunzips kernels): tests that create
 * many domains use it, since unpacking the bzImage's xz/zstd payload takes 15 s under emulation and gzip about 1 s.
 */
function writeGzippedElf(bzImage, out) {
  const b = fs.readFileSync(bzImage);
  const start = ((b[0x1f1] || 4) + 1) * 512 + b.readUInt32LE(0x248);
  const payload = b.subarray(start, start + b.readUInt32LE(0x24c));
  const tools = { '28b52ffd': ['zstd', ['-dcq']], fd377a58: ['xz', ['-dc']], '1f8b0800': ['gzip', ['-dc']] };
  const tool = tools[payload.subarray(0, 4).toString('hex')];
  if (!tool) throw new LabError(`${bzImage}: unknown kernel payload compression`);
  // All but gzip carry the unpacked size in 4 trailing bytes, which the tools would take for a second stream.
  const body = tool[0] === 'gzip' ? payload : payload.subarray(0, payload.length - 4);
  const r = spawnSync(tool[0], tool[1], { input: body, maxBuffer: 1 << 30 });
  if (r.status !== 0 || r.stdout.readUInt32BE(0) !== 0x7f454c46) {
    throw new LabError(`${bzImage}: ${tool[0]} could not unpack the kernel: ${r.stderr?.toString().trim()}`);
  }
  fs.writeFileSync(out, zlib.gzipSync(r.stdout, { level: 1 }));
}

function packCpio(tree, out) {
  // -1: the kernel unpacks it under emulation, where a bigger gzip effort buys little.
  run('bash', ['-o', 'pipefail', '-c', `cd ${q(tree)} && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet | gzip -1 > ${q(out)}`]);
}

function q(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}
