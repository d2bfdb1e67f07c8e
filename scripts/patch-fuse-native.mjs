#!/usr/bin/env node
// postinstall: fixes and one extension to fuse-native 2.2.6 (unmaintained upstream).
// Fixes, so that `cp -a`, `tar -x` and `touch -m` through a fuse mount keep times:
// - its C shim hands utimens the access time in both the atime and mtime slots;
// - it does not set libfuse 2's flag_utime_omit_ok, so libfuse drops a utimens
//   that sets only one of the two times (touch -m, touch -a);
// - UTIME_NOW and UTIME_OMIT both reach JavaScript as 1073 ms: they now arrive as
//   the markers 2^52 + 1 ms (now) and 2^52 + 2 ms (leave unchanged).
// Extension: the caller's context. Each handler thread records fuse_get_context()
// (uid, gid, pid, umask of the process making the call) before it hands the call
// to JavaScript; `binding.fuse_native_context()`, called synchronously inside a
// handler, answers [uid, gid, pid, umask] of the call being dispatched (undefined
// outside one). drivers/fuse/caller.ts reads it. And st_ino in 64 bits (it kept only
// the low 32): the mount shows inode numbers that are distinct across filesystems.
// And open files that left the namespace (hard_remove): NULL paths reach handlers as '',
// and fgetattr reaches its own handler with the file handle.
// The script patches those lines of its C source and builds the addon with npm's
// node-gyp (headers and libfuse come from fuse-shared-library, already installed);
// node-gyp-build then loads build/Release ahead of the prebuilt binary.
// Idempotent; a no-op once fixed or when another fuse-native lacks the lines.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const FAST_PATHS = readFileSync(new URL('./fuse-native-fast-paths.c', import.meta.url), 'utf8');

/** [as shipped, fixed] */
const FIXES = [
  ['FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', 'FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)'],
  ['struct fuse_operations ops = { };\n', 'struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1;\n'],
  [
    '  l->atime = timespec_to_uint64(&tv[0]);\n  l->mtime = timespec_to_uint64(&tv[1]);\n',
    '  l->atime = strata_utime_ms(&tv[0]);\n  l->mtime = strata_utime_ms(&tv[1]);\n',
  ],
  [
    '// Methods\n',
    '// Methods\n\n' +
      '// strata: UTIME_NOW / UTIME_OMIT as markers no real time in ms reaches (2^52 + 1, 2^52 + 2).\n' +
      'static uint64_t strata_utime_ms (const struct timespec* ts) {\n' +
      '  if (ts->tv_nsec == UTIME_NOW) return 4503599627370497ULL;\n' +
      '  if (ts->tv_nsec == UTIME_OMIT) return 4503599627370498ULL;\n' +
      '  return timespec_to_uint64(ts);\n' +
      '}\n',
  ],
  ['  int32_t res;\n', '  int32_t res;\n  uint32_t strata_ctx[4];\n'],
  [
    '  fuse_thread_locals_t *l = get_thread_locals();\\\n  l->op = op_##name;\\\n',
    '  fuse_thread_locals_t *l = get_thread_locals();\\\n' +
      '  { struct fuse_context *fc = fuse_get_context(); l->strata_ctx[0] = fc->uid; l->strata_ctx[1] = fc->gid; ' +
      'l->strata_ctx[2] = fc->pid; l->strata_ctx[3] = fc->umask; }\\\n' +
      '  l->op = op_##name;\\\n',
  ],
  [
    '  fn(handle, l, ft);\n',
    '  strata_dispatching = l;\n  fn(handle, l, ft);\n  strata_dispatching = NULL;\n',
  ],
  [
    '// Top-level dispatcher\n',
    '// Top-level dispatcher\n\n' +
      '// strata: the call whose JavaScript handler runs now (main thread only).\n' +
      'static fuse_thread_locals_t *strata_dispatching = NULL;\n\n' +
      'NAPI_METHOD(fuse_native_context) {\n' +
      '  fuse_thread_locals_t *l = strata_dispatching;\n' +
      '  if (l == NULL) return NULL;\n' +
      '  napi_value arr;\n' +
      '  napi_create_array_with_length(env, 4, &arr);\n' +
      '  for (uint32_t i = 0; i < 4; i++) {\n' +
      '    napi_value v;\n' +
      '    napi_create_uint32(env, l->strata_ctx[i], &v);\n' +
      '    napi_set_element(env, arr, i, v);\n' +
      '  }\n' +
      '  return arr;\n' +
      '}\n',
  ],
  ['  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n', '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n  NAPI_EXPORT_FUNCTION(fuse_native_context)\n'],
  // st_ino in 64 bits: the high half in a 19th slot of the stat array (index.js below).
  [
    '  uint32s_to_timespec(&stat->st_ctim, &ints);\n#endif\n}\n',
    '  uint32s_to_timespec(&stat->st_ctim, &ints);\n#endif\n  stat->st_ino += ((uint64_t) *ints++) << 32;\n}\n',
  ],
  // Fast paths (scripts/fuse-native-fast-paths.c), where the mount asks for them: reads by pread
  // on the handle's descriptor and readdirs from kept listings, on the libfuse thread, and
  // directory listings kept by the kernel.
  ['#include <pthread.h>\n', '#include <pthread.h>\n#include <errno.h>\n\ntypedef struct strata_dirs strata_dirs_t;\n'],
  ['  uv_sem_t sem;\n} fuse_thread_t;\n', '  uv_sem_t sem;\n  uint32_t strata_flags;\n  strata_dirs_t *strata_dirs;\n} fuse_thread_t;\n'],
  ['  uint32_t strata_ctx[4];\n', '  uint32_t strata_ctx[4];\n  uint64_t strata_gen;\n'],
  [
    'static pthread_key_t thread_locals_key;\n',
    'static pthread_key_t thread_locals_key;\n' +
      'static void strata_readdir_store (napi_env env, fuse_thread_locals_t *l, napi_value names, int32_t res);\n',
  ],
  ['  napi_value raw_stats = argv[3];\n', '  napi_value raw_stats = argv[3];\n  strata_readdir_store(env, l, raw_names, res);\n'],
  ['NAPI_METHOD(fuse_native_mount) {\n', `${FAST_PATHS}NAPI_METHOD(fuse_native_mount) {\n`],
  [
    '  NAPI_ARGV_BUFFER_CAST(uint32_t *, implemented, 6)\n',
    '  NAPI_ARGV_BUFFER_CAST(uint32_t *, implemented, 6)\n' +
      '  ft->strata_flags = implemented_len >= 36 * sizeof(uint32_t) ? implemented[35] : 0;\n' +
      '  if (ft->strata_flags & STRATA_READDIR_CACHE) ft->strata_dirs = strata_dirs_new();\n',
  ],
  [
    '  struct fuse *fuse = fuse_new(ch, &args, &ops, sizeof(struct fuse_operations), ft);\n',
    '  if ((ft->strata_flags & STRATA_KERNEL_DIRS) && !implemented[op_opendir] && !implemented[op_releasedir] && !implemented[op_fsyncdir]) ch = strata_chan(ch);\n' +
      '  struct fuse *fuse = fuse_new(ch, &args, &ops, sizeof(struct fuse_operations), ft);\n',
  ],
  ['  if (implemented[op_readdir]) ops.readdir = fuse_native_readdir;\n', '  if (implemented[op_readdir]) ops.readdir = strata_readdir;\n'],
  ['  if (implemented[op_read]) ops.read = fuse_native_read;\n', '  if (implemented[op_read]) ops.read = strata_read;\n'],
  ['  NAPI_EXPORT_FUNCTION(fuse_native_context)\n', '  NAPI_EXPORT_FUNCTION(fuse_native_context)\n  NAPI_EXPORT_FUNCTION(fuse_native_readdir_cache_clear)\n'],
  // Open files removed from the namespace (the mount's `hard_remove`): libfuse calls read, write,
  // flush, release, fsync, ftruncate and fgetattr with a NULL path for them (nullpath_ok), which
  // reaches JavaScript as '' (napi refuses NULL); strata_readdir answers ENOENT for a removed directory.
  ['  ops.flag_utime_omit_ok = 1;\n', '  ops.flag_utime_omit_ok = 1;\n  ops.flag_nullpath_ok = 1;\n'],
  [
    'napi_create_string_utf8(env, l->path, NAPI_AUTO_LENGTH, &(argv[2]));',
    'napi_create_string_utf8(env, l->path == NULL ? "" : l->path, NAPI_AUTO_LENGTH, &(argv[2]));',
    'all',
  ],
];

/** The same for its index.js: [as shipped, fixed]. */
const JS_FIXES = [
  // fgetattr (fstat of an open file) goes to the fgetattr handler with the file handle, not to getattr.
  ['    this.ops.getattr(path, (err, stat) => {\n      if (err) return signal(err)\n', '    this.ops.fgetattr(path, fd, (err, stat) => {\n      if (err) return signal(err)\n'],
  ['  const ints = new Uint32Array(18)\n', '  const ints = new Uint32Array(19)\n'],
  [
    '  ints[7] = (stat && stat.ino) || 0\n',
    '  ints[7] = (stat && stat.ino) || 0\n  ints[18] = Math.floor(((stat && stat.ino) || 0) / 4294967296)\n',
  ],
];

/** text with every fix applied (at every place for a fix marked 'all'), or undefined where one does not apply (another version). */
function patched(text, fixes) {
  for (const [shipped, fixed, all] of fixes) {
    if (all === 'all') text = text.replaceAll(shipped, fixed);
    else if (!text.includes(fixed)) text = text.replace(shipped, fixed);
  }
  return fixes.every(([, fixed]) => text.includes(fixed)) ? text : undefined;
}

/**
 * text with an earlier version of the fast paths (patched in by an older copy of this script)
 * replaced by the current one, so that a change of fuse-native-fast-paths.c reaches an install
 * patched before it; text itself where it holds none or the current one.
 */
function withCurrentFastPaths(text) {
  const start = text.indexOf(FAST_PATHS.slice(0, FAST_PATHS.indexOf('\n') + 1));
  const end = text.indexOf('NAPI_METHOD(fuse_native_mount) {\n');
  if (start < 0 || end < start || text.includes(FAST_PATHS)) return text;
  return text.slice(0, start) + FAST_PATHS + text.slice(end);
}

const require = createRequire(import.meta.url);
let dir;
try {
  dir = dirname(require.resolve('fuse-native/package.json'));
} catch {
  process.exit(0); // not installed: the fuse driver's probe() says so
}
const source = join(dir, 'fuse-native.c');
const script = join(dir, 'index.js');
const text = patched(withCurrentFastPaths(readFileSync(source, 'utf8')), FIXES);
const js = patched(readFileSync(script, 'utf8'), JS_FIXES);
if (text === undefined || js === undefined) process.exit(0); // another version: leave it alone
// The build is current when its stamp names this exact source.
const stamp = join(dir, 'build', 'Release', 'strata-patched.txt');
const digest = createHash('sha256').update(text).digest('hex');
if (existsSync(join(dir, 'build', 'Release', 'fuse.node')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  writeFileSync(script, js);
  process.exit(0);
}
writeFileSync(source, text);

/**
 * npm's node-gyp: the one npm names while installing, else the one bundled with npm beside this
 * node, else PATH's; with the node headers npm names, else those installed beside this node.
 */
function nodeGyp() {
  const prefix = join(dirname(process.execPath), '..');
  const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const script = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
  const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const args = ['rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  return script ? [process.execPath, [script, ...args]] : ['node-gyp', args];
}
const [cmd, args] = nodeGyp();
const result = spawnSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.status === 0) {
  writeFileSync(script, js); // only with the binary that reads its 19-slot stat arrays
  writeFileSync(stamp, digest);
} else {
  process.stderr.write(String(result.stderr ?? result.error ?? '').split('\n').slice(-15).join('\n'));
  console.error('strata: could not rebuild fuse-native with its fixes; fuse mounts will lose mtimes set by cp -a / tar -x, and files created through them belong to the mount process');
}
