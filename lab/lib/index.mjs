// What test harnesses use of the lab: versions, build, start/stop, and a client for commands in dom0.
export { LAB_VERSIONS, labVersion } from './versions.mjs';
export { build, isBuilt, labPaths } from './build.mjs';
export { start, stop, status, consoleTail, runDir } from './machine.mjs';
export { LabClient } from './client.mjs';
export { LabError } from './util.mjs';
export { OUR_XL, OUR_XL_PREFIX, installOurXl } from './install.mjs';
