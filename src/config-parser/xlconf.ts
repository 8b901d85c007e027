// /etc/xen/xl.conf, read with the same grammar (xl.c parse_global_config):
// the settings that change what `xl create` puts in a domain config.

import { CfgReader } from './access.js';
import { Reporter, type Diagnostic } from './errors.js';
import { parseConfigText } from './parser.js';
import type { XenVersion } from './model/dsl.js';
import type { XlGlobals } from './build.js';

export interface XlConf extends XlGlobals {
  autoballoon?: 'on' | 'off' | 'auto';
  lockfile?: string;
  outputFormat?: 'json' | 'sxp';
  domidPolicy?: 'xen' | 'random';
}

const KNOWN = new Set([
  'autoballoon', 'run_hotplug_scripts', 'lockfile', 'vifscript', 'vif.default.script', 'defaultbridge',
  'vif.default.bridge', 'vif.default.gatewaydev', 'vif.default.backend', 'output_format', 'blkdev_start',
  'claim_mode', 'remus.default.netbufscript', 'colo.default.proxyscript', 'max_grant_frames',
  'max_maptrack_frames', 'max_grant_version', 'vm.cpumask', 'vm.hvm.cpumask', 'vm.pv.cpumask',
  'domid_policy', 'bootloader_restrict',
]);

export function parseXlConf(text: string, source = '/etc/xen/xl.conf', version: XenVersion = '4.17'): { conf: XlConf; warnings: Diagnostic[] } {
  const parsed = parseConfigText(text, source);
  const report = new Reporter(source);
  const cfg = new CfgReader(parsed, report);
  const conf: XlConf = {};
  const ab = cfg.str('autoballoon');
  if (ab !== undefined) {
    if (ab === 'on' || ab === '1') conf.autoballoon = 'on';
    else if (ab === 'off' || ab === '0') conf.autoballoon = 'off';
    else if (ab === 'auto') conf.autoballoon = 'auto';
    else report.warn('invalid autoballoon option (on, off or auto)', parsed.get('autoballoon')?.value.loc);
  }
  const rhs = cfg.long('run_hotplug_scripts'); if (rhs !== undefined) conf.runHotplugScripts = rhs !== 0n;
  conf.lockfile = cfg.str('lockfile');
  for (const [old, key] of [['vifscript', 'vif.default.script'], ['defaultbridge', 'vif.default.bridge']] as const) {
    const o = cfg.str(old);
    if (o !== undefined) report.warn(`the global config option ${old} is deprecated, please switch to ${key}`, parsed.get(old)?.keyLoc);
    const v = cfg.str(key) ?? o;
    if (v !== undefined) { if (old === 'vifscript') conf.vifScript = v; else conf.bridge = v; }
  }
  conf.gatewaydev = cfg.str('vif.default.gatewaydev');
  conf.vifBackend = cfg.str('vif.default.backend');
  const of = cfg.str('output_format');
  if (of === 'json' || of === 'sxp') conf.outputFormat = of;
  else if (of !== undefined) report.warn(`invalid default output format "${of}"`, parsed.get('output_format')?.value.loc);
  conf.blkdevStart = cfg.str('blkdev_start');
  const cm = cfg.long('claim_mode'); if (cm !== undefined) conf.claimMode = cm !== 0n;
  for (const [key, f] of [['max_grant_frames', 'maxGrantFrames'], ['max_maptrack_frames', 'maxMaptrackFrames'], ['max_grant_version', 'maxGrantVersion']] as const) {
    const r = cfg.getLong(key, true, 0n, 2147483647n);
    if (r.ok) conf[f] = Number(r.value);
    else if (r.err !== 'ESRCH') report.fail(`invalid value for ${key} (0 to 2147483647)`, parsed.get(key)?.value.loc, { key });
  }
  conf.vmCpumask = cfg.str('vm.cpumask');
  conf.hvmCpumask = cfg.str('vm.hvm.cpumask');
  conf.pvCpumask = cfg.str('vm.pv.cpumask');
  const dp = cfg.str('domid_policy');
  if (dp === 'xen' || dp === 'random') conf.domidPolicy = dp;
  else if (dp !== undefined) report.warn('invalid domid_policy option (xen or random)', parsed.get('domid_policy')?.value.loc);
  if (version === '4.20') { const br = cfg.defbool('bootloader_restrict'); if (br !== undefined) conf.bootloaderRestrict = br; }
  for (const s of parsed.settings) {
    if (!KNOWN.has(s.name)) report.warn(`unknown xl.conf setting \`${s.name}' ignored`, s.keyLoc, { key: s.name });
  }
  for (const k of Object.keys(conf) as (keyof XlConf)[]) if (conf[k] === undefined) delete conf[k];
  return { conf, warnings: report.diagnostics };
}
