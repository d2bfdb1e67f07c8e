/**
 * Where `npm run build` puts the bundled command line (scripts/bundle.mjs), for
 * the tests and benchmarks that run it as a user does. Paths are absolute and
 * derived from this compiled file's place, dist/cli/.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const at = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/**
 * The path of a bundled entry point (`main.js` is `strata`, `fuse-overlay.js`
 * is `strata-fuse-overlay`). Throws when the bundle is missing or older than
 * the compiled tree — `tsc` alone rewrites dist/ but not the bundle, and a test
 * must not run yesterday's command line.
 */
export function bundledEntry(name: 'main.js' | 'fuse-overlay.js' | 'mount-process.js'): string {
  const bundle = at(`../bundle/cli/${name}`);
  const compiled = at('./main.js');
  let bundleTime: number;
  try {
    bundleTime = statSync(bundle).mtimeMs;
  } catch {
    throw new Error(`${bundle} is missing: run \`npm run build\` (tsc, then the bundle)`);
  }
  if (bundleTime < statSync(compiled).mtimeMs) throw new Error(`${bundle} is older than ${compiled}: run \`npm run build\` (tsc, then the bundle)`);
  return bundle;
}

/**
 * `strata-fuse-overlay` without a Node parent: the launcher `npm install` builds
 * (drivers/fuse/compat/native/strata_fuse_overlay.c), which runs the bundled
 * `fuse-overlay.js` as its daemon. The command for podman's mount_program.
 */
export const FUSE_OVERLAY_LAUNCHER = at('../../build/Release/strata-fuse-overlay');
