import { readFileSync } from 'node:fs';

/**
 * strata's version, from its package.json: the nearest one named `strata`
 * above this file (dist/core/, dist/bundle/cli/ or a chunk beside it — the same
 * answer whichever copy runs). '0.0.0' if none is found.
 */
export function strataVersion(): string {
  for (let up = '../'; up.length <= 5 * 3; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'strata' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one directory up
    }
  }
  return '0.0.0';
}
