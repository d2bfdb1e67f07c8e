// A command loads the code it runs and not the rest (issue: CLI start is module
// loading). The bundled CLI runs with a module hook that logs every file it
// loads; the bundle's metafile says which sources each loaded file holds.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { CLI, runCli, tempDir } from './run-cli.js';

const RECORDER = fileURLToPath(new URL('./fixtures/record-imports.js', import.meta.url));
const BUNDLE_DIR = dirname(CLI);

interface Metafile {
  readonly outputs: Readonly<Record<string, { readonly inputs: Readonly<Record<string, unknown>> }>>;
}

/** The source modules (paths as dist/… or node_modules/…) that `strata ...args` loaded, external packages included. */
async function sourcesLoadedBy(args: readonly string[]): Promise<Set<string>> {
  const dir = await tempDir('imports');
  try {
    const log = join(dir.path, 'imports.log');
    const r = await runCli(['--root', join(dir.path, 'root'), '--driver', 'vfs', ...args], {
      env: { NODE_OPTIONS: `--import=${RECORDER}`, STRATA_IMPORT_LOG: log },
    });
    if (r.status !== 0) throw new Error(`strata ${args.join(' ')} failed: ${r.stderr}`);
    const meta = JSON.parse(await readFile(join(BUNDLE_DIR, 'metafile.json'), 'utf8')) as Metafile;
    const repo = join(BUNDLE_DIR, '..', '..', '..');
    const sources = new Set<string>();
    for (const url of (await readFile(log, 'utf8')).split('\n')) {
      if (!url.startsWith('file:')) continue;
      const path = relative(repo, fileURLToPath(url));
      const output = meta.outputs[path];
      if (output === undefined) sources.add(path); // outside the bundle: an external package
      else for (const input of Object.keys(output.inputs)) sources.add(input);
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
    t.true(sources.has('dist/cli/main.js'), 'the recorder saw the command line load');
    t.deepEqual(under(sources, [...NEVER_FOR_LISTINGS, ...alsoNever]), []);
  });
}

test('`strata images --format …` loads the template engine (which plain listings never load)', async (t) => {
  const sources = await sourcesLoadedBy(['images', '--format', '{{.ID}}']);
  t.true(sources.has('dist/cli/format/go-template.js'));
  t.true(sources.has('dist/cli/format/docker-contexts.js'));
});
