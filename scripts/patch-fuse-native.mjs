#!/usr/bin/env node
// postinstall: two fixes to fuse-native 2.2.6 (unmaintained upstream), so that
// `cp -a`, `tar -x` and `touch -m` through a fuse mount keep modification times:
// - its C shim hands utimens the access time in both the atime and mtime slots;
// - it does not set libfuse 2's flag_utime_omit_ok, so libfuse drops a utimens
//   that sets only one of the two times (touch -m, touch -a).
// The script patches those lines of its C source and builds the addon with npm's
// node-gyp (headers and libfuse come from fuse-shared-library, already installed);
// node-gyp-build then loads build/Release ahead of the prebuilt binary.
// Idempotent; a no-op once fixed or when another fuse-native lacks the lines.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** [as shipped, fixed] */
const FIXES = [
  ['FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', 'FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)'],
  ['struct fuse_operations ops = { };\n', 'struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1;\n'],
];

const require = createRequire(import.meta.url);
let dir;
try {
  dir = dirname(require.resolve('fuse-native/package.json'));
} catch {
  process.exit(0); // not installed: the fuse driver's probe() says so
}
const source = join(dir, 'fuse-native.c');
const original = readFileSync(source, 'utf8');
let text = original;
for (const [shipped, fixed] of FIXES) if (!text.includes(fixed)) text = text.replace(shipped, fixed);
if (!FIXES.every(([, fixed]) => text.includes(fixed))) process.exit(0); // another version: leave it alone
if (text === original && existsSync(join(dir, 'build', 'Release', 'fuse.node'))) process.exit(0);
writeFileSync(source, text);

const nodeGyp = process.env.npm_config_node_gyp;
const [cmd, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.status !== 0) {
  process.stderr.write(String(result.stderr ?? '').split('\n').slice(-15).join('\n'));
  console.error('strata: could not rebuild fuse-native with the utimens fix; fuse mounts will lose mtimes set by cp -a / tar -x');
}
