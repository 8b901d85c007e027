// The argv and environment of every hotplug pass, per OS, as libxl builds them.
import { describe, expect, it } from 'vitest';
import { hostOs, hotplugRuns, usesHotplugScript, type HotplugDevice } from '../../../src/device-hotplug/index.js';

const vbd: HotplugDevice = {
  backendKind: 'vbd', domid: 3, devid: 51712, backendPath: '/local/domain/0/backend/vbd/3/51712', script: '/etc/xen/scripts/block',
};
const vif: HotplugDevice = {
  backendKind: 'vif', domid: 3, devid: 1, backendPath: '/local/domain/0/backend/vif/3/1', script: '/etc/xen/scripts/vif-bridge',
  nictype: 'vif', gatewaydev: null,
};
const ioemu: HotplugDevice = { ...vif, nictype: 'vif_ioemu', gatewaydev: 'eth0' };
const qdisk: HotplugDevice = { ...vbd, backendKind: 'qdisk', backendPath: '/local/domain/0/backend/qdisk/3/51712' };

describe('linux', () => {
  const linuxBase = { XENBUS_BASE_PATH: 'backend' };

  it('vbd: the action word, XENBUS_* environment', () => {
    const env = { ...linuxBase, script: '/etc/xen/scripts/block', XENBUS_TYPE: 'vbd', XENBUS_PATH: 'backend/vbd/3/51712' };
    expect(hotplugRuns('linux', vbd, 'add')).toEqual([{ script: '/etc/xen/scripts/block', args: ['add'], env }]);
    expect(hotplugRuns('linux', vbd, 'remove')).toEqual([{ script: '/etc/xen/scripts/block', args: ['remove'], env }]);
  });

  it('vbd3 (4.20): like vbd, with its own XENBUS_TYPE', () => {
    const d = { ...vbd, backendKind: 'vbd3', script: '/etc/xen/scripts/block-tap' };
    expect(hotplugRuns('linux', d, 'add')).toEqual([{
      script: '/etc/xen/scripts/block-tap', args: ['add'],
      env: { ...linuxBase, script: '/etc/xen/scripts/block-tap', XENBUS_TYPE: 'vbd3', XENBUS_PATH: 'backend/vbd3/3/51712' },
    }]);
  });

  it('vif: online/offline with type_if=vif, one pass, netdev empty without gatewaydev', () => {
    const env = {
      ...linuxBase, script: '/etc/xen/scripts/vif-bridge', XENBUS_TYPE: 'vif', XENBUS_PATH: 'backend/vif/3/1', netdev: '', vif: 'vif3.1',
    };
    expect(hotplugRuns('linux', vif, 'add')).toEqual([{ script: '/etc/xen/scripts/vif-bridge', args: ['online', 'type_if=vif'], env }]);
    expect(hotplugRuns('linux', vif, 'remove')).toEqual([{ script: '/etc/xen/scripts/vif-bridge', args: ['offline', 'type_if=vif'], env }]);
  });

  it('vif_ioemu: a second pass for the tap, both passes with INTERFACE and vif', () => {
    const env = {
      ...linuxBase, script: '/etc/xen/scripts/vif-bridge', XENBUS_TYPE: 'vif', XENBUS_PATH: 'backend/vif/3/1',
      netdev: 'eth0', INTERFACE: 'vif3.1-emu', vif: 'vif3.1',
    };
    expect(hotplugRuns('linux', ioemu, 'add')).toEqual([
      { script: '/etc/xen/scripts/vif-bridge', args: ['online', 'type_if=vif'], env },
      { script: '/etc/xen/scripts/vif-bridge', args: ['add', 'type_if=tap'], env },
    ]);
    expect(hotplugRuns('linux', ioemu, 'remove').map((r) => r.args)).toEqual([['offline', 'type_if=vif'], ['remove', 'type_if=tap']]);
  });

  it('vif_ioemu with a stub domain: the PV pass only', () => {
    const runs = hotplugRuns('linux', { ...ioemu, stubdom: true }, 'add');
    expect(runs.map((r) => r.args)).toEqual([['online', 'type_if=vif']]);
    expect(runs[0].env.INTERFACE).toBe('vif3.1-emu');
  });

  it('a vif with no known nictype cannot run', () => {
    expect(() => hotplugRuns('linux', { ...vif, nictype: undefined }, 'add')).toThrow('unable to read nictype from /local/domain/0/backend/vif/3/1');
  });
});

describe('netbsd', () => {
  it('vbd: backend path and the xenbus state, no environment', () => {
    expect(hotplugRuns('netbsd', vbd, 'add')).toEqual([
      { script: '/etc/xen/scripts/block', args: ['/local/domain/0/backend/vbd/3/51712', '2'], env: {} },
    ]);
    expect(hotplugRuns('netbsd', vbd, 'remove')).toEqual([
      { script: '/etc/xen/scripts/block', args: ['/local/domain/0/backend/vbd/3/51712', '6'], env: {} },
    ]);
  });

  it('vif: one pass whatever the nictype (QEMU plugs the emulated nic)', () => {
    const one = (a: string) => [{ script: '/etc/xen/scripts/vif-bridge', args: ['/local/domain/0/backend/vif/3/1', a], env: {} }];
    expect(hotplugRuns('netbsd', vif, 'add')).toEqual(one('2'));
    expect(hotplugRuns('netbsd', vif, 'remove')).toEqual(one('6'));
    expect(hotplugRuns('netbsd', ioemu, 'add')).toEqual(one('2'));
    expect(hotplugRuns('netbsd', { ...ioemu, stubdom: true }, 'remove')).toEqual(one('6'));
    // NetBSD never asks for the nictype.
    expect(hotplugRuns('netbsd', { ...vif, nictype: undefined }, 'add')).toEqual(one('2'));
  });

  it('vbd3 runs nothing', () => {
    expect(hotplugRuns('netbsd', { ...vbd, backendKind: 'vbd3' }, 'add')).toEqual([]);
  });
});

describe('freebsd', () => {
  it('vbd: backend path and the action word, no environment', () => {
    expect(hotplugRuns('freebsd', vbd, 'add')).toEqual([
      { script: '/etc/xen/scripts/block', args: ['/local/domain/0/backend/vbd/3/51712', 'add'], env: {} },
    ]);
    expect(hotplugRuns('freebsd', vbd, 'remove')).toEqual([
      { script: '/etc/xen/scripts/block', args: ['/local/domain/0/backend/vbd/3/51712', 'remove'], env: {} },
    ]);
  });

  it('vif: one pass on the xnb interface', () => {
    for (const a of ['add', 'remove'] as const) {
      expect(hotplugRuns('freebsd', vif, a)).toEqual([{
        script: '/etc/xen/scripts/vif-bridge', args: ['/local/domain/0/backend/vif/3/1', a], env: { iface_dev: 'xnb3.1', emulated: '0' },
      }]);
    }
  });

  it('vif_ioemu: the PV interface, then the emulated one', () => {
    const args = ['/local/domain/0/backend/vif/3/1', 'add'];
    expect(hotplugRuns('freebsd', ioemu, 'add')).toEqual([
      { script: '/etc/xen/scripts/vif-bridge', args, env: { iface_dev: 'xnb3.1', emulated: '0' } },
      { script: '/etc/xen/scripts/vif-bridge', args, env: { iface_dev: 'xnb3.1-emu', emulated: '1' } },
    ]);
    expect(hotplugRuns('freebsd', { ...ioemu, stubdom: true }, 'remove')).toEqual([
      { script: '/etc/xen/scripts/vif-bridge', args: ['/local/domain/0/backend/vif/3/1', 'remove'], env: { iface_dev: 'xnb3.1', emulated: '0' } },
    ]);
  });

  it('a vif with no known nictype cannot run; vbd3 runs nothing', () => {
    expect(() => hotplugRuns('freebsd', { ...vif, nictype: undefined }, 'add')).toThrow(/unable to read nictype/);
    expect(hotplugRuns('freebsd', { ...vbd, backendKind: 'vbd3' }, 'add')).toEqual([]);
  });
});

describe('kinds without scripts', () => {
  it('qdisk, console, vkbd: nothing on any OS', () => {
    for (const os of ['linux', 'netbsd', 'freebsd'] as const) {
      for (const backendKind of ['qdisk', 'console', 'vkbd', 'toString', '__proto__']) {
        expect(hotplugRuns(os, { ...qdisk, backendKind }, 'add')).toEqual([]);
        expect(hotplugRuns(os, { ...qdisk, backendKind }, 'remove')).toEqual([]);
        expect(usesHotplugScript(os, backendKind)).toBe(false);
      }
      expect(usesHotplugScript(os, 'vbd')).toBe(true);
      expect(usesHotplugScript(os, 'vif')).toBe(true);
    }
    expect(usesHotplugScript('linux', 'vbd3')).toBe(true);
  });
});

describe('hostOs', () => {
  it('maps the three Xen dom0 platforms, nothing else', () => {
    expect(hostOs('linux')).toBe('linux');
    expect(hostOs('netbsd')).toBe('netbsd');
    expect(hostOs('freebsd')).toBe('freebsd');
    expect(hostOs('darwin')).toBeNull();
    expect(hostOs('openbsd')).toBeNull();
    expect(hostOs()).toBe(hostOs(process.platform));
  });
});
