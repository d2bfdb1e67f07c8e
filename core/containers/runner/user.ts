import { readFile } from 'node:fs/promises';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';
import { resolveInRoot } from './root-path.js';
import type { ResolvedUser } from './run-spec.js';

/** Largest id accepted (Linux's uid_t minus the reserved (uid_t)-1). */
const MAX_ID = 2 ** 32 - 2;
/** Largest /etc/passwd or /etc/group read from an image, in bytes; larger files are refused. */
const MAX_DB_BYTES = 16 * 1024 * 1024;

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/**
 * Resolves a Docker user spec (`-u` or the image's User) against the image's own
 * /etc/passwd and /etc/group, read inside `rootfs` (symlinks resolved inside it,
 * never outside). Forms: `` (root), `name`, `uid`, `name:group`, `uid:gid`, and
 * mixes. Docker's rules:
 * - a uid without a passwd entry is allowed: gid 0, HOME `/`;
 * - the gid is the passwd entry's unless a group is given;
 * - supplementary groups are those whose member list names the user, only when
 *   no group is given;
 * - a numeric gid needs no group entry.
 * Fails with ESTART (Docker exits 125): `unable to find user NAME: no matching entries in passwd
 * file`, `unable to find group NAME: no matching entries in group file`; EINVALID for a
 * malformed spec.
 */
export async function resolveUser(rootfs: string, spec: string): Promise<ResolvedUser> {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);
  if (colon >= 0 && groupPart === '') throw new StrataError(ErrorCode.EINVALID, `invalid user ${JSON.stringify(spec)}: empty group`);
  const userId = numericId(userPart);
  const passwd = await readDatabase(rootfs, '/etc/passwd', parsePasswd);
  let entry: PasswdEntry | undefined;
  if (userPart === '' && userId === undefined) entry = passwd.find((e) => e.uid === 0);
  else entry = userId !== undefined ? passwd.find((e) => e.uid === userId) : passwd.find((e) => e.name === userPart);
  if (entry === undefined && userId === undefined && userPart !== '') {
    throw new StrataError(ErrorCode.ESTART, `unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const uid = entry?.uid ?? userId ?? 0;
  let gid = entry?.gid ?? 0;
  const additional: number[] = [];
  if (groupPart !== '') {
    const groupId = numericId(groupPart);
    if (groupId === undefined) {
      const groups = await readDatabase(rootfs, '/etc/group', parseGroup);
      const found = groups.find((g) => g.name === groupPart);
      if (found === undefined) throw new StrataError(ErrorCode.ESTART, `unable to find group ${groupPart}: no matching entries in group file`);
      gid = found.gid;
    } else {
      gid = groupId;
    }
  } else if (entry !== undefined) {
    const groups = await readDatabase(rootfs, '/etc/group', parseGroup);
    for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid && !additional.includes(g.gid)) additional.push(g.gid);
  }
  return { uid, gid, additionalGids: additional, home: entry?.home || '/' };
}

/** A decimal id, or undefined for a name; fails with EINVALID for an id out of range. */
function numericId(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const id = Number(text);
  if (id > MAX_ID) throw new StrataError(ErrorCode.EINVALID, `invalid id ${text}: out of range`);
  return id;
}

/** The parsed entries of a database file in the image; an absent file has none. */
async function readDatabase<T>(rootfs: string, path: string, parse: (fields: string[]) => T | undefined): Promise<T[]> {
  const resolved = await resolveInRoot(rootfs, path);
  if (!resolved.exists) return [];
  let text: Buffer;
  try {
    text = await readFile(resolved.host);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'EISDIR') return [];
    throw err;
  }
  if (text.length > MAX_DB_BYTES) throw new StrataError(ErrorCode.EINVALID, `${path} in the image is larger than ${MAX_DB_BYTES} bytes`);
  const entries: T[] = [];
  for (const line of text.toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const entry = parse(line.split(':'));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parsePasswd(f: string[]): PasswdEntry | undefined {
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (f.length < 7 || !/^[0-9]+$/.test(f[2]) || !/^[0-9]+$/.test(f[3])) return undefined;
  return { name: f[0], uid, gid, home: f[5] };
}

function parseGroup(f: string[]): GroupEntry | undefined {
  if (f.length < 4 || !/^[0-9]+$/.test(f[2])) return undefined;
  return { name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',') };
}
