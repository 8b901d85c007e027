// libxl_list_vcpu: every vcpu 0..max_vcpu_id of a domain with its state,
// time and hard/soft affinity, plus the cpumap width xl prints them over.
import type { VcpuInfo } from '../../privcmd/info.js';
import type { VcpuAffinity, XenCtrl } from '../../privcmd/xenctrl.js';

export type VcpuXc = Pick<XenCtrl, 'listVcpus' | 'maxCpus'>;

export type LibxlVcpuInfo = VcpuInfo & VcpuAffinity;

/**
 * The domain's vcpus; [] for a domain without any. Throws PrivcmdError
 * (ESRCH) for a domain that does not exist, as libxl fails there.
 */
export function listVcpus(xc: VcpuXc, domid: number): LibxlVcpuInfo[] {
  return xc.listVcpus(domid);
}
