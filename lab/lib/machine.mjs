// Starting, watching and stopping one lab VM: Xen + Debian dom0 under qemu-system-x86_64 (TCG), its console log,
// the broker that carries commands to dom0's agent.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isBuilt, labPaths } from './build.mjs';
import { LabClient } from './client.mjs';
import { LAB_DIR, LabError, PROJECT_DIR, log, mkdirp, run, sleep } from './util.mjs';

// Measured on these machines (shared/lab-notes.md): smap=0 or the PV dom0 dies at once; bootscrub=0 or Xen scrubs
// all RAM under emulation; noreboot so a crash stays on the console. dom0_max_vcpus=1: with 2 dom0 vCPUs under TCG,
// multi-threaded dom0 processes (node) crash or read corrupt memory (2-4 in 40 node starts, also with
// thread=single); with 1 vCPU none in 40 and the loop ran 35% faster. Guests still get both CPUs.
/** The emulated CPU: `max` has SVM with NPT for PVH/HVM; minus RDTSCP and the AVX family (why: at its use below). */
const LAB_CPU = 'max,-rdtscp,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq';
const XEN_CMDLINE = 'dom0_mem=1024M,max:1024M dom0_max_vcpus=1 console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot smap=0 bootscrub=0';
const DOM0_CMDLINE = 'console=hvc0 earlyprintk=xen loglevel=5';
const READY_TIMEOUT_S = Number(process.env.XENLAB_READY_TIMEOUT ?? 240);

function runFiles(ver) {
  const dir = labPaths(ver).run;
  return {
    dir,
    pid: path.join(dir, 'qemu.pid'),
    brokerPid: path.join(dir, 'broker.pid'),
    console: path.join(dir, 'console.log'),
    agentSock: path.join(dir, 'agent.sock'),
    serialSock: path.join(dir, 'serial.sock'),
    execSock: path.join(dir, 'exec.sock'),
    started: path.join(dir, 'started'),
  };
}

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

export function consoleTail(ver, lines = 40) {
  try {
    const text = fs.readFileSync(runFiles(ver).console, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console log)';
  }
}

export function status(ver) {
  const f = runFiles(ver);
  const pid = readPid(f.pid);
  const running = alive(pid);
  let since = null;
  try {
    since = fs.readFileSync(f.started, 'utf8').trim();
  } catch {}
  return { xen: ver.name, built: isBuilt(ver), running, pid: running ? pid : null, since: running ? since : null, runDir: f.dir };
}

function otherRunningLabs(ver) {
  const base = path.dirname(labPaths(ver).dir);
  if (!fs.existsSync(base)) return [];
  return fs.readdirSync(base).filter((name) => {
    if (name === ver.name) return false;
    return alive(readPid(path.join(base, name, 'run', 'qemu.pid')));
  });
}

/** Boot the lab and wait until dom0 prints its marker and the agent answers. */
export async function start(ver) {
  if (!isBuilt(ver)) throw new LabError(`Xen ${ver.name} lab is not built: run 'lab/xenlab --xen ${ver.name} build'`);
  const f = runFiles(ver);
  if (alive(readPid(f.pid))) {
    log(`Xen ${ver.name} lab already running (pid ${readPid(f.pid)})`);
    return;
  }
  // Two labs fight over the 2 cores and HVM guests then miss their deadlines.
  const others = otherRunningLabs(ver);
  if (others.length) throw new LabError(`another lab is running (Xen ${others.join(', ')}): stop it first`);
  fs.rmSync(f.dir, { recursive: true, force: true });
  mkdirp(f.dir);
  const p = labPaths(ver);
  const comma = (s) => s.replace(/,/g, ',,'); // QEMU's option syntax doubles literal commas
  const args = [
    '-machine', 'pc', '-accel', process.env.XENLAB_ACCEL ?? 'tcg,thread=multi,tb-size=512',
    // -rdtscp: QEMU's TCG SVM reports an intercepted RDTSCP as RDTSC and Xen loops on PVH/HVM guests.
    // No AVX family: under QEMU 7.2's TCG with SVM, VEX instructions in PVH/HVM guests sometimes raise #UD although
    // CPUID offers AVX (seen twice: a PVH guest's busybox killed by #UD on vpxor); without AVX nobody uses them.
    '-cpu', process.env.XENLAB_CPU ?? LAB_CPU, '-smp', '2', '-m', '3072',
    '-display', 'none', '-vga', 'none', '-nic', 'none', '-no-reboot',
    '-kernel', p.xen, '-append', [XEN_CMDLINE, process.env.XENLAB_XEN_EXTRA].filter(Boolean).join(' '),
    '-initrd', `${comma(p.kernel)} ${comma(DOM0_CMDLINE)},${comma(p.initrd)}`,
    // The serial console is logged to a file and also reachable on a socket (`xenlab console --attach`): typing
    // there reaches a root shell in dom0, for when the agent cannot.
    '-chardev', `socket,id=serial0,path=${comma(f.serialSock)},server=on,wait=off,logfile=${comma(f.console)}`,
    '-serial', 'chardev:serial0',
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=agent,path=${comma(f.agentSock)},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=xenlab.agent',
    '-fsdev', `local,id=project,path=${comma(PROJECT_DIR)},security_model=none`,
    '-device', 'virtio-9p-pci,fsdev=project,mount_tag=project',
    '-fsdev', `local,id=hostnode,path=${comma(path.dirname(fs.realpathSync(process.execPath)))},security_model=none,readonly=on`,
    '-device', 'virtio-9p-pci,fsdev=hostnode,mount_tag=hostnode',
    '-monitor', 'none', '-daemonize', '-pidfile', f.pid,
  ];
  const t0 = Date.now();
  log(`starting Xen ${ver.name} lab`);
  // QEMU has once exited 1 at once right after another lab stopped: try a second time, saying so.
  const first = run('qemu-system-x86_64', args, { allowFail: true });
  if (first.status !== 0) {
    log(`QEMU exited ${first.status} at start (${`${first.stderr ?? ''}`.trim().split('\n').pop() || 'no message'}); starting it again`);
    await sleep(2000);
    run('qemu-system-x86_64', args);
  }
  fs.writeFileSync(f.started, new Date().toISOString());
  const broker = spawn(process.execPath, [path.join(LAB_DIR, 'lib/broker.mjs'), f.dir], { detached: true, stdio: 'ignore' });
  fs.writeFileSync(f.brokerPid, String(broker.pid));
  broker.unref();

  const deadline = Date.now() + READY_TIMEOUT_S * 1000;
  for (;;) {
    const text = fs.existsSync(f.console) ? fs.readFileSync(f.console, 'utf8') : '';
    const failed = /XENLAB-FAILED: (.*)/.exec(text);
    if (failed) await failStart(ver, `dom0 bring-up failed: ${failed[1]}`);
    if (/XENLAB-READY/.test(text)) break;
    if (!alive(readPid(f.pid))) await failStart(ver, 'QEMU exited during boot');
    if (Date.now() > deadline) await failStart(ver, `dom0 not ready after ${READY_TIMEOUT_S} s`);
    await sleep(250);
  }
  const client = await connectWithRetry(f.dir, deadline);
  try {
    await client.ping(Math.max(5000, deadline - Date.now()));
  } catch {
    await failStart(ver, 'dom0 agent did not answer');
  } finally {
    client.close();
  }
  log(`Xen ${ver.name} lab ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function connectWithRetry(runDir, deadline) {
  for (;;) {
    try {
      return await LabClient.connect(runDir);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

async function failStart(ver, why) {
  const tail = consoleTail(ver, 60);
  await kill(ver);
  throw new LabError(`Xen ${ver.name} lab failed to start: ${why}\n--- console tail ---\n${tail}\n--- end of console ---`);
}

async function kill(ver) {
  const f = runFiles(ver);
  for (const file of [f.pid, f.brokerPid]) {
    const pid = readPid(file);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  await sleep(200);
}

/** Power dom0 off (guests destroyed, shares unmounted); kill QEMU only if that does not end it in time. */
export async function stop(ver) {
  const f = runFiles(ver);
  const pid = readPid(f.pid);
  if (!alive(pid)) {
    log(`Xen ${ver.name} lab is not running`);
    await kill(ver);
    return;
  }
  const t0 = Date.now();
  try {
    const client = await LabClient.connect(f.dir);
    // Detach first: the agent dies with dom0 and never answers a plain poweroff.
    await client.exec({ script: '(sleep 0.5; poweroff) >/dev/null 2>&1 &', timeout: 10 });
    client.close();
  } catch (e) {
    log(`clean power-off request failed (${e.message}); killing QEMU`);
  }
  const deadline = Date.now() + 45_000;
  while (alive(pid) && Date.now() < deadline) await sleep(250);
  if (alive(pid)) {
    log('dom0 did not power off in 45 s; killing QEMU');
    process.kill(pid, 'SIGTERM');
    await sleep(2000);
  }
  await kill(ver);
  log(`Xen ${ver.name} lab stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export async function sendToConsole(ver, line) {
  const net = await import('node:net');
  const sock = net.connect(runFiles(ver).serialSock);
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new LabError(`console socket: ${e.message}`)));
  });
  sock.on('data', () => {}); // the log file gets the output
  sock.write(`${line}\r`);
  await sleep(3000);
  sock.destroy();
}

export function runDir(ver) {
  return runFiles(ver).dir;
}
