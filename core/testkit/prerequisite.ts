import type { ExecutionContext, TestFn } from 'ava';

/** Why a test cannot run here. */
export interface Missing {
  readonly reason: string;
  /**
   * true: the machine lacks something (mounts, root, /dev/fuse) — a failure under
   * STRATA_REQUIRE_MOUNTS=1, as in CI. false: the test does not apply (the driver
   * does not claim the capability) — always a skip.
   */
  readonly prerequisite: boolean;
}

/**
 * Registers a serial test, or — when something is missing — a visible skip that
 * prints and names the reason, or a failing test when the missing thing is a
 * prerequisite and STRATA_REQUIRE_MOUNTS=1. Never a silent pass.
 */
export function registerUnless(test: TestFn, missing: Missing | undefined, title: string, run: (t: ExecutionContext) => Promise<void> | void): void {
  if (missing === undefined) {
    test.serial(title, run);
  } else if (missing.prerequisite && process.env.STRATA_REQUIRE_MOUNTS === '1') {
    test.serial(title, (t) => t.fail(`prerequisite missing and STRATA_REQUIRE_MOUNTS=1: ${missing.reason}`));
  } else {
    console.log(`# SKIP ${title}: ${missing.reason}`);
    test.skip(`${title} (skipped: ${missing.reason})`, () => undefined);
  }
}
