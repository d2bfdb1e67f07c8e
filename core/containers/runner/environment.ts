import type { ResolvedUser } from './run-spec.js';

/** Docker's PATH for a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The process environment Docker gives a container: PATH (DEFAULT_PATH unless
 * `env` sets one), HOSTNAME, TERM=xterm with a tty, then `env` (an entry
 * replaces an earlier one of the same name), then HOME from passwd unless set.
 */
export function containerEnv(env: readonly string[], options: { hostname: string; tty: boolean; user: ResolvedUser }): string[] {
  const merged = new Map<string, string>();
  merged.set('PATH', DEFAULT_PATH);
  merged.set('HOSTNAME', options.hostname);
  if (options.tty) merged.set('TERM', 'xterm');
  for (const entry of env) {
    const eq = entry.indexOf('=');
    merged.delete(entry.slice(0, eq));
    merged.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (!merged.has('HOME')) merged.set('HOME', options.user.home);
  return [...merged].map(([key, value]) => `${key}=${value}`);
}

/** The value of `name` in a `K=V` list, or undefined. */
export function envValue(env: readonly string[], name: string): string | undefined {
  for (let i = env.length - 1; i >= 0; i--) if (env[i].startsWith(name + '=')) return env[i].slice(name.length + 1);
  return undefined;
}
