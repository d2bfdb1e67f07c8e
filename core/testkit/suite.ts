import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import { canMount } from '../driver.js';
import type { DriverCapabilities } from '../driver.js';
import type { Check } from './check.js';
import { chainChecks } from './checks-chains.js';
import { changeChecks } from './checks-changes.js';
import { commitChecks } from './checks-commit.js';
import { layerChecks } from './checks-layers.js';
import { mountChecks } from './checks-mounts.js';
import { stackChecks } from './checks-stacks.js';
import { Harness, runtimeFrom } from './harness.js';
import { registerUnless } from './prerequisite.js';
import type { Missing } from './prerequisite.js';
import type { DriverFactory } from './harness.js';

export interface SuiteOptions {
  /** The driver's name, used in test titles and by the STRATA_DRIVERS filter. */
  readonly name: string;
  readonly factory: DriverFactory;
}

/** Every check, in the order they are registered. */
export const checks: readonly Check[] = [...layerChecks, ...chainChecks, ...stackChecks, ...changeChecks, ...mountChecks, ...commitChecks];

/** What this machine offers the driver, found once before any check is registered. */
interface Survey {
  readonly caps?: DriverCapabilities;
  /** Why the driver cannot work here (its probe said so). */
  readonly unusable?: string;
  /** Why its layers cannot be mounted here although it has mounts. */
  readonly noMounts?: string;
  readonly root: boolean;
}

/**
 * Registers the conformance suite for one driver with ava (serially: some
 * checks mount). Await it at the top level of the test file:
 *
 *     await conformanceSuite(test, { name: 'vfs', factory: (home) => new VfsDriver(driverContext(home)) });
 *
 * Each check gets a fresh temp home, a fresh driver (init() called) and a fresh
 * oracle directory; everything is unmounted and removed afterwards. The oracle:
 * every step is applied to one plain directory too, and each layer's union —
 * read through stat/readdir/read/xattrs and through its mount — must equal it.
 *
 * A missing prerequisite (probe not ok, mounts failing, not root) is a visible
 * skip with the reason printed, and a failure when STRATA_REQUIRE_MOUNTS=1.
 * A capability the driver does not claim (e.g. mountKind 'none') skips the
 * checks that need it. STRATA_DRIVERS=vfs,overlay limits which drivers run.
 */
export async function conformanceSuite(test: TestFn, options: SuiteOptions): Promise<void> {
  const wanted = process.env.STRATA_DRIVERS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted !== undefined && wanted.length > 0 && !wanted.includes(options.name)) {
    test.skip(`${options.name}: conformance suite (not in STRATA_DRIVERS=${process.env.STRATA_DRIVERS})`, () => undefined);
    return;
  }
  const survey = await surveyDriver(options.factory);
  for (const check of checks) {
    registerUnless(test, missingFor(check, survey), `${options.name}: ${check.title}`, async (t) => {
      const h = await Harness.open(options.factory, survey.noMounts === undefined);
      try {
        await check.run(h, t);
      } finally {
        await h.close();
      }
    });
  }
}

/** Why check cannot run: a prerequisite of this machine, or a capability the driver does not claim. */
function missingFor(check: Check, s: Survey): Missing | undefined {
  if (s.unusable !== undefined || s.caps === undefined) return { reason: `driver unavailable: ${s.unusable}`, prerequisite: true };
  const notClaimed = check.needs?.capability?.(s.caps);
  if (notClaimed !== undefined) return { reason: notClaimed, prerequisite: false };
  if (check.needs?.mount && !canMount(s.caps)) return { reason: 'the driver has no mounts (mountKind none)', prerequisite: false };
  if (check.needs?.mount && s.noMounts !== undefined) return { reason: `mounts fail here: ${s.noMounts}`, prerequisite: true };
  if (check.needs?.root && !s.root) return { reason: 'needs root (owners, device nodes)', prerequisite: true };
  return undefined;
}

/** Probes the driver in a throwaway home: its probe(), then one read-only and one writable mount. */
async function surveyDriver(factory: DriverFactory): Promise<Survey> {
  const root = process.getuid?.() === 0;
  const work = await mkdtemp(join(tmpdir(), 'strata-survey-'));
  try {
    await mkdir(join(work, 'home'));
    const driver = await runtimeFrom(factory, join(work, 'home'));
    const caps = driver.capabilities;
    const probe = await driver.probe();
    if (!probe.ok) return { caps, unusable: probe.reason ?? 'probe() says no', root };
    await driver.init();
    let noMounts: string | undefined;
    if (canMount(caps)) {
      const mounted: string[] = [];
      try {
        await driver.create('surveybase', null, { writable: false });
        await driver.create('surveytop', 'surveybase', { writable: true });
        mounted.push('surveybase');
        await driver.mount('surveybase');
        mounted.push('surveytop');
        await writeFile(join(await driver.mount('surveytop'), 'probe'), 'probe');
      } catch (err) {
        noMounts = (err as Error).message;
      } finally {
        for (const id of mounted) await driver.unmount(id).catch(() => undefined);
      }
    }
    await driver.close();
    return { caps, root, ...(noMounts === undefined ? {} : { noMounts }) };
  } catch (err) {
    return { unusable: `setting it up failed: ${(err as Error).message}`, root };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
