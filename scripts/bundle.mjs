// Bundles the compiled command line (dist/, from tsc) with esbuild into
// dist/bundle/cli/: `main.js` (the `strata` command: cli/launcher.ts, which
// runs `strata.cjs`, the command line as one CommonJS script, through V8's code
// cache), `mount-process.js` (a fuse mount's server) and `fuse-overlay.js`
// (`strata-fuse-overlay`). Node then reads a few files instead of resolving and
// loading ~300 modules, and compiles little.
//
// - A command group's modules, which cli/command-table.ts loads by import(),
//   are bundled behind lazy initializers: a command runs only its group's code.
// - Native addons stay outside: better-sqlite3 and fuse-native are loaded
//   from node_modules; core/sys loads build/Release/strata_sys.node by a path
//   relative to its own file, and mount-supervisor finds mount-process.js the
//   same way, so the bundle sits three directories below the package root, as
//   dist/core/sys and dist/drivers/fuse do.
// - `bench` is not bundled: it runs the compiled dist/cli/bench-command.js,
//   whose benchmarks find their child scripts and package.json beside them.
// - dist/bundle/cli/metafile.json maps each output file to the modules in it
//   (test/cli/command-imports.test.ts reads it).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${repo}dist/bundle/cli`;

/**
 * Node's own modules through require(), not ESM import: an ESM import of a
 * built-in makes a facade that reads every export once, which runs lazy
 * getters (fs streams, webcrypto, util.parseArgs) that load tens of internal
 * modules no command asked for. Here an `import` of a built-in becomes one
 * export per name, each a pure read of the required module, so only the names
 * some module imports stay (and no interop copy of the whole module is made);
 * a `require` from a bundled CommonJS package gets the module itself. Every
 * import of a built-in must name it with `node:` (bare `fs` would slip past
 * this).
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      // A dynamic import() stays one (a split chunk of a CommonJS module would offer only a default export).
      if (args.namespace !== 'file' || args.kind === 'dynamic-import') return { path: args.path, external: true };
      return { path: args.path, namespace: args.kind === 'require-call' ? 'builtin-cjs' : 'builtin-esm' };
    });
    // require() from bundled CommonJS packages: the module itself.
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    // import from strata's ES modules: one export per name, each a pure read, so the bundle keeps
    // only the names some module imports (and no interop copy of the whole module is made).
    b.onLoad({ filter: /.*/, namespace: 'builtin-esm' }, (args) => {
      const names = Object.keys(nodeRequire(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name));
      const lines = [`const m = require(${JSON.stringify(args.path)});`, 'export default m;'];
      for (const name of names) lines.push(`export const ${name} = /* @__PURE__ */ (() => m.${name})();`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};
const nodeRequire = createRequire(import.meta.url);
const RESERVED = new Set(['default', 'delete', 'new', 'function', 'class', 'import', 'export', 'with', 'in', 'do', 'if', 'for', 'var', 'let', 'const', 'return', 'switch', 'case', 'try', 'catch', 'finally', 'throw', 'void', 'typeof', 'instanceof', 'while', 'break', 'continue', 'this', 'super', 'enum', 'await', 'yield', 'static', 'null', 'true', 'false']);

/** One metafile for several builds into the same directory. */
function mergedMetafile(builds) {
  const merged = { inputs: {}, outputs: {} };
  for (const { metafile } of builds) {
    Object.assign(merged.inputs, metafile.inputs);
    Object.assign(merged.outputs, metafile.outputs);
  }
  return merged;
}

await rm(outdir, { recursive: true, force: true });
const common = { absWorkingDir: repo, outdir, bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', external: ['better-sqlite3', 'fuse-native'], metafile: true, logLevel: 'warning' };

// `strata` itself: one CommonJS script, which the launcher (main.js) runs through V8's code
// cache (cli/launcher.ts). Modules a command group loads by import() are bundled behind
// esbuild's lazy initializers, so a command still runs only the code of its own group.
const cli = await build({
  ...common,
  entryPoints: { strata: 'dist/cli/main.js' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // ASCII only (the launcher reads it as latin1, the fastest decoding) and no comments or
  // indentation: less to read and to parse on every start. Stack traces map through the source
  // map with --debug.
  charset: 'ascii',
  minifyWhitespace: true,
  // import.meta.url of a module bundled here is the bundle's: it sits three directories below
  // the package root, as the compiled dist/core/sys and dist/drivers/fuse do.
  define: { 'import.meta.url': '__strataBundleUrl' },
  banner: { js: "var __strataBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// ES modules: the launcher (one file, nothing to look up beside it), then a fuse mount's
// server and `strata-fuse-overlay` (split).
const esm = {
  ...common,
  format: 'esm',
  plugins: [builtinsThroughRequire],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: { js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);" },
};
const launcher = await build({ ...esm, entryPoints: { main: 'dist/cli/launcher.js' } });
const rest = await build({ ...esm, entryPoints: { 'mount-process': 'dist/drivers/fuse/mount-process.js', 'fuse-overlay': 'dist/drivers/fuse/compat/fuse-overlay.js' }, splitting: true });
// The launcher reads the bundle as latin1: a character beyond ASCII would change (esbuild leaves
// some in regular expressions: write them as \u escapes).
const nonAscii = /[^\x00-\x7f]/.exec(await readFile(`${outdir}/strata.cjs`, 'latin1'));
if (nonAscii !== null) throw new Error(`dist/bundle/cli/strata.cjs: a character beyond ASCII at offset ${nonAscii.index}`);
await writeFile(`${outdir}/metafile.json`, JSON.stringify(mergedMetafile([cli, launcher, rest])));
await chmod(`${outdir}/main.js`, 0o755);
// `bench` (cli/command-table.ts imports it beside the bundle) runs the compiled tree, see above.
await writeFile(`${outdir}/bench-command.js`, "export * from '../../cli/bench-command.js';\n");

// The first code caches (cli/launcher.ts), those of the listings: each command on a throw-away
// vfs store. Where one cannot run (no native addon built yet), that group's first real command
// writes its cache instead.
const warmRoot = await mkdtemp(join(tmpdir(), 'strata-bundle-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
try {
  for (const command of [['images'], ['layer', 'ls'], ['ps', '-a']]) {
    try {
      execFileSync(process.execPath, [`${outdir}/main.js`, '--root', warmRoot, '--driver', 'vfs', ...command], { stdio: 'ignore', env });
    } catch {
      // left to the first command of the group
    }
  }
} finally {
  await rm(warmRoot, { recursive: true, force: true });
}
