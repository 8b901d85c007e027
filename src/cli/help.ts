// The text of C xl's help(): the command list, or one command's usage.
import { lookup } from './table.js';
import type { ResolvedCommand } from './types.js';

/** What `xl help [name]` prints (also used by -h and usage errors). */
export function helpText(commands: readonly ResolvedCommand[], name?: string): string {
  if (name === undefined || name === 'help') return listText(commands);
  const cmd = lookup(commands, name);
  if (!cmd) return `command "${name}" not implemented\n`;
  const flags = `-vtT${cmd.modifies ? 'f' : ''}${cmd.canDryrun ? 'N' : ''}`;
  let text = `Usage: xl [${flags}] ${cmd.name} ${cmd.usage}\n\n${cmd.summary}.\n\n`;
  if (cmd.options !== undefined) text += `Options:\n\n${cmd.options}\n`;
  return text;
}

function listText(commands: readonly ResolvedCommand[]): string {
  let text = 'Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:\n\n';
  for (const cmd of commands) {
    if (cmd.hidden) continue;
    // Names too long for the 19-wide column get a line of their own.
    const name = cmd.name.length > 19 ? ` ${cmd.name} \n ${''.padEnd(19)} ` : ` ${cmd.name.padEnd(19)} `;
    text += `${name}${cmd.summary}\n`;
  }
  return text;
}
