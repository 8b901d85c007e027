import { describe, expect, it } from 'vitest';
import { BSD_IOC, OS_TABLE, PRIVCMD_STRUCTS, bsdIoc, linuxIoc, osFor } from '../../../src/privcmd/os.js';

describe('Linux privcmd ioctls', () => {
  // Values printed by gcc from linux-libc-dev 6.1's <xen/privcmd.h> on x86_64.
  const expected = {
    hypercall: 0x305000,
    mmap: 0x105002,
    mmapbatch: 0x185003,
    mmapbatch_v2: 0x205004,
    dm_op: 0x105005,
    restrict: 0x25006,
    mmap_resource: 0x205007,
  };
  for (const [role, req] of Object.entries(expected)) {
    it(`${role} = 0x${req.toString(16)}`, () => {
      expect(OS_TABLE.linux.ioctls[role as keyof typeof expected]?.request).toBe(req);
    });
  }

  it('encodes _IOC(dir, type, nr, size) per asm-generic', () => {
    expect(linuxIoc(0, 'P', 0, 48)).toBe(0x00305000);
    // _IOWR('P', 1, 8) = dir 3 << 30
    expect(linuxIoc(3, 'P', 1, 8)).toBe(0xc0085001);
    expect(() => linuxIoc(0, 'P', 0, 1 << 14)).toThrow(RangeError);
  });

  it('struct sizes match the kernel header', () => {
    expect(PRIVCMD_STRUCTS.hypercallLinux.size).toBe(48);
    expect(PRIVCMD_STRUCTS.mmap.size).toBe(16);
    expect(PRIVCMD_STRUCTS.mmapEntry.size).toBe(24);
    expect(PRIVCMD_STRUCTS.mmapbatch.size).toBe(24);
    expect(PRIVCMD_STRUCTS.mmapbatchV2.size).toBe(32);
    expect(PRIVCMD_STRUCTS.dmOpLinux.size).toBe(16);
    expect(PRIVCMD_STRUCTS.dmOpBuf.size).toBe(16);
    expect(PRIVCMD_STRUCTS.mmapResource.size).toBe(32);
    const v2 = PRIVCMD_STRUCTS.mmapbatchV2.fields;
    expect([v2.num.offset, v2.dom.offset, v2.addr.offset, v2.arr.offset, v2.err.offset]).toEqual([0, 4, 8, 16, 24]);
    const r = PRIVCMD_STRUCTS.mmapResource.fields;
    expect([r.dom.offset, r.type.offset, r.id.offset, r.idx.offset, r.num.offset, r.addr.offset])
      .toEqual([0, 4, 8, 12, 16, 24]);
    expect(PRIVCMD_STRUCTS.dmOpLinux.fields.ubufs.offset).toBe(8);
  });

  it('uses /dev/xen/privcmd, falls back to /proc, has the hypercall buffer device', () => {
    expect(OS_TABLE.linux.devices).toEqual(['/dev/xen/privcmd', '/proc/xen/privcmd']);
    expect(OS_TABLE.linux.hypercallBufDevice).toBe('/dev/xen/hypercall');
    expect(OS_TABLE.linux.hypercallResult).toBe('ioctl-return');
  });
});

describe('BSD ioctl encoding', () => {
  it('follows sys/ioccom.h', () => {
    // _IOWR('E', 0, 56): IN|OUT | 56<<16 | 'E'<<8 | 0
    expect(bsdIoc(BSD_IOC.IN | BSD_IOC.OUT, 'E', 0, 56)).toBe(0xc0384500);
    expect(bsdIoc(BSD_IOC.IN, 'P', 6, 32)).toBe(0x80205006);
    // length is masked to 13 bits
    expect(bsdIoc(BSD_IOC.IN, 'P', 1, 0x2000 + 4)).toBe(0x80045001);
  });

  it('FreeBSD: type E, hypercall carries retval, mmapbatch has the v2 err array', () => {
    const f = OS_TABLE.freebsd;
    expect(f.devices).toEqual(['/dev/xen/privcmd']);
    expect(f.ioctls.hypercall?.request).toBe(0xc0384500); // _IOWR('E',0,56)
    expect(f.ioctls.mmapbatch_v2?.request).toBe(0xc0204501); // _IOWR('E',1,32)
    expect(f.ioctls.mmap_resource?.request).toBe(0xc0204502); // _IOWR('E',2,32)
    expect(f.ioctls.dm_op?.request).toBe(0x80104503); // _IOW('E',3,16)
    expect(f.ioctls.restrict?.request).toBe(0x80024504); // _IOW('E',4,domid_t)
    expect(f.ioctls.mmapbatch_v2?.name).toBe('IOCTL_PRIVCMD_MMAPBATCH');
    expect(f.hypercallResult).toBe('retval-field');
    expect(f.foreignMapping).toBe('privcmd-fd');
    expect(PRIVCMD_STRUCTS.hypercallBsd.fields.retval.offset).toBe(48);
    expect(PRIVCMD_STRUCTS.dmOpFreeBsd.fields.num.offset).toBe(4);
  });

  it('NetBSD: /kern/xen/privcmd, type P, MMAPBATCH_V2 is nr 6, anonymous foreign maps', () => {
    const n = OS_TABLE.netbsd;
    expect(n.devices).toEqual(['/kern/xen/privcmd']);
    expect(n.ioctls.hypercall?.request).toBe(0xc0385000); // _IOWR('P',0,56)
    expect(n.ioctls.mmap?.request).toBe(0x80105002); // _IOW('P',2,16)
    expect(n.ioctls.mmapbatch?.request).toBe(0x80185003); // _IOW('P',3,24)
    expect(n.ioctls.mmapbatch_v2?.request).toBe(0x80205006); // _IOW('P',6,32)
    expect(n.ioctls.mmap_resource?.request).toBe(0x80205007); // _IOW('P',7,32)
    expect(n.foreignMapping).toBe('anonymous');
    expect(n.hypercallResult).toBe('retval-field');
  });

  it('keeps libc constants per OS', () => {
    expect(OS_TABLE.linux.sys.MAP_ANONYMOUS).toBe(0x20);
    expect(OS_TABLE.linux.sys.O_CLOEXEC).toBe(0x80000);
    expect(OS_TABLE.freebsd.sys.MAP_ANONYMOUS).toBe(0x1000);
    expect(OS_TABLE.netbsd.sys.O_CLOEXEC).toBe(0x400000);
    expect(osFor('linux')).toBe(OS_TABLE.linux);
    expect(() => osFor('win32')).toThrow(/win32/);
  });
});
