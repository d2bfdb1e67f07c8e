/**
 * Replays every corpus case through the pure build modules (parse, plan, dispatch with a
 * recording executor, context sources) and compares with what Docker's classic builder
 * recorded in expected.json: the image config fields Dockerfiles set and every
 * created_by string (source hashes included: they must be Docker's, bit for bit). File
 * contents and layer counts need the real executor and are the lead's comparison.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isStrataError } from '../../core/errors.js';
import { BuildArgs } from '../../core/build/build-args.js';
import { ContextFilter, parseDockerignore } from '../../core/build/context/dockerignore.js';
import { ContextSources } from '../../core/build/context/context-sources.js';
import { dispatchStage } from '../../core/build/dispatch.js';
import type { HistoryEntry, StageResult, StepExecutor } from '../../core/build/dispatch.js';
import type { BuildConfig } from '../../core/build/image-config.js';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';
import { planBuild } from '../../core/build/plan.js';
import { corpusDir, listCases, readExpected } from './corpus.js';
import type { CaseOptions } from './corpus.js';

const exec = promisify(execFile);
const BASE_CONFIG: BuildConfig = { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] };
/** Cases whose failure comes from running a step (the executor's part), not from the pure modules. */
const EXECUTOR_FAILURES = new Set(['run-fails', 'chown-unknown']);
const FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'OnBuild', 'StopSignal', 'Healthcheck', 'Shell'] as const;

const recorder: StepExecutor = {
  run: async () => ({ emptyLayer: false }),
  copy: async () => ({ emptyLayer: false }),
  workdir: async () => ({ emptyLayer: true }),
};

async function replay(name: string): Promise<{ result: StageResult; history: HistoryEntry[]; scratch: boolean }> {
  const dir = join(corpusDir, name);
  const options: CaseOptions = await readFile(join(dir, 'case.json'), 'utf8').then(JSON.parse, () => ({}));
  const ctx = await mkdtemp(join(tmpdir(), `strata-replay-${name}-`));
  try {
    await cp(join(dir, 'context'), ctx, { recursive: true, verbatimSymlinks: true });
    if (await access(join(dir, 'prepare.sh')).then(() => true, () => false)) await exec('sh', [join(dir, 'prepare.sh')], { cwd: ctx });
    const dfName = options.dockerfile ?? 'Dockerfile';
    const df = parseDockerfile(await readFile(join(ctx, dfName), 'utf8'), dfName);
    const ignore = await readFile(join(ctx, '.dockerignore'), 'utf8').then(parseDockerignore, () => []);
    const filter = new ContextFilter(ignore);
    const buildArgs = new BuildArgs(options.buildArgs);
    const plan = planBuild(df, { target: options.target, buildArgs });
    const context = new ContextSources(ctx, filter, dfName);
    const sources = { resolve: async (inst: Parameters<ContextSources['resolve']>[0], dest: string) => (inst.flags.from !== undefined ? { hash: 'from:?', sources: [] } : context.resolve(inst, dest)) };
    const results = new Map<number, { result: StageResult; history: HistoryEntry[]; scratch: boolean }>();
    for (const level of plan.levels) {
      for (const i of level) {
        const p = plan.stages[i]!;
        const base = p.base.kind === 'stage' ? results.get(p.base.index)! : undefined;
        const baseConfig = p.base.kind === 'scratch' ? undefined : base ? base.result.config : BASE_CONFIG;
        const result = await dispatchStage({ dockerfile: df, stage: p.stage, baseConfig, buildArgs, executor: recorder, sources, labels: i === plan.target ? options.labels : undefined });
        results.set(i, { result, history: [...(base?.history ?? []), ...result.history], scratch: base ? base.scratch : p.base.kind === 'scratch' });
      }
    }
    return results.get(plan.target)!;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

for (const name of await listCases()) {
  test(`corpus ${name}: config and created_by as Docker's classic builder`, async (t) => {
    const expected = await readExpected(name).catch(() => undefined);
    if (!expected) { t.pass('not recorded yet'); return; }
    if (expected.exitCode !== 0) {
      if (EXECUTOR_FAILURES.has(name)) { await replay(name); t.pass(); return; }
      const err = await t.throwsAsync(replay(name));
      t.true(isStrataError(err, 'EBUILD'), String(err));
      t.regex(err!.message, /^Dockerfile:\d+: [A-Z]+: /);
      t.log(`docker: ${expected.error}\nstrata: ${err!.message}`);
      return;
    }
    const { result, history, scratch } = await replay(name);
    const config = expected.config as Record<string, unknown>;
    for (const field of FIELDS) {
      const want = config[field] ?? null;
      const got = (result.config as Record<string, unknown>)[field] ?? null;
      t.deepEqual(emptyToNull(got), emptyToNull(want), field);
    }
    const wantHistory = expected.history!.slice(scratch ? 0 : 1).map((h) => h.createdBy);
    const gotHistory = history.map((h) => h.created_by);
    t.deepEqual(gotHistory, wantHistory.map((w, i) => (gotHistory[i]?.includes('from:?') ? w.replace(/(file|dir|multi):[0-9a-f]{64}/, 'from:?') : w)));
  });
}

function emptyToNull(v: unknown): unknown {
  return v === '' ? null : v;
}
