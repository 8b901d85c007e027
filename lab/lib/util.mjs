// Small process and file helpers shared by the lab's host-side modules.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const PROJECT_DIR = path.dirname(LAB_DIR);
// Downloads, images and run state: git-ignored, shared by both versions' labs.
export const STATE_DIR = process.env.XENLAB_STATE_DIR ?? path.join(PROJECT_DIR, '.lab');

export class LabError extends Error {}

export function log(msg) {
  process.stderr.write(`xenlab: ${msg}\n`);
}

/** Run a program (never through a shell); throws LabError with its stderr tail when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw new LabError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) {
    const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new LabError(`${cmd} ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' ...' : ''} exited ${r.status}\n${tail}`);
  }
  return r;
}

export function mkdirp(p) {
  fs.mkdirSync(p, { recursive: true });
  return p;
}

export function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

export function exists(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Quote one word for bash, for scripts the dom0 agent runs. */
export function shellQuote(word) {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${String(word).replace(/'/g, `'\\''`)}'`;
}

/** A 'data' handler that splits a stream into lines and hands each parsed JSON object to `onMessage`. */
export function jsonLines(onMessage) {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        onMessage(null);
        continue;
      }
      onMessage(msg);
    }
  };
}
