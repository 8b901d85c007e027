// vif specs (xl-network-configuration(5)): comma-separated key=value
// tokens, as xl_parse.c's parse_nic_config, and the `rate=` syntax of
// libxlu_vif.c. A bad token is reported and skipped, as in the C xl.

import { strtoul } from '../cnum.js';
import type { XenVersion } from '../model/dsl.js';
import { NIC_COLO_STRINGS, type DeviceNic } from '../model/idl.js';

export interface VifIssue { severity: 'error' | 'warning'; message: string; token: string }

export class VifRateError extends Error {
  constructor(message: string, readonly rate: string) { super(`${message} in \`${rate}'`); this.name = 'VifRateError'; }
}

const BYTES_RE = /^[0-9]+[GMK]?[Bb]\/s$/;
const USECS_RE = /^[0-9]+[mu]?s?$/;
const UINT32_MAX = 0xffffffffn;
const UINT64_MAX = (1n << 64n) - 1n;

/** xlu_vif_parse_rate: "RATE[@INTERVAL]" to bytes per interval and interval. */
export function parseVifRate(rate: string): { bytesPerInterval: bigint; intervalUsecs: number } {
  const at = rate.indexOf('@');
  const bytes = at < 0 ? rate : rate.slice(0, at);
  const interval = at < 0 ? undefined : rate.slice(at + 1);
  if (bytes === '') throw new VifRateError('no rate specified', rate);
  if (!BYTES_RE.test(bytes)) throw new VifRateError('invalid rate', bytes);
  const n = strtoul(bytes, 0);
  let bps = n.value;
  if (bps === 0n || bps > UINT32_MAX || n.erange) throw new VifRateError('rate overflow', bytes);
  const unit = bytes[n.end];
  if (unit === 'G') bps *= 1000000000n;
  else if (unit === 'M') bps *= 1000000n;
  else if (unit === 'K') bps *= 1000n;
  if (unit === 'b' || bytes[n.end + 1] === 'b') bps /= 8n;

  let usecs = 50000n; // 50ms unless given
  if (interval !== undefined) {
    if (!USECS_RE.test(interval)) throw new VifRateError('invalid replenishment interval', interval);
    const r = strtoul(interval, 0);
    usecs = r.value;
    if (usecs === 0n || usecs > UINT32_MAX || r.erange) throw new VifRateError('replenishment interval overflow', interval);
    const u = interval[r.end];
    if (u === 's' || u === undefined) usecs *= 1000000n;
    else if (u === 'm') usecs *= 1000n;
    if (usecs > UINT32_MAX) throw new VifRateError('replenishment interval overflow', interval);
  }
  if (usecs !== 0n && bps > UINT64_MAX / usecs) throw new VifRateError('rate overflow', rate);
  return { bytesPerInterval: (bps * usecs) / 1000000n, intervalUsecs: Number(usecs) };
}

function matchOption(token: string, key: string): string | undefined {
  return token.startsWith(key + '=') ? token.slice(key.length + 1) : undefined;
}

/**
 * parse_nic_config: applies one `key=value` token to `nic`. Returns
 * issues: unknown or invalid tokens are errors in xl's wording but xl
 * goes on with the next token, so callers decide.
 */
export function applyVifToken(nic: DeviceNic, token: string, version: XenVersion = '4.17'): VifIssue[] {
  const issues: VifIssue[] = [];
  const bad = (message: string) => { issues.push({ severity: 'error', message, token }); };
  let v: string | undefined;
  if ((v = matchOption(token, 'type')) !== undefined) {
    if (v === 'vif') nic.nictype = 'vif';
    else if (v === 'ioemu') nic.nictype = 'vif_ioemu';
    else bad("Invalid parameter `type'");
  } else if ((v = matchOption(token, 'mac')) !== undefined) {
    // strtoul base 16 per byte, each followed by any one separator; bytes
    // before a bad one stay set, as in xl
    let p = 0;
    for (let i = 0; i < 6; i++) {
      const r = strtoul(v, 16, p);
      const val = BigInt.asUintN(32, r.value);
      if (r.end === p || val > 255n || p > v.length) { bad("Invalid parameter `mac'"); return issues; }
      nic.mac[i] = Number(val);
      p = r.end + 1;
    }
  } else if ((v = matchOption(token, 'bridge')) !== undefined) {
    nic.bridge = v;
  } else if ((v = matchOption(token, 'netdev')) !== undefined) {
    issues.push({ severity: 'warning', message: 'the netdev parameter is deprecated, please use gatewaydev instead', token });
    nic.gatewaydev = v;
  } else if ((v = matchOption(token, 'gatewaydev')) !== undefined) {
    nic.gatewaydev = v;
  } else if ((v = matchOption(token, 'ip')) !== undefined) {
    nic.ip = v;
  } else if ((v = matchOption(token, 'script')) !== undefined) {
    nic.script = v;
  } else if ((v = matchOption(token, 'backend')) !== undefined) {
    nic.backend_domname = v;
  } else if ((v = matchOption(token, 'vifname')) !== undefined) {
    nic.ifname = v;
  } else if ((v = matchOption(token, 'model')) !== undefined) {
    nic.model = v;
  } else if ((v = matchOption(token, 'rate')) !== undefined) {
    const r = parseVifRate(v); // errors are fatal in xl
    nic.rate_interval_usecs = r.intervalUsecs;
    nic.rate_bytes_per_interval = r.bytesPerInterval;
  } else if ((v = matchOption(token, 'forwarddev')) !== undefined) {
    nic.coloft_forwarddev = v;
  } else if (version === '4.20' && (v = matchOption(token, 'vlan')) !== undefined) {
    nic.vlan = v;
  } else if (NIC_COLO_STRINGS.some((k) => (v = matchOption(token, k)) !== undefined)) {
    const key = token.slice(0, token.indexOf('='));
    (nic as unknown as Record<string, string>)[key] = v!;
  } else if ((v = matchOption(token, 'accel')) !== undefined) {
    issues.push({ severity: 'warning', message: 'the accel parameter for vifs is currently not supported', token });
  } else if ((v = matchOption(token, 'devid')) !== undefined) {
    nic.devid = parseUlongStrict(v);
  } else if ((v = matchOption(token, 'mtu')) !== undefined) {
    nic.mtu = parseUlongStrict(v);
  } else if (token === 'trusted') {
    nic.trusted = true;
  } else if (token === 'untrusted') {
    nic.trusted = false;
  } else {
    bad(`unrecognized argument \`${token}'`);
  }
  return issues;
}

export class ParseUlongError extends Error {
  constructor(readonly text: string) { super(`failed to convert "${text}" to number`); this.name = 'ParseUlongError'; }
}

/** xl's parse_ulong: base 10, fatal when nothing parses; stored in an int. */
export function parseUlongStrict(s: string): number {
  const r = strtoul(s, 10);
  if (r.end === 0 || r.value === (1n << 64n) - 1n) throw new ParseUlongError(s);
  return Number(BigInt.asIntN(32, r.value));
}

/** Splits like strtok(buf, ","), then drops leading spaces of each token. */
export function strtokTokens(spec: string, delims = ','): string[] {
  const out: string[] = [];
  for (const t of spec.split(new RegExp(`[${delims.replace(/[\]\\^-]/g, '\\$&')}]`))) {
    if (t !== '') out.push(t.replace(/^ +/, ''));
  }
  return out;
}
