// Directories libxl uses (Debian's and Xen's defaults: XEN_LIB_DIR,
// XEN_RUN_DIR from tools/configure).
export const XEN_LIB_DIR = '/var/lib/xen';
export const XEN_RUN_DIR = '/var/run/xen';

/** libxl__userdata_path for the domain's stored config ("d" userdata, libxl-json). */
export const userdataPath = (domid: number, uuid: string, libDir = XEN_LIB_DIR): string =>
  `${libDir}/userdata-d.${domid}.${uuid}.libxl-json`;
