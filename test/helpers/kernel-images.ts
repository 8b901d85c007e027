// Small kernel images for tests: a minimal x86-64 PV ELF with the Xen notes
// Linux carries, and a bzImage wrapper around a payload.

/** Linux's __START_KERNEL_map, where x86-64 PV kernels are linked. */
export const VIRT_BASE = 0xffffffff80000000n;

/** A minimal ELF64 x86-64 image: one PT_LOAD of `code` at paddr, one PT_NOTE with Xen notes. */
export function makeElf(opts: { paddr?: bigint; code?: Buffer; memsz?: number; notes?: [number, Buffer][] } = {}): Buffer {
  const paddr = opts.paddr ?? 0x1000000n;
  const code = opts.code ?? Buffer.from('KERNEL-CODE');
  const notes = Buffer.concat((opts.notes ?? []).map(([type, desc]) => {
    const h = Buffer.alloc(12 + 4);
    h.writeUInt32LE(4, 0); h.writeUInt32LE(desc.length, 4); h.writeUInt32LE(type, 8); h.write('Xen\0', 12, 'latin1');
    const pad = Buffer.alloc((4 - (desc.length % 4)) % 4);
    return Buffer.concat([h, desc, pad]);
  }));
  const ehdr = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(ehdr);
  ehdr.writeUInt16LE(2, 16); ehdr.writeUInt16LE(62, 18);
  ehdr.writeBigUInt64LE(VIRT_BASE + paddr, 24);
  ehdr.writeBigUInt64LE(64n, 32);
  ehdr.writeUInt16LE(56, 54); ehdr.writeUInt16LE(2, 56);
  const ph = Buffer.alloc(112);
  const codeOff = 64 + 112;
  ph.writeUInt32LE(1, 0); ph.writeBigUInt64LE(BigInt(codeOff), 8); ph.writeBigUInt64LE(paddr, 24);
  ph.writeBigUInt64LE(BigInt(code.length), 32); ph.writeBigUInt64LE(BigInt(opts.memsz ?? code.length), 40);
  ph.writeUInt32LE(4, 56); ph.writeBigUInt64LE(BigInt(codeOff + code.length), 64);
  ph.writeBigUInt64LE(BigInt(notes.length), 88);
  return Buffer.concat([ehdr, ph, code, notes]);
}
export const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return b; };
export const LINUX_NOTES: [number, Buffer][] = [
  [6, Buffer.from('linux\0')], [3, u64(VIRT_BASE)], [4, u64(0n)], [1, u64(VIRT_BASE + 0x1000000n)],
  [8, Buffer.from('generic\0')], [10, Buffer.from('!writable_page_tables|pae_pgdir_above_4gb\0')],
  [16, Buffer.from([1, 0, 0, 0])], [13, Buffer.alloc(16)],
];

/** A fake bzImage: setup header with payload_offset/length, gzip payload. */
export function makeBzImage(payload: Buffer): Buffer {
  const setupSects = 4;
  const hdr = Buffer.alloc((setupSects + 1) * 512);
  hdr[0x1f1] = setupSects;
  hdr.write('HdrS', 0x202, 'latin1');
  hdr.writeUInt16LE(0x20f, 0x206);
  hdr.writeUInt32LE(16, 0x248);
  hdr.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([hdr, Buffer.alloc(16), payload, Buffer.alloc(32)]);
}


/** SCHEDOP_shutdown reasons (xen/include/public/sched.h). */
export const SHUTDOWN_REASON = { poweroff: 0, reboot: 1, crash: 3 } as const;

/**
 * x86-64 PV code that shuts its domain down at once with `reason`: the sched_op hypercall made directly with
 * `syscall` (rax = __HYPERVISOR_sched_op 29, rdi = SCHEDOP_shutdown 2, rsi = &struct sched_shutdown), which is
 * what a 64-bit PV kernel's hypercall page does. Should the hypercall return, `hlt` faults and the domain crashes.
 */
export function selfShutdownCode(reason: keyof typeof SHUTDOWN_REASON): Buffer {
  const code = Buffer.from([
    0xbf, 0x02, 0x00, 0x00, 0x00, //       mov edi, 2            ; SCHEDOP_shutdown
    0x48, 0x8d, 0x35, 0x0c, 0x00, 0x00, 0x00, // lea rsi, [rip + 12] ; the reason at offset 24
    0xb8, 0x1d, 0x00, 0x00, 0x00, //       mov eax, 29           ; __HYPERVISOR_sched_op
    0x0f, 0x05, //                         syscall
    0xf4, 0xeb, 0xfd, //                   hlt; jmp hlt
    0x00, 0x00, //                         pad to 24
    0x00, 0x00, 0x00, 0x00, //             struct sched_shutdown { reason }
  ]);
  code.writeUInt32LE(SHUTDOWN_REASON[reason], 24);
  return code;
}

/**
 * A PC boot sector that SeaBIOS runs from an HVM guest's first disk: it writes `marker` and a newline to Xen's HVM
 * debug port 0xe9 (the hypervisor prints it as "(d<domid>) <marker>" in `xl dmesg`) and to COM1 (QEMU's serial
 * port, the guest's `serial="pty"`), then idles with interrupts on (hlt with them off would take the vcpu down).
 * An HVM guest that shows firmware, QEMU's disk and a running vcpu in seconds, where Linux takes a minute.
 */
export function bootSector(marker: string): Buffer {
  const code = Buffer.from([
    0xfc, //                   cld                   ; lodsb counts up whatever SeaBIOS left in DF
    0x31, 0xc0, //             xor ax, ax
    0x8e, 0xd8, //             mov ds, ax
    0xbe, 0x00, 0x00, //       mov si, text          ; set below: 0x7c00 + the code's length
    0xac, //                   next: lodsb
    0x84, 0xc0, //             test al, al
    0x74, 0x0a, //             jz idle
    0xba, 0xe9, 0x00, //       mov dx, 0xe9
    0xee, //                   out dx, al
    0xba, 0xf8, 0x03, //       mov dx, 0x3f8
    0xee, //                   out dx, al
    0xeb, 0xf1, //             jmp next
    0xfb, //                   idle: sti
    0xf4, //                   hlt
    0xeb, 0xfc, //             jmp idle
  ]);
  code.writeUInt16LE(0x7c00 + code.length, 6);
  const sector = Buffer.alloc(512);
  code.copy(sector);
  const text = Buffer.from(`${marker}\r\n\0`, 'latin1');
  if (code.length + text.length > 510) throw new Error('boot sector marker too long');
  text.copy(sector, code.length);
  sector.writeUInt16LE(0xaa55, 510);
  return sector;
}
