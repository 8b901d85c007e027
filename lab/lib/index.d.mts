// Types for the lab's JavaScript modules, as the TypeScript test harness uses them.
export interface LabVersion {
  name: string;
  suite: string;
  xenLibDir: string;
  [key: string]: unknown;
}
export const LAB_VERSIONS: Record<string, Omit<LabVersion, 'name'>>;
export function labVersion(name: string): LabVersion;
export function build(ver: LabVersion, opts?: { force?: boolean }): Promise<void>;
export function isBuilt(ver: LabVersion): boolean;
export function labPaths(ver: LabVersion): Record<string, string>;
export function start(ver: LabVersion): Promise<void>;
export function stop(ver: LabVersion): Promise<void>;
export function status(ver: LabVersion): { xen: string; built: boolean; running: boolean; pid: number | null; since: string | null; runDir: string };
export function consoleTail(ver: LabVersion, lines?: number): string;
export function runDir(ver: LabVersion): string;
export interface ExecResult {
  code: number;
  signal: string | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: Buffer;
}
export class LabClient {
  static connect(runDir: string): Promise<LabClient>;
  ping(timeoutMs?: number): Promise<unknown>;
  exec(req: { argv?: string[]; script?: string; timeout?: number; env?: Record<string, string>; cwd?: string; stdin?: string | Buffer }): Promise<ExecResult>;
  close(): void;
}
export class LabError extends Error {}
export const OUR_XL: string;
export const OUR_XL_PREFIX: string;
export function installOurXl(client: LabClient): Promise<string>;
