import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DriverRegistry } from '../../core/engine.js';
import { builtinDriverModules } from '../../drivers/index.js';
import { bundledEntry } from '../../cli/bundled.js';
import { mountsUnder } from '../../benchmarks/cleanup.js';
import { type BenchResults, SCENARIOS } from '../../benchmarks/results.js';
import { SCENARIO_TITLES } from '../../benchmarks/report/tables.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../benchmarks/main.js', import.meta.url));
const CLI = bundledEntry('main.js');
const requireMounts = process.env.STRATA_REQUIRE_MOUNTS === '1';

async function registered(dir: string): Promise<string[]> {
  return (await DriverRegistry.load({ root: join(dir, 'registry'), plugins: [], driverOptions: {} }, builtinDriverModules)).names();
}

test('npm run bench -- --quick writes every sample, a Markdown and an HTML report, and leaves nothing behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const work = join(dir, 'work');
  const { stdout } = await run(process.execPath, [MAIN, '--quick', '--out', out, '--work-dir', work], { maxBuffer: 64 << 20 });
  t.deepEqual(stdout.trim().split('\n'), ['results.json', 'report.md', 'report.html'].map((f) => join(out, f)));
  t.deepEqual(await mountsUnder(work), [], 'no mount is left in the work dir');

  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  t.is(results.format, 'strata-bench/1');
  t.is(results.mode, 'quick');
  t.true(results.machine.cpus > 0);
  t.is(results.machine.node, process.version);
  t.regex(results.machine.peers.tar ?? '', /GNU tar/);
  t.truthy(results.machine.benchFilesystem);
  t.deepEqual([...results.scenarios], [...SCENARIOS]);

  // Every sample is kept; a row is either measured (with a consistent summary) or says why not.
  for (const row of results.rows) {
    if (row.skipped !== undefined) {
      t.true(row.skipped.length > 0);
      t.is(row.samples.length, 0);
      continue;
    }
    t.true(row.samples.length > 0, `${row.scenario} ${row.case} ${row.subject}`);
    t.true(row.samples.every((v) => Number.isFinite(v) && v >= 0));
    t.true(row.summary!.min <= row.summary!.median && row.summary!.median <= row.summary!.max);
  }

  // Every registered driver appears in every scenario, measured or with a reason.
  const drivers = await registered(dir);
  t.deepEqual(results.drivers.map((d) => d.name), drivers);
  for (const name of drivers) {
    for (const scenario of SCENARIOS) {
      t.true(results.rows.some((r) => r.subject === name && r.scenario === scenario), `${name} has no ${scenario} row`);
    }
  }

  // The peers are there; with mounts required, the union-mount peers must have been measured.
  for (const peer of ['tar -c', 'tar -x', 'cp -a', 'overlay dirs', 'kernel-overlayfs', 'fuse-overlayfs']) {
    t.true(results.rows.some((r) => r.subject === peer && r.kind === 'peer'), `no ${peer} row`);
  }
  if (requireMounts) {
    for (const peer of ['kernel-overlayfs', 'fuse-overlayfs']) {
      const bad = results.rows.filter((r) => r.subject === peer && r.skipped !== undefined);
      t.deepEqual(bad.map((r) => r.skipped), [], `${peer} was not measured`);
    }
  }

  const md = await readFile(join(out, 'report.md'), 'utf8');
  const html = await readFile(join(out, 'report.html'), 'utf8');
  for (const scenario of SCENARIOS) {
    t.true(md.includes(`## ${SCENARIO_TITLES[scenario]}`), `report.md lacks the ${scenario} table`);
  }
  for (const subject of new Set(results.rows.map((r) => r.subject))) {
    t.true(md.includes(`| ${subject}`), `report.md lacks ${subject}`);
    t.true(html.includes(subject.replace(/&/g, '&amp;')), `report.html lacks ${subject}`);
  }
  t.true(md.includes(results.machine.kernel) && html.includes(results.machine.kernel), 'reports state the kernel');
  t.is(results.rows.filter((r) => r.skipped !== undefined).length, (md.match(/not measured: /g) ?? []).length);
  t.true((html.match(/<svg /g) ?? []).length >= 2, 'report.html has the lookup and diff charts');
  t.regex(html, /lookups: stat-hit latency against stack depth/);
  t.regex(html, /diff of K = 10 changes against base size/);
});

test('strata bench runs the same benchmarks from the CLI, and refuses an unknown scenario', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  await run(process.execPath, [CLI, '--root', join(dir, 'root'), 'bench', '--quick', '--scenarios', 'snapshot', '--out', out]);
  t.deepEqual((await readdir(out)).sort(), ['report.html', 'report.md', 'results.json']);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  t.deepEqual([...new Set(results.rows.map((r) => r.scenario))], ['snapshot']);

  const err = await t.throwsAsync(run(process.execPath, [CLI, 'bench', '--quick', '--scenarios', 'nope', '--out', out]));
  t.is((err as { code?: number }).code, 2);
  t.regex((err as { stderr?: string }).stderr ?? '', /unknown scenario "nope"/);
});
