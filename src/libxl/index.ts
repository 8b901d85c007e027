// libxl: the library API the CLI calls (domain lifecycle, devices, host
// info). It sits between src/cli and the lower layers (privcmd,
// xenstore-client, config-parser, domain-builder, device-hotplug) and never
// imports src/cli. Grouped by concern: domain/ (lifecycle: create, destroy,
// control, shutdown, the shared monitor, console), devices/, device-model/
// (QEMU, QMP, the HVM commands), host/ (host info, vcpus); what they all use
// (context, errors, paths, xenstore helpers) stays here.
//
// Import modules directly (e.g. './errors.js') where load time matters: this
// barrel may grow heavy imports.
export { XlError } from './errors.js';
export {
  openContext, privcmdOpenError, xenstoreOpenError, CTX_FAIL,
  type LibxlContext, type ContextOptions,
} from './context.js';
export {
  listDomainInfo, domainInfo, domainName, nameToDomid, qualifierToDomid, resolveDomain, strtoulDomid,
  toDominfo, xsReadOrNull, InvalidDomainError, LIBXL_ERROR,
  type Dominfo,
} from './domain/domains.js';
export { pauseDomain, unpauseDomain, renameDomain } from './domain/domain-control.js';
export { destroyDomain, parseBackendPath, type DestroyOptions, type HotplugRun } from './domain/destroy.js';
export { listDetails, retrieveConfig, schedParams, parseJNode, type DetailsOptions, type SchedParams } from './domain/domain-config.js';
export { qmpExecute, qmpSocketPath } from './device-model/qmp.js';
export { LibxlError, domainType, xsRead, xsDirectory, xsRm, xsPathCleanup, type DomainType } from './xs-util.js';
export { XEN_LIB_DIR, XEN_RUN_DIR } from './paths.js';
