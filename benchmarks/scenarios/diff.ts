import { drain } from '../driver-session.js';
import { tarCreate } from '../peers/tar-peer.js';
import { sampleMs } from '../stats.js';
import { type Scenario, type ScenarioContext, beyondLinearBudget, measure, n, notMeasured } from './scenario.js';

const PEER = 'tar -c';

function cases(ctx: ScenarioContext): { base: number; k: number; label: string }[] {
  return ctx.plan.diff.bases.flatMap((base) => ctx.plan.diff.changes.map((k) => ({ base, k, label: `base ${n(base)}, K ${n(k)}` })));
}

/**
 * diff: time to produce the layer tarball of K changes over bases of growing
 * size. Peer: `tar -c | wc -c` of an upper directory holding just those
 * changes — the floor any diff must read and write. One warm-up run each.
 */
export const diffScenario: Scenario = {
  name: 'diff',

  async runPeers(ctx) {
    for (const c of cases(ctx)) {
      await measure(ctx, { scenario: 'diff', case: c.label, params: { base: c.base, k: c.k }, subject: PEER, kind: 'peer', metric: 'time', unit: 'ms' }, async () => {
        const dir = await ctx.data.changesDir(c.base, c.k);
        let bytes = 0;
        const samples = await sampleMs(ctx.plan.repeats, async () => {
          bytes = (await tarCreate(dir)).bytes;
        }, 1, ctx.plan.budgetMs);
        return { samples, note: `${n(bytes)} tar bytes` };
      });
    }
  },

  async runDriver(ctx, s) {
    const kind = s.capabilities.nativeDiff ? 'native diff' : 'naive diff';
    for (const c of cases(ctx)) {
      const row = { scenario: 'diff', case: c.label, params: { base: c.base, k: c.k }, subject: s.name, kind: 'driver', metric: 'time', unit: 'ms', peer: PEER, note: kind } as const;
      const skip = s.capabilities.nativeDiff ? undefined : beyondLinearBudget(ctx, c.base, 'a naive diff');
      if (skip !== undefined) {
        notMeasured(ctx, row, skip);
        continue;
      }
      await measure(ctx, row, async () => {
        const base = await s.base(ctx.data, c.base);
        const child = await s.layerFromTar(base, await ctx.data.changesTar(c.base, c.k));
        try {
          let bytes = 0;
          const samples = await sampleMs(ctx.plan.repeats, async () => {
            bytes = await drain(await s.driver.diff(child, base));
          }, 1, ctx.plan.budgetMs);
          return { samples, note: `${n(bytes)} tar bytes` };
        } finally {
          await s.driver.remove(child).catch(() => undefined);
        }
      });
    }
  },
};
