// Node permissions. On the wire each entry is a letter and a domid ("r5");
// the first entry names the owner and its letter is the access every domain
// without its own entry gets (docs/misc/xenstore.txt).
import { XenStoreError, XenStoreProtocolError } from './errors.js';

export type Access = 'none' | 'read' | 'write' | 'both';

/** Wire letter <-> access, as xenstore_perm_to_string writes them. */
export const ACCESS_BY_LETTER: Readonly<Record<string, Access>> = Object.freeze({
  n: 'none',
  r: 'read',
  w: 'write',
  b: 'both',
});
const LETTER_BY_ACCESS: Readonly<Record<Access, string>> = Object.freeze({
  none: 'n',
  read: 'r',
  write: 'w',
  both: 'b',
});

export interface PermEntry {
  domid: number;
  access: Access;
}

export interface NodePerms {
  /** Owner domain: always has full access. */
  owner: number;
  /** Access for domains not listed in `acl`. */
  others: Access;
  /** Explicit per-domain entries, in wire order. */
  acl: PermEntry[];
}

const PERM_RE = /^([nrwb])([0-9]{1,5})$/;

/** Parse one "r5" entry; undefined if malformed. */
export function parsePerm(s: string): PermEntry | undefined {
  const m = PERM_RE.exec(s);
  if (!m || Number(m[2]) > 0xffff) return undefined;
  return { access: ACCESS_BY_LETTER[m[1]], domid: Number(m[2]) };
}

export function formatPerm(e: PermEntry): string {
  const letter = LETTER_BY_ACCESS[e.access];
  if (!letter || !Number.isInteger(e.domid) || e.domid < 0 || e.domid > 0xffff) {
    throw new XenStoreError('EINVAL', `bad permission entry ${JSON.stringify(e)}`);
  }
  return `${letter}${e.domid}`;
}

/** Wire strings (GET_PERMS reply) to a typed object. Throws EPROTO if malformed. */
export function parsePerms(list: readonly string[]): NodePerms {
  if (list.length === 0) throw new XenStoreProtocolError('bad-field', 'permission list is empty');
  const entries = list.map((s) => {
    const e = parsePerm(s);
    if (!e) throw new XenStoreProtocolError('bad-field', `permission ${JSON.stringify(s)}`);
    return e;
  });
  const [first, ...acl] = entries;
  return { owner: first.domid, others: first.access, acl };
}

/** Typed object to wire strings, owner first. */
export function formatPerms(p: NodePerms): string[] {
  return [formatPerm({ domid: p.owner, access: p.others }), ...p.acl.map(formatPerm)];
}

/** Accept either a NodePerms or wire strings ("n0","r5"); validate either way. */
export function toWirePerms(p: NodePerms | readonly string[]): string[] {
  if (Array.isArray(p)) {
    if (p.length === 0) throw new XenStoreError('EINVAL', 'permission list is empty');
    for (const s of p) if (!parsePerm(s)) throw new XenStoreError('EINVAL', `bad permission ${JSON.stringify(s)}`);
    return [...p];
  }
  return formatPerms(p as NodePerms);
}
