/**
 * Mount start (issue 14, target 4: "mount ready in ≤ 100 ms"): the wall time
 * from asking for a mount of a writable layer over a 3-layer stack until the
 * merged tree answers, then its unmount, for every driver with mounts, next to
 * kernel overlayfs and fuse-overlayfs mounting the same directories in the
 * same run; and `strata-fuse-overlay`, strata's union behind fuse-overlayfs'
 * command line, on those directories too, in its two forms: the launcher
 * podman runs as its mount_program (build/Release/strata-fuse-overlay, which
 * starts the mount daemon and returns once it answers) and the Node entry
 * (npm's bin: a Node parent doing the same). Medians in ms; needs root.
 *
 *     node dist/benchmarks/mount-start.js [repeats]     (default 15)
 *
 * Prints one JSON object: per subject the median mount and unmount times, and
 * each driver's mount median over each peer's.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUSE_OVERLAY_LAUNCHER, bundledEntry } from '../cli/bundled.js';
import { builtinDriverModules } from '../drivers/index.js';
import { run } from './exec.js';
import { DriverSession } from './driver-session.js';
import { UNION_PEERS, type UnionPeer, fuseMountUnavailable, mountUnion, overlayMountOptions, unionPeerUnavailable, unmountUnion } from './peers/union-mount.js';
import { nowMs, summarize } from './stats.js';
import type { Summary } from './stats.js';

const DRIVERS = ['overlay', 'fuse', 'vfs', 'btrfs-sim'];
const FILES_PER_LAYER = 200;

interface Timing {
  readonly mount: Summary;
  readonly unmount: Summary;
}

/** Times `repeats` mount/first-readdir/unmount rounds. */
async function rounds(repeats: number, mount: () => Promise<string>, unmount: () => Promise<void>): Promise<Timing> {
  const mounts: number[] = [];
  const unmounts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let t = nowMs();
    const merged = await mount();
    await readdir(merged);
    mounts.push(nowMs() - t);
    t = nowMs();
    await unmount();
    unmounts.push(nowMs() - t);
  }
  return { mount: summarize(mounts), unmount: summarize(unmounts) };
}

/** Fills dir with `FILES_PER_LAYER` small files named after the layer. */
async function fill(dir: string, layer: number): Promise<void> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  for (let i = 0; i < FILES_PER_LAYER; i++) await writeFile(join(dir, 'etc', `l${layer}-${i}`), `layer ${layer} file ${i}\n`);
}

async function driverTiming(work: string, name: string, repeats: number): Promise<Timing | string> {
  const session = await DriverSession.open(name, join(work, name), builtinDriverModules);
  if (!(session instanceof DriverSession)) return session.unavailable;
  try {
    if (session.capabilities.mountKind === 'none') return 'the driver does not mount';
    let parent: string | null = null;
    for (let layer = 0; layer < 3; layer++) {
      const id: string = `layer${layer}`;
      await session.driver.create(id, parent, { writable: true });
      await fill(await session.mount(id), layer);
      await session.unmount(id);
      await session.driver.commit(id);
      parent = id;
    }
    await session.driver.create('top', parent, { writable: true });
    return await rounds(repeats, () => session.mount('top'), () => session.unmount('top'));
  } catch (err) {
    return (err as Error).message;
  } finally {
    await session.close();
  }
}

/** strata-fuse-overlay's forms (it takes fuse-overlayfs' command line): subject name → command and first arguments. */
const FUSE_OVERLAY_FORMS: Record<string, () => [string, string[]]> = {
  'strata-fuse-overlay': () => [FUSE_OVERLAY_LAUNCHER, []],
  'strata-fuse-overlay (node entry)': () => [process.execPath, [bundledEntry('fuse-overlay.js')]],
};

/** A 3-layer stack of lower directories in overlayfs' layout under work/name, and a writable mount spec over it. */
async function overlayStack(work: string, name: string) {
  const dir = join(work, name);
  const lowers = [2, 1, 0].map((n) => join(dir, 'l', `${n}`));
  for (const [i, lower] of lowers.entries()) await fill(lower, 2 - i);
  return { lowers, upper: join(dir, 'upper'), work: join(dir, 'work'), target: join(dir, 'merged') };
}

async function peerTiming(work: string, peer: UnionPeer, repeats: number): Promise<Timing | string> {
  const why = await unionPeerUnavailable(peer);
  if (why !== undefined) return why;
  const spec = await overlayStack(work, peer);
  return rounds(repeats, async () => {
    await mountUnion(peer, spec);
    return spec.target;
  }, () => unmountUnion(spec.target));
}

/** `strata-fuse-overlay -o … MNT` in one of its forms, timed as the fuse-overlayfs peer is (same stack, same options). */
async function fuseOverlayCommandTiming(work: string, form: string, repeats: number): Promise<Timing | string> {
  const why = await fuseMountUnavailable();
  if (why !== undefined) return why;
  const spec = await overlayStack(work, form.replace(/\W+/g, '-'));
  const [command, first] = FUSE_OVERLAY_FORMS[form]!();
  return rounds(repeats, async () => {
    const { options, cwd } = await overlayMountOptions('fuse-overlayfs', spec);
    await run(command, [...first, '-o', options, spec.target], { cwd });
    return spec.target;
  }, () => unmountUnion(spec.target));
}

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 15);
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-mount-'));
  const results: Record<string, Timing | string> = {};
  try {
    for (const peer of UNION_PEERS) results[peer] = await peerTiming(work, peer, repeats);
    for (const name of DRIVERS) results[name] = await driverTiming(work, name, repeats);
    for (const form of Object.keys(FUSE_OVERLAY_FORMS)) results[form] = await fuseOverlayCommandTiming(work, form, repeats);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const ratios: Record<string, Record<string, number>> = {};
  for (const name of [...DRIVERS, ...Object.keys(FUSE_OVERLAY_FORMS)]) {
    const own = results[name];
    if (typeof own === 'string') continue;
    for (const peer of UNION_PEERS) {
      const theirs = results[peer];
      if (typeof theirs !== 'string') (ratios[name] ??= {})[peer] = Number((own.mount.median / theirs.mount.median).toFixed(2));
    }
  }
  process.stdout.write(`${JSON.stringify({ benchmark: 'mount start: mount + first readdir of a writable layer over 3 layers (ms)', repeats, results, mountRatioToPeer: ratios }, null, 2)}\n`);
}

await main();
