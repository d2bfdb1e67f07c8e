/**
 * A `WWW-Authenticate` challenge (RFC 7235): the scheme and its parameters.
 * `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull",error="insufficient_scope"`.
 */
export interface Challenge {
  /** Lower case: `basic`, `bearer`. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The challenges of a header value; unknown or malformed parts are skipped. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges: Challenge[] = [];
  for (const value of values) {
    const pattern = /\s*([A-Za-z][\w-]*)(?:\s+|$)((?:[\w-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
    for (let m = pattern.exec(value); m !== null && m[0] !== ''; m = pattern.exec(value)) {
      const params: Record<string, string> = {};
      const param = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
      for (let p = param.exec(m[2] ?? ''); p !== null; p = param.exec(m[2] ?? '')) {
        params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
      }
      challenges.push({ scheme: m[1]!.toLowerCase(), params });
    }
  }
  return challenges;
}

/** `repository:NAME:pull` or `repository:NAME:pull,push`. */
export function repositoryScope(path: string, push: boolean): string {
  return `repository:${path}:${push ? 'pull,push' : 'pull'}`;
}
