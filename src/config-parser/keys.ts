// Every key xl_parse.c reads (4.17, plus what 4.20 added), as data: its
// value kind, the guest types it applies to, and a one-line description.
// The man page (man.ts) and the unknown-key warnings come from this table.

import type { Reporter } from './errors.js';
import type { ParsedConfig } from './parser.js';
import { versionIncludes, type XenVersion } from './model/dsl.js';

export type KeyKind = 'string' | 'number' | 'boolean' | 'list' | 'string or list' | 'number or string' | 'list of lists';
export type Section =
  | 'General' | 'CPU and memory' | 'Scheduling' | 'Boot' | 'Events' | 'Devices' | 'PCI passthrough'
  | 'Graphics and input' | 'HVM' | 'PVH' | 'Device model' | 'Security' | 'Arm' | 'x86';

export interface KeyDef {
  name: string;
  kind: KeyKind;
  section: Section;
  doc: string;
  since?: XenVersion;
  /** Guest types that use the key; others ignore it silently in xl. */
  only?: Array<'pv' | 'pvh' | 'hvm'>;
  deprecated?: string;
}

const k = (name: string, kind: KeyKind, section: Section, doc: string, extra: Partial<KeyDef> = {}): KeyDef =>
  ({ name, kind, section, doc, ...extra });
const HVM: Partial<KeyDef> = { only: ['hvm'] };

export const KEYS: readonly KeyDef[] = [
  // General
  k('name', 'string', 'General', 'Name of the domain; required and unique on the host.'),
  k('type', 'string', 'General', 'Guest type: "pv", "pvh" or "hvm" (default "pv" on x86, "pvh" on Arm). xl accepts any prefix.'),
  k('builder', 'string', 'General', 'Old spelling of type: "generic" (PV) or "hvm".', { deprecated: 'use type' }),
  k('uuid', 'string', 'General', 'Domain UUID, 8-4-4-4-12 hex digits; a random one is generated when absent.'),
  k('pool', 'string', 'General', 'Name of the cpupool to create the domain in.'),
  k('seclabel', 'string', 'Security', 'XSM/FLASK security label of the domain.'),
  k('init_seclabel', 'string', 'Security', 'XSM/FLASK label used while building; seclabel then applies at run time.'),
  k('driver_domain', 'boolean', 'General', 'Mark the domain as a driver domain (backends may run there).'),
  k('on_poweroff', 'string', 'Events', 'Action on guest poweroff: destroy, restart, rename-restart, preserve, coredump-destroy, coredump-restart, soft-reset. Default destroy.'),
  k('on_reboot', 'string', 'Events', 'Action on guest reboot (same actions). Default restart.'),
  k('on_watchdog', 'string', 'Events', 'Action when the watchdog fires (same actions). Default destroy.'),
  k('on_crash', 'string', 'Events', 'Action on guest crash (same actions). Default destroy.'),
  k('on_soft_reset', 'string', 'Events', 'Action on soft reset (same actions). Default soft-reset.'),
  k('max_event_channels', 'number', 'General', 'Maximum number of event channels the guest may use.'),
  k('max_grant_frames', 'number', 'General', 'Maximum grant table frames (0 to 2147483647); default from xl.conf or Xen.'),
  k('max_maptrack_frames', 'number', 'General', 'Maximum maptrack frames (0 to 2147483647); default from xl.conf or Xen.'),
  k('max_grant_version', 'number', 'General', 'Highest grant table version the guest may use.'),
  k('nomigrate', 'boolean', 'General', 'Disable migration of this domain.'),
  k('xend_suspend_evtchn_compat', 'boolean', 'General', 'Guest expects xend-style suspend event channel setup.'),
  k('passthrough', 'string', 'PCI passthrough', 'IOMMU page table mode: default, disabled, enabled, sync_pt or share_pt.'),
  k('vmtrace_buf_kb', 'number', 'x86', 'Size in KiB of the per-vCPU processor trace buffers (0 disables).'),
  k('vpmu', 'boolean', 'x86', 'Expose the virtual performance monitoring unit.'),
  k('altp2m', 'number or string', 'x86', 'Alternate p2m mode: disabled, mixed, external or limited.'),
  k('cpuid', 'string or list', 'x86', 'CPUID policy: "host,flag=value,..." or a list of "leaf[,subleaf]:eax=...,ebx=..." 32-character strings.'),
  k('msr_relaxed', 'boolean', 'x86', 'Relaxed handling of unknown MSR accesses (deprecated by Xen).'),
  k('tsc_mode', 'number or string', 'x86', 'TSC mode: default, always_emulate, native or native_paravirt (numbers are deprecated).'),
  k('rtc_timeoffset', 'number', 'HVM', 'Offset of the virtual RTC from the host clock, in seconds.'),
  k('localtime', 'boolean', 'General', 'Set the guest RTC to local time rather than UTC.'),
  // CPU and memory
  k('memory', 'number', 'CPU and memory', 'Memory at boot, in MiB.'),
  k('maxmem', 'number', 'CPU and memory', 'Maximum memory, in MiB (defaults to memory).'),
  k('vcpus', 'number', 'CPU and memory', 'Number of vCPUs online at boot.'),
  k('maxvcpus', 'number', 'CPU and memory', 'Maximum number of vCPUs (defaults to vcpus).'),
  k('cpus', 'string or list', 'CPU and memory', 'Hard affinity: "all", "N", "N-M", "^N", "node:N", or a list giving one such string per vCPU.'),
  k('cpus_soft', 'string or list', 'CPU and memory', 'Soft affinity, same syntax as cpus.'),
  k('vnuma', 'list of lists', 'CPU and memory', 'Virtual NUMA nodes: a list of ["pnode=N", "size=MiB", "vcpus=A-B", "vdistances=a,b"] lists.'),
  k('shadow_memory', 'number', 'CPU and memory', 'Shadow page table memory, in MiB.'),
  k('videoram', 'number', 'Graphics and input', 'Video memory, in MiB.'),
  k('claim_mode', 'boolean', 'CPU and memory', 'Not read from domain configs (only from xl.conf); listed so it is not reported as unknown.', { deprecated: 'set it in xl.conf' }),
  // Scheduling
  k('cpu_weight', 'number', 'Scheduling', 'Credit scheduler weight.'),
  k('cap', 'number', 'Scheduling', 'Credit scheduler cap, in percent of one CPU.'),
  k('period', 'number', 'Scheduling', 'RTDS scheduler period, in microseconds.'),
  k('slice', 'number', 'Scheduling', 'Removed SEDF scheduler slice (ignored by Xen).'),
  k('latency', 'number', 'Scheduling', 'Removed SEDF scheduler latency (ignored by Xen).'),
  k('extratime', 'number', 'Scheduling', 'RTDS: allow the domain extra time.'),
  // Boot
  k('kernel', 'string', 'Boot', 'Kernel image to boot (PV, PVH; for HVM "hvmloader" is ignored).'),
  k('ramdisk', 'string', 'Boot', 'Initial ramdisk image.'),
  k('cmdline', 'string', 'Boot', 'Kernel command line; overrides root and extra.'),
  k('root', 'string', 'Boot', 'Root device, added to the command line as root=VALUE (xm style).'),
  k('extra', 'string', 'Boot', 'Text appended to the command line (xm style).'),
  k('bootloader', 'string', 'Boot', 'Bootloader program run in dom0 to find the kernel, e.g. "pygrub".'),
  k('bootloader_args', 'string or list', 'Boot', 'Arguments for the bootloader (a string is split on blanks, deprecated).'),
  k('bootloader_restrict', 'boolean', 'Boot', 'Run the bootloader deprivileged.', { since: '4.20' }),
  k('bootloader_user', 'string', 'Boot', 'User to run a restricted bootloader as.', { since: '4.20' }),
  k('firmware', 'string', 'Boot', 'HVM: bios, uefi, seabios, rombios, ovmf or a file; PV/PVH: pvgrub32 or pvgrub64.'),
  k('device_tree', 'string', 'Arm', 'Partial device tree to merge into the guest device tree.'),
  k('acpi', 'boolean', 'General', 'Expose ACPI to the guest.'),
  // PVH
  k('pvshim', 'boolean', 'PVH', 'Run a PV guest inside a PVH shim.', { only: ['pvh'] }),
  k('pvshim_path', 'string', 'PVH', 'Shim image to use.', { only: ['pvh'] }),
  k('pvshim_cmdline', 'string', 'PVH', 'Command line for the shim.', { only: ['pvh'] }),
  k('pvshim_extra', 'string', 'PVH', 'Extra text appended to the shim command line.', { only: ['pvh'] }),
  k('e820_host', 'boolean', 'PCI passthrough', 'PV: use the host e820 memory map (set automatically with pci).', { only: ['pv'] }),
  // Devices
  k('disk', 'list', 'Devices', 'Disks: a list of xl-disk-configuration(5) specs, e.g. "phy:/dev/vg/guest,xvda,w" or "format=qcow2,vdev=xvda,target=/img.qcow2".'),
  k('vif', 'list', 'Devices', 'Network interfaces: a list of "mac=...,bridge=...,ip=...,script=...,vifname=...,model=...,type=ioemu,rate=...,backend=..." specs (xl-network-configuration(5)).'),
  k('vif2', 'list', 'Devices', 'Netchannel2 interfaces (not supported; xl warns).', { deprecated: 'not supported' }),
  k('pci', 'list', 'PCI passthrough', 'PCI devices: "[DDDD:]BB:DD.F[@VSLOT][,permissive=1,msitranslate=1,power_mgmt=1,seize=1,rdm_policy=...]" or "name=...".'),
  k('pci_permissive', 'boolean', 'PCI passthrough', 'Default of permissive= for every pci device.'),
  k('pci_msitranslate', 'boolean', 'PCI passthrough', 'Default of msitranslate= for every pci device.'),
  k('pci_power_mgmt', 'boolean', 'PCI passthrough', 'Default of power_mgmt= for every pci device.'),
  k('pci_seize', 'boolean', 'PCI passthrough', 'Default of seize= for every pci device.'),
  k('rdm', 'string', 'PCI passthrough', 'Reserved device memory: "strategy=host,policy=strict|relaxed".'),
  k('rdm_mem_boundary', 'number', 'PCI passthrough', 'HVM: RDM memory boundary, in MiB.', HVM),
  k('dtdev', 'list', 'Arm', 'Device tree paths of devices to pass through.'),
  k('iomem', 'list', 'PCI passthrough', 'I/O memory to map: "START,NUM_PAGES[@GFN]" in hex.'),
  k('ioports', 'list', 'PCI passthrough', 'I/O ports to allow: "FIRST[-LAST]" in hex.'),
  k('irqs', 'list', 'PCI passthrough', 'Physical IRQs to allow, decimal.'),
  k('vtpm', 'list', 'Devices', 'Virtual TPMs: "backend=DOMAIN[,uuid=UUID]".'),
  k('p9', 'list', 'Devices', '9pfs shares: "tag=NAME,path=DIR,security_model=none[,backend=DOMAIN]" (4.20 adds type=, max-files=, ...).'),
  k('pvcalls', 'list', 'Devices', 'PV calls interfaces: "backend=DOMAIN".'),
  k('channel', 'list', 'Devices', 'Channels: "name=NAME,connection=pty|socket[,path=PATH][,backend=DOMAIN]".'),
  k('vdispl', 'list', 'Devices', 'Virtual displays: "backend=DOMAIN,be-alloc=0|1,connectors=ID:WxH;...".'),
  k('vsnd', 'list of lists', 'Devices', 'Virtual sound cards: a list of ["card,...", "pcm,...", "stream,..."] lists.'),
  k('vkb', 'list', 'Graphics and input', 'Virtual keyboards/pointers: "backend-type=qemu|linux,..."'),
  k('vfb', 'list', 'Graphics and input', 'PV framebuffers: "vnc=1,vnclisten=...,vncdisplay=N,sdl=1,keymap=...".'),
  k('usbctrl', 'list', 'Devices', 'USB controllers: "type=auto|pv|devicemodel|qusb,version=N,ports=N".'),
  k('usbdev', 'list', 'Devices', 'USB devices: "type=hostdev,hostbus=N,hostaddr=N[,controller=N,port=N]".'),
  k('virtio', 'list', 'Devices', 'Virtio devices: "backend=DOMAIN,type=virtio,device...,transport=mmio,grant_usage=0|1".', { since: '4.20' }),
  // Graphics
  k('vnc', 'boolean', 'Graphics and input', 'Enable VNC (HVM, or a PV framebuffer when no vfb is given).'),
  k('vnclisten', 'string', 'Graphics and input', 'Address (and optionally :display) for VNC to listen on.'),
  k('vncpasswd', 'string', 'Graphics and input', 'VNC password.'),
  k('vncdisplay', 'number', 'Graphics and input', 'VNC display number.'),
  k('vncunused', 'boolean', 'Graphics and input', 'Find an unused VNC port.'),
  k('vncviewer', 'boolean', 'Graphics and input', 'Ignored; use xl create -V.', { deprecated: 'use xl create -V' }),
  k('sdl', 'boolean', 'Graphics and input', 'Enable an SDL window.'),
  k('opengl', 'boolean', 'Graphics and input', 'Use OpenGL for SDL.'),
  k('display', 'string', 'Graphics and input', 'X display for SDL.'),
  k('xauthority', 'string', 'Graphics and input', 'Xauthority file for SDL.'),
  k('keymap', 'string', 'Graphics and input', 'Keyboard layout for VNC, e.g. "de".'),
  // HVM
  k('firmware_override', 'string', 'HVM', 'Custom HVM firmware file instead of hvmloader.', HVM),
  k('bios_path_override', 'string', 'HVM', 'Custom BIOS image loaded by hvmloader.', HVM),
  k('bios', 'string', 'HVM', 'BIOS: rombios, seabios or ovmf.', HVM),
  k('pae', 'boolean', 'HVM', 'Expose PAE.', HVM),
  k('apic', 'boolean', 'HVM', 'Expose an APIC.', HVM),
  k('acpi_s3', 'boolean', 'HVM', 'Expose ACPI S3 (suspend to RAM).', HVM),
  k('acpi_s4', 'boolean', 'HVM', 'Expose ACPI S4 (suspend to disk).', HVM),
  k('acpi_laptop_slate', 'boolean', 'HVM', 'Expose a laptop/slate mode switch.', HVM),
  k('nx', 'boolean', 'HVM', 'Expose the NX bit.', HVM),
  k('hpet', 'boolean', 'HVM', 'Expose an HPET.', HVM),
  k('vpt_align', 'boolean', 'HVM', 'Align virtual periodic timers.', HVM),
  k('hvm_pirq', 'boolean', 'HVM', 'Let the HVM guest route interrupts to event channels.', { since: '4.20', ...HVM }),
  k('viridian', 'boolean', 'HVM', 'Hyper-V enlightenments: 0/1, or a list of groups ("defaults", "all", "!name", ...).', HVM),
  k('mmio_hole', 'number', 'HVM', 'Size of the MMIO hole below 4GiB, in MiB (256 to 3840).', HVM),
  k('altp2mhvm', 'boolean', 'HVM', 'Old altp2m switch.', { ...HVM, deprecated: 'use altp2m' }),
  k('smbios_firmware', 'string', 'HVM', 'File of SMBIOS structures to add.', HVM),
  k('smbios', 'list', 'HVM', 'SMBIOS strings: "bios_vendor=...", "oem=...", ...', { since: '4.20', ...HVM }),
  k('acpi_firmware', 'string', 'HVM', 'File of ACPI tables to add.', HVM),
  k('ms_vm_genid', 'string', 'HVM', '"generate" gives the guest a random VM generation ID; "none" does not.', HVM),
  k('mca_caps', 'list', 'HVM', 'Machine check capabilities, e.g. ["lmce"].', HVM),
  k('timer_mode', 'number or string', 'HVM', 'Timer mode: delay_for_missed_ticks, no_delay_for_missed_ticks, no_missed_ticks_pending or one_missed_tick_pending.'),
  k('nestedhvm', 'boolean', 'HVM', 'Allow the guest to run its own hypervisor.'),
  k('hap', 'boolean', 'HVM', 'Use hardware assisted paging.'),
  k('oos', 'boolean', 'HVM', 'Out of sync shadow page tables.'),
  k('vga', 'string', 'HVM', 'Emulated graphics card: stdvga, cirrus, none or qxl.', HVM),
  k('stdvga', 'boolean', 'HVM', 'Old switch between stdvga (1) and cirrus (0).', { ...HVM, deprecated: 'use vga' }),
  k('hdtype', 'string', 'HVM', 'Emulated disk controller: ide or ahci.', HVM),
  k('spice', 'boolean', 'HVM', 'Enable SPICE.', HVM),
  k('spiceport', 'number', 'HVM', 'SPICE port.', HVM),
  k('spicetls_port', 'number', 'HVM', 'SPICE TLS port.', HVM),
  k('spicehost', 'string', 'HVM', 'Address SPICE listens on.', HVM),
  k('spicedisable_ticketing', 'boolean', 'HVM', 'Allow SPICE clients without a password.', HVM),
  k('spicepasswd', 'string', 'HVM', 'SPICE password.', HVM),
  k('spiceagent_mouse', 'boolean', 'HVM', 'SPICE agent mouse mode.', HVM),
  k('spicevdagent', 'boolean', 'HVM', 'Enable the SPICE vdagent channel.', HVM),
  k('spice_clipboard_sharing', 'boolean', 'HVM', 'Share the clipboard over SPICE.', HVM),
  k('spiceusbredirection', 'number', 'HVM', 'Number of SPICE USB redirection channels.', HVM),
  k('spice_image_compression', 'string', 'HVM', 'SPICE image compression.', HVM),
  k('spice_streaming_video', 'string', 'HVM', 'SPICE video streaming.', HVM),
  k('nographic', 'boolean', 'HVM', 'No emulated graphics.', HVM),
  k('gfx_passthru', 'number or string', 'HVM', 'Graphics passthrough: 0/1 or a kind ("igd").', HVM),
  k('serial', 'string or list', 'HVM', 'Emulated serial ports, e.g. "pty" or ["pty", "file:/tmp/s"].', HVM),
  k('boot', 'string', 'HVM', 'Boot order: c (disk), d (cdrom), n (network), e.g. "dc".', HVM),
  k('usb', 'boolean', 'HVM', 'Emulated USB controller.', HVM),
  k('usbversion', 'number', 'HVM', 'Emulated USB version (1, 2 or 3).', HVM),
  k('usbdevice', 'string or list', 'HVM', 'Emulated USB devices, e.g. "tablet".', HVM),
  k('vkb_device', 'boolean', 'HVM', 'Add a PV keyboard/pointer to the HVM guest.', HVM),
  k('soundhw', 'string', 'HVM', 'Emulated sound card, e.g. "hda".', HVM),
  k('xen_platform_pci', 'boolean', 'HVM', 'Expose the Xen platform PCI device (needed for PV drivers).', HVM),
  k('vendor_device', 'string', 'HVM', 'Vendor device: none or xenserver.', HVM),
  // Device model
  k('device_model', 'string', 'Device model', 'Ignored (xm style); use device_model_override.', { deprecated: 'use device_model_override' }),
  k('device_model_override', 'string', 'Device model', 'Path of the device model binary.'),
  k('device_model_version', 'string', 'Device model', 'qemu-xen or qemu-xen-traditional.'),
  k('device_model_stubdomain_override', 'boolean', 'Device model', 'Run the device model in a stub domain.'),
  k('device_model_stubdomain_seclabel', 'string', 'Security', 'Security label of the stub domain.'),
  k('device_model_user', 'string', 'Device model', 'User to run the device model as.'),
  k('device_model_args', 'list', 'Device model', 'Extra device model arguments.'),
  k('device_model_args_pv', 'list', 'Device model', 'Extra device model arguments for PV guests.'),
  k('device_model_args_hvm', 'list', 'Device model', 'Extra device model arguments for HVM guests.'),
  k('stubdomain_kernel', 'string', 'Device model', 'Stub domain kernel.'),
  k('stubdomain_cmdline', 'string', 'Device model', 'Stub domain command line.'),
  k('stubdomain_ramdisk', 'string', 'Device model', 'Stub domain ramdisk.'),
  k('stubdomain_memory', 'number', 'Device model', 'Stub domain memory, in MiB.'),
  k('dm_restrict', 'boolean', 'Device model', 'Run the device model deprivileged.'),
  // Arm
  k('gic_version', 'string', 'Arm', 'GIC version: v2 or v3.'),
  k('vuart', 'string', 'Arm', 'Virtual UART: sbsa_uart.'),
  k('tee', 'string', 'Arm', 'TEE mediator: none, optee (4.20: ffa).'),
  k('sve', 'string', 'Arm', 'SVE vector length: hw, disabled, or a multiple of 128 up to 2048.', { since: '4.20' }),
  k('nr_spis', 'number', 'Arm', 'Number of SPIs for the guest.', { since: '4.20' }),
  k('llc_colors', 'list', 'CPU and memory', 'LLC colours: "N" or "N-M" items.', { since: '4.20' }),
];

const byName = new Map(KEYS.map((d) => [d.name, d]));

export function keysFor(version: XenVersion): KeyDef[] {
  return KEYS.filter((d) => versionIncludes(version, d.since) && d.name !== 'claim_mode');
}

export function lookupKey(name: string): KeyDef | undefined {
  return byName.get(name);
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The known key closest to `name`, when it is close enough to be a typo. */
export function nearestKey(name: string, version: XenVersion): string | undefined {
  let best: { name: string; dist: number } | undefined;
  for (const d of keysFor(version)) {
    const dist = levenshtein(name, d.name);
    if (!best || dist < best.dist) best = { name: d.name, dist };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(name.length, best.name.length) / 3));
  return best.dist <= limit ? best.name : undefined;
}

/** xm settings that xl never reads, with what to do instead. */
export const XM_ONLY_KEYS: Readonly<Record<string, string>> = {
  nics: 'xl creates one interface per vif = [...] entry',
  cpu: 'use cpus = "N" to pin vCPUs',
  restart: 'use on_poweroff / on_reboot / on_crash',
  vscsi: 'xl has no vscsi; use disk or pci passthrough',
  bootargs: 'use bootloader_args',
  vncconsole: 'use xl create -V',
  ne2000: 'use vif = [ "model=ne2k_pci" ]',
  ip: 'put the address in the kernel command line (extra = "ip=...") or in vif = [ "ip=..." ]',
  netmask: 'put it in the kernel command line (extra = "ip=...")',
  gateway: 'put it in the kernel command line (extra = "ip=...")',
  hostname: 'put it in the kernel command line (extra = "ip=...")',
  dhcp: 'put it in the kernel command line (extra = "ip=dhcp")',
  cpu_cap: 'use cap',
  guest_os_type: 'xl does not use it',
  on_xend_start: 'xl has no xend; use a boot script or xendomains',
  on_xend_stop: 'xl has no xend; use xendomains',
  ssidref: 'use seclabel',
};

/** Warns about keys xl does not read (it ignores them silently). */
export function checkUnknownKeys(parsed: ParsedConfig, report: Reporter, version: XenVersion, guestType?: string): void {
  const known = new Set(keysFor(version).map((d) => d.name));
  const seen = new Set<string>();
  for (const s of parsed.settings) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    const def = byName.get(s.name);
    if (known.has(s.name)) {
      if (def?.only && guestType && !def.only.includes(guestType as 'pv')) {
        report.warn(`\`${s.name}' only applies to ${def.only.join('/')} guests; ignored for this ${guestType} guest`, s.keyLoc, { key: s.name });
      }
      continue;
    }
    let msg: string;
    if (s.name in XM_ONLY_KEYS) msg = `\`${s.name}' is an xm setting that xl does not read; ignored (${XM_ONLY_KEYS[s.name]})`;
    else if (def?.since) msg = `\`${s.name}' is only read by xl ${def.since} and later; ignored`;
    else if (s.name === 'claim_mode') msg = '`claim_mode\' is an xl.conf setting, not a domain setting; ignored';
    else {
      const near = nearestKey(s.name, version);
      msg = `unknown key \`${s.name}' ignored` + (near ? ` (did you mean \`${near}'?)` : '');
    }
    report.warn(msg, s.keyLoc, { key: s.name });
  }
}
