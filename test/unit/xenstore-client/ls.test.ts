// renderTree must print what tools/xs-clients/xenstore_client.c's do_ls
// prints; expected strings below are worked out from that code by hand.
import { afterEach, describe, expect, it } from 'vitest';
import { renderTree, sanitiseValue } from '../../../src/xenstore-client/ls.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { XS } from '../../../src/xenstore-client/protocol.js';
import { FakeXenstored } from './fake-xenstored.js';

let fake: FakeXenstored;
let xs: XenStore;

async function setup() {
  fake = new FakeXenstored();
  xs = await XenStore.connect({ path: await fake.listen() });
  fake.put('/t/a', '1', ['n0']);
  fake.put('/t/a/b', 'hello', ['n0', 'r5']);
  fake.put('/t/c', '', ['b2', 'r0']);
}

afterEach(async () => {
  await xs?.close();
  await fake?.close();
});

describe('sanitiseValue', () => {
  it('escapes like xenstore-ls', () => {
    const raw = Buffer.from([0x41, 0x5c, 0x09, 0x0a, 0x0d, 0x00, 0x07, 0x08, 0x1f, 0x7f, 0xff, 0x22, 0x7e, 0x20]);
    expect(sanitiseValue(raw)).toBe('A\\\\\\t\\n\\r\\000\\007\\x08\\x1f\\x7f\\xff"~ ');
  });
});

describe('renderTree', () => {
  it('prints names and values with one space of indent per level', async () => {
    await setup();
    expect(await renderTree(xs, '/t')).toBe('a = "1"\n b = "hello"\nc = ""\n');
  });

  it('pads with ". ." to column 60 and appends permissions with -p', async () => {
    await setup();
    const out = await renderTree(xs, '/t', { perms: true });
    expect(out.split('\n')).toEqual([
      // linewid 7 after `a = "1"`: a space, then columns 8..59 alternate ' ' and '.'.
      'a = "1" ' + ' .'.repeat(26) + '  (n0)',
      ' b = "hello" ' + '. '.repeat(23) + '.' + '  (n0,r5)',
      'c = "" ' + '. '.repeat(26) + '.' + '  (b2,r0)',
      '',
    ]);
    for (const line of out.trimEnd().split('\n')) expect(line.indexOf('  (')).toBe(60);
  });

  it('prints full paths with -f and never pads', async () => {
    await setup();
    expect(await renderTree(xs, '/t', { flat: true })).toBe('/t/a = "1"\n/t/a/b = "hello"\n/t/c = ""\n');
    expect(await renderTree(xs, '/t', { flat: true, perms: true })).toBe(
      '/t/a = "1"   (n0)\n/t/a/b = "hello"   (n0,r5)\n/t/c = ""   (b2,r0)\n',
    );
  });

  it('cuts long values and names to the width', async () => {
    await setup();
    fake.put('/w/long', 'x'.repeat(100));
    fake.put('/w/abcdefghijklmnopqrstuvwxyz', 'v');
    expect(await renderTree(xs, '/w')).toBe(`long = "${'x'.repeat(68)}\\..."\nabcdefghijklmnopqrstuvwxyz = "v"\n`);
    expect(await renderTree(xs, '/w', { width: 20 })).toBe(`long = "${'x'.repeat(8)}\\..."\nabcdefghijkl = "\\..."\n`);
    // Truncated lines get no padding even with -p.
    expect((await renderTree(xs, '/w', { perms: true })).split('\n')[0]).toBe(`long = "${'x'.repeat(68)}\\..."  (n0)`);
  });

  it('escapes values and measures the raw length', async () => {
    await setup();
    fake.put('/e/v', Buffer.from('a\tb\\c'));
    expect(await renderTree(xs, '/e')).toBe('v = "a\\tb\\\\c"\n');
  });

  it('lists from the root without a double slash', async () => {
    fake = new FakeXenstored();
    xs = await XenStore.connect({ path: await fake.listen() });
    expect(await renderTree(xs, '/', { flat: true })).toBe(
      '/local = ""\n/local/domain = ""\n/local/domain/0 = ""\n/tool = ""\n',
    );
  });

  it('prints ":" for unreadable values and keeps going', async () => {
    await setup();
    fake.put('/r/secret', 's', ['n0']);
    fake.put('/r/secret/child', 'c', ['b7']);
    fake.put('/r/open', 'o', ['r0']);
    [...fake.conns][0].domid = 7;
    expect(await renderTree(xs, '/r')).toBe('secret:\n\n child = "c"\nopen = "o"\n');
    expect(await renderTree(xs, '/r', { perms: true })).toBe(
      'secret:\n  (n0)\n child = "c" ' + '. '.repeat(23) + '.  (b7)\nopen = "o" ' + '. '.repeat(24) + '.  (r0)\n',
    );
  });

  it('skips nodes that vanish while walking, but not a missing start', async () => {
    await setup();
    fake.intercept = (m, conn) => {
      if (m.type === XS.DIRECTORY && m.payload.toString() === '/t/a\0') {
        conn.send({ type: XS.ERROR, reqId: m.reqId, txId: 0, payload: Buffer.from('ENOENT\0') });
        return 'handled';
      }
    };
    expect(await renderTree(xs, '/t')).toBe('a = "1"\nc = ""\n');
    await expect(renderTree(xs, '/missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps depth-first order on a wide tree fetched concurrently', async () => {
    await setup();
    let expected = '';
    for (let i = 0; i < 30; i++) {
      fake.put(`/big/n${i}`, `${i}`);
      expected += `n${i} = "${i}"\n`;
      for (let j = 0; j < 3; j++) {
        fake.put(`/big/n${i}/k${j}`, `${i}.${j}`);
        expected += ` k${j} = "${i}.${j}"\n`;
      }
    }
    expect(await renderTree(xs, '/big', { concurrency: 4 })).toBe(expected);
  });

  it('reports unreadable permissions as a warning, like the C tool on stderr', async () => {
    await setup();
    fake.intercept = (m, conn) => {
      if (m.type === XS.GET_PERMS) {
        conn.send({ type: XS.ERROR, reqId: m.reqId, txId: 0, payload: Buffer.from('EACCES\0') });
        return 'handled';
      }
    };
    const warnings: string[] = [];
    const out = await renderTree(xs, '/t', { perms: true, onWarning: (w) => warnings.push(w) });
    expect(out.split('\n')[0]).toBe('a = "1" ' + ' .'.repeat(26));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^could not access permissions for a: .*EACCES/);
  });
});
