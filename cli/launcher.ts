#!/usr/bin/env node
/**
 * The `strata` command, bundled as dist/bundle/cli/main.js: it runs the
 * command line, bundled as one CommonJS script (strata.cjs beside it), through
 * V8's code cache, so that a command does not compile on every start the code
 * it runs (the compile was about a fifth of a listing command's wall time).
 *
 * - The cache is a file beside the bundle, named by V8's cachedDataVersionTag
 *   (V8's version, flags and CPU features) and the bundle's size and mtime:
 *   a rebuilt bundle or another Node never reads a cache made for something
 *   else (V8 itself checks little more than the source's length).
 * - One cache per code path (cli/command-words.ts: a group of commands, or a
 *   subcommand such as `layer diff`): each holds the functions its commands
 *   ran, and no other's; at most MAX_CACHES.
 * - A run that found no usable cache for its path writes one as it exits,
 *   holding the functions that run compiled (`npm run build` makes those of
 *   the listings, by running `images`, `layer ls` and `ps -a` once). The file appears whole (a temporary name, then a
 *   rename); where the directory is not writable, nothing is written and every
 *   run compiles, as without a cache.
 * - With --debug, the bundle is required as a CommonJS module, without the
 *   cache, so that Node maps stack traces through its source map.
 * - import() fails in code compiled from a cache, so the script imports what
 *   lies outside it (plugins, fuse-native, the benchmarks) through this
 *   module's import function (core/runtime/import-module.ts).
 */
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedDataVersionTag } from 'node:v8';
import { Script } from 'node:vm';
import { provideImporter } from '../core/runtime/import-module.js';
import { commandPath } from './command-words.js';

const BUNDLE = fileURLToPath(new URL('./strata.cjs', import.meta.url));

/** The CommonJS wrapper, on the script's first line so that line numbers stay the bundle's. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';

/** What the names of the bundle's code caches start with, for the bundle as it is now, under this V8. */
function codeCachePrefix(bundle: string): string {
  const { size, mtimeMs } = statSync(bundle);
  return `${basename(bundle)}.${cachedDataVersionTag()}-${size}-${Math.trunc(mtimeMs)}.`;
}

/** At most this many code caches for one bundle (a subcommand misspelt many times makes no more). */
const MAX_CACHES = 64;

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Writes the script's code cache to `file`, whole or not at all; failures (a read-only install) are ignored. */
function writeCodeCache(script: Script, file: string, prefix: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    if (readdirSync(dirname(file)).filter((name) => name.startsWith(prefix)).length >= MAX_CACHES) return;
    writeFileSync(temp, script.createCachedData(), { flag: 'wx' });
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}

function runBundle(): void {
  provideImporter((specifier) => import(specifier));
  if (process.argv.includes('--debug')) {
    // stack traces name the TypeScript sources: Node reads the bundle's source map as it
    // requires the bundle (it reads none for a vm script)
    process.setSourceMapsEnabled(true);
    createRequire(BUNDLE)(BUNDLE);
    return;
  }
  const prefix = codeCachePrefix(BUNDLE);
  const cacheFile = join(dirname(BUNDLE), `${prefix}${commandPath(process.argv)}.cache`);
  const cachedData = readIfPresent(cacheFile);
  // ASCII only (scripts/bundle.mjs checks): latin1 is the cheapest decoding
  const source = readFileSync(BUNDLE, 'latin1');
  const script = new Script(`${WRAPPER_HEAD}${source}\n})`, { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) process.once('exit', () => writeCodeCache(script, cacheFile, prefix));
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
}

runBundle();
