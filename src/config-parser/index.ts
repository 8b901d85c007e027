/**
 * config-parser: xl domain config files, from text to a typed domain config.
 *
 * Owns the libxlu-exact lexer and grammar of xl.cfg (lexer.ts, parser.ts),
 * libxlu's typed accessors (access.ts), the spec-string parsers for disk,
 * vdev numbers, vif, pci, rdm, cpus and cpuid (spec/), the domain-config
 * model kept as an IDL table transcribed from libxl_types.idl, with its
 * derived TS types, init values, the IDL check and `xl create -n` JSON
 * (model/), the table of config keys that documents them and drives
 * unknown-key warnings (keys.ts, man.ts -> man/xl.cfg.5), and the port of
 * xl_parse.c that fills the model (build.ts, load.ts for file + overrides).
 * It imports nothing from src/libxl or src/cli.
 *
 * Entry points: parseConfigText -> buildDomainConfig -> genStruct +
 * renderJson; src/libxl/domain/create-dry-run.ts wraps them as dryRunCreate.
 * Behaviour follows the C xl of Xen 4.17 (default) or 4.20 (XenVersion),
 * each as Debian ships it (4.17 is the 4.17.7 stable release, whose cpuid
 * parsing is 4.20's);
 * the libxlu bugs we fix rather than copy are listed in grammar.test.ts,
 * pci.test.ts and build.test.ts ("a fixed bug" / "kept on purpose").
 */
export * from './errors.js';
export { lex, dequote, type Token, type TokenKind } from './lexer.js';
export { parseConfigText, type ParsedConfig, type Setting, type CfgValue, type Loc } from './parser.js';
export { CfgReader, listItem } from './access.js';
export * from './model/dsl.js';
export * from './model/idl.js';
export * from './model/init.js';
export * from './model/json.js';
export { checkValue, validateDomainConfig, type ModelIssue } from './model/schema.js';
export { applyGlobalAffinityMasks, buildDomainConfig, type BuildOptions, type BuildResult, type XlGlobals } from './build.js';
export { KEYS, keysFor, lookupKey, nearestKey, checkUnknownKeys, type KeyDef, type KeyKind, type Section } from './keys.js';
export {
  assembleConfigText, parseWithOverrides, readConfigFile, relabelDiagnostic, ConfigReadError, COMMAND_LINE_SOURCE,
} from './load.js';
export { parseDiskSpec, DiskSpecParseError } from './spec/disk.js';
export { diskDevNumber, diskDevNumberOf, devnumToVdev, type DiskDevNumber } from './spec/vdev.js';
export { applyVifToken, parseVifRate, VifRateError } from './spec/vif.js';
export { parseBdf, parsePciSpec, parseRdm, PciSpecError } from './spec/pci.js';
export { parseCpuRange, allocCpuBitmap, type HostTopology } from './spec/cpus.js';
export { parseCpuidXend, parseCpuidFlag417 } from './spec/cpuid.js';
export { strtol, strtoul } from './cnum.js';
export { parseXlConf, type XlConf } from './xlconf.js';
