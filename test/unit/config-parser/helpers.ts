// Shared helpers for the config-parser tests.
import {
  buildDomainConfig, domain_config, genStruct, parseConfigText, renderJson, toPlain,
  type BuildOptions, type XenVersion,
} from '../../../src/config-parser/index.js';

export const FIXED_UUID = '5d2a4c3e-1b2f-4a6d-9e8f-0123456789ab';

/** Builds a config from text; returns the model, plain JSON view and warnings. */
export function build(text: string, opts: BuildOptions = {}) {
  const parsed = parseConfigText(text, 'test.cfg');
  const res = buildDomainConfig(parsed, { generateUuid: () => FIXED_UUID, ...opts });
  const version: XenVersion = opts.xenVersion ?? '4.17';
  const node = genStruct(domain_config, res.config as unknown as Record<string, unknown>, version);
  return { ...res, json: renderJson(node), plain: toPlain(node) as Record<string, any> };
}

export const PV = 'name = "t"\nkernel = "/k"\n';
export const HVM = 'name = "t"\ntype = "hvm"\n';
