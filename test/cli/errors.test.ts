import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { runCli, tempDir, type CliResult } from './run-cli.js';

/** A failure is exactly one line on stderr, `strata: ...`, with no stack trace and nothing on stdout. */
function assertOneLine(t: import('ava').ExecutionContext, result: CliResult, status: number): void {
  t.is(result.status, status, result.stderr);
  t.regex(result.stderr, /^strata: [^\n]+\n$/);
  t.false(/\n\s+at /.test(result.stderr), 'no stack trace');
  t.is(result.stdout, '');
}

test('an unknown layer is one line and exit status 3', async (t) => {
  const dir = await tempDir('unknown');
  t.teardown(dir.cleanup);
  const result = await runCli(['--root', dir.path, 'layer', 'inspect', '0123456789abcdef']);
  assertOneLine(t, result, 3);
  t.true(result.stderr.includes('0123456789abcdef'));
});

test('--debug adds the stack trace', async (t) => {
  const dir = await tempDir('debug');
  t.teardown(dir.cleanup);
  const result = await runCli(['--root', dir.path, '--debug', 'layer', 'inspect', '0123456789abcdef']);
  t.is(result.status, 3);
  t.regex(result.stderr, /^strata: [^\n]+\n/);
  t.regex(result.stderr, /\n\s+at /);
});

test('--debug stack traces name the TypeScript sources, not the bundle', async (t) => {
  const dir = await tempDir('debug-sources');
  t.teardown(dir.cleanup);
  const result = await runCli(['--root', dir.path, '--debug', 'layer', 'inspect', '0123456789abcdef']);
  t.regex(result.stderr, /\.ts:\d+:\d+/);
});

test('an error from the unbundled bench code is still reported as itself: one line, its own status', async (t) => {
  // `bench` runs the compiled tree (dist/cli/bench-command.js), whose StrataError is another copy of the class.
  const result = await runCli(['bench', '--scenarios', 'nosuch']);
  assertOneLine(t, result, 2);
  t.true(result.stderr.includes('unknown scenario "nosuch"'));
});

test('a bad config value names the key, exit status 2', async (t) => {
  const dir = await tempDir('config');
  t.teardown(dir.cleanup);
  await writeFile(join(dir.path, 'strata.json'), JSON.stringify({ driver: 'Not A Driver' }));
  const result = await runCli(['--root', dir.path, 'layer', 'ls']);
  assertOneLine(t, result, 2);
  t.true(result.stderr.includes('driver'));
  t.true(result.stderr.includes('Not A Driver'));

  const file = join(dir.path, 'other.json');
  await writeFile(file, JSON.stringify({ plugins: 'not-a-list' }));
  const fromFlag = await runCli(['--root', dir.path, '--config', file, 'layer', 'ls']);
  assertOneLine(t, fromFlag, 2);
  t.true(fromFlag.stderr.includes('plugins'));
});

test('an unknown driver lists the known ones, exit status 6', async (t) => {
  const dir = await tempDir('driver');
  t.teardown(dir.cleanup);
  const result = await runCli(['--root', dir.path, '--driver', 'nosuch', 'layer', 'ls']);
  assertOneLine(t, result, 6);
  t.true(result.stderr.includes('nosuch'));
  t.true(result.stderr.includes('vfs'));
});

test('usage errors are one line and exit status 2', async (t) => {
  const dir = await tempDir('usage');
  t.teardown(dir.cleanup);
  assertOneLine(t, await runCli(['--root', dir.path, 'layer', 'inspect']), 2);
  assertOneLine(t, await runCli(['--root', dir.path, 'layer', 'ls', '--bogus']), 2);
  assertOneLine(t, await runCli(['--root', dir.path, 'nosuchcommand']), 2);
});

test('a missing input file and a non-tar input fail with one line', async (t) => {
  const dir = await tempDir('input');
  t.teardown(dir.cleanup);
  const root = join(dir.path, 'root');
  assertOneLine(t, await runCli(['--root', root, 'layer', 'import', join(dir.path, 'missing.tar')]), 3);
  const junk = join(dir.path, 'junk.tar');
  await mkdir(root, { recursive: true });
  await writeFile(junk, 'this is not a tar archive, not even close to 512 bytes');
  assertOneLine(t, await runCli(['--root', root, 'layer', 'import', junk]), 5);
  const ls = await runCli(['--root', root, '--json', 'layer', 'ls']);
  t.deepEqual(JSON.parse(ls.stdout), [], 'a failed import leaves no layer');
});

test('driver ls lists the built-in drivers, overlay selected by default, --driver picks another', async (t) => {
  const dir = await tempDir('drivers');
  t.teardown(dir.cleanup);
  type Row = { name: string; available: boolean; selected: boolean; capabilities: object };
  const result = await runCli(['--root', dir.path, '--json', 'driver', 'ls']);
  t.is(result.status, 0, result.stderr);
  const drivers = JSON.parse(result.stdout) as Row[];
  t.deepEqual(drivers.map((d) => d.name).sort(), ['btrfs-sim', 'fuse', 'overlay', 'vfs']);
  t.deepEqual(drivers.filter((d) => d.selected).map((d) => d.name), ['overlay'], 'overlay is the default driver');
  const vfs = drivers.find((d) => d.name === 'vfs')!;
  t.true(vfs.available);
  t.true('mountKind' in vfs.capabilities);

  const table = await runCli(['--root', dir.path, '--driver', 'vfs', 'driver', 'ls']);
  t.regex(table.stdout, /^vfs \*\s+yes\s/m);
});
