import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { canMount, randomId } from '../../core/engine.js';
import { mountScript } from '../data/mount-script.js';
import type { DriverSession } from '../driver-session.js';
import { run } from '../exec.js';
import { sampleFresh } from '../stats.js';
import { type RowBase, type Scenario, type ScenarioContext, measure, n, notMeasured } from './scenario.js';

type Way = 'diff digest' | 'commit' | 'diff + apply';

function row(ctx: ScenarioContext, driver: string, way: Way): RowBase {
  const c = ctx.plan.layerCommit;
  return {
    scenario: 'layer-commit', case: `K ${n(c.changes)} over base ${n(c.base)}`, params: { base: c.base, k: c.changes },
    // The commit row is the driver's own; the other two are named after it.
    subject: way === 'commit' ? driver : `${driver}: ${way}`, kind: 'driver', metric: 'time', unit: 'ms',
    ...(way === 'diff digest' ? {} : { peer: `${driver}: diff digest` }),
  };
}

/** sha256 of the layer's diff against its parent: what core computes for the diffID. */
async function digestDiff(s: DriverSession, id: string, parent: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(await s.driver.diff(id, parent), new Writable({ write(chunk: Buffer, _e, cb) { hash.update(chunk); cb(); } }));
  return hash.digest('hex');
}

/**
 * layer-commit: a writable layer holding K changes (made through its mount by
 * a shell script; not timed) becomes a read-only layer. Three ways, per driver:
 * `diff digest` (sha256 of its diff: the floor any commit pays for the diffID),
 * `commit` (what strata's layer commit does: that digest plus the driver's
 * in-place seal) and `diff + apply` (what Docker's commit does: the diff
 * applied again as a new layer). Ratios are to the digest.
 */
export const layerCommitScenario: Scenario = {
  name: 'layer-commit',

  async runPeers() {},

  async runDriver(ctx, s) {
    const ways: Way[] = ['diff digest', 'commit', 'diff + apply'];
    if (!canMount(s.capabilities)) {
      for (const way of ways) notMeasured(ctx, row(ctx, s.name, way), 'the driver has no mount to change a writable layer through');
      return;
    }
    const script = join(ctx.scratch, 'layer-commit.sh');
    await writeFile(script, mountScript(ctx.data.changes(ctx.plan.layerCommit.base, ctx.plan.layerCommit.changes, 11)));
    const base = await s.base(ctx.data, ctx.plan.layerCommit.base);
    const changed = async (): Promise<string> => {
      const id = randomId();
      await s.driver.create(id, base, { writable: true });
      const path = await s.mount(id);
      try {
        await run('bash', [script], { cwd: path });
      } finally {
        await s.unmount(id);
      }
      return id;
    };
    const timed: Record<Way, (id: string) => Promise<unknown>> = {
      'diff digest': (id) => digestDiff(s, id, base),
      commit: async (id) => {
        await digestDiff(s, id, base);
        await s.driver.commit(id);
      },
      'diff + apply': async (id) => {
        const copy = randomId();
        await s.driver.create(copy, base, { writable: false });
        try {
          await s.driver.applyDiff(copy, base, await s.driver.diff(id, base));
        } finally {
          await s.driver.remove(copy);
        }
      },
    };
    for (const way of ways) {
      await measure(ctx, row(ctx, s.name, way), async () =>
        sampleFresh(ctx.plan.heavyRepeats, changed, timed[way], (id) => s.driver.remove(id), ctx.plan.budgetMs),
      );
    }
  },
};
