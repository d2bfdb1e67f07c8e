import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canMount } from '../../core/engine.js';
import type { LookupStack } from '../data/data-sets.js';
import type { DriverSession } from '../driver-session.js';
import { drain } from '../driver-session.js';
import { run } from '../exec.js';
import { LOOKUP_KINDS, type LookupKind, type LookupOps, lookupUnit, runLookups } from '../lookup-batches.js';
import { UNION_PEERS, mountUnion, unionPeerUnavailable, unmountUnion } from '../peers/union-mount.js';
import { reasonOf } from '../results.js';
import { type RowBase, type Scenario, type ScenarioContext } from './scenario.js';

const CHILD = fileURLToPath(new URL('../lookup-child.js', import.meta.url));
const REFERENCE = 'kernel-overlayfs';

function stackOf(ctx: ScenarioContext): LookupStack {
  const l = ctx.plan.lookups;
  return ctx.data.lookupStack(l.base, Math.max(...l.depths), l.layerChanges, l);
}

/** Lookups through a mounted directory, timed in a child process (never this one: FUSE). */
async function throughMount(ctx: ScenarioContext, root: string, ops: LookupOps): Promise<Record<LookupKind, number[]>> {
  const opsFile = join(ctx.scratch, 'lookup-ops.json');
  await writeFile(opsFile, JSON.stringify(ops));
  const { stdout } = await run(process.execPath, [CHILD, root, opsFile, String(ctx.plan.lookups.repeats)]);
  return JSON.parse(stdout) as Record<LookupKind, number[]>;
}

function rowBase(depth: number, subject: string, kind: 'driver' | 'peer', via: 'api' | 'mount', metric: LookupKind): RowBase {
  return {
    scenario: 'lookups', case: `depth ${depth}`, params: { depth }, subject, kind, via, metric, unit: lookupUnit(metric),
    ...(subject === REFERENCE ? {} : { peer: REFERENCE }),
  };
}

/** Records one row per lookup kind, or a skipped row per kind with the reason. */
async function record(ctx: ScenarioContext, base: (m: LookupKind) => RowBase, fn: () => Promise<Record<LookupKind, number[]>>): Promise<void> {
  try {
    const result = await fn();
    for (const m of LOOKUP_KINDS) ctx.results.add({ ...base(m), samples: result[m] });
  } catch (err) {
    for (const m of LOOKUP_KINDS) ctx.results.add({ ...base(m), samples: [], skipped: `failed: ${reasonOf(err)}` });
  }
}

function skipAll(ctx: ScenarioContext, base: (m: LookupKind) => RowBase, reason: string): void {
  for (const m of LOOKUP_KINDS) ctx.results.add({ ...base(m), samples: [], skipped: reason });
}

async function driverStack(ctx: ScenarioContext, s: DriverSession, stack: LookupStack, depth: number): Promise<string[]> {
  const ids = [await s.layerFromTar(null, await ctx.data.stackTar(stack, 0))];
  for (let i = 1; i < depth; i++) ids.push(await s.layerFromTar(ids[i - 1]!, await ctx.data.stackTar(stack, i)));
  return ids;
}

/**
 * lookups: stat hits (files of the bottom layer no layer above touches), stat
 * misses, readdir and small-file reads on stacks of growing depth, in
 * microseconds per operation, and a sequential read of a large file of the
 * bottom layer in MB/s — through the driver's user-space calls and
 * through its mount. Peers: kernel overlayfs and fuse-overlayfs mounted
 * read-only over the same stack as plain upper directories.
 */
export const lookupsScenario: Scenario = {
  name: 'lookups',

  async runPeers(ctx) {
    const stack = stackOf(ctx);
    const dirs = await ctx.data.stackDirs(stack);
    for (const peer of UNION_PEERS) {
      const unavailable = await unionPeerUnavailable(peer);
      for (const depth of ctx.plan.lookups.depths) {
        const base = (m: LookupKind): RowBase => rowBase(depth, peer, 'peer', 'mount', m);
        if (unavailable !== undefined) {
          skipAll(ctx, base, unavailable);
          continue;
        }
        const target = join(ctx.scratch, `mnt-${peer}`);
        await record(ctx, base, async () => {
          await mountUnion(peer, { lowers: dirs.slice(0, depth).reverse(), target });
          try {
            return await throughMount(ctx, target, stack.ops);
          } finally {
            await unmountUnion(target);
          }
        });
      }
    }
  },

  async runDriver(ctx, s) {
    const stack = stackOf(ctx);
    const maxDepth = s.capabilities.maxDepth;
    const depths = ctx.plan.lookups.depths;
    let ids: string[] = [];
    try {
      ids = await driverStack(ctx, s, stack, Math.min(Math.max(...depths), maxDepth));
    } catch (err) {
      for (const d of depths) for (const via of ['api', 'mount'] as const) skipAll(ctx, (m) => rowBase(d, s.name, 'driver', via, m), `failed to build the stack: ${reasonOf(err)}`);
      return;
    }
    for (const depth of depths) {
      const api = (m: LookupKind): RowBase => rowBase(depth, s.name, 'driver', 'api', m);
      const mnt = (m: LookupKind): RowBase => rowBase(depth, s.name, 'driver', 'mount', m);
      if (depth > maxDepth) {
        skipAll(ctx, api, `the driver supports at most ${maxDepth} layers`);
        skipAll(ctx, mnt, `the driver supports at most ${maxDepth} layers`);
        continue;
      }
      const top = ids[depth - 1]!;
      const tree = await s.driver.reader(top);
      await record(ctx, api, () =>
        runLookups(
          {
            stat: async (p) => (await tree.stat(`/${p}`)) !== undefined,
            readdir: (p) => tree.readdir(`/${p}`),
            read: async (p) => drain(await tree.read(`/${p}`)),
            readAll: async (p) => drain(await tree.read(`/${p}`)),
          },
          stack.ops,
          ctx.plan.lookups.repeats,
        ),
      );
      if (!canMount(s.capabilities)) {
        skipAll(ctx, mnt, 'the driver has no mount (mountKind none)');
        continue;
      }
      await record(ctx, mnt, async () => {
        const path = await s.mount(top);
        try {
          return await throughMount(ctx, path, stack.ops);
        } finally {
          await s.unmount(top);
        }
      });
    }
  },
};
