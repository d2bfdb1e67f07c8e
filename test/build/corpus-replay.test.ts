/**
 * Every corpus case through the pure build modules (replay.ts), compared with what
 * Docker's classic builder recorded in expected.json: the image config fields
 * Dockerfiles set and every created_by string (source hashes included: they must be
 * Docker's, bit for bit). File contents and layer counts need the real executor and
 * are the lead's comparison.
 */
import test from 'ava';
import { isStrataError } from '../../core/errors.js';
import { listCases, readExpected } from './corpus.js';
import { replayCase } from './replay.js';

/** Cases whose failure comes from running a step (the executor's part), not from the pure modules. */
const EXECUTOR_FAILURES = new Set(['run-fails', 'chown-unknown', 'run-empty']);
const FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'OnBuild', 'StopSignal', 'Healthcheck', 'Shell'] as const;

for (const name of await listCases()) {
  test(`corpus ${name}: config and created_by as Docker's classic builder`, async (t) => {
    const expected = await readExpected(name).catch(() => undefined);
    if (!expected) { t.pass('not recorded yet'); return; }
    if (expected.exitCode !== 0) {
      if (EXECUTOR_FAILURES.has(name)) { await replayCase(name); t.pass(); return; }
      const err = await t.throwsAsync(replayCase(name));
      t.true(isStrataError(err, 'EBUILD'), String(err));
      t.regex(err!.message, /^Dockerfile:\d+: [A-Z]+: /);
      t.log(`docker: ${expected.error}\nstrata: ${err!.message}`);
      return;
    }
    const replayed = await replayCase(name);
    const { result, history, scratch } = replayed.again ?? replayed.first;
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
