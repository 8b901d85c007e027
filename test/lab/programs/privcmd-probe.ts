// Runs in the lab's dom0 (bundled by the lab test): every privcmd wrapper against the real hypervisor, as JSON.
import { probeToJson, runProbe } from '../../../src/privcmd/index.js';

process.stdout.write(`${probeToJson(runProbe({}))}\n`);
