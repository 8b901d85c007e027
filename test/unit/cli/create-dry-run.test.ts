// `xl create -n` through the built bin/xl: stdout is the JSON of dryRunCreate, stderr has C's "Parsing config
// from" line, our warnings and one-line errors, exit statuses are main_create's. xl.conf comes from
// XL_GLOBAL_CONFIG so the host's file does not matter.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScratchProject } from './built-xl.js';
import { afterAll, describe, expect, it } from 'vitest';
import { dryRunCreate } from '../../../src/libxl/domain/create-dry-run.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** A scratch build: dist/ may be in use by a lab run meanwhile. */
const built = buildScratchProject();
const xl = join(built, 'bin', 'xl');
const FIX = join(root, 'test', 'fixtures', 'config');
const scratch = mkdtempSync(join(tmpdir(), 'xl-create-test-'));
const emptyConf = join(scratch, 'xl-empty.conf');
writeFileSync(emptyConf, '# nothing set\n');

const PV = join(FIX, 'keys/vcpus-cpus.cfg');
const VIF = join(FIX, 'vif/default.cfg');

/** Off Xen we warn once that CPU maps are sized for this machine; on a dom0 there is no such line. */
const HOST_NOTE = /^xl: warning: cannot init xl context: .*; CPU maps sized for this machine's \d+ CPUs\n/m;

function xlRun(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(xl, args, {
    env: { ...process.env, XL_XEN_VERSION: '4.17', XL_DEBUG: '', XL_GLOBAL_CONFIG: emptyConf, ...env },
    encoding: 'utf8',
  });
  return { stdout: r.stdout, stderr: r.stderr.replace(HOST_NOTE, ''), status: r.status };
}

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(built, { recursive: true, force: true });
});

const cfg = (name: string, text: string) => {
  const p = join(scratch, name);
  writeFileSync(p, text);
  return p;
};

describe('xl create -n (dry run)', () => {
  it('prints the domain config JSON on stdout and "Parsing config from" on stderr, exit 0', async () => {
    const r = xlRun(['create', '-n', VIF]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Parsing config from ${VIF}\n`);
    expect(r.stdout).toBe((await dryRunCreate(VIF, [], { xenVersion: '4.17' })).json);
    expect(JSON.parse(r.stdout).nics).toHaveLength(1);
  });

  it('takes the global -N, --dryrun, and the file before or after the options', () => {
    const want = xlRun(['create', '-n', VIF]).stdout;
    for (const args of [['-N', 'create', VIF], ['create', '--dryrun', VIF], ['create', VIF, '-n'], ['create', '-nf', VIF]]) {
      expect(xlRun(args), args.join(' ')).toEqual({ stdout: want, stderr: `Parsing config from ${VIF}\n`, status: 0 });
    }
  });

  it('-f FILE and --defconfig=FILE name the config too', () => {
    const want = xlRun(['create', '-n', VIF]).stdout;
    expect(xlRun(['create', '-n', '-f', VIF]).stdout).toBe(want);
    expect(xlRun(['create', '-n', `--defconfig=${VIF}`]).stdout).toBe(want);
  });

  it('-q drops the "Parsing config" line, not the JSON', () => {
    for (const q of ['-q', '--quiet']) {
      const r = xlRun(['create', '-n', q, VIF]);
      expect(r).toEqual({ stdout: xlRun(['create', '-n', VIF]).stdout, stderr: '', status: 0 });
    }
  });

  it('-d with -n prints the JSON once, on stdout', () => {
    const r = xlRun(['create', '-n', '-d', VIF]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(xlRun(['create', '-n', VIF]).stdout);
    expect(r.stderr).toBe(`Parsing config from ${VIF}\n`);
  });

  it('applies key=value overrides after the file, = and +=', () => {
    const r = xlRun(['create', '-n', PV, 'memory=512', 'vcpus=3', 'name="over"', 'disk+=["phy:/dev/vg/b,xvdb,w"]']);
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.c_info.name).toBe('over');
    expect(o.b_info.max_memkb).toBe(512 * 1024);
    expect(o.b_info.avail_vcpus).toEqual([0, 1, 2]);
    expect(o.disks.map((d: { vdev: string }) => d.vdev)).toEqual(['xvdb']);
  });

  it('a /dev/null config takes everything from the command line', () => {
    const r = xlRun(['create', '-n', 'name="only"', 'kernel="/k"', '/dev/null']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('Parsing config from /dev/null\n');
    expect(JSON.parse(r.stdout).c_info.name).toBe('only');
  });

  it('prints our warnings after the "Parsing config" line', () => {
    const p = cfg('warn.cfg', 'name = "w"\nkernel = "/k"\nmemroy = 1\n');
    const r = xlRun(['create', '-n', p]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Parsing config from ${p}\n${p}:3:1: warning: unknown key \`memroy' ignored (did you mean \`memory'?)\n`);
  });
});

describe('xl create -n: refused configs', () => {
  it('a syntax error is one file:line:column line and the C xl\'s "Failed to parse config", exit 1, nothing on stdout', () => {
    const p = join(FIX, 'errors/missing-equals.cfg');
    const r = xlRun(['create', '-n', p]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`Parsing config from ${p}`);
    expect(lines[1]).toMatch(new RegExp(`^${p.replace(/[.]/g, '\\.')}:6:7: .*expected \`=' or \`\\+='`));
    expect(lines[2]).toBe('Failed to parse config: Invalid argument');
  });

  it('keeps the C exit status of each failure: bad pci 6', () => {
    const r = xlRun(['create', '-n', join(FIX, 'errors/pci-bad.cfg')]);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/unable to parse PCI_SPEC_STRING `01:00\.9'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an error in an override points at the command line', () => {
    const r = xlRun(['create', '-n', PV, 'vcpus=2', 'memory=big']);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      expect.stringMatching(/^<command line>:2:8: bare word `big'/), 'Failed to parse config: Invalid argument']);
  });

  it('prints the warnings given before the failure, then the error', () => {
    const p = cfg('nokernel.cfg', 'name = "nk"\nkernal = "/k"\n');
    const r = xlRun(['create', '-n', p]);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `Parsing config from ${p}`,
      `${p}:2:1: warning: unknown key \`kernal' ignored (did you mean \`kernel'?)`,
      expect.stringMatching(new RegExp(`^${p.replace(/[.]/g, '\\.')}: .*Neither kernel nor bootloader specified`)),
    ]);
  });

  it('an unreadable config is exit 3 with the C message, no "Parsing config" line', () => {
    const p = join(scratch, 'missing.cfg');
    expect(xlRun(['create', '-n', p])).toEqual({
      stdout: '', stderr: `Failed to read config file: ${p}: No such file or directory\n`, status: 3,
    });
  });

  it('no config file at all is ERROR_INVAL (6)', () => {
    expect(xlRun(['create', '-n'])).toEqual({ stdout: '', stderr: 'Config file not specified and none in save file\n', status: 6 });
    expect(xlRun(['create', '-n', 'memory=1'])).toMatchObject({ status: 6 });
  });

  it('a second config file, or an option after an operand, prints help and exits 2', () => {
    for (const args of [['create', '-n', PV, VIF], ['-N', 'create', PV, 'memory=256', '-q']]) {
      const r = xlRun(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toMatch(/^Usage: xl \[-v[a-zA-Z]*\] create <ConfigFile> \[options\] \[vars\]\n/);
      expect(r.stderr).toBe('');
    }
  });

  it('an unknown option is exit 2 with the C message', () => {
    expect(xlRun(['create', '-n', '-x', PV])).toMatchObject({ stdout: '', stderr: "option `x' not supported.\n", status: 2 });
  });
});

describe('xl create without a dry run', () => {
  // Devices other than disks and nics (here a vfb and its vkb) come with a later issue: refused before touching Xen.
  const NO_DEVICES = "xl create: domain 'vif-default': guests with devices cannot be built yet (vfbs, vkbs)\n";
  const VFB = 'vfb=["vnc=1"]';
  it('parses, then refuses a guest with devices it cannot build yet in one line, exit 1', () => {
    const r = xlRun(['create', VIF, VFB]);
    expect(r).toEqual({ stdout: '', stderr: `Parsing config from ${VIF}\n${NO_DEVICES}`, status: 1 });
  });

  it('with -d the JSON goes to stderr first (as the C xl prints it before building)', () => {
    const r = xlRun(['create', '-d', '-q', VIF, VFB]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${xlRun(['create', '-n', VIF, VFB]).stdout}${NO_DEVICES}`);
  });

  it('still reports a bad config as such', () => {
    expect(xlRun(['create', join(FIX, 'errors/pci-bad.cfg')]).status).toBe(6);
  });
});

describe('xl create -n: xl.conf', () => {
  it('uses its vif, hotplug, claim and grant settings', () => {
    const conf = cfg('xl.conf', [
      'vif.default.bridge = "br9"', 'vif.default.script = "vif-custom"', 'vif.default.backend = "1"',
      'run_hotplug_scripts = 0', 'claim_mode = 0', 'max_grant_frames = 64', 'max_maptrack_frames = 1024', '',
    ].join('\n'));
    const r = xlRun(['create', '-n', VIF], { XL_GLOBAL_CONFIG: conf });
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.nics[0]).toMatchObject({ bridge: 'br9', script: 'vif-custom', backend_domname: '1' });
    expect(o.c_info.run_hotplug_scripts).toBe('False');
    expect(o.b_info.claim_mode).toBe('False');
    expect([o.b_info.max_grant_frames, o.b_info.max_maptrack_frames]).toEqual([64, 1024]);
  });

  it('vm.cpumask restricts every vCPU unless -i is given', () => {
    const conf = cfg('mask.conf', 'vm.cpumask = "0"\n');
    const p = cfg('two.cfg', 'name = "two"\nkernel = "/k"\nvcpus = 2\n');
    const masked = JSON.parse(xlRun(['create', '-n', p], { XL_GLOBAL_CONFIG: conf }).stdout);
    expect(masked.b_info.vcpu_hard_affinity).toEqual([[0], [0]]);
    const ignored = JSON.parse(xlRun(['create', '-n', '-i', p], { XL_GLOBAL_CONFIG: conf }).stdout);
    expect(ignored.b_info.vcpu_hard_affinity).toBeUndefined();
  });

  it('a missing xl.conf gets the C line and the defaults', () => {
    const missing = join(scratch, 'none.conf');
    const r = xlRun(['create', '-n', VIF], { XL_GLOBAL_CONFIG: missing });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Failed to read config file: ${missing}: No such file or directory\nParsing config from ${VIF}\n`);
    expect(r.stdout).toBe(xlRun(['create', '-n', VIF]).stdout);
  });

  it('a broken xl.conf stops xl with one line, exit 1', () => {
    const conf = cfg('broken.conf', 'autoballoon = \n');
    const r = xlRun(['create', '-n', VIF], { XL_GLOBAL_CONFIG: conf });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^${conf.replace(/[.]/g, '\\.')}:1:`));
  });

  it('output_format="sxp" is refused as not implemented rather than printed as JSON', () => {
    const conf = cfg('sxp.conf', 'output_format = "sxp"\n');
    const r = xlRun(['create', '-n', VIF], { XL_GLOBAL_CONFIG: conf });
    expect(r).toEqual({
      stdout: '', stderr: `Parsing config from ${VIF}\nxl create: output_format="sxp" (xl.conf) is not implemented yet; use json\n`, status: 1,
    });
  });
});

it('the create chunk is the one that loads the config parser', () => {
  const meta = JSON.parse(readFileSync(join(built, 'dist', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { entryPoint?: string; imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }>;
  };
  const [chunk, out] = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === 'src/cli/commands/create.ts')!;
  // Loaded on demand from the create chunk, not with it.
  const staticInputs = new Set<string>();
  const visit = (o: string) => {
    for (const i of Object.keys(meta.outputs[o].inputs)) staticInputs.add(i);
    for (const imp of meta.outputs[o].imports) if (imp.kind === 'import-statement' && meta.outputs[imp.path]) visit(imp.path);
  };
  visit(chunk);
  expect([...staticInputs].filter((i) => /src\/config-parser\//.test(i))).toEqual([]);
  expect(out.imports.some((i) => i.kind === 'dynamic-import')).toBe(true);
});
