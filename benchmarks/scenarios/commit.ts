import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canMount, randomId } from '../../core/engine.js';
import { mountScript } from '../data/mount-script.js';
import { drain } from '../driver-session.js';
import { run } from '../exec.js';
import { tarCreate } from '../peers/tar-peer.js';
import { UNION_PEERS, mountUnion, unionPeerUnavailable, unmountUnion } from '../peers/union-mount.js';
import { sampleFresh } from '../stats.js';
import { type RowBase, type Scenario, type ScenarioContext, measure, n } from './scenario.js';

const REFERENCE = 'kernel-overlayfs';

async function scriptFile(ctx: ScenarioContext): Promise<string> {
  const file = join(ctx.scratch, 'commit.sh');
  await writeFile(file, mountScript(ctx.data.changes(ctx.plan.commit.base, ctx.plan.commit.changes, 7)));
  return file;
}

function row(ctx: ScenarioContext, subject: string, kind: 'driver' | 'peer'): RowBase {
  const c = ctx.plan.commit;
  return {
    scenario: 'commit', case: `K ${n(c.changes)} over base ${n(c.base)}`, params: { base: c.base, k: c.changes }, subject, kind, metric: 'time', unit: 'ms',
    ...(subject === REFERENCE ? {} : { peer: REFERENCE }),
  };
}

/**
 * commit: end to end — mount a writable layer, make K changes through the
 * mount with a shell script (a child process), unmount, produce the diff.
 * Peers: kernel overlayfs and fuse-overlayfs with an upper directory, the same
 * script, unmount, `tar -c` of the upper directory.
 */
export const commitScenario: Scenario = {
  name: 'commit',

  async runPeers(ctx) {
    const script = await scriptFile(ctx);
    for (const peer of UNION_PEERS) {
      const unavailable = await unionPeerUnavailable(peer);
      if (unavailable !== undefined) {
        ctx.results.add({ ...row(ctx, peer, 'peer'), samples: [], skipped: unavailable });
        continue;
      }
      await measure(ctx, row(ctx, peer, 'peer'), async () => {
        const lower = await ctx.data.baseDir(ctx.plan.commit.base);
        const dirs = (i: number): [string, string, string] => ['upper', 'work', 'mnt'].map((d) => join(ctx.scratch, `commit-${peer}-${i}-${d}`)) as [string, string, string];
        return sampleFresh(
          ctx.plan.heavyRepeats,
          async (i) => dirs(i),
          async ([upper, work, target]) => {
            await mountUnion(peer, { lowers: [lower], upper, work, target });
            try {
              await run('bash', [script], { cwd: target });
            } finally {
              await unmountUnion(target);
            }
            await tarCreate(upper);
          },
          async (ds) => {
            for (const d of ds) await rm(d, { recursive: true, force: true });
          },
          ctx.plan.budgetMs,
        );
      });
    }
  },

  async runDriver(ctx, s) {
    if (!canMount(s.capabilities)) {
      ctx.results.add({ ...row(ctx, s.name, 'driver'), samples: [], skipped: 'the driver has no mount (mountKind none)' });
      return;
    }
    const script = await scriptFile(ctx);
    await measure(ctx, row(ctx, s.name, 'driver'), async () => {
      const base = await s.base(ctx.data, ctx.plan.commit.base);
      // Untimed, as the peers' lower directory is extracted untimed: a driver's first
      // mount of a base may prepare it once for every later mount (btrfs-sim writes
      // the tree out once; its later writable mounts are overlays over it).
      await s.mount(base).catch(() => undefined);
      await s.unmount(base).catch(() => undefined);
      let bytes = 0;
      const samples = await sampleFresh(
        ctx.plan.heavyRepeats,
        async () => {
          const id = randomId();
          await s.driver.create(id, base, { writable: true });
          return id;
        },
        async (id) => {
          const path = await s.mount(id);
          try {
            await run('bash', [script], { cwd: path });
          } finally {
            await s.unmount(id);
          }
          bytes = await drain(await s.driver.diff(id, base));
        },
        (id) => s.driver.remove(id),
        ctx.plan.budgetMs,
      );
      return { samples, note: `${n(bytes)} tar bytes, ${s.capabilities.mountKind} mount` };
    });
  },
};
