import test from 'ava';
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorCode } from '../../core/engine.js';
import { tempDir } from './fixtures.js';
import { testNeeding } from '../helpers/prerequisites.js';

const run = promisify(execFile);
const NOBODY = 65534;

// Root is needed to run the child as an unprivileged user.
await testNeeding(test, 'root', 'where kernel mounts are not allowed, mount fails with EDRIVERUNAVAILABLE and a reason; apply, deletions, lookups and diff work', async (t) => {
  const dir = await tempDir(t);
  await chmod(dir, 0o777);
  const child = fileURLToPath(new URL('./unprivileged-child.js', import.meta.url));
  const { stdout } = await run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, child, `${dir}/home`]);
  const result = JSON.parse(stdout) as {
    probe: { ok: boolean; reason?: string };
    size: number;
    names: string[];
    diffBytes: number;
    mountError?: { code: string; message: string };
    whiteoutError?: string;
    childNames: string[];
  };
  t.true(result.probe.ok, 'the driver works without mounts');
  t.regex(result.probe.reason ?? '', /mount unavailable: .*root/);
  t.is(result.size, 5);
  t.deepEqual(result.names, ['motd']);
  t.true(result.diffBytes > 0);
  t.is(result.mountError?.code, ErrorCode.EDRIVERUNAVAILABLE);
  t.regex(result.mountError?.message ?? '', /cannot mount layer base: kernel overlay mounts need root/);
  t.is(result.whiteoutError, undefined, 'a deletion is recorded (Linux >= 5.8 lets anyone make a whiteout)');
  t.deepEqual(result.childNames, [], 'and hides the file');
});
