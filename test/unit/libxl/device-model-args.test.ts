// The device model's command line without Xen: configs from xl.cfg text,
// argv and environment as libxl_dm.c (libxl__build_device_model_args_new) of
// Xen 4.17 and 4.20 builds them for upstream QEMU.
import { describe, expect, it } from 'vitest';
import { buildDomainConfig, parseConfigText, type XenVersion } from '../../../src/config-parser/index.js';
import {
  DEBIAN_QEMU_XEN_PATH, DmArgsError, deviceModelArgs, type DmArgsInput,
} from '../../../src/libxl/device-model/device-model-args.js';

const Q = DEBIAN_QEMU_XEN_PATH;
const MAC = [0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c];

function config(text: string, xenVersion: XenVersion = '4.17') {
  return buildDomainConfig(parseConfigText(text, 'test.cfg'), { xenVersion, generateUuid: () => '5d2a4c3e-1b2f-4a6d-9e8f-0123456789ab' }).config;
}

function dm(text: string, xenVersion: XenVersion = '4.17', extra: Partial<DmArgsInput> = {}) {
  return deviceModelArgs({ domid: 5, config: config(text, xenVersion), xenVersion, mac: () => MAC, ...extra });
}

const HVM = 'name = "t"\ntype = "hvm"\nvnc = 0\n';
/** Everything before -name for domid 5 without dm_restrict. */
const head = (domid = 5) => [
  Q, '-xen-domid', String(domid), '-no-shutdown',
  '-chardev', `socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-${domid},server=on,wait=off`,
  '-mon', 'chardev=libxl-cmd,mode=control',
  '-chardev', `socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-${domid},server=on,wait=off`,
  '-mon', 'chardev=libxenstat-cmd,mode=control',
];
/** The argument following `flag` (the first occurrence). */
const after = (argv: string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
/** Every value given with `flag`. */
const all = (argv: string[], flag: string): string[] => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

const LAB_HVM = [
  'name = "lab-hvm"', 'type = "hvm"', 'kernel = "/lab/guests/vmlinuz"', 'ramdisk = "/lab/guests/initrd.gz"',
  'cmdline = "console=ttyS0 console=hvc0 loglevel=4"', 'memory = 256', 'vcpus = 1', 'serial = "pty"', 'vnc = 0',
  'disk = [ "file:/lab/guests/disk-hvm.img,xvda,w" ]', '',
].join('\n');

describe('the lab HVM guest (lab/guest/hvm.cfg)', () => {
  // Direct kernel boot goes to QEMU; cirrus with libxl's 8 MB is the default card and its RAM
  // comes out of the 256 MB; xvda gets an emulated IDE twin; no nic means -net none.
  const expected = (domid: number) => [
    ...head(domid), '-nodefaults', '-no-user-config', '-name', 'lab-hvm', '-vnc', 'none', '-display', 'none',
    '-kernel', '/lab/guests/vmlinuz', '-initrd', '/lab/guests/initrd.gz', '-append', 'console=ttyS0 console=hvc0 loglevel=4',
    '-serial', 'pty', '-device', 'cirrus-vga,vgamem_mb=8', '-boot', 'order=cda', '-net', 'none',
    '-machine', 'xenfv,suppress-vmdesc=on', '-m', '248',
    '-drive', 'file=/lab/guests/disk-hvm.img,if=ide,index=0,media=disk,format=raw,cache=writeback',
  ];

  it('4.17: argv, and the XSA-180 console limit in the environment', () => {
    const r = deviceModelArgs({ domid: 3, config: config(LAB_HVM, '4.17'), xenVersion: '4.17' });
    expect(r.argv).toEqual(expected(3));
    expect(r.env).toEqual({ XEN_QEMU_CONSOLE_LIMIT: '1048576', XEN_DOMAIN_ID: '3' });
    expect(r.warnings).toEqual([]);
    expect(r.qmpPath).toBe('/var/run/xen/qmp-libxl-3');
    expect(r.probeArgv).toBeUndefined();
  });

  it('4.20: the same argv, no console limit, and a probe run first', () => {
    const r = deviceModelArgs({ domid: 3, config: config(LAB_HVM, '4.20'), xenVersion: '4.20' });
    expect(r.argv).toEqual(expected(3));
    expect(r.env).toEqual({ XEN_DOMAIN_ID: '3' });
    expect(r.probeArgv).toEqual([
      Q, '-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=xen',
      '-chardev', 'socket,id=libxl-cmd,fd=3,server=on,wait=off', '-mon', 'chardev=libxl-cmd,mode=control',
    ]);
  });

  it('4.17 leaves the console limit to an environment that already has one', () => {
    const r = dm(LAB_HVM, '4.17', { inheritedEnv: { XEN_QEMU_CONSOLE_LIMIT: '10' } });
    expect(r.env).toEqual({ XEN_DOMAIN_ID: '5' });
  });

  it('takes the run directory and the QEMU path as parameters; device_model_override wins', () => {
    const r = dm(LAB_HVM, '4.17', { runDir: '/run/xen', qemuPath: '/usr/bin/qemu-system-i386' });
    expect(r.argv[0]).toBe('/usr/bin/qemu-system-i386');
    expect(r.argv[5]).toBe('socket,id=libxl-cmd,path=/run/xen/qmp-libxl-5,server=on,wait=off');
    expect(r.argv[9]).toBe('socket,id=libxenstat-cmd,path=/run/xen/qmp-libxenstat-5,server=on,wait=off');
    const o = dm(`${LAB_HVM}device_model_override = "/opt/qemu"\ndevice_model_version = "qemu-xen"\n`);
    expect(o.argv[0]).toBe('/opt/qemu');
  });
});

describe('a classic HVM config', () => {
  const SEED = [
    'name = "seed"', 'builder = "hvm"', 'memory = 512', 'vcpus = 2',
    "disk = [ 'file:/x.img,hda,w', 'file:/x.iso,hdc:cdrom,r' ]", 'boot = "dca"', 'vnc = 1', 'serial = "pty"',
    'usbdevice = "tablet"', "vif = [ 'bridge=xenbr0' ]", 'stdvga = 1', 'videoram = 16', 'soundhw = "hda"', '',
  ].join('\n');

  for (const v of ['4.17', '4.20'] as const) {
    it(`gives the exact argv on ${v}`, () => {
      expect(dm(SEED, v).argv).toEqual([
        ...head(), '-nodefaults', '-no-user-config', '-name', 'seed',
        '-vnc', '127.0.0.1:0,to=99', '-display', 'none',
        '-serial', 'pty', '-device', 'VGA,vgamem_mb=16', '-boot', 'order=dca',
        '-usb', '-usbdevice', 'tablet', '-device', 'intel-hda', '-device', 'hda-duplex',
        '-smp', '2,maxcpus=2',
        '-device', 'rtl8139,id=nic0,netdev=net0,mac=00:16:3e:0a:0b:0c',
        '-netdev', 'type=tap,id=net0,ifname=vif5.0-emu,br=xenbr0,script=no,downscript=no',
        '-machine', 'xenfv,suppress-vmdesc=on', '-m', '496',
        '-drive', 'file=/x.img,if=ide,index=0,media=disk,format=raw,cache=writeback',
        '-drive', 'if=none,readonly=on,id=ide-5632,file=/x.iso,format=raw',
        '-device', 'ide-cd,id=ide-5632,drive=ide-5632,bus=ide.1,unit=0',
      ]);
    });
  }
});

describe('display', () => {
  it('vnc is on by default, on 127.0.0.1:0 with up to 99 displays tried', () => {
    const r = dm('name = "t"\ntype = "hvm"\n');
    expect(after(r.argv, '-vnc')).toBe('127.0.0.1:0,to=99');
    expect(r.vncPassword).toBeUndefined();
  });

  it('vnclisten, vncdisplay, vncunused=0 and vncpasswd (the password itself goes over QMP later)', () => {
    const r = dm('name = "t"\ntype = "hvm"\nvnclisten = "0.0.0.0"\nvncdisplay = 3\nvncunused = 0\nvncpasswd = "s3cret"\n');
    expect(after(r.argv, '-vnc')).toBe('0.0.0.0:3,password=on');
    expect(r.argv.join(' ')).not.toContain('s3cret');
    expect(r.vncPassword).toBe('s3cret');
    // An empty password means none.
    expect(after(dm('name = "t"\ntype = "hvm"\nvncpasswd = ""\n').argv, '-vnc')).toBe('127.0.0.1:0,to=99');
  });

  it('a vnclisten with a display is used as it is, but not together with vncdisplay', () => {
    expect(after(dm('name = "t"\ntype = "hvm"\nvnclisten = "10.0.0.1:7"\n').argv, '-vnc')).toBe('10.0.0.1:7,to=99');
    // xl refuses the pair already; libxl checks again for other callers.
    const cfg = config('name = "t"\ntype = "hvm"\nvnclisten = "10.0.0.1:7"\n');
    cfg.b_info.u.hvm!.vnc.display = 2;
    expect(() => deviceModelArgs({ domid: 1, config: cfg, xenVersion: '4.20' })).toThrow(/vnclisten contains display/);
  });

  it('sdl adds a second -display and its X environment; keymap is -k', () => {
    const r = dm(`${HVM}sdl = 1\ndisplay = ":1"\nxauthority = "/root/.Xauthority"\nkeymap = "de"\n`);
    const i = r.argv.indexOf('-display');
    expect(r.argv.slice(i, i + 6)).toEqual(['-display', 'none', '-display', 'sdl', '-k', 'de']);
    expect(r.env).toEqual({ XEN_QEMU_CONSOLE_LIMIT: '1048576', DISPLAY: ':1', XAUTHORITY: '/root/.Xauthority', XEN_DOMAIN_ID: '5' });
  });

  it('-nographic only with nographic=1 and neither vnc nor sdl', () => {
    expect(dm(`${HVM}nographic = 1\n`).argv).toContain('-nographic');
    expect(dm('name = "t"\ntype = "hvm"\nnographic = 1\n').argv).not.toContain('-nographic');
    expect(dm(HVM).argv).not.toContain('-nographic');
  });

  it('the card and its video RAM, with libxl\'s defaults and floors for qemu-xen', () => {
    const mem = 'memory = 256\n';
    const card = (extra: string) => {
      const a = dm(`${HVM}${mem}${extra}`).argv;
      return [a.find((x) => /vga/i.test(x) && x !== '-vga') ?? null, after(a, '-m')];
    };
    expect(card('')).toEqual(['cirrus-vga,vgamem_mb=8', '248']);
    expect(card('stdvga = 1\n')).toEqual(['VGA,vgamem_mb=16', '240']);
    expect(card('vga = "stdvga"\nvideoram = 32\n')).toEqual(['VGA,vgamem_mb=32', '224']);
    expect(card('vga = "cirrus"\nvideoram = 9\n')).toEqual(['cirrus-vga,vgamem_mb=9', '247']);
    expect(card('vga = "qxl"\n')).toEqual(['qxl-vga,vram_size_mb=64,ram_size_mb=64', '128']);
    expect(card('vga = "none"\n')).toEqual([null, '256']);
    expect(() => dm(`${HVM}stdvga = 1\nvideoram = 8\n`)).toThrow(/at least 16 MB for STDVGA/);
    expect(() => dm(`${HVM}videoram = 4\n`)).toThrow(/at least 8 MB for CIRRUS/);
  });

  it('spice options', () => {
    const r = dm(`${HVM}spice = 1\nspiceport = 6000\nspicehost = "0.0.0.0"\nspicedisable_ticketing = 1\nspicevdagent = 1\n`);
    expect(after(r.argv, '-spice')).toBe('port=6000,tls-port=0,addr=0.0.0.0,disable-ticketing=on,agent-mouse=on,disable-copy-paste=on');
    const i = r.argv.indexOf('-spice');
    expect(r.argv.slice(i + 2, i + 8)).toEqual([
      '-device', 'virtio-serial', '-chardev', 'spicevmc,id=vdagent,name=vdagent',
      '-device', 'virtserialport,chardev=vdagent,name=com.redhat.spice.0',
    ]);
    expect(after(dm(`${HVM}spice = 1\nspicetls_port = 6001\nspicepasswd = "pw"\nspice_clipboard_sharing = 1\n`).argv, '-spice'))
      .toBe('port=0,tls-port=6001,password=pw,agent-mouse=on');
    expect(() => dm(`${HVM}spice = 1\n`)).toThrow(/spiceport or tls_port/);
    expect(() => dm(`${HVM}spice = 1\nspiceport = 1\n`)).toThrow(/missing password/);
  });
});

describe('serial, boot, usb, sound, acpi, vcpus', () => {
  it('a serial list gives one -serial each', () => {
    expect(all(dm(`${HVM}serial = [ "pty", "file:/tmp/s1" ]\n`).argv, '-serial')).toEqual(['pty', 'file:/tmp/s1']);
    expect(dm(HVM).argv).not.toContain('-serial');
  });

  it('boot order is passed as it is, "cda" by default', () => {
    expect(after(dm(`${HVM}boot = "nc"\n`).argv, '-boot')).toBe('order=nc');
    expect(after(dm(HVM).argv, '-boot')).toBe('order=cda');
  });

  it('usb=1 and usbdevice lists use the legacy -usb/-usbdevice', () => {
    const a = dm(`${HVM}usb = 1\n`).argv;
    expect(a).toContain('-usb');
    expect(a).not.toContain('-usbdevice');
    const b = dm(`${HVM}usbdevice = [ "tablet", "mouse" ]\n`).argv;
    const i = b.indexOf('-usb');
    expect(b.slice(i, i + 5)).toEqual(['-usb', '-usbdevice', 'tablet', '-usbdevice', 'mouse']);
  });

  it('usbversion adds controller devices instead', () => {
    expect(all(dm(`${HVM}usbversion = 1\n`).argv, '-device')).toContain('piix3-usb-uhci,id=usb');
    expect(all(dm(`${HVM}usbversion = 3\n`).argv, '-device')).toContain('nec-usb-xhci,id=usb');
    expect(all(dm(`${HVM}usbversion = 2\n`).argv, '-device').slice(1, 5)).toEqual([
      'ich9-usb-ehci1,id=usb,addr=0x1d.0x7,multifunction=on',
      'ich9-usb-uhci1,masterbus=usb.0,firstport=0,addr=0x1d.0,multifunction=on',
      'ich9-usb-uhci2,masterbus=usb.0,firstport=2,addr=0x1d.0x1,multifunction=on',
      'ich9-usb-uhci3,masterbus=usb.0,firstport=4,addr=0x1d.0x2,multifunction=on',
    ]);
    expect(() => dm(`${HVM}usbversion = 4\n`)).toThrow(/usbversion parameter is invalid/);
    expect(() => dm(`${HVM}usbversion = 2\nusbdevice = "tablet"\n`)).toThrow(/cannot be enabled with usb/);
  });

  it('spice usb redirection implies EHCI and adds a redirector per channel', () => {
    const a = dm(`${HVM}spice = 1\nspiceport = 1\nspicedisable_ticketing = 1\nspiceusbredirection = 2\n`).argv;
    expect(a).toContain('ich9-usb-ehci1,id=usb,addr=0x1d.0x7,multifunction=on');
    expect(all(a, '-chardev').slice(2)).toEqual(['spicevmc,name=usbredir,id=usbrc1', 'spicevmc,name=usbredir,id=usbrc2']);
    expect(all(a, '-device')).toContain('usb-redir,chardev=usbrc2,id=usbrc2');
    const off = dm(`${HVM}spiceusbredirection = 2\n`);
    expect(off.argv.join(' ')).not.toContain('usb');
    expect(off.warnings).toContain('spice disabled, disabling usbredirection');
  });

  it('soundhw by name, without case; hda brings its codec', () => {
    expect(all(dm(`${HVM}soundhw = "AC97"\n`).argv, '-device')).toContain('ac97');
    expect(all(dm(`${HVM}soundhw = "sb16"\n`).argv, '-device')).toContain('sb16');
    expect(() => dm(`${HVM}soundhw = "pcspk"\n`)).toThrow(/Unknown soundhw option 'pcspk'/);
  });

  it('acpi=0 gives -no-acpi', () => {
    expect(dm(`${HVM}acpi = 0\n`).argv).toContain('-no-acpi');
    expect(dm(HVM).argv).not.toContain('-no-acpi');
  });

  it('-smp only for more than one vcpu: online, then the maximum', () => {
    expect(after(dm(`${HVM}vcpus = 2\nmaxvcpus = 4\n`).argv, '-smp')).toBe('2,maxcpus=4');
    expect(dm(`${HVM}vcpus = 1\n`).argv).not.toContain('-smp');
  });
});

describe('machine and memory', () => {
  it('xen_platform_pci=0 takes the plain pc machine; mmio_hole sets max-ram-below-4g', () => {
    expect(after(dm(`${HVM}xen_platform_pci = 0\n`).argv, '-machine')).toBe('pc,accel=xen,suppress-vmdesc=on');
    expect(after(dm(`${HVM}mmio_hole = 1024\n`).argv, '-machine')).toBe(`xenfv,suppress-vmdesc=on,max-ram-below-4g=${3 * 2 ** 30}`);
  });

  it('gfx_passthru: igd-passthru=on for igd, found or named', () => {
    expect(after(dm(`${HVM}gfx_passthru = "igd"\n`).argv, '-machine')).toBe('xenfv,suppress-vmdesc=on,igd-passthru=on');
    expect(after(dm(`${HVM}gfx_passthru = 1\n`, '4.17', { igdPassthru: true }).argv, '-machine')).toBe('xenfv,suppress-vmdesc=on,igd-passthru=on');
    expect(() => dm(`${HVM}gfx_passthru = 1\n`)).toThrow(/unable to detect required gfx_passthru_kind/);
  });

  it('device_model_args come before -machine, device_model_args_hvm right after its value (memory: libxl\'s 32 MB less video)', () => {
    const a = dm(`${HVM}device_model_args = [ "-trace", "xen_*" ]\ndevice_model_args_hvm = [ "-global", "x=1" ]\n`).argv;
    const i = a.indexOf('-machine');
    expect(a.slice(i - 2, i + 6)).toEqual(['-trace', 'xen_*', '-machine', 'xenfv,suppress-vmdesc=on', '-global', 'x=1', '-m', '24']);
  });

  it('-m rounds the KiB left after the video RAM up to whole MiB', () => {
    const cfg = config(`${HVM}memory = 256\n`);
    cfg.b_info.max_memkb = 262145n;
    expect(after(deviceModelArgs({ domid: 1, config: cfg, xenVersion: '4.17' }).argv, '-m')).toBe('249');
  });

  it('vendor_device="xenserver" adds the PV device at the end', () => {
    expect(dm(`${HVM}vendor_device = "xenserver"\n`).argv.slice(-2)).toEqual(['-device', 'xen-pvdevice,device-id=0xc000']);
  });

  it('restore reads the state from an fd', () => {
    const a = dm(HVM, '4.17', { incomingFd: 7 }).argv;
    expect(a.slice(a.indexOf('-machine') - 2, a.indexOf('-machine'))).toEqual(['-incoming', 'fd:7']);
  });

  it('refuses what it does not build: stub domains, qemu-traditional, rombios, an initrd without kernel', () => {
    expect(() => dm(`${HVM}device_model_stubdomain_override = 1\n`)).toThrow(DmArgsError);
    expect(() => dm(`${HVM}device_model_version = "qemu-xen-traditional"\n`)).toThrow(/traditional/);
    expect(() => dm(`${HVM}bios = "rombios"\n`)).toThrow(/rombios/);
    expect(() => dm(`${HVM}ramdisk = "/i"\n`)).toThrow(/kernel missing/);
  });
});

describe('disks', () => {
  const disks = (list: string, extra = '', v: XenVersion = '4.17', input: Partial<DmArgsInput> = {}) => {
    const r = dm(`${HVM}${extra}disk = [ ${list} ]\n`, v, input);
    return { tail: r.argv.slice(r.argv.indexOf('-m') + 2), all: r.argv, warnings: r.warnings ?? [] };
  };

  it('hd/xvd disks 0-3 on IDE, cdroms on IDE with and without a medium', () => {
    expect(disks('"/a.img,raw,xvdb,w", "/b.img,raw,hdd,w", ",raw,hda:cdrom,r", "/c.iso,raw,xvdc,r,devtype=cdrom"').tail).toEqual([
      '-drive', 'file=/a.img,if=ide,index=1,media=disk,format=raw,cache=writeback',
      '-drive', 'file=/b.img,if=ide,index=3,media=disk,format=raw,cache=writeback',
      '-drive', 'if=none,readonly=on,id=ide-768', '-device', 'ide-cd,id=ide-768,drive=ide-768,bus=ide.0,unit=0',
      '-drive', 'if=none,readonly=on,id=ide-51744,file=/c.iso,format=raw', '-device', 'ide-cd,id=ide-51744,drive=ide-51744,bus=ide.1,unit=0',
    ]);
  });

  it('a partition is emulated as its disk', () => {
    expect(disks('"/a.img,raw,xvda1,w"').tail).toEqual(['-drive', 'file=/a.img,if=ide,index=0,media=disk,format=raw,cache=writeback']);
  });

  it('beyond the fourth disk only the PV driver sees it; a cdrom may be the fifth', () => {
    const r = disks('"/e.img,raw,xvde,w", "/e.iso,raw,xvde,r,devtype=cdrom", "/f.iso,raw,xvdf,r,devtype=cdrom"');
    expect(r.tail).toEqual([
      '-drive', 'if=none,readonly=on,id=ide-51776,file=/e.iso,format=raw', '-device', 'ide-cd,id=ide-51776,drive=ide-51776,bus=ide.2,unit=0',
    ]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/Only 4 emulated IDE disks.*xvde/);
    expect(r.warnings[1]).toMatch(/first 4 disks.*xvdf/);
  });

  it('sdX disks are SCSI behind an LSI controller added before the serial ports; read-only is allowed there', () => {
    const r = disks('"/s.img,raw,sdb,r"', 'serial = "pty"\n');
    expect(r.all.indexOf('lsi53c895a')).toBe(r.all.indexOf('-serial') - 1);
    expect(r.tail).toEqual([
      '-drive', 'file=/s.img,id=scsi0-hd1,format=raw,if=none,readonly=on,cache=writeback',
      '-device', 'scsi-hd,drive=scsi0-hd1,scsi-id=1',
    ]);
    // A cdrom named sdX does not bring the controller.
    expect(disks('"/s.iso,raw,sdc,r,devtype=cdrom"').all).not.toContain('lsi53c895a');
  });

  it('hdtype="ahci": the first six disks on AHCI, cdroms stay on IDE', () => {
    const r = disks('"/a.img,raw,xvda,w", "/f.img,raw,xvdf,w", "/g.img,raw,xvdg,w", "/c.iso,raw,hdc,r,devtype=cdrom"', 'hdtype = "ahci"\n');
    expect(r.all.slice(r.all.indexOf('-m') + 2)).toEqual([
      '-device', 'ahci,id=ahci0',
      '-drive', 'file=/a.img,if=none,id=ahcidisk-0,format=raw,cache=writeback', '-device', 'ide-hd,bus=ahci0.0,unit=0,drive=ahcidisk-0',
      '-drive', 'file=/f.img,if=none,id=ahcidisk-5,format=raw,cache=writeback', '-device', 'ide-hd,bus=ahci0.5,unit=0,drive=ahcidisk-5',
      '-drive', 'if=none,readonly=on,id=ide-5632,file=/c.iso,format=raw', '-device', 'ide-cd,id=ide-5632,drive=ide-5632,bus=ide.1,unit=0',
    ]);
    expect(r.warnings).toEqual([expect.stringMatching(/xvdg/)]);
  });

  it('read-only IDE and AHCI disks are refused', () => {
    expect(() => disks('"/a.img,raw,hda,r"')).toThrow(/read-only IDE/);
    expect(() => disks('"/a.img,raw,hda,r"', 'hdtype = "ahci"\n')).toThrow(/read-only AHCI/);
  });

  it('non-raw images go through qdisk with QEMU\'s format name', () => {
    expect(disks('"/q.qcow2,qcow2,hda,w", "/v.vhd,vhd,hdb,w"').tail).toEqual([
      '-drive', 'file=/q.qcow2,if=ide,index=0,media=disk,format=qcow2,cache=writeback',
      '-drive', 'file=/v.vhd,if=ide,index=1,media=disk,format=vpc,cache=writeback',
    ]);
  });

  it('a script disk needs the path its script made; a settled phy disk is always raw to QEMU', () => {
    const d = '"vdev=hda,script=block-iscsi,target=iqn.x"';
    const r = disks(d);
    expect(r.tail).toEqual([]);
    expect(r.warnings[0]).toMatch(/No way to get local access disk to image: hda/);
    expect(disks(d, '', '4.17', { diskLocalPaths: { hda: '/dev/sdz' } }).tail)
      .toEqual(['-drive', 'file=/dev/sdz,if=ide,index=0,media=disk,format=raw,cache=writeback']);
  });

  it('a driver domain\'s disk and a numeric vdev are not emulated', () => {
    const r = disks('"/a.img,raw,hda,w,backend=dd", "/b.img,raw,51728,w"');
    expect(r.tail).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/local access.*hda/), 'unable to determine disk number for 51728']);
  });

  it('cdrom backends: qdisk only on 4.17, phy also on 4.20', () => {
    expect(() => disks('"/c.iso,raw,hdc,r,devtype=cdrom,backendtype=phy"', '', '4.17')).toThrow(/must be Qdisk$/);
    expect(disks('"/c.iso,raw,hdc,r,devtype=cdrom,backendtype=phy"', '', '4.20').tail.slice(0, 2))
      .toEqual(['-drive', 'if=none,readonly=on,id=ide-5632,file=/c.iso,format=raw']);
  });
});

describe('nics', () => {
  it('model, MAC and bridge per nic; devids in order; PV-only nics get no emulated twin', () => {
    const r = dm(`${HVM}vif = [ "model=e1000,mac=00:16:3e:01:02:03,bridge=br1", "type=vif", "" ]\n`);
    expect(all(r.argv, '-device').filter((d) => /netdev/.test(d))).toEqual([
      'e1000,id=nic0,netdev=net0,mac=00:16:3e:01:02:03', 'rtl8139,id=nic2,netdev=net2,mac=00:16:3e:0a:0b:0c',
    ]);
    expect(all(r.argv, '-netdev')).toEqual([
      'type=tap,id=net0,ifname=vif5.0-emu,br=br1,script=no,downscript=no',
      'type=tap,id=net2,ifname=vif5.2-emu,br=xenbr0,script=no,downscript=no',
    ]);
    expect(r.argv).not.toContain('-net');
    expect(after(dm(`${HVM}vif = [ "type=vif" ]\n`).argv, '-net')).toBe('none');
  });

  it('tap names and script follow the dom0 OS', () => {
    expect(all(dm(`${HVM}vif = [ "" ]\n`, '4.17', { os: 'netbsd' }).argv, '-netdev'))
      .toEqual(['type=tap,id=net0,ifname=xvif5i0-emu,br=xenbr0,script=/etc/xen/scripts/qemu-ifup,downscript=/etc/xen/scripts/qemu-ifup']);
    expect(all(dm(`${HVM}vif = [ "" ]\n`, '4.17', { os: 'freebsd' }).argv, '-netdev'))
      .toEqual(['type=tap,id=net0,ifname=xnb5.0-emu,br=xenbr0,script=no,downscript=no']);
  });

  it('without a MAC one is made with Xen\'s OUI', () => {
    const r = deviceModelArgs({ domid: 1, config: config(`${HVM}vif = [ "" ]\n`), xenVersion: '4.17' });
    expect(all(r.argv, '-device').find((d) => d.startsWith('rtl8139'))).toMatch(/^rtl8139,id=nic0,netdev=net0,mac=00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
  });
});

describe('channels', () => {
  const CH = `${HVM}channel = [ "name=org.qemu.guest_agent.0,connection=socket,path=/run/ga.sock", "name=x,connection=pty" ]\n`;
  it('4.17\'s xl numbers channels from 0', () => {
    expect(all(dm(CH, '4.17').argv, '-chardev').slice(2)).toEqual([
      'socket,id=libxl-channel0,path=/run/ga.sock,server=on,wait=off', 'pty,id=libxl-channel1',
    ]);
  });
  it('4.20\'s xl leaves devids to libxl, which counts from 1 after the console', () => {
    expect(all(dm(CH, '4.20').argv, '-chardev').slice(2)).toEqual([
      'socket,id=libxl-channel1,path=/run/ga.sock,server=on,wait=off', 'pty,id=libxl-channel2',
    ]);
  });
});

describe('dm_restrict and the user QEMU runs as', () => {
  const R = `${HVM}dm_restrict = 1\n`;
  it('4.17: pre-opened QMP socket, paused start, -chroot and -runas', () => {
    const r = dm(R, '4.17', { runas: '131072:131072' });
    expect(r.argv.slice(4, 9)).toEqual(['-chardev', 'socket,id=libxl-cmd,fd=3,server=on,wait=off', '-S', '-mon', 'chardev=libxl-cmd,mode=control']);
    const m = r.argv.indexOf('-machine');
    expect(r.argv.slice(m - 3, m)).toEqual(['-xen-domid-restrict', '-chroot', '/var/run/xen/qemu-root-5']);
    expect(r.argv.slice(-2)).toEqual(['-runas', '131072:131072']);
    expect(r.chrootDir).toBe('/var/run/xen/qemu-root-5');
  });

  it('4.20: -run-with when the probe found it, the old options when not', () => {
    const r = dm(R, '4.20', { runas: '131072:131072', qmpFd: 4 });
    expect(r.argv[5]).toBe('socket,id=libxl-cmd,fd=4,server=on,wait=off');
    const m = r.argv.indexOf('-machine');
    expect(r.argv.slice(m - 3, m)).toEqual(['-xen-domid-restrict', '-run-with', 'chroot=/var/run/xen/qemu-root-5']);
    expect(r.argv.slice(-2)).toEqual(['-run-with', 'user=131072:131072']);
    const old = dm(R, '4.20', { runas: 'qemu', qemuRunWith: { chroot: false, user: false } }).argv;
    expect(old).toContain('-chroot');
    expect(old.slice(-2)).toEqual(['-runas', 'qemu']);
  });

  it('device_model_user alone sets the user; dm_restrict without a resolved user is an error', () => {
    const a = dm(`${HVM}device_model_user = "xen-qemu"\n`).argv;
    expect(a.slice(-2)).toEqual(['-runas', 'xen-qemu']);
    expect(a).not.toContain('-xen-domid-restrict');
    expect(() => dm(R)).toThrow(/dm_restrict needs the user/);
    expect(dm(HVM).argv).not.toContain('-runas');
  });
});

describe('PV and PVH guests (a QEMU for their vfb and qdisk backends)', () => {
  it('attach to the domain with the xenpv machine; vnc from the first vfb', () => {
    const r = dm('name = "p"\nkernel = "/k"\nmemory = 64\nvfb = [ "vnc=1,vnclisten=0.0.0.0,keymap=fr" ]\ndisk = [ "/a.img,raw,xvda,w" ]\n');
    expect(r.argv).toEqual([
      ...head(), '-nodefaults', '-no-user-config', '-xen-attach', '-name', 'p', '-vnc', '0.0.0.0:0,to=99', '-display', 'none', '-k', 'fr',
      '-machine', 'xenpv', '-m', '64',
    ]);
    expect(r.env).toEqual({ XEN_QEMU_CONSOLE_LIMIT: '1048576' });
  });

  it('without a vfb there is no graphics at all', () => {
    const r = dm('name = "p"\ntype = "pvh"\nkernel = "/k"\nmemory = 64\ndevice_model_args_pv = [ "-x" ]\n', '4.20');
    expect(r.argv.slice(r.argv.indexOf('-vnc'))).toEqual(['-vnc', 'none', '-display', 'none', '-nographic', '-machine', 'xenpv', '-x', '-m', '64']);
    expect(r.env).toEqual({});
  });
});
