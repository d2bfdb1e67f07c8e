import test from 'ava';
import { driverContext } from '../../core/index.js';
import type { Change, DriverContext, TreeReader } from '../../core/index.js';
import { naiveChanges } from '../../core/kit.js';
import { Harness, checks } from '../../core/testkit/index.js';
import { testNeeding } from '../helpers/prerequisites.js';
import { PlainCopyDriver } from './plain-copy-driver.js';

// The conformance suite must fail drivers that break the contract in ways a user
// would notice; each broken driver below differs from a passing one in one method.

class DropsSpecialBits extends PlainCopyDriver {
  override async reader(id: string): Promise<TreeReader> {
    const tree = await super.reader(id);
    return {
      stat: async (path) => {
        const st = await tree.stat(path);
        return st && { ...st, mode: st.mode & 0o777 };
      },
      readdir: (path) => tree.readdir(path),
      read: (path) => tree.read(path),
      xattrs: (path) => tree.xattrs(path),
    };
  }
}

class HidesDeletions extends PlainCopyDriver {
  async changes(id: string, parent: string | null): Promise<Change[]> {
    const all = await naiveChanges(parent === null ? null : await this.reader(parent), await this.reader(id));
    return all.filter((c) => c.kind !== 'D');
  }
}

class ForgetsMounts extends PlainCopyDriver {
  override async mountCount(): Promise<number> {
    return 0;
  }
}

const cases: Array<[string, new (context: DriverContext) => PlainCopyDriver, string]> = [
  ['drops setuid, setgid and sticky bits', DropsSpecialBits, 'base layer keeps sticky'],
  ['leaves deletions out of changes', HidesDeletions, 'changes equal the recorded edits'],
  ['loses mount reference counts', ForgetsMounts, 'mount reference counts'],
];

for (const [what, Driver, checkTitle] of cases) {
  await testNeeding(test, 'bind', `the suite fails a driver that ${what}`, async (t) => {
    const check = checks.find((c) => c.title.startsWith(checkTitle));
    if (check === undefined) return t.fail(`no check titled "${checkTitle}..."`);
    const h = await Harness.open((home) => new Driver(driverContext(home)), true);
    try {
      const attempt = await t.try(async (tt) => check.run(h, tt));
      const caught = !attempt.passed;
      attempt.discard();
      t.true(caught, `"${check.title}" catches it`);
    } finally {
      await h.close();
    }
  });
}
