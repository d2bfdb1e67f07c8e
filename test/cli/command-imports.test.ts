// A command loads the code it runs and not the rest (issue: CLI start is module
// loading). The command line is one script (dist/bundle/cli/strata.cjs) in
// which each bundled module's code runs inside an initializer named by the
// module's path, called when something first imports the module; the CLI runs
// under V8's precise coverage (NODE_V8_COVERAGE), which counts the calls of
// every function, so a module was loaded where its initializer ran. Modules
// outside the bundle (native packages) show as scripts of their own.
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { CLI, runCli, tempDir } from './run-cli.js';

const BUNDLE_DIR = dirname(CLI);
const BUNDLE = join(BUNDLE_DIR, 'strata.cjs');
const REPO = join(BUNDLE_DIR, '..', '..', '..');

interface Metafile {
  readonly outputs: Readonly<Record<string, { readonly inputs: Readonly<Record<string, unknown>> }>>;
}

interface Coverage {
  readonly result: readonly { readonly url: string; readonly functions: readonly { readonly functionName: string; readonly ranges: readonly { readonly count: number }[] }[] }[];
}

/** The modules of the bundle that run only when first imported: esbuild's initializers, each a function named by its module's path. */
async function lazyModules(): Promise<Set<string>> {
  const source = await readFile(BUNDLE, 'utf8');
  return new Set([...source.matchAll(/__(?:esm|commonJS)\(\{\s*"([^"]+)"\(/g)].map((m) => m[1]!));
}

/** The source modules (paths as dist/… or node_modules/…) that `strata ...args` loaded, external packages included. */
async function sourcesLoadedBy(args: readonly string[]): Promise<Set<string>> {
  const dir = await tempDir('imports');
  try {
    const coverage = join(dir.path, 'coverage');
    const r = await runCli(['--root', join(dir.path, 'root'), '--driver', 'vfs', ...args], { env: { NODE_V8_COVERAGE: coverage } });
    if (r.status !== 0) throw new Error(`strata ${args.join(' ')} failed: ${r.stderr}`);
    const meta = JSON.parse(await readFile(join(BUNDLE_DIR, 'metafile.json'), 'utf8')) as Metafile;
    const bundled = Object.keys(meta.outputs[relative(REPO, BUNDLE)]!.inputs);
    const lazy = await lazyModules();
    const sources = new Set(bundled.filter((input) => !lazy.has(input)));
    for (const file of await readdir(coverage)) {
      for (const script of (JSON.parse(await readFile(join(coverage, file), 'utf8')) as Coverage).result) {
        if (!script.url.startsWith('file:')) continue;
        const path = fileURLToPath(script.url);
        if (path !== BUNDLE) {
          if (!relative(REPO, path).startsWith('..')) sources.add(relative(REPO, path));
          continue;
        }
        for (const fn of script.functions) if (lazy.has(fn.functionName) && fn.ranges[0]!.count > 0) sources.add(fn.functionName);
      }
    }
    return sources;
  } finally {
    await dir.cleanup();
  }
}

/** Which of `sources` lie under any of `prefixes`. */
const under = (sources: Set<string>, prefixes: readonly string[]) => [...sources].filter((s) => prefixes.some((p) => s.startsWith(p)));

/** The Go template engine and Docker's --format contexts: loaded only when --format is given. */
const TEMPLATE_ENGINE = ['dist/cli/format/go-template', 'dist/cli/format/go-value.js', 'dist/cli/format/go-printf.js', 'dist/cli/format/docker-format.js', 'dist/cli/format/docker-contexts.js', 'dist/cli/format/inspect-format.js'];

/** Code no listing command needs: the FUSE server and binding, the builder, the registry client, the benchmarks, the template engine. */
const NEVER_FOR_LISTINGS = ['node_modules/fuse-native/', 'dist/drivers/fuse/fuse-server.js', 'dist/drivers/fuse/union-fs.js', 'dist/core/build/', 'node_modules/dockerfile-ast/', 'dist/core/remotes/', 'dist/benchmarks/', ...TEMPLATE_ENGINE];

test('the command-line bundle records what each output file holds', async (t) => {
  const meta = JSON.parse(await readFile(join(BUNDLE_DIR, 'metafile.json'), 'utf8')) as Metafile;
  t.true(Object.values(meta.outputs).some((o) => 'dist/cli/main.js' in o.inputs));
});

for (const [command, alsoNever] of [
  [['layer', 'ls'], ['dist/core/image-ops/', 'dist/core/containers/runner/namespace-runner.js', 'dist/core/containers/runner/runc-runner.js']],
  [['images'], ['dist/core/containers/runner/namespace-runner.js', 'dist/core/containers/runner/runc-runner.js']],
  [['ps', '-a'], ['dist/core/image-ops/pull-image.js', 'dist/core/image-ops/push-image.js']],
] as const) {
  test(`\`strata ${command.join(' ')}\` on a vfs store loads neither FUSE, build, registry code nor ${alsoNever.join(', ')}`, async (t) => {
    const sources = await sourcesLoadedBy(command);
    t.true(sources.has('dist/cli/main.js'), 'the command line ran');
    t.deepEqual(under(sources, [...NEVER_FOR_LISTINGS, ...alsoNever]), []);
  });
}

test('`strata images --format …` loads the template engine (which plain listings never load)', async (t) => {
  const sources = await sourcesLoadedBy(['images', '--format', '{{.ID}}']);
  t.true(sources.has('dist/cli/format/go-template.js'));
  t.true(sources.has('dist/cli/format/docker-contexts.js'));
});
