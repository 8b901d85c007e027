// Runs main() in-process and records what it writes and its exit status.
import { vi } from 'vitest';
import { main, report, type MainOptions } from '../../../src/cli/main.js';

export interface Run {
  stdout: string;
  stderr: string;
  status: number;
}

export async function runMain(args: string[], opts: MainOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  let status: number;
  try {
    status = await main(['xl', ...args], opts);
  } catch (err) {
    status = report(err);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout, stderr, status };
}
