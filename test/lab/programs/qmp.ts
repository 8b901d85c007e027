// Runs in the lab's dom0 (bundled by the lab test): send QMP commands to a domain's QEMU with our client and print
// the results as JSON.  node qmp.mjs <domid> <command>...
import { qmpExecute } from '../../../src/libxl/device-model/qmp.js';

const [domid, ...commands] = process.argv.slice(2);
const results = await qmpExecute(Number(domid), commands.map((execute) => ({ execute })));
process.stdout.write(JSON.stringify(results) + '\n');
