import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { runCli, tempDir, tool } from './run-cli.js';

// A finished command ends with _exit(2) once its output is out (cli/exit-now.ts): what it
// wrote must all reach a reader, even one that stalls while most of it still waits in
// the process for the pipe, and its status must be the command's.

test('a listing larger than the pipe reaches a reader that stalls, whole, and the command exits 0', async (t) => {
  const dir = await tempDir('exit');
  t.teardown(dir.cleanup);
  const tree = join(dir.path, 'tree');
  await mkdir(tree);
  // 4,000 names of 80 characters: about 340 KB of `layer changes`, written at once, far more than a pipe holds (64 KiB)
  const names = Array.from({ length: 4000 }, (_, i) => `${String(i).padStart(4, '0')}-${'x'.repeat(75)}`);
  for (const name of names) await writeFile(join(tree, name), '');
  const tarball = join(dir.path, 'layer.tar');
  tool('tar', ['--format=posix', '-C', tree, '-cf', tarball, '.']);
  const root = ['--root', join(dir.path, 'root')];
  const imported = await runCli([...root, 'layer', 'import', tarball]);
  t.is(imported.status, 0, imported.stderr);

  const changes = await runCli([...root, 'layer', 'changes', imported.stdout.trim()], { stall: { afterBytes: 0, ms: 300 } });
  t.is(changes.status, 0, changes.stderr);
  const lines = changes.stdout.trimEnd().split('\n');
  t.is(lines.length, names.length);
  t.deepEqual(lines.slice(-2), names.slice(-2).map((n) => `A /${n}`));
});

test('a failing command still exits with its documented status and its one line on stderr', async (t) => {
  const dir = await tempDir('exit-fail');
  t.teardown(dir.cleanup);
  const missing = await runCli(['--root', join(dir.path, 'root'), 'layer', 'inspect', 'feedfacefeed'], { stall: { afterBytes: 0, ms: 100 } });
  t.is(missing.status, 3);
  t.regex(missing.stderr, /^strata: no layer "feedfacefeed"/);
  t.is(missing.stderr.trim().split('\n').length, 1);
});
