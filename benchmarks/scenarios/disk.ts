import { du } from '../peers/du.js';
import { type RowBase, type Scenario, type ScenarioContext, n } from './scenario.js';
import { reasonOf } from '../results.js';

const PEER = 'overlay dirs';

function label(ctx: ScenarioContext): { case: string; params: Record<string, number> } {
  const d = ctx.plan.disk;
  return { case: `base ${n(d.base)} + ${d.children} children of ${d.childChanges} changes`, params: { base: d.base, children: d.children, k: d.childChanges } };
}

type Metric = { metric: string; unit: 'bytes' | 'inodes' };
const USAGE: Metric[] = [{ metric: 'usage bytes', unit: 'bytes' }, { metric: 'usage inodes', unit: 'inodes' }];
const DU: Metric[] = [{ metric: 'du bytes', unit: 'bytes' }, { metric: 'du inodes', unit: 'inodes' }];

function rows(ctx: ScenarioContext, subject: string, kind: 'driver' | 'peer', metrics: Metric[], values: number[] | string, note?: string): void {
  for (const [i, m] of metrics.entries()) {
    const row: RowBase = { scenario: 'disk', ...label(ctx), subject, kind, ...m, ...(kind === 'driver' ? { peer: PEER } : {}), ...(note ? { note } : {}) };
    if (typeof values === 'string') ctx.results.add({ ...row, samples: [], skipped: values });
    else ctx.results.add({ ...row, samples: [values[i]!] });
  }
}

/**
 * disk: bytes and inodes held by a base plus N small child layers — as the
 * driver reports them (`usage`, summed over the layers) and as `du` counts the
 * driver's whole store (a fresh one, holding only these layers). Peer: the
 * same layers as plain overlay directories. One sample: sizes do not vary.
 */
export const diskScenario: Scenario = {
  name: 'disk',

  async runPeers(ctx) {
    const d = ctx.plan.disk;
    try {
      const dirs = [await ctx.data.baseDir(d.base)];
      for (let i = 1; i <= d.children; i++) dirs.push(await ctx.data.changesDir(d.base, d.childChanges, i));
      const got = await du(dirs);
      rows(ctx, PEER, 'peer', DU, [got.bytes, got.inodes]);
    } catch (err) {
      rows(ctx, PEER, 'peer', DU, `failed: ${reasonOf(err)}`);
    }
  },

  async runDriver(ctx, s) {
    const d = ctx.plan.disk;
    const fresh = await s.fork();
    try {
      const ids = [await fresh.base(ctx.data, d.base)];
      for (let i = 1; i <= d.children; i++) ids.push(await fresh.layerFromTar(ids[0]!, await ctx.data.changesTar(d.base, d.childChanges, i)));
      let bytes = 0;
      let inodes = 0;
      let shared = 0;
      for (const id of ids) {
        const u = await fresh.driver.usage(id);
        bytes += u.bytes;
        inodes += u.inodes;
        shared += u.sharedBytes ?? 0;
      }
      rows(ctx, s.name, 'driver', USAGE, [bytes, inodes], shared > 0 ? `${n(shared)} bytes shared` : undefined);
      const got = await du([fresh.root]);
      rows(ctx, s.name, 'driver', DU, [got.bytes, got.inodes]);
    } catch (err) {
      rows(ctx, s.name, 'driver', [...USAGE, ...DU], `failed: ${reasonOf(err)}`);
    } finally {
      await fresh.close();
    }
  },
};
