// device-hotplug: Xen's hotplug scripts. Owns the three calling conventions
// libxl uses (Linux: action word and XENBUS_* environment; NetBSD: backend
// path and xenbus state; FreeBSD: backend path, action and iface_dev) and
// running a script with libxl's stdin, timeout and SIGKILL. It knows nothing
// of xenstore: callers read the backend nodes and pass them in. Imports
// nothing from src/libxl or src/cli.
//
//   const runs = hotplugRuns(hostOs() ?? 'linux', dev, 'remove');
//   for (const run of runs) {
//     const out = await runHotplug(run, { timeoutMs: HOTPLUG_TIMEOUT_MS });
//     if (out.status !== 0) warn(hotplugFailure(run, out, hotplugErrorNode));
//   }
export {
  hotplugRuns, hostOs, usesHotplugScript,
  type HotplugOs, type HotplugAction, type HotplugDevice, type HotplugRun,
} from './conventions.js';
export {
  runHotplug, hotplugFailure, HOTPLUG_TIMEOUT_MS,
  type HotplugOutcome, type RunHotplugOptions,
} from './run.js';
