// Our xl as dom0 runs it: installed from the project share into dom0's own filesystem by scripts/install.mjs, as a
// real host would have it (node reading the bundle over 9p is a lab artefact that costs seconds per command).
export const OUR_XL_PREFIX = '/opt/xenlight-ts';
export const OUR_XL = `${OUR_XL_PREFIX}/sbin/xl`;

/** (Re)installs the project's current build into dom0; throws with the installer's stderr when it fails. */
export async function installOurXl(client) {
  const r = await client.exec({ argv: ['node', '/project/scripts/install.mjs', '--prefix', OUR_XL_PREFIX], timeout: 300 });
  if (r.code !== 0) {
    throw new Error(`installing our xl into dom0 (${OUR_XL_PREFIX}) failed with exit ${r.code}: ${r.stderr.toString().trim()}`);
  }
  return r.stdout.toString().trim();
}
