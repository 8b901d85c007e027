// Which hotplug scripts libxl runs for a device, per OS, as data: the argv and
// environment libxl__get_hotplug_script_info builds for each num_exec pass.
//
// Sources (read for this table, RELEASE-4.17.0 and RELEASE-4.20.0):
//   tools/libs/light/libxl_linux.c, libxl_netbsd.c, libxl_freebsd.c (script
//   info), libxl_osdeps.h (NETBACK_NIC_NAME), libxl_internal.h
//   (TAP_DEVICE_SUFFIX), libxl_nic.c (libxl__device_nic_devname).
//   vbd3 (blktap3) is a 4.20 device kind; 4.17 has none, so listing it
//   changes nothing there.

export type HotplugOs = 'linux' | 'netbsd' | 'freebsd';
export type HotplugAction = 'add' | 'remove';

/** What the conventions need to know about a device; the caller reads it from the backend. */
export interface HotplugDevice {
  /** Backend kind (libxl__device_kind): 'vbd', 'vif', 'qdisk', ... */
  backendKind: string;
  /** The frontend domain. */
  domid: number;
  devid: number;
  /** Full backend path: /local/domain/<bdomid>/backend/<kind>/<domid>/<devid>. */
  backendPath: string;
  /** The backend's `script` node. */
  script: string;
  /** The backend's `type` node, for vifs (required on Linux and FreeBSD). */
  nictype?: 'vif' | 'vif_ioemu';
  /** The backend's `gatewaydev` node (Linux exports it as $netdev). */
  gatewaydev?: string | null;
  /** The domain has a stub domain: its emulated nic is the stubdom's business. */
  stubdom?: boolean;
}

/** One script invocation. */
export interface HotplugRun {
  script: string;
  /** argv after argv[0]. */
  args: string[];
  /** Added to the caller's environment. */
  env: Record<string, string>;
}

/** One num_exec pass: run when `when` holds (always, if absent). */
interface Pass {
  when?: (dev: HotplugDevice) => boolean;
  args: (dev: HotplugDevice, action: HotplugAction) => string[];
  env?: (dev: HotplugDevice) => Record<string, string>;
}

/** Backend kind -> passes, in num_exec order. Kinds not listed run nothing. */
type Convention = Readonly<Record<string, readonly Pass[]>>;

/** TAP_DEVICE_SUFFIX: the emulated nic's name is the PV one plus this. */
const TAP_SUFFIX = '-emu';

/** XenbusState values NetBSD's scripts take in place of add/remove. */
const XENBUS_STATE_INIT_WAIT = 2;
const XENBUS_STATE_CLOSED = 6;

/** libxl__nic_type failing (no or unknown `type` node) fails the whole hotplug. */
function nictypeOf(d: HotplugDevice): 'vif' | 'vif_ioemu' {
  if (d.nictype !== 'vif' && d.nictype !== 'vif_ioemu') throw new Error(`unable to read nictype from ${d.backendPath}`);
  return d.nictype;
}

/** A vif's first pass needs a known nictype even where its argv does not use it. */
const knownNictype = (d: HotplugDevice) => nictypeOf(d) !== undefined;

/** Passes after the first are for the emulated nic, which a stub domain plugs itself. */
const emulatedNic = (d: HotplugDevice) => nictypeOf(d) === 'vif_ioemu' && !d.stubdom;

/** NETBACK_NIC_NAME on Linux and FreeBSD (NetBSD's scripts are not given one). */
const linuxNic = (domid: number, devid: number) => `vif${domid}.${devid}`;
const freebsdNic = (domid: number, devid: number) => `xnb${domid}.${devid}`;

/** Linux's scripts find their device through xenstore-relative XENBUS_* variables. */
function linuxEnv(d: HotplugDevice): Record<string, string> {
  const env: Record<string, string> = {
    script: d.script,
    XENBUS_TYPE: d.backendKind,
    XENBUS_PATH: `backend/${d.backendKind}/${d.domid}/${d.devid}`,
    XENBUS_BASE_PATH: 'backend',
  };
  if (d.backendKind !== 'vif') return env;
  env.netdev = d.gatewaydev ?? '';
  // Both names for an emulated nic: the same environment serves both passes.
  if (nictypeOf(d) === 'vif_ioemu') env.INTERFACE = linuxNic(d.domid, d.devid) + TAP_SUFFIX;
  env.vif = linuxNic(d.domid, d.devid);
  return env;
}

const linuxDisk: readonly Pass[] = [{ args: (_d, a) => [a], env: linuxEnv }];

/** FreeBSD's vif script is told which interface and whether it is the emulated one. */
const freebsdNicPass = (emulated: boolean): Pass => ({
  when: emulated ? emulatedNic : knownNictype,
  args: (d, a) => [d.backendPath, a],
  env: (d) => ({
    iface_dev: freebsdNic(d.domid, d.devid) + (emulated ? TAP_SUFFIX : ''),
    emulated: emulated ? '1' : '0',
  }),
});

/** NetBSD's scripts take the backend path and the xenbus state being entered. */
const netbsdPass: Pass = {
  args: (d, a) => [d.backendPath, String(a === 'add' ? XENBUS_STATE_INIT_WAIT : XENBUS_STATE_CLOSED)],
};

const CONVENTIONS: Readonly<Record<HotplugOs, Convention>> = {
  linux: {
    vbd: linuxDisk,
    vbd3: linuxDisk,
    vif: [
      { args: (_d, a) => [a === 'add' ? 'online' : 'offline', 'type_if=vif'], env: linuxEnv },
      { when: emulatedNic, args: (_d, a) => [a, 'type_if=tap'], env: linuxEnv },
    ],
  },
  // QEMU runs its own script for the emulated nic, so vifs get one pass.
  netbsd: { vbd: [netbsdPass], vif: [netbsdPass] },
  // libxl_freebsd.c runs the disk script for vbd only, not vbd3.
  freebsd: {
    vbd: [{ args: (d, a) => [d.backendPath, a] }],
    vif: [freebsdNicPass(false), freebsdNicPass(true)],
  },
};

/** Whether `os` runs any script for this backend kind (only then does libxl read `script`). */
export function usesHotplugScript(os: HotplugOs, backendKind: string): boolean {
  return Object.hasOwn(CONVENTIONS[os], backendKind);
}

/**
 * Every script run libxl makes for `dev` on `os`, in num_exec order; [] when
 * the kind needs none. Throws when a vif's nictype is needed and unknown.
 */
export function hotplugRuns(os: HotplugOs, dev: HotplugDevice, action: HotplugAction): HotplugRun[] {
  const runs: HotplugRun[] = [];
  if (!usesHotplugScript(os, dev.backendKind)) return runs;
  // libxl asks pass after pass and stops at the first with nothing to run.
  for (const pass of CONVENTIONS[os][dev.backendKind]) {
    if (pass.when && !pass.when(dev)) break;
    runs.push({ script: dev.script, args: pass.args(dev, action), env: pass.env?.(dev) ?? {} });
  }
  return runs;
}

/** The hotplug convention of the OS we run on; null where Xen has none. */
export function hostOs(platform: string = process.platform): HotplugOs | null {
  return platform === 'linux' || platform === 'netbsd' || platform === 'freebsd' ? platform : null;
}
