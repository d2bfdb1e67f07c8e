import test from 'ava';
import { rm } from 'node:fs/promises';
import type { Store } from '../../core/engine.js';
import { listCases, readExpected } from '../build/corpus.js';
import { unmet } from '../helpers/prerequisites.js';
import { registerUnless } from '../../core/testkit/index.js';
import { compareCase, importBusybox, openFreshStore } from './harness.js';

/**
 * Every case of the Docker 20.10 corpus (test/build/corpus) built by strata and compared
 * with the recording: steps printed, exit status and error, image config, layer count,
 * history created_by, the files of the image, the steps taken from the cache on a rebuild.
 * Overlay runs every case; vfs, btrfs-sim and fuse a representative subset.
 */

/** Where strata differs from the recording on purpose, or the recording cannot be replayed; the diffs ignored. */
const KNOWN: Record<string, { reason: string; ignore: RegExp }> = {
  'multistage-target': { reason: 'stages the target does not need are not built (BuildKit\'s rule)', ignore: /^(steps|output) / },
  'cache-cross-stage': { reason: 'stages the target does not need are not built, so their steps cannot seed the cache', ignore: /^(steps|cached steps|output) / },
};

const SUBSET = ['hello-scratch', 'run-shell', 'cache-content', 'symlinks', 'add-tar-dirs', 'workdir-user', 'volume-discard'];

function register(driver: string, cases: string[], reason: string | undefined): void {
  if (reason !== undefined) {
    // A visible skip naming the reason (a failure under STRATA_REQUIRE_MOUNTS=1), never a pass.
    registerUnless(test, { reason, prerequisite: true }, `corpus on ${driver}`, () => undefined);
    return;
  }
  let opened: Promise<{ store: Store; dir: string }> | undefined;
  const store = async (): Promise<Store> => {
    opened ??= openFreshStore(driver).then(async (s) => { await importBusybox(s.store); return s; });
    return (await opened).store;
  };
  test.after.always(async () => {
    if (opened === undefined) return;
    const { store: s, dir } = await opened;
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (const name of cases) {
    test.serial(`${driver}: ${name} builds as Docker 20.10 did`, async (t) => {
      const known = KNOWN[name];
      const diffs = (await compareCase(await store(), name, await readExpected(name))).filter((d) => !(known?.ignore.test(d) ?? false));
      t.deepEqual(diffs, [], known ? `(ignoring: ${known.reason})` : undefined);
    });
  }
}

const allCases = await listCases();
const reasons = { overlay: await unmet('overlay'), fuse: await unmet('fuse'), root: await unmet('root') };
register('overlay', allCases, reasons.overlay);
register('vfs', SUBSET, reasons.root);
register('btrfs-sim', SUBSET, reasons.root);
register('fuse', SUBSET, reasons.fuse);
