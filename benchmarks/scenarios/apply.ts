import { createReadStream } from 'node:fs';
import { randomId } from '../../core/engine.js';
import { tarExtract } from '../peers/tar-peer.js';
import { sampleFresh } from '../stats.js';
import { type Scenario, type ScenarioContext, measure, n, sampleIntoFreshDir } from './scenario.js';

const PEER = 'tar -x';

interface ApplyCase {
  readonly label: string;
  readonly params: Record<string, number>;
  /** Entries of the base the layer goes on; undefined: a base layer itself. */
  readonly parentBase?: number;
  tar(ctx: ScenarioContext): Promise<string>;
}

function cases(ctx: ScenarioContext): ApplyCase[] {
  const out: ApplyCase[] = ctx.plan.apply.bases.map((base) => ({
    label: `base ${n(base)}`,
    params: { base },
    tar: (c: ScenarioContext) => c.data.baseTar(base),
  }));
  const first = ctx.plan.apply.bases[0];
  if (first !== undefined) {
    const k = ctx.plan.apply.changes;
    out.push({ label: `K ${n(k)} over base ${n(first)}`, params: { base: first, k }, parentBase: first, tar: (c) => c.data.changesTar(first, k) });
  }
  return out;
}

/**
 * apply: time for applyDiff of a layer tarball (read from a file), each sample
 * into a fresh layer. Peer: GNU `tar -xpf` of the same file into an empty
 * directory, then fsync of what it wrote (the drivers sync what they write too).
 */
export const applyScenario: Scenario = {
  name: 'apply',

  async runPeers(ctx) {
    for (const c of cases(ctx)) {
      await measure(ctx, { scenario: 'apply', case: c.label, params: c.params, subject: PEER, kind: 'peer', metric: 'time', unit: 'ms' }, async () => {
        const tar = await c.tar(ctx);
        return sampleIntoFreshDir(ctx, 'apply', (dir) => tarExtract(tar, dir));
      });
    }
  },

  async runDriver(ctx, s) {
    for (const c of cases(ctx)) {
      await measure(ctx, { scenario: 'apply', case: c.label, params: c.params, subject: s.name, kind: 'driver', metric: 'time', unit: 'ms', peer: PEER }, async () => {
        const tar = await c.tar(ctx);
        const parent = c.parentBase === undefined ? null : await s.base(ctx.data, c.parentBase);
        return sampleFresh(
          ctx.plan.heavyRepeats,
          async () => {
            const id = randomId();
            await s.driver.create(id, parent, { writable: false });
            return id;
          },
          (id) => s.driver.applyDiff(id, parent, createReadStream(tar)),
          (id) => s.driver.remove(id),
          ctx.plan.budgetMs,
        );
      });
    }
  },
};
