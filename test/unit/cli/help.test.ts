import { describe, expect, it } from 'vitest';
import { CMD_TABLE } from '../../../src/cli/cmdtable.js';
import { helpText } from '../../../src/cli/help.js';
import { commandsFor } from '../../../src/cli/table.js';
import { fixtureFiles, readFixture, targetOf, type HelpFixture } from './fixtures.js';

const files = fixtureFiles('help-');

describe('help text matches the C xl', () => {
  it('has fixtures for several releases and architectures', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(files)('%s', (file) => {
    const fixture = readFixture<HelpFixture>(file);
    const commands = commandsFor(targetOf(file));

    it('xl help lists the same commands, byte for byte', () => {
      expect(helpText(commands)).toBe(fixture.list);
      expect(helpText(commands, 'help')).toBe(fixture.list);
    });

    it('xl help <cmd> matches for every command', () => {
      const names = Object.keys(fixture.commands);
      expect(commands.filter((c) => !c.hidden).map((c) => c.name)).toEqual(names);
      for (const name of names) expect(helpText(commands, name), name).toBe(fixture.commands[name]);
    });
  });

  it('prints the usage layout the C help() builds', () => {
    const commands = commandsFor({ xen: '4.20', arch: 'x86', source: 'env' });
    expect(helpText(commands, 'pause')).toBe(
      'Usage: xl [-vtTf] pause <Domain>\n\nPause execution of a domain.\n\n',
    );
    // '' options still print the Options header; dryrun-capable shows N.
    expect(helpText(commands, 'claims')).toBe(
      'Usage: xl [-vtT] claims \n\nList outstanding claim information about all domains.\n\nOptions:\n\n\n',
    );
    expect(helpText(commands, 'cd-eject')).toMatch(/^Usage: xl \[-vtTfN\] cd-eject /);
    expect(helpText(commands, 'nosuch')).toBe('command "nosuch" not implemented\n');
  });

  it('keeps our own commands out of the list but answers help for them', () => {
    const commands = commandsFor({ xen: '4.20', arch: 'x86', source: 'env' });
    expect(helpText(commands)).not.toMatch(/^ version /m);
    expect(helpText(commands, 'version')).toMatch(/^Usage: xl \[-vtTN\] version \[options\]\n/);
    expect(CMD_TABLE.find((c) => c.name === 'version')?.hidden).toBe(true);
  });
});
