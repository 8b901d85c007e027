// What xl_parse.c puts in the domain config, key by key.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config-parser/index.js';
import { randomUuid } from '../../../src/config-parser/build.js';
import { build, FIXED_UUID, HVM, PV } from './helpers.js';

const fails = (text: string, re: RegExp, opts = {}) => {
  try { build(text, opts); } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message).toMatch(re);
    return e.diagnostics[0];
  }
  throw new Error('expected ConfigError');
};

describe('guest type', () => {
  it('defaults to pv on x86 and pvh on Arm', () => {
    expect(build(PV).config.c_info.type).toBe('pv');
    expect(build('name = "t"\nkernel = "/k"\n', { arch: 'arm' }).config.c_info.type).toBe('pvh');
  });
  it('type accepts any prefix (strncmp quirk kept), even the empty string for hvm', () => {
    expect(build('name = "t"\ntype = "h"\n').config.b_info.type).toBe('hvm');
    expect(build('name = "t"\ntype = ""\n').config.b_info.type).toBe('hvm');
    expect(build('name = "t"\nkernel = "/k"\ntype = "pvh"\n').config.b_info.type).toBe('pvh');
    expect(build('name = "t"\nkernel = "/k"\ntype = "p"\n').config.b_info.type).toBe('pv');
  });
  it('builder = "hvm" / "generic" (xm era)', () => {
    expect(build('name = "t"\nbuilder = "hvm"\n').plain.b_info).toHaveProperty('type.hvm');
    expect(build('name = "t"\nkernel = "/k"\nbuilder = "generic"\n').plain.b_info).toHaveProperty('type.pv');
    fails('name = "t"\ntype = "pv"\nbuilder = "hvm"\n', /Contradicting/);
  });
});

describe('c_info', () => {
  it('name is required; uuid parsed or generated', () => {
    fails('kernel = "/k"\n', /Domain name must be specified/);
    expect(build(PV).plain.c_info.uuid).toBe(FIXED_UUID);
    expect(build(PV + 'uuid = "ABCDEF01-2345-6789-abcd-ef0123456789"\n').plain.c_info.uuid).toBe('abcdef01-2345-6789-abcd-ef0123456789');
  });
  it('seclabel goes to c_info, or to exec_ssid_label after init_seclabel', () => {
    expect(build(PV + 'seclabel = "a"\n').plain.c_info.ssid_label).toBe('a');
    const p = build(PV + 'init_seclabel = "i"\nseclabel = "a"\n').plain;
    expect([p.c_info.ssid_label, p.b_info.exec_ssid_label]).toEqual(['i', 'a']);
  });
  it('run_hotplug_scripts and claim_mode come from xl.conf globals (default on)', () => {
    expect(build(PV).plain.c_info.run_hotplug_scripts).toBe('True');
    const p = build(PV, { globals: { runHotplugScripts: false, claimMode: false } }).plain;
    expect([p.c_info.run_hotplug_scripts, p.b_info.claim_mode]).toEqual(['False', 'False']);
  });
});

describe('memory and vcpus', () => {
  it('memory and maxmem are MiB; maxmem defaults to memory', () => {
    expect(build(PV + 'memory = 512\n').plain.b_info).toMatchObject({ target_memkb: 524288, max_memkb: 524288 });
    expect(build(PV + 'memory = 512\nmaxmem = 0x400\n').plain.b_info).toMatchObject({ max_memkb: 1048576 });
  });
  it('an invalid number is ignored with a warning, as in xl', () => {
    const r = build(PV + 'memory = "512M"\n');
    expect(r.plain.b_info.target_memkb).toBeUndefined();
    expect(r.warnings[0]).toMatchObject({ line: 3, key: 'memory' });
    expect(r.warnings[0].message).toMatch(/not a valid number/);
  });
  it('a leading 0 is octal (08 is invalid)', () => {
    expect(build(PV + 'memory = 010\n').plain.b_info.target_memkb).toBe(8192);
    expect(build(PV + 'memory = "08"\n').warnings[0].message).toMatch(/leading 0 makes it octal/);
  });
  it('vcpus sets avail_vcpus bits and max_vcpus', () => {
    expect(build(PV + 'vcpus = 3\n').plain.b_info).toMatchObject({ max_vcpus: 3, avail_vcpus: [0, 1, 2] });
    expect(build(PV + 'vcpus = 2\nmaxvcpus = 8\n').plain.b_info).toMatchObject({ max_vcpus: 8, avail_vcpus: [0, 1] });
    fails(PV + 'vcpus = 4\nmaxvcpus = 2\n', /maxvcpus < vcpus/);
  });
  it('cpus as a string is copied to every vCPU; as a list one per vCPU', () => {
    const s = build(PV + 'vcpus = 2\ncpus = "0-3,^1"\n').plain.b_info;
    expect(s.vcpu_hard_affinity).toEqual([[0, 2, 3], [0, 2, 3]]);
    expect(s.numa_placement).toBeUndefined();
    const l = build(PV + 'vcpus = 3\ncpus = ["0", "1-2"]\n').plain.b_info;
    expect(l.vcpu_hard_affinity).toEqual([[0], [1, 2]]);
    expect(l.numa_placement).toBe('False');
  });
  it('cpus="all" fills the host-sized bitmap (whole bytes)', () => {
    const s = build(PV + 'vcpus = 1\ncpus = "all"\n', { host: { maxCpus: 4 } }).plain.b_info;
    expect(s.vcpu_hard_affinity).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
  });
  it('cpus without vcpus gives no affinity (xl sizes it by max_vcpus = 0)', () => {
    expect(build(PV + 'cpus = "1"\n').plain.b_info.vcpu_hard_affinity).toBeUndefined();
  });
  it('vnuma sets nodes, max_vcpus and max_memkb', () => {
    const b = build(PV + 'vnuma = [ ["pnode=0","size=512","vcpus=0-1","vdistances=10,20"], ["pnode=0","size=256","vcpus=2","vdistances=20,10"] ]\n').plain.b_info;
    expect(b.max_vcpus).toBe(3);
    expect(b.max_memkb).toBe(786432);
    expect(b.vnuma_nodes).toEqual([
      { memkb: 524288, distances: [10, 20], vcpus: [0, 1] },
      { memkb: 262144, distances: [20, 10], vcpus: [2] },
    ]);
    expect(b.numa_placement).toBe('False');
  });
});

describe('boot', () => {
  it('cmdline from root and extra; cmdline wins with a warning', () => {
    expect(build(PV + 'root = "/dev/xvda1 ro"\nextra = "quiet"\n').plain.b_info.cmdline).toBe('root=/dev/xvda1 ro quiet');
    expect(build(PV + 'root = "/dev/xvda1"\n').plain.b_info.cmdline).toBe('root=/dev/xvda1');
    const r = build(PV + 'cmdline = "c"\nextra = "e"\n');
    expect(r.plain.b_info.cmdline).toBe('c');
    expect(r.warnings[0].message).toMatch(/ignoring root= and extra=/);
  });
  it('PV needs a kernel or bootloader; firmware=pvgrub64 becomes the kernel', () => {
    fails('name = "t"\n', /Neither kernel nor bootloader/);
    expect(build('name = "t"\nfirmware = "pvgrub64"\n', { firmwareDir: '/fw' }).plain.b_info.kernel).toBe('/fw/pvgrub64.bin');
    fails('name = "t"\nfirmware = "grub"\n', /only pvgrub/);
  });
  it('HVM firmware: uefi -> ovmf, bios names, else a path', () => {
    expect(build(HVM + 'firmware = "uefi"\n').plain.b_info['type.hvm'].bios).toBe('ovmf');
    expect(build(HVM + 'firmware = "seabios"\n').plain.b_info['type.hvm'].bios).toBe('seabios');
    expect(build(HVM + 'firmware = "bios"\n').plain.b_info['type.hvm'].bios).toBeUndefined();
    expect(build(HVM + 'firmware = "/x.bin"\n').plain.b_info['type.hvm'].firmware).toBe('/x.bin');
  });
  it('HVM kernel=hvmloader is dropped with a warning', () => {
    const r = build(HVM + 'kernel = "/usr/lib/xen/boot/hvmloader"\n');
    expect(r.plain.b_info.kernel).toBeUndefined();
    expect(r.warnings[0].message).toMatch(/firmware_override/);
  });
  it('bootloader_args string is split on blanks, with a deprecation warning', () => {
    const r = build('name = "t"\nbootloader = "pygrub"\nbootloader_args = "-q  -x"\n');
    expect(r.plain.b_info.bootloader_args).toEqual(['-q', '-x']);
  });
});

describe('actions', () => {
  it('defaults: reboot restarts, soft reset soft-resets (only non-destroy values are printed)', () => {
    const p = build(PV).plain;
    expect([p.on_poweroff, p.on_reboot, p.on_crash, p.on_watchdog, p.on_soft_reset]).toEqual([undefined, 'restart', undefined, undefined, 'soft_reset']);
  });
  it('names map to the enum', () => {
    const p = build(PV + 'on_crash = "coredump-restart"\non_reboot = "rename-restart"\n').plain;
    expect([p.on_crash, p.on_reboot]).toEqual(['coredump_restart', 'restart_rename']);
    fails(PV + 'on_crash = "restart_rename"\n', /Unknown on_crash action/);
  });
});

describe('devices', () => {
  it('nics get devids in order, defaults from xl.conf', () => {
    const p = build(PV + 'vif = [ "", "bridge=b1" ]\n', { globals: { bridge: 'xenbr0', vifScript: 'vif-bridge' } }).plain;
    expect(p.nics).toEqual([
      { devid: 0, bridge: 'xenbr0', script: 'vif-bridge' },
      { devid: 1, bridge: 'b1', script: 'vif-bridge' },
    ]);
  });
  it('a PV guest with pci gets e820_host and rdm_policy "strict" (xl reads an unset union member)', () => {
    const p = build(PV + 'pci = [ "01:00.0" ]\n').plain;
    expect(p.b_info['type.pv'].e820_host).toBe('True');
    expect(p.pcidevs).toEqual([{ bus: 1, vfunc_mask: 1, rdm_policy: 'strict' }]);
  });
  it('an HVM guest with pci keeps rdm_policy unset unless rdm= sets it', () => {
    expect(build(HVM + 'pci = [ "01:00.0" ]\n').plain.pcidevs[0].rdm_policy).toBeUndefined();
    const p = build(HVM + 'rdm = "strategy=host,policy=relaxed"\npci = [ "01:00.0" ]\n').plain;
    expect(p.pcidevs[0].rdm_policy).toBe('relaxed');
    expect(p.b_info['type.hvm'].rdm).toEqual({ strategy: 'host', policy: 'relaxed' });
  });
  it('pci_* keys are per-device defaults', () => {
    const p = build(HVM + 'pci_permissive = 1\npci = [ "01:00.0", "01:00.1,permissive=0" ]\n').plain;
    expect(p.pcidevs.map((d: { permissive?: boolean }) => d.permissive)).toEqual([true, undefined]);
  });
  it('a PV guest with vnc=1 and no vfb gets a vfb and a vkb', () => {
    const p = build(PV + 'vnc = 1\nvncdisplay = 1\n').plain;
    expect(p.vfbs).toEqual([{ devid: 0, vnc: { enable: 'True', display: 1 }, sdl: {} }]);
    expect(p.vkbs).toEqual([{ devid: 0 }]);
  });
  it('disks keep their order; a bad one stops everything', () => {
    const p = build(PV + 'disk = [ "phy:/dev/a,xvda,w", "file:/b.iso,hdc:cdrom,r" ]\n').plain;
    expect(p.disks.map((d: { vdev: string }) => d.vdev)).toEqual(['xvda', 'hdc']);
    const d = fails(PV + 'disk = [ "phy:/dev/a,xvda,w",\n  "/dev/b,xvdb,w" ]\n', /unknown value for format/);
    expect([d.line, d.column]).toEqual([4, 3]);
  });
  it('channels: pty and socket', () => {
    const p = build(PV + 'channel = [ "name=a,connection=pty", " name = b , connection = socket , path = /s " ]\n').plain;
    expect(p.channels).toEqual([
      { devid: 0, name: 'a', 'connection.pty': {} },
      { devid: 1, name: 'b', 'connection.socket': { path: '/s' } },
    ]);
  });
  it('p9 devices keep devid -1 (xl re-initialises them)', () => {
    expect(build(PV + 'p9 = [ "tag=t,path=/p,security_model=none" ]\n').plain.p9s).toEqual([{ tag: 't', path: '/p', security_model: 'none' }]);
  });
  it('vfb entries with a token lacking = stop there, as in xl', () => {
    expect(build(PV + 'vfb = [ "vnc=1,oops,sdl=1" ]\n').plain.vfbs[0]).toEqual({ devid: 0, vnc: { enable: 'True' }, sdl: {} });
  });
});

describe('HVM settings', () => {
  it('vga, stdvga, hdtype, serial list, viridian groups', () => {
    const h = build(HVM + 'vga = "qxl"\nhdtype = "AHCI"\nserial = ["pty", "null"]\nviridian = ["defaults", "!base", "stimer"]\n').plain.b_info['type.hvm'];
    expect(h.vga).toEqual({ kind: 'qxl' });
    expect(h.hdtype).toBe('ahci');
    expect(h.serial_list).toEqual(['pty', 'null']);
    expect(h.viridian).toBe('True');
    expect(h.viridian_enable).toEqual([8]);
    expect(h.viridian_disable).toEqual([0]);
    expect(build(HVM + 'stdvga = 0\n').plain.b_info['type.hvm'].vga).toEqual({ kind: 'cirrus' });
  });
  it('timer_mode is refused for PV', () => {
    fails(PV + 'timer_mode = "delay_for_missed_ticks"\n', /not supported for PV/);
  });
  it('mmio_hole range check', () => {
    fails(HVM + 'mmio_hole = 100\n', /mmio_hole/);
    expect(build(HVM + 'mmio_hole = 1024\n').plain.b_info['type.hvm'].mmio_hole_memkb).toBe(1048576);
  });
});

describe('warnings the C xl does not give', () => {
  it('unknown keys, with the nearest known one', () => {
    const w = build(PV + 'memroy = 512\n').warnings;
    expect(w[0]).toMatchObject({ line: 3, column: 1, key: 'memroy' });
    expect(w[0].message).toBe("unknown key `memroy' ignored (did you mean `memory'?)");
  });
  it('xm-only keys say what to use instead', () => {
    expect(build(PV + 'nics = 2\n').warnings[0].message).toMatch(/xm setting.*vif/);
  });
  it('keys that do not apply to the guest type', () => {
    expect(build(PV + 'vga = "stdvga"\n').warnings[0].message).toBe("`vga' only applies to hvm guests; ignored for this pv guest");
  });
  it('4.20 keys on 4.17', () => {
    expect(build(PV + 'bootloader_user = "x"\n').warnings[0].message).toMatch(/only read by xl 4.20/);
    expect(build(PV + 'bootloader_user = "x"\n', { xenVersion: '4.20' }).plain.b_info.bootloader_user).toBe('x');
  });
});

describe('C quirks kept on purpose', () => {
  it('"vcpus += 1" makes xl skip vcpus with a warning (numbers cannot be added)', () => {
    const r = build(PV + 'vcpus = 1\nvcpus += 1\n');
    expect(r.plain.b_info.max_vcpus).toBeUndefined();
    expect(r.warnings[0].message).toMatch(/can't use \+= with numbers/);
  });
  it('a string list ends at a nested list (libxl string lists are NULL-terminated)', () => {
    const r = build(PV + 'device_model_args = [ "-a", [ "x" ], "-b" ]\n');
    expect(r.plain.b_info.extra).toEqual(['-a']);
    expect(r.warnings[0].message).toMatch(/nested list/);
  });
  it('device lists stop at the first nested list, as xl_parse.c loops', () => {
    expect(build(PV + 'vif = [ "bridge=a", [ "x" ], "bridge=b" ]\n').plain.nics).toEqual([{ devid: 0, bridge: 'a' }]);
  });
  it('xl 4.17 carries p9 settings over from the previous entry (a C bug we mirror, with a warning)', () => {
    const r = build(PV + 'p9 = [ "tag=a,path=/a,security_model=none", "tag=b,path=/b" ]\n');
    expect(r.plain.p9s[1]).toEqual({ tag: 'b', path: '/b', security_model: 'none' });
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/p9 entry 1 has no security_model=/);
    expect(() => build(PV + 'p9 = [ "tag=a,path=/a,security_model=none", "tag=b,path=/b" ]\n', { xenVersion: '4.20' })).not.toThrow();
  });
  it('an unknown vif token is skipped, the rest applies', () => {
    const r = build(PV + 'vif = [ "bridge=br0,colour=blue,script=s" ]\n');
    expect(r.plain.nics).toEqual([{ devid: 0, bridge: 'br0', script: 's' }]);
    expect(r.warnings[0]).toMatchObject({ key: 'vif', near: 'colour=blue' });
  });
  it('on_* given as a list falls back to the default with a warning', () => {
    const r = build(PV + 'on_crash = [ "preserve" ]\n');
    expect(r.plain.on_crash).toBeUndefined();
    expect(r.warnings[0].message).toMatch(/is a list but should be a single value/);
  });
});

describe('vdev check', () => {
  it('warns about vdevs libxl will refuse, but still prints the config like xl -n', () => {
    const r = build(PV + 'disk = [ "phy:/dev/a,xvda,w", "phy:/dev/b,hde,w" ]\n');
    expect(r.plain.disks).toHaveLength(2);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ key: 'disk', near: 'hde' });
  });
});

describe('the uuid a config without one gets', () => {
  it('is a random version 4 UUID, a new one each time', () => {
    const seen = new Set(Array.from({ length: 50 }, () => randomUuid()));
    expect(seen.size).toBe(50);
    for (const u of seen) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
