import { randomId } from '../../core/engine.js';
import { copyTree } from '../peers/tar-peer.js';
import { sampleFresh } from '../stats.js';
import { type Scenario, beyondLinearBudget, measure, n, notMeasured, sampleIntoFreshDir } from './scenario.js';

const PEER = 'cp -a';

/**
 * snapshot: time to create an (empty, writable) child of a parent of 100 /
 * 10,000 / 100,000 entries. Peer: `cp -a --reflink=auto` of the parent as a
 * plain directory — what a full-copy snapshot costs outside strata.
 */
export const snapshotScenario: Scenario = {
  name: 'snapshot',

  async runPeers(ctx) {
    for (const base of ctx.plan.snapshot.bases) {
      await measure(ctx, { scenario: 'snapshot', case: `parent ${n(base)}`, params: { base }, subject: PEER, kind: 'peer', metric: 'time', unit: 'ms' }, async () => {
        const src = await ctx.data.baseDir(base);
        return sampleIntoFreshDir(ctx, 'snapshot', (dst) => copyTree(src, dst));
      });
    }
  },

  async runDriver(ctx, s) {
    const cost = `snapshotCost ${s.capabilities.snapshotCost}`;
    for (const base of ctx.plan.snapshot.bases) {
      const row = { scenario: 'snapshot', case: `parent ${n(base)}`, params: { base }, subject: s.name, kind: 'driver', metric: 'time', unit: 'ms', peer: PEER, note: cost } as const;
      const skip = s.capabilities.snapshotCost === 'linear' ? beyondLinearBudget(ctx, base, 'a linear-cost snapshot') : undefined;
      if (skip !== undefined) {
        notMeasured(ctx, row, skip);
        continue;
      }
      await measure(ctx, row, async () => {
        const parent = await s.base(ctx.data, base);
        return sampleFresh(
          ctx.plan.heavyRepeats,
          async () => randomId(),
          (id) => s.driver.create(id, parent, { writable: true }),
          (id) => s.driver.remove(id),
          ctx.plan.budgetMs,
        );
      });
    }
  },
};
