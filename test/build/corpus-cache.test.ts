/**
 * The cache rule (cache-key.ts) against Docker's: for the corpus cases that build twice
 * (`rebuild` in case.json) and for every first build, a step is a cache hit exactly
 * when Docker printed ` ---> Using cache` for it. Keys chain through the parent as image
 * ids do: a step's key is the key of (its parent step's key, its created_by); a hit is a
 * key seen earlier in this build or in the previous one.
 */
import test from 'ava';
import { stepCacheKey } from '../../core/build/cache-key.js';
import { listCases, readExpected } from './corpus.js';
import type { Replayed } from './replay.js';
import { replayCase } from './replay.js';

/** Step numbers (Docker's `Step N/M`) whose key was already known. */
function cachedSteps(build: Replayed, known: Set<string>): number[] {
  const hits: number[] = [];
  const stageKeys: string[] = [];
  let step = 0;
  build.stages.forEach((stage) => {
    step++; // FROM
    let parent = stage.base.startsWith('stage:') ? stageKeys[Number(stage.base.slice(6))]! : `image:${stage.base}`;
    for (const entry of stage.history) {
      step++;
      const key = stepCacheKey({ parent, createdBy: entry.created_by, config: {} });
      if (known.has(key)) hits.push(step);
      known.add(key);
      parent = key;
    }
    stageKeys.push(parent);
  });
  return hits;
}

for (const name of await listCases()) {
  test(`corpus ${name}: the steps Docker took from its cache`, async (t) => {
    const expected = await readExpected(name).catch(() => undefined);
    if (!expected || expected.exitCode !== 0 || expected.cachedSteps === undefined) { t.pass('no successful recording'); return; }
    const { first, again } = await replayCase(name);
    const known = new Set<string>();
    t.deepEqual(cachedSteps(first, known), expected.cachedSteps, 'first build');
    if (expected.rebuild) t.deepEqual(cachedSteps(again!, known), expected.rebuild.cachedSteps, 'rebuild');
  });
}
