// The domain configuration types, transcribed from libxl_types.idl
// (Xen 4.17 and 4.20; `since` marks what 4.20 added). Field order is the
// IDL's: it is the order of the `xl create -n` JSON. Only the types
// reachable from libxl_domain_config are here.

import {
  array, bitmap, bool, cpuid_policy_list, defbool, devid, domid, enumeration, field, integer,
  key_value_list, keyedUnion, mac, MemKB, ms_vm_genid, string, string_list, struct,
  uint8, uint32, uint64, uuid, type TsOf,
} from './dsl.js';

const v420 = { since: '4.20' } as const;

// ---- enumerations -----------------------------------------------------------

export const domain_type = enumeration('domain_type', [[-1, 'INVALID'], [1, 'HVM'], [2, 'PV'], [3, 'PVH']], 'invalid');
export const rdm_reserve_strategy = enumeration('rdm_reserve_strategy', [[0, 'ignore'], [1, 'host']]);
export const rdm_reserve_policy = enumeration('rdm_reserve_policy', [[-1, 'invalid'], [0, 'strict'], [1, 'relaxed']], 'invalid');
export const channel_connection = enumeration('channel_connection', [[0, 'UNKNOWN'], [1, 'PTY'], [2, 'SOCKET']]);
export const device_model_version = enumeration('device_model_version', [[0, 'UNKNOWN'], [1, 'QEMU_XEN_TRADITIONAL'], [2, 'QEMU_XEN']]);
export const disk_format = enumeration('disk_format', [[0, 'UNKNOWN'], [1, 'QCOW'], [2, 'QCOW2'], [3, 'VHD'], [4, 'RAW'], [5, 'EMPTY'], [6, 'QED']]);
export const disk_backend = enumeration('disk_backend', [[0, 'UNKNOWN'], [1, 'PHY'], [2, 'TAP'], [3, 'QDISK'], [4, 'STANDALONE']]);
export const disk_specification = enumeration('disk_specification', [[0, 'UNKNOWN'], [1, 'XEN'], [2, 'VIRTIO']]);
export const disk_transport = enumeration('disk_transport', [[0, 'UNKNOWN'], [1, 'MMIO']]);
export const nic_type = enumeration('nic_type', [[0, 'UNKNOWN'], [1, 'VIF_IOEMU'], [2, 'VIF']]);
export const p9_type = enumeration('p9_type', [[0, 'unknown'], [1, 'qemu'], [2, 'xen_9pfsd']]);
export const virtio_transport = enumeration('virtio_transport', [[0, 'UNKNOWN'], [1, 'MMIO']]);
export const action_on_shutdown = enumeration('action_on_shutdown', [
  [1, 'DESTROY'], [2, 'RESTART'], [3, 'RESTART_RENAME'], [4, 'PRESERVE'],
  [5, 'COREDUMP_DESTROY'], [6, 'COREDUMP_RESTART'], [7, 'SOFT_RESET'],
], 'destroy');
export const tsc_mode = enumeration('tsc_mode', [[0, 'default'], [1, 'always_emulate'], [2, 'native'], [3, 'native_paravirt']]);
export const gfx_passthru_kind = enumeration('gfx_passthru_kind', [[0, 'default'], [1, 'igd']]);
export const timer_mode = enumeration('timer_mode', [
  [-1, 'unknown'], [0, 'delay_for_missed_ticks'], [1, 'no_delay_for_missed_ticks'],
  [2, 'no_missed_ticks_pending'], [3, 'one_missed_tick_pending'],
], 'unknown');
export const bios_type = enumeration('bios_type', [[0, 'unknown'], [1, 'rombios'], [2, 'seabios'], [3, 'ovmf']]);
export const scheduler = enumeration('scheduler', [[0, 'unknown'], [4, 'sedf'], [5, 'credit'], [6, 'credit2'], [7, 'arinc653'], [8, 'rtds'], [9, 'null']]);
export const vga_interface_type = enumeration('vga_interface_type', [[0, 'UNKNOWN'], [1, 'CIRRUS'], [2, 'STD'], [3, 'NONE'], [4, 'QXL']], 'unknown');
export const vendor_device = enumeration('vendor_device', [[0, 'NONE'], [1, 'XENSERVER']]);
export const viridian_enlightenment = enumeration('viridian_enlightenment', [
  [0, 'base'], [1, 'freq'], [2, 'time_ref_count'], [3, 'reference_tsc'], [4, 'hcall_remote_tlb_flush'],
  [5, 'apic_assist'], [6, 'crash_ctl'], [7, 'synic'], [8, 'stimer'], [9, 'hcall_ipi'],
  [10, 'ex_processor_masks'], [11, 'no_vp_limit'], [12, 'cpu_hotplug'],
]);
export const hdtype = enumeration('hdtype', [[1, 'IDE'], [2, 'AHCI']], 'ide');
export const vuart_type = enumeration('vuart_type', [[0, 'unknown'], [1, 'sbsa_uart']]);
export const vkb_backend = enumeration('vkb_backend', [[0, 'UNKNOWN'], [1, 'QEMU'], [2, 'LINUX']]);
export const passthrough = enumeration('passthrough', [[0, 'default'], [1, 'disabled'], [2, 'enabled'], [3, 'sync_pt'], [4, 'share_pt']]);
export const gic_version = enumeration('gic_version', [[0, 'DEFAULT'], [0x20, 'v2'], [0x30, 'v3']], 'default');
export const tee_type = enumeration('tee_type', [[0, 'none'], [1, 'optee'], [2, 'ffa', v420]], 'none');
export const sve_type = enumeration('sve_type', [
  [-1, 'hw'], [0, 'disabled'], [128, '128'], [256, '256'], [384, '384'], [512, '512'], [640, '640'],
  [768, '768'], [896, '896'], [1024, '1024'], [1152, '1152'], [1280, '1280'], [1408, '1408'],
  [1536, '1536'], [1664, '1664'], [1792, '1792'], [1920, '1920'], [2048, '2048'],
], 'disabled');
export const altp2m_mode = enumeration('altp2m_mode', [[0, 'disabled'], [1, 'mixed'], [2, 'external'], [3, 'limited']], 'disabled');
export const smbios_type = enumeration('smbios_type', [
  [1, 'bios_vendor'], [2, 'bios_version'], [3, 'system_manufacturer'], [4, 'system_product_name'],
  [5, 'system_version'], [6, 'system_serial_number'], [7, 'baseboard_manufacturer'],
  [8, 'baseboard_product_name'], [9, 'baseboard_version'], [10, 'baseboard_serial_number'],
  [11, 'baseboard_asset_tag'], [12, 'baseboard_location_in_chassis'], [13, 'enclosure_manufacturer'],
  [14, 'enclosure_serial_number'], [15, 'enclosure_asset_tag'], [16, 'battery_manufacturer'],
  [17, 'battery_device_name'], [18, 'oem'],
]);
export const usbctrl_type = enumeration('usbctrl_type', [[0, 'AUTO'], [1, 'PV'], [2, 'DEVICEMODEL'], [3, 'QUSB']]);
export const usbdev_type = enumeration('usbdev_type', [[1, 'hostdev']]);
export const vsnd_pcm_format = enumeration('vsnd_pcm_format', [
  [1, 'S8'], [2, 'U8'], [3, 'S16_LE'], [4, 'S16_BE'], [5, 'U16_LE'], [6, 'U16_BE'], [7, 'S24_LE'],
  [8, 'S24_BE'], [9, 'U24_LE'], [10, 'U24_BE'], [11, 'S32_LE'], [12, 'S32_BE'], [13, 'U32_LE'],
  [14, 'U32_BE'], [15, 'F32_LE'], [16, 'F32_BE'], [17, 'F64_LE'], [18, 'F64_BE'],
  [19, 'IEC958_SUBFRAME_LE'], [20, 'IEC958_SUBFRAME_BE'], [21, 'MU_LAW'], [22, 'A_LAW'],
  [23, 'IMA_ADPCM'], [24, 'MPEG'], [25, 'GSM'],
]);
export const vsnd_stream_type = enumeration('vsnd_stream_type', [[1, 'P'], [2, 'C']]);

// libxl.h constants used as init values
export const LIBXL_INVALID_GFN = (1n << 64n) - 1n;
export const LIBXL_MAX_GRANT_DEFAULT_U32 = 0xffffffff;
/** (int)LIBXL_MAX_GRANT_DEFAULT, as stored in an `integer` field. */
export const LIBXL_MAX_GRANT_DEFAULT_INT = -1;
export const SCHED_PARAM_DEFAULT = -1;
export const LIBXL_PCI_FUNC_ALL = 0xffffffff;

// ---- structures -------------------------------------------------------------

export const ioport_range = struct('ioport_range', { first: uint32, number: uint32 });
export const iomem_range = struct('iomem_range', {
  start: uint64, number: uint64, gfn: field(uint64, { init: LIBXL_INVALID_GFN }),
});
export const vga_interface_info = struct('vga_interface_info', { kind: vga_interface_type });
export const vnc_info = struct('vnc_info', {
  enable: defbool, listen: string, passwd: string, display: integer, findunused: defbool,
});
export const spice_info = struct('spice_info', {
  enable: defbool, port: integer, tls_port: integer, host: string, disable_ticketing: defbool,
  passwd: string, agent_mouse: defbool, vdagent: defbool, clipboard_sharing: defbool,
  usbredirection: integer, image_compression: string, streaming_video: string,
});
export const sdl_info = struct('sdl_info', { enable: defbool, opengl: defbool, display: string, xauthority: string });

export const domain_create_info = struct('domain_create_info', {
  type: domain_type, hap: defbool, oos: defbool, ssidref: uint32, ssid_label: string, name: string,
  domid: domid, uuid: uuid, xsdata: key_value_list, platformdata: key_value_list, poolid: uint32,
  pool_name: string, run_hotplug_scripts: defbool, driver_domain: defbool, passthrough: passthrough,
  xend_suspend_evtchn_compat: defbool,
});

const schedDefault = { init: SCHED_PARAM_DEFAULT } as const;
export const domain_sched_params = struct('domain_sched_params', {
  sched: scheduler,
  weight: field(integer, schedDefault), cap: field(integer, schedDefault), period: field(integer, schedDefault),
  budget: field(integer, schedDefault), extratime: field(integer, schedDefault),
  slice: field(integer, schedDefault), latency: field(integer, schedDefault),
});

export const vnode_info = struct('vnode_info', {
  memkb: MemKB, distances: array(uint32), pnode: uint32, vcpus: bitmap,
});
export const rdm_reserve = struct('rdm_reserve', { strategy: rdm_reserve_strategy, policy: rdm_reserve_policy });
export const smbios = struct('smbios', { key: smbios_type, value: string });

export const build_info_hvm = struct('domain_build_info.u.hvm', {
  firmware: string, bios: bios_type, pae: defbool, apic: defbool, acpi: defbool, acpi_s3: defbool,
  acpi_s4: defbool, acpi_laptop_slate: defbool, nx: defbool, viridian: defbool,
  viridian_enable: bitmap, viridian_disable: bitmap, timeoffset: string, hpet: defbool,
  vpt_align: defbool, mmio_hole_memkb: MemKB, timer_mode: timer_mode, nested_hvm: defbool,
  altp2m: defbool, system_firmware: string, smbios_firmware: string,
  smbios: field(array(smbios), v420),
  acpi_firmware: string, hdtype: hdtype, nographic: defbool, vga: vga_interface_info, vnc: vnc_info,
  keymap: string, sdl: sdl_info, spice: spice_info, gfx_passthru: defbool,
  gfx_passthru_kind: gfx_passthru_kind, serial: string, boot: string, usb: defbool,
  usbversion: integer, usbdevice: string, vkb_device: defbool, soundhw: string,
  xen_platform_pci: defbool, usbdevice_list: string_list, vendor_device: vendor_device,
  ms_vm_genid: ms_vm_genid, serial_list: string_list, rdm: rdm_reserve,
  rdm_mem_boundary_memkb: MemKB, mca_caps: uint64,
  pirq: field(defbool, v420),
});
export const build_info_pv = struct('domain_build_info.u.pv', {
  kernel: string, slack_memkb: MemKB, bootloader: string, bootloader_args: string_list,
  cmdline: string, ramdisk: string, features: field(string, { const: true }), e820_host: defbool,
});
export const build_info_pvh = struct('domain_build_info.u.pvh', {
  pvshim: defbool, pvshim_path: string, pvshim_cmdline: string, pvshim_extra: string,
});

export const domain_build_info = struct('domain_build_info', {
  max_vcpus: integer, avail_vcpus: bitmap, cpumap: bitmap, nodemap: bitmap,
  vcpu_hard_affinity: array(bitmap), vcpu_soft_affinity: array(bitmap),
  numa_placement: defbool, tsc_mode: tsc_mode, max_memkb: MemKB, target_memkb: MemKB,
  video_memkb: MemKB, shadow_memkb: MemKB, iommu_memkb: MemKB, rtc_timeoffset: uint32,
  exec_ssidref: uint32, exec_ssid_label: string, localtime: defbool, disable_migrate: defbool,
  cpuid: cpuid_policy_list, blkdev_start: string, vnuma_nodes: array(vnode_info),
  max_grant_frames: field(uint32, { init: LIBXL_MAX_GRANT_DEFAULT_U32 }),
  max_maptrack_frames: field(uint32, { init: LIBXL_MAX_GRANT_DEFAULT_U32 }),
  max_grant_version: field(integer, { init: LIBXL_MAX_GRANT_DEFAULT_INT }),
  device_model_version: device_model_version, device_model_stubdomain: defbool,
  stubdomain_memkb: MemKB, stubdomain_kernel: string, stubdomain_cmdline: string,
  stubdomain_ramdisk: string, device_model: string, device_model_ssidref: uint32,
  device_model_ssid_label: string, device_model_user: string,
  extra: string_list, extra_pv: string_list, extra_hvm: string_list,
  sched_params: domain_sched_params,
  ioports: array(ioport_range), irqs: array(uint32), iomem: array(iomem_range),
  llc_colors: field(array(uint32), v420),
  claim_mode: defbool, event_channels: uint32, kernel: string, cmdline: string, ramdisk: string,
  device_tree: string, acpi: defbool, bootloader: string, bootloader_args: string_list,
  bootloader_restrict: field(defbool, v420), bootloader_user: field(string, v420),
  timer_mode: timer_mode, nested_hvm: defbool, apic: defbool, dm_restrict: defbool, tee: tee_type,
  u: keyedUnion('type', domain_type, {
    hvm: build_info_hvm, pv: build_info_pv, pvh: build_info_pvh, invalid: null,
  }, 'invalid'),
  arch_arm: struct('domain_build_info.arch_arm', {
    gic_version: gic_version, vuart: vuart_type,
    sve_vl: field(sve_type, v420), nr_spis: field(uint32, v420),
  }),
  arch_x86: struct('domain_build_info.arch_x86', { msr_relaxed: defbool }),
  altp2m: altp2m_mode, vmtrace_buf_kb: integer, vpmu: defbool,
});

export const device_vfb = struct('device_vfb', {
  backend_domid: domid, backend_domname: string, devid: devid, vnc: vnc_info, sdl: sdl_info, keymap: string,
});
export const device_vkb = struct('device_vkb', {
  backend_domid: domid, backend_domname: string, devid: devid, backend_type: vkb_backend,
  unique_id: string, feature_disable_keyboard: bool, feature_disable_pointer: bool,
  feature_abs_pointer: bool, feature_raw_pointer: bool, feature_multi_touch: bool,
  width: uint32, height: uint32, multi_touch_width: uint32, multi_touch_height: uint32,
  multi_touch_num_contacts: uint32,
});
export const device_virtio = struct('device_virtio', {
  backend_domid: domid, backend_domname: string, type: string, transport: virtio_transport,
  grant_usage: defbool, devid: devid, irq: uint32, base: uint64,
});
export const device_disk = struct('device_disk', {
  backend_domid: domid, backend_domname: string, pdev_path: string, vdev: string,
  backend: disk_backend, format: disk_format, script: string, removable: integer,
  readwrite: integer, is_cdrom: integer, direct_io_safe: bool, discard_enable: defbool,
  specification: disk_specification, transport: disk_transport, irq: uint32, base: uint64,
  colo_enable: defbool, colo_restore_enable: defbool, colo_host: string, colo_port: integer,
  colo_export: string, active_disk: string, hidden_disk: string, trusted: defbool,
  grant_usage: field(defbool, v420),
});

const COLO_NIC_FIELDS = [
  'coloft_forwarddev', 'colo_sock_mirror_id', 'colo_sock_mirror_ip', 'colo_sock_mirror_port',
  'colo_sock_compare_pri_in_id', 'colo_sock_compare_pri_in_ip', 'colo_sock_compare_pri_in_port',
  'colo_sock_compare_sec_in_id', 'colo_sock_compare_sec_in_ip', 'colo_sock_compare_sec_in_port',
  'colo_sock_compare_notify_id', 'colo_sock_compare_notify_ip', 'colo_sock_compare_notify_port',
  'colo_sock_redirector0_id', 'colo_sock_redirector0_ip', 'colo_sock_redirector0_port',
  'colo_sock_redirector1_id', 'colo_sock_redirector1_ip', 'colo_sock_redirector1_port',
  'colo_sock_redirector2_id', 'colo_sock_redirector2_ip', 'colo_sock_redirector2_port',
  'colo_filter_mirror_queue', 'colo_filter_mirror_outdev', 'colo_filter_redirector0_queue',
  'colo_filter_redirector0_indev', 'colo_filter_redirector0_outdev', 'colo_filter_redirector1_queue',
  'colo_filter_redirector1_indev', 'colo_filter_redirector1_outdev', 'colo_compare_pri_in',
  'colo_compare_sec_in', 'colo_compare_out', 'colo_compare_notify_dev',
  'colo_sock_sec_redirector0_id', 'colo_sock_sec_redirector0_ip', 'colo_sock_sec_redirector0_port',
  'colo_sock_sec_redirector1_id', 'colo_sock_sec_redirector1_ip', 'colo_sock_sec_redirector1_port',
  'colo_filter_sec_redirector0_queue', 'colo_filter_sec_redirector0_indev',
  'colo_filter_sec_redirector0_outdev', 'colo_filter_sec_redirector1_queue',
  'colo_filter_sec_redirector1_indev', 'colo_filter_sec_redirector1_outdev',
  'colo_filter_sec_rewriter0_queue', 'colo_checkpoint_host', 'colo_checkpoint_port',
] as const;
/** The nic fields that the vif spec sets by their own name. */
export const NIC_COLO_STRINGS: readonly string[] = COLO_NIC_FIELDS.slice(1);
type ColoFields = { [K in (typeof COLO_NIC_FIELDS)[number]]: typeof string };
const coloFields = Object.fromEntries(COLO_NIC_FIELDS.map((n) => [n, string])) as ColoFields;

export const device_nic = struct('device_nic', {
  backend_domid: domid, backend_domname: string, devid: devid, mtu: integer,
  vlan: field(string, v420),
  model: string, mac: mac, ip: string, bridge: string, ifname: string, script: string,
  nictype: nic_type, rate_bytes_per_interval: uint64, rate_interval_usecs: uint32,
  gatewaydev: string, ...coloFields, trusted: defbool,
});

export const device_pci = struct('device_pci', {
  func: uint8, dev: uint8, bus: uint8, domain: integer, vdevfn: uint32, vfunc_mask: uint32,
  msitranslate: bool, power_mgmt: bool, permissive: bool, seize: bool,
  rdm_policy: rdm_reserve_policy, name: string,
});
export const device_rdm = struct('device_rdm', { start: uint64, size: uint64, policy: rdm_reserve_policy });
export const device_usbctrl = struct('device_usbctrl', {
  type: usbctrl_type, devid: devid, version: integer, ports: integer, backend_domid: domid, backend_domname: string,
});
export const device_usbdev = struct('device_usbdev', {
  ctrl: devid, port: integer,
  u: keyedUnion('type', usbdev_type, { hostdev: struct('device_usbdev.u.hostdev', { hostbus: uint8, hostaddr: uint8 }) }),
});
export const device_dtdev = struct('device_dtdev', { path: string });
export const device_vtpm = struct('device_vtpm', { backend_domid: domid, backend_domname: string, devid: devid, uuid: uuid });
export const device_p9 = struct('device_p9', {
  backend_domid: domid, backend_domname: string, tag: string, path: string, security_model: string,
  devid: devid, type: field(p9_type, v420), max_space: field(integer, v420), max_files: field(integer, v420),
  max_open_files: field(integer, v420), auto_delete: field(bool, v420),
});
export const device_pvcallsif = struct('device_pvcallsif', { backend_domid: domid, backend_domname: string, devid: devid });
export const device_channel = struct('device_channel', {
  backend_domid: domid, backend_domname: string, devid: devid, name: string,
  u: keyedUnion('connection', channel_connection, {
    unknown: null, pty: null, socket: struct('device_channel.u.socket', { path: string }),
  }),
});
export const connector_param = struct('connector_param', { unique_id: string, width: uint32, height: uint32 });
export const device_vdispl = struct('device_vdispl', {
  backend_domid: domid, backend_domname: string, devid: devid, be_alloc: bool, connectors: array(connector_param),
});
export const vsnd_params = struct('vsnd_params', {
  sample_rates: array(uint32), sample_formats: array(vsnd_pcm_format),
  channels_min: uint32, channels_max: uint32, buffer_size: uint32,
});
export const vsnd_stream = struct('vsnd_stream', { unique_id: string, type: vsnd_stream_type, params: vsnd_params });
export const vsnd_pcm = struct('vsnd_pcm', { name: string, params: vsnd_params, streams: array(vsnd_stream) });
export const device_vsnd = struct('device_vsnd', {
  backend_domid: domid, backend_domname: string, devid: devid, short_name: string,
  long_name: string, params: vsnd_params, pcms: array(vsnd_pcm),
});

export const domain_config = struct('domain_config', {
  c_info: domain_create_info, b_info: domain_build_info,
  disks: array(device_disk), nics: array(device_nic), pcidevs: array(device_pci),
  rdms: array(device_rdm), dtdevs: array(device_dtdev), vfbs: array(device_vfb),
  vkbs: array(device_vkb), virtios: field(array(device_virtio), v420),
  vtpms: array(device_vtpm), p9s: array(device_p9), pvcallsifs: array(device_pvcallsif),
  vdispls: array(device_vdispl), vsnds: array(device_vsnd), channels: array(device_channel),
  usbctrls: array(device_usbctrl), usbdevs: array(device_usbdev),
  on_poweroff: action_on_shutdown, on_reboot: action_on_shutdown, on_watchdog: action_on_shutdown,
  on_crash: action_on_shutdown, on_soft_reset: action_on_shutdown,
});

// ---- derived TypeScript types ------------------------------------------------

export type DomainConfig = TsOf<typeof domain_config>;
export type CreateInfo = TsOf<typeof domain_create_info>;
export type BuildInfo = TsOf<typeof domain_build_info>;
export type HvmInfo = TsOf<typeof build_info_hvm>;
export type PvInfo = TsOf<typeof build_info_pv>;
export type PvhInfo = TsOf<typeof build_info_pvh>;
export type DeviceDisk = TsOf<typeof device_disk>;
export type DeviceNic = TsOf<typeof device_nic>;
export type DevicePci = TsOf<typeof device_pci>;
export type DeviceVfb = TsOf<typeof device_vfb>;
export type DeviceVkb = TsOf<typeof device_vkb>;
export type DeviceVtpm = TsOf<typeof device_vtpm>;
export type DeviceP9 = TsOf<typeof device_p9>;
export type DeviceChannel = TsOf<typeof device_channel>;
export type DeviceUsbctrl = TsOf<typeof device_usbctrl>;
export type DeviceUsbdev = TsOf<typeof device_usbdev>;
export type DeviceVdispl = TsOf<typeof device_vdispl>;
export type DeviceVsnd = TsOf<typeof device_vsnd>;
export type DeviceVirtio = TsOf<typeof device_virtio>;
export type VsndParams = TsOf<typeof vsnd_params>;
export type VncInfo = TsOf<typeof vnc_info>;
export type SdlInfo = TsOf<typeof sdl_info>;
export type DomainType = NonNullable<TsOf<typeof domain_type>>;
