import { describe, expect, it } from 'vitest';
import { commandsFor, lookup } from '../../../src/cli/table.js';
import type { CommandSpec, Target } from '../../../src/cli/types.js';

const x86_420: Target = { xen: '4.20', arch: 'x86', source: 'env' };
const commands = commandsFor(x86_420);
const find = (word: string | undefined) => lookup(commands, word)?.name;

describe('cmdtable_lookup', () => {
  it('takes an exact name even when it prefixes another command', () => {
    expect(find('sched-credit')).toBe('sched-credit');
    expect(find('sched-credit2')).toBe('sched-credit2');
    expect(find('migrate')).toBe('migrate');
  });

  it('takes a prefix of exactly one command', () => {
    expect(find('li')).toBe('list');
    expect(find('vm')).toBe('vm-list');
    expect(find('migrate-r')).toBe('migrate-receive');
    expect(find('qemu')).toBe('qemu-monitor-command');
  });

  it('treats an ambiguous prefix as unknown', () => {
    expect(find('sched-cred')).toBeUndefined();
    expect(find('l')).toBeUndefined();
    expect(find('v')).toBeUndefined();
    expect(find('')).toBeUndefined();
  });

  it('does not know help, unknown words or longer words', () => {
    expect(find('help')).toBeUndefined();
    expect(find('nosuch')).toBeUndefined();
    expect(find('listx')).toBeUndefined();
    expect(find(undefined)).toBeUndefined();
  });

  it('finds our hidden version command by name and prefix', () => {
    expect(find('version')).toBe('version');
    expect(find('ve')).toBe('version');
  });
});

describe('table for a target', () => {
  const names = (t: Target) => commandsFor(t).map((c) => c.name);

  it('has suspend/resume from 4.20 and xenstore quotas from 4.22', () => {
    expect(names({ ...x86_420, xen: '4.17' })).not.toContain('suspend');
    expect(names(x86_420)).toEqual(expect.arrayContaining(['suspend', 'resume']));
    expect(names(x86_420)).not.toContain('xenstore-quota-get');
    expect(names({ ...x86_420, xen: '4.22' })).toContain('xenstore-quota-set');
  });

  it('follows the C #ifdefs per architecture', () => {
    const arm = names({ xen: '4.20', arch: 'arm', source: 'env' });
    expect(arm).toContain('dt-overlay');
    expect(arm).not.toContain('psr-hwinfo');
    expect(arm).not.toContain('save');
    const other = names({ xen: '4.20', arch: 'other', source: 'env' });
    expect(other).toContain('save');
    expect(other).not.toContain('psr-hwinfo');
    expect(other).not.toContain('dt-overlay');
  });

  it('uses the closest older wording', () => {
    const table: CommandSpec[] = [
      {
        name: 'x',
        canDryrun: false,
        modifies: false,
        summary: 'now',
        usage: '',
        getopt: null,
        older: [
          { before: '4.19', summary: 'before 4.19' },
          { before: '4.15', summary: 'before 4.15' },
        ],
      },
    ];
    const summary = (xen: Target['xen']) => commandsFor({ xen, arch: 'x86', source: 'env' }, table)[0].summary;
    expect(summary('4.20')).toBe('now');
    expect(summary('4.19')).toBe('now');
    expect(summary('4.18')).toBe('before 4.19');
    expect(summary('4.14')).toBe('before 4.15');
  });

  it('gives 4.17 the console options parser of its day', () => {
    const console417 = lookup(commandsFor({ ...x86_420, xen: '4.17' }), 'console');
    expect(console417?.getopt?.short).toBe('n:t:');
    expect(lookup(commands, 'console')?.getopt?.short).toBe('n:t:e:');
  });
});
