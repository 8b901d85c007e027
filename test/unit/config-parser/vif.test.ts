// vif specs (xl-network-configuration(5)) and vif rates (libxlu_vif.c).
import { describe, expect, it } from 'vitest';
import { applyVifToken, device_nic, initStruct, parseVifRate, VifRateError } from '../../../src/config-parser/index.js';

const nicFrom = (spec: string, version: '4.17' | '4.20' = '4.17') => {
  const nic = initStruct(device_nic);
  const issues = spec.split(',').filter(Boolean).flatMap((t) => applyVifToken(nic, t.replace(/^ +/, ''), version));
  return { nic, issues };
};

describe('vif tokens', () => {
  it('mac, bridge, ip, script, vifname, model, backend, gatewaydev', () => {
    const { nic, issues } = nicFrom('mac=00:16:3E:5e:ab:01,bridge=xenbr0,ip=192.0.2.1,script=vif-route,vifname=g0,model=e1000,backend=nd,gatewaydev=eth1');
    expect(issues).toEqual([]);
    expect(nic).toMatchObject({ mac: [0, 0x16, 0x3e, 0x5e, 0xab, 1], bridge: 'xenbr0', ip: '192.0.2.1', script: 'vif-route', ifname: 'g0', model: 'e1000', backend_domname: 'nd', gatewaydev: 'eth1' });
  });
  it('type=ioemu / type=vif', () => {
    expect(nicFrom('type=ioemu').nic.nictype).toBe('vif_ioemu');
    expect(nicFrom('type=vif').nic.nictype).toBe('vif');
    expect(nicFrom('type=tap').issues[0].message).toBe("Invalid parameter `type'");
  });
  it('mtu and devid are base 10', () => {
    expect(nicFrom('mtu=9000,devid=5').nic).toMatchObject({ mtu: 9000, devid: 5 });
  });
  it('a bad mac is reported; bytes before the bad one stay set, as in xl', () => {
    const { nic, issues } = nicFrom('mac=00:16:zz:00:00:01');
    expect(issues[0].message).toBe("Invalid parameter `mac'");
    expect(nic.mac).toEqual([0, 0x16, 0, 0, 0, 0]);
  });
  it('trusted / untrusted, netdev (deprecated), accel (ignored)', () => {
    expect(nicFrom('untrusted').nic.trusted).toBe(false);
    expect(nicFrom('netdev=eth0').nic.gatewaydev).toBe('eth0');
    expect(nicFrom('accel=x').issues[0].severity).toBe('warning');
  });
  it('vlan= exists from 4.20 only', () => {
    expect(nicFrom('vlan=10', '4.20').nic.vlan).toBe('10');
    expect(nicFrom('vlan=10', '4.17').issues[0].message).toMatch(/unrecognized argument/);
  });
  it('COLO settings set the field of the same name', () => {
    expect(nicFrom('colo_sock_mirror_port=9003,forwarddev=eth2').nic).toMatchObject({ colo_sock_mirror_port: '9003', coloft_forwarddev: 'eth2' });
  });
});

describe('vif rate', () => {
  it.each([
    ['10Mb/s@20ms', 25000n, 20000],
    ['1GB/s', 50000000n, 50000],
    ['100KB/s@1s', 100000n, 1000000],
    ['8b/s@1', 1n, 1000000],
    ['1000KB/s@500us', 500n, 500],
    ['1000B/s@500us', 0n, 500], // integer division, as in C
  ])('%s -> %s bytes per %i us', (rate, bytes, usecs) => {
    expect(parseVifRate(rate)).toEqual({ bytesPerInterval: bytes, intervalUsecs: usecs });
  });
  it.each(['', '10Mbps', '10M/s', '0B/s', '10MB/s@', '10MB/s@5x', '10MB/s@0'])('%j is rejected', (rate) => {
    expect(() => parseVifRate(rate)).toThrow(VifRateError);
  });
});
