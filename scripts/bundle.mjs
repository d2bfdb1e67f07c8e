// Bundles the compiled command line (dist/, from tsc) with esbuild into
// dist/bundle/cli/: `main.js` (the `strata` command), `mount-process.js` (a
// fuse mount's server) and `fuse-overlay.js` (`strata-fuse-overlay`). Node then
// parses a few files instead of resolving and loading ~300 modules, which was
// most of a command's start-up time.
//
// - Each command group stays a chunk of its own (the dynamic imports of
//   cli/command-table.ts split), so a command still loads only its group.
// - Native addons stay outside: better-sqlite3 and fuse-native are imported
//   from node_modules; core/sys loads build/Release/strata_sys.node by a path
//   relative to its own file, and mount-supervisor finds mount-process.js the
//   same way, so the bundle sits three directories below the package root, as
//   dist/core/sys and dist/drivers/fuse do.
// - `bench` is not bundled: it runs the compiled dist/cli/bench-command.js,
//   whose benchmarks find their child scripts and package.json beside them.
// - dist/bundle/cli/metafile.json maps each output file to the modules in it
//   (test/cli/command-imports.test.ts reads it).
import { build } from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${repo}dist/bundle/cli`;

/** Leaves `bench` to the compiled tree (see above). */
const benchOutside = {
  name: 'bench-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\/bench-command\.js$/ }, () => ({ path: '../../cli/bench-command.js', external: true }));
  },
};

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

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: {
    main: 'dist/cli/main.js',
    'mount-process': 'dist/drivers/fuse/mount-process.js',
    'fuse-overlay': 'dist/drivers/fuse/compat/fuse-overlay.js',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'fuse-native'],
  plugins: [benchOutside, builtinsThroughRequire],
  metafile: true,
  logLevel: 'warning',
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: { js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);" },
});
await writeFile(`${outdir}/metafile.json`, JSON.stringify(result.metafile));
