// A libxl context over fakes: the real XenCtrl on FakeXen, the real xenstore
// client on the in-process FakeXenstored. Domains get names in xenstore as
// libxl writes them.
import { openContext, type LibxlContext } from '../../../src/libxl/context.js';
import { XenCtrl } from '../../../src/privcmd/xenctrl.js';
import { XenStore } from '../../../src/xenstore-client/client.js';
import { FakeXen, type FakeDomain } from '../privcmd/fake-xen.js';
import { FakeXenstored } from '../xenstore-client/fake-xenstored.js';

export interface FakeHost {
  ctx: LibxlContext;
  xen: FakeXen;
  xsd: FakeXenstored;
  close(): Promise<void>;
}

export const uuidBytes = (seed: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (seed * 16 + i) & 0xff);

export async function fakeHost(domains: (FakeDomain & { name?: string })[], release: '4.17' | '4.20' = '4.17'): Promise<FakeHost> {
  const xen = new FakeXen({
    major: 4, minor: Number(release.split('.')[1]), domctlVersion: release === '4.17' ? 0x15 : 0x17, sysctlVersion: 0x15,
    nextDomainSemantics: release === '4.17', varbuf: release === '4.20', domains,
  });
  const xsd = new FakeXenstored();
  const socket = await xsd.listen();
  for (const d of domains) if (d.name !== undefined) xsd.put(`/local/domain/${d.domid}/name`, d.name);
  const ctx = openContext({
    openXc: () => XenCtrl.open({ transport: xen }),
    connectXs: () => XenStore.connect({ path: socket }),
  });
  return {
    ctx, xen, xsd,
    async close() {
      await ctx.close();
      await xsd.close();
    },
  };
}
