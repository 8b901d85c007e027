// The command table as one target's xl has it, and the C xl's lookup.
import { CMD_TABLE } from './cmdtable.js';
import { compareXen } from './target.js';
import type { CommandSpec, ResolvedCommand, Target } from './types.js';

/** The commands the target's C xl was built with, with that release's text. */
export function commandsFor(target: Target, table: readonly CommandSpec[] = CMD_TABLE): ResolvedCommand[] {
  const result: ResolvedCommand[] = [];
  for (const { older, since, archs, ...cmd } of table) {
    if (since && compareXen(target.xen, since) < 0) continue;
    if (archs && !archs.includes(target.arch)) continue;
    const then = older
      ?.filter((o) => compareXen(target.xen, o.before) < 0)
      .sort((a, b) => compareXen(a.before, b.before))[0];
    if (then) {
      const { before: _before, ...text } = then;
      result.push({ ...cmd, ...text });
    } else {
      result.push(cmd);
    }
  }
  return result;
}

/**
 * C cmdtable_lookup: an exact name wins even if it prefixes another command;
 * otherwise the word must be a prefix of exactly one command.
 */
export function lookup(commands: readonly ResolvedCommand[], word: string | undefined): ResolvedCommand | undefined {
  if (word === undefined) return undefined;
  let match: ResolvedCommand | undefined;
  let count = 0;
  for (const cmd of commands) {
    if (!cmd.name.startsWith(word)) continue;
    if (cmd.name === word) return cmd;
    match = cmd;
    count++;
  }
  return count === 1 ? match : undefined;
}
