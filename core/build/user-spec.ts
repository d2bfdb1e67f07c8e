/**
 * `USER` and `--chown` values resolved against an image's /etc/passwd and /etc/group
 * text, with Docker 20.10's rules and wording. The executor reads the two files from the
 * container's root (undefined when missing) and calls these; nothing here touches disk.
 *
 * - `--chown=U[:G]`: a numeric part is taken as is; a name must be in the file. Without
 *   `:G` the group is looked up with U's own text (`--chown=app` means app:app, `1000`
 *   means 1000:1000).
 * - USER for RUN: `U[:G]`; a numeric U needs no entry; without G the gid is U's passwd
 *   gid (0 for a numeric U without entry); supplementary gids are the groups that list
 *   U's name.
 *
 * Failures are EBUILD with Docker's message (the caller adds file:line: KEYWORD).
 */
import { ErrorCode, StrataError } from '../errors.js';

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

const numeric = (s: string): boolean => /^\d+$/.test(s);

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && numeric(f[2]!) && numeric(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && numeric(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/** The uid/gid of `COPY/ADD --chown=spec`. */
export function resolveChown(spec: string, passwd: string | undefined, group: string | undefined): { uid: number; gid: number } {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const fail = (message: string): never => {
    throw new StrataError(ErrorCode.EBUILD, `unable to convert uid/gid chown string to host mapping: ${message}`);
  };
  let uid: number;
  if (numeric(userPart)) uid = Number(userPart);
  else uid = parsePasswd(passwd).find((e) => e.name === userPart)?.uid ?? fail(`can't find uid for user ${userPart}: no such user: ${userPart}`);
  const g = groupPart ?? userPart;
  let gid: number;
  if (numeric(g)) gid = Number(g);
  else gid = parseGroup(group).find((e) => e.name === g)?.gid ?? fail(`can't find gid for group ${g}: no such group: ${g}`);
  return { uid, gid };
}

/** The identity a RUN runs as under `USER spec` ('' means root). */
export function resolveRunUser(spec: string, passwd: string | undefined, group: string | undefined): { uid: number; gid: number; additionalGids: number[]; home: string } {
  const [userPart = '', groupPart] = (spec || '0').split(':', 2);
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const entry = numeric(userPart) ? users.find((e) => e.uid === Number(userPart)) : users.find((e) => e.name === userPart);
  if (!entry && !numeric(userPart)) throw new StrataError(ErrorCode.EBUILD, `unable to find user ${userPart}: no matching entries in passwd file`);
  const uid = entry?.uid ?? Number(userPart);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (numeric(groupPart)) gid = Number(groupPart);
    else gid = groups.find((g) => g.name === groupPart)?.gid ?? (() => { throw new StrataError(ErrorCode.EBUILD, `unable to find group ${groupPart}: no matching entries in group file`); })();
  }
  const additionalGids = entry ? groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid) : [];
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}
