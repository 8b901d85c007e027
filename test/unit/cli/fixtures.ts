// Loads the outputs recorded from the C xl code (test/fixtures/cli/README.md).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch, Target, XenVersion } from '../../../src/cli/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/cli/', import.meta.url));

export interface HelpFixture {
  list: string;
  commands: Record<string, string>;
}

export interface DispatchCase {
  argv: string[];
  stdout: string;
  stderr: string;
  status: number;
}

/** "help-4.20-x86.json" -> its target. */
export function targetOf(file: string): Target {
  const m = /-(\d+\.\d+)-(x86|arm|other)\.json$/.exec(file);
  if (!m) throw new Error(`fixture name without target: ${file}`);
  return { xen: m[1] as XenVersion, arch: m[2] as Arch, source: 'env' };
}

export function fixtureFiles(prefix: string): string[] {
  return readdirSync(FIXTURES).filter((f) => f.startsWith(prefix) && f.endsWith('.json'));
}

export function readFixture<T>(file: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;
}
