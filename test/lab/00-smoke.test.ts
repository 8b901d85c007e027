// The lab is a real Xen host: Debian's C xl answers with the booted version, and the agent returns a command's own
// stdout, stderr and exit code.
import { describe, expect, it } from 'vitest';
import { OUR_XL, XEN, dom0, dom0ok, dom0sh } from './lab.js';

describe(`lab smoke (Xen ${XEN})`, () => {
  it('C xl info reports the booted Xen version', async () => {
    const info = await dom0ok(['xl', 'info']);
    const field = (k: string) => new RegExp(`^${k}\\s+: (.*)$`, 'm').exec(info)?.[1];
    const [major, minor] = XEN.split('.');
    expect(field('xen_major')).toBe(major);
    expect(field('xen_minor')).toBe(minor);
    expect(field('xen_commandline')).toContain('smap=0');
    expect(Number(field('nr_cpus'))).toBe(2);
    expect(field('virt_caps')).toMatch(/\bpv\b/);
  });

  it('C xl list shows Domain-0 with 1024 MiB and 1 vCPU', async () => {
    const lines = (await dom0ok(['xl', 'list'])).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)$/);
    expect(lines[1]).toMatch(/^Domain-0\s+0\s+1024\s+1\s+r-----\s+\d+\.\d$/);
  });

  it('exec returns the command own stdout, stderr and exit code', async () => {
    const r = await dom0sh('echo to-stdout; echo to-stderr >&2; exit 7');
    expect(r).toMatchObject({ code: 7, stdout: 'to-stdout\n', stderr: 'to-stderr\n', timedOut: false });
    const missing = await dom0(['/no/such/program']);
    expect(missing.code).toBe(127);
  });

  it('exec kills a command at its timeout', async () => {
    const r = await dom0sh('sleep 30; echo never', 2);
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('');
  });

  it('dom0 has the Xen devices, xenstored and the project share', async () => {
    const r = await dom0sh('ls /dev/xen/privcmd /dev/xen/xenbus /var/run/xenstored/socket /project/package.json');
    expect(r.code, r.stderr).toBe(0);
    expect(await dom0ok(['xenstore-read', '/local/domain/0/name'])).toBe('Domain-0\n');
    expect(await dom0ok(['brctl', 'show'])).toMatch(/^xenbr0\s/m);
  });

  it('our xl runs in dom0 from /project/bin/xl and sees this host', async () => {
    const r = await dom0(['/project/bin/xl', 'version', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(JSON.stringify(v)).toMatch(/privcmd/);
    const unknown = await dom0(['/project/bin/xl', 'no-such-command']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('command not implemented');
  });

  it('the installed xl the other files run is this build, on dom0\'s own filesystem, and not the xl on PATH', async () => {
    const home = OUR_XL.replace(/\/sbin\/xl$/, '/lib/xenlight-ts');
    // busybox's diff has no -r on 4.20: the checksums of both trees, metafile aside.
    const sums = (dir: string) => `(cd ${dir} && find . -type f ! -name meta.json | sort | xargs md5sum)`;
    const same = await dom0sh(`cmp <${sums('/project/dist')} <${sums(`${home}/dist`)} && cmp /project/bin/xl.cjs ${home}/bin/xl.cjs && ` +
      `stat -f -c %T ${home}/dist/cjs/xl.cjs /project/dist/cjs/xl.cjs && readlink -f ${OUR_XL} && command -v xl`);
    expect(same.code, same.stderr + same.stdout).toBe(0);
    const [fsType, shareFsType, target, onPath] = same.stdout.trim().split('\n');
    expect(fsType).not.toBe(shareFsType);
    expect(target).toBe(`${home}/bin/xl`);
    expect(onPath).not.toContain('xenlight-ts');
    const r = await dom0([OUR_XL, 'version', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse((await dom0(['/project/bin/xl', 'version', '--json'])).stdout));
  });
});
