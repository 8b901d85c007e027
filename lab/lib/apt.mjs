// A private apt configuration per Debian suite under .lab/apt/<suite>: the host's apt state is never touched, and
// with an empty dpkg status apt resolves the whole dependency closure of what the dom0 needs.
import fs from 'node:fs';
import path from 'node:path';
import { LabError, STATE_DIR, log, mkdirp, run } from './util.mjs';

/** The Debian archive URIs the host already uses (main and security), read from its own apt sources. */
export function hostDebianUris() {
  const texts = [];
  const dir = '/etc/apt/sources.list.d';
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (f.endsWith('.sources') || f.endsWith('.list')) texts.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  if (fs.existsSync('/etc/apt/sources.list')) texts.push(fs.readFileSync('/etc/apt/sources.list', 'utf8'));
  let main;
  let security;
  const consider = (uri, suites) => {
    if (suites.some((s) => /-security$/.test(s))) security ??= uri;
    else if (suites.some((s) => /^(bookworm|trixie|stable|oldstable)(-updates)?$/.test(s))) main ??= uri;
  };
  for (const text of texts) {
    // deb822 stanzas
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza);
      const suites = /^Suites:\s*(.+)$/m.exec(stanza);
      if (uris && suites && !/^Enabled:\s*no/im.test(stanza)) consider(uris[1], suites[1].trim().split(/\s+/));
    }
    // one-line format
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) consider(m[1], [m[2]]);
  }
  if (!main) throw new LabError('no Debian archive found in the host apt sources (/etc/apt/sources.list*)');
  return { main, security: security ?? `${main.replace(/\/debian\/?$/, '')}/debian-security` };
}

export class AptSuite {
  constructor(ver) {
    this.ver = ver;
    this.root = path.join(STATE_DIR, 'apt', ver.suite);
  }

  options() {
    const r = this.root;
    return [
      '-o', `Dir::Etc=${r}/etc`, '-o', `Dir::State=${r}/state`, '-o', `Dir::Cache=${r}/cache`,
      '-o', `Dir::State::status=${r}/state/status`, '-o', 'APT::Architecture=amd64',
      '-o', 'APT::Architectures=amd64', '-o', 'APT::Install-Recommends=false', '-o', 'Debug::NoLocking=1',
      '-o', 'APT::Get::AllowUnauthenticated=false', '-q',
    ];
  }

  setup() {
    const { main, security } = hostDebianUris();
    const r = this.root;
    for (const d of ['etc/sources.list.d', 'etc/apt.conf.d', 'etc/preferences.d', 'state/lists/partial', 'cache/archives/partial']) {
      mkdirp(path.join(r, d));
    }
    fs.writeFileSync(path.join(r, 'etc/sources.list'), '');
    if (!fs.existsSync(path.join(r, 'state/status'))) fs.writeFileSync(path.join(r, 'state/status'), '');
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const sources = [
      `Types: deb\nURIs: ${main}\nSuites: ${this.ver.suites.join(' ')}\nComponents: main\nSigned-By: ${keyring}\n`,
      `Types: deb\nURIs: ${security}\nSuites: ${this.ver.securitySuite}\nComponents: main\nSigned-By: ${keyring}\n`,
    ].join('\n');
    fs.writeFileSync(path.join(r, 'etc/sources.list.d/lab.sources'), sources);
  }

  update({ maxAgeHours = 12 } = {}) {
    const stamp = path.join(this.root, 'state/updated');
    const fresh = fs.existsSync(stamp) && Date.now() - fs.statSync(stamp).mtimeMs < maxAgeHours * 3600e3;
    if (fresh) return;
    log(`apt update (${this.ver.suite})`);
    run('apt-get', [...this.options(), 'update']);
    fs.writeFileSync(stamp, new Date().toISOString());
  }

  /** Versions the archive offers for a package (empty when it has none). */
  versions(pkg) {
    const r = run('apt-cache', [...this.options(), 'madison', pkg], { allowFail: true });
    return r.stdout.split('\n').map((l) => l.split('|')[1]?.trim()).filter(Boolean);
  }

  /** The package names linux-image-amd64 currently depends on (the suite's current kernel ABI). */
  currentKernelPackage() {
    const r = run('apt-cache', [...this.options(), 'depends', 'linux-image-amd64']);
    const m = /Depends:\s*(linux-image-\S+)/.exec(r.stdout);
    if (!m) throw new LabError(`cannot resolve linux-image-amd64 in ${this.ver.suite}`);
    return m[1];
  }

  /** Resolve the closure of `specs` (name or name=version) and download it; returns [{name, version, file}]. */
  download(specs) {
    const sim = run('apt-get', [...this.options(), '-s', 'install', ...specs]);
    const plan = [];
    for (const m of sim.stdout.matchAll(/^Inst (\S+) \((\S+)/gm)) plan.push({ name: m[1], version: m[2] });
    if (plan.length === 0) throw new LabError(`apt planned nothing for ${specs.join(' ')}`);
    log(`downloading ${plan.length} packages (${this.ver.suite}, cached ones are kept)`);
    run('apt-get', [...this.options(), '-y', '--download-only', 'install', ...specs]);
    const archives = path.join(this.root, 'cache/archives');
    for (const p of plan) {
      const file = path.join(archives, `${p.name}_${p.version.replace(/:/g, '%3a')}_${archName(archives, p)}.deb`);
      if (!fs.existsSync(file)) throw new LabError(`downloaded package missing: ${file}`);
      p.file = file;
    }
    return plan;
  }
}

function archName(archives, p) {
  const prefix = `${p.name}_${p.version.replace(/:/g, '%3a')}_`;
  const hit = fs.readdirSync(archives).find((f) => f.startsWith(prefix));
  return hit ? hit.slice(prefix.length, -'.deb'.length) : 'amd64';
}
